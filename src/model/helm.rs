//! Helm charts that objects deploy: a Flux `HelmRelease`, an Argo CD `Application` or
//! `ApplicationSet` with a chart source, a kustomize `Kustomization` with `helmCharts`. cilint does
//! not render charts, so whatever a chart creates in its namespace is invisible to it.

use super::non_empty_string;
use crate::source::yaml::Node;

#[derive(Clone, Debug, PartialEq)]
pub struct HelmChart {
    /// The chart's name (or, for a chart in git, its path), for messages.
    pub chart: Option<String>,
    /// Where the chart's objects land; `None` means the deploying object's own namespace.
    pub namespace: Option<String>,
}

/// A Flux `HelmRelease`: `spec.chart.spec.chart` (or `spec.chartRef`) into `spec.targetNamespace`,
/// else the release's namespace.
pub fn from_helm_release(spec: Option<Node<'_>>) -> Box<[HelmChart]> {
    let Some(spec) = spec else {
        return Box::default();
    };
    let chart = spec
        .at(&["chart", "spec", "chart"])
        .or_else(|| spec.at(&["chartRef", "name"]))
        .and_then(Node::as_str);
    vec![HelmChart {
        chart: chart.map(str::to_string),
        namespace: non_empty_string(spec.get("targetNamespace")),
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
        })
        .collect()
}

/// A kustomize `Kustomization`: each `helmCharts[]` entry into its `namespace`, else the
/// kustomization's `namespace`.
pub fn from_kustomization(doc: Node<'_>) -> Box<[HelmChart]> {
    let own = non_empty_string(doc.get("namespace"));
    doc.get("helmCharts")
        .map(Node::as_seq)
        .unwrap_or_default()
        .map(|c| HelmChart {
            chart: non_empty_string(c.get("name")),
            namespace: non_empty_string(c.get("namespace")).or_else(|| own.clone()),
        })
        .collect()
}
