//! gateway-address-unsupported: a Cilium Gateway's `spec.addresses` holds an entry Cilium cannot
//! use: a type other than IPAddress, no value, or a value that is not an IP address. Cilium then
//! refuses the whole Gateway (`verifyGatewayStaticAddresses` in the operator's
//! `gateway_reconcile.go`).

use std::net::IpAddr;

use super::{Category, Facts, Rule, RuleMeta};
use crate::catalog::placeholder;
use crate::diagnostic::{Finding, Severity};
use crate::model::gateway_address::GatewayAddress;
use crate::model::{GATEWAY_GROUP, Object};
use crate::source::{Location, Span};

pub static META: RuleMeta = RuleMeta {
    id: "gateway-address-unsupported",
    severity: Severity::Error,
    category: Category::Cilium,
    summary: "a Cilium Gateway's spec.addresses holds an entry that is not an IP address, so Cilium refuses the Gateway",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// What Cilium cannot use in one address.
enum Problem<'a> {
    /// `type` is not IPAddress (Hostname, NamedAddress, a domain-prefixed type).
    Type(&'a str),
    /// No `value`, or an empty one.
    NoValue,
    /// A value Go's `net.ParseIP` refuses: a CIDR, a hostname, a port.
    NotAnIp(&'a str),
}

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for &gw_id in catalog.of_kind(GATEWAY_GROUP, "Gateway") {
        let gw = catalog.object(gw_id);
        let (Some(spec), Some(at)) = (gw.gateway(), gw.location) else {
            continue;
        };
        if spec.addresses.is_empty() || !catalog.is_cilium_gateway(gw_id) {
            continue;
        }
        for (i, address) in spec.addresses.iter().enumerate() {
            let Some((problem, span)) = problem(address) else {
                continue;
            };
            let location = Location {
                file: at.file,
                span,
            };
            if catalog.in_unverifiable(location) {
                continue;
            }
            out.push(
                Finding::new(&META, location, message(gw, &problem))
                    .object(gw)
                    .field(format!("spec.addresses[{i}]"))
                    .label(label(&problem))
                    .condition("Accepted=False/UnsupportedAddress")
                    .help(help(&problem)),
            );
        }
    }
}

fn problem(a: &GatewayAddress) -> Option<(Problem<'_>, Span)> {
    if let Some(t) = &a.address_type {
        if placeholder(&t.value).is_some() {
            return None;
        }
        if t.value.as_str() != "IPAddress" {
            return Some((Problem::Type(&t.value), t.span));
        }
    }
    let Some(value) = a.value.as_ref().filter(|v| !v.value.is_empty()) else {
        return Some((Problem::NoValue, a.span));
    };
    if placeholder(&value.value).is_some() || value.value.parse::<IpAddr>().is_ok() {
        return None;
    }
    Some((Problem::NotAnIp(&value.value), value.span))
}

fn message(gw: &Object, p: &Problem<'_>) -> String {
    let what = match p {
        Problem::Type(t) => format!("an address of type `{t}`; Cilium takes only IPAddress"),
        Problem::NoValue => "an address with no value; Cilium needs an IP address".into(),
        Problem::NotAnIp(v) => format!("`{v}`, which is not an IP address"),
    };
    format!(
        "Gateway {}: spec.addresses holds {what}, so Cilium refuses the Gateway (\"The gateway \
         static address is not yet supported\"): no Service, no listener is programmed",
        gw.qualified_name()
    )
}

fn label(p: &Problem<'_>) -> &'static str {
    match p {
        Problem::Type(_) => "not IPAddress",
        Problem::NoValue => "no value",
        Problem::NotAnIp(_) => "not an IP address",
    }
}

fn help(p: &Problem<'_>) -> String {
    match p {
        Problem::Type(_) => "use `type: IPAddress` (or leave `type` unset) with an IP address \
                             LB-IPAM can assign, or drop the entry and let LB-IPAM pick one"
            .into(),
        Problem::NoValue => "set `value` to an IP address, or drop the entry and let LB-IPAM \
                             pick one"
            .into(),
        Problem::NotAnIp(_) => "write one plain IP address per entry (no prefix length, no \
                                port, no hostname), e.g. `value: 192.168.1.240`"
            .into(),
    }
}
