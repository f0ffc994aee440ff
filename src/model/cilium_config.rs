//! The Cilium settings written in the tree that change which objects Cilium makes and which
//! Services its load-balancer features handle: the `cilium` chart's Helm values (a Flux
//! HelmRelease, an Argo CD Application, a kustomize `helmCharts` entry) and the agent's
//! `cilium-config` ConfigMap that chart renders.
//!
//! Only settings written inline are read: values in files or ConfigMaps a release points at are
//! not, and then the chart defaults hold, as they do for everything cilint cannot see.

use super::{Text, text};
use crate::source::yaml::Node;
use crate::source::{FileId, Location};

/// One setting, with what it says.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting {
    /// `gatewayAPI.hostNetwork.enabled` (`gateway-api-hostnetwork-enabled`): Gateways listen on
    /// the nodes, and their Services are not LoadBalancers.
    GatewayHostNetwork(bool),
    /// `defaultLBServiceIPAM` (`default-lb-service-ipam`): `lbipam` (the default), `nodeipam`
    /// or `none`; which IPAM handles LoadBalancer Services without a `loadBalancerClass`.
    DefaultLbServiceIpam(Text),
    /// `gatewayAPI.externalTrafficPolicy` (`gateway-api-service-externaltrafficpolicy`): the
    /// policy of Gateway Services whose class config sets none (default `Cluster`).
    GatewayExternalTrafficPolicy(Text),
    /// `gatewayAPI.enableAppProtocol` (`enable-gateway-api-app-protocol`, default false): the
    /// operator picks each backend's HTTP version from its Service port's `appProtocol`.
    GatewayAppProtocol(bool),
}

/// A setting at the node that writes it.
#[derive(Clone, Debug, PartialEq)]
pub struct CiliumSetting {
    pub setting: Setting,
    pub location: Location,
}

/// The settings one document writes.
pub fn settings(doc: Node<'_>, file: FileId, api_version: &str, kind: &str) -> Vec<CiliumSetting> {
    let spec = doc.get("spec");
    let mut values = Vec::new();
    match (super::group_of(api_version), kind) {
        ("helm.toolkit.fluxcd.io", "HelmRelease") => {
            let chart = spec.and_then(|s| s.at(&["chart", "spec", "chart"]));
            let chart_ref = spec.and_then(|s| s.at(&["chartRef", "name"]));
            if [chart, chart_ref]
                .iter()
                .any(|n| n.and_then(Node::as_str) == Some("cilium"))
            {
                values.extend(spec.and_then(|s| s.get("values")));
            }
        }
        ("argoproj.io", "Application" | "ApplicationSet") => {
            for source in super::versions::argo_sources(spec, kind) {
                if source.get("chart").and_then(Node::as_str) == Some("cilium") {
                    values.extend(source.at(&["helm", "valuesObject"]));
                }
            }
        }
        ("kustomize.config.k8s.io", "Kustomization") => {
            for chart in doc
                .get("helmCharts")
                .map(Node::as_seq)
                .into_iter()
                .flatten()
            {
                if chart.get("name").and_then(Node::as_str) == Some("cilium") {
                    values.extend(chart.get("valuesInline"));
                }
            }
        }
        ("", "ConfigMap") => {
            let name = doc.at(&["metadata", "name"]).and_then(Node::as_str);
            if name == Some("cilium-config") {
                return config_map(doc.get("data"), file);
            }
        }
        _ => {}
    }
    values.into_iter().flat_map(|v| helm(v, file)).collect()
}

fn at(file: FileId, node: Node<'_>) -> Location {
    Location {
        file,
        span: node.span(),
    }
}

fn helm(values: Node<'_>, file: FileId) -> Vec<CiliumSetting> {
    let mut out = Vec::new();
    if let Some(n) = values.at(&["gatewayAPI", "hostNetwork", "enabled"])
        && let Some(b) = n.as_bool()
    {
        out.push(CiliumSetting {
            setting: Setting::GatewayHostNetwork(b),
            location: at(file, n),
        });
    }
    if let Some(n) = values.get("defaultLBServiceIPAM")
        && let Some(v) = n.as_str()
    {
        out.push(CiliumSetting {
            setting: Setting::DefaultLbServiceIpam(text(v)),
            location: at(file, n),
        });
    }
    if let Some(n) = values.at(&["gatewayAPI", "externalTrafficPolicy"])
        && let Some(v) = n.as_str()
    {
        out.push(CiliumSetting {
            setting: Setting::GatewayExternalTrafficPolicy(text(v)),
            location: at(file, n),
        });
    }
    if let Some(n) = values.at(&["gatewayAPI", "enableAppProtocol"])
        && let Some(b) = n.as_bool()
    {
        out.push(CiliumSetting {
            setting: Setting::GatewayAppProtocol(b),
            location: at(file, n),
        });
    }
    out
}

