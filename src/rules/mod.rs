//! The rule registry: one line per rule, one file per rule.

pub use crate::analysis::Facts;
use crate::catalog::MissReason;
use crate::diagnostic::Finding;
pub use crate::diagnostic::{Category, RuleMeta};

mod backend_kind_invalid;
mod backend_not_found;
mod backend_port_mismatch;
mod bgp_advertisement_unreached;
mod bgp_chain;
mod bgp_peer_config_advertises_nothing;
mod bgp_peer_config_not_found;
mod certificate_ref_invalid;
mod chart_render_failed;
mod cilium_api_version_unserved;
mod config_reference_not_found;
mod cross_namespace;
mod duplicate_object;
mod flux_variable_undefined;
mod gateway_address_unsupported;
mod gateway_annotations_not_propagated;
mod gateway_api_bundle_too_old;
mod gateway_api_version_unserved;
mod gateway_class_not_found;
mod gateway_generated_object_conflict;
mod gateway_labels_not_propagated;
mod invalid_object;
mod ip_pool_invalid;
mod l2_external_traffic_local;
mod l2_policy_announces_nothing;
mod l2_policy_interface_invalid;
mod label_command_unknown_gateway;
mod label_gaps;
mod listener_conflict;
mod listener_hostname_invalid;
mod listener_protocol_unsupported;
mod listener_route_kinds_invalid;
mod listener_tls_invalid;
mod listenerset_not_allowed;
mod listenerset_parent_not_found;
mod probe_port_not_found;
mod reference_grant_unused;
mod reference_not_permitted;
mod route_hostname_mismatch;
mod route_listener_not_found;
mod route_not_allowed;
mod route_parent_not_found;
mod secret_plain_text;
mod selector_invalid;
mod selector_matches_nothing;
mod service_app_protocol_mismatch;
mod service_ip_conflict;
mod service_ip_not_in_pool;
mod service_ip_pool_missing;
mod service_not_advertised;
mod service_pools_ambiguous;
mod service_selects_no_pods;
mod service_target_port_not_found;
mod statefulset_service_not_headless;
mod stranded;
mod tls_secret_not_found;
pub(crate) mod unused_suppression;
mod workload_selector_mismatch;
mod yaml_syntax;

pub struct Rule {
    pub meta: &'static RuleMeta,
    /// Reads the Catalog (through [`Facts`]) only; no I/O, nothing written but its findings.
    pub check: fn(&Facts<'_>, &mut Vec<Finding>),
}

/// The finding of a reference that missed, when the tree says why (its object is in a file its
/// kustomization does not list, or has no `kind`): the reason ends the message, replaces the
/// help, and points at the object. One root cause, said at the reference.
pub(crate) fn explained(mut f: Finding, reason: MissReason) -> Finding {
    f.message = format!("{}: {}", f.message, reason.sentence);
    f.help = Some(reason.help);
    f.related(reason.location, reason.note)
}

/// Where the objects the cluster's Gateway API bundle refuses are written (see
/// gateway-api-version-unserved): other rules' findings there are dropped, one root cause, one
/// finding.
pub fn refused_by_bundle(facts: &Facts<'_>) -> Vec<crate::source::Location> {
    gateway_api_version_unserved::refused(facts)
}

/// The rule whose error findings are the objects [`refused_by_bundle`] finds.
pub const REFUSED_BY_BUNDLE: &str = "gateway-api-version-unserved";

/// The rule that reports a file that does not parse.
pub const YAML_SYNTAX: &str = "yaml-syntax";

/// Every rule, in id order.
pub static RULES: &[Rule] = &[
    backend_kind_invalid::RULE,
    backend_not_found::RULE,
    backend_port_mismatch::RULE,
    bgp_advertisement_unreached::RULE,
    bgp_peer_config_advertises_nothing::RULE,
    bgp_peer_config_not_found::RULE,
    certificate_ref_invalid::RULE,
    chart_render_failed::RULE,
    cilium_api_version_unserved::RULE,
    config_reference_not_found::RULE,
    duplicate_object::RULE,
    flux_variable_undefined::RULE,
    gateway_address_unsupported::RULE,
    gateway_annotations_not_propagated::RULE,
    gateway_api_bundle_too_old::RULE,
    gateway_api_version_unserved::RULE,
    gateway_class_not_found::RULE,
    gateway_generated_object_conflict::RULE,
    gateway_labels_not_propagated::RULE,
    invalid_object::RULE,
    ip_pool_invalid::RULE,
    l2_external_traffic_local::RULE,
    l2_policy_announces_nothing::RULE,
    l2_policy_interface_invalid::RULE,
    label_command_unknown_gateway::RULE,
    listener_conflict::RULE,
    listener_hostname_invalid::RULE,
    listener_protocol_unsupported::RULE,
    listener_route_kinds_invalid::RULE,
    listener_tls_invalid::RULE,
    listenerset_not_allowed::RULE,
    listenerset_parent_not_found::RULE,
    probe_port_not_found::RULE,
    reference_grant_unused::RULE,
    reference_not_permitted::RULE,
    route_hostname_mismatch::RULE,
    route_listener_not_found::RULE,
    route_not_allowed::RULE,
    route_parent_not_found::RULE,
    secret_plain_text::RULE,
    selector_invalid::RULE,
    selector_matches_nothing::RULE,
    service_app_protocol_mismatch::RULE,
    service_ip_conflict::RULE,
    service_ip_not_in_pool::RULE,
    service_ip_pool_missing::RULE,
    service_not_advertised::RULE,
    service_pools_ambiguous::RULE,
    service_selects_no_pods::RULE,
    service_target_port_not_found::RULE,
    statefulset_service_not_headless::RULE,
    tls_secret_not_found::RULE,
    unused_suppression::RULE,
    workload_selector_mismatch::RULE,
    yaml_syntax::RULE,
];

/// Every rule's id, in id order: what the configuration may name.
pub fn ids() -> Vec<&'static str> {
    RULES.iter().map(|r| r.meta.id).collect()
}

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.meta.id == id)
}

