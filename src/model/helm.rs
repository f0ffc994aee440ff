//! Helm charts that objects deploy: a Flux `HelmRelease`, an Argo CD `Application` or
//! `ApplicationSet` with a chart source, a kustomize `Kustomization` with `helmCharts`. cilint does
//! not render charts, so whatever a chart creates in its namespace is invisible to it.

use std::sync::Arc;

use super::app_template::{self, ChartRef};
use super::non_empty_string;
use crate::source::Span;
use crate::source::yaml::build::{Data, Value};
use crate::source::yaml::{Arena, Node};

#[derive(Clone, Debug, PartialEq)]
pub struct HelmChart {
    /// The chart's name (or, for a chart in git, its path), for messages.
    pub chart: Option<String>,
    /// Where the chart's objects land; `None` means the deploying object's own namespace.
    pub namespace: Option<String>,
    /// The release name when the deploying object writes one (`releaseName`); else the
    /// deploying tool's default, which the Catalog derives from the object.
    pub release: Option<String>,
    /// Not a chart: a remote kustomize resource (`chart` holds its URL), whose objects cilint
    /// cannot read either, but which makes only the kinds install bundles make.
    pub remote: bool,
    /// For an ApplicationSet whose destination namespace stays a `{{…}}` template: the
    /// generator cilint cannot expand that fills it in (set by the layout).
    pub unexpanded: Option<String>,
    /// What deploys it, for messages, when the deploying object does not say it
    /// (`helm_release.cilium in infra/main.tf`).
    pub from: Option<String>,
    /// The values of a chart cilint renders (a Flux HelmRelease of the bjw-s app-template),
    /// when cilint can read all that decide its Services and routes.
    pub values: Option<Arc<ChartValues>>,
}

/// What a HelmRelease of a chart cilint renders keeps after loading: the values the renderer
/// reads and what decides the release's identity. The Catalog renders it once the release is
/// placed and the chart's source is known.
#[derive(Debug)]
pub struct ChartValues {
    /// `spec.values`, cut down to the keys the renderer reads.
    pub values: Arena,
    pub chart: ChartRef,
    /// Span of `spec.chartRef` or `spec.chart`: where notes on the chart's version point.
    pub chart_span: Span,
    /// `spec.commonMetadata.labels`: Flux puts them on every object of the release.
    pub common_labels: Vec<(String, String)>,
    /// Why cilint cannot read the values that decide the release's Services and routes
    /// (`valuesFrom` that may reach them, `postRenderers`): then `values` is empty and nothing
    /// is rendered.
    pub unread: Option<&'static str>,
}

impl PartialEq for ChartValues {
    fn eq(&self, other: &Self) -> bool {
        self.chart == other.chart
            && self.chart_span == other.chart_span
            && self.common_labels == other.common_labels
            && Value::of(self.values.root()).same(&Value::of(other.values.root()))
    }
}

/// The values of an app-template HelmRelease, or why something cilint cannot read decides them:
/// a `valuesFrom` entry that may reach those keys, or `postRenderers` that may change the
/// objects (§13). The release name is decided once the HelmRelease is placed (a kustomize
/// `namePrefix` renames it).
fn app_template_values(doc: Node<'_>) -> Option<Arc<ChartValues>> {
    let chart = app_template::chart_ref(doc)?;
    let spec = doc.get("spec")?;
    let reaches = |entry: Node<'_>| match entry.get("targetPath").and_then(Node::as_str) {
        None => true,
        Some(path) => app_template::VALUES_READ
            .iter()
            .chain(&["nameOverride"])
            .any(|k| path == *k || path.starts_with(&format!("{k}."))),
    };
    let unread = if spec
        .get("valuesFrom")
        .into_iter()
        .flat_map(Node::as_seq)
        .any(reaches)
    {
        Some("its values come in part from `valuesFrom`, which cilint does not merge")
    } else if spec
        .get("postRenderers")
        .is_some_and(|p| p.as_seq().len() > 0)
    {
        Some("its `postRenderers` may change what the chart renders")
    } else {
        None
    };
    let values = spec.get("values").filter(|_| unread.is_none());
    let chart_span = spec
        .get("chartRef")
        .or_else(|| spec.get("chart"))
        .map_or(doc.span(), Node::span);
    Some(Arc::new(ChartValues {
        values: match values {
            Some(v) => app_template::values_read(v),
            None => Value {
                span: chart_span,
                data: Data::Map(Vec::new()),
            },
        }
        .into_arena(),
        chart,
        chart_span,
        common_labels: spec
            .at(&["commonMetadata", "labels"])
            .into_iter()
            .flat_map(Node::as_map)
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
            .collect(),
        unread,
    }))
}

