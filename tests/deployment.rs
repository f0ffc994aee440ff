//! What is deployed, and what the findings say about it: directories under `clusters/` that
//! another cluster deploys are part of it, a file its kustomization does not list is not
//! deployed (and a reference to its objects says so), and findings in files no entry point
//! deploys are marked `deployed: false`. Each test writes a tiny repository and reads the JSON.

mod common;

use std::path::Path;
use std::process::Command;

use common::repo;
use serde_json::Value;

fn lint(dir: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cilint"))
        .args(["--format", "json", "."])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("cilint runs");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

/// `rule file:line [cluster] severity deployed`, sorted.
fn found(json: &Value) -> Vec<String> {
    let mut f: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}:{} [{}] {}{}",
                f["rule"].as_str().unwrap(),
                f["location"]["file"].as_str().unwrap(),
                f["location"]["line"],
                f["cluster"].as_str().unwrap_or("-"),
                f["severity"].as_str().unwrap(),
                if f["deployed"] == false {
                    " not-deployed"
                } else {
                    ""
                }
            )
        })
        .collect();
    f.sort();
    f
}

fn kustomization(body: &str) -> String {
    format!("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n{body}")
}

fn flux_ks(name: &str, path: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  \
         name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: {path}\n  \
         prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    )
}

/// A route in `shop` whose only backend, `api`, must exist.
const ROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  \
    name: web\n  namespace: shop\nspec:\n  rules:\n  - backendRefs:\n    - name: api\n      \
    port: 80\n";

const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  \
    namespace: shop\nspec:\n  ports:\n  - port: 80\n";

#[test]
fn a_cluster_directory_another_cluster_deploys_is_part_of_it() {
    // `clusters/mgmt` deploys `./clusters/edge` (say, through Cluster API): edge is part of
    // mgmt, and with one cluster left the repository is one world.
    let dir = repo(&[
        (
            "clusters/mgmt/sync.yaml",
            &flux_ks("flux-system", "./clusters/mgmt"),
        ),
        (
            "clusters/mgmt/edge.yaml",
            &flux_ks("edge", "./clusters/edge"),
        ),
        (
            "clusters/edge/sync.yaml",
            &flux_ks("flux-system", "./clusters/edge"),
        ),
        ("clusters/edge/route.yaml", ROUTE),
    ]);
    let json = lint(dir.path());
    assert_eq!(
        found(&json),
        ["backend-not-found clusters/edge/route.yaml:9 [-] error"]
    );

    // Two clusters that deploy each other are one cluster too.
    let dir = repo(&[
        (
            "clusters/a/sync.yaml",
            &flux_ks("flux-system", "./clusters/b"),
        ),
        (
            "clusters/b/sync.yaml",
            &flux_ks("flux-system", "./clusters/a"),
        ),
        ("clusters/b/route.yaml", ROUTE),
    ]);
    assert_eq!(
        found(&lint(dir.path())),
        ["backend-not-found clusters/b/route.yaml:9 [-] error"]
    );

    // An Argo CD Application's path counts as well; a third cluster deployed by no one stays.
    let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shared\n  \
               namespace: argocd\nspec:\n  source:\n    repoURL: https://git.example.com/ops.git\n    \
               path: clusters/shared\n  destination:\n    namespace: shop\n";
    let dir = repo(&[
        ("clusters/home/app.yaml", app),
        ("clusters/lab/app.yaml", app),
        ("clusters/shared/sync.yaml", &flux_ks("shared", "./apps")),
        ("clusters/shared/route.yaml", ROUTE),
    ]);
    assert_eq!(
        found(&lint(dir.path())),
        [
            "backend-not-found clusters/shared/route.yaml:9 [home] error",
            "backend-not-found clusters/shared/route.yaml:9 [lab] error"
        ]
    );
}

