//! ReferenceGrant (GEP-709), and the Gateway's TLS references outside its listeners that may
//! cross namespaces (client-certificate validation CAs, the backend client certificate).

use super::{GATEWAY_GROUP, Spanned, Text, text, text_at};
use crate::source::Span;
use crate::source::yaml::Node;

/// A ReferenceGrant's spec: it lives in the namespace of the objects it lets others refer to.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ReferenceGrant {
    pub from: Box<[GrantFrom]>,
    pub to: Box<[GrantTo]>,
}

/// `spec.from[]`: group, kind and namespace are all required by the CRD.
#[derive(Clone, Debug, PartialEq)]
pub struct GrantFrom {
    pub group: Text,
    pub kind: Text,
    pub namespace: Text,
    pub span: Span,
}

/// `spec.to[]`: group and kind required; without a name every object of the kind is admitted.
#[derive(Clone, Debug, PartialEq)]
pub struct GrantTo {
    pub group: Text,
    pub kind: Text,
    pub name: Option<Text>,
    pub span: Span,
}

impl ReferenceGrant {
    pub fn from_spec(spec: Option<Node<'_>>) -> ReferenceGrant {
        let seq = |key: &str| {
            spec.and_then(|s| s.get(key))
                .map(Node::as_seq)
                .unwrap_or_default()
        };
        ReferenceGrant {
            from: seq("from")
                .map(|f| GrantFrom {
                    group: text_at(f, "group", ""),
                    kind: text_at(f, "kind", ""),
                    namespace: text_at(f, "namespace", ""),
                    span: f.span(),
                })
                .collect(),
            to: seq("to")
                .map(|t| GrantTo {
                    group: text_at(t, "group", ""),
                    kind: text_at(t, "kind", ""),
                    name: t
                        .get("name")
                        .and_then(Node::as_str)
                        .filter(|n| !n.is_empty())
                        .map(text),
                    span: t.span(),
                })
                .collect(),
        }
    }

    /// Whether the grant lets an object of (group, kind) in `namespace` refer to the object
    /// (to_group, to_kind, name) of the grant's namespace: one `from` and one `to` entry match
    /// exactly (entries are OR-ed), as Cilium's `helpers.IsBackendReferenceAllowed` and
    /// `IsSecretReferenceAllowed` compare them.
    pub fn admits(&self, from: (&str, &str, &str), to: (&str, &str, &str)) -> bool {
        self.admits_from(from) && self.admits_to(to)
    }

    pub fn admits_from(&self, (group, kind, namespace): (&str, &str, &str)) -> bool {
        self.from
            .iter()
            .any(|f| f.group == group && f.kind == kind && f.namespace == namespace)
    }

    pub fn admits_to(&self, (group, kind, name): (&str, &str, &str)) -> bool {
        self.to.iter().any(|t| {
            t.group == group && t.kind == kind && t.name.as_deref().is_none_or(|n| n == name)
        })
    }
}

/// Whether a ReferenceGrant's apiVersion is one a Gateway API bundle serves: `v1beta1` in every
/// release since v1.0, `v1` from v1.5. `v1alpha2` is unserved since v1.1, so the API server
/// rejects such a grant and it admits nothing. Other versions are not ReferenceGrants at all.
pub fn grant_version_served(api_version: &str) -> bool {
    matches!(
        api_version.strip_prefix(GATEWAY_GROUP).unwrap_or_default(),
        "/v1beta1" | "/v1"
    )
}

/// What a Gateway TLS reference outside the listeners is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatewayTlsRefRole {
    /// `spec.tls.frontend.{default,perPort[].tls}.validation.caCertificateRefs[]` (v1.4+) or a
    /// listener's `tls.frontendValidation.caCertificateRefs[]` (v1.3, experimental): the CA
    /// bundle client certificates are validated against.
    ClientCa,
    /// `spec.tls.backend.clientCertificateRef` (v1.4+; `spec.backendTLS` in v1.3): the
    /// certificate the Gateway presents to backends.
    BackendClientCertificate,
}

/// A reference of the Gateway to a certificate or CA bundle, with its field path. The group
/// defaults to core; kind is required by the API for CA refs (ObjectReference) and defaults to
/// Secret for the client certificate (SecretObjectReference).
#[derive(Clone, Debug, PartialEq)]
pub struct GatewayTlsRef {
    pub role: GatewayTlsRefRole,
    pub group: Text,
    pub kind: Text,
    pub namespace: Option<Spanned<Text>>,
    pub name: Spanned<Text>,
    /// `spec.tls.frontend.default.validation.caCertificateRefs[0]`.
    pub path: String,
    /// The HTTPS listeners it applies to on one port (`perPort`), else all of them.
    pub port: Option<u32>,
}

