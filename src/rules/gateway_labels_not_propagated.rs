//! gateway-labels-not-propagated: a Cilium Gateway's `metadata.labels` are what a pool, L2
//! policy or BGP advertisement selector needs, but Cilium copies only
//! `spec.infrastructure.labels` to the Service it generates.

use super::{Category, Facts, Rule, RuleMeta, label_gaps};
use crate::analysis::lb::{self, LbSelector, SelectorKind, UnpropagatedLabels};
use crate::catalog::{Catalog, GATEWAY_NAME_LABEL, SERVICE_NAME_KEY};
use crate::diagnostic::{Edit, Finding, Fix, Severity};
use crate::model::gateway::MAX_INFRASTRUCTURE_LABELS;
use crate::model::versions::{Channel, Version};
use crate::model::{Label, Object, ObjectId, Spec};
use crate::source::Location;
use crate::source::yaml::yaml_scalar;

pub static META: RuleMeta = RuleMeta {
    id: "gateway-labels-not-propagated",
    severity: Severity::Error,
    category: Category::Cilium,
    summary: "a Gateway's metadata.labels are what an IP pool, L2 or BGP selector needs, but \
              Cilium copies only spec.infrastructure.labels to its Service",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let selectors = lb::selectors(catalog);
    let by_key = label_gaps::selectors_by_key(&selectors);
    for gw in lb::cilium_gateways(catalog) {
        if let Some(gap) = label_gaps::unpropagated_labels(catalog, &selectors, &by_key, gw) {
            let finding = not_propagated(catalog, &selectors, gw, &gap);
            out.push(with_fix(finding, catalog, gw, &gap.labels));
        }
    }
}

fn not_propagated(
    catalog: &Catalog,
    selectors: &[LbSelector],
    gw_id: ObjectId,
    gap: &UnpropagatedLabels,
) -> Finding {
    let gw = catalog.object(gw_id);
    let svc_id = catalog
        .generated_service(gw_id)
        .expect("only Cilium Gateways have gaps");
    let svc = catalog.object(svc_id);
    let involved: Vec<&LbSelector> = gap.selectors.iter().map(|(i, _)| &selectors[*i]).collect();
    let first = gap.labels[0];
    let location = gw
        .location
        .map(|l| Location {
            file: l.file,
            span: first.span,
        })
        .or_else(|| gw.name_location())
        .expect("Gateways come from manifests");
    let names: Vec<String> = involved.iter().map(|s| s.describe(catalog)).collect();
    let mut finding = Finding::new(
        &META,
        location,
        format!(
            "Gateway {}: {} never {} its Service {} (Cilium copies only \
             spec.infrastructure.labels), so the Service {}",
            gw.qualified_name(),
            label_list(&gap.labels),
            if gap.labels.len() == 1 {
                "reaches"
            } else {
                "reach"
            },
            svc.name,
            consequences(catalog, selectors, &involved, svc),
        ),
    )
    .object(gw)
    .field(format!("metadata.labels.{}", first.key))
    .label(format!("needed by {}", names.join(", ")))
    .help(help(gw, &svc.name, &gap.labels));
    if let Some(reason) = ipam_reason(catalog, selectors, &involved, svc) {
        finding = finding.condition(format!("cilium.io/IPAMRequestSatisfied=False/{reason}"));
    }
    for (i, labels) in &gap.selectors {
        let s = &selectors[*i];
        finding = finding.related(
            s.term_location(catalog, &labels[0].key),
            format!("{} selects on {}", s.describe(catalog), label_list(labels)),
        );
    }
    finding
}

/// The safe fix: the labels written under `spec.infrastructure.labels`, unless the Gateway
/// would then have more than Gateway API allows (the help says so instead). Unsafe where the
/// cluster may not honour the field: Gateway API before v1.2 has it only in the experimental
/// channel (the standard CRD prunes it), and Cilium copies it only since 1.15.
fn with_fix(finding: Finding, facts: &Facts<'_>, gw_id: ObjectId, labels: &[&Label]) -> Finding {
    let gw = facts.object(gw_id);
    let existing = match &gw.spec {
        Spec::Gateway(g) => g.infrastructure_labels.len(),
        _ => 0,
    };
    if existing + labels.len() > MAX_INFRASTRUCTURE_LABELS {
        return finding.help_note(Some(format!(
            ". cilint does not fix this: the Gateway would have more than \
             {MAX_INFRASTRUCTURE_LABELS} spec.infrastructure.labels, the most Gateway API allows"
        )));
    }
    let Some(name) = gw.name_location() else {
        return finding;
    };
    let s = if labels.len() == 1 { "" } else { "s" };
    let edits = vec![Edit::AddInfrastructureLabels {
        name,
        labels: labels
            .iter()
            .map(|l| (l.key.to_string(), l.value.to_string()))
            .collect(),
    }];
    let message = format!("add the label{s} under spec.infrastructure.labels");
    let v = &facts.versions;
    let standard =
        v.gateway_api.at_least(Version::new(1, 2, 0)) || v.channel == Some(Channel::Experimental);
    let copied = v
        .cilium
        .as_ref()
        .is_none_or(|(cilium, _)| cilium.at_least(Version::new(1, 15, 0)));
    finding.fix(match (standard, copied) {
        (true, true) => Fix::safe(message, edits),
        (false, _) => Fix::unsafe_(
            format!(
                "{message} (Gateway API {} has the field only in the experimental channel)",
                v.gateway_api
            ),
            edits,
        ),
        (true, false) => Fix::unsafe_(
            format!("{message} (Cilium copies it to the Service only since 1.15)"),
            edits,
        ),
    })
}