/// A Flux `HelmRelease`: `spec.chart.spec.chart` (or `spec.chartRef`) into `spec.targetNamespace`,
/// else the release's namespace; with its values when cilint renders its chart.
pub fn from_helm_release(doc: Node<'_>) -> Box<[HelmChart]> {
    let Some(spec) = doc.get("spec") else {
        return Box::default();
    };
    let chart = spec
        .at(&["chart", "spec", "chart"])
        .or_else(|| spec.at(&["chartRef", "name"]))
        .and_then(Node::as_str);
    vec![HelmChart {
        chart: chart.map(str::to_string),
        namespace: non_empty_string(spec.get("targetNamespace")),
        release: non_empty_string(spec.get("releaseName")),
        remote: false,
        unexpanded: None,
        from: None,
        values: app_template_values(doc),
    }]
    .into()
}

/// An Argo CD `Application` spec (or an `ApplicationSet`'s `spec.template.spec`): every source
/// with a `chart` or `helm` key deploys a chart into `destination.namespace`. A destination that
/// an ApplicationSet generator fills in (`{{…}}`) names no namespace cilint can know.
pub fn from_argo_application(spec: Option<Node<'_>>) -> Box<[HelmChart]> {
    let Some(spec) = spec else {
        return Box::default();
    };
    let Some(namespace) = non_empty_string(spec.at(&["destination", "namespace"])) else {
        return Box::default();
    };
    if namespace.contains("{{") {
        return Box::default();
    }
    spec.get("source")
        .into_iter()
        .chain(spec.get("sources").map(Node::as_seq).unwrap_or_default())
        .filter(|s| s.get("chart").is_some() || s.get("helm").is_some())
        .map(|s| HelmChart {
            chart: non_empty_string(s.get("chart")).or_else(|| non_empty_string(s.get("path"))),
            namespace: Some(namespace.clone()),
            release: non_empty_string(s.at(&["helm", "releaseName"])),
            remote: false,
            unexpanded: None,
            from: None,
            values: None,
        })
        .collect()
}

/// A kustomize `Kustomization`: each `helmCharts[]` entry into its `namespace`, else the
/// kustomization's `namespace`; and each remote entry of `resources`/`bases` (see
/// [`remote_bundle_namespace`]).
pub fn from_kustomization(doc: Node<'_>) -> Box<[HelmChart]> {
    let own = non_empty_string(doc.get("namespace"));
    let mut out: Vec<HelmChart> = doc
        .get("helmCharts")
        .map(Node::as_seq)
        .unwrap_or_default()
        .map(|c| HelmChart {
            chart: non_empty_string(c.get("name")),
            namespace: non_empty_string(c.get("namespace")).or_else(|| own.clone()),
            release: non_empty_string(c.get("releaseName")),
            remote: false,
            unexpanded: None,
            from: None,
            values: None,
        })
        .collect();
    for key in ["resources", "bases"] {
        for r in doc.get(key).map(Node::as_seq).unwrap_or_default() {
            let Some(url) = r.as_str().filter(|r| is_remote_resource(r)) else {
                continue;
            };
            // kustomize's namespace transformer moves every object of the bundle into the
            // kustomization's namespace; without one they stay where the bundle writes them.
            let namespace = match (&own, remote_bundle_namespace(url)) {
                (Some(ns), _) => Some(ns.clone()),
                (None, Bundle::ClusterScoped) => continue,
                (None, Bundle::In(ns)) => Some(ns.to_string()),
                (None, Bundle::Unknown) => None,
            };
            out.push(HelmChart {
                chart: Some(url.to_string()),
                namespace,
                release: None,
                remote: true,
                unexpanded: None,
                from: None,
                values: None,
            });
        }
    }
    out.into()
}

/// Whether a kustomize `resources` entry is remote: a URL (a raw manifest, or a repository
/// with `//subdir` and `?ref=`), `github.com/owner/repo/…`, or a git SSH address. kustomize
/// fetches these; cilint never does. See kustomize's remote targets documentation
/// (kubectl.docs.kubernetes.io, "resources": "remote targets").
pub fn is_remote_resource(r: &str) -> bool {
    r.contains("://")
        || r.starts_with("git@")
        || r.starts_with("git::")
        || ["github.com/", "gitlab.com/", "bitbucket.org/"]
            .iter()
            .any(|host| r.starts_with(host))
}

