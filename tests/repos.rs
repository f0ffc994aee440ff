//! The fixture repositories under `fixtures/repos/`: GitOps trees laid out the way real teams lay
//! them out (Flux with two clusters, an Argo CD ApplicationSet over kustomize directories, Cilium
//! and Envoy Gateway side by side). Each has a few planted defects, listed with the reasons in
//! its `EXPECTED.md`: exactly those must be found, everything else must draw nothing, and the
//! whole human output (summary included) is snapshotted.

use std::collections::BTreeSet;
use std::process::{Command, Output};

use serde_json::Value;

fn cilint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cilint"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("cilint runs")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A finding as the tests compare it: rule, file relative to the repository, line, cluster.
type Found = (String, String, u64, Option<String>);

fn relative<'a>(file: &'a str, root: &str) -> &'a str {
    file.strip_prefix(root)
        .and_then(|f| f.strip_prefix('/'))
        .unwrap_or_else(|| panic!("{file} is not under {root}"))
}

fn found(json: &Value, root: &str) -> Vec<Found> {
    let mut f: Vec<Found> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                relative(f["location"]["file"].as_str().unwrap(), root).to_string(),
                f["location"]["line"].as_u64().unwrap(),
                f["cluster"].as_str().map(str::to_string),
            )
        })
        .collect();
    f.sort();
    f
}

fn expected(list: &[(&str, &str, u64, Option<&str>)]) -> Vec<Found> {
    let mut e: Vec<Found> = list
        .iter()
        .map(|(r, f, l, c)| (r.to_string(), f.to_string(), *l, c.map(str::to_string)))
        .collect();
    e.sort();
    e
}

fn summary(json: &Value, key: &str) -> u64 {
    json["summary"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("summary.{key} missing: {json:#}"))
}

/// Lints `fixtures/repos/<name>`, checks the planted defects and the open-world accounting, and
/// snapshots the human output.
///
/// `unverified_at`: the distinct (file, line) of the references that are unverified because a
/// Helm chart or an unresolved placeholder may satisfy them; empty for a closed-world repository.
fn check_repo(
    name: &str,
    planted: &[(&str, &str, u64, Option<&str>)],
    unverified_at: &[(&str, u64)],
) {
    let root = format!("fixtures/repos/{name}");
    assert!(
        std::path::Path::new(&root).join("EXPECTED.md").is_file(),
        "{root}/EXPECTED.md lists the planted defects"
    );

    // Exactly the planted defects, nothing else.
    let out = cilint(&["--format", "json", &root]);
    let json = json_of(&out);
    assert_eq!(found(&json, &root), expected(planted), "{json:#}");
    for f in json["findings"].as_array().unwrap() {
        assert!(
            f["deployed"].is_boolean(),
            "every finding says `deployed`: {f:#}"
        );
    }
    assert_eq!(out.status.code(), Some(1), "findings exit 1");
    assert_eq!(summary(&json, "findings"), planted.len() as u64);
    assert!(
        json.get("unverified").is_none(),
        "the unverified list is printed only with --show-unverified"
    );

    // Verified and unverified references are counted.
    let references = summary(&json, "references");
    let unverified = summary(&json, "unverified");
    assert!(references > 0, "{json:#}");
    assert!(unverified <= references, "{json:#}");
    if unverified_at.is_empty() {
        assert_eq!(unverified, 0, "closed world: {json:#}");
    } else {
        assert!(unverified > 0, "the repository relies on charts: {json:#}");
    }

    // --show-unverified lists them, each with where, what and why.
    let shown = json_of(&cilint(&["--format", "json", "--show-unverified", &root]));
    let list = shown["unverified"]
        .as_array()
        .unwrap_or_else(|| panic!("no unverified list: {shown:#}"));
    assert_eq!(list.len() as u64, unverified, "{shown:#}");
    let mut at = BTreeSet::new();
    for u in list {
        let file = relative(u["location"]["file"].as_str().unwrap(), &root).to_string();
        at.insert((file, u["location"]["line"].as_u64().unwrap()));
        assert!(!u["reference"].as_str().unwrap_or("").is_empty(), "{u:#}");
        assert!(!u["reason"].as_str().unwrap_or("").is_empty(), "{u:#}");
        assert!(u["object"].is_object(), "{u:#}");
    }
    let want: BTreeSet<(String, u64)> = unverified_at
        .iter()
        .map(|(f, l)| (f.to_string(), *l))
        .collect();
    assert_eq!(at, want, "{shown:#}");
    // Listing them changes no finding.
    assert_eq!(found(&shown, &root), expected(planted));

    // --strict reports every unverified reference as a finding.
    let strict_out = cilint(&["--format", "json", "--strict", &root]);
    let strict = json_of(&strict_out);
    assert_eq!(
        summary(&strict, "findings"),
        planted.len() as u64 + unverified,
        "{strict:#}"
    );
    assert_eq!(strict_out.status.code(), Some(1));

    // The whole human output, summary included.
    let human = cilint(&[&root]);
    let text = String::from_utf8(human.stdout).unwrap();
    assert_eq!(human.status.code(), Some(1), "{text}");
    if unverified > 0 {
        assert!(
            text.contains(&format!("{unverified} unverified")),
            "the summary says what could not be verified:\n{text}"
        );
    }
    insta::assert_snapshot!(format!("{name}-human"), text);
}

