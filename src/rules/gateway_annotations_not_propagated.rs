//! gateway-annotations-not-propagated: a Cilium Gateway's `metadata.annotations` hold keys that
//! only a Service reads (LB-IPAM addresses and sharing keys, Cilium service annotations, cloud
//! and bare-metal load-balancer annotations), but Cilium copies only
//! `spec.infrastructure.annotations` to the Service it generates (semantics.md §0, §1.1, §1.4).

use std::net::IpAddr;

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::lb::{self, SelectorKind};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};
use crate::model::cilium::{LB_IPAM_IPS_ANNOTATIONS, parse_ips};
use crate::model::{Object, ObjectId, Spanned, Text};

pub static META: RuleMeta = RuleMeta {
    id: "gateway-annotations-not-propagated",
    severity: Severity::Error,
    category: Category::Cilium,
    summary: "a Gateway's metadata.annotations hold load-balancer annotations meant for its \
              Service, but Cilium copies only spec.infrastructure.annotations",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// Annotation keys (a trailing `/` or `-` makes a prefix) that only a Service of type
/// LoadBalancer is read for. external-dns keys are not here: its Gateway source reads
/// `target`, `ttl` and the others on the Gateway itself.
const SERVICE_ONLY: &[&str] = &[
    // Cilium LB-IPAM (pkg/annotation/k8s.go) and Cilium's service annotations.
    "lbipam.cilium.io/",
    "io.cilium/lb-ipam-",
    "service.cilium.io/",
    "io.cilium/global-service",
    "io.cilium/shared-service",
    "io.cilium/service-affinity",
    // Cloud controllers (AWS, Azure, DigitalOcean, OCI, Alibaba… all use this prefix).
    "service.beta.kubernetes.io/",
    "service.kubernetes.io/",
    "cloud.google.com/load-balancer-type",
    "cloud.google.com/l4-rbs",
    "networking.gke.io/load-balancer-",
    "networking.gke.io/internal-load-balancer-",
    "load-balancer.hetzner.cloud/",
    "loadbalancer.openstack.org/",
    "oci.oraclecloud.com/",
    // Bare-metal load balancers that assign the Service's address instead of LB-IPAM.
    "metallb.universe.tf/",
    "metallb.io/",
    "kube-vip.io/",
];

fn service_only(key: &str) -> bool {
    SERVICE_ONLY.iter().any(|p| {
        if p.ends_with('/') || p.ends_with('-') {
            key.starts_with(p)
        } else {
            key == *p
        }
    })
}

/// The LB-IPAM keys and their older aliases name one setting.
fn same_setting(a: &str, b: &str) -> bool {
    fn canonical(k: &str) -> &str {
        match k {
            "io.cilium/lb-ipam-ips" => "lbipam.cilium.io/ips",
            "io.cilium/lb-ipam-sharing-key" => "lbipam.cilium.io/sharing-key",
            "io.cilium/lb-ipam-sharing-cross-namespace" => {
                "lbipam.cilium.io/sharing-cross-namespace"
            }
            k => k,
        }
    }
    canonical(a) == canonical(b)
}

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for gw_id in lb::cilium_gateways(catalog) {
        let gw = catalog.object(gw_id);
        let Some(spec) = gw.gateway() else {
            continue;
        };
        // A key also set under spec.infrastructure.annotations reaches the Service anyway.
        let stranded: Vec<&(Text, Spanned<Text>)> = gw
            .annotations
            .iter()
            .filter(|(k, _)| service_only(k))
            .filter(|(k, _)| {
                !spec
                    .infrastructure_annotations
                    .iter()
                    .any(|(i, _)| same_setting(i, k))
            })
            .collect();
        if !stranded.is_empty() {
            out.push(not_propagated(catalog, gw_id, gw, &stranded));
        }
    }
}

fn not_propagated(
    catalog: &Catalog,
    gw_id: ObjectId,
    gw: &Object,
    stranded: &[&(Text, Spanned<Text>)],
) -> Finding {
    let svc_id = catalog
        .generated_service(gw_id)
        .expect("Cilium Gateways have a generated Service");
    let svc = catalog.object(svc_id);
    let (first_key, first_value) = stranded[0];
    let location = gw
        .at(first_value.span)
        .expect("Gateways come from manifests");
    let keys: Vec<String> = stranded.iter().map(|(k, _)| format!("`{k}`")).collect();
    let (these, verb) = match keys.len() {
        1 => ("annotation", "reaches"),
        _ => ("annotations", "reach"),
    };
    let mut finding = Finding::new(
        &META,
        location,
        format!(
            "Gateway {}: the {these} {} in metadata.annotations never {verb} its Service {} \
             (Cilium copies only spec.infrastructure.annotations){}",
            gw.qualified_name(),
            keys.join(", "),
            svc.name,
            consequence(catalog, svc_id, stranded),
        ),
    )
    .object(gw)
    .field(format!("metadata.annotations.{first_key}"))
    .label("not copied to the Service")
    .help(help(stranded));
    for (key, value) in &stranded[1..] {
        finding = finding.related(gw.at(value.span), format!("`{key}` is not copied either"));
    }
    finding
}

