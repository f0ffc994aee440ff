//! Which LoadBalancer Services a broken L2 announcement policy or selector leaves out, for the
//! one finding at the broken link (issue 18: one root cause, one finding, the Services it
//! strands as related locations), and so service-not-advertised stays quiet about them.

use std::collections::{HashMap, HashSet};

use crate::analysis::lb::{LbSelector, SelectorKind};
use crate::catalog::Catalog;
use crate::diagnostic::Finding;
use crate::model::cilium::L2Policy;
use crate::model::go_regexp::{self, GoRegexp};
use crate::model::{ObjectId, Spec};

/// How many stranded Services a finding lists; the rest are counted.
const LISTED: usize = 5;

/// Whether the agent refuses an L2 policy outright: `upsertPolicy` returns at the first invalid
/// nodeSelector, interface regex or serviceSelector, so the policy announces nothing anywhere
/// (cilium/cilium `pkg/l2announcer/l2announcer.go`).
pub(super) fn refused(policy: &L2Policy) -> bool {
    policy.node_selector.as_ref().is_some_and(|s| s.invalid)
        || policy.service_selector.as_ref().is_some_and(|s| s.invalid)
        || policy
            .interfaces
            .iter()
            .any(|i| matches!(go_regexp::check(&i.value), Some(GoRegexp::Rejected(_))))
}

/// Whether the world holds two cluster-scoped Cilium load-balancer objects of one kind and name:
/// one cluster cannot, so the tree holds several clusters cilint could not tell apart (or two
/// files fight over one object), and which policy meets which Service is not known.
pub(super) fn conflated(catalog: &Catalog) -> bool {
    [
        "CiliumLoadBalancerIPPool",
        "CiliumL2AnnouncementPolicy",
        "CiliumBGPAdvertisement",
    ]
    .iter()
    .any(|kind| {
        let mut names = HashSet::new();
        catalog
            .of_kind("cilium.io", kind)
            .iter()
            .any(|&id| !names.insert(&catalog.object(id).name))
    })
}

/// For every LoadBalancer Service some working announcer announces, those announcers' owners:
/// L2 policies with `loadBalancerIPs: true` the agent accepts, BGP entries advertising
/// `LoadBalancerIP` with a valid selector.
pub(super) fn announced(
    catalog: &Catalog,
    selectors: &[LbSelector],
) -> HashMap<ObjectId, Vec<ObjectId>> {
    let mut out: HashMap<ObjectId, Vec<ObjectId>> = HashMap::new();
    for s in selectors {
        if s.kind == SelectorKind::Pool || !s.effective || s.selector.is_some_and(|x| x.invalid) {
            continue;
        }
        if let Spec::L2Policy(p) = &catalog.object(s.owner).spec
            && refused(p)
        {
            continue;
        }
        for id in s.matching(catalog) {
            out.entry(id).or_default().push(s.owner);
        }
    }
    out
}

/// The Services of `candidates` no announcer but `owner` announces.
pub(super) fn unannounced(
    announced: &HashMap<ObjectId, Vec<ObjectId>>,
    owner: ObjectId,
    candidates: Vec<ObjectId>,
) -> Vec<ObjectId> {
    candidates
        .into_iter()
        .filter(|id| {
            announced
                .get(id)
                .is_none_or(|by| by.iter().all(|&o| o == owner))
        })
        .collect()
}

/// The Services of `candidates` no enabled pool with a valid selector but `owner` selects.
pub(super) fn unallocated(
    catalog: &Catalog,
    selectors: &[LbSelector],
    owner: ObjectId,
    candidates: Vec<ObjectId>,
) -> Vec<ObjectId> {
    let others: HashSet<ObjectId> = selectors
        .iter()
        .filter(|s| {
            s.kind == SelectorKind::Pool
                && s.owner != owner
                && s.effective
                && !s.selector.is_some_and(|x| x.invalid)
        })
        .flat_map(|s| s.matching(catalog))
        .collect();
    candidates
        .into_iter()
        .filter(|id| !others.contains(id))
        .collect()
}

/// "2 LoadBalancer Services" / "LoadBalancer Service dns/pihole".
pub(super) fn count(catalog: &Catalog, services: &[ObjectId]) -> String {
    match services {
        [one] => format!(
            "LoadBalancer Service {}",
            catalog.object(*one).qualified_name()
        ),
        many => format!("{} LoadBalancer Services", many.len()),
    }
}

/// The clause a finding's message ends with when it strands Services: "; LoadBalancer Service
/// dns/pihole it selects has no other announcer". Empty when it strands none.
pub(super) fn clause(
    catalog: &Catalog,
    services: &[ObjectId],
    relation: &str,
    other: &str,
) -> String {
    if services.is_empty() {
        return String::new();
    }
    format!(
        "; {} {relation} {} no other {other}",
        count(catalog, services),
        if services.len() == 1 { "has" } else { "have" }
    )
}

/// Adds the first few Services as related locations, each with `note`, and says how many more.
pub(super) fn relate(
    mut finding: Finding,
    catalog: &Catalog,
    services: &[ObjectId],
    note: &str,
) -> Finding {
    for &id in services.iter().take(LISTED) {
        finding = finding.related(catalog.report_location(id), note);
    }
    if services.len() > LISTED {
        let more = services.len() - LISTED;
        let names: Vec<String> = services[LISTED..]
            .iter()
            .take(3)
            .map(|&id| catalog.object(id).qualified_name())
            .collect();
        let etc = if more > names.len() { ", …" } else { "" };
        finding = finding.help_note(Some(format!(
            "; {more} more Services are stranded the same way ({}{etc})",
            names.join(", ")
        )));
    }
    finding
}
