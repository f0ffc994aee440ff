//! route-not-allowed: every listener a parentRef selects refuses the route, by namespace
//! (`allowedRoutes.namespaces`) or by kind (`allowedRoutes.kinds` or the protocol's defaults).

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::attachment::{Attempt, NamespaceRefusal, Outcome, ROUTE_KINDS, Refusal};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};
use crate::model::gateway::Listener;
use crate::model::route::{RouteKind, protocol_kinds};
use crate::model::route_kinds::refused_by_invalid_kinds;
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "route-not-allowed",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "no listener the parentRef selects admits the route's namespace and kind",
};

pub const RULE: Rule = Rule { meta: &META, check };

const CONDITION: &str = "Accepted=False/NotAllowedByListeners";
const PROTOCOLS: [&str; 5] = ["HTTP", "HTTPS", "TLS", "TCP", "UDP"];

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for a in catalog.attempts() {
        let Outcome::NotAllowedByListeners(refusals) = &a.outcome else {
            continue;
        };
        let Some(at) = a.route.location else {
            continue;
        };
        // A listener whose allowedRoutes.kinds its protocol cannot carry would admit the route
        // once fixed: listener-route-kinds-invalid reports it there, with this route.
        if refusals
            .iter()
            .any(|r| r.namespace.is_none() && refused_by_invalid_kinds(r.listener, a.spec.kind))
        {
            continue;
        }
        let ctx = Context::of(catalog, a);
        let location = Location {
            file: at.file,
            span: a.parent.name.span,
        };
        let mut finding = Finding::new(&META, location, message(a, &ctx, refusals))
            .object(a.route)
            .field(a.parent.path())
            .label("no listener admits this route")
            .condition(CONDITION)
            .help(help(&ctx, refusals));
        for r in refusals {
            finding = finding.related(
                a.gateway.location.map(|l| Location {
                    file: l.file,
                    span: r.listener.name.span,
                }),
                format!(
                    "listener `{}` of {} {}",
                    r.listener.name.value,
                    a.parent_label(),
                    reason(&ctx, r)
                ),
            );
        }
        out.push(finding);
    }
}

/// What the messages need to know about one attempt.
struct Context<'a> {
    kind: RouteKind,
    route_ns: &'a str,
    gateway_ns: &'a str,
    /// Every listener of the Gateway, for the one that would carry the route's kind.
    listeners: &'a [Listener],
    gateway: String,
}

impl<'a> Context<'a> {
    fn of(catalog: &'a Catalog, a: &'a Attempt) -> Context<'a> {
        Context {
            kind: a.spec.kind,
            route_ns: a
                .route
                .namespace
                .as_deref()
                .unwrap_or(&catalog.default_namespace),
            gateway_ns: a
                .gateway
                .namespace
                .as_deref()
                .unwrap_or(&catalog.default_namespace),
            listeners: a.listeners(),
            gateway: a.parent_label(),
        }
    }
}