#[test]
fn an_entry_point_outside_the_clusters_deploys_what_it_names() {
    // Two clusters, and an Argo CD Application outside them: what it deploys is deployed.
    let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: extra\n  \
               namespace: argocd\nspec:\n  source:\n    repoURL: https://git.example.com/ops.git\n    \
               path: extra\n  destination:\n    namespace: shop\n";
    let dir = repo(&[
        (
            "clusters/home/sync.yaml",
            &flux_ks("flux-system", "./clusters/home"),
        ),
        (
            "clusters/lab/sync.yaml",
            &flux_ks("flux-system", "./clusters/lab"),
        ),
        ("bootstrap/extra.yaml", app),
        ("extra/route.yaml", ROUTE),
        ("stray/route.yaml", ROUTE),
    ]);
    assert_eq!(
        found(&lint(dir.path())),
        [
            "backend-not-found extra/route.yaml:9 [-] error",
            "backend-not-found stray/route.yaml:9 [-] warning not-deployed"
        ]
    );
}

#[test]
fn a_file_the_kustomization_does_not_list_satisfies_nothing() {
    let dir = repo(&[
        (
            "app/kustomization.yaml",
            &kustomization("resources:\n- route.yaml\n"),
        ),
        ("app/route.yaml", ROUTE),
        ("app/service.yaml", SERVICE),
    ]);
    let json = lint(dir.path());
    assert_eq!(
        found(&json),
        ["backend-not-found app/route.yaml:9 [-] error"]
    );
    let f = &json["findings"][0];
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .ends_with(": Service api is in service.yaml, which kustomization.yaml does not list"),
        "{f:#}"
    );
    assert_eq!(f["related"][0]["location"]["file"], "app/service.yaml");
    assert_eq!(f["related"][0]["location"]["line"], 4);

    // Listed, it resolves.
    let dir = repo(&[
        (
            "app/kustomization.yaml",
            &kustomization("resources:\n- route.yaml\n- service.yaml\n"),
        ),
        ("app/route.yaml", ROUTE),
        ("app/service.yaml", SERVICE),
    ]);
    assert_eq!(found(&lint(dir.path())), Vec::<String>::new());
}

#[test]
fn a_kustomization_with_plugins_may_read_any_file_beside_it() {
    // ksops decrypts `service.enc.yaml` through its generator: not listed, yet deployed.
    let generator = "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: secrets\n  \
                     annotations:\n    config.kubernetes.io/function: |\n        exec:\n          \
                     path: ksops\nfiles:\n- ./service.enc.yaml\n";
    let dir = repo(&[
        (
            "app/kustomization.yaml",
            &kustomization("resources:\n- route.yaml\ngenerators:\n- ./secret-generator.yaml\n"),
        ),
        ("app/route.yaml", ROUTE),
        ("app/secret-generator.yaml", generator),
        ("app/service.enc.yaml", SERVICE),
    ]);
    assert_eq!(found(&lint(dir.path())), Vec::<String>::new());
}

#[test]
fn a_file_left_out_keeps_its_syntax_error_and_drops_its_suppressions() {
    let dir = repo(&[
        (
            "app/kustomization.yaml",
            &kustomization("resources:\n- service.yaml\n"),
        ),
        ("app/service.yaml", SERVICE),
        (
            "app/broken.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: [\n",
        ),
        (
            "app/old.yaml",
            &format!("# cilint-ignore backend-not-found -- moved\n{ROUTE}"),
        ),
    ]);
    assert_eq!(
        found(&lint(dir.path())),
        ["yaml-syntax app/broken.yaml:3 [-] warning not-deployed"]
    );
}

