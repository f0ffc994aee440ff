//! gateway-class-not-found: a Gateway's `gatewayClassName` names no GatewayClass that exists, so
//! no controller ever takes the Gateway.
//!
//! A class missing from the tree may still be installed by something cilint cannot see (a
//! cloud, an operator, a chart), so only a name that is plausibly a typo of a class that does
//! exist is reported: one close to a class in the tree, `cilium`, a class a known controller
//! creates, or a class the configuration declares.

use super::{Category, Facts, Rule, RuleMeta, explained};
use crate::catalog::Lookup;
use crate::catalog::gateway_classes::KNOWN_CLASSES;
use crate::diagnostic::{Finding, Severity};
use crate::model::{GATEWAY_GROUP, Object};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "gateway-class-not-found",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "a Gateway's gatewayClassName names no GatewayClass, so no controller accepts it",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for &gw_id in catalog.of_kind(GATEWAY_GROUP, "Gateway") {
        let gw = catalog.object(gw_id);
        let (Some(spec), Some(at)) = (gw.gateway(), gw.location) else {
            continue;
        };
        let Some(class) = &spec.class_name else {
            continue;
        };
        let name = class.value.as_str();
        if catalog.lookup(GATEWAY_GROUP, "GatewayClass", None, name) != Lookup::Missing {
            continue;
        }
        let location = Location {
            file: at.file,
            span: class.span,
        };
        if catalog.in_unverifiable(location) {
            continue;
        }
        let finding = Finding::new(&META, location, message(gw, name))
            .object(gw)
            .field("spec.gatewayClassName")
            .label("no such GatewayClass")
            .condition("Accepted=Unknown/Pending");
        // Written in the tree but not deployed, or written without `kind`: said at the Gateway.
        if let Some(reason) = catalog.miss_reason(GATEWAY_GROUP, "GatewayClass", None, name) {
            out.push(explained(finding, reason));
            continue;
        }
        if catalog.gateway_class_unverified(name).is_some() {
            continue;
        }
        let in_tree: Vec<&str> = catalog
            .names_in(GATEWAY_GROUP, "GatewayClass", None)
            .collect();
        let Some(near) = typo_of(name, in_tree.iter().chain(KNOWN_CLASSES).copied()) else {
            continue;
        };
        // typo_of is strict already (two edits on a long name): the class meant, renamed unsafely.
        let mut finding =
            finding
                .help(help(name, near))
                .rename(name, near, format!("use GatewayClass `{near}`"));
        if let Lookup::Found(id) = catalog.lookup(GATEWAY_GROUP, "GatewayClass", None, near) {
            let class = catalog.object(id);
            finding = finding.related(class.name_location(), format!("GatewayClass `{near}`"));
        }
        out.push(finding);
    }
}

/// The existing class `name` is most plausibly a slip of: at most two edits away, on names of
/// five characters or more. Looser matches report classes installed outside the tree that merely
/// look alike: `example-gateway-class` beside a class `example`, `envoy-internal` beside
/// `envoy`.
fn typo_of<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name || c.is_empty() {
            continue;
        }
        let d = strsim::levenshtein(name, c);
        if d <= 2
            && name.len().max(c.len()) >= 5
            && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc))
        {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn message(gw: &Object, class: &str) -> String {
    format!(
        "Gateway {}: gatewayClassName `{class}` names no GatewayClass, so no controller accepts \
         the Gateway: it keeps the default status Accepted=Unknown (\"Waiting for controller\") \
         and gets no address",
        gw.qualified_name()
    )
}

fn help(class: &str, near: &str) -> String {
    format!(
        "did you mean `{near}`? If GatewayClass `{class}` is installed outside this repository, \
         list it under `gateway-classes:` in .cilint.yaml"
    )
}

#[cfg(test)]
mod tests {
    use super::typo_of;

    #[test]
    fn typos_and_partial_names_but_not_lookalikes() {
        assert_eq!(typo_of("cillium", ["cilium"]), Some("cilium"));
        assert_eq!(typo_of("Cilium", ["cilium"]), Some("cilium"));
        assert_eq!(
            typo_of("envoy-internl", ["envoy-internal", "envoy-external"]),
            Some("envoy-internal")
        );
        assert_eq!(typo_of("example-gateway-class", ["example"]), None);
        assert_eq!(
            typo_of("my-tcp-gateway-class", ["example-gateway-class"]),
            None
        );
        assert_eq!(typo_of("eg", ["ex"]), None);
        assert_eq!(typo_of("nginx", ["cilium"]), None);
    }
}
