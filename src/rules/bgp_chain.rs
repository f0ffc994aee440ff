//! What the BGP chain rules say alike: where a peer, a family and an advertisement are written,
//! and the Services a broken link strands (related locations, capped).

use crate::analysis::bgp::{self, Break, Chain, PeerRef};
use crate::catalog::Catalog;
use crate::diagnostic::Finding;
use crate::model::ObjectId;
use crate::model::cilium_bgp::BgpFamily;

/// How many stranded Services a finding lists; it says how many more there are.
const LISTED_SERVICES: usize = 5;

/// `peer `router` (instance `home`) of CiliumBGPClusterConfig `bgp``.
pub(super) fn describe_peer(catalog: &Catalog, r: &PeerRef) -> String {
    let o = catalog.object(r.cluster_config);
    let p = &bgp::peers(o)[r.peer];
    format!(
        "peer `{}` (instance `{}`) of CiliumBGPClusterConfig `{}`",
        p.name, p.instance, o.name
    )
}

/// `family ipv4/unicast of CiliumBGPPeerConfig `peer``.
pub(super) fn describe_family(catalog: &Catalog, pc: ObjectId, f: &BgpFamily) -> String {
    format!(
        "family {} of CiliumBGPPeerConfig `{}`",
        f.describe(),
        catalog.object(pc).name
    )
}

/// Adds the advertisements and Services the break leaves unadvertised as related locations,
/// and says so in the message.
pub(super) fn strand(mut f: Finding, catalog: &Catalog, chain: &Chain, b: Break) -> Finding {
    let services = chain.stranded_by(b);
    if !matches!(b, Break::Unreferenced(_) | Break::NotSelected) {
        for ad in chain.unreached_by(b) {
            let o = catalog.object(ad);
            f = f.related(
                o.name_location(),
                format!(
                    "CiliumBGPAdvertisement `{}` is advertised to no peer",
                    o.name
                ),
            );
        }
    }
    if services.is_empty() {
        return f;
    }
    f.message.push_str(&match services.len() {
        1 => "; it strands 1 LoadBalancer Service".to_string(),
        n => format!("; it strands {n} LoadBalancer Services"),
    });
    let more = services.len().saturating_sub(LISTED_SERVICES);
    for (i, &svc) in services.iter().take(LISTED_SERVICES).enumerate() {
        let o = catalog.object(svc);
        let mut note = format!(
            "stranded: nothing else advertises the LoadBalancer IP of Service {}",
            o.qualified_name()
        );
        if more > 0 && i + 1 == LISTED_SERVICES {
            note.push_str(&format!(" ({more} more not listed)"));
        }
        f = f.related(catalog.report_location(svc), note);
    }
    f
}