#[test]
fn flux_cluster_template() {
    check_repo(
        "flux-cluster-template",
        &[
            // Shared by both clusters: reported in each.
            (
                "route-listener-not-found",
                "kubernetes/apps/observability/grafana/app/httproute.yaml",
                10,
                Some("home"),
            ),
            (
                "route-listener-not-found",
                "kubernetes/apps/observability/grafana/app/httproute.yaml",
                10,
                Some("lab"),
            ),
            (
                "backend-port-mismatch",
                "kubernetes/apps/default/whoami/httproute.yaml",
                15,
                Some("home"),
            ),
            (
                "gateway-labels-not-propagated",
                "kubernetes/apps/network/gateway-internal/gateway.yaml",
                9,
                Some("home"),
            ),
            (
                "label-command-unknown-gateway",
                "clusters/lab/README.md",
                13,
                Some("lab"),
            ),
        ],
        // The Services the Grafana chart creates (echo-server's, app-template's, is rendered).
        &[(
            "kubernetes/apps/observability/grafana/app/httproute.yaml",
            15,
        )],
    );
}

/// The objects of each cluster are placed where Flux puts them: the findings name the object in
/// its target namespace, with its substituted name.
#[test]
fn flux_cluster_template_placement() {
    let root = "fixtures/repos/flux-cluster-template";
    let json = json_of(&cilint(&["--format", "json", root]));
    let mut objects: Vec<(String, String, String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["object"].is_null())
        .map(|f| {
            (
                f["cluster"].as_str().unwrap_or("").to_string(),
                f["object"]["kind"].as_str().unwrap().to_string(),
                f["object"]["namespace"].as_str().unwrap_or("").to_string(),
                f["object"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    objects.sort();
    let s = |a: &str, b: &str, c: &str, d: &str| (a.into(), b.into(), c.into(), d.into());
    assert_eq!(
        objects,
        [
            s("home", "Gateway", "network", "internal"),
            s("home", "HTTPRoute", "default", "whoami"),
            s("home", "HTTPRoute", "observability", "grafana"),
            s("lab", "HTTPRoute", "observability", "grafana"),
        ],
        "{json:#}"
    );
}

#[test]
fn argocd_appset() {
    check_repo(
        "argocd-appset",
        &[
            ("backend-not-found", "apps/shop/httproute.yaml", 19, None),
            ("route-not-allowed", "apps/shop/httproute.yaml", 32, None),
            (
                "route-hostname-mismatch",
                "apps/monitoring/httproute.yaml",
                11,
                None,
            ),
        ],
        // blog-wordpress from the kustomize helmCharts entry, grafana from the Helm Application.
        &[
            ("apps/blog/httproute.yaml", 15),
            ("apps/monitoring/httproute.yaml", 14),
        ],
    );
}

/// Placement in the Argo CD repository: kustomize `namespace:` (the overlay's, not the base's),
/// `namePrefix`, and the Application's destination namespace where kustomize sets none.
#[test]
fn argocd_appset_placement() {
    let root = "fixtures/repos/argocd-appset";
    let json = json_of(&cilint(&["--format", "json", root]));
    let mut objects: Vec<(String, String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["object"]["namespace"].as_str().unwrap_or("").to_string(),
                f["object"]["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    objects.sort();
    let s = |a: &str, b: &str, c: &str| (a.into(), b.into(), c.into());
    assert_eq!(
        objects,
        [
            s("backend-not-found", "shop", "shop-storefront"),
            s("route-hostname-mismatch", "monitoring", "grafana"),
            s("route-not-allowed", "shop", "shop-admin"),
        ],
        "{json:#}"
    );
    // One world: no cluster names.
    for f in json["findings"].as_array().unwrap() {
        assert!(f["cluster"].is_null(), "{f:#}");
    }
}

#[test]
fn mixed_gateways() {
    check_repo(
        "mixed-gateways",
        &[
            ("backend-not-found", "apps/podinfo/podinfo.yaml", 62, None),
            (
                "label-command-unknown-gateway",
                "docs/legacy-gateway.md",
                11,
                None,
            ),
            ("tls-secret-not-found", "gateways/envoy.yaml", 41, None),
        ],
        &[],
    );
}

/// `(rule, file, line, severity)` of the findings whose file nothing deploys.
fn undeployed(json: &Value, root: &str) -> Vec<(String, String, u64, String)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["deployed"] == false)
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                relative(f["location"]["file"].as_str().unwrap(), root).to_string(),
                f["location"]["line"].as_u64().unwrap(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn mixed_gateways_has_no_entry_point_so_everything_is_deployed() {
    let root = "fixtures/repos/mixed-gateways";
    let json = json_of(&cilint(&["--format", "json", root]));
    assert_eq!(undeployed(&json, root), [], "{json:#}");
}

#[test]
fn flux_multi_cluster() {
    check_repo(
        "flux-multi-cluster",
        &[
            (
                "route-listener-not-found",
                "apps/production/admin-route.yaml",
                11,
                Some("production"),
            ),
            // Shared infrastructure, deployed by both clusters through clusters/base.
            (
                "tls-secret-not-found",
                "infrastructure/configs/gateway.yaml",
                33,
                Some("production"),
            ),
            (
                "tls-secret-not-found",
                "infrastructure/configs/gateway.yaml",
                33,
                Some("staging"),
            ),
            // Nothing deploys old/: in every cluster alike, so in none.
            ("backend-port-mismatch", "old/podinfo.yaml", 52, None),
        ],
        // The Services the podinfo and Grafana charts create.
        &[
            ("apps/base/podinfo/httproute.yaml", 15),
            ("apps/production/admin-route.yaml", 20),
            ("infrastructure/monitoring/grafana.yaml", 36),
        ],
    );
}

/// `clusters/base/` holds Flux Kustomizations, but the two clusters deploy it: it is part of
/// each, not a cluster of its own. What nothing deploys is marked so, as a warning.
#[test]
fn flux_multi_cluster_clusters_and_deployment() {
    let root = "fixtures/repos/flux-multi-cluster";
    let json = json_of(&cilint(&["--format", "json", root]));
    let clusters: BTreeSet<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["cluster"].as_str())
        .collect();
    assert_eq!(clusters, BTreeSet::from(["production", "staging"]));
    assert_eq!(
        undeployed(&json, root),
        [(
            "backend-port-mismatch".to_string(),
            "old/podinfo.yaml".to_string(),
            52,
            "warning".to_string()
        )],
        "{json:#}"
    );
    // The Certificate in the other namespace is where the Secret comes from: the finding says
    // so and points there.
    let tls = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "tls-secret-not-found")
        .unwrap();
    assert!(
        tls["help"]
            .as_str()
            .unwrap()
            .starts_with("Certificate cert-manager/wildcard-example-com makes Secret"),
        "{tls:#}"
    );
    let related = &tls["related"][0];
    assert_eq!(
        relative(related["location"]["file"].as_str().unwrap(), root),
        "infrastructure/configs/gateway.yaml"
    );
    assert_eq!(related["location"]["line"], 39, "{tls:#}");

    // The other formats say it too.
    let github = String::from_utf8(cilint(&["--format", "github", root]).stdout).unwrap();
    let line = github
        .lines()
        .find(|l| l.contains("old/podinfo.yaml"))
        .unwrap();
    assert!(line.starts_with("::warning "), "{line}");
    assert!(
        line.contains("%0Anot deployed: no kustomization, Flux Kustomization or Argo CD Application includes this file"),
        "{line}"
    );
    let sarif = json_of(&cilint(&["--format", "sarif", root]));
    let deployed: Vec<bool> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["properties"]["deployed"].as_bool().unwrap())
        .collect();
    assert_eq!(deployed, [true, true, true, false], "{sarif:#}");
}

#[test]
fn kustomize_overlays() {
    check_repo(
        "kustomize-overlays",
        &[
            (
                "backend-not-found",
                "apps/storefront/base/httproute.yaml",
                18,
                None,
            ),
            (
                "backend-not-found",
                "apps/storefront/base/httproute.yaml",
                18,
                None,
            ),
        ],
        &[],
    );
}

/// A file beside a kustomization.yaml that does not list it is not deployed: its Service
/// satisfies no reference, and the finding of the reference says why and points at it.
#[test]
fn kustomize_overlays_name_the_file_the_kustomization_does_not_list() {
    let root = "fixtures/repos/kustomize-overlays";
    let json = json_of(&cilint(&["--format", "json", root]));
    let mut namespaces = Vec::new();
    for f in json["findings"].as_array().unwrap() {
        assert!(
            f["message"].as_str().unwrap().ends_with(
                ": Service api-proxy is in extra-services.yaml, which kustomization.yaml does not list"
            ),
            "{f:#}"
        );
        assert!(
            f["help"]
                .as_str()
                .unwrap()
                .starts_with("add `extra-services.yaml` to the `resources`"),
            "{f:#}"
        );
        let related = f["related"].as_array().unwrap();
        assert_eq!(related.len(), 1, "{f:#}");
        assert_eq!(
            relative(related[0]["location"]["file"].as_str().unwrap(), root),
            "apps/storefront/base/extra-services.yaml"
        );
        assert_eq!(related[0]["location"]["line"], 25);
        assert_eq!(f["deployed"], true);
        namespaces.push(f["object"]["namespace"].as_str().unwrap().to_string());
    }
    namespaces.sort();
    assert_eq!(namespaces, ["shop", "shop-staging"]);
}

/// A BGP home lab: every link of the BGP chain, and one planted defect per BGP rule.
#[test]
fn bgp_homelab() {
    check_repo(
        "bgp-homelab",
        &[
            (
                "bgp-advertisement-unreached",
                "kubernetes/apps/kube-system/cilium/config/bgp-advertisements.yaml",
                44,
                None,
            ),
            (
                "bgp-peer-config-advertises-nothing",
                "kubernetes/apps/kube-system/cilium/config/bgp-cluster.yaml",
                20,
                None,
            ),
            (
                "bgp-peer-config-not-found",
                "kubernetes/apps/kube-system/cilium/config/bgp-cluster.yaml",
                27,
                None,
            ),
            (
                "cilium-api-version-unserved",
                "kubernetes/apps/kube-system/cilium/config/bgp-node-overrides.yaml",
                6,
                None,
            ),
        ],
        &[],
    );
}

#[test]
fn homelab_l2() {
    check_repo(
        "homelab-l2",
        &[
            (
                "selector-matches-nothing",
                "kubernetes/infrastructure/cilium/l2-policy.yaml",
                7,
                None,
            ),
            (
                "service-not-advertised",
                "kubernetes/apps/pihole/service.yaml",
                6,
                None,
            ),
            (
                "service-not-advertised",
                "kubernetes/infrastructure/gateway/gateway.yaml",
                4,
                None,
            ),
        ],
        &[],
    );
}

/// One selector is the cause of the three findings: each Service's names it and points at it,
/// and the selector's names the Services it leaves unannounced.
#[test]
fn homelab_l2_findings_name_the_one_selector() {
    let root = "fixtures/repos/homelab-l2";
    let json = json_of(&cilint(&["--format", "json", root]));
    let at = |r: &Value| {
        format!(
            "{}:{}",
            relative(r["location"]["file"].as_str().unwrap(), root),
            r["location"]["line"]
        )
    };
    for f in json["findings"].as_array().unwrap() {
        let related: Vec<String> = f["related"].as_array().unwrap().iter().map(at).collect();
        if f["rule"] == "service-not-advertised" {
            assert!(
                f["message"].as_str().unwrap().ends_with(
                    "the only one that could announce it, CiliumL2AnnouncementPolicy `home-lan`, \
                     selects no LoadBalancer Service at all"
                ),
                "{f:#}"
            );
            assert!(
                f["help"]
                    .as_str()
                    .unwrap()
                    .starts_with("fix the selector of"),
                "{f:#}"
            );
            assert_eq!(
                related,
                ["kubernetes/infrastructure/cilium/l2-policy.yaml:7"],
                "{f:#}"
            );
        } else {
            assert_eq!(
                related,
                [
                    "kubernetes/apps/pihole/service.yaml:6",
                    "kubernetes/infrastructure/gateway/gateway.yaml:4"
                ],
                "{f:#}"
            );
        }
    }
}

/// Scaffolding templates (cookiecutter, copier, boilerplate), a Jinja file that does not parse
/// and gomplate files beside the manifests makejinja renders: only the manifests are linted.
#[test]
fn scaffold_templates() {
    check_repo(
        "scaffold-templates",
        &[(
            "backend-not-found",
            "kubernetes/apps/shop/httproute.yaml",
            20,
            None,
        )],
        // The preview route's backendRef, named by a quoted gomplate placeholder.
        &[("hack/preview/httproute.yaml", 15)],
    );
}

#[test]
fn kustomize_components() {
    check_repo(
        "kustomize-components",
        &[
            // The port a staging patch sets: reported at the patch's value.
            (
                "backend-port-mismatch",
                "apps/staging/httproute.yaml",
                6,
                Some("staging"),
            ),
            // A component's route, once per overlay that includes it.
            (
                "route-parent-not-found",
                "components/admin-route/httproute.yaml",
                8,
                Some("staging"),
            ),
            (
                "route-parent-not-found",
                "components/admin-route/httproute.yaml",
                8,
                Some("production"),
            ),
        ],
        &[],
    );
}

/// Each overlay's objects as `kustomize build` makes them: the component's route in each
/// overlay's namespace, and no object from a component on its own or from a data file.
#[test]
fn kustomize_components_placement() {
    let root = "fixtures/repos/kustomize-components";
    let json = json_of(&cilint(&["--format", "json", root]));
    let placed: BTreeSet<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}/{} {}",
                f["cluster"].as_str().unwrap_or("-"),
                f["object"]["namespace"].as_str().unwrap_or("-"),
                f["object"]["name"].as_str().unwrap_or("-"),
                f["rule"].as_str().unwrap()
            )
        })
        .collect();
    let want: BTreeSet<String> = [
        "production podinfo/podinfo-admin route-parent-not-found",
        "staging podinfo-staging/podinfo-admin route-parent-not-found",
        "staging podinfo-staging/podinfo backend-port-mismatch",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(placed, want, "{json:#}");
    let text = String::from_utf8(cilint(&[root]).stdout).unwrap();
    assert!(
        text.contains("8 data files not linted"),
        "the summary counts the data files:\n{text}"
    );
}

