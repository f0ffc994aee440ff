//! gateway-generated-object-conflict: a Service, Endpoints, EndpointSlice or CiliumEnvoyConfig
//! written in the tree under the name Cilium gives the objects it generates for a Gateway
//! (`cilium-gateway-<gateway>`, in the Gateway's namespace). The operator owns that name: it
//! overwrites the object on every reconcile, and the tree's copy is applied back (semantics.md
//! §1.1, `gateway_reconcile.go` `ensureService`).

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::lb;
use crate::catalog::{Catalog, Lookup, generated_service_name};
use crate::diagnostic::{Finding, Severity};
use crate::model::{Object, ObjectId};

pub static META: RuleMeta = RuleMeta {
    id: "gateway-generated-object-conflict",
    severity: Severity::Warning,
    category: Category::Cilium,
    summary: "an object in the tree has the name of an object Cilium generates for a Gateway \
              (cilium-gateway-<gateway>), which the operator owns and overwrites",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// The kinds Cilium generates for every Gateway, under the Gateway's Service name: the Service,
/// its dummy endpoint (Endpoints up to 1.18, an EndpointSlice from 1.19), and the Envoy
/// configuration.
const GENERATED: [(&str, &str); 4] = [
    ("", "Service"),
    ("", "Endpoints"),
    ("discovery.k8s.io", "EndpointSlice"),
    ("cilium.io", "CiliumEnvoyConfig"),
];

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for gw_id in lb::cilium_gateways(catalog) {
        let gw = catalog.object(gw_id);
        let name = generated_service_name(&gw.name);
        for (group, kind) in GENERATED {
            let Lookup::Found(id) = catalog.lookup(group, kind, gw.namespace.as_deref(), &name)
            else {
                continue;
            };
            // The Catalog's own copy of the generated Service is not written in the tree.
            if catalog.generator(id).is_some() {
                continue;
            }
            out.push(conflict(catalog, gw_id, gw, catalog.object(id)));
        }
    }
}

fn conflict(catalog: &Catalog, gw_id: ObjectId, gw: &Object, authored: &Object) -> Finding {
    let location = authored
        .name_location()
        .or_else(|| catalog.report_location(gw_id))
        .expect("authored objects and Gateways come from manifests");
    let what = match authored.kind.as_str() {
        "Service" => {
            "replacing its spec (type, ports, selector) and ownerReferences and keeping only its \
             labels and annotations"
        }
        "CiliumEnvoyConfig" => "replacing its Envoy listeners and routes with the Gateway's",
        _ => "replacing its endpoints with Cilium's placeholder endpoint",
    };
    let instead = match authored.kind.as_str() {
        "Service" => {
            "set labels and annotations under the Gateway's spec.infrastructure, addresses \
             under spec.addresses, and the Service type or externalTrafficPolicy in a \
             CiliumGatewayClassConfig"
        }
        _ => "route traffic with HTTPRoutes and other routes attached to the Gateway",
    };
    Finding::new(
        &META,
        location,
        format!(
            "{} {} is the {} Cilium generates for Gateway {}: the operator overwrites it on \
             every reconcile, {what}, and applying this copy fights it",
            authored.kind,
            authored.qualified_name(),
            authored.kind,
            gw.name,
        ),
    )
    .object(authored)
    .field("metadata.name")
    .label("owned by the Gateway")
    .help(format!(
        "remove this {} from the tree; to change what Cilium generates, {instead}",
        authored.kind
    ))
    .related(
        gw.name_location(),
        format!("Gateway {} generates {}", gw.name, authored.name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n\
        metadata: {name: web, namespace: edge}\nspec:\n  gatewayClassName: cilium\n  \
        listeners: [{name: http, protocol: HTTP, port: 80}]\n";

    fn object(api_version: &str, kind: &str, name: &str, namespace: &str) -> String {
        format!(
            "---\napiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: {name}, \
             namespace: {namespace}}}\n"
        )
    }

    #[test]
    fn authored_copies_of_generated_objects_are_reported() {
        let yaml = format!(
            "{GATEWAY}{}{}{}",
            object("v1", "Service", "cilium-gateway-web", "edge"),
            object(
                "discovery.k8s.io/v1",
                "EndpointSlice",
                "cilium-gateway-web",
                "edge"
            ),
            object(
                "cilium.io/v2",
                "CiliumEnvoyConfig",
                "cilium-gateway-web",
                "edge"
            ),
        );
        let found = crate::rules::findings_in(check, &yaml);
        let kinds: Vec<&str> = found
            .iter()
            .map(|f| f.message.split(' ').next().unwrap())
            .collect();
        assert_eq!(kinds, ["Service", "EndpointSlice", "CiliumEnvoyConfig"]);
        assert!(
            found[0]
                .message
                .starts_with("Service edge/cilium-gateway-web is the Service Cilium generates"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn other_namespaces_names_and_classes_are_not_conflicts() {
        let yaml = format!(
            "{GATEWAY}{}{}{}",
            object("v1", "Service", "cilium-gateway-web", "default"),
            object("v1", "Service", "web", "edge"),
            object("v1", "ConfigMap", "cilium-gateway-web", "edge"),
        );
        assert!(crate::rules::findings_in(check, &yaml).is_empty());
        let envoy = GATEWAY.replace("gatewayClassName: cilium", "gatewayClassName: eg")
            + &object("v1", "Service", "cilium-gateway-web", "edge");
        assert!(crate::rules::findings_in(check, &envoy).is_empty());
    }
}
