//! Every rule against its fixtures: `fixtures/<id>/fail` must draw the rule, `fixtures/<id>/pass`
//! must not; the rendered output of both is snapshotted.

mod common;

use common::{human, lint, rules_of};

fn check_rule(id: &str) {
    let fail_dir = format!("fixtures/{id}/fail");
    let pass_dir = format!("fixtures/{id}/pass");
    assert!(
        std::path::Path::new(&fail_dir).is_dir() && std::path::Path::new(&pass_dir).is_dir(),
        "{id} needs fixtures/{id}/pass and fixtures/{id}/fail"
    );

    let fail = lint(&[&fail_dir]);
    assert!(fail.input_errors.is_empty(), "{:?}", fail.input_errors);
    assert!(
        rules_of(&fail).contains(&id),
        "{fail_dir} draws no {id} finding:\n{}",
        human(&fail)
    );
    insta::assert_snapshot!(format!("{id}-fail"), human(&fail));

    let pass = lint(&[&pass_dir]);
    assert!(pass.input_errors.is_empty(), "{:?}", pass.input_errors);
    assert!(
        !rules_of(&pass).contains(&id),
        "{pass_dir} draws a {id} finding:\n{}",
        human(&pass)
    );
    insta::assert_snapshot!(format!("{id}-pass"), human(&pass));
}

macro_rules! rule_tests {
    ($($name:ident => $id:literal),* $(,)?) => {
        $(#[test] fn $name() { check_rule($id); })*

        /// Every registered rule has a fixture test here.
        #[test]
        fn every_rule_has_fixture_tests() {
            let tested = [$($id),*];
            for rule in cilint::rules::RULES {
                assert!(tested.contains(&rule.meta.id), "no fixture test for {}", rule.meta.id);
            }
        }
    };
}

rule_tests! {
    backend_kind_invalid => "backend-kind-invalid",
    backend_not_found => "backend-not-found",
    backend_port_mismatch => "backend-port-mismatch",
    bgp_advertisement_unreached => "bgp-advertisement-unreached",
    bgp_peer_config_advertises_nothing => "bgp-peer-config-advertises-nothing",
    bgp_peer_config_not_found => "bgp-peer-config-not-found",
    certificate_ref_invalid => "certificate-ref-invalid",
    chart_render_failed => "chart-render-failed",
    cilium_api_version_unserved => "cilium-api-version-unserved",
    config_reference_not_found => "config-reference-not-found",
    duplicate_object => "duplicate-object",
    flux_variable_undefined => "flux-variable-undefined",
    gateway_address_unsupported => "gateway-address-unsupported",
    gateway_annotations_not_propagated => "gateway-annotations-not-propagated",
    gateway_api_bundle_too_old => "gateway-api-bundle-too-old",
    gateway_api_version_unserved => "gateway-api-version-unserved",
    gateway_class_not_found => "gateway-class-not-found",
    gateway_generated_object_conflict => "gateway-generated-object-conflict",
    gateway_labels_not_propagated => "gateway-labels-not-propagated",
    invalid_object => "invalid-object",
    ip_pool_invalid => "ip-pool-invalid",
    l2_external_traffic_local => "l2-external-traffic-local",
    l2_policy_announces_nothing => "l2-policy-announces-nothing",
    l2_policy_interface_invalid => "l2-policy-interface-invalid",
    label_command_unknown_gateway => "label-command-unknown-gateway",
    listener_conflict => "listener-conflict",
    listener_hostname_invalid => "listener-hostname-invalid",
    listener_protocol_unsupported => "listener-protocol-unsupported",
    listener_route_kinds_invalid => "listener-route-kinds-invalid",
    listener_tls_invalid => "listener-tls-invalid",
    listenerset_not_allowed => "listenerset-not-allowed",
    listenerset_parent_not_found => "listenerset-parent-not-found",
    probe_port_not_found => "probe-port-not-found",
    reference_grant_unused => "reference-grant-unused",
    reference_not_permitted => "reference-not-permitted",
    route_hostname_mismatch => "route-hostname-mismatch",
    route_listener_not_found => "route-listener-not-found",
    route_not_allowed => "route-not-allowed",
    route_parent_not_found => "route-parent-not-found",
    secret_plain_text => "secret-plain-text",
    selector_invalid => "selector-invalid",
    selector_matches_nothing => "selector-matches-nothing",
    service_app_protocol_mismatch => "service-app-protocol-mismatch",
    service_ip_conflict => "service-ip-conflict",
    service_ip_not_in_pool => "service-ip-not-in-pool",
    service_ip_pool_missing => "service-ip-pool-missing",
    service_not_advertised => "service-not-advertised",
    service_pools_ambiguous => "service-pools-ambiguous",
    service_selects_no_pods => "service-selects-no-pods",
    service_target_port_not_found => "service-target-port-not-found",
    statefulset_service_not_headless => "statefulset-service-not-headless",
    tls_secret_not_found => "tls-secret-not-found",
    unused_suppression => "unused-suppression",
    workload_selector_mismatch => "workload-selector-mismatch",
    yaml_syntax => "yaml-syntax",
}