/// What the Service gets instead, when the Gateway asks for addresses only through
/// `metadata.annotations`.
fn consequence(catalog: &Catalog, svc_id: ObjectId, stranded: &[&(Text, Spanned<Text>)]) -> String {
    let asked: Vec<IpAddr> = stranded
        .iter()
        .filter(|(k, _)| LB_IPAM_IPS_ANNOTATIONS.contains(&k.as_str()))
        .flat_map(|(_, v)| parse_ips(&v.value))
        .collect();
    let svc = catalog.object(svc_id);
    let requested = svc.service().is_some_and(|s| !s.requested_ips.is_empty());
    if asked.is_empty() || requested {
        return String::new();
    }
    let asked: Vec<String> = asked.iter().map(IpAddr::to_string).collect();
    let pools: Vec<String> = lb::selectors(catalog)
        .iter()
        .filter(|s| s.kind == SelectorKind::Pool && s.effective && s.selects(catalog, svc))
        .map(|s| format!("`{}`", catalog.object(s.owner).name))
        .collect();
    match &pools[..] {
        [] => format!(": LB-IPAM never sees the request for {}", asked.join(", ")),
        [one] => format!(
            ": LB-IPAM gives it any free address of pool {one}, not {}",
            asked.join(", ")
        ),
        many => format!(
            ": LB-IPAM gives it any free address of pools {}, not {}",
            many.join(", "),
            asked.join(", ")
        ),
    }
}

fn help(stranded: &[&(Text, Spanned<Text>)]) -> String {
    let yaml: String = stranded
        .iter()
        .map(|(k, v)| format!("\n        {k}: \"{}\"", v.value.replace('"', "\\\"")))
        .collect();
    let mut help = format!(
        "move {} under spec.infrastructure.annotations, which Cilium copies to the Service:\n  \
         spec:\n    infrastructure:\n      annotations:{yaml}",
        if stranded.len() == 1 { "it" } else { "them" }
    );
    let asks_ips = stranded
        .iter()
        .any(|(k, _)| LB_IPAM_IPS_ANNOTATIONS.contains(&k.as_str()));
    if asks_ips {
        help.push_str(
            "\nfor addresses, prefer spec.addresses (`- type: IPAddress` with `value: <ip>`), \
             which Cilium turns into the annotation itself",
        );
    }
    help
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(yaml: &str) -> Vec<Finding> {
        crate::rules::findings_in(check, yaml)
    }

    fn gateway(class: &str, metadata: &str, infrastructure: &str) -> String {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: gw\n\
             {metadata}spec:\n  gatewayClassName: {class}\n{infrastructure}  listeners:\n  \
             - {{name: http, protocol: HTTP, port: 80}}\n"
        )
    }

    const POOL: &str = "---\napiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n\
        metadata: {name: lan}\nspec: {blocks: [{cidr: 10.0.0.0/24}]}\n";

    #[test]
    fn lb_ipam_request_in_metadata_is_reported_with_the_address_it_gets_instead() {
        let yaml = gateway(
            "cilium",
            "  annotations:\n    lbipam.cilium.io/ips: 10.0.0.5\n    \
             lbipam.cilium.io/sharing-key: web\n",
            "",
        ) + POOL;
        let found = findings(&yaml);
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert!(
            f.message.contains(
                "the annotations `lbipam.cilium.io/ips`, `lbipam.cilium.io/sharing-key` in \
                 metadata.annotations never reach its Service cilium-gateway-gw"
            ),
            "{}",
            f.message
        );
        assert!(
            f.message
                .ends_with("LB-IPAM gives it any free address of pool `lan`, not 10.0.0.5"),
            "{}",
            f.message
        );
        assert_eq!(f.related.len(), 1);
        assert!(f.help.as_deref().unwrap().contains("spec.addresses"));
    }

    #[test]
    fn quiet_for_other_keys_other_classes_and_keys_also_in_infrastructure() {
        // external-dns reads its annotations on the Gateway; other tools' keys are not ours.
        let other_keys = gateway(
            "cilium",
            "  annotations:\n    external-dns.alpha.kubernetes.io/target: home.example.com\n    \
             gatus.home-operations.com/endpoint: x\n",
            "",
        );
        assert!(findings(&other_keys).is_empty());
        // Envoy Gateway, not Cilium: its own rules apply.
        let envoy = gateway(
            "envoy",
            "  annotations:\n    lbipam.cilium.io/ips: 10.0.0.5\n",
            "",
        );
        assert!(findings(&envoy).is_empty());
        // The alias under spec.infrastructure.annotations is the same setting.
        let both = gateway(
            "cilium",
            "  annotations:\n    lbipam.cilium.io/ips: 10.0.0.5\n",
            "  infrastructure:\n    annotations:\n      io.cilium/lb-ipam-ips: 10.0.0.5\n",
        );
        assert!(findings(&both).is_empty());
    }

    #[test]
    fn cloud_and_metallb_keys_say_nothing_about_lb_ipam() {
        let yaml = gateway(
            "cilium",
            "  annotations:\n    metallb.universe.tf/loadBalancerIPs: 10.0.0.5\n",
            "",
        ) + POOL;
        let found = findings(&yaml);
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .message
                .ends_with("(Cilium copies only spec.infrastructure.annotations)"),
            "{}",
            found[0].message
        );
        assert!(!found[0].help.as_deref().unwrap().contains("spec.addresses"));
    }
}
