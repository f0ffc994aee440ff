//! listenerset-not-allowed: a ListenerSet's parent Gateway does not admit ListenerSets from the
//! set's namespace (`spec.allowedListeners`, which admits none by default), so the set is
//! `Accepted=False/NotAllowed` and none of its listeners exist. Routes attached to the set are
//! not reported again.

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::attachment::NamespaceRefusal;
use crate::analysis::listener_set::{SetRefusal, Standing, listener_sets, standing};
use crate::diagnostic::{Finding, Severity};
use crate::model::Object;
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "listenerset-not-allowed",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "a ListenerSet's parent Gateway does not admit ListenerSets from its namespace (allowedListeners)",
};

pub const RULE: Rule = Rule { meta: &META, check };

const CONDITION: &str = "Accepted=False/NotAllowed";

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for (set, spec) in listener_sets(catalog) {
        let (Some(at), Some(parent)) = (set.location, spec.parent.as_ref()) else {
            continue;
        };
        let Standing::NotAllowed { gateway, refusal } = standing(catalog, set) else {
            continue;
        };
        let default_ns = catalog.default_namespace.as_str();
        let ns = |o: &Object| o.namespace.as_deref().unwrap_or(default_ns).to_string();
        let (set_ns, gw_ns) = (ns(set), ns(gateway));
        let allowed_span = gateway
            .gateway()
            .and_then(|g| g.allowed_listeners.span)
            .unwrap_or(gateway.name_span);
        out.push(
            Finding::new(
                &META,
                Location {
                    file: at.file,
                    span: parent.name.span,
                },
                format!(
                    "{} {} is not allowed by Gateway {}: {}",
                    set.kind,
                    set.qualified_name(),
                    gateway.qualified_name(),
                    reason(&refusal, &set_ns, &gw_ns)
                ),
            )
            .object(set)
            .field("spec.parentRef")
            .label("the Gateway does not admit this ListenerSet")
            .condition(CONDITION)
            .help(help(&refusal, &set_ns, &gw_ns))
            .related(
                gateway.location.map(|l| Location {
                    file: l.file,
                    span: allowed_span,
                }),
                format!("Gateway {}", gateway.qualified_name()),
            ),
        );
    }
}

fn reason(refusal: &SetRefusal, set_ns: &str, gw_ns: &str) -> String {
    match refusal {
        SetRefusal::None { written: false } => "the Gateway does not set \
            spec.allowedListeners, and a Gateway admits no ListenerSet by default (from: None)"
            .into(),
        SetRefusal::None { written: true } => {
            "its spec.allowedListeners.namespaces.from is None".into()
        }
        SetRefusal::Namespace(NamespaceRefusal::Same) => format!(
            "it admits ListenerSets of its own namespace {gw_ns} only (from: Same), not of {set_ns}"
        ),
        SetRefusal::Namespace(NamespaceRefusal::Selector { failing, .. }) => format!(
            "its allowedListeners selector does not match namespace {set_ns} (fails {})",
            failing.join(", ")
        ),
        SetRefusal::Namespace(NamespaceRefusal::SelectsNothing) => {
            "its allowedListeners says `from: Selector` without a valid selector, which admits \
             no namespace"
                .into()
        }
    }
}

fn help(refusal: &SetRefusal, set_ns: &str, gw_ns: &str) -> String {
    let same = set_ns == gw_ns;
    match refusal {
        SetRefusal::Namespace(NamespaceRefusal::Selector {
            by_name: false,
            namespace_in_tree: true,
            ..
        }) => format!(
            "label Namespace {set_ns} so the Gateway's allowedListeners selector matches it, or \
             widen the selector"
        ),
        _ if same => "set `spec.allowedListeners.namespaces.from: Same` on the Gateway".into(),
        _ => format!(
            "set `spec.allowedListeners.namespaces` on the Gateway to `from: Selector` with a \
             selector matching namespace {set_ns} (for example `kubernetes.io/metadata.name: \
             {set_ns}`), or `from: All`"
        ),
    }
}