/// Where a remote bundle puts its objects when the kustomization sets no namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bundle {
    /// The bundle writes this namespace on its objects.
    In(&'static str),
    /// The bundle holds only cluster-scoped objects (CRDs): it excuses nothing namespaced.
    ClusterScoped,
    /// Not known, or the bundle writes no namespace: its objects land in the kustomization's
    /// context (an outer namespace, an Argo CD destination, the default namespace).
    Unknown,
}

/// Well-known install manifests, by a piece of their URL, with the namespace written in them.
/// - cert-manager's release manifest (`releases/download/vX/cert-manager.yaml`) creates its
///   objects in `cert-manager` (cert-manager.io/docs/installation/kubectl/).
/// - metrics-server's `components.yaml` installs into `kube-system`
///   (github.com/kubernetes-sigs/metrics-server#installation).
/// - ingress-nginx's static `deploy.yaml` installs into `ingress-nginx`
///   (kubernetes.github.io/ingress-nginx/deploy/).
/// - local-path-provisioner's `local-path-storage.yaml` installs into `local-path-storage`
///   (github.com/rancher/local-path-provisioner#installation).
/// - The Gateway API `standard-install.yaml`/`experimental-install.yaml` and `config/crd` are
///   CRDs only (gateway-api.sigs.k8s.io/guides/#installing-gateway-api).
/// - Argo CD's `install.yaml`/`cluster-install` write no namespace: the docs apply them with
///   `kubectl apply -n argocd` (argo-cd.readthedocs.io/en/stable/getting_started/), so they are
///   [`Bundle::Unknown`] and land in the kustomization's namespace.
pub fn remote_bundle_namespace(url: &str) -> Bundle {
    const KNOWN: &[(&str, &str, Bundle)] = &[
        (
            "cert-manager/cert-manager",
            "cert-manager.yaml",
            Bundle::In("cert-manager"),
        ),
        (
            "kubernetes-sigs/metrics-server",
            "components.yaml",
            Bundle::In("kube-system"),
        ),
        (
            "kubernetes/ingress-nginx",
            "deploy.yaml",
            Bundle::In("ingress-nginx"),
        ),
        (
            "rancher/local-path-provisioner",
            "local-path-storage.yaml",
            Bundle::In("local-path-storage"),
        ),
        (
            "kubernetes-sigs/gateway-api",
            "standard-install.yaml",
            Bundle::ClusterScoped,
        ),
        (
            "kubernetes-sigs/gateway-api",
            "experimental-install.yaml",
            Bundle::ClusterScoped,
        ),
        (
            "kubernetes-sigs/gateway-api",
            "config/crd",
            Bundle::ClusterScoped,
        ),
    ];
    let path = url.split('?').next().unwrap_or(url);
    KNOWN
        .iter()
        .find(|(repo, file, _)| url.contains(repo) && path.contains(file))
        .map_or(Bundle::Unknown, |(_, _, b)| *b)
}

