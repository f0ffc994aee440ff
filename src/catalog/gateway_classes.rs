//! Where a GatewayClass that is not in the tree may come from: the controllers and Helm charts
//! that make one, a remote kustomize resource, a placeholder. GatewayClasses are cluster-scoped,
//! so the per-namespace answers of `unverified_reason` do not reach them.

use super::{Catalog, placeholder};
use crate::model::GATEWAY_GROUP;

/// The class Cilium's Helm chart creates when `gatewayAPI.enabled` (controller
/// `io.cilium/gateway-controller`), installed unless the tree says otherwise:
/// cilium/cilium `install/kubernetes/cilium/templates/cilium-gateway-api-class.yaml`.
pub const CILIUM_CLASS: &str = "cilium";

/// Classes a controller creates itself once installed, with who does.
/// - Istio: istiod creates `istio` (and `istio-remote`; `istio-waypoint` with ambient,
///   `istio-east-west` for multi-network), https://istio.io/latest/docs/tasks/traffic-management/ingress/gateway-api/
/// - GKE installs its `gke-l7-…` classes in every cluster with the Gateway API enabled,
///   https://cloud.google.com/kubernetes-engine/docs/concepts/gateway-api#gatewayclass
const CONTROLLER_CLASSES: &[(&str, &str)] = &[
    ("istio", "Istio's istiod"),
    ("istio-remote", "Istio's istiod"),
    ("istio-waypoint", "Istio's istiod"),
    ("istio-east-west", "Istio's istiod"),
];
const CONTROLLER_CLASS_PREFIXES: &[(&str, &str)] = &[("gke-l7-", "GKE")];

/// Charts that create a GatewayClass, and its name when the chart fixes it (`None`: the
/// chart's values name it, so any name may be it).
/// - cilium: `cilium`, above.
/// - traefik: `gatewayClass.name`, default `traefik`, when the Gateway provider is enabled,
///   https://github.com/traefik/traefik-helm-chart/blob/master/traefik/templates/gatewayclass.yaml
/// - nginx-gateway-fabric: `nginxGateway.gatewayClassName`, default `nginx`,
///   https://github.com/nginx/nginx-gateway-fabric/blob/main/charts/nginx-gateway-fabric/templates/gatewayclass.yaml
const CHART_CLASSES: &[(&str, Option<&str>)] = &[
    ("cilium", Some(CILIUM_CLASS)),
    ("traefik", None),
    ("nginx-gateway-fabric", None),
];

/// The names a gatewayClassName may mean besides the classes in the tree, for "did you mean".
pub const KNOWN_CLASSES: &[&str] = &[
    CILIUM_CLASS,
    "istio",
    "istio-remote",
    "istio-waypoint",
    "istio-east-west",
];

impl Catalog {
    /// Why a GatewayClass that is not in the tree may exist in the cluster (in strict mode,
    /// only `cilium`): the class Cilium's chart creates, one a controller creates itself, one a
    /// chart of the tree creates (a chart of the repository's own may template anything), one a
    /// remote kustomize resource may hold, a placeholder, or the general reasons.
    pub fn gateway_class_unverified(&self, name: &str) -> Option<String> {
        if name == CILIUM_CLASS {
            return Some(
                "Cilium's Helm chart creates GatewayClass `cilium` when gatewayAPI.enabled".into(),
            );
        }
        if self.strict {
            return None;
        }
        if let Some(p) = placeholder(name) {
            return Some(format!("the name holds the unresolved placeholder {p}"));
        }
        if let Some((_, who)) = CONTROLLER_CLASSES.iter().find(|(n, _)| *n == name) {
            return Some(format!("{who} creates GatewayClass `{name}`"));
        }
        if let Some((_, who)) = CONTROLLER_CLASS_PREFIXES
            .iter()
            .find(|(p, _)| name.starts_with(p))
        {
            return Some(format!(
                "{who} installs the GatewayClasses `{name}` is one of"
            ));
        }
        let mut charts: Vec<_> = self
            .helm_namespaces
            .values()
            .flatten()
            .chain(self.placeholder_charts.iter().map(|(_, c)| c))
            .filter(|c| {
                c.in_git
                    || CHART_CLASSES.iter().any(|(chart, class)| {
                        c.chart_name.as_deref() == Some(*chart)
                            && class.is_none_or(|class| class == name)
                    })
            })
            .map(|c| c.what.as_str())
            .collect();
        charts.sort_unstable();
        if let Some(what) = charts.first() {
            return Some(format!("{what} may create GatewayClass `{name}`"));
        }
        if let Some(reason) = self
            .remote_namespaces
            .iter()
            .min_by(|a, b| a.0.cmp(b.0))
            .map(|(_, reason)| reason)
        {
            return Some(format!("{reason}; it may hold GatewayClass `{name}`"));
        }
        self.unverified_reason(GATEWAY_GROUP, "GatewayClass", None, name)
    }
}