fn message(a: &Attempt, ctx: &Context, refusals: &[Refusal]) -> String {
    let route = format!("{} {}", a.route.kind, a.route.qualified_name());
    let gw = a.parent_label();
    let uncarried = |r: &Refusal| {
        r.namespace.is_none() && r.kind && !protocol_kinds(&r.listener.protocol).contains(&ctx.kind)
    };
    if refusals.len() > 1 && refusals.iter().all(uncarried) {
        return format!(
            "{route} is not allowed by {gw}: a {} attaches only to {} listeners, and \
             none of the {} listeners it targets ({}) is one",
            ctx.kind.as_str(),
            carriers(ctx.kind).join(" or "),
            refusals.len(),
            refusals
                .iter()
                .map(|r| format!("`{}` {}", r.listener.name.value, r.listener.protocol))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    match refusals {
        [r] => format!(
            "{route} is not allowed by {gw}: listener `{}` {}",
            r.listener.name.value,
            reason(ctx, r)
        ),
        _ => format!(
            "{route} is not allowed by any of the {} listeners of {gw} it targets ({})",
            refusals.len(),
            refusals
                .iter()
                .map(|r| format!("`{}`", r.listener.name.value))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Why one listener refuses the route, as a verb phrase after "listener `x`".
fn reason(ctx: &Context, r: &Refusal) -> String {
    let namespace = r.namespace.as_ref().map(|n| namespace_reason(ctx, n));
    let kind = r.kind.then(|| kind_reason(ctx.kind, r.listener));
    match (namespace, kind) {
        (Some(n), Some(k)) => format!("admits {n}, and {k}"),
        (Some(n), None) => format!("admits {n}"),
        (None, Some(k)) => format!("admits {k}"),
        (None, None) => unreachable!("a refusal refuses the namespace or the kind"),
    }
}

fn namespace_reason(ctx: &Context, n: &NamespaceRefusal) -> String {
    match n {
        NamespaceRefusal::Same => format!(
            "only routes from its own namespace {} (namespaces.from: Same, the default), not \
             from {}",
            ctx.gateway_ns, ctx.route_ns
        ),
        NamespaceRefusal::Selector {
            failing,
            namespace_in_tree,
            ..
        } => format!(
            "only namespaces its selector matches, and {} {} does not satisfy {}",
            if *namespace_in_tree {
                "Namespace"
            } else {
                "namespace"
            },
            ctx.route_ns,
            terms(failing)
        ),
        NamespaceRefusal::SelectsNothing => {
            "no namespace (namespaces.from: Selector without a valid selector)".into()
        }
    }
}

fn kind_reason(kind: RouteKind, l: &Listener) -> String {
    if l.allowed_routes.kinds.is_empty() {
        let defaults: Vec<&str> = protocol_kinds(&l.protocol)
            .iter()
            .map(|k| k.as_str())
            .collect();
        if defaults.is_empty() {
            return format!(
                "no route kind by default (protocol {}), so not {}",
                l.protocol,
                kind.as_str()
            );
        }
        format!(
            "only {} (the {} defaults), not {}",
            defaults.join(", "),
            l.protocol,
            kind.as_str()
        )
    } else {
        let kinds: Vec<&str> = l
            .allowed_routes
            .kinds
            .iter()
            .map(|(_, k)| k.as_str())
            .collect();
        format!(
            "only {} (allowedRoutes.kinds), not {}",
            kinds.join(", "),
            kind.as_str()
        )
    }
}

fn terms(failing: &[String]) -> String {
    failing
        .iter()
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fixes, one per distinct cause, in listener order; any one of them attaches the route.
fn help(ctx: &Context, refusals: &[Refusal]) -> String {
    let mut fixes: Vec<String> = Vec::new();
    for r in refusals {
        let name = &r.listener.name.value;
        if let Some(n) = &r.namespace {
            fixes.push(match n {
                NamespaceRefusal::Same => format!(
                    "set `allowedRoutes.namespaces.from: All` (or a Selector that matches \
                     namespace {}) on listener `{name}`, or move the route to namespace {}",
                    ctx.route_ns, ctx.gateway_ns
                ),
                NamespaceRefusal::Selector {
                    failing,
                    by_name: false,
                    ..
                } => format!(
                    "label Namespace {} so it satisfies {}, or widen the selector of listener \
                     `{name}`",
                    ctx.route_ns,
                    terms(failing)
                ),
                NamespaceRefusal::Selector { .. } => format!(
                    "widen the selector of listener `{name}` to match namespace {} \
                     (kubernetes.io/metadata.name is the namespace's name and cannot be \
                     relabelled), or move the route to a namespace it matches",
                    ctx.route_ns
                ),
                NamespaceRefusal::SelectsNothing => {
                    format!("set `allowedRoutes.namespaces.selector` on listener `{name}`")
                }
            });
        }
        if r.kind {
            fixes.extend(kind_fix(ctx, r.listener, refusals.len() == 1));
        }
    }
    let mut unique: Vec<String> = Vec::new();
    for f in fixes {
        if !unique.contains(&f) {
            unique.push(f);
        }
    }
    match unique.as_slice() {
        [one] => one.clone(),
        _ => format!("any one of these attaches it:\n- {}", unique.join("\n- ")),
    }
}

/// The protocols whose listeners carry a route kind.
fn carriers(kind: RouteKind) -> Vec<&'static str> {
    PROTOCOLS
        .into_iter()
        .filter(|p| protocol_kinds(p).contains(&kind))
        .collect()
}

/// How to attach a route a listener refuses by kind: add the kind to the listener when its
/// protocol carries it, else point the parentRef at a listener that does (or add one), or, when
/// this listener is the only one targeted, write the route as a kind it carries.
fn kind_fix(ctx: &Context, l: &Listener, only: bool) -> Vec<String> {
    let kind_name = ctx.kind.as_str();
    if protocol_kinds(&l.protocol).contains(&ctx.kind) {
        return vec![format!(
            "add `kind: {kind_name}` to the allowedRoutes.kinds of listener `{}`",
            l.name.value
        )];
    }
    let carriers = carriers(ctx.kind).join(" or ");
    let carrying: Vec<String> = ctx
        .listeners
        .iter()
        .filter(|other| other.admits_kind(ctx.kind))
        .map(|other| format!("`sectionName: {}`", other.name.value))
        .collect();
    let mut fixes = vec![if carrying.is_empty() {
        format!(
            "a {kind_name} attaches only to {carriers} listeners, and {} has none: add one \
             and point the parentRef at it",
            ctx.gateway
        )
    } else {
        format!(
            "a {kind_name} attaches only to {carriers} listeners: point the parentRef at one ({})",
            carrying.join(", ")
        )
    }];
    let carried: Vec<&str> = ROUTE_KINDS
        .iter()
        .filter(|k| l.admits_kind(**k))
        .map(|k| k.as_str())
        .collect();
    if only && !carried.is_empty() {
        fixes.push(format!(
            "write the route as a kind listener `{}` carries ({})",
            l.name.value,
            carried.join(", ")
        ));
    }
    fixes
}
