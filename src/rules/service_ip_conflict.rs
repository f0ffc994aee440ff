//! service-ip-conflict: two LoadBalancer Services LB-IPAM handles request the same address
//! without a common `lbipam.cilium.io/sharing-key`: one of them gets it, the other stays
//! `<pending>` with `already_allocated` (semantics.md §1.4, §2).

use std::collections::HashMap;
use std::net::IpAddr;

use super::service_ip_pool_missing::knowable;
use super::{Category, Facts, Rule, RuleMeta, label_gaps};
use crate::catalog::{Catalog, placeholder};
use crate::diagnostic::{Finding, Severity};
use crate::model::cilium::LB_IPAM_IPS_ANNOTATIONS;
use crate::model::{ObjectId, Spec, Text};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "service-ip-conflict",
    severity: Severity::Error,
    category: Category::Cilium,
    summary: "two LoadBalancer Services request the same LB-IPAM address and cannot share it (no \
              common sharing key, no cross-namespace consent, or colliding ports)",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// The sharing-key annotation and its older alias.
const SHARING_KEYS: [&str; 2] = [
    "lbipam.cilium.io/sharing-key",
    "io.cilium/lb-ipam-sharing-key",
];

/// What cilint knows of a Service's sharing key.
#[derive(PartialEq)]
enum Sharing<'a> {
    None,
    Key(&'a str),
    /// A placeholder: any key is possible.
    Unknown,
}

/// A Gateway's Service carries the Gateway's `spec.infrastructure.annotations`.
fn sharing(catalog: &Catalog, id: ObjectId) -> Sharing<'_> {
    let svc = catalog.object(id);
    match svc
        .annotations
        .iter()
        .find(|(k, _)| SHARING_KEYS.contains(&k.as_str()))
    {
        None => Sharing::None,
        Some((_, v)) if placeholder(&v.value).is_some() => Sharing::Unknown,
        Some((_, v)) => Sharing::Key(v.value.as_str()),
    }
}

/// Why two Services that request one address cannot share it, as far as cilint can tell.
enum Blocker {
    /// They do not carry the same sharing key.
    NoCommonKey,
    /// The same key, in different namespaces, without `sharing-cross-namespace` allowing it on
    /// both.
    Namespaces(String),
    /// The same key, but both listen on this port and protocol.
    Ports(String, u32, Text),
}

/// The cross-namespace sharing annotation and its older alias.
const CROSS_NAMESPACE_KEYS: [&str; 2] = [
    "lbipam.cilium.io/sharing-cross-namespace",
    "io.cilium/lb-ipam-sharing-cross-namespace",
];

fn blocker(catalog: &Catalog, a: ObjectId, b: ObjectId) -> Option<Blocker> {
    let key = match (sharing(catalog, a), sharing(catalog, b)) {
        (Sharing::Unknown, _) | (_, Sharing::Unknown) => return None,
        (Sharing::Key(x), Sharing::Key(y)) if x == y => x.to_string(),
        _ => return Some(Blocker::NoCommonKey),
    };
    let (sa, sb) = (catalog.object(a), catalog.object(b));
    if sa.namespace != sb.namespace
        && !(allows_namespace(sa, sb.namespace.as_deref())
            && allows_namespace(sb, sa.namespace.as_deref()))
    {
        return Some(Blocker::Namespaces(key));
    }
    // Ports a patch or an operator may change are not known.
    if catalog.ports_unknown(a) || catalog.ports_unknown(b) {
        return None;
    }
    let (Some(pa), Some(pb)) = (sa.service(), sb.service()) else {
        return None;
    };
    pa.ports
        .iter()
        .find(|p| {
            pb.ports
                .iter()
                .any(|q| q.port == p.port && q.protocol == p.protocol)
        })
        .map(|p| Blocker::Ports(key, p.port, p.protocol))
}

/// Whether a Service's `sharing-cross-namespace` annotation lets it share with `namespace`: a
/// comma-separated list of namespaces, or `*`. A placeholder may allow anything.
fn allows_namespace(svc: &crate::model::Object, namespace: Option<&str>) -> bool {
    let Some((_, value)) = svc
        .annotations
        .iter()
        .find(|(k, _)| CROSS_NAMESPACE_KEYS.contains(&k.as_str()))
    else {
        return false;
    };
    placeholder(&value.value).is_some()
        || value
            .value
            .split(',')
            .map(str::trim)
            .any(|ns| ns == "*" || Some(ns) == namespace)
}

