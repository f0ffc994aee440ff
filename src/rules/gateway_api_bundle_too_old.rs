//! gateway-api-bundle-too-old: the tree pins a Cilium release that needs a newer Gateway API
//! CRD bundle than the one it pins (Cilium 1.20 needs v1.6.1 or later): Cilium never programs
//! the Gateways and never creates their `cilium-gateway-<name>` Services.

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::versions::{CILIUM_NEEDING_V1_6, DEFAULT_GATEWAY_API, Source};
use crate::diagnostic::{Finding, Severity};
use crate::model::GATEWAY_GROUP;

pub static META: RuleMeta = RuleMeta {
    id: "gateway-api-bundle-too-old",
    severity: Severity::Error,
    category: Category::Cilium,
    summary: "the Gateway API CRD bundle is older than the Cilium release needs (Cilium 1.20 needs v1.6.1)",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// How many Gateways the finding lists as related: enough to show what stops working.
const GATEWAYS_SHOWN: usize = 5;

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let v = &catalog.versions;
    let Some((cilium, cilium_from)) = v.cilium else {
        return;
    };
    // Only a bundle the tree pins or the user sets is known to be older; the default is not.
    if !cilium.at_least(CILIUM_NEEDING_V1_6)
        || v.gateway_api_from == Source::Default
        || v.gateway_api.at_least(DEFAULT_GATEWAY_API)
    {
        return;
    }
    let gateways: Vec<_> = catalog
        .of_kind(GATEWAY_GROUP, "Gateway")
        .iter()
        .copied()
        .filter(|&id| catalog.is_cilium_gateway(id))
        .collect();
    // Without a Cilium Gateway nothing the skew breaks is in the tree.
    if gateways.is_empty() {
        return;
    }
    // At the bundle's pin, else at Cilium's; two settings leave nothing in the tree to point at.
    let (at, related) = match (v.gateway_api_from.location(), cilium_from.location()) {
        (Some(bundle), cilium) => (bundle, cilium),
        (None, Some(cilium)) => (cilium, None),
        (None, None) => return,
    };
    let mut f = Finding::new(
        &META,
        at,
        format!(
            "Gateway API v{} is older than v{DEFAULT_GATEWAY_API}, which Cilium {cilium} needs: \
             Cilium never programs its Gateways and creates no cilium-gateway-<name> Service",
            v.gateway_api
        ),
    )
    // The pin is no object's field: the versions it names identify the finding.
    .field(format!("gateway-api v{} / cilium {cilium}", v.gateway_api))
    .label("Gateway API CRDs too old for Cilium")
    .condition("Programmed=Unknown/Pending")
    .help(format!(
        "upgrade the Gateway API CRDs to v{DEFAULT_GATEWAY_API} or later before Cilium (Cilium 1.20 \
         reads TLSRoute v1, which older bundles do not serve), or keep Cilium at 1.19{}",
        match (v.gateway_api_from, cilium_from) {
            (Source::Tree(_), Source::Tree(_)) => String::new(),
            _ => "; the versions come from the configuration or the command line".into(),
        }
    ))
    .related(related, format!("Cilium {cilium} is pinned here"));
    for &id in gateways.iter().take(GATEWAYS_SHOWN) {
        let gw = catalog.object(id);
        f = f.related(
            gw.name_location(),
            format!("Gateway {} is never programmed", gw.qualified_name()),
        );
    }
    out.push(f);
}
