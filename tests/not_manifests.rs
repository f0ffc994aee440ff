//! What is not linted as a manifest: documents of other programs' configuration formats (Talos,
//! kubeadm, the kubelet, kind, k3d, kubeconfig…) and templates (scaffolding templates found by
//! their tool's marker file, files whose unquoted `{{ … }}` or `{% … %}` make them templates).
//! A real object that lacks its kind or name is still reported.

mod common;

use std::path::Path;

use cilint::{Options, Report};
use common::{repo, rules_of};

fn lint(dir: &Path) -> Report {
    let report = cilint::lint(&[dir.to_str().unwrap().to_string()], &Options::default());
    assert!(report.input_errors.is_empty(), "{:?}", report.input_errors);
    report
}

/// The findings as (rule, path relative to `dir`).
fn found(report: &Report, dir: &Path) -> Vec<(&'static str, String)> {
    let root = dir.to_str().unwrap();
    report
        .findings
        .iter()
        .map(|f| {
            let path = &report.file(f.location.file).path;
            let rel = path
                .strip_prefix(root)
                .unwrap_or(path)
                .trim_start_matches('/');
            (f.rule, rel.to_string())
        })
        .collect()
}

const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n\
                       spec:\n  ports:\n  - port: 80\n";

#[test]
fn other_programs_configuration_is_counted_not_linted() {
    let dir = repo(&[
        ("apps/service.yaml", SERVICE),
        (
            "talos/patches/network.yaml",
            "apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: cp-1\n---\n\
             apiVersion: v1alpha1\nkind: LinkConfig\nname: enp1s0\nmtu: 9000\n",
        ),
        (
            "kubeadm.yaml",
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\n\
             apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n\
             kubernetesVersion: v1.34.2\n---\n\
             apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n",
        ),
        // With metadata.name, and still not an object.
        (
            "k3d.yaml",
            "apiVersion: k3d.io/v1alpha5\nkind: Simple\nmetadata:\n  name: dev\nservers: 1\n",
        ),
        (
            "kubeconfig.yaml",
            "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n",
        ),
        // Another program's file with a Kubernetes-looking apiVersion and no metadata.
        (
            "widget.yaml",
            "apiVersion: example.com/v1\nkind: WidgetConfig\nreplicas: 2\n",
        ),
    ]);
    let report = lint(dir.path());
    assert!(
        report.findings.is_empty(),
        "{:?}",
        found(&report, dir.path())
    );
    assert_eq!(report.summary.objects, 1);
    assert_eq!(report.summary.skipped_documents, 8);
    assert_eq!(report.summary.templates, 0);
}

#[test]
fn real_objects_without_kind_or_name_are_still_reported() {
    let dir = repo(&[
        (
            "deployment.yaml",
            "apiVersion: apps/v1\nmetadata:\n  name: web\nspec:\n  replicas: 1\n",
        ),
        (
            "service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  namespace: shop\n---\n\
             apiVersion: v1\nkind: Service\nspec:\n  ports:\n  - port: 80\n",
        ),
        (
            "pool.yaml",
            "apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nspec:\n  blocks: []\n",
        ),
    ]);
    let report = lint(dir.path());
    assert_eq!(rules_of(&report), vec!["invalid-object"; 4]);
    assert_eq!(report.summary.objects, 4);
}

#[test]
fn kustomization_files_stay_what_they_were() {
    // A kustomization's helmCharts still make the namespace unverifiable: it is still read.
    let dir = repo(&[
        (
            "apps/blog/kustomization.yaml",
            "namespace: blog\nresources: [route.yaml]\nhelmCharts:\n  - name: wordpress\n\
             repo: https://charts.bitnami.com/bitnami\n",
        ),
        (
            "apps/blog/route.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: blog\n\
             spec:\n  rules:\n  - backendRefs:\n    - name: blog-wordpress\n      port: 80\n",
        ),
        (
            "apps/blog/component/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
        ),
    ]);
    let report = lint(dir.path());
    assert!(
        report.findings.is_empty(),
        "{:?}",
        found(&report, dir.path())
    );
    assert_eq!(report.summary.unverified, 1);
}

#[test]
fn scaffold_marker_files_make_their_directory_a_template() {
    // Parses, holds no placeholder, and routes to a Service only the rendered template creates.
    let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  \
                 name: app\n  namespace: shop\nspec:\n  rules:\n  - backendRefs:\n    \
                 - name: app\n      port: 80\n";
    for marker in [
        "cookiecutter.json",
        "copier.yml",
        "copier.yaml",
        "boilerplate.yml",
    ] {
        let dir = repo(&[
            (&format!("scaffolds/app/{marker}"), "{}\n"),
            ("scaffolds/app/template/route.yaml", route),
            (
                "scaffolds/app/README.md",
                "```sh\nkubectl label gateway app x=y\n```\n",
            ),
        ]);
        let report = lint(dir.path());
        assert!(
            report.findings.is_empty(),
            "{marker}: {:?}",
            found(&report, dir.path())
        );
        assert_eq!(report.summary.templates, 3, "{marker}");
        assert_eq!(report.summary.objects, 0, "{marker}");
        assert_eq!(report.summary.commands, 0, "{marker}");
    }
    // Without a marker, the same route is linted.
    let dir = repo(&[("scaffolds/app/template/route.yaml", route)]);
    assert_eq!(rules_of(&lint(dir.path())), ["backend-not-found"]);
}