/// A file nothing deploys that does not parse and never writes `apiVersion` is not a manifest
/// (a tool's JSON output left in the tree, a CI workflow): it draws nothing. A broken manifest
/// nothing deploys is still reported, as a warning; one an entry point deploys, as an error.
#[test]
fn a_broken_file_nothing_deploys_is_reported_only_if_it_is_a_manifest() {
    let dir = repo(&[
        (
            "app/kustomization.yaml",
            &kustomization("resources:\n- service.yaml\n- config.yaml\n"),
        ),
        ("app/service.yaml", SERVICE),
        (
            "app/config.yaml",
            "apiVersion: v1\nkind: ConfigMap\ndata: {a: [\n",
        ),
        (
            "tools/gpu-report.json",
            "{\"gpus\": 2}\nERROR: init 250 result=11\n",
        ),
        (".github/workflows/ci.yaml", "on: [push\njobs: {}\n"),
        (
            "old/gateway.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: [\n",
        ),
    ]);
    assert_eq!(
        found(&lint(dir.path())),
        [
            "yaml-syntax app/config.yaml:3 [-] error",
            "yaml-syntax old/gateway.yaml:3 [-] warning not-deployed"
        ]
    );
}

#[test]
fn scripts_and_docs_are_never_undeployed() {
    // A repository with a kustomization, and a script outside it that labels a Service that
    // does not exist: the command acts on the cluster whoever runs it.
    let dir = repo(&[
        (
            "app/kustomization.yaml",
            &kustomization("resources:\n- service.yaml\n"),
        ),
        ("app/service.yaml", SERVICE),
        (
            "scripts/announce.sh",
            "#!/bin/sh\nkubectl label -n shop service/cilium-gateway-web announce=l2\n",
        ),
    ]);
    assert_eq!(
        found(&lint(dir.path())),
        ["label-command-unknown-gateway scripts/announce.sh:2 [-] error"]
    );
}

#[test]
fn a_folder_of_manifests_without_entry_points_is_all_deployed() {
    let dir = repo(&[("manifests/route.yaml", ROUTE), ("old/route.yaml", ROUTE)]);
    assert_eq!(
        found(&lint(dir.path())),
        [
            "backend-not-found manifests/route.yaml:9 [-] error",
            "backend-not-found old/route.yaml:9 [-] error"
        ]
    );
}

#[test]
fn an_object_without_kind_explains_the_reference_to_it() {
    let kindless = "apiVersion: v1\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  ports:\n  \
                    - port: 80\n";
    let dir = repo(&[("route.yaml", ROUTE), ("service.yaml", kindless)]);
    let json = lint(dir.path());
    assert_eq!(
        found(&json),
        [
            "backend-not-found route.yaml:9 [-] error",
            "invalid-object service.yaml:1 [-] error"
        ]
    );
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "backend-not-found")
        .unwrap();
    assert!(
        f["message"].as_str().unwrap().ends_with(
            ": the object named `api` in namespace shop has no `kind`, so kubectl refuses it \
             (invalid-object)"
        ),
        "{f:#}"
    );
    assert_eq!(f["help"], "add `kind: Service` to the object named `api`");
    assert_eq!(f["related"][0]["location"]["file"], "service.yaml");
}

#[test]
fn a_reference_into_a_file_that_does_not_parse_is_unverified() {
    // The Service is written after a syntax error: not loaded, but not missing either. The
    // syntax error is the one finding.
    let broken = format!(
        "{}---\n{}",
        SERVICE.replace("name: api", "name: web"),
        SERVICE.replace("ports:\n  - port: 80", "ports: [\n")
    );
    let dir = repo(&[("route.yaml", ROUTE), ("services.yaml", &broken)]);
    let json = lint(dir.path());
    assert_eq!(
        found(&json),
        ["yaml-syntax services.yaml:16 [-] error"],
        "{json:#}"
    );
    assert_eq!(json["summary"]["unverified"], 1);
    // A name not written in the broken part is still missing.
    let dir = repo(&[
        ("route.yaml", &ROUTE.replace("name: api", "name: other")),
        ("services.yaml", &broken),
    ]);
    assert_eq!(
        found(&lint(dir.path())),
        [
            "backend-not-found route.yaml:9 [-] error",
            "yaml-syntax services.yaml:16 [-] error"
        ]
    );
}
