//! Routes of every kind (HTTP, GRPC, TLS, TCP, UDP): parentRefs, hostnames, backendRefs.

use super::{GATEWAY_GROUP, Spanned, Text, text_at};
use crate::source::Span;
use crate::source::yaml::Node;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RouteKind {
    Http,
    Grpc,
    Tls,
    Tcp,
    Udp,
}

impl RouteKind {
    pub fn from_kind(kind: &str) -> Option<RouteKind> {
        Some(match kind {
            "HTTPRoute" => RouteKind::Http,
            "GRPCRoute" => RouteKind::Grpc,
            "TLSRoute" => RouteKind::Tls,
            "TCPRoute" => RouteKind::Tcp,
            "UDPRoute" => RouteKind::Udp,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RouteKind::Http => "HTTPRoute",
            RouteKind::Grpc => "GRPCRoute",
            RouteKind::Tls => "TLSRoute",
            RouteKind::Tcp => "TCPRoute",
            RouteKind::Udp => "UDPRoute",
        }
    }

    /// Whether the kind has `spec.hostnames`.
    pub fn has_hostnames(self) -> bool {
        matches!(self, RouteKind::Http | RouteKind::Grpc | RouteKind::Tls)
    }
}

/// The route kinds a listener protocol carries when `allowedRoutes.kinds` is empty.
pub fn protocol_kinds(protocol: &str) -> &'static [RouteKind] {
    match protocol {
        "HTTP" | "HTTPS" => &[RouteKind::Http, RouteKind::Grpc],
        "TLS" => &[RouteKind::Tls],
        "TCP" => &[RouteKind::Tcp],
        "UDP" => &[RouteKind::Udp],
        _ => &[],
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub kind: RouteKind,
    pub parent_refs: Box<[ParentRef]>,
    pub hostnames: Box<[Spanned<Text>]>,
    /// Span of `spec.hostnames`, if written.
    pub hostnames_span: Option<Span>,
    pub backend_refs: Box<[BackendRef]>,
    /// The backendRefs of `requestMirror` filters (of a rule or of one of its backendRefs):
    /// cross-namespace ones need a ReferenceGrant too. Their `index` is the filter's.
    pub mirror_refs: Box<[BackendRef]>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ParentRef {
    pub group: Text,
    pub kind: Text,
    pub namespace: Option<Spanned<Text>>,
    pub name: Spanned<Text>,
    pub section_name: Option<Spanned<Text>>,
    pub port: Option<Spanned<u32>>,
    pub span: Span,
    /// Position in `spec.parentRefs`, for the field path of findings.
    pub index: usize,
}

impl ParentRef {
    /// `spec.parentRefs[0]`.
    pub fn path(&self) -> String {
        format!("spec.parentRefs[{}]", self.index)
    }

    pub fn is_gateway(&self) -> bool {
        self.group == GATEWAY_GROUP && self.kind == "Gateway"
    }

    /// A ListenerSet (or the experimental XListenerSet) as the parent: the route attaches to
    /// the set's listeners.
    pub fn is_listener_set(&self) -> bool {
        super::listener_set::is_listener_set(&self.group, &self.kind)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BackendRef {
    pub group: Text,
    pub kind: Text,
    pub namespace: Option<Spanned<Text>>,
    pub name: Spanned<Text>,
    pub port: Option<Spanned<u32>>,
    pub span: Span,
    /// Position of its rule in `spec.rules`, and its own in that rule's `backendRefs`, for the
    /// field path of findings.
    pub rule: usize,
    pub index: usize,
}

impl BackendRef {
    /// `spec.rules[1].backendRefs[0]`.
    pub fn path(&self) -> String {
        format!("spec.rules[{}].backendRefs[{}]", self.rule, self.index)
    }

    pub fn is_service(&self) -> bool {
        self.group.is_empty() && self.kind == "Service"
    }
}

fn port_of(node: Node<'_>) -> Option<Spanned<u32>> {
    let p = node.get("port")?;
    Some(Spanned {
        value: p.as_u32()?,
        span: p.span(),
    })
}

impl Route {
    pub fn from_spec(kind: RouteKind, spec: Option<Node<'_>>) -> Route {
        let seq = |key: &str| {
            spec.and_then(|s| s.get(key))
                .map(Node::as_seq)
                .unwrap_or_default()
        };
        let parent_refs = seq("parentRefs")
            .enumerate()
            .filter_map(|(index, p)| {
                Some(ParentRef {
                    group: text_at(p, "group", GATEWAY_GROUP),
                    kind: text_at(p, "kind", "Gateway"),
                    namespace: p.get("namespace").and_then(Spanned::from_str_node),
                    name: p.get("name").and_then(Spanned::from_str_node)?,
                    section_name: p.get("sectionName").and_then(Spanned::from_str_node),
                    port: port_of(p),
                    span: p.span(),
                    index,
                })
            })
            .collect();
        let hostnames = seq("hostnames")
            .filter_map(Spanned::from_str_node)
            .collect();
        let mut backend_refs = Vec::new();
        let mut mirror_refs = Vec::new();
        for (rule, r) in seq("rules").enumerate() {
            let refs = r.get("backendRefs").map(Node::as_seq).unwrap_or_default();
            for (index, b) in refs.enumerate() {
                push_backend(&mut backend_refs, b, rule, index);
                push_mirrors(&mut mirror_refs, b, rule);
            }
            push_mirrors(&mut mirror_refs, r, rule);
        }
        Route {
            kind,
            parent_refs,
            hostnames,
            hostnames_span: spec.and_then(|s| s.get("hostnames")).map(|n| n.span()),
            backend_refs: backend_refs.into(),
            mirror_refs: mirror_refs.into(),
        }
    }

    pub fn hostname_strs(&self) -> Vec<&str> {
        self.hostnames.iter().map(|h| h.value.as_str()).collect()
    }
}

fn push_backend(out: &mut Vec<BackendRef>, b: Node<'_>, rule: usize, index: usize) {
    let Some(name) = b.get("name").and_then(Spanned::from_str_node) else {
        return;
    };
    out.push(BackendRef {
        group: text_at(b, "group", ""),
        kind: text_at(b, "kind", "Service"),
        namespace: b.get("namespace").and_then(Spanned::from_str_node),
        name,
        port: port_of(b),
        span: b.span(),
        rule,
        index,
    });
}

/// The `filters[].requestMirror.backendRef` of a rule or a backendRef.
fn push_mirrors(out: &mut Vec<BackendRef>, node: Node<'_>, rule: usize) {
    let filters = node.get("filters").map(Node::as_seq).unwrap_or_default();
    for (index, f) in filters.enumerate() {
        if let Some(b) = f.at(&["requestMirror", "backendRef"]) {
            push_backend(out, b, rule, index);
        }
    }
}
