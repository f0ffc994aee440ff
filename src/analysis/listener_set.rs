//! Whether a ListenerSet joins its parent Gateway: the parentRef must name a Gateway that
//! exists, and the Gateway's `spec.allowedListeners.namespaces` must admit the set's namespace
//! (`from: None` by default, so a Gateway that says nothing admits no ListenerSet). A set that
//! does not join is `Accepted=False/NotAllowed` (conformance ListenerSetDefaultNotAllowed,
//! ListenerSetAllowedNamespaceSame/None/Selector), and routes attached to it attach to nothing:
//! that is reported once, at the set.

use super::attachment::{NamespaceCheck, NamespaceRefusal, check_selector};
use crate::catalog::{Catalog, Lookup};
use crate::model::gateway::{Gateway, Listener, ListenersFrom};
use crate::model::listener_set::{KINDS, ListenerSet, ParentGatewayRef};
use crate::model::{GATEWAY_GROUP, Object, ObjectId};

/// Where a ListenerSet stands with its parent Gateway.
#[derive(Debug)]
pub enum Standing<'a> {
    /// The parent Gateway admits the set (or cilint cannot tell that it does not).
    Joined(&'a Object),
    /// The parent is not a Gateway in the tree, or no parentRef is written: nothing to judge
    /// here (a missing Gateway is listenerset-parent-not-found's).
    NoParent,
    /// The parent Gateway's allowedListeners refuses the set's namespace.
    NotAllowed {
        gateway: &'a Object,
        refusal: SetRefusal,
    },
}

/// Why a Gateway's allowedListeners refuses a ListenerSet.
#[derive(Clone, Debug, PartialEq)]
pub enum SetRefusal {
    /// `from: None`, written or (when `written` is false) the default.
    None { written: bool },
    /// `from: Same` and the set lives in another namespace; from: Selector and the set's
    /// Namespace fails it. The same vocabulary as a listener's allowedRoutes.
    Namespace(NamespaceRefusal),
}

/// Every ListenerSet and XListenerSet object with its spec.
pub fn listener_sets(catalog: &Catalog) -> impl Iterator<Item = (&Object, &ListenerSet)> {
    KINDS.iter().flat_map(move |&(g, k)| {
        catalog.of_kind(g, k).iter().filter_map(move |&id| {
            let o = catalog.object(id);
            o.listener_set().map(|s| (o, s))
        })
    })
}

/// The namespace of an object, or the default one.
fn namespace_of<'a>(catalog: &'a Catalog, o: &'a Object) -> &'a str {
    o.namespace.as_deref().unwrap_or(&catalog.default_namespace)
}

/// The namespace a set's parentRef points into: its own, else the set's.
pub fn parent_namespace<'a>(
    catalog: &'a Catalog,
    set: &'a Object,
    parent: &'a ParentGatewayRef,
) -> &'a str {
    parent
        .namespace
        .as_ref()
        .map_or_else(|| namespace_of(catalog, set), |n| n.value.as_str())
}

/// The set's parent Gateway as the Catalog answers for it; `None` when the parentRef names no
/// Gateway (another kind, or none written).
pub fn parent_lookup(catalog: &Catalog, set: &Object) -> Option<Lookup> {
    let parent = set.listener_set()?.parent.as_ref()?;
    if !parent.is_gateway() {
        return None;
    }
    let ns = parent_namespace(catalog, set, parent);
    Some(catalog.lookup(GATEWAY_GROUP, "Gateway", Some(ns), &parent.name.value))
}

pub fn standing<'a>(catalog: &'a Catalog, set: &'a Object) -> Standing<'a> {
    let Some(Lookup::Found(id)) = parent_lookup(catalog, set) else {
        return Standing::NoParent;
    };
    let gateway = catalog.object(id);
    let Some(gw) = gateway.gateway() else {
        return Standing::NoParent;
    };
    match admits(
        catalog,
        gw,
        namespace_of(catalog, gateway),
        namespace_of(catalog, set),
    ) {
        Some(refusal) => Standing::NotAllowed { gateway, refusal },
        None => Standing::Joined(gateway),
    }
}

/// Why the Gateway in `gateway_ns` refuses ListenerSets of `set_ns`, or `None` when it admits
/// them or cilint cannot tell (a Namespace whose labels are not in the tree).
fn admits(catalog: &Catalog, gw: &Gateway, gateway_ns: &str, set_ns: &str) -> Option<SetRefusal> {
    let allowed = &gw.allowed_listeners;
    let namespace = |r| Some(SetRefusal::Namespace(r));
    match allowed.from {
        ListenersFrom::None => Some(SetRefusal::None {
            written: allowed.span.is_some(),
        }),
        ListenersFrom::All => None,
        ListenersFrom::Same if set_ns == gateway_ns => None,
        ListenersFrom::Same => namespace(NamespaceRefusal::Same),
        ListenersFrom::Selector => match &allowed.selector {
            Some(sel) if !sel.invalid => match check_selector(catalog, sel, set_ns) {
                NamespaceCheck::Refused(r) => namespace(r),
                NamespaceCheck::Admitted | NamespaceCheck::Unverifiable => None,
            },
            _ => namespace(NamespaceRefusal::SelectsNothing),
        },
    }
}