/// One repository holding every kind of file that once drew a false alarm (Talos, kind, kubeadm
/// and kubelet configuration, a kubeconfig, YAML only libyaml reads, a cookiecutter template,
/// kustomize data files, a component, patches, a cluster directory another cluster deploys, a
/// file nothing deploys) and exactly one real defect of each rule: exactly those are found.
#[test]
fn homelab_mix() {
    check_repo(
        "homelab-mix",
        &[
            ("label-command-unknown-gateway", "README.md", 18, None),
            (
                "backend-not-found",
                "archive/whoami-v1-route.yaml",
                16,
                None,
            ),
            (
                "backend-not-found",
                "kubernetes/apps/base/api-route.yaml",
                18,
                None,
            ),
            (
                "invalid-object",
                "kubernetes/apps/base/settings.yaml",
                1,
                None,
            ),
            (
                "route-parent-not-found",
                "kubernetes/apps/components/https-redirect/httproute.yaml",
                7,
                None,
            ),
            (
                "chart-render-failed",
                "kubernetes/apps/home-automation/home-assistant/helmrelease.yaml",
                30,
                None,
            ),
            (
                "route-not-allowed",
                "kubernetes/apps/media/jellyfin/httproute.yaml",
                7,
                None,
            ),
            (
                "unused-suppression",
                "kubernetes/apps/media/jellyfin/httproute.yaml",
                15,
                None,
            ),
            (
                "config-reference-not-found",
                "kubernetes/apps/media/jellyfin/jellyseerr.yaml",
                40,
                None,
            ),
            (
                "probe-port-not-found",
                "kubernetes/apps/monitoring/blackbox-exporter.yaml",
                25,
                None,
            ),
            (
                "statefulset-service-not-headless",
                "kubernetes/apps/monitoring/loki.yaml",
                7,
                None,
            ),
            (
                "workload-selector-mismatch",
                "kubernetes/apps/monitoring/node-exporter.yaml",
                10,
                None,
            ),
            (
                "listenerset-parent-not-found",
                "kubernetes/apps/media/jellyfin/listenerset.yaml",
                8,
                None,
            ),
            (
                "listenerset-not-allowed",
                "kubernetes/apps/monitoring/alertmanager-listener.yaml",
                9,
                None,
            ),
            (
                "yaml-syntax",
                "kubernetes/apps/media/jellyfin/pvc.yaml",
                7,
                None,
            ),
            (
                "flux-variable-undefined",
                "kubernetes/apps/media/jellyfin/deployment.yaml",
                26,
                None,
            ),
            (
                "route-listener-not-found",
                "kubernetes/apps/monitoring/grafana/httproute.yaml",
                9,
                None,
            ),
            (
                "reference-grant-unused",
                "kubernetes/apps/monitoring/grafana/referencegrant.yaml",
                5,
                None,
            ),
            (
                "route-hostname-mismatch",
                "kubernetes/apps/monitoring/prometheus-route.yaml",
                11,
                None,
            ),
            (
                "l2-external-traffic-local",
                "kubernetes/apps/overlays/home/frigate.yaml",
                10,
                None,
            ),
            (
                "reference-not-permitted",
                "kubernetes/apps/overlays/home/jellyfin-alias.yaml",
                16,
                None,
            ),
            (
                "service-not-advertised",
                "kubernetes/apps/overlays/home/mosquitto.yaml",
                4,
                None,
            ),
            (
                "backend-port-mismatch",
                "kubernetes/apps/overlays/home/patches/whoami-port.yaml",
                4,
                None,
            ),
            (
                "service-ip-not-in-pool",
                "kubernetes/apps/overlays/home/zigbee2mqtt.yaml",
                9,
                None,
            ),
            (
                "l2-policy-announces-nothing",
                "kubernetes/infrastructure/cilium/l2-guest.yaml",
                7,
                None,
            ),
            (
                "l2-policy-interface-invalid",
                "kubernetes/infrastructure/cilium/l2-vlan30.yaml",
                11,
                None,
            ),
            (
                "selector-invalid",
                "kubernetes/infrastructure/cilium/l2-workers.yaml",
                14,
                None,
            ),
            (
                "bgp-peer-config-not-found",
                "kubernetes/infrastructure/cilium/bgp-edge.yaml",
                18,
                None,
            ),
            (
                "bgp-peer-config-advertises-nothing",
                "kubernetes/infrastructure/cilium/bgp-lab.yaml",
                14,
                None,
            ),
            (
                "cilium-api-version-unserved",
                "kubernetes/infrastructure/cilium/bgp-node-overrides.yaml",
                5,
                None,
            ),
            (
                "bgp-advertisement-unreached",
                "kubernetes/infrastructure/cilium/bgp-pod-cidr.yaml",
                7,
                None,
            ),
            (
                "ip-pool-invalid",
                "kubernetes/infrastructure/cilium/pools.yaml",
                20,
                None,
            ),
            (
                "selector-matches-nothing",
                "kubernetes/infrastructure/cilium/pools.yaml",
                22,
                None,
            ),
            (
                "service-ip-pool-missing",
                "kubernetes/apps/media/jellyfin/service.yaml",
                16,
                None,
            ),
            (
                "service-pools-ambiguous",
                "kubernetes/infrastructure/cilium/pools.yaml",
                34,
                None,
            ),
            (
                "gateway-generated-object-conflict",
                "kubernetes/infrastructure/gateway/lan-gw-envoy.yaml",
                6,
                None,
            ),
            (
                "gateway-labels-not-propagated",
                "kubernetes/infrastructure/gateway/lan-gw.yaml",
                7,
                None,
            ),
            (
                "gateway-annotations-not-propagated",
                "kubernetes/infrastructure/gateway/lan-gw.yaml",
                10,
                None,
            ),
            (
                "tls-secret-not-found",
                "kubernetes/infrastructure/gateway/lan-gw.yaml",
                20,
                None,
            ),
            (
                "backend-kind-invalid",
                "kubernetes/apps/monitoring/grafana/httproute.yaml",
                22,
                None,
            ),
            (
                "listener-route-kinds-invalid",
                "kubernetes/infrastructure/gateway/home-gw.yaml",
                20,
                None,
            ),
            (
                "listener-tls-invalid",
                "kubernetes/infrastructure/gateway/home-gw.yaml",
                41,
                None,
            ),
            (
                "listener-conflict",
                "kubernetes/infrastructure/gateway/lan-gw.yaml",
                22,
                None,
            ),
            (
                "certificate-ref-invalid",
                "kubernetes/infrastructure/gateway/lan-gw.yaml",
                32,
                None,
            ),
            (
                "service-ip-conflict",
                "kubernetes/infrastructure/gateway/lan-gw.yaml",
                35,
                None,
            ),
            (
                "gateway-address-unsupported",
                "kubernetes/infrastructure/gateway/home-gw.yaml",
                45,
                None,
            ),
            (
                "gateway-class-not-found",
                "kubernetes/infrastructure/gateway/mqtt-gw.yaml",
                7,
                None,
            ),
            (
                "listener-hostname-invalid",
                "kubernetes/infrastructure/gateway/mqtt-gw.yaml",
                12,
                None,
            ),
            (
                "gateway-api-version-unserved",
                "kubernetes/apps/media/jellyfin/backendtlspolicy.yaml",
                5,
                None,
            ),
            (
                "secret-plain-text",
                "kubernetes/apps/media/jellyfin/api-key-secret.yaml",
                8,
                None,
            ),
            (
                "duplicate-object",
                "kubernetes/apps/monitoring/uptime-kuma/configmap.yaml",
                5,
                None,
            ),
            (
                "gateway-api-bundle-too-old",
                "kubernetes/infrastructure/gateway-api/kustomization.yaml",
                5,
                None,
            ),
            (
                "service-selects-no-pods",
                "kubernetes/apps/overlays/home/esphome.yaml",
                30,
                None,
            ),
            (
                "service-target-port-not-found",
                "kubernetes/apps/overlays/home/uptime-kuma.yaml",
                31,
                None,
            ),
            (
                "service-app-protocol-mismatch",
                "kubernetes/apps/overlays/home/zitadel.yaml",
                50,
                None,
            ),
        ],
        // Backends in `monitoring`, where a HelmRelease deploys a chart.
        &[
            ("kubernetes/apps/monitoring/alertmanager-listener.yaml", 45),
            ("kubernetes/apps/monitoring/grafana/httproute.yaml", 14),
            ("kubernetes/apps/monitoring/prometheus-route.yaml", 14),
        ],
    );
}

