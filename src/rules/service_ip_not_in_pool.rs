//! service-ip-not-in-pool: a LoadBalancer Service asks LB-IPAM for an address that no enabled
//! pool holds (`no_pool`), that only pools not selecting it hold (`pool_selector_mismatch`),
//! or that its pool reserves (`allowFirstLastIPs: "No"`). semantics.md §1.4, §2.

use std::net::IpAddr;

use super::service_ip_conflict::requests;
use super::service_ip_pool_missing::{knowable, uncertain_pool};
use super::{Category, Facts, Rule, RuleMeta, label_gaps};
use crate::analysis::lb::{self, LbSelector, SelectorKind};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};
use crate::model::cilium::{BlockProblem, LbIpPool};
use crate::model::{ObjectId, Spec};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "service-ip-not-in-pool",
    severity: Severity::Error,
    category: Category::Cilium,
    summary: "a LoadBalancer Service requests an address no enabled LB-IPAM pool that selects \
              it can give",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// Why LB-IPAM cannot give the address.
enum Refusal<'s> {
    /// No enabled pool holds it; disabled pools that do.
    NoPool(Vec<&'s LbSelector<'s>>),
    /// Enabled pools hold it but none selects the Service.
    Mismatch(Vec<&'s LbSelector<'s>>),
    /// The selecting pool that holds it reserves it as a first or last address.
    Reserved(&'s LbSelector<'s>),
}

fn pool<'c>(catalog: &'c Catalog, s: &LbSelector) -> Option<&'c LbIpPool> {
    match &catalog.object(s.owner).spec {
        Spec::LbIpPool(p) => Some(p),
        _ => None,
    }
}

/// A pool whose addresses are not all known: a block with a placeholder, or one cilint does
/// not read.
fn blocks_unknown(pool: &LbIpPool) -> bool {
    pool.blocks.iter().any(|b| {
        matches!(
            b.block,
            Err(BlockProblem::Placeholder | BlockProblem::Unreadable)
        )
    })
}

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let pool_ids = catalog.of_kind("cilium.io", "CiliumLoadBalancerIPPool");
    // No pool in the tree: LB-IPAM is dormant, addresses come from elsewhere. A pool cilint
    // cannot fully read may hold or select anything.
    if pool_ids.is_empty()
        || pool_ids.iter().any(|&id| {
            uncertain_pool(catalog, id)
                || matches!(&catalog.object(id).spec, Spec::LbIpPool(p) if blocks_unknown(p))
        })
    {
        return;
    }
    let selectors = lb::selectors(catalog);
    let pools: Vec<&LbSelector> = selectors
        .iter()
        .filter(|s| s.kind == SelectorKind::Pool)
        .collect();
    let by_key = label_gaps::selectors_by_key(&selectors);
    for &id in catalog.of_kind("", "Service") {
        let svc = catalog.object(id);
        let Some(spec) = svc.service() else {
            continue;
        };
        if spec.requested_ips.is_empty()
            || !spec.is_cilium_load_balancer()
            || !knowable(catalog, id)
        {
            continue;
        }
        // A Gateway whose labels are not propagated is reported once, by that rule.
        if let Some(gw) = catalog.generator(id)
            && label_gaps::unpropagated_labels(catalog, &selectors, &by_key, gw).is_some()
        {
            continue;
        }
        let asked = requests(catalog, id);
        let both_families =
            asked.iter().any(|(ip, _)| ip.is_ipv4()) && asked.iter().any(|(ip, _)| ip.is_ipv6());
        for (ip, at) in asked {
            let Some(at) = at else { continue };
            // Beside an address of the other family, one of a family no pool serves may be
            // one the Service's IP families leave out (ipFamilyPolicy is not read): unknown.
            if both_families && !family_served(catalog, &pools, ip) {
                continue;
            }
            if let Some(refusal) = refusal(catalog, &pools, id, ip) {
                out.push(refused(catalog, id, ip, at, refusal));
            }
        }
    }
}

/// Whether an enabled pool holds a block of the address's family.
fn family_served(catalog: &Catalog, pools: &[&LbSelector], ip: IpAddr) -> bool {
    pools.iter().filter(|p| p.effective).any(|p| {
        pool(catalog, p).is_some_and(|pool| {
            let blocks = pool.blocks.iter().filter_map(|b| b.parsed());
            blocks
                .map(|b| b.bounds().0.is_ipv4())
                .any(|v4| v4 == ip.is_ipv4())
        })
    })
}

fn refusal<'s>(
    catalog: &Catalog,
    pools: &[&'s LbSelector<'s>],
    id: ObjectId,
    ip: IpAddr,
) -> Option<Refusal<'s>> {
    let svc = catalog.object(id);
    let holding: Vec<&LbSelector> = pools
        .iter()
        .copied()
        .filter(|p| pool(catalog, p).is_some_and(|p| p.contains(ip)))
        .collect();
    let (enabled, disabled): (Vec<_>, Vec<_>) = holding.into_iter().partition(|p| p.effective);
    if enabled.is_empty() {
        return Some(Refusal::NoPool(disabled));
    }
    let selecting: Vec<&LbSelector> = enabled
        .iter()
        .copied()
        .filter(|p| p.selects(catalog, svc))
        .collect();
    if selecting.is_empty() {
        return Some(Refusal::Mismatch(enabled));
    }
    // Reserved only when every selecting pool that holds it reserves it.
    let reserving: Vec<&LbSelector> = selecting
        .iter()
        .copied()
        .filter(|p| pool(catalog, p).is_some_and(|p| p.reserved_block(ip).is_some()))
        .collect();
    (reserving.len() == selecting.len()).then(|| Refusal::Reserved(reserving[0]))
}

