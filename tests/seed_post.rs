//! The blog post cilint starts from (fixtures/seed-post): its manifests, its label commands and
//! the Cilium objects its series implies. Linted as the post deploys it (`-n prod`), cilint
//! reports exactly the two real problems, each twice: the Gateways' labels never reach their
//! Services, and the "fix" commands name Services that do not exist.

mod common;

use common::{human, json, lint_configured, lint_ns, rules_of};

const SEED: &str = "fixtures/seed-post";

#[test]
fn with_namespace_prod_reports_exactly_the_posts_two_mistakes() {
    let report = lint_configured(&[SEED], "prod");
    assert!(report.input_errors.is_empty(), "{:?}", report.input_errors);
    assert_eq!(
        rules_of(&report),
        [
            "gateway-labels-not-propagated",
            "gateway-labels-not-propagated",
            "label-command-unknown-gateway",
            "label-command-unknown-gateway",
        ],
        "{}",
        human(&report)
    );

    let gateways: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "gateway-labels-not-propagated")
        .map(|f| f.object.as_ref().expect("about a Gateway").name.as_str())
        .collect();
    assert_eq!(gateways, ["cd-arp-gw", "cd-bgp-gw"]);

    let commands: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "label-command-unknown-gateway")
        .collect();
    for (finding, wrong, right) in [
        (
            commands[0],
            "cilium-gateway-arp-gw",
            "cilium-gateway-cd-arp-gw",
        ),
        (
            commands[1],
            "cilium-gateway-bgp-gw",
            "cilium-gateway-cd-bgp-gw",
        ),
    ] {
        assert!(finding.message.contains(wrong), "{}", finding.message);
        let help = finding.help.as_deref().unwrap_or_default();
        assert!(help.contains(&format!("`{right}`")), "{help}");
        assert_eq!(finding.condition.as_deref(), Some("NotFound"));
        let file = &report.file(finding.location.file).path;
        assert!(
            file.ends_with("scripts/label-gateway-services.sh"),
            "{file}"
        );
    }

    insta::assert_snapshot!("seed-post-prod-human", human(&report));
    insta::assert_snapshot!("seed-post-prod-json", json(&report));
}

/// The Deployments read a ConfigMap and a Secret the post never shows: the fixture's
/// `.cilint.yaml` declares them `external:` (made by hand), as a user would. Without it, each
/// reference is reported once, at its name.
#[test]
fn without_the_external_declaration_the_config_references_are_reported() {
    let report = lint_ns(&[SEED], "prod");
    let refs: Vec<(String, &str)> = report
        .findings
        .iter()
        .filter(|f| f.rule == "config-reference-not-found")
        .map(|f| {
            let file = report.file(f.location.file).path.to_string();
            let name = if f.message.contains("ConfigMap `cd-configmap`") {
                "cd-configmap"
            } else if f.message.contains("Secret `cd-dbpass-secret`") {
                "cd-dbpass-secret"
            } else {
                "?"
            };
            (file, name)
        })
        .collect();
    assert_eq!(
        refs,
        [
            (
                "fixtures/seed-post/cd-arp-deploy.yaml".into(),
                "cd-configmap"
            ),
            (
                "fixtures/seed-post/cd-arp-deploy.yaml".into(),
                "cd-dbpass-secret"
            ),
            (
                "fixtures/seed-post/cd-bgp-deploy.yaml".into(),
                "cd-configmap"
            ),
            (
                "fixtures/seed-post/cd-bgp-deploy.yaml".into(),
                "cd-dbpass-secret"
            ),
        ],
        "{}",
        human(&report)
    );
    let help = report.findings[0].help.as_deref().unwrap_or_default();
    assert!(
        help.contains("external: [{kind: ConfigMap, namespace: prod, name: cd-configmap}]"),
        "{help}"
    );
    // With the declaration (the CLI finds the fixture's .cilint.yaml) they are found.
    let declared = lint_configured(&[SEED], "prod");
    assert!(!rules_of(&declared).contains(&"config-reference-not-found"));
}

/// Depends on `backend-not-found` (another rule): without `--namespace`, the Deployments and
/// Services, which have no metadata.namespace, land in `default`, while the routes are in prod.
#[test]
fn without_namespace_the_backends_land_in_default() {
    let report = lint_ns(&[SEED], "default");
    let backends: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "backend-not-found")
        .collect();
    assert_eq!(backends.len(), 2, "{}", human(&report));
    for f in backends {
        assert_eq!(
            f.object.as_ref().unwrap().namespace.as_deref(),
            Some("prod")
        );
        let help = f.help.as_deref().unwrap_or_default();
        assert!(help.contains("default"), "{help}");
        assert!(help.contains("--namespace prod"), "{help}");
    }
    // The Gateways and the label commands name their namespace, so those findings stay.
    for rule in [
        "gateway-labels-not-propagated",
        "label-command-unknown-gateway",
    ] {
        assert_eq!(
            rules_of(&report).iter().filter(|r| **r == rule).count(),
            2,
            "{rule}"
        );
    }
}