/// The mix has one defect of every rule, says which file nothing deploys, and counts what it
/// does not lint.
#[test]
fn homelab_mix_covers_every_rule_and_counts_what_is_not_linted() {
    let root = "fixtures/repos/homelab-mix";
    let json = json_of(&cilint(&["--format", "json", root]));
    let rules: BTreeSet<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    // listener-protocol-unsupported needs Cilium before 1.20, gateway-api-bundle-too-old
    // Cilium 1.20: one cluster runs one release, and the mix runs 1.20. homelab-operators
    // (Cilium 1.16.5) holds the other's defects.
    let all: BTreeSet<&str> = cilint::rules::RULES
        .iter()
        .map(|r| r.meta.id)
        .filter(|id| *id != "listener-protocol-unsupported")
        .collect();
    assert_eq!(rules, all, "one real defect of each rule");
    assert_eq!(
        undeployed(&json, root),
        [(
            "backend-not-found".to_string(),
            "archive/whoami-v1-route.yaml".to_string(),
            16,
            "warning".to_string()
        )]
    );
    // Talos (4), kind, kubeadm and kubelet (3), EncryptionConfiguration, kubeconfig, talconfig.
    assert_eq!(summary(&json, "not_objects"), 11, "{json:#}");
    // cookiecutter.json and the two files of the cookiecutter template.
    assert_eq!(summary(&json, "templates"), 3, "{json:#}");
    // values.yaml, two dashboards, kustomizeconfig.yaml, the port patch.
    assert_eq!(summary(&json, "data_files"), 5, "{json:#}");
}

