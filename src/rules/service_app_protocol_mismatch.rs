//! service-app-protocol-mismatch: an HTTPRoute backend whose Service port's `appProtocol`
//! asks for HTTP/2 (h2c, gRPC) where Cilium's Envoy will speak HTTP/1.1 to it.

use std::collections::HashSet;

use super::{Category, Facts, Rule, RuleMeta};
use crate::catalog::{Catalog, Lookup};
use crate::diagnostic::{Finding, Severity};
use crate::model::cilium_config::Setting;
use crate::model::service::ServicePort;
use crate::model::{GATEWAY_GROUP, Object};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "service-app-protocol-mismatch",
    severity: Severity::Warning,
    category: Category::Cilium,
    summary: "an HTTPRoute backend's appProtocol asks for HTTP/2 that Cilium will not speak to it",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// The only value Cilium maps to HTTP/2 (operator/pkg/model/translation, `AppProtocolH2C`).
const H2C: &str = "kubernetes.io/h2c";

/// appProtocol values that say the backend speaks HTTP/2 in clear text: the Kubernetes name,
/// and the names people write for it (a gRPC server speaks HTTP/2 only).
fn wants_http2(app_protocol: &str) -> bool {
    matches!(
        app_protocol.to_ascii_lowercase().as_str(),
        H2C | "h2c" | "grpc" | "http2"
    )
}

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    // Without the setting written, Cilium's configuration is not in the tree: nothing is known.
    let Some((enabled, setting_at)) = catalog.cilium_setting(|s| match s {
        Setting::GatewayAppProtocol(b) => Some(*b),
        _ => None,
    }) else {
        return;
    };
    // A Service port that is also a GRPCRoute backend gets HTTP/2 whatever its appProtocol.
    let mut grpc: HashSet<(&str, &str, u32)> = HashSet::new();
    for u in catalog.service_backend_refs() {
        if let (true, Some(port)) = (u.route.kind == "GRPCRoute", &u.backend.port) {
            grpc.insert((u.namespace, u.backend.name.as_str(), port.value));
        }
    }
    let mut seen: HashSet<(&str, &str, u32)> = HashSet::new();
    for u in catalog.service_backend_refs() {
        let Some(port) = &u.backend.port else {
            continue;
        };
        let key = (u.namespace, u.backend.name.as_str(), port.value);
        if u.route.kind != "HTTPRoute" || grpc.contains(&key) || !on_cilium(catalog, u.route) {
            continue;
        }
        let Lookup::Found(svc_id) = catalog.lookup("", "Service", Some(u.namespace), key.1) else {
            continue;
        };
        let svc_obj = catalog.object(svc_id);
        let Some(sp) = svc_obj
            .service()
            .and_then(|s| s.ports.iter().find(|p| p.port == port.value))
        else {
            continue;
        };
        let Some(app) = &sp.app_protocol else {
            continue;
        };
        if !wants_http2(&app.value) || (enabled && app.value == H2C) {
            continue;
        }
        // One finding per Service port, at the first route to it.
        if !seen.insert(key) {
            continue;
        }
        let at = Location {
            file: u.file,
            span: port.span,
        };
        let mut f = finding(u.route, svc_obj, sp, &app.value, enabled, at);
        f = f
            .field(format!("{}.port", u.backend.path()))
            .related(
                svc_obj.at(app.span),
                format!(
                    "Service port {} declares `appProtocol: {}`",
                    sp.port, app.value
                ),
            )
            .related(
                Some(setting_at),
                format!("enableAppProtocol is {enabled} here"),
            );
        out.push(f);
    }
}

/// Whether a parentRef of the route names a Gateway of a Cilium class.
fn on_cilium(catalog: &Catalog, route: &Object) -> bool {
    let Some(spec) = route.route() else {
        return false;
    };
    spec.parent_refs.iter().filter(|p| p.is_gateway()).any(|p| {
        let ns = p
            .namespace
            .as_ref()
            .map(|n| n.value.as_str())
            .or(route.namespace.as_deref());
        matches!(
            catalog.lookup(GATEWAY_GROUP, "Gateway", ns, p.name.as_str()),
            Lookup::Found(gw) if catalog.is_cilium_gateway(gw)
        )
    })
}