#[test]
fn makejinja_config_does_not_hide_the_manifests_it_renders() {
    let dir = repo(&[
        (
            "makejinja.toml",
            "[makejinja]\ninputs = [\"./templates\"]\noutput = \"./\"\n",
        ),
        ("templates/kubernetes/route.yaml.j2", "name: #{ app }#\n"),
        (
            "kubernetes/route.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  \
             name: app\n  namespace: shop\nspec:\n  rules:\n  - backendRefs:\n    \
             - name: app\n      port: 80\n",
        ),
    ]);
    let report = lint(dir.path());
    // `.j2` sources are never read; the rendered route is linted.
    assert_eq!(report.summary.files, 1);
    assert_eq!(report.summary.templates, 0);
    assert_eq!(rules_of(&report), ["backend-not-found"]);
}

#[test]
fn template_syntax_in_paths_makes_a_template() {
    let dir = repo(&[
        ("{{cookiecutter.app}}/service.yaml", SERVICE),
        ("apps/{% if ingress %}ingress.yaml{% endif %}", SERVICE),
        ("apps/service.yaml", SERVICE),
    ]);
    let report = lint(dir.path());
    assert_eq!(
        report.summary.templates, 1,
        "the second is not YAML by its name"
    );
    assert_eq!(report.summary.objects, 1);
}

#[test]
fn unquoted_template_syntax_makes_a_file_a_template() {
    let dir = repo(&[
        // Does not parse: a template, not a yaml-syntax error.
        (
            "ansible/templates/policy.yaml",
            "apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\nmetadata:\n  \
             name: {{ name }}\nspec:\n  interfaces:\n{% for i in ifaces %}\n    - \"{{ i }}\"\n\
             {% endfor %}\n",
        ),
        // Parses, as flow mappings: a template, not a Service without a name.
        (
            "hack/service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Env.NAME }}\n  \
             namespace: shop\n# kubectl label service web a=b\n",
        ),
        // Template syntax only in quotes, comments and block scalars: a broken file all the same.
        (
            "broken.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"{{ x }}\" # {{ y }}\ndata:\n  \
             tpl: |\n    {{ define \"z\" }}\n  bad: [\n",
        ),
    ]);
    let report = lint(dir.path());
    assert_eq!(
        found(&report, dir.path()),
        [("yaml-syntax", "broken.yaml".to_string())]
    );
    assert_eq!(report.summary.templates, 2);
    assert_eq!(
        report.summary.commands, 0,
        "a template's comments are not read"
    );
}

#[test]
fn a_quoted_placeholder_makes_references_through_it_unverifiable() {
    let route = |backend: &str| {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  \
             name: \"preview-{{{{ .Env.PR }}}}\"\n  namespace: shop\nspec:\n  rules:\n  \
             - backendRefs:\n    - name: {backend}\n      port: 80\n"
        )
    };
    let dir = repo(&[
        ("preview/route.yaml", &route("\"{{ .Env.SERVICE }}\"")),
        ("preview/other.yaml", &route("'web-{{ .Values.suffix }}'")),
    ]);
    let report = cilint::lint(
        &[dir.path().to_str().unwrap().to_string()],
        &Options {
            show_unverified: true,
            ..Options::default()
        },
    );
    assert!(
        report.findings.is_empty(),
        "{:?}",
        found(&report, dir.path())
    );
    assert_eq!(
        report.summary.templates, 0,
        "quoted placeholders parse: linted"
    );
    let reasons: Vec<&str> = report
        .unverified
        .iter()
        .flatten()
        .map(|r| r.unverified.as_deref().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "the name holds the unresolved placeholder {{ .Values.suffix }}",
            "the name holds the unresolved placeholder {{ .Env.SERVICE }}",
        ]
    );

    // --strict reports them as missing.
    let strict = cilint::lint(
        &[dir.path().to_str().unwrap().to_string()],
        &Options {
            strict: true,
            ..Options::default()
        },
    );
    assert_eq!(
        rules_of(&strict),
        ["backend-not-found", "backend-not-found"]
    );
}

#[test]
fn an_object_named_by_a_placeholder_may_be_the_one_referenced() {
    let dir = repo(&[
        (
            "preview/service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"{{ .Env.APP }}-web\"\n  \
             namespace: shop\nspec:\n  ports:\n  - port: 80\n",
        ),
        (
            "apps/route.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  \
             name: shop\n  namespace: shop\nspec:\n  rules:\n  - backendRefs:\n    \
             - name: shop-web\n      port: 80\n    - name: shop-api\n      port: 80\n",
        ),
    ]);
    let report = lint(dir.path());
    // shop-web may be what `{{ .Env.APP }}-web` becomes; shop-api cannot be.
    assert_eq!(rules_of(&report), ["backend-not-found"]);
    assert_eq!(report.summary.unverified, 1);
}