/// Remote kustomize resources (Argo CD's `cluster-install` base, cert-manager's release
/// manifest), an ApplicationSet `git.files` generator, a `clusters` generator and a
/// `templatePatch` adding Helm: each unverifiable reference names what may create it.
#[test]
fn argocd_remote() {
    check_repo(
        "argocd-remote",
        &[
            ("backend-not-found", "apps/shop/httproute.yaml", 21, None),
            (
                "route-parent-not-found",
                "infra/argocd/httproute.yaml",
                8,
                None,
            ),
            (
                "route-parent-not-found",
                "apps/media/sonarr/httproute.yaml",
                8,
                None,
            ),
            ("backend-not-found", "apps/books/httproute.yaml", 15, None),
        ],
        &[
            ("infra/argocd/httproute.yaml", 13),
            ("infra/cert-manager/route.yaml", 13),
            ("apps/monitoring/httproute.yaml", 13),
            ("apps/tools/httproute.yaml", 13),
            ("apps/media/jellyfin/httproute.yaml", 14),
            ("apps/media/sonarr/httproute.yaml", 13),
            ("apps/edge/blocky/httproute.yaml", 13),
        ],
    );
    let shown =
        String::from_utf8(cilint(&["--show-unverified", "fixtures/repos/argocd-remote"]).stdout)
            .unwrap();
    for reason in [
        "namespace argocd receives the remote kustomize resource https://github.com/argoproj/argo-cd//manifests/cluster-install?ref=v2.13.0",
        "namespace cert-manager receives the remote kustomize resource https://github.com/cert-manager/cert-manager/releases/download/v1.16.1/cert-manager.yaml",
        "namespace monitoring receives Helm chart grafana (ApplicationSet argocd/addons)",
        "namespace tools receives a Helm chart (ApplicationSet argocd/tools)",
        "namespace jellyfin receives Helm chart app-template (ApplicationSet argocd/media)",
        "namespace sonarr receives Helm chart app-template (ApplicationSet argocd/media)",
        "namespace blocky receives Helm chart blocky (ApplicationSet argocd/edge)",
    ] {
        assert!(shown.contains(reason), "{reason}\n{shown}");
    }
    let json = json_of(&cilint(&[
        "--format",
        "json",
        "fixtures/repos/argocd-remote",
    ]));
    let shop: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "backend-not-found" && f["object"]["name"] == "shop")
        .collect();
    assert_eq!(shop.len(), 1);
    assert_eq!(
        shop[0]["object"]["namespace"], "shop",
        "placed by the git.files generator: {json:#}"
    );
}