/// An object whose listeners a controller programs: a Gateway, or a ListenerSet that joins one.
pub struct ListenerOwner<'a> {
    pub object: &'a Object,
    pub listeners: &'a [Listener],
    /// The Gateway that programs the listeners: the object itself, or the set's parent.
    pub gateway: ObjectId,
}

/// Every Gateway, then every ListenerSet that joins its Gateway: the listeners whose TLS
/// references resolve. A set that does not join has no listeners to program, and is reported
/// once, as such.
pub fn listener_owners(catalog: &Catalog) -> impl Iterator<Item = ListenerOwner<'_>> {
    let gateways = catalog
        .of_kind(GATEWAY_GROUP, "Gateway")
        .iter()
        .filter_map(move |&id| {
            let object = catalog.object(id);
            Some(ListenerOwner {
                object,
                listeners: &object.gateway()?.listeners,
                gateway: id,
            })
        });
    let sets = listener_sets(catalog).filter_map(move |(object, spec)| {
        let Some(Lookup::Found(gateway)) = parent_lookup(catalog, object) else {
            return None;
        };
        matches!(standing(catalog, object), Standing::Joined(_)).then_some(ListenerOwner {
            object,
            listeners: &spec.listeners,
            gateway,
        })
    });
    gateways.chain(sets)
}

/// The listeners of a route's parent: a Gateway's own, or a ListenerSet's.
pub fn listeners_of(parent: &Object) -> &[Listener] {
    if let Some(gw) = parent.gateway() {
        &gw.listeners
    } else if let Some(set) = parent.listener_set() {
        &set.listeners
    } else {
        &[]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\n\
        metadata: {name: team-a, namespace: team-a}\n\
        spec:\n  parentRef: {name: shared, namespace: infra}\n\
        \x20 listeners: [{name: https, port: 443, protocol: HTTPS, hostname: a.example.com}]\n";

    fn standing_with(allowed: &str, extra: &str) -> String {
        let yaml = format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n\
             metadata: {{name: shared, namespace: infra}}\n\
             spec:\n  gatewayClassName: cilium\n{allowed}\n\
             \x20 listeners: [{{name: http, port: 80, protocol: HTTP}}]\n---\n{SET}---\n{extra}\n"
        );
        let c = Catalog::of_yaml(&yaml, "default");
        let (set, _) = listener_sets(&c).next().expect("a ListenerSet");
        match standing(&c, set) {
            Standing::Joined(gw) => format!("Joined {}", gw.qualified_name()),
            Standing::NoParent => "NoParent".into(),
            Standing::NotAllowed { refusal, .. } => format!("NotAllowed {refusal:?}"),
        }
    }

    #[test]
    fn a_gateway_admits_no_listener_set_by_default() {
        assert_eq!(standing_with("", ""), "NotAllowed None { written: false }");
        assert_eq!(
            standing_with("  allowedListeners: {namespaces: {from: None}}", ""),
            "NotAllowed None { written: true }"
        );
    }

    #[test]
    fn same_all_and_selector() {
        assert_eq!(
            standing_with("  allowedListeners: {namespaces: {from: Same}}", ""),
            "NotAllowed Namespace(Same)"
        );
        assert_eq!(
            standing_with("  allowedListeners: {namespaces: {from: All}}", ""),
            "Joined infra/shared"
        );
        let selector = "  allowedListeners:\n    namespaces:\n      from: Selector\n      \
                        selector: {matchLabels: {shared-gateway: 'true'}}";
        let ns = |labels: &str| {
            format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: team-a, labels: {labels}}}")
        };
        assert_eq!(
            standing_with(selector, &ns("{shared-gateway: 'true'}")),
            "Joined infra/shared"
        );
        assert!(
            standing_with(selector, &ns("{team: a}")).starts_with("NotAllowed Namespace(Selector")
        );
        // The Namespace is not in the tree: its labels are unknown, so the set is not judged.
        assert_eq!(standing_with(selector, ""), "Joined infra/shared");
        assert_eq!(
            standing_with("  allowedListeners: {namespaces: {from: Selector}}", ""),
            "NotAllowed Namespace(SelectsNothing)"
        );
    }

    #[test]
    fn a_missing_parent_is_not_judged_here() {
        let c = Catalog::of_yaml(SET, "default");
        let (set, _) = listener_sets(&c).next().unwrap();
        assert!(matches!(standing(&c, set), Standing::NoParent));
        assert_eq!(parent_lookup(&c, set), Some(Lookup::Missing));
    }
}