/// The Gateway's TLS references outside `listeners[].tls.certificateRefs`, as written in
/// `spec` (Gateway API v1.3 and v1.4+ field paths).
pub fn gateway_tls_refs(spec: Node<'_>) -> Box<[GatewayTlsRef]> {
    let mut out = Vec::new();
    let ca_refs = |out: &mut Vec<GatewayTlsRef>, validation: Option<Node<'_>>, path: &str, port| {
        let refs = validation
            .and_then(|v| v.get("caCertificateRefs"))
            .map(Node::as_seq)
            .unwrap_or_default();
        for (i, r) in refs.enumerate() {
            out.extend(tls_ref(
                r,
                GatewayTlsRefRole::ClientCa,
                "",
                format!("{path}.caCertificateRefs[{i}]"),
                port,
            ));
        }
    };
    let frontend = spec.at(&["tls", "frontend"]);
    ca_refs(
        &mut out,
        frontend.and_then(|f| f.at(&["default", "validation"])),
        "spec.tls.frontend.default.validation",
        None,
    );
    let per_port = frontend
        .and_then(|f| f.get("perPort"))
        .map(Node::as_seq)
        .unwrap_or_default();
    for (i, p) in per_port.enumerate() {
        let port = p.get("port").and_then(Node::as_u32);
        ca_refs(
            &mut out,
            p.at(&["tls", "validation"]),
            &format!("spec.tls.frontend.perPort[{i}].tls.validation"),
            port,
        );
    }
    let listeners = spec.get("listeners").map(Node::as_seq).unwrap_or_default();
    for (i, l) in listeners.enumerate() {
        let port = l.get("port").and_then(Node::as_u32);
        ca_refs(
            &mut out,
            l.at(&["tls", "frontendValidation"]),
            &format!("spec.listeners[{i}].tls.frontendValidation"),
            port,
        );
    }
    for (path, node) in [
        (
            "spec.tls.backend.clientCertificateRef",
            spec.at(&["tls", "backend", "clientCertificateRef"]),
        ),
        (
            "spec.backendTLS.clientCertificateRef",
            spec.at(&["backendTLS", "clientCertificateRef"]),
        ),
    ] {
        if let Some(r) = node {
            out.extend(tls_ref(
                r,
                GatewayTlsRefRole::BackendClientCertificate,
                "Secret",
                path.to_string(),
                None,
            ));
        }
    }
    out.into()
}

fn tls_ref(
    r: Node<'_>,
    role: GatewayTlsRefRole,
    default_kind: &str,
    path: String,
    port: Option<u32>,
) -> Option<GatewayTlsRef> {
    Some(GatewayTlsRef {
        role,
        group: text_at(r, "group", ""),
        kind: text_at(r, "kind", default_kind),
        namespace: r.get("namespace").and_then(Spanned::from_str_node),
        name: r.get("name").and_then(Spanned::from_str_node)?,
        path,
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Spec, first_object as object};

    fn grant(yaml: &str) -> ReferenceGrant {
        match object(yaml, "shared").spec {
            Spec::ReferenceGrant(g) => *g,
            other => panic!("not a grant: {other:?}"),
        }
    }

    #[test]
    fn a_grant_admits_exactly_its_from_and_to_entries() {
        let g = grant(
            "apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: allow-shop}
spec:
  from:
  - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}
  - {group: gateway.networking.k8s.io, kind: Gateway, namespace: gateway}
  to:
  - {group: '', kind: Service, name: catalog}
  - {group: '', kind: Secret}
",
        );
        let route = (GATEWAY_GROUP, "HTTPRoute", "shop");
        assert!(g.admits(route, ("", "Service", "catalog")));
        assert!(!g.admits(route, ("", "Service", "reviews")));
        assert!(!g.admits(
            (GATEWAY_GROUP, "GRPCRoute", "shop"),
            ("", "Service", "catalog")
        ));
        assert!(!g.admits(
            (GATEWAY_GROUP, "HTTPRoute", "blog"),
            ("", "Service", "catalog")
        ));
        // Entries are OR-ed: the Gateway's entry and the name-less Secret entry combine.
        assert!(g.admits((GATEWAY_GROUP, "Gateway", "gateway"), ("", "Secret", "any")));
        assert!(!g.admits(route, ("core", "Service", "catalog")));
    }

    #[test]
    fn served_versions_follow_the_bundles() {
        assert!(grant_version_served("gateway.networking.k8s.io/v1beta1"));
        assert!(grant_version_served("gateway.networking.k8s.io/v1"));
        assert!(!grant_version_served("gateway.networking.k8s.io/v1alpha2"));
        assert!(!grant_version_served("v1"));
    }

    #[test]
    fn gateway_tls_refs_of_every_bundle_are_read() {
        let o = object(
            "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: gateway}
spec:
  gatewayClassName: cilium
  tls:
    frontend:
      default:
        validation:
          caCertificateRefs:
          - {group: '', kind: ConfigMap, name: client-ca, namespace: pki}
      perPort:
      - port: 8443
        tls:
          validation:
            caCertificateRefs:
            - {kind: ConfigMap, name: partner-ca}
    backend:
      clientCertificateRef: {name: gw-client, namespace: pki}
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls:
      frontendValidation:
        caCertificateRefs:
        - {group: '', kind: ConfigMap, name: old-ca}
",
            "gateway",
        );
        let refs = &o.gateway().unwrap().tls_refs;
        let paths: Vec<&str> = refs.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "spec.tls.frontend.default.validation.caCertificateRefs[0]",
                "spec.tls.frontend.perPort[0].tls.validation.caCertificateRefs[0]",
                "spec.listeners[0].tls.frontendValidation.caCertificateRefs[0]",
                "spec.tls.backend.clientCertificateRef",
            ]
        );
        assert_eq!(refs[1].port, Some(8443));
        assert_eq!(refs[3].kind, "Secret");
        assert_eq!(refs[3].role, GatewayTlsRefRole::BackendClientCertificate);
        assert_eq!(refs[0].namespace.as_ref().map(|n| n.as_str()), Some("pki"));
    }
}