#[test]
fn homelab_operators() {
    check_repo(
        "homelab-operators",
        &[
            (
                "backend-not-found",
                "kubernetes/apps/auth/keycloak/httproute.yaml",
                31,
                None,
            ),
            (
                "route-parent-not-found",
                "kubernetes/apps/kube-system/hubble/httproute.yaml",
                8,
                None,
            ),
            (
                "backend-not-found",
                "kubernetes/apps/monitoring/grafana/httproute.yaml",
                31,
                None,
            ),
            // `vmsingle-<name>` for a VMSingle that is not there.
            (
                "backend-not-found",
                "kubernetes/apps/monitoring/victoria-metrics/httproute.yaml",
                31,
                None,
            ),
            // The RedisFailover `redis` prefixes it, but Spotahome names nothing `redis-…`.
            (
                "backend-not-found",
                "kubernetes/apps/nextcloud/nextcloud/httproute.yaml",
                32,
                None,
            ),
            // `rf…-<name>` for a RedisFailover that is not there.
            (
                "backend-not-found",
                "kubernetes/apps/nextcloud/nextcloud/tcproute.yaml",
                43,
                None,
            ),
            // Zalando makes `<cluster>` and `<cluster>-repl`, no `-primary`.
            (
                "backend-not-found",
                "kubernetes/apps/paperless/paperless/tcproute.yaml",
                28,
                None,
            ),
        ]
        .into_iter()
        // The chart is Cilium 1.16.5, which programs none of the Gateway's TCP listeners.
        .chain([19, 27, 35, 43, 51, 59].map(|line| {
            (
                "listener-protocol-unsupported",
                "kubernetes/apps/network/gateway/gateway.yaml",
                line,
                None,
            )
        }))
        .collect::<Vec<_>>(),
        &[
            ("kubernetes/apps/kube-system/hubble/httproute.yaml", 14),
            ("kubernetes/apps/nextcloud/nextcloud/deployment.yaml", 31),
            ("kubernetes/apps/nextcloud/nextcloud/tcproute.yaml", 13),
            ("kubernetes/apps/paperless/paperless/deployment.yaml", 29),
            ("kubernetes/apps/storage/minio/httproute.yaml", 14),
        ],
    );
}