/// The agent's flags, as the chart renders them into `cilium-config` (all strings).
fn config_map(data: Option<Node<'_>>, file: FileId) -> Vec<CiliumSetting> {
    let mut out = Vec::new();
    let Some(data) = data else {
        return out;
    };
    if let Some(n) = data.get("gateway-api-hostnetwork-enabled")
        && let Some(v) = n.as_str()
    {
        out.push(CiliumSetting {
            setting: Setting::GatewayHostNetwork(v == "true"),
            location: at(file, n),
        });
    }
    if let Some(n) = data.get("default-lb-service-ipam")
        && let Some(v) = n.as_str()
    {
        out.push(CiliumSetting {
            setting: Setting::DefaultLbServiceIpam(text(v)),
            location: at(file, n),
        });
    }
    if let Some(n) = data.get("gateway-api-service-externaltrafficpolicy")
        && let Some(v) = n.as_str()
    {
        out.push(CiliumSetting {
            setting: Setting::GatewayExternalTrafficPolicy(text(v)),
            location: at(file, n),
        });
    }
    if let Some(n) = data.get("enable-gateway-api-app-protocol")
        && let Some(v) = n.as_str()
    {
        out.push(CiliumSetting {
            setting: Setting::GatewayAppProtocol(v == "true"),
            location: at(file, n),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{LineIndex, yaml};

    fn of(text: &str) -> Vec<Setting> {
        let loaded = yaml::load(text, &LineIndex::new(text));
        let doc = loaded.documents[0].root();
        let api = doc.get("apiVersion").and_then(Node::as_str).unwrap_or("");
        let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
        settings(doc, FileId(0), api, kind)
            .into_iter()
            .map(|s| s.setting)
            .collect()
    }

    #[test]
    fn helm_values_of_the_cilium_chart_wherever_they_are_written() {
        let flux = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: cilium}\n\
            spec:\n  chartRef: {kind: OCIRepository, name: cilium}\n  values:\n    \
            defaultLBServiceIPAM: nodeipam\n    gatewayAPI: {enabled: true, hostNetwork: {enabled: true}, \
            externalTrafficPolicy: Local}\n";
        assert_eq!(
            of(flux),
            [
                Setting::GatewayHostNetwork(true),
                Setting::DefaultLbServiceIpam("nodeipam".into()),
                Setting::GatewayExternalTrafficPolicy("Local".into())
            ]
        );
        let argo = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: cilium}\n\
            spec:\n  source:\n    chart: cilium\n    helm:\n      valuesObject:\n        \
            gatewayAPI: {hostNetwork: {enabled: false}}\n";
        assert_eq!(of(argo), [Setting::GatewayHostNetwork(false)]);
        let app_protocol = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cilium-config}\n\
            data:\n  enable-gateway-api-app-protocol: \"true\"\n";
        assert_eq!(of(app_protocol), [Setting::GatewayAppProtocol(true)]);
        let kustomize = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
            helmCharts:\n- name: cilium\n  valuesInline: {defaultLBServiceIPAM: none}\n";
        assert_eq!(
            of(kustomize),
            [Setting::DefaultLbServiceIpam("none".into())]
        );
        let rendered = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cilium-config, namespace: kube-system}\n\
            data:\n  gateway-api-hostnetwork-enabled: \"true\"\n  default-lb-service-ipam: lbipam\n";
        assert_eq!(
            of(rendered),
            [
                Setting::GatewayHostNetwork(true),
                Setting::DefaultLbServiceIpam("lbipam".into())
            ]
        );
    }

    #[test]
    fn other_charts_and_config_maps_say_nothing() {
        let other = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: traefik}\n\
            spec:\n  chart: {spec: {chart: traefik}}\n  values: {defaultLBServiceIPAM: none}\n";
        assert!(of(other).is_empty());
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\n\
            data: {default-lb-service-ipam: none}\n";
        assert!(of(cm).is_empty());
    }
}
