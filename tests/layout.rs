//! Where objects really come from: one small pass/fail test per mechanism of kustomize, Flux and
//! Argo CD placement, the open world (Helm charts, placeholders, controllers that make Secrets),
//! several clusters in one repository, and the Cilium-only rules. Each test writes a tiny
//! repository into a temporary directory and reads the JSON report.
//!
//! Placement is observed through a *probe*: an HTTPRoute without a namespace whose only backend
//! does not exist. Its `backend-not-found` finding names the route as placed (`object.namespace`,
//! `object.name`).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use common::{repo, write};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Harness

struct Run {
    json: Value,
    code: Option<i32>,
}

/// `cilint --format json [extra…] .` inside `dir`.
fn lint(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    args.push(".");
    let out: Output = Command::new(env!("CARGO_BIN_EXE_cilint"))
        .args(&args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("cilint runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Run {
        json,
        code: out.status.code(),
    }
}

impl Run {
    fn findings(&self) -> &Vec<Value> {
        self.json["findings"].as_array().expect("findings")
    }

    /// `rule file:line`, sorted.
    fn found(&self) -> Vec<String> {
        let mut f: Vec<String> = self
            .findings()
            .iter()
            .map(|f| {
                format!(
                    "{} {}:{}",
                    f["rule"].as_str().unwrap(),
                    f["location"]["file"].as_str().unwrap(),
                    f["location"]["line"]
                )
            })
            .collect();
        f.sort();
        f
    }

    fn rules(&self) -> BTreeSet<String> {
        self.findings()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    }

    /// `namespace/name` of the objects of this rule's findings, with the cluster when set.
    fn objects(&self, rule: &str) -> Vec<String> {
        let mut o: Vec<String> = self
            .findings()
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| {
                let ns = f["object"]["namespace"].as_str().unwrap_or("-");
                let name = f["object"]["name"].as_str().unwrap_or("-");
                match f["cluster"].as_str() {
                    Some(c) => format!("{c}: {ns}/{name}"),
                    None => format!("{ns}/{name}"),
                }
            })
            .collect();
        o.sort();
        o
    }

    /// Where the probes landed.
    fn probes(&self) -> Vec<String> {
        self.objects("backend-not-found")
    }

    fn summary(&self, key: &str) -> u64 {
        self.json["summary"][key]
            .as_u64()
            .unwrap_or_else(|| panic!("summary.{key}: {:#}", self.json))
    }

    fn unverified(&self) -> Vec<Value> {
        self.json["unverified"]
            .as_array()
            .unwrap_or_else(|| panic!("no unverified list: {:#}", self.json))
            .clone()
    }

    fn assert_clean(&self) {
        assert_eq!(self.found(), Vec::<String>::new(), "{:#}", self.json);
        assert_eq!(self.code, Some(0), "{:#}", self.json);
    }
}

/// An HTTPRoute without a namespace whose backend does not exist.
fn probe(name: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: {name}\n\
         spec:\n  rules:\n  - backendRefs:\n    - name: probe-missing\n      port: 80\n"
    )
}

/// The same, with an explicit namespace.
fn probe_in(name: &str, namespace: &str) -> String {
    probe(name).replacen(
        &format!("  name: {name}\n"),
        &format!("  name: {name}\n  namespace: {namespace}\n"),
        1,
    )
}

/// A route in `namespace` (or none) with one backend `backend` port 80 and no parent.
fn route_to(name: &str, namespace: Option<&str>, backend: &str) -> String {
    let ns = namespace
        .map(|n| format!("  namespace: {n}\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: {name}\n{ns}\
         spec:\n  rules:\n  - backendRefs:\n    - name: {backend}\n      port: 80\n"
    )
}

fn service(name: &str, namespace: Option<&str>) -> String {
    let ns = namespace
        .map(|n| format!("  namespace: {n}\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n{ns}spec:\n  \
         selector: {{app: {name}}}\n  ports:\n  - name: http\n    port: 80\n"
    )
}

/// A Cilium Gateway `web` with an HTTP listener that admits routes from every namespace.
fn gateway(namespace: Option<&str>) -> String {
    let ns = namespace
        .map(|n| format!("  namespace: {n}\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: web\n{ns}\
         spec:\n  gatewayClassName: cilium\n  listeners:\n  - name: http\n    protocol: HTTP\n    \
         port: 80\n    allowedRoutes:\n      namespaces:\n        from: All\n"
    )
}

/// A route in `namespace` attached to Gateway `web` in `gw_namespace`.
fn attached_route(name: &str, namespace: &str, gw_namespace: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: {name}\n  \
         namespace: {namespace}\nspec:\n  parentRefs:\n  - name: web\n    namespace: {gw_namespace}\n"
    )
}

fn kustomization(body: &str) -> String {
    format!("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n{body}")
}

/// A Flux Kustomization in flux-system. `extra` is appended under `spec:` (two-space indent).
fn flux_ks(name: &str, path: &str, extra: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  \
         namespace: flux-system\nspec:\n  interval: 10m\n  path: {path}\n  prune: true\n  \
         sourceRef:\n    kind: GitRepository\n    name: flux-system\n{extra}"
    )
}

/// A Flux entry point for `clusters/<name>`, as `flux bootstrap` writes it.
fn gotk_sync(cluster: &str) -> String {
    format!(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  \
         namespace: flux-system\nspec:\n  interval: 1m\n  ref: {{branch: main}}\n  \
         url: ssh://git@example.com/ops\n---\n{}",
        flux_ks("flux-system", &format!("./clusters/{cluster}"), "")
    )
}

fn argo_app(name: &str, source: &str, namespace: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  \
         namespace: argocd\nspec:\n  project: default\n  source:\n{source}  destination:\n    \
         server: https://kubernetes.default.svc\n    namespace: {namespace}\n"
    )
}

fn git_source(path: &str) -> String {
    format!(
        "    repoURL: https://git.example.com/ops.git\n    targetRevision: HEAD\n    path: {path}\n"
    )
}

// ---------------------------------------------------------------------------------------------
// kustomize