/// Operator-made objects are found and named as such; an unknown custom resource and a chart
/// make names unverifiable, and `--show-unverified` says which one.
#[test]
fn homelab_operators_name_who_makes_what() {
    let root = "fixtures/repos/homelab-operators";
    let json = json_of(&cilint(&["--format", "json", "--show-unverified", root]));
    let reasons: BTreeSet<(String, String)> = json["unverified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["reference"].as_str().unwrap().to_string(),
                u["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = [
        (
            "Service kube-system/hubble-ui",
            "namespace kube-system receives Helm chart cilium (HelmRelease kube-system/cilium)",
        ),
        (
            "Secret nextcloud/nextcloud-db",
            "MariaDB nextcloud/mariadb names it in its spec: its operator may make it",
        ),
        (
            "Secret paperless/paperless.acid-paperless.credentials.postgresql.acid.zalan.do",
            "the Zalando postgres operator makes it for postgresql paperless/acid-paperless only \
             with some settings of the resource or some versions of the operator",
        ),
        (
            "Service nextcloud/mariadb-primary",
            "the MariaDB operator makes it for MariaDB nextcloud/mariadb only with some settings \
             of the resource or some versions of the operator",
        ),
        (
            "Service storage/home-console",
            "it may be created by the controller of Tenant storage/home",
        ),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(reasons, want, "{json:#}");
    let typo = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("sso-services"))
        .unwrap();
    assert_eq!(
        typo["related"][0]["message"],
        "Service `sso-service` is made by the Keycloak operator for Keycloak auth/sso"
    );
    // Points at the Keycloak resource that makes it.
    assert!(
        typo["related"][0]["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with("auth/keycloak/keycloak.yaml"),
        "{typo:#}"
    );
    // The Zalando cluster's replica Service is found, made by the operator for the cluster.
    let primary = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .contains("acid-paperless-primary")
        })
        .unwrap();
    assert_eq!(
        primary["related"][0]["message"],
        "Service `acid-paperless-repl` is made by the Zalando postgres operator for postgresql \
         paperless/acid-paperless"
    );
}

/// Terraform bootstraps the cluster (Cilium and cert-manager charts, the LB pool, the L2 policy,
/// the wildcard TLS Secret) and Flux runs the rest: what Terraform creates is found, at its place
/// in the .tf file; what it deploys excuses only what its charts make where they land.
#[test]
fn terraform_bootstrap() {
    check_repo(
        "terraform-bootstrap",
        &[
            // The Secret exists, made by Terraform, in network: not in edge.
            (
                "tls-secret-not-found",
                "kubernetes/apps/edge/gateway/gateway.yaml",
                18,
                None,
            ),
            // The Cilium chart in kube-system makes Services, not Gateways.
            (
                "route-parent-not-found",
                "kubernetes/apps/kube-system/hubble/httproute.yaml",
                9,
                None,
            ),
            // The chart of unknown namespace excuses only the names it prefixes.
            (
                "backend-not-found",
                "kubernetes/apps/monitoring/dashboards/httproute.yaml",
                32,
                None,
            ),
            // The L2 policy Terraform declares is linted like any other.
            (
                "service-not-advertised",
                "kubernetes/apps/network/gateway/dns.yaml",
                6,
                None,
            ),
        ],
        &[
            ("kubernetes/apps/kube-system/hubble/httproute.yaml", 15),
            ("kubernetes/apps/monitoring/dashboards/httproute.yaml", 16),
            // The pods of Service dns: the chart Terraform deploys may run them.
            ("kubernetes/apps/network/gateway/dns.yaml", 10),
            ("kubernetes/apps/network/gateway/gateway.yaml", 32),
        ],
    );
}