/// The addresses a Service requests, for each the node that writes it: the annotation value,
/// the Gateway's `spec.addresses` entry, else the Service's (or Gateway's) name.
pub(super) fn requests(catalog: &Catalog, id: ObjectId) -> Vec<(IpAddr, Option<Location>)> {
    let svc = catalog.object(id);
    let Some(spec) = svc.service() else {
        return Vec::new();
    };
    let fallback = catalog.report_location(id);
    let at = |file_of: ObjectId, span| catalog.object(file_of).at(span);
    let gateway = catalog.generator(id);
    // An address Cilium cannot use makes it refuse the whole Gateway (gateway-address-unsupported):
    // no Service is made, nothing is requested.
    if let Some(g) = gateway.and_then(|gw| catalog.object(gw).gateway())
        && g.addresses.iter().any(|a| {
            let typed = a
                .address_type
                .as_ref()
                .is_none_or(|t| t.value.as_str() == "IPAddress");
            let parses = a
                .value
                .as_ref()
                .is_some_and(|v| v.value.trim().parse::<IpAddr>().is_ok());
            !(typed && parses)
        })
    {
        return Vec::new();
    }
    spec.requested_ips
        .iter()
        .map(|&ip| {
            let written = match gateway {
                // The infrastructure annotation wins over spec.addresses, as in Cilium.
                Some(gw) => catalog.object(gw).gateway().and_then(|g| {
                    let annotation = g
                        .infrastructure_annotations
                        .iter()
                        .find(|(k, _)| LB_IPAM_IPS_ANNOTATIONS.contains(&k.as_str()))
                        .map(|(_, v)| v.span);
                    let entry = g.addresses.iter().find_map(|a| {
                        let v = a.value.as_ref()?;
                        (v.value.trim().parse::<IpAddr>().ok() == Some(ip)).then_some(v.span)
                    });
                    annotation.or(entry).and_then(|span| at(gw, span))
                }),
                None => svc
                    .annotations
                    .iter()
                    .find(|(k, _)| LB_IPAM_IPS_ANNOTATIONS.contains(&k.as_str()))
                    .map(|(_, v)| v.span)
                    .or(spec.load_balancer_ip_span)
                    .and_then(|span| at(id, span)),
            };
            (ip, written.or(fallback))
        })
        .collect()
}

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let pools: Vec<_> = catalog
        .of_kind("cilium.io", "CiliumLoadBalancerIPPool")
        .iter()
        .filter_map(|&id| match &catalog.object(id).spec {
            Spec::LbIpPool(p) if !p.disabled => Some(p),
            _ => None,
        })
        .collect();
    // No enabled pool: LB-IPAM allocates nothing, and some other IPAM decides.
    if pools.is_empty() {
        return;
    }
    // Services by requested address, in load order.
    let mut by_ip: HashMap<IpAddr, Vec<(ObjectId, Option<Location>)>> = HashMap::new();
    for &id in catalog.of_kind("", "Service") {
        let Some(spec) = catalog.object(id).service() else {
            continue;
        };
        if spec.requested_ips.is_empty() || !spec.is_cilium_load_balancer() {
            continue;
        }
        if !knowable(catalog, id) {
            continue;
        }
        for (ip, at) in requests(catalog, id) {
            by_ip.entry(ip).or_default().push((id, at));
        }
    }
    let mut by_ip: Vec<_> = by_ip.into_iter().collect();
    by_ip.sort_unstable_by_key(|(ip, _)| *ip);
    for (ip, mut services) in by_ip {
        // An address no enabled pool holds is `no_pool` for every Service that asks for it.
        if services.len() < 2 || !pools.iter().any(|p| p.contains(ip)) {
            continue;
        }
        services.sort_by_key(|(_, at)| *at);
        for (n, &(later, at)) in services.iter().enumerate().skip(1) {
            let clash = services[..n].iter().find_map(|&(earlier, earlier_at)| {
                let (e, l) = (catalog.object(earlier), catalog.object(later));
                // The same Service written twice in one world is one object.
                if e.qualified_name() == l.qualified_name() {
                    return None;
                }
                blocker(catalog, earlier, later).map(|b| (earlier, earlier_at, b))
            });
            if let (Some((earlier, earlier_at, why)), Some(at)) = (clash, at) {
                out.push(conflict(
                    catalog,
                    ip,
                    (later, at),
                    (earlier, earlier_at),
                    why,
                ));
            }
        }
    }
}