#[test]
fn kustomize_namespace_places_what_it_includes() {
    // Through a file and a directory, recursively; an explicit metadata.namespace is overridden
    // too, as kustomize's namespace transformer does.
    let dir = repo(&[
        (
            "shop/kustomization.yaml",
            &kustomization("namespace: shop\nresources:\n- probe.yaml\n- nested\n"),
        ),
        ("shop/probe.yaml", &probe("direct")),
        (
            "shop/nested/kustomization.yaml",
            &kustomization("resources:\n- probe.yaml\n- explicit.yaml\n"),
        ),
        ("shop/nested/probe.yaml", &probe("nested")),
        ("shop/nested/explicit.yaml", &probe_in("explicit", "other")),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        run.probes(),
        ["shop/direct", "shop/explicit", "shop/nested"],
        "{:#}",
        run.json
    );
}

#[test]
fn kustomize_namespace_resolves_references() {
    let tree = |ns: &str| {
        repo(&[
            (
                "infra/kustomization.yaml",
                &kustomization(&format!("namespace: {ns}\nresources:\n- gateway.yaml\n")),
            ),
            ("infra/gateway.yaml", &gateway(None)),
            ("apps/route.yaml", &attached_route("shop", "shop", "infra")),
        ])
    };
    lint(tree("infra").path(), &[]).assert_clean();
    let fail = lint(tree("edge").path(), &[]);
    assert_eq!(fail.found(), ["route-parent-not-found apps/route.yaml:8"]);
}

#[test]
fn outer_overlay_namespace_overrides_the_base() {
    let dir = repo(&[
        (
            "base/kustomization.yaml",
            &kustomization("namespace: base-ns\nresources:\n- probe.yaml\n"),
        ),
        ("base/probe.yaml", &probe("probe")),
        (
            "overlays/prod/kustomization.yaml",
            &kustomization("namespace: prod\nresources:\n- ../../base\n"),
        ),
    ]);
    let run = lint(dir.path(), &[]);
    // Only where the overlay deploys it: the base is part of the overlay, not a root of its own.
    assert_eq!(run.probes(), ["prod/probe"], "{:#}", run.json);

    // Without an overlay namespace, the base's own applies.
    let dir = repo(&[
        (
            "base/kustomization.yaml",
            &kustomization("namespace: base-ns\nresources:\n- probe.yaml\n"),
        ),
        ("base/probe.yaml", &probe("probe")),
        (
            "overlays/prod/kustomization.yaml",
            &kustomization("resources:\n- ../../base\n"),
        ),
    ]);
    assert_eq!(lint(dir.path(), &[]).probes(), ["base-ns/probe"]);
}

#[test]
fn name_prefix_and_suffix_rename_what_they_include() {
    // kustomize renames the objects, not the names inside HTTPRoute backendRefs: a route must
    // name the deployed Service, shop-api-v2.
    let dir = repo(&[
        (
            "shop/kustomization.yaml",
            &kustomization(
                "namespace: shop\nnamePrefix: shop-\nnameSuffix: -v2\nresources:\n- api.yaml\n\
                 - good.yaml\n- bad.yaml\n",
            ),
        ),
        ("shop/api.yaml", &service("api", None)),
        ("shop/good.yaml", &route_to("good", None, "shop-api-v2")),
        ("shop/bad.yaml", &route_to("bad", None, "api")),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        run.found(),
        ["backend-not-found shop/bad.yaml:8"],
        "{:#}",
        run.json
    );
    assert_eq!(run.objects("backend-not-found"), ["shop/shop-bad-v2"]);
}

#[test]
fn secret_generator_creates_the_secret() {
    let tree = |generated: &str| {
        repo(&[
            (
                "infra/kustomization.yaml",
                &kustomization(&format!(
                    "namespace: infra\nresources:\n- gateway.yaml\nsecretGenerator:\n\
                     - name: {generated}\n  type: kubernetes.io/tls\n  files:\n  \
                     - tls.crt=certs/tls.crt\n  - tls.key=certs/tls.key\n  options:\n    \
                     disableNameSuffixHash: true\n"
                )),
            ),
            (
                "infra/gateway.yaml",
                "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: web\n\
                 spec:\n  gatewayClassName: cilium\n  listeners:\n  - name: https\n    \
                 protocol: HTTPS\n    port: 443\n    tls:\n      certificateRefs:\n      \
                 - name: web-tls\n",
            ),
            ("infra/certs/tls.crt", "placeholder\n"),
            ("infra/certs/tls.key", "placeholder\n"),
        ])
    };
    lint(tree("web-tls").path(), &["--strict"]).assert_clean();
    let fail = lint(tree("web-cert").path(), &[]);
    assert_eq!(fail.found(), ["tls-secret-not-found infra/gateway.yaml:13"]);
    assert_eq!(fail.objects("tls-secret-not-found"), ["infra/web"]);
}

#[test]
fn config_map_generator_feeds_flux_substitute_from() {
    // The ConfigMap a kustomize generator makes is a substituteFrom source like any other.
    let tree = |value: &str| {
        repo(&[
            (
                "flux/vars/kustomization.yaml",
                &kustomization(&format!(
                    "namespace: flux-system\nconfigMapGenerator:\n- name: cluster-settings\n  \
                     literals:\n  - BACKEND={value}\n  options:\n    disableNameSuffixHash: true\n"
                )),
            ),
            (
                "flux/apps.yaml",
                &flux_ks(
                    "shop",
                    "./apps/shop",
                    "  targetNamespace: shop\n  postBuild:\n    substituteFrom:\n    \
                     - kind: ConfigMap\n      name: cluster-settings\n",
                ),
            ),
            ("apps/shop/api.yaml", &service("api", None)),
            ("apps/shop/route.yaml", &route_to("r", None, "${BACKEND}")),
        ])
    };
    lint(tree("api").path(), &["--strict"]).assert_clean();
    let fail = lint(tree("apx").path(), &[]);
    assert_eq!(fail.found(), ["backend-not-found apps/shop/route.yaml:8"]);
}

#[test]
fn patch_files_are_not_objects() {
    // A partial Gateway with no listeners and a partial HTTPRoute: as objects they would draw
    // findings; as patches they change what they patch. The route patch names a parent that
    // does not exist: reported once, at the patch's value.
    let gateway_patch = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  \
                         name: web\nspec:\n  infrastructure:\n    annotations:\n      \
                         lbipam.cilium.io/ips: 10.0.0.10\n";
    let route_patch = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  \
                       name: shop\nspec:\n  parentRefs:\n  - name: web-canary\n";
    let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  \
                 name: shop\nspec:\n  parentRefs:\n  - name: web\n    sectionName: http\n";
    let dir = repo(&[
        ("base/gateway.yaml", &gateway(None)),
        ("base/route.yaml", route),
        (
            "base/kustomization.yaml",
            &kustomization("resources:\n- gateway.yaml\n- route.yaml\n"),
        ),
        (
            "prod/kustomization.yaml",
            &kustomization(
                "namespace: prod\nresources:\n- ../base\npatches:\n- path: gateway-ip.yaml\n\
                 patchesStrategicMerge:\n- route-parent.yaml\n",
            ),
        ),
        ("prod/gateway-ip.yaml", gateway_patch),
        ("prod/route-parent.yaml", route_patch),
    ]);
    let patched = lint(dir.path(), &[]);
    assert_eq!(
        patched.found(),
        ["route-parent-not-found prod/route-parent.yaml:7"],
        "{:#}",
        patched.json
    );

    // The same file listed as a resource is an object, and draws its finding.
    let dir = repo(&[
        ("prod/gateway.yaml", &gateway(None)),
        (
            "prod/kustomization.yaml",
            &kustomization("namespace: prod\nresources:\n- gateway.yaml\n- route-parent.yaml\n"),
        ),
        ("prod/route-parent.yaml", route_patch),
    ]);
    let fail = lint(dir.path(), &[]);
    assert_eq!(
        fail.found(),
        ["route-parent-not-found prod/route-parent.yaml:7"],
        "{:#}",
        fail.json
    );
}

/// A kustomize Component (`kind: Component`).
fn component(body: &str) -> String {
    format!("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n{body}")
}

#[test]
fn components_exist_only_where_a_kustomization_includes_them() {
    let dir = repo(&[
        (
            "base/kustomization.yaml",
            &kustomization("resources:\n- web.yaml\n"),
        ),
        ("base/web.yaml", &service("web", None)),
        (
            "components/probe/kustomization.yaml",
            &component("resources:\n- probe.yaml\n"),
        ),
        ("components/probe/probe.yaml", &probe("probe")),
        // Included by nothing: a template, never linted on its own.
        (
            "components/unused/kustomization.yaml",
            &component("resources:\n- unused.yaml\n"),
        ),
        ("components/unused/unused.yaml", &probe("unused")),
        (
            "overlays/staging/kustomization.yaml",
            &kustomization(
                "namespace: staging\nresources:\n- ../../base\ncomponents:\n- ../../components/probe\n",
            ),
        ),
        (
            "overlays/production/kustomization.yaml",
            &kustomization(
                "namespace: production\nnamePrefix: prod-\nresources:\n- ../../base\n\
                 components:\n- ../../components/probe\n",
            ),
        ),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        run.probes(),
        ["production/prod-probe", "staging/probe"],
        "{:#}",
        run.json
    );
}

#[test]
fn component_patches_apply_to_what_the_kustomization_accumulated() {
    // The component's patch points the base route at the Service the component adds; kustomize
    // applies it to everything the including kustomization accumulated before the component.
    let tree = |components: &str| {
        repo(&[
            (
                "base/kustomization.yaml",
                &kustomization("resources:\n- route.yaml\n"),
            ),
            ("base/route.yaml", &route_to("shop", None, "shop-legacy")),
            (
                "components/canary/kustomization.yaml",
                &component(
                    "resources:\n- canary.yaml\npatches:\n- target: {kind: HTTPRoute, name: \
                     shop}\n  patch: |-\n    - op: replace\n      path: \
                     /spec/rules/0/backendRefs/0/name\n      value: shop-canary\n",
                ),
            ),
            (
                "components/canary/canary.yaml",
                &service("shop-canary", None),
            ),
            (
                "overlay/kustomization.yaml",
                &kustomization(&format!(
                    "namespace: shop\nresources:\n- ../base\n{components}"
                )),
            ),
        ])
    };
    lint(tree("components:\n- ../components/canary\n").path(), &[]).assert_clean();
    let without = lint(tree("").path(), &[]);
    assert_eq!(
        without.found(),
        ["backend-not-found base/route.yaml:8"],
        "{:#}",
        without.json
    );
}

#[test]
fn patch_targets_match_as_kustomize_selects_them() {
    // The base prefixes every name; an overlay's patch may name the route as written or as the
    // base left it, or select it by label; patchesJson6902 runs after the overlay's own prefix.
    let route = route_to("shop", None, "missing").replacen(
        "  name: shop\n",
        "  name: shop\n  labels: {tier: front}\n",
        1,
    );
    let fix = "- op: replace\n  path: /spec/rules/0/backendRefs/0/name\n  value: base-web\n";
    for patches in [
        "patches:\n- path: fix.yaml\n  target: {kind: HTTPRoute, name: shop}\n",
        "patches:\n- path: fix.yaml\n  target: {kind: HTTPRoute, name: base-shop}\n",
        "patches:\n- path: fix.yaml\n  target: {kind: HTTPRoute, name: 'base-.*'}\n",
        "patches:\n- path: fix.yaml\n  target: {labelSelector: 'tier in (front, back)'}\n",
        "patchesJson6902:\n- path: fix.yaml\n  target: {group: gateway.networking.k8s.io, \
         version: v1, kind: HTTPRoute, name: o-base-shop, namespace: shop}\n",
    ] {
        let dir = repo(&[
            (
                "base/kustomization.yaml",
                &kustomization("namePrefix: base-\nresources:\n- route.yaml\n- web.yaml\n"),
            ),
            ("base/route.yaml", &route),
            ("base/web.yaml", &service("web", None)),
            (
                "overlay/kustomization.yaml",
                &kustomization(&format!(
                    "namespace: shop\nnamePrefix: o-\nresources:\n- ../base\n{patches}"
                )),
            ),
            ("overlay/fix.yaml", fix),
        ]);
        // The route's backend becomes base-web, which the overlay renames o-base-web: kustomize
        // does not rewrite backendRefs, so the patched backend is reported, at the patch.
        let run = lint(dir.path(), &[]);
        assert_eq!(
            run.found(),
            ["backend-not-found overlay/fix.yaml:3"],
            "{patches}\n{:#}",
            run.json
        );
    }
}

#[test]
fn inline_strategic_merge_patches_are_reported_where_they_are_written() {
    let dir = repo(&[
        ("app/route.yaml", &route_to("shop", None, "web")),
        ("app/web.yaml", &service("web", None)),
        (
            "app/kustomization.yaml",
            &kustomization(
                "resources:\n- route.yaml\n- web.yaml\npatches:\n- patch: |-\n    apiVersion: \
                 gateway.networking.k8s.io/v1\n    kind: HTTPRoute\n    metadata:\n      name: \
                 shop\n    spec:\n      rules:\n      - backendRefs:\n        - name: web-v2\n          \
                 port: 80\n",
            ),
        ),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        run.found(),
        ["backend-not-found app/kustomization.yaml:15"],
        "{:#}",
        run.json
    );
    let f = &run.findings()[0];
    assert_eq!(f["location"]["column"], 17, "{f:#}");
}

#[test]
fn flux_substitutes_the_values_patches_set() {
    // Flux runs kustomize build, then substitutes: a `${VAR}` a patch writes is filled too.
    let tree = |substitute: &str| {
        repo(&[
            (
                "clusters/home/apps.yaml",
                &flux_ks("apps", "./apps/shop", substitute),
            ),
            ("apps/shop/route.yaml", &route_to("shop", None, "missing")),
            ("apps/shop/web.yaml", &service("web", None)),
            (
                "apps/shop/kustomization.yaml",
                &kustomization(
                    "namespace: shop\nresources:\n- route.yaml\n- web.yaml\npatches:\n- target: \
                     {kind: HTTPRoute}\n  patch: |-\n    - op: replace\n      path: \
                     /spec/rules/0/backendRefs/0/name\n      value: ${BACKEND}\n",
                ),
            ),
        ])
    };
    let filled = tree("  postBuild:\n    substitute:\n      BACKEND: web\n");
    lint(filled.path(), &[]).assert_clean();
    let wrong = tree("  postBuild:\n    substitute:\n      BACKEND: api\n");
    let run = lint(wrong.path(), &[]);
    assert_eq!(
        run.found(),
        ["backend-not-found apps/shop/kustomization.yaml:12"],
        "{:#}",
        run.json
    );
}

#[test]
fn a_patch_cilint_cannot_apply_makes_what_it_targets_unverifiable() {
    // `$retainKeys` is a strategic-merge directive cilint does not apply: the Service it patches
    // (which may now have port 8080) is unverifiable, so the route's port is not reported; and
    // a reference to a Service of that kind that is not in the tree is unverified.
    let route = route_to("shop", None, "web").replace("port: 80", "port: 8080");
    let service_patch = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  \
                         $retainKeys: [ports, selector]\n  ports:\n  - port: 8080\n";
    let dir = repo(&[
        ("app/route.yaml", &route),
        ("app/other.yaml", &route_to("other", None, "web-next")),
        ("app/web.yaml", &service("web", None)),
        (
            "app/kustomization.yaml",
            &kustomization(
                "resources:\n- route.yaml\n- other.yaml\n- web.yaml\npatches:\n- path: web.patch.yaml\n",
            ),
        ),
        ("app/web.patch.yaml", service_patch),
    ]);
    let run = lint(dir.path(), &["--show-unverified"]);
    run.assert_clean();
    // The pods of the patched Service are unverifiable too (its selector may change).
    let unverified: Vec<_> = run
        .unverified()
        .into_iter()
        .filter(|u| !u["reference"].as_str().unwrap().starts_with("pods of"))
        .collect();
    assert_eq!(unverified.len(), 1, "{:#}", run.json);
    assert!(
        unverified[0]["reason"]
            .as_str()
            .unwrap()
            .contains("kustomize patch cilint cannot apply"),
        "{:#}",
        unverified[0]
    );
    // Strict mode reports the unverified reference, still nothing about the Service itself.
    let strict = lint(dir.path(), &["--strict"]);
    assert_eq!(
        strict.found(),
        ["backend-not-found app/other.yaml:8"],
        "{:#}",
        strict.json
    );

    // The same patch with a directive cilint applies: the route's port is right.
    let dir = repo(&[
        ("app/route.yaml", &route),
        ("app/web.yaml", &service("web", None)),
        (
            "app/kustomization.yaml",
            &kustomization("resources:\n- route.yaml\n- web.yaml\npatches:\n- path: p.yaml\n"),
        ),
        (
            "app/p.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: \
             80\n    $patch: delete\n  - port: 8080\n",
        ),
    ]);
    lint(dir.path(), &[]).assert_clean();
}

#[test]
fn data_files_are_never_linted() {
    // Each of these would draw a finding as a manifest (a probe, or YAML saphyr refuses).
    let broken = "description: 'a value Helm reads;\ncontinued at column 0'\n";
    let dir = repo(&[
        (
            "app/kustomization.yaml",
            &kustomization(
                "resources:\n- web.yaml\nconfigMapGenerator:\n- name: conf\n  files:\n  - \
                 probe.yaml\n  - key.yaml=conf/keyed.yaml\n  envs:\n  - env.yaml\nsecretGenerator:\n\
                 - name: s\n  env: secret-env.yaml\nhelmCharts:\n- name: podinfo\n  valuesFile: \
                 values.yaml\n  additionalValuesFiles:\n  - values-prod.yaml\n",
            ),
        ),
        ("app/web.yaml", &service("web", None)),
        ("app/probe.yaml", &probe("generator-file")),
        ("app/conf/keyed.yaml", &probe("keyed-file")),
        ("app/env.yaml", broken),
        ("app/secret-env.yaml", broken),
        ("app/values.yaml", broken),
        ("app/values-prod.yaml", &probe("values")),
        (
            "release.yaml",
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: \
             status\n  namespace: status\nspec:\n  chart:\n    spec:\n      chart: \
             ./charts/status\n      valuesFiles:\n      - ./charts/status/values-prod.yaml\n",
        ),
        ("charts/status/values-prod.yaml", broken),
        (
            "argocd/app.yaml",
            &argo_app(
                "grafana",
                "    repoURL: https://git.example.com/ops.git\n    path: charts/grafana\n    \
                 helm:\n      valueFiles:\n      - values-lab.yaml\n      - \
                 $values/env/grafana.yaml\n",
                "monitoring",
            ),
        ),
        ("charts/grafana/values-lab.yaml", broken),
        ("env/grafana.yaml", &probe("argo-values")),
    ]);
    let run = lint(dir.path(), &[]);
    run.assert_clean();
    let human = Command::new(env!("CARGO_BIN_EXE_cilint"))
        .arg(".")
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("9 data files not linted"), "{text}");

    // A file a kustomization lists as a resource is deployed, whatever else reads it.
    let dir = repo(&[
        (
            "app/kustomization.yaml",
            &kustomization(
                "resources:\n- probe.yaml\nconfigMapGenerator:\n- name: c\n  files:\n  - probe.yaml\n",
            ),
        ),
        ("app/probe.yaml", &probe("both")),
    ]);
    assert_eq!(lint(dir.path(), &[]).probes(), ["default/both"]);
}

#[test]
fn kustomize_helm_charts_make_their_namespace_unverified() {
    let tree = |route_ns: &str| {
        repo(&[
            (
                "blog/kustomization.yaml",
                &kustomization(
                    "namespace: blog\nhelmCharts:\n- name: wordpress\n  \
                     repo: oci://registry-1.docker.io/bitnamicharts\n  version: 24.1.7\n  \
                     releaseName: blog\nresources:\n- route.yaml\n",
                ),
            ),
            ("blog/route.yaml", &route_to("blog", None, "blog-wordpress")),
            (
                "other/route.yaml",
                &route_to("other", Some(route_ns), "blog-wordpress"),
            ),
        ])
    };
    // Both routes in blog: the chart may make the Service.
    let dir = tree("blog");
    let run = lint(dir.path(), &[]);
    run.assert_clean();
    assert_eq!(run.summary("unverified"), 2, "{:#}", run.json);
    let shown = lint(dir.path(), &["--show-unverified"]);
    let namespaces: BTreeSet<String> = shown
        .unverified()
        .iter()
        .map(|u| u["object"]["namespace"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(namespaces, BTreeSet::from(["blog".to_string()]));
    // A namespace without a chart stays closed.
    let fail = lint(tree("www").path(), &[]);
    assert_eq!(fail.found(), ["backend-not-found other/route.yaml:9"]);
    assert_eq!(fail.summary("unverified"), 1);
}

// ---------------------------------------------------------------------------------------------
// Flux

#[test]
fn flux_target_namespace_places_everything_under_its_path() {
    // No kustomization.yaml under the path: Flux applies every manifest in it, recursively.
    // targetNamespace overrides a namespace written on the object, like kustomize's.
    let dir = repo(&[
        (
            "clusters/apps.yaml",
            &flux_ks("media", "./apps/media", "  targetNamespace: media\n"),
        ),
        ("apps/media/probe.yaml", &probe("top")),
        ("apps/media/jellyfin/deep/probe.yaml", &probe("deep")),
        ("apps/media/explicit.yaml", &probe_in("explicit", "other")),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        run.probes(),
        ["media/deep", "media/explicit", "media/top"],
        "{:#}",
        run.json
    );
}

#[test]
fn flux_path_with_a_kustomization_yaml_deploys_only_its_resources() {
    let dir = repo(&[
        (
            "clusters/apps.yaml",
            &flux_ks("media", "./apps/media", "  targetNamespace: media\n"),
        ),
        (
            "apps/media/kustomization.yaml",
            &kustomization("resources:\n- listed.yaml\n"),
        ),
        ("apps/media/listed.yaml", &probe("listed")),
        // Kept for reference, not deployed by anything.
        ("apps/media/unused/old.yaml", &probe("old")),
    ]);
    let run = lint(dir.path(), &[]);
    assert!(
        run.probes().contains(&"media/listed".to_string()),
        "{:#}",
        run.json
    );
    assert!(
        !run.probes().contains(&"media/old".to_string()),
        "{:#}",
        run.json
    );
}

/// A Flux tree whose route names its backend with `backend` (a placeholder expression), with
/// `substitute` under postBuild.
fn substitution_tree(backend: &str, substitute: &str) -> tempfile::TempDir {
    repo(&[
        (
            "clusters/apps.yaml",
            &flux_ks(
                "shop",
                "./apps/shop",
                &format!(
                    "  targetNamespace: shop\n  postBuild:\n    substitute:\n      \
                     CLUSTER: home\n{substitute}"
                ),
            ),
        ),
        ("apps/shop/api.yaml", &service("api", None)),
        ("apps/shop/route.yaml", &route_to("r", None, backend)),
    ])
}

#[test]
fn substitution_plain_variable() {
    lint(
        substitution_tree("${BACKEND}", "      BACKEND: api\n").path(),
        &["--strict"],
    )
    .assert_clean();
    let fail = lint(
        substitution_tree("${BACKEND}", "      BACKEND: apx\n").path(),
        &[],
    );
    assert_eq!(fail.found(), ["backend-not-found apps/shop/route.yaml:8"]);
    assert_eq!(fail.objects("backend-not-found"), ["shop/r"]);
}

#[test]
fn substitution_assign_default() {
    // ${VAR:=default}: the default when VAR is unset, VAR's value when it is set.
    lint(
        substitution_tree("${BACKEND:=api}", "").path(),
        &["--strict"],
    )
    .assert_clean();
    lint(
        substitution_tree("${BACKEND:=apx}", "      BACKEND: api\n").path(),
        &["--strict"],
    )
    .assert_clean();
    let fail = lint(substitution_tree("${BACKEND:=apx}", "").path(), &[]);
    assert_eq!(fail.found(), ["backend-not-found apps/shop/route.yaml:8"]);
}

#[test]
fn substitution_use_default() {
    // ${VAR:-default}: the same for a value.
    lint(
        substitution_tree("${BACKEND:-api}", "").path(),
        &["--strict"],
    )
    .assert_clean();
    lint(
        substitution_tree("${BACKEND:-apx}", "      BACKEND: api\n").path(),
        &["--strict"],
    )
    .assert_clean();
    let fail = lint(substitution_tree("${BACKEND:-apx}", "").path(), &[]);
    assert_eq!(fail.found(), ["backend-not-found apps/shop/route.yaml:8"]);
}

#[test]
fn substitute_from_config_map_and_secret() {
    let tree = |value: &str| {
        repo(&[
            (
                "clusters/settings.yaml",
                &format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  \
                     namespace: flux-system\ndata:\n  BACKEND: {value}\n"
                ),
            ),
            (
                "clusters/secrets.yaml",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  \
                 namespace: flux-system\nstringData:\n  SECRET_BACKEND: ENC[PLACEHOLDER]\n",
            ),
            (
                "clusters/apps.yaml",
                &flux_ks(
                    "shop",
                    "./apps/shop",
                    "  targetNamespace: shop\n  postBuild:\n    substituteFrom:\n    \
                     - kind: ConfigMap\n      name: cluster-settings\n    - kind: Secret\n      \
                     name: cluster-secrets\n",
                ),
            ),
            ("apps/shop/api.yaml", &service("api", None)),
            ("apps/shop/route.yaml", &route_to("r", None, "${BACKEND}")),
            // A Secret's values are never read: this stays a placeholder, unverified.
            (
                "apps/shop/secret-route.yaml",
                &route_to("s", None, "${SECRET_BACKEND}"),
            ),
        ])
    };
    let dir = tree("api");
    let run = lint(dir.path(), &[]);
    run.assert_clean();
    assert_eq!(run.summary("unverified"), 1, "{:#}", run.json);
    let strict = lint(dir.path(), &["--strict"]);
    assert_eq!(
        strict.found(),
        ["backend-not-found apps/shop/secret-route.yaml:8"],
        "{:#}",
        strict.json
    );
    let fail = lint(tree("apx").path(), &[]);
    assert_eq!(fail.found(), ["backend-not-found apps/shop/route.yaml:8"]);
}

fn helm_release(namespace: &str, target: Option<&str>) -> String {
    let target = target
        .map(|t| format!("  targetNamespace: {t}\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: jellyfin\n  \
         namespace: {namespace}\nspec:\n  interval: 30m\n{target}  chart:\n    spec:\n      \
         chart: jellyfin\n      sourceRef:\n        kind: HelmRepository\n        name: jellyfin\n"
    )
}

#[test]
fn helm_release_into_its_target_namespace() {
    let dir = repo(&[
        (
            "flux/jellyfin.yaml",
            &helm_release("flux-system", Some("media")),
        ),
        (
            "apps/media.yaml",
            &route_to("jellyfin", Some("media"), "jellyfin"),
        ),
        // The release object lives in flux-system, but its chart goes to media only.
        (
            "apps/flux-system.yaml",
            &route_to("oops", Some("flux-system"), "jellyfin"),
        ),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        run.found(),
        ["backend-not-found apps/flux-system.yaml:9"],
        "{:#}",
        run.json
    );
    assert_eq!(run.summary("unverified"), 1);
}

#[test]
fn helm_release_into_its_own_namespace() {
    let dir = repo(&[
        ("apps/media/jellyfin.yaml", &helm_release("media", None)),
        (
            "apps/media/route.yaml",
            &route_to("jellyfin", Some("media"), "jellyfin"),
        ),
        (
            "apps/other.yaml",
            &route_to("jellyfin", Some("other"), "jellyfin"),
        ),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        run.found(),
        ["backend-not-found apps/other.yaml:9"],
        "{:#}",
        run.json
    );
    assert_eq!(run.summary("unverified"), 1);
}

#[test]
fn helm_release_placed_by_a_flux_target_namespace() {
    // A HelmRelease without metadata.namespace, placed by its Flux Kustomization.
    let release = helm_release("x", None).replace("  namespace: x\n", "");
    let dir = repo(&[
        (
            "clusters/apps.yaml",
            &flux_ks("media", "./apps/media", "  targetNamespace: media\n"),
        ),
        ("apps/media/helmrelease.yaml", &release),
        (
            "apps/media/route.yaml",
            &route_to("jellyfin", None, "jellyfin"),
        ),
    ]);
    let run = lint(dir.path(), &[]);
    run.assert_clean();
    assert_eq!(run.summary("unverified"), 1, "{:#}", run.json);
}

// ---------------------------------------------------------------------------------------------
// Argo CD

#[test]
fn argo_application_destination_namespace() {
    // The destination namespace applies to objects without metadata.namespace only.
    let dir = repo(&[
        (
            "argocd/shop.yaml",
            &argo_app("shop", &git_source("apps/shop"), "shop"),
        ),
        ("apps/shop/probe.yaml", &probe("placed")),
        ("apps/shop/explicit.yaml", &probe_in("explicit", "other")),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        run.probes(),
        ["other/explicit", "shop/placed"],
        "{:#}",
        run.json
    );

    // A kustomization namespace is written on the objects, so it wins over the destination.
    let dir = repo(&[
        (
            "argocd/shop.yaml",
            &argo_app("shop", &git_source("apps/shop"), "shop"),
        ),
        (
            "apps/shop/kustomization.yaml",
            &kustomization("namespace: store\nresources:\n- probe.yaml\n"),
        ),
        ("apps/shop/probe.yaml", &probe("placed")),
    ]);
    assert_eq!(lint(dir.path(), &[]).probes(), ["store/placed"]);
}

#[test]
fn argo_helm_application_makes_its_namespace_unverified() {
    let chart = "    repoURL: https://grafana.github.io/helm-charts\n    chart: grafana\n    \
                 targetRevision: 9.2.1\n";
    let dir = repo(&[
        (
            "argocd/grafana.yaml",
            &argo_app("grafana", chart, "monitoring"),
        ),
        (
            "apps/route.yaml",
            &route_to("grafana", Some("monitoring"), "grafana"),
        ),
        (
            "apps/other.yaml",
            &route_to("grafana", Some("other"), "grafana"),
        ),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        run.found(),
        ["backend-not-found apps/other.yaml:9"],
        "{:#}",
        run.json
    );
    assert_eq!(run.summary("unverified"), 1);
}

#[test]
fn application_set_git_directories() {
    let appset = "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: apps\n  \
                  namespace: argocd\nspec:\n  generators:\n  - git:\n      \
                  repoURL: https://git.example.com/ops.git\n      revision: HEAD\n      \
                  directories:\n      - path: apps/*\n  template:\n    metadata:\n      \
                  name: '{{path.basename}}'\n    spec:\n      project: default\n      source:\n        \
                  repoURL: https://git.example.com/ops.git\n        targetRevision: HEAD\n        \
                  path: '{{path}}'\n      destination:\n        server: https://kubernetes.default.svc\n        \
                  namespace: '{{path.basename}}'\n";
    let dir = repo(&[
        ("argocd/appset.yaml", appset),
        ("apps/alpha/probe.yaml", &probe("a")),
        ("apps/beta/probe.yaml", &probe("b")),
        (
            "apps/gamma/kustomization.yaml",
            &kustomization("resources:\n- probe.yaml\n"),
        ),
        ("apps/gamma/probe.yaml", &probe("c")),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        run.probes(),
        ["alpha/a", "beta/b", "gamma/c"],
        "{:#}",
        run.json
    );
}

// ---------------------------------------------------------------------------------------------
// Documents that are not Kubernetes objects

#[test]
fn helm_chart_templates_are_skipped() {
    let template = "{{- if .Values.route.enabled }}\napiVersion: gateway.networking.k8s.io/v1\n\
                    kind: HTTPRoute\nmetadata:\n  name: {{ include \"app.fullname\" . }}\nspec:\n  \
                    parentRefs:\n  - name: {{ .Values.gateway }}\n{{- end }}\n";
    let dir = repo(&[
        (
            "charts/app/Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        ),
        (
            "charts/app/values.yaml",
            "gateway: web\nroute:\n  enabled: true\n",
        ),
        ("charts/app/templates/route.yaml", template),
        ("charts/app/templates/sub/more.yaml", template),
    ]);
    let run = lint(dir.path(), &[]);
    run.assert_clean();
    assert_eq!(run.summary("files"), 4, "counted: {:#}", run.json);
    assert_eq!(run.summary("errors"), 0);

    // A templates/ folder with no Chart.yaml beside it is just YAML: this file is a template by
    // its unquoted `{{ … }}`, not a YAML error, but a broken file beside it is one.
    let dir = repo(&[
        ("deploy/templates/route.yaml", template),
        (
            "deploy/templates/broken.yaml",
            "kind: [Service
",
        ),
    ]);
    let fail = lint(dir.path(), &[]);
    assert_eq!(fail.rules(), BTreeSet::from(["yaml-syntax".to_string()]));
    assert_eq!(fail.json["findings"].as_array().unwrap().len(), 1);
    assert_eq!(
        fail.json["findings"][0]["location"]["file"],
        "deploy/templates/broken.yaml"
    );
}

#[test]
fn custom_tags_parse_as_plain_values() {
    let dir = repo(&[
        (
            "home-assistant/configuration.yaml",
            "homeassistant:\n  name: Home\n  latitude: !secret home_latitude\n\
             http:\n  server_port: !env_var HA_PORT 8123\nautomation: !include automations.yaml\n",
        ),
        (
            "cloudformation/template.yaml",
            "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      \
             BucketName: !Find [Names, !Ref Env, bucket]\n",
        ),
        (
            "ansible/site.yml",
            "- hosts: all\n  vars:\n    token: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      \
             3030\n  roles: [k3s]\n",
        ),
        // A real object using a tag is still an object.
        (
            "apps/service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: !!str api\n  namespace: shop\n\
             spec:\n  ports:\n  - port: 80\n",
        ),
        ("apps/route.yaml", &route_to("r", Some("shop"), "api")),
    ]);
    let run = lint(dir.path(), &[]);
    run.assert_clean();
    assert_eq!(run.summary("files"), 5);
    assert_eq!(run.summary("objects"), 2, "{:#}", run.json);
}

// ---------------------------------------------------------------------------------------------
// Open world: controllers that make Secrets, placeholders, --strict and --show-unverified

#[test]
fn controllers_create_certificate_secrets() {
    let gateway_refs = |names: &[&str]| {
        let refs: String = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                format!(
                    "  - name: l{i}\n    protocol: HTTPS\n    port: {}\n    tls:\n      \
                     certificateRefs:\n      - name: {n}\n",
                    8443 + i
                )
            })
            .collect();
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: web\n  \
             namespace: infra\nspec:\n  gatewayClassName: cilium\n  listeners:\n{refs}"
        )
    };
    let makers = "\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: from-certificate
  namespace: infra
spec:
  secretName: certificate-tls
  issuerRef: {kind: ClusterIssuer, name: letsencrypt}
  dnsNames: [a.example.com]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: external-secret
  namespace: infra
spec:
  secretStoreRef: {kind: ClusterSecretStore, name: vault}
  target:
    name: external-tls
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: external-untargeted-tls
  namespace: infra
spec:
  secretStoreRef: {kind: ClusterSecretStore, name: vault}
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: sealed-secret
  namespace: infra
spec:
  encryptedData:
    tls.crt: PLACEHOLDER
  template:
    metadata:
      name: sealed-tls
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: sealed-untemplated-tls
  namespace: infra
spec:
  encryptedData:
    tls.crt: PLACEHOLDER
";
    let made = [
        "certificate-tls",
        "external-tls",
        "external-untargeted-tls",
        "sealed-tls",
        "sealed-untemplated-tls",
    ];
    let dir = repo(&[
        ("infra/makers.yaml", makers),
        ("infra/gateway.yaml", &gateway_refs(&made)),
    ]);
    lint(dir.path(), &["--strict"]).assert_clean();

    // The object's own name where the target names another Secret is not made.
    let dir = repo(&[
        ("infra/makers.yaml", makers),
        (
            "infra/gateway.yaml",
            &gateway_refs(&["from-certificate", "external-secret", "sealed-secret"]),
        ),
    ]);
    let fail = lint(dir.path(), &[]);
    assert_eq!(
        fail.found(),
        [
            "tls-secret-not-found infra/gateway.yaml:14",
            "tls-secret-not-found infra/gateway.yaml:20",
            "tls-secret-not-found infra/gateway.yaml:26",
        ],
        "{:#}",
        fail.json
    );
}

#[test]
fn cert_manager_gateway_annotation_creates_listener_secrets() {
    let gateway = |annotation: &str| {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: web\n  \
             namespace: infra\n{annotation}spec:\n  gatewayClassName: cilium\n  listeners:\n  \
             - name: https\n    protocol: HTTPS\n    port: 443\n    hostname: shop.example.com\n    \
             tls:\n      certificateRefs:\n      - name: shop-tls\n"
        )
    };
    let pass = repo(&[(
        "gateway.yaml",
        &gateway("  annotations:\n    cert-manager.io/cluster-issuer: letsencrypt\n"),
    )]);
    lint(pass.path(), &["--strict"]).assert_clean();
    let fail = repo(&[("gateway.yaml", &gateway(""))]);
    assert_eq!(
        lint(fail.path(), &[]).rules(),
        BTreeSet::from(["tls-secret-not-found".to_string()])
    );
}

#[test]
fn unresolved_placeholder_is_unverified_strict_reports_it() {
    let dir = repo(&[
        ("infra/gateway.yaml", &gateway(Some("infra"))),
        (
            "apps/route.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: shop\n  \
             namespace: infra\nspec:\n  parentRefs:\n  - name: web\n  rules:\n  - backendRefs:\n    \
             - name: ${BACKEND}\n      port: 80\n",
        ),
    ]);
    let run = lint(dir.path(), &[]);
    run.assert_clean();
    assert_eq!(run.summary("unverified"), 1, "{:#}", run.json);
    assert!(run.summary("references") >= 2, "{:#}", run.json);
    assert!(run.json.get("unverified").is_none(), "{:#}", run.json);

    let shown = lint(dir.path(), &["--show-unverified"]);
    let list = shown.unverified();
    assert_eq!(list.len(), 1, "{:#}", shown.json);
    assert_eq!(list[0]["location"]["file"], "apps/route.yaml");
    assert_eq!(list[0]["location"]["line"], 11);
    assert_eq!(list[0]["object"]["name"], "shop");
    assert!(
        list[0]["reference"]
            .as_str()
            .unwrap()
            .contains("${BACKEND}"),
        "{:#}",
        list[0]
    );
    assert!(!list[0]["reason"].as_str().unwrap().is_empty());
    assert_eq!(shown.code, Some(0));

    let strict = lint(dir.path(), &["--strict"]);
    assert_eq!(
        strict.found(),
        ["backend-not-found apps/route.yaml:11"],
        "{:#}",
        strict.json
    );
    assert_eq!(strict.code, Some(1));

    // `strict: true` in the configuration does the same.
    write(dir.path(), ".cilint.yaml", "strict: true\n");
    let configured = lint(dir.path(), &[]);
    assert_eq!(configured.found(), ["backend-not-found apps/route.yaml:11"]);
}

#[test]
fn human_summary_counts_unverified_references() {
    let dir = repo(&[("route.yaml", &route_to("shop", Some("shop"), "${BACKEND}"))]);
    let out = Command::new(env!("CARGO_BIN_EXE_cilint"))
        .arg(".")
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("1 references checked, 1 unverified: created outside the tree")
            || text.contains("1 reference checked, 1 unverified: created outside the tree"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn the_same_placeholder_on_both_ends_resolves() {
    let tree = |parent: &str| {
        repo(&[
            (
                "infra/gateway.yaml",
                "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  \
                 name: ${GATEWAY_NAME}\n  namespace: infra\nspec:\n  gatewayClassName: cilium\n  \
                 listeners:\n  - name: https\n    protocol: HTTPS\n    port: 443\n    \
                 allowedRoutes: {namespaces: {from: All}}\n    tls:\n      certificateRefs:\n      \
                 - name: ${CERT_SECRET}\n",
            ),
            (
                "infra/certificate.yaml",
                "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: wildcard\n  \
                 namespace: infra\nspec:\n  secretName: ${CERT_SECRET}\n  \
                 issuerRef: {kind: ClusterIssuer, name: letsencrypt}\n",
            ),
            (
                "apps/route.yaml",
                &format!(
                    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  \
                     name: shop\n  namespace: shop\nspec:\n  parentRefs:\n  - name: {parent}\n    \
                     namespace: infra\n"
                ),
            ),
        ])
    };
    let run = lint(tree("${GATEWAY_NAME}").path(), &["--strict"]);
    run.assert_clean();
    // A different placeholder is not the same name: unverified, a finding under --strict.
    let dir = tree("${GATEWAY}");
    let other = lint(dir.path(), &[]);
    other.assert_clean();
    assert_eq!(other.summary("unverified"), 1, "{:#}", other.json);
    assert_eq!(
        lint(dir.path(), &["--strict"]).found(),
        ["route-parent-not-found apps/route.yaml:8"]
    );
}

// ---------------------------------------------------------------------------------------------
// Several clusters

#[test]
fn two_flux_clusters_are_separate_worlds() {
    let dir = repo(&[
        (
            "clusters/home/flux-system/gotk-sync.yaml",
            &gotk_sync("home"),
        ),
        ("clusters/lab/flux-system/gotk-sync.yaml", &gotk_sync("lab")),
        // The Gateway exists in home only.
        ("clusters/home/gateway.yaml", &gateway(Some("infra"))),
        // A route of lab's own, and a shared one both clusters deploy.
        (
            "clusters/lab/route.yaml",
            &attached_route("lab-only", "shop", "infra"),
        ),
        (
            "clusters/home/apps.yaml",
            &flux_ks("shared", "./kubernetes/shared", ""),
        ),
        (
            "clusters/lab/apps.yaml",
            &flux_ks("shared", "./kubernetes/shared", ""),
        ),
        (
            "kubernetes/shared/route.yaml",
            &attached_route("shared", "shop", "infra"),
        ),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        run.found(),
        [
            "route-parent-not-found clusters/lab/route.yaml:8",
            "route-parent-not-found kubernetes/shared/route.yaml:8",
        ],
        "{:#}",
        run.json
    );
    assert_eq!(
        run.objects("route-parent-not-found"),
        ["lab: shop/lab-only", "lab: shop/shared"]
    );
}

#[test]
fn a_defect_in_a_shared_base_is_reported_in_each_cluster() {
    // The JSON contract: `cluster` is null only when the run has a single world. A shared file
    // broken in both clusters is a finding of each, each saying its cluster.
    let dir = repo(&[
        (
            "clusters/home/flux-system/gotk-sync.yaml",
            &gotk_sync("home"),
        ),
        ("clusters/lab/flux-system/gotk-sync.yaml", &gotk_sync("lab")),
        (
            "clusters/home/apps.yaml",
            &flux_ks("shared", "./kubernetes/shared", "  targetNamespace: shop\n"),
        ),
        (
            "clusters/lab/apps.yaml",
            &flux_ks("shared", "./kubernetes/shared", "  targetNamespace: shop\n"),
        ),
        ("kubernetes/shared/probe.yaml", &probe("p")),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        run.probes(),
        ["home: shop/p", "lab: shop/p"],
        "{:#}",
        run.json
    );
    assert_eq!(run.summary("findings"), 2);
}

#[test]
fn clusters_do_not_collide() {
    // The same Gateway in both clusters is not a duplicate, and each route finds its own.
    let dir = repo(&[
        (
            "clusters/home/flux-system/gotk-sync.yaml",
            &gotk_sync("home"),
        ),
        ("clusters/lab/flux-system/gotk-sync.yaml", &gotk_sync("lab")),
        ("clusters/home/gateway.yaml", &gateway(Some("infra"))),
        ("clusters/lab/gateway.yaml", &gateway(Some("infra"))),
        (
            "clusters/home/route.yaml",
            &attached_route("r", "shop", "infra"),
        ),
        (
            "clusters/lab/route.yaml",
            &attached_route("r", "shop", "infra"),
        ),
    ]);
    lint(dir.path(), &[]).assert_clean();
}

#[test]
fn config_declares_clusters() {
    let files = |shared_in: &str| {
        vec![
            ("east/gateway.yaml".to_string(), gateway(Some("infra"))),
            (
                "west/route.yaml".to_string(),
                attached_route("west", "shop", "infra"),
            ),
            (
                "shared/route.yaml".to_string(),
                attached_route("shared", "shop", "infra"),
            ),
            (
                ".cilint.yaml".to_string(),
                format!(
                    "clusters:\n- name: east\n  paths: [east{shared_in}]\n- name: west\n  \
                     paths: [west, shared]\n"
                ),
            ),
        ]
    };
    let make = |shared_in: &str| {
        let f = files(shared_in);
        let refs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        repo(&refs)
    };
    let run = lint(make("").path(), &[]);
    assert_eq!(
        run.found(),
        [
            "route-parent-not-found shared/route.yaml:8",
            "route-parent-not-found west/route.yaml:8",
        ],
        "{:#}",
        run.json
    );
    assert_eq!(
        run.objects("route-parent-not-found"),
        ["west: shop/shared", "west: shop/west"]
    );
    // shared is also part of east, where the Gateway is: only west's copy fails.
    let run = lint(make(", shared").path(), &[]);
    assert_eq!(
        run.objects("route-parent-not-found"),
        ["west: shop/shared", "west: shop/west"]
    );
}

#[test]
fn one_world_has_no_cluster_name() {
    let dir = repo(&[("route.yaml", &attached_route("r", "shop", "infra"))]);
    let run = lint(dir.path(), &[]);
    assert_eq!(run.findings().len(), 1);
    assert!(run.findings()[0]["cluster"].is_null(), "{:#}", run.json);
}

// ---------------------------------------------------------------------------------------------
// Cilium only where Cilium applies

const POOL_LAN: &str = "\
apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata:
  name: lan
spec:
  blocks: [{cidr: 192.168.10.0/24}]
  serviceSelector:
    matchLabels:
      pool: lan
";

fn classed_gateway(name: &str, class: &str, metadata_labels: &str, infra_labels: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: {name}\n  \
         namespace: edge\n{metadata_labels}spec:\n  gatewayClassName: {class}\n{infra_labels}  \
         listeners:\n  - name: http\n    protocol: HTTP\n    port: 80\n    \
         allowedRoutes: {{namespaces: {{from: All}}}}\n"
    )
}

#[test]
fn cilium_rules_only_on_cilium_gateways() {
    let classes = "\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: istio
spec:
  controllerName: istio.io/gateway-controller
";
    let labels = "  labels:\n    pool: lan\n";
    let infra = "  infrastructure:\n    labels:\n      pool: lan\n";
    let tree = |envoy_class: &str| {
        repo(&[
            ("classes.yaml", classes),
            ("pool.yaml", POOL_LAN),
            // The Cilium Gateway that the pool is for.
            (
                "cilium.yaml",
                &classed_gateway("internal", "cilium", "", infra),
            ),
            // Not Cilium's: their metadata.labels are no concern of Cilium's pool.
            (
                "envoy.yaml",
                &classed_gateway("eg", envoy_class, labels, ""),
            ),
            ("istio.yaml", &classed_gateway("mesh", "istio", labels, "")),
            // Gateway API rules still apply to them.
            (
                "route.yaml",
                "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r\n  \
                 namespace: edge\nspec:\n  parentRefs:\n  - name: eg\n    sectionName: htp\n",
            ),
        ])
    };
    let run = lint(tree("eg").path(), &[]);
    assert_eq!(
        run.found(),
        ["route-listener-not-found route.yaml:9"],
        "{:#}",
        run.json
    );
    // The same Gateway of Cilium's class draws the Cilium rule.
    let fail = lint(tree("cilium").path(), &[]);
    assert!(
        fail.rules().contains("gateway-labels-not-propagated"),
        "{:#}",
        fail.json
    );
    assert_eq!(fail.objects("gateway-labels-not-propagated"), ["edge/eg"]);
}

#[test]
fn select_everything_idioms() {
    let cilium = |l2_selector: &str, bgp_selector: &str| {
        format!(
            "apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: all\n\
             spec:\n  blocks: [{{cidr: 10.0.0.0/24}}]\n---\n\
             apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\nmetadata:\n  name: all\n\
             spec:\n{l2_selector}  loadBalancerIPs: true\n---\n\
             apiVersion: cilium.io/v2\nkind: CiliumBGPAdvertisement\nmetadata:\n  name: all\n\
             spec:\n  advertisements:\n  - advertisementType: Service\n    service:\n      \
             addresses: [LoadBalancerIP]\n{bgp_selector}"
        )
    };
    let lb = "apiVersion: v1\nkind: Service\nmetadata:\n  name: dns\n  namespace: dns\n\
              spec:\n  type: LoadBalancer\n  ports: [{port: 53, protocol: UDP}]\n";
    let everything = cilium(
        "  serviceSelector: {}\n",
        "    selector:\n      matchExpressions:\n      \
         - {key: somekey, operator: NotIn, values: [value-nobody-uses]}\n",
    );
    let dir = repo(&[
        ("cilium.yaml", &everything),
        ("dns.yaml", lb),
        ("gateway.yaml", &classed_gateway("web", "cilium", "", "")),
    ]);
    lint(dir.path(), &[]).assert_clean();

    // A BGP entry without a selector selects nothing.
    let nothing = cilium("  serviceSelector: {}\n", "");
    let dir = repo(&[
        ("cilium.yaml", &nothing),
        ("dns.yaml", lb),
        ("gateway.yaml", &classed_gateway("web", "cilium", "", "")),
    ]);
    let fail = lint(dir.path(), &[]);
    assert_eq!(
        fail.rules(),
        BTreeSet::from(["selector-matches-nothing".to_string()]),
        "{:#}",
        fail.json
    );
}

#[test]
fn gateway_named_cilium_gateway_something() {
    let tree = |service: &str| {
        repo(&[
            (
                "gateway.yaml",
                &classed_gateway("cilium-gateway-legacy", "cilium", "", "")
                    .replace("namespace: edge", "namespace: legacy"),
            ),
            (
                "scripts/label.sh",
                &format!("#!/bin/sh\nkubectl -n legacy label service {service} pool=lan\n"),
            ),
            (
                "docs/legacy.md",
                &format!(
                    "# Legacy\n\n```sh\nkubectl -n legacy annotate service {service} owner=web\n```\n"
                ),
            ),
        ])
    };
    lint(tree("cilium-gateway-cilium-gateway-legacy").path(), &[]).assert_clean();
    let fail = lint(tree("cilium-gateway-legacy").path(), &[]);
    assert_eq!(
        fail.found(),
        [
            "label-command-unknown-gateway docs/legacy.md:4",
            "label-command-unknown-gateway scripts/label.sh:2",
        ],
        "{:#}",
        fail.json
    );
}

/// A Flux source whose root is a directory of the repository (an OCIRepository or
/// ExternalArtifact built from `kubernetes/`): its Kustomizations' paths start there, so a path
/// that is nothing from the repository root is the one directory that ends with it. When two
/// directories end with it, which one is meant is unknown: nothing is placed through it.
#[test]
fn flux_paths_of_a_source_rooted_in_a_directory_resolve_by_their_ending() {
    let ks = |name: &str, path: &str| {
        format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  \
             name: {name}\n  namespace: flux-system\nspec:\n  path: {path}\n  \
             targetNamespace: {name}\n  sourceRef:\n    kind: OCIRepository\n    name: apps\n"
        )
    };
    let entry = format!(
        "{}---\n{}",
        ks("shop", "./apps/shop"),
        ks("blog", "./apps/blog")
    );
    let dir = repo(&[
        ("kubernetes/flux/apps.yaml", &entry),
        ("kubernetes/apps/shop/route.yaml", &probe("shop-probe")),
        ("kubernetes/apps/blog/route.yaml", &probe("blog-probe")),
        ("archive/apps/blog/route.yaml", &probe("old-blog-probe")),
    ]);
    assert_eq!(
        lint(dir.path(), &[]).probes(),
        [
            "default/blog-probe",
            "default/old-blog-probe",
            "shop/shop-probe"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// What cilint cannot read: remote kustomize resources, ApplicationSet generators

/// A remote kustomize resource makes the kinds install bundles create unverifiable in the
/// kustomization's namespace, naming the URL; a Gateway there, and anything elsewhere, stays
/// missing.
#[test]
fn remote_kustomize_resource_excuses_bundle_kinds_in_its_namespace() {
    let url = "https://raw.githubusercontent.com/argoproj/argo-cd/v2.13.0/manifests/install.yaml";
    let parent_route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  \
         name: ui\nspec:\n  parentRefs:\n  - name: internal\n  rules:\n  - backendRefs:\n    \
         - name: argocd-server\n      port: 80\n";
    let dir = repo(&[
        (
            "argocd/kustomization.yaml",
            &kustomization(&format!(
                "namespace: argocd\nresources:\n- {url}\n- route.yaml\n"
            )),
        ),
        ("argocd/route.yaml", parent_route),
        (
            "shop/route.yaml",
            &route_to("shop", Some("shop"), "argocd-server"),
        ),
    ]);
    let run = lint(dir.path(), &["--show-unverified"]);
    assert_eq!(
        run.found(),
        [
            "backend-not-found shop/route.yaml:9",
            "route-parent-not-found argocd/route.yaml:7"
        ],
        "{:#}",
        run.json
    );
    let unverified = run.unverified();
    assert_eq!(unverified.len(), 1, "{:#}", run.json);
    let reason = unverified[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("namespace argocd receives the remote kustomize resource")
            && reason.contains(url),
        "{reason}"
    );
}

/// A well-known install manifest names its namespace: cert-manager's release manifest deploys
/// into `cert-manager` when the kustomization sets no namespace; the Gateway API CRDs excuse
/// nothing.
#[test]
fn well_known_remote_manifests_deploy_into_their_own_namespace() {
    let dir = repo(&[
        (
            "infra/kustomization.yaml",
            &kustomization(
                "resources:\n\
                 - https://github.com/cert-manager/cert-manager/releases/download/v1.16.1/cert-manager.yaml\n\
                 - https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.2.0/standard-install.yaml\n\
                 - routes.yaml\n",
            ),
        ),
        (
            "infra/routes.yaml",
            &format!(
                "{}---\n{}",
                route_to("metrics", Some("cert-manager"), "cert-manager"),
                route_to("gw", Some("gateway-system"), "gateway-api-admission-server")
            ),
        ),
    ]);
    let run = lint(dir.path(), &["--show-unverified"]);
    assert_eq!(run.objects("backend-not-found"), ["gateway-system/gw"]);
    let unverified = run.unverified();
    assert_eq!(unverified.len(), 1, "{:#}", run.json);
    assert!(
        unverified[0]["reason"]
            .as_str()
            .unwrap()
            .contains("namespace cert-manager receives the remote kustomize resource"),
        "{:#}",
        unverified[0]
    );
}

fn application_set(generators: &str, path: &str, namespace: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: apps\n  \
         namespace: argocd\nspec:\n  generators:\n{generators}  template:\n    metadata:\n      \
         name: app\n    spec:\n      project: default\n      source:\n        repoURL: \
         https://git.example.net/x.git\n        path: '{path}'\n      destination:\n        \
         server: https://kubernetes.default.svc\n        namespace: '{namespace}'\n"
    )
}

/// `git.files`: each matched config file's flattened keys and path fill the template; excluded
/// files and files the glob does not match make no Application.
#[test]
fn applicationset_git_files_fill_the_template_from_config_keys() {
    let generators = "  - git:\n      repoURL: https://git.example.net/x.git\n      files:\n      \
         - path: envs/*/env.yaml\n      - path: envs/old/env.yaml\n        exclude: true\n";
    let dir = repo(&[
        (
            "argocd/apps.yaml",
            &application_set(
                generators,
                "apps/{{app.dir}}",
                "{{path.basename}}-{{.app.ns}}",
            ),
        ),
        ("envs/prod/env.yaml", "app:\n  dir: web\n  ns: shop\n"),
        ("envs/old/env.yaml", "app:\n  dir: web\n  ns: legacy\n"),
        ("apps/web/route.yaml", &route_to("probe", None, "nothing")),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(run.probes(), ["prod-shop/probe"], "{:#}", run.json);
}

/// A matrix of two expandable generators is their cartesian product.
#[test]
fn applicationset_matrix_combines_its_generators() {
    let generators = "  - matrix:\n      generators:\n      - git:\n          repoURL: x\n          \
         directories:\n          - path: apps/*\n      - list:\n          elements:\n          \
         - env: prod\n          - env: test\n";
    let dir = repo(&[
        (
            "argocd/apps.yaml",
            &application_set(generators, "{{path}}", "{{path.basename}}-{{env}}"),
        ),
        ("apps/web/route.yaml", &route_to("probe", None, "nothing")),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        run.probes(),
        ["web-prod/probe", "web-test/probe"],
        "{:#}",
        run.json
    );
}

/// A `clusters` generator cannot be expanded: the template's literal path is still deployed
/// into its literal namespace, where its Helm chart makes Services unverifiable, naming the
/// ApplicationSet. (What kinds a chart excuses is decided with Helm charts, not here.)
#[test]
fn unexpandable_generator_deploys_literal_paths_and_its_chart_excuses_services() {
    let set = "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: addons\n  \
         namespace: argocd\nspec:\n  generators:\n  - clusters: {}\n  template:\n    metadata:\n      \
         name: '{{name}}-grafana'\n    spec:\n      project: default\n      sources:\n      \
         - repoURL: https://grafana.github.io/helm-charts\n        chart: grafana\n        \
         targetRevision: 8.5.1\n      - repoURL: https://git.example.net/x.git\n        \
         path: monitoring\n      destination:\n        server: '{{server}}'\n        \
         namespace: monitoring\n";
    let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  \
         name: grafana\nspec:\n  parentRefs:\n  - name: web\n    namespace: gateway\n  rules:\n  - backendRefs:\n    \
         - name: grafana\n      port: 80\n";
    let dir = repo(&[
        ("argocd/addons.yaml", set),
        ("monitoring/route.yaml", route),
        ("gateway/gateway.yaml", &gateway(Some("gateway"))),
    ]);
    let run = lint(dir.path(), &["--show-unverified"]);
    run.assert_clean();
    let unverified = run.unverified();
    assert_eq!(unverified.len(), 1, "{:#}", run.json);
    assert_eq!(unverified[0]["object"]["namespace"], "monitoring");
    assert!(
        unverified[0]["reason"]
            .as_str()
            .unwrap()
            .contains("(ApplicationSet argocd/addons)"),
        "{:#}",
        unverified[0]
    );
}

/// `templatePatch` adding Helm to the source makes the list-generated namespace receive a chart.
#[test]
fn applicationset_template_patch_adding_helm_deploys_a_chart() {
    let generators = "  - list:\n      elements:\n      - name: tools\n";
    let set = application_set(generators, "charts/{{.name}}", "{{.name}}")
        + "  templatePatch: |\n    spec:\n      source:\n        helm:\n          \
           valueFiles:\n          - values-prod.yaml\n";
    let dir = repo(&[
        ("argocd/tools.yaml", &set),
        (
            "routes/route.yaml",
            &route_to("ui", Some("tools"), "headlamp"),
        ),
        (
            "routes/other.yaml",
            &route_to("ui", Some("other"), "headlamp"),
        ),
    ]);
    let run = lint(dir.path(), &["--show-unverified"]);
    assert_eq!(
        run.objects("backend-not-found"),
        ["other/ui"],
        "{:#}",
        run.json
    );
    let unverified = run.unverified();
    assert_eq!(unverified.len(), 1, "{:#}", run.json);
    assert!(
        unverified[0]["reason"]
            .as_str()
            .unwrap()
            .contains("namespace tools receives a Helm chart (ApplicationSet argocd/apps)"),
        "{:#}",
        unverified[0]
    );
}

/// Repositories in the home-operations style list each namespace's Flux Kustomizations in a
/// kustomization whose `replacements` copy the name of its Namespace (a component's
/// `not-used`, renamed by `namespace:`) into every Kustomization's `spec.targetNamespace`: what
/// they deploy lands there. An inline replacement of another field sets nothing, and what it
/// writes into is unverifiable.
#[test]
fn replacements_set_the_target_namespace_of_flux_kustomizations() {
    let ks = |name: &str| {
        format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  \
             name: {name}\nspec:\n  path: ./kubernetes/apps/network/{name}/app\n  \
             sourceRef:\n    kind: GitRepository\n    name: flux-system\n    \
             namespace: flux-system\n"
        )
    };
    let dir = repo(&[
        (
            "kubernetes/flux/cluster/ks.yaml",
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  \
             name: cluster-apps\n  namespace: flux-system\nspec:\n  path: ./kubernetes/apps\n  \
             sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
        ),
        (
            "kubernetes/components/namespace/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  \
             - ./namespace.yaml\n",
        ),
        (
            "kubernetes/components/namespace/namespace.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: not-used\n",
        ),
        (
            "kubernetes/components/replacements/ks.yaml",
            "- source:\n    kind: Namespace\n    fieldPath: metadata.name\n  targets:\n    \
             - select:\n        kind: Kustomization\n        group: kustomize.toolkit.fluxcd.io\n      \
             fieldPaths:\n        - spec.targetNamespace\n      options:\n        create: true\n",
        ),
        (
            "kubernetes/apps/network/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: network\n\
             components:\n  - ../../components/namespace\nreplacements:\n  \
             - path: ../../components/replacements/ks.yaml\nresources:\n  - ./echo.yaml\n",
        ),
        ("kubernetes/apps/network/echo.yaml", &ks("echo")),
        (
            "kubernetes/apps/network/echo/app/route.yaml",
            &probe("echo-probe"),
        ),
        (
            "kubernetes/apps/media/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: media\n\
             replacements:\n  - source: {kind: ConfigMap, name: settings, fieldPath: data.backend}\n    \
             targets:\n      - select: {kind: HTTPRoute}\n        fieldPaths: [spec.rules.0.backendRefs.0.name]\n\
             resources:\n  - ./jellyfin.yaml\n  - ./route.yaml\n",
        ),
        (
            "kubernetes/apps/media/jellyfin.yaml",
            &ks("jellyfin").replace("network/jellyfin", "media/jellyfin"),
        ),
        (
            "kubernetes/apps/media/jellyfin/app/route.yaml",
            &probe("jellyfin-probe"),
        ),
        // Its backend is what the replacement writes, which cilint does not follow.
        ("kubernetes/apps/media/route.yaml", &probe("replaced-probe")),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        run.probes(),
        ["default/jellyfin-probe", "network/echo-probe"],
        "{:#}",
        run.json
    );
}

/// A destination namespace only an unexpandable generator fills in (`{{name}}-monitoring`, one
/// per registered cluster) may be any namespace the template becomes: the chart excuses the
/// kinds charts make there, naming the generator, and nothing in other namespaces.
#[test]
fn unexpandable_templated_destination_excuses_only_the_namespaces_it_may_become() {
    let set = "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: addons\n  \
         namespace: argocd\nspec:\n  generators:\n  - clusters: {}\n  template:\n    metadata:\n      \
         name: '{{name}}-grafana'\n    spec:\n      project: default\n      source:\n        \
         repoURL: https://grafana.github.io/helm-charts\n        chart: grafana\n        \
         targetRevision: 8.5.1\n      destination:\n        server: '{{server}}'\n        \
         namespace: '{{name}}-monitoring'\n";
    let dir = repo(&[
        ("argocd/addons.yaml", set),
        (
            "routes/prod.yaml",
            &route_to("grafana", Some("prod-monitoring"), "grafana"),
        ),
        (
            "routes/shop.yaml",
            &route_to("grafana", Some("shop"), "grafana"),
        ),
        ("gateway/gateway.yaml", &gateway(Some("gateway"))),
    ]);
    let run = lint(dir.path(), &["--show-unverified"]);
    assert_eq!(
        run.objects("backend-not-found"),
        ["shop/grafana"],
        "{:#}",
        run.json
    );
    let unverified = run.unverified();
    assert_eq!(unverified.len(), 1, "{:#}", run.json);
    assert_eq!(
        unverified[0]["reason"],
        "Helm chart grafana (ApplicationSet argocd/addons, whose clusters generator cilint \
         cannot expand) is deployed into namespace {{name}}-monitoring, which may be \
         prod-monitoring"
    );
}

// ---------------------------------------------------------------------------------------------
// Builds: which documents are applied together (duplicate-object)

fn config_map(name: &str, value: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: {value}\n")
}

fn duplicates(run: &Run) -> Vec<String> {
    run.findings()
        .iter()
        .filter(|f| f["rule"] == "duplicate-object")
        .map(|f| {
            format!(
                "{} {}:{}",
                f["severity"].as_str().unwrap(),
                f["location"]["file"].as_str().unwrap(),
                f["location"]["line"]
            )
        })
        .collect()
}

const ARGO_APP: &str = "\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: tools
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/example/gitops.git
    path: apps/tools
  destination:
    server: https://kubernetes.default.svc
    namespace: tools
";

#[test]
fn argo_directory_application_keeps_the_last_copy() {
    let dir = repo(&[
        ("argocd/tools.yaml", ARGO_APP),
        ("apps/tools/settings.yaml", &config_map("settings", "a")),
        (
            "apps/tools/settings-copy.yaml",
            &config_map("settings", "b"),
        ),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        duplicates(&run),
        ["warning apps/tools/settings.yaml:4"],
        "{:#}",
        run.json
    );
    assert_eq!(
        run.findings()[0]["condition"],
        "RepeatedResourceWarning",
        "{:#}",
        run.json
    );
}

#[test]
fn argo_kustomize_application_refuses_the_build() {
    let dir = repo(&[
        ("argocd/tools.yaml", ARGO_APP),
        (
            "apps/tools/kustomization.yaml",
            "resources:\n  - settings.yaml\n  - settings-copy.yaml\n",
        ),
        ("apps/tools/settings.yaml", &config_map("settings", "a")),
        (
            "apps/tools/settings-copy.yaml",
            &config_map("settings", "b"),
        ),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(
        duplicates(&run),
        ["error apps/tools/settings.yaml:4"],
        "{:#}",
        run.json
    );
    assert_eq!(run.findings()[0]["condition"], "ComparisonError");
}

#[test]
fn one_identity_in_two_builds_or_applied_as_it_is_is_not_a_duplicate() {
    // Two Argo CD Applications deploying one ConfigMap each, a plain folder applied as it is,
    // and the prefix of an overlay that makes a second name.
    let other_app = ARGO_APP
        .replace("name: tools", "name: tools-extra")
        .replace("path: apps/tools", "path: apps/tools-extra");
    let dir = repo(&[
        ("argocd/tools.yaml", ARGO_APP),
        ("argocd/tools-extra.yaml", &other_app),
        ("apps/tools/settings.yaml", &config_map("settings", "a")),
        (
            "apps/tools-extra/settings.yaml",
            &config_map("settings", "b"),
        ),
        ("scratch/a.yaml", &config_map("scratch", "a")),
        ("scratch/b.yaml", &config_map("scratch", "b")),
        (
            "overlays/blue/kustomization.yaml",
            "namePrefix: blue-\nresources:\n  - ../../apps/tools\n",
        ),
    ]);
    let run = lint(dir.path(), &[]);
    assert_eq!(duplicates(&run), Vec::<String>::new(), "{:#}", run.json);
}
