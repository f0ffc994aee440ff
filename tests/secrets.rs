//! Secret values never reach any output: a canary planted in every place a secret lives, next to
//! objects with real findings (whose snippets show the lines around them), must appear in no
//! format's stdout or stderr.

use std::fs;
use std::path::Path;
use std::process::Command;

const CANARY: &str = "cilint-canary-7f3a9";
/// The canary base64-encoded, as it sits in a Secret's `data`.
const CANARY_B64: &str = "Y2lsaW50LWNhbmFyeS03ZjNhOQ==";

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(
        path,
        text.replace("CANARY_B64", CANARY_B64)
            .replace("CANARY", CANARY),
    )
    .unwrap();
}

/// A tree whose every finding has a secret value beside it, on the same line or the next.
fn tree(root: &Path) {
    // Certificates that are missing, one in another namespace and one misspelt: the findings'
    // related notes point at these Secrets' names, with a value on the line below.
    write(
        root,
        "infra/gateway.yaml",
        "\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
  namespace: infra
spec:
  gatewayClassName: cilium
  listeners:
    - name: https
      protocol: HTTPS
      port: 443
      tls:
        certificateRefs:
          - name: shop-tls
          - name: blog-tls
          - name: docs-tls
---
apiVersion: v1
kind: Secret
metadata: {name: shop-tls, namespace: shop}
stringData: {tls.crt: CANARY, tls.key: CANARY}
---
apiVersion: v1
kind: Secret
metadata:
  name: blog-tlz
  namespace: infra
data:
  tls.crt: CANARY_B64
  tls.key: CANARY_B64
stringData:
  password: CANARY
",
    );
    // Keys that look like credentials, in a ConfigMap and in annotations, beside a broken
    // backend reference.
    write(
        root,
        "apps/shop.yaml",
        "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop
  namespace: shop
data:
  password: CANARY
  token: \"CANARY\"
  private-key: |
    CANARY
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: shop
  annotations:
    password: CANARY
spec:
  parentRefs:
    - name: public
      namespace: infra
  rules:
    - backendRefs:
        # token: CANARY
        - name: storefornt
          port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: storefront
  namespace: shop
  annotations:
    example.com/token: CANARY
    example.com/private-key: 'CANARY'
spec:
  ports:
    - port: 80
",
    );
    // A Secret that does not parse: the syntax error sits among its values.
    write(
        root,
        "apps/broken-secret.yaml",
        "\
apiVersion: v1
kind: Secret
metadata:
  name: broken
  namespace: shop
stringData:
  username: admin
  password: CANARY: CANARY
  token: CANARY
",
    );
    write(
        root,
        "apps/broken-data.yaml",
        "\
apiVersion: v1
kind: Secret
metadata:
  name: broken-data
  namespace: shop
data:
  tls.key: CANARY_B64
   tls.crt: CANARY_B64
",
    );
    // Secrets created by commands, one of them the near miss a finding names, and a script
    // with a finding on the line next to a literal.
    write(
        root,
        "scripts/secrets.sh",
        "\
#!/usr/bin/env bash
kubectl create secret generic docs-tlz -n infra --from-literal=password=CANARY
kubectl create secret generic db -n shop \\
  --from-literal password=CANARY \\
  --from-literal=token='CANARY'
kubectl create secret docker-registry regcred --docker-password=CANARY -n shop
kubectl label service cilium-gateway-nope -n infra team=shop
kubectl create secret generic api -n shop --from-literal=private-key=\"CANARY\"
",
    );
    // Secrets Terraform creates in another namespace than the Gateway's: the related notes
    // point at their names, with values on the next line, in a heredoc and in HCL.
    write(
        root,
        "terraform/main.tf",
        "\
resource \"kubectl_manifest\" \"yaml_tls\" {
  yaml_body = <<-YAML
    apiVersion: v1
    kind: Secret
    metadata: {name: tf-yaml-tls, namespace: other}
    stringData: {tls.crt: CANARY, tls.key: CANARY}
  YAML
}

resource \"kubernetes_manifest\" \"hcl_tls\" {
  manifest = {
    apiVersion = \"v1\"
    kind       = \"Secret\"
    metadata   = { name = \"tf-hcl-tls\", namespace = \"other\" }
    data       = { \"tls.crt\" = \"CANARY_B64\", \"tls.key\" = \"CANARY_B64\" }
  }
}
",
    );
    write(
        root,
        "terraform/gateway.yaml",
        "\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: tf
  namespace: infra
spec:
  gatewayClassName: cilium
  listeners:
    - name: https
      protocol: HTTPS
      port: 443
      tls:
        certificateRefs:
          - name: tf-yaml-tls
          - name: tf-hcl-tls
",
    );
    write(
        root,
        "docs/README.md",
        "\
# Setup

```sh
kubectl annotate svc cilium-gateway-missing -n infra a=b
kubectl create secret generic md -n shop --from-literal=password=CANARY
```
",
    );
}

#[test]
fn canary_appears_in_no_output() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let root = dir.path().to_str().unwrap();
    let formats = ["human", "json", "sarif", "github", "gitlab", "junit"];
    let extra: [&[&str]; 4] = [
        &[],
        &["--show-unverified"],
        &["--strict"],
        &["--strict", "--show-unverified"],
    ];
    for format in formats {
        let mut findings_seen = false;
        for flags in extra {
            let output = Command::new(env!("CARGO_BIN_EXE_cilint"))
                .args(["--format", format, "--color", "never"])
                .args(flags)
                .arg(root)
                .current_dir(dir.path())
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
                for secret in [CANARY, CANARY_B64] {
                    assert!(
                        !text.contains(secret),
                        "{secret} leaked to {stream} with --format {format} {flags:?}:\n{text}"
                    );
                }
            }
            // JUnit names every enabled rule; a finding is a failing case of it.
            let reported = |rule: &str| match format {
                "junit" => stdout.contains(&format!("classname=\"cilint.{rule}\" file=")),
                _ => stdout.contains(rule),
            };
            findings_seen |= reported("backend-not-found")
                && reported("tls-secret-not-found")
                && reported("yaml-syntax")
                && reported("label-command-unknown-gateway");
        }
        // The canary sat beside real findings: the test means something only if they were
        // reported.
        assert!(
            findings_seen,
            "the tree's findings were not reported in {format}"
        );
    }
}