fn refused(catalog: &Catalog, id: ObjectId, ip: IpAddr, at: Location, r: Refusal) -> Finding {
    let what = label_gaps::service_name(catalog, id, "LoadBalancer Service");
    let svc = catalog.object(id);
    let base = |message: String, label: &str| {
        Finding::new(&META, at, message)
            .object(svc)
            .field(format!("requested address {ip}"))
            .label(label.to_string())
    };
    match r {
        Refusal::NoPool(disabled) => {
            let mut f = base(
                format!(
                    "{what} requests {ip}, which no enabled CiliumLoadBalancerIPPool holds: \
                     LB-IPAM gives it no address, EXTERNAL-IP stays <pending>"
                ),
                "in no enabled pool",
            )
            .condition("cilium.io/IPAMRequestSatisfied=False/no_pool");
            f = match disabled.first() {
                Some(p) => f.help(format!(
                    "{} holds {ip} but is `disabled: true`: enable it, or request an address of \
                     an enabled pool",
                    p.describe(catalog)
                )),
                None => f.help(format!(
                    "request an address inside a block of a pool that selects it, or add {ip} \
                     to such a pool's `spec.blocks`"
                )),
            };
            for p in disabled {
                f = f.related(
                    catalog.object(p.owner).name_location(),
                    format!("{} holds {ip} but is disabled", p.describe(catalog)),
                );
            }
            f
        }
        Refusal::Mismatch(holding) => {
            let where_labels = label_gaps::where_labels(catalog, id);
            let get = catalog.service_label(svc);
            let first = holding[0];
            let needs = first
                .selector
                .map(|s| s.describe_failures(&get).join(", "))
                .unwrap_or_default();
            let mut f = base(
                format!(
                    "{what} requests {ip}, which {} holds, but that pool's serviceSelector does \
                     not select the Service: LB-IPAM refuses the request, EXTERNAL-IP stays \
                     <pending>",
                    first.describe(catalog)
                ),
                "pool does not select it",
            )
            .condition("cilium.io/IPAMRequestSatisfied=False/pool_selector_mismatch")
            .help(format!(
                "the pool needs {needs}: add that to {where_labels}, widen the pool's selector, \
                 or request an address of a pool that selects it"
            ));
            for p in holding {
                let needs = p
                    .selector
                    .map(|s| s.describe_failures(&get).join(", "))
                    .unwrap_or_default();
                f = f.related(
                    p.location,
                    format!("{} holds {ip}; needs {needs}", p.describe(catalog)),
                );
            }
            f
        }
        Refusal::Reserved(p) => base(
            format!(
                "{what} requests {ip}, the first or last address of a block of {}, which sets \
                 `allowFirstLastIPs: \"No\"`: LB-IPAM reserves it and never gives it out",
                p.describe(catalog)
            ),
            "reserved address",
        )
        .help(format!(
            "request another address of the block, or set `allowFirstLastIPs: \"Yes\"` on {} \
             (the default since Cilium 1.16)",
            catalog.object(p.owner).name
        ))
        .related(
            catalog.object(p.owner).name_location(),
            format!(
                "{} reserves the first and last address of its CIDR blocks",
                p.describe(catalog)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(name: &str, spec: &str) -> String {
        format!(
            "---\napiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n\
             metadata: {{name: {name}}}\nspec: {{{spec}}}\n"
        )
    }

    fn service(name: &str, labels: &str, ip: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: apps, \
             labels: {labels}, annotations: {{lbipam.cilium.io/ips: \"{ip}\"}}}}\n\
             spec: {{type: LoadBalancer}}\n"
        )
    }

    fn findings(yaml: &str) -> Vec<Finding> {
        crate::rules::findings_in(check, yaml)
    }

    fn conditions(yaml: &str) -> Vec<String> {
        findings(yaml)
            .into_iter()
            .map(|f| f.condition.unwrap_or_else(|| "reserved".into()))
            .collect()
    }

    #[test]
    fn each_refusal_has_its_reason() {
        let pools = format!(
            "{}{}{}",
            pool(
                "lan",
                "blocks: [{cidr: 10.0.0.0/24}], serviceSelector: {matchLabels: {pool: lan}}"
            ),
            pool(
                "edge",
                "blocks: [{cidr: 10.0.1.0/28}], allowFirstLastIPs: \"No\""
            ),
            pool("old", "blocks: [{cidr: 10.0.2.0/24}], disabled: true"),
        );
        let cases = [
            (service("a", "{}", "10.0.0.5"), "pool_selector_mismatch"),
            (service("b", "{}", "10.9.0.5"), "no_pool"),
            (service("c", "{}", "10.0.2.5"), "no_pool"),
            (service("d", "{}", "10.0.1.15"), "reserved"),
        ];
        for (svc, want) in cases {
            let got = conditions(&format!("{pools}{svc}"));
            assert_eq!(got.len(), 1, "{svc}");
            assert!(got[0].ends_with(want), "{svc}: {got:?}");
        }
        for fine in [
            service("e", "{pool: lan}", "10.0.0.5"),
            service("f", "{}", "10.0.1.5"),
            service("g", "{}", "${IP}"),
        ] {
            assert!(findings(&format!("{pools}{fine}")).is_empty(), "{fine}");
        }
    }

    #[test]
    fn no_pool_or_an_unknown_pool_is_quiet() {
        assert!(findings(&service("a", "{}", "10.0.0.5")).is_empty());
        let unknown = format!(
            "{}{}",
            pool("flux", "blocks: [{cidr: \"${LB_CIDR}\"}]"),
            service("a", "{}", "10.0.0.5")
        );
        assert!(findings(&unknown).is_empty());
    }
}