fn finding(
    route: &Object,
    svc: &Object,
    sp: &ServicePort,
    app: &str,
    enabled: bool,
    at: Location,
) -> Finding {
    let head = format!(
        "{} {}: Service {} port {} declares `appProtocol: {app}`, but Cilium speaks HTTP/1.1 \
         to it",
        route.kind,
        route.qualified_name(),
        svc.qualified_name(),
        sp.port
    );
    let f = Finding::new(&META, at, head)
        .object(route)
        .label(format!("Cilium speaks HTTP/1.1 to appProtocol `{app}`"));
    if enabled {
        let mut f = f.help(format!(
            "set `appProtocol: {H2C}` on the Service port (or route it with a GRPCRoute): with \
             gatewayAPI.enableAppProtocol, Cilium gives a backend HTTP/2 only for `{H2C}` and \
             forces HTTP/1.1 for every other value, which an HTTP/2-only (gRPC) server refuses"
        ));
        f.severity = Severity::Error;
        f
    } else {
        f.help(format!(
            "set gatewayAPI.enableAppProtocol (enable-gateway-api-app-protocol) to true and \
             `appProtocol: {H2C}`, or route it with a GRPCRoute: with the setting off Cilium \
             ignores appProtocol and speaks to the backend in the client's HTTP version, so \
             HTTP/1.1 clients reach it in HTTP/1.1"
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::findings_in;

    fn tree(setting: &str, app_protocol: &str, route_kind: &str) -> String {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cilium-config, namespace: kube-system}}\n\
             data: {{enable-gateway-api-app-protocol: \"{setting}\"}}\n---\n\
             apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw}}\n\
             spec: {{gatewayClassName: cilium, listeners: [{{name: http, protocol: HTTP, port: 80}}]}}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata: {{name: api}}\n\
             spec: {{selector: {{app: api}}, ports: [{{port: 9000, appProtocol: {app_protocol}}}]}}\n---\n\
             apiVersion: gateway.networking.k8s.io/v1\nkind: {route_kind}\nmetadata: {{name: api}}\n\
             spec: {{parentRefs: [{{name: gw}}], rules: [{{backendRefs: [{{name: api, port: 9000}}]}}]}}\n"
        )
    }

    fn severities(setting: &str, app_protocol: &str, route_kind: &str) -> Vec<String> {
        findings_in(super::check, &tree(setting, app_protocol, route_kind))
            .iter()
            .map(|f| format!("{:?}", f.severity))
            .collect()
    }

    #[test]
    fn with_app_protocol_on_only_the_kubernetes_h2c_value_gets_http2() {
        assert_eq!(severities("true", "grpc", "HTTPRoute"), ["Error"]);
        assert!(severities("true", "kubernetes.io/h2c", "HTTPRoute").is_empty());
        assert!(severities("true", "kubernetes.io/ws", "HTTPRoute").is_empty());
    }

    #[test]
    fn with_app_protocol_off_cilium_follows_the_client() {
        assert_eq!(
            severities("false", "kubernetes.io/h2c", "HTTPRoute"),
            ["Warning"]
        );
        assert!(severities("false", "http", "HTTPRoute").is_empty());
    }

    #[test]
    fn grpc_routes_always_get_http2() {
        assert!(severities("true", "http", "GRPCRoute").is_empty());
        assert!(severities("false", "grpc", "GRPCRoute").is_empty());
    }

    #[test]
    fn nothing_is_known_without_the_setting() {
        let yaml =
            tree("true", "grpc", "HTTPRoute").replace("enable-gateway-api-app-protocol", "other");
        assert!(findings_in(super::check, &yaml).is_empty());
    }
}