fn conflict(
    catalog: &Catalog,
    ip: IpAddr,
    (later, at): (ObjectId, Location),
    (earlier, earlier_at): (ObjectId, Option<Location>),
    why: Blocker,
) -> Finding {
    let name = |id| label_gaps::service_name(catalog, id, "Service");
    let (later_name, earlier_name) = (name(later), name(earlier));
    let (because, reason, help) = match why {
        Blocker::NoCommonKey => (
            "without a common `lbipam.cilium.io/sharing-key`".to_string(),
            "already_allocated",
            format!(
                "give one of the two another address; or, if they are meant to share {ip} \
                 (different ports), put the same `lbipam.cilium.io/sharing-key` annotation on \
                 both (and `lbipam.cilium.io/sharing-cross-namespace` when they are in \
                 different namespaces)"
            ),
        ),
        Blocker::Namespaces(key) => (
            format!(
                "with the sharing key `{key}` but from another namespace, which \
                 `lbipam.cilium.io/sharing-cross-namespace` does not allow on both"
            ),
            "already_allocated",
            "sharing across namespaces needs `lbipam.cilium.io/sharing-cross-namespace` on both \
             Services, naming the other's namespace (or `*`); or give one of them another address"
                .to_string(),
        ),
        Blocker::Ports(key, port, protocol) => (
            format!("with the sharing key `{key}`, but both use port {port}/{protocol}"),
            "already_allocated_incompatible_service",
            format!(
                "Services sharing {ip} must use different ports: move one of them off \
                 {port}/{protocol}, or give it another address"
            ),
        ),
    };
    Finding::new(
        &META,
        at,
        format!(
            "{later_name} requests {ip}, which {earlier_name} requests too, {because}: LB-IPAM \
             gives the address to one of them and the other stays <pending>; which one is not \
             known"
        ),
    )
    .object(catalog.object(later))
    .field(format!("requested address {ip}"))
    .label("requested twice")
    .condition(format!("cilium.io/IPAMRequestSatisfied=False/{reason}"))
    .help(help)
    .related(earlier_at, format!("{earlier_name} requests {ip} too"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POOL: &str = "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n\
        metadata: {name: lan}\nspec: {blocks: [{cidr: 192.168.1.0/24}]}\n";

    fn service(name: &str, annotations: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: apps, \
             annotations: {annotations}}}\nspec: {{type: LoadBalancer}}\n"
        )
    }

    fn findings(yaml: &str) -> Vec<Finding> {
        crate::rules::findings_in(check, yaml)
    }

    #[test]
    fn the_later_of_two_services_asking_for_one_address_is_reported() {
        let yaml = format!(
            "{POOL}{}{}",
            service("dns-udp", "{lbipam.cilium.io/ips: 192.168.1.53}"),
            service("dns-tcp", "{io.cilium/lb-ipam-ips: \"192.168.1.53\"}"),
        );
        let found = findings(&yaml);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.starts_with(
                "Service apps/dns-tcp requests 192.168.1.53, which Service apps/dns-udp"
            ),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].related.len(), 1);
    }

    #[test]
    fn a_common_sharing_key_an_unknown_key_or_no_pool_is_quiet() {
        let shared = format!(
            "{POOL}{}{}",
            service(
                "dns-udp",
                "{lbipam.cilium.io/ips: 192.168.1.53, lbipam.cilium.io/sharing-key: dns}"
            ),
            service(
                "dns-tcp",
                "{lbipam.cilium.io/ips: 192.168.1.53, io.cilium/lb-ipam-sharing-key: dns}"
            ),
        );
        assert!(findings(&shared).is_empty());
        let unknown = format!(
            "{POOL}{}{}",
            service(
                "a",
                "{lbipam.cilium.io/ips: 192.168.1.53, lbipam.cilium.io/sharing-key: \"${KEY}\"}"
            ),
            service("b", "{lbipam.cilium.io/ips: 192.168.1.53}"),
        );
        assert!(findings(&unknown).is_empty());
        let outside = format!(
            "{POOL}{}{}",
            service("a", "{lbipam.cilium.io/ips: 10.9.9.9}"),
            service("b", "{lbipam.cilium.io/ips: 10.9.9.9}"),
        );
        assert!(findings(&outside).is_empty());
    }

    fn service_in(namespace: &str, name: &str, annotations: &str, port: u32) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {namespace}, \
             annotations: {annotations}}}\nspec: {{type: LoadBalancer, ports: [{{port: {port}, \
             protocol: UDP}}]}}\n"
        )
    }

    #[test]
    fn a_shared_key_needs_cross_namespace_consent_on_both_and_distinct_ports() {
        let key = "lbipam.cilium.io/ips: 192.168.1.53, lbipam.cilium.io/sharing-key: dns";
        let across = |a: &str, b: &str| {
            format!(
                "{POOL}{}{}",
                service_in("dns", "blocky", &format!("{{{key}{a}}}"), 53),
                service_in("home", "pihole", &format!("{{{key}{b}}}"), 5353),
            )
        };
        let one_side = findings(&across(
            ", lbipam.cilium.io/sharing-cross-namespace: home",
            "",
        ));
        assert_eq!(one_side.len(), 1);
        assert!(
            one_side[0].message.contains("from another namespace"),
            "{}",
            one_side[0].message
        );
        let both = across(
            ", lbipam.cilium.io/sharing-cross-namespace: home",
            ", io.cilium/lb-ipam-sharing-cross-namespace: \"*\"",
        );
        assert!(findings(&both).is_empty());
        let same_port = format!(
            "{POOL}{}{}",
            service_in("dns", "blocky", &format!("{{{key}}}"), 53),
            service_in("dns", "pihole", &format!("{{{key}}}"), 53),
        );
        let found = findings(&same_port);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("but both use port 53/UDP"),
            "{}",
            found[0].message
        );
        assert_eq!(
            found[0].condition.as_deref(),
            Some("cilium.io/IPAMRequestSatisfied=False/already_allocated_incompatible_service")
        );
    }
}