/// The reasons name the Terraform resource, and objects made by Terraform are pointed at where
/// the .tf file writes them; everything is deployed (Terraform applies it).
#[test]
fn terraform_bootstrap_reasons_and_locations() {
    let root = "fixtures/repos/terraform-bootstrap";
    let json = json_of(&cilint(&["--format", "json", "--show-unverified", root]));
    let reasons: Vec<String> = json["unverified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            u["reason"]
                .as_str()
                .unwrap()
                .replace(&format!("{root}/"), "")
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "namespace kube-system receives Helm chart cilium (helm_release.cilium in \
             terraform/main.tf)",
            "Helm chart kube-prometheus-stack (helm_release.monitoring in terraform/main.tf) is \
             deployed into namespace ${var.monitoring_namespace}, which may be monitoring",
            // The pods of Service network/dns: that chart may run them too.
            "Helm chart kube-prometheus-stack (helm_release.monitoring in terraform/main.tf) is \
             deployed into namespace ${var.monitoring_namespace}, which may be network",
            "Secret network/${var.cluster}-tls may be it once ${var.cluster} is substituted",
        ],
        "{json:#}"
    );
    assert_eq!(undeployed(&json, root), [], "{json:#}");
    let related = |rule: &str| -> Vec<(String, u64, u64)> {
        let f = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap();
        f["related"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let l = &r["location"];
                (
                    relative(l["file"].as_str().unwrap(), root).to_string(),
                    l["line"].as_u64().unwrap(),
                    l["column"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    // `name = "wildcard-tls"` of the kubernetes_secret_v1, in the namespace its
    // `kubernetes_namespace_v1.network.metadata[0].name` evaluates to.
    assert_eq!(
        related("tls-secret-not-found")[0],
        ("terraform/main.tf".to_string(), 84, 17)
    );
    // The L2 policy's selector, inside the kubectl_manifest heredoc.
    assert_eq!(
        related("service-not-advertised")[0],
        ("terraform/main.tf".to_string(), 66, 9)
    );
}

const APP_TEMPLATE: &str = "fixtures/repos/flux-app-template";

#[test]
fn flux_app_template() {
    let at = |app: &str| format!("kubernetes/apps/{app}/app/helmrelease.yaml");
    let homepage = at("default/homepage");
    let miniflux = at("default/miniflux");
    let home_assistant = at("home-automation/home-assistant");
    let zigbee = at("home-automation/zigbee2mqtt");
    let zwave = at("home-automation/zwave-js-ui");
    let plex = at("media/plex");
    let radarr = at("media/radarr");
    let gatus = at("observability/gatus");
    let paperless = at("default/paperless");
    let searxng = at("default/searxng");
    let tautulli = at("media/tautulli");
    check_repo(
        "flux-app-template",
        &[
            // Rendered from HelmRelease values, each at the value that produced the field.
            ("backend-port-mismatch", &homepage, 47, None),
            ("chart-render-failed", &miniflux, 48, None),
            ("route-parent-not-found", &home_assistant, 58, None),
            ("route-listener-not-found", &zigbee, 43, None),
            ("chart-render-failed", &zwave, 37, None),
            ("service-not-advertised", &plex, 49, None),
            ("backend-not-found", &radarr, 64, None),
            ("route-hostname-mismatch", &gatus, 48, None),
            ("reference-not-permitted", &paperless, 60, None),
            ("backend-kind-invalid", &searxng, 53, None),
            ("route-not-allowed", &tautulli, 48, None),
            // A plain route to a name no release in `media` renders: only app-template
            // releases land there, so the miss is definite.
            (
                "backend-not-found",
                "kubernetes/apps/media/sonarr/app/httproute.yaml",
                21,
                None,
            ),
        ],
        // The Grafana chart may make any Service in `observability`.
        &[(
            "kubernetes/apps/observability/grafana/app/httproute.yaml",
            15,
        )],
    );
}

/// A finding about a rendered object names it, and relates the HelmRelease that renders it.
#[test]
fn flux_app_template_findings_name_the_rendered_object_and_its_release() {
    let json = json_of(&cilint(&["--format", "json", APP_TEMPLATE]));
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "route-listener-not-found")
        .unwrap();
    assert_eq!(f["object"]["kind"], "HTTPRoute");
    assert_eq!(f["object"]["namespace"], "home-automation");
    assert_eq!(f["object"]["name"], "zigbee2mqtt");
    let related: Vec<&str> = f["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert!(
        related.contains(
            &"HTTPRoute home-automation/zigbee2mqtt is rendered by app-template 4.6.2 from `route.app` of HelmRelease home-automation/zigbee2mqtt"
        ),
        "{related:?}"
    );
    let failed = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "chart-render-failed")
        .unwrap();
    assert_eq!(failed["object"]["kind"], "HelmRelease");
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .ends_with("parentRef namespace is required for HTTPRoute miniflux"),
        "{failed:#}"
    );
}

/// `cilint render` lists every rendered object at the values it comes from: names, namespaces,
/// ports, parentRefs, backends, the 3.x release, the render failures.
#[test]
fn flux_app_template_render() {
    let out = cilint(&["render", APP_TEMPLATE]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.ends_with("34 objects rendered from the values of 18 app-template releases\n"));
    insta::assert_snapshot!("flux-app-template-render", text);
}