/// The documentation page of a rule, `rules/<id>.md`, compiled in.
pub fn doc(id: &str) -> Option<&'static str> {
    DOCS.iter().find(|(i, _)| *i == id).map(|(_, d)| *d)
}

macro_rules! docs {
    ($($id:literal),* $(,)?) => {
        static DOCS: &[(&str, &str)] = &[
            $(($id, include_str!(concat!("../../rules/", $id, ".md")))),*
        ];
    };
}

docs!(
    "backend-kind-invalid",
    "backend-not-found",
    "backend-port-mismatch",
    "bgp-advertisement-unreached",
    "bgp-peer-config-advertises-nothing",
    "bgp-peer-config-not-found",
    "certificate-ref-invalid",
    "chart-render-failed",
    "cilium-api-version-unserved",
    "config-reference-not-found",
    "duplicate-object",
    "flux-variable-undefined",
    "gateway-address-unsupported",
    "gateway-annotations-not-propagated",
    "gateway-api-bundle-too-old",
    "gateway-api-version-unserved",
    "gateway-class-not-found",
    "gateway-generated-object-conflict",
    "gateway-labels-not-propagated",
    "invalid-object",
    "ip-pool-invalid",
    "l2-external-traffic-local",
    "l2-policy-announces-nothing",
    "l2-policy-interface-invalid",
    "label-command-unknown-gateway",
    "listener-conflict",
    "listener-hostname-invalid",
    "listener-protocol-unsupported",
    "listener-route-kinds-invalid",
    "listener-tls-invalid",
    "listenerset-not-allowed",
    "listenerset-parent-not-found",
    "probe-port-not-found",
    "reference-grant-unused",
    "reference-not-permitted",
    "route-hostname-mismatch",
    "route-listener-not-found",
    "route-not-allowed",
    "route-parent-not-found",
    "secret-plain-text",
    "selector-invalid",
    "selector-matches-nothing",
    "service-app-protocol-mismatch",
    "service-ip-conflict",
    "service-ip-not-in-pool",
    "service-ip-pool-missing",
    "service-not-advertised",
    "service-pools-ambiguous",
    "service-selects-no-pods",
    "service-target-port-not-found",
    "statefulset-service-not-headless",
    "tls-secret-not-found",
    "unused-suppression",
    "workload-selector-mismatch",
    "yaml-syntax",
);

/// A rule's findings on one YAML text, loaded as a file in the default namespace: the rules'
/// unit tests.
#[cfg(test)]
pub(crate) fn findings_in(check: fn(&Facts<'_>, &mut Vec<Finding>), yaml: &str) -> Vec<Finding> {
    let catalog = crate::catalog::Catalog::of_yaml(yaml, "default");
    let mut out = Vec::new();
    check(&Facts::new(&catalog), &mut out);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_refusing_rule_is_the_version_rule() {
        assert_eq!(
            super::REFUSED_BY_BUNDLE,
            super::gateway_api_version_unserved::META.id
        );
    }
}