/// Why LB-IPAM gives the Service no address, when a pool needs the missing labels: an address
/// the Gateway requests lies in such a pool (`pool_selector_mismatch`), or no pool selects the
/// Service at all (`no_pool`).
fn ipam_reason(
    catalog: &Catalog,
    selectors: &[LbSelector],
    involved: &[&LbSelector],
    svc: &Object,
) -> Option<&'static str> {
    let pools: Vec<&LbSelector> = involved
        .iter()
        .copied()
        .filter(|s| s.kind == SelectorKind::Pool)
        .collect();
    if pools.is_empty() {
        return None;
    }
    let requested = svc.service().map_or(&[][..], |s| &s.requested_ips[..]);
    let in_needing_pool = pools.iter().any(|p| match &catalog.object(p.owner).spec {
        Spec::LbIpPool(pool) => requested.iter().any(|ip| pool.contains(*ip)),
        _ => false,
    });
    if in_needing_pool {
        return Some("pool_selector_mismatch");
    }
    let selected = selectors
        .iter()
        .any(|s| s.kind == SelectorKind::Pool && s.effective && s.selects(catalog, svc));
    (!selected).then_some("no_pool")
}

/// `` `a: b` `` or `` `a: b` and `c: d` ``.
fn label_list(labels: &[&Label]) -> String {
    let quoted: Vec<String> = labels
        .iter()
        .map(|l| format!("`{}: {}`", l.key, l.value))
        .collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

/// What the missing labels cost, per kind of selector that needs them.
fn consequences(
    catalog: &Catalog,
    selectors: &[LbSelector],
    involved: &[&LbSelector],
    svc: &Object,
) -> String {
    let by = |kind| involved.iter().any(|s| s.kind == kind);
    let mut out = Vec::new();
    if by(SelectorKind::Pool) {
        let has_ip = selectors
            .iter()
            .any(|s| s.kind == SelectorKind::Pool && s.effective && s.selects(catalog, svc));
        out.push(if has_ip {
            "gets no IP from the pool meant for it"
        } else {
            "gets no LoadBalancer IP"
        });
    }
    if by(SelectorKind::L2) {
        out.push("is never announced over ARP");
    }
    if by(SelectorKind::Bgp) {
        out.push("is never advertised over BGP");
    }
    match out.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => out.join(""),
    }
}

fn help(gw: &Object, service: &str, labels: &[&Label]) -> String {
    let yaml: String = labels
        .iter()
        .map(|l| format!("\n        {}: {}", l.key, yaml_scalar(&l.value)))
        .collect();
    format!(
        "add the label{s} under spec.infrastructure.labels of the Gateway, which Cilium copies \
         to the Service:\n  spec:\n    infrastructure:\n      labels:{yaml}\nor select on \
         `{GATEWAY_NAME_LABEL}: {gw}` (a label Cilium always sets) or `{SERVICE_NAME_KEY}: \
         {service}` instead. A `kubectl label` on the Service is lost whenever the Service is \
         re-created",
        s = if labels.len() == 1 { "" } else { "s" },
        gw = gw.name,
    )
}

#[cfg(test)]
mod tests {
    use crate::analysis::Facts;
    use crate::analysis::versions::{Source, Versions};
    use crate::catalog::Catalog;
    use crate::diagnostic::Applicability;
    use crate::model::versions::{Channel, Version};
    use crate::source::yaml::yaml_scalar;

    const GAP: &str = "\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
  namespace: shop
  labels:
    lb: public
spec:
  gatewayClassName: cilium
  listeners:
    - name: http
      protocol: HTTP
      port: 80
---
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata:
  name: public
spec:
  blocks:
    - cidr: 192.0.2.0/28
  serviceSelector:
    matchLabels:
      lb: public
";

    /// The applicability of the fix of the one finding, on a cluster of these versions.
    fn fix_with(versions: Versions) -> Option<Applicability> {
        let catalog = Catalog::of_yaml(GAP, "default");
        let mut out = Vec::new();
        super::check(&Facts::with_versions(&catalog, versions), &mut out);
        assert_eq!(out.len(), 1);
        out[0].fix.as_ref().map(|f| f.applicability)
    }

    #[test]
    fn the_fix_is_safe_only_where_the_cluster_honours_infrastructure_labels() {
        let default = Versions::default();
        assert_eq!(fix_with(default), Some(Applicability::Safe));
        let v1_1 = Versions {
            gateway_api: Version::new(1, 1, 0),
            ..default
        };
        assert_eq!(fix_with(v1_1), Some(Applicability::Unsafe));
        let experimental = Versions {
            channel: Some(Channel::Experimental),
            ..v1_1
        };
        assert_eq!(fix_with(experimental), Some(Applicability::Safe));
        let cilium_1_14 = Versions {
            cilium: Some((Version::new(1, 14, 9), Source::Flag)),
            ..default
        };
        assert_eq!(fix_with(cilium_1_14), Some(Applicability::Unsafe));
    }

    #[test]
    fn label_values_stay_strings() {
        assert_eq!(yaml_scalar("enable"), "enable");
        assert_eq!(yaml_scalar("true"), "\"true\"");
        assert_eq!(yaml_scalar("42"), "\"42\"");
        assert_eq!(yaml_scalar(""), "\"\"");
    }
}