/// An Argo CD `ApplicationSet` spec: the charts of its template ([`from_argo_application`]),
/// also when only its `templatePatch` adds a Helm source, into the destination namespace as
/// written, else as each `list` element fills it in. Namespaces other generators fill in are
/// not known here.
pub fn from_argo_application_set(spec: Option<Node<'_>>) -> Box<[HelmChart]> {
    let Some(spec) = spec else {
        return Box::default();
    };
    let template = spec.at(&["template", "spec"]);
    let Some(namespace) =
        template.and_then(|t| non_empty_string(t.at(&["destination", "namespace"])))
    else {
        return Box::default();
    };
    let sources: Vec<Node<'_>> = template
        .map(|t| {
            t.get("source")
                .into_iter()
                .chain(t.get("sources").map(Node::as_seq).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    let mut charts: Vec<Option<String>> = sources
        .into_iter()
        .filter(|s| s.get("chart").is_some() || s.get("helm").is_some())
        .map(|s| non_empty_string(s.get("chart")).or_else(|| non_empty_string(s.get("path"))))
        .collect();
    // `templatePatch` is a Go template of the Application: not YAML cilint can parse, but a
    // `chart:` or `helm:` key in it adds a Helm source.
    if let Some(patch) = spec.get("templatePatch").and_then(Node::as_str)
        && patch.lines().any(|l| {
            let key = l.trim_start().trim_start_matches("- ");
            key.starts_with("chart:") || key.starts_with("helm:")
        })
    {
        charts.push(None);
    }
    if charts.is_empty() {
        return Box::default();
    }
    let namespaces: Vec<String> = if namespace.contains("{{") {
        let generators: Vec<Node<'_>> = spec
            .get("generators")
            .map(Node::as_seq)
            .unwrap_or_default()
            .collect();
        let mut filled = Vec::new();
        // What only the layout can fill in (other generators, a list element without the
        // parameter) stays the template: the layout expands it, or the Catalog matches it.
        let mut unfilled = false;
        for g in &generators {
            let Some(elements) = g.at(&["list", "elements"]) else {
                unfilled = true;
                continue;
            };
            for e in elements.as_seq() {
                let params: Vec<(String, String)> = e
                    .as_map()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                    .collect();
                match render_template(&namespace, &params) {
                    Some(ns) => filled.push(ns),
                    None => unfilled = true,
                }
            }
        }
        if unfilled {
            filled.push(namespace);
        }
        filled
    } else {
        vec![namespace]
    };
    namespaces
        .into_iter()
        .flat_map(|ns| {
            charts.iter().map(move |chart| HelmChart {
                chart: chart.clone(),
                namespace: Some(ns.clone()),
                release: None,
                remote: false,
                unexpanded: None,
                from: None,
                values: None,
            })
        })
        .collect()
}

/// Fills `{{name}}` (fasttemplate) and `{{.name}}` (goTemplate) parameters of an Argo CD
/// ApplicationSet template; `None` when a parameter is unknown.
pub fn render_template(template: &str, params: &[(String, String)]) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find("}}")? + at;
        let key = rest[at + 2..end].trim().trim_start_matches('.');
        let value = params.iter().find(|(k, _)| k == key).map(|(_, v)| v)?;
        out.push_str(value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_resources_are_urls_and_git_addresses() {
        for r in [
            "https://raw.githubusercontent.com/argoproj/argo-cd/v2.13.0/manifests/install.yaml",
            "https://github.com/argoproj/argo-cd//manifests/cluster-install?ref=v2.13.0",
            "github.com/kubernetes-sigs/kustomize/examples/multibases?ref=v3.3.1",
            "git@github.com:owner/repo.git//deploy?ref=main",
            "ssh://git@gitlab.example.net/team/app.git//k8s",
        ] {
            assert!(is_remote_resource(r), "{r}");
        }
        for r in ["../base", "deployment.yaml", "github/app.yaml"] {
            assert!(!is_remote_resource(r), "{r}");
        }
    }

    #[test]
    fn well_known_bundles_name_their_namespace() {
        assert_eq!(
            remote_bundle_namespace(
                "https://github.com/cert-manager/cert-manager/releases/download/v1.16.1/cert-manager.yaml"
            ),
            Bundle::In("cert-manager")
        );
        assert_eq!(
            remote_bundle_namespace(
                "https://github.com/kubernetes-sigs/metrics-server/releases/latest/download/components.yaml"
            ),
            Bundle::In("kube-system")
        );
        assert_eq!(
            remote_bundle_namespace(
                "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.2.0/standard-install.yaml"
            ),
            Bundle::ClusterScoped
        );
        // cert-manager's CRDs alone are not its release manifest.
        assert_eq!(
            remote_bundle_namespace(
                "https://github.com/cert-manager/cert-manager/releases/download/v1.16.1/cert-manager.crds.yaml"
            ),
            Bundle::Unknown
        );
        assert_eq!(
            remote_bundle_namespace(
                "https://raw.githubusercontent.com/argoproj/argo-cd/v2.13.0/manifests/install.yaml"
            ),
            Bundle::Unknown
        );
    }

    #[test]
    fn templates_fill_both_syntaxes() {
        let p = vec![("cluster.name".to_string(), "prod".to_string())];
        assert_eq!(
            render_template("{{cluster.name}}-x", &p).as_deref(),
            Some("prod-x")
        );
        assert_eq!(
            render_template("{{ .cluster.name }}", &p).as_deref(),
            Some("prod")
        );
        assert_eq!(render_template("{{server}}", &p), None);
    }
}
