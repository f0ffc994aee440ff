//! Custom resources of secret managers and copiers whose controllers make Secrets and
//! ConfigMaps with names their spec says: what a pod's configuration reference may name.
//! Each entry cites the operator's API documentation.

use super::{Text, text};
use crate::source::yaml::Node;

/// One Secret or ConfigMap a resource makes.
#[derive(Clone, Debug, PartialEq)]
pub struct Made {
    /// `Secret` or `ConfigMap`.
    pub kind: &'static str,
    pub name: Text,
    /// Another namespace than the resource's, when the spec names one.
    pub namespace: Option<Text>,
}

/// What a secret manager's resource makes.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigMaker {
    pub made: Box<[Made]>,
    /// It copies what it makes into namespaces a selector or a policy picks (a
    /// ClusterExternalSecret, a Kyverno generate rule, a trust-manager Bundle): which ones
    /// cilint does not evaluate, so a reference of that name anywhere is unverifiable.
    pub everywhere: bool,
}

/// Whether resources of this kind make Secrets or ConfigMaps cilint models.
pub fn is_maker(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        ("onepassword.com", "OnePasswordItem")
            | ("k8s.bitwarden.com", "BitwardenSecret")
            | ("secrets.doppler.com", "DopplerSecret")
            | (
                "secrets.hashicorp.com",
                "VaultStaticSecret" | "VaultDynamicSecret" | "VaultPKISecret" | "HCPVaultSecretsApp"
            )
            | ("secrets.infisical.com", "InfisicalSecret")
            | ("isindir.github.com", "SopsSecret")
            | ("secrets-store.csi.x-k8s.io", "SecretProviderClass")
            | ("external-secrets.io", "ClusterExternalSecret")
            | ("kyverno.io", "ClusterPolicy" | "Policy")
            | ("trust.cert-manager.io", "Bundle" | "ClusterBundle")
    )
}

fn str_at<'a>(node: Option<Node<'a>>, path: &[&str]) -> Option<&'a str> {
    node?.at(path)?.as_str().filter(|s| !s.is_empty())
}

fn secret(name: &str, namespace: Option<&str>) -> Made {
    Made {
        kind: "Secret",
        name: text(name),
        namespace: namespace.map(text),
    }
}

/// What a resource of a maker kind makes; `name` is its `metadata.name`.
pub fn from_document(group: &str, kind: &str, name: &str, doc: Node<'_>) -> ConfigMaker {
    let spec = doc.get("spec");
    let mut made = Vec::new();
    let mut everywhere = false;
    let items = |path: &[&str]| {
        spec.and_then(|s| s.at(path))
            .map(Node::as_seq)
            .into_iter()
            .flatten()
    };
    match (group, kind) {
        // https://github.com/1Password/onepassword-operator: "the operator creates a Kubernetes
        // Secret with the same name as the OnePasswordItem".
        ("onepassword.com", _) => made.push(secret(name, None)),
        // https://bitwarden.com/help/secrets-manager-kubernetes-operator/: `spec.secretName`.
        ("k8s.bitwarden.com", _) => made.extend(str_at(spec, &["secretName"]).map(|n| secret(n, None))),
        // https://docs.doppler.com/docs/kubernetes-operator: `spec.managedSecret.name` in
        // `spec.managedSecret.namespace`.
        ("secrets.doppler.com", _) => made.extend(
            str_at(spec, &["managedSecret", "name"])
                .map(|n| secret(n, str_at(spec, &["managedSecret", "namespace"]))),
        ),
        // https://developer.hashicorp.com/vault/docs/platform/k8s/vso/api-reference
        // (`Destination.name`).
        ("secrets.hashicorp.com", _) => {
            made.extend(str_at(spec, &["destination", "name"]).map(|n| secret(n, None)))
        }
        // https://infisical.com/docs/integrations/platforms/kubernetes/infisical-secret-crd:
        // `managedSecretReference` (one) or `managedKubeSecretReferences` (several).
        ("secrets.infisical.com", _) => {
            let single = spec.and_then(|s| s.get("managedSecretReference"));
            for r in single.into_iter().chain(items(&["managedKubeSecretReferences"])) {
                if let Some(n) = str_at(Some(r), &["secretName"]) {
                    made.push(secret(n, str_at(Some(r), &["secretNamespace"])));
                }
            }
        }
        // https://github.com/isindir/sops-secrets-operator: one Secret per
        // `spec.secretTemplates[].name`.
        ("isindir.github.com", _) => {
            for t in items(&["secretTemplates"]) {
                made.extend(str_at(Some(t), &["name"]).map(|n| secret(n, None)));
            }
        }
        // https://secrets-store-csi-driver.sigs.k8s.io/topics/sync-as-kubernetes-secret:
        // `spec.secretObjects[].secretName`, synced once a pod mounts the volume.
        ("secrets-store.csi.x-k8s.io", _) => {
            for o in items(&["secretObjects"]) {
                made.extend(str_at(Some(o), &["secretName"]).map(|n| secret(n, None)));
            }
        }
        // https://external-secrets.io/latest/api/clusterexternalsecret/: an ExternalSecret
        // (`spec.externalSecretName`, else the resource's name) in each selected namespace,
        // making `externalSecretSpec.target.name`, else the ExternalSecret's name.
        ("external-secrets.io", _) => {
            everywhere = true;
            let es = str_at(spec, &["externalSecretName"]).unwrap_or(name);
            let target = str_at(spec, &["externalSecretSpec", "target", "name"]).unwrap_or(es);
            made.push(secret(target, None));
        }
        // https://kyverno.io/docs/writing-policies/generate/: `generate.kind` and `.name` of
        // each rule, in the namespaces its match and `generate.namespace` decide.
        ("kyverno.io", _) => {
            everywhere = true;
            for rule in items(&["rules"]) {
                let generate = rule.get("generate");
                let kind = match str_at(generate, &["kind"]) {
                    Some("Secret") => "Secret",
                    Some("ConfigMap") => "ConfigMap",
                    _ => continue,
                };
                if let Some(n) = str_at(generate, &["name"]) {
                    made.push(Made {
                        kind,
                        name: text(n),
                        namespace: None,
                    });
                }
            }
        }
        // https://cert-manager.io/docs/trust/trust-manager/: a ConfigMap (`spec.target.
        // configMap`) and/or Secret (`spec.target.secret`) named as the Bundle in every
        // namespace `spec.target.namespaceSelector` picks.
        ("trust.cert-manager.io", _) => {
            everywhere = true;
            let target = spec.and_then(|s| s.get("target"));
            if target.and_then(|t| t.get("configMap")).is_some() {
                made.push(Made {
                    kind: "ConfigMap",
                    name: text(name),
                    namespace: None,
                });
            }
            if target.and_then(|t| t.get("secret")).is_some() {
                made.push(secret(name, None));
            }
        }
        _ => {}
    }
    ConfigMaker {
        made: made.into(),
        everywhere,
    }
}
