//! What a listener's `tls` block says, as written: the listener-tls-invalid rule judges it
//! against the protocol (CEL rules of `apis/v1/gateway_types.go`).

use super::{Spanned, Text};
use crate::source::Span;
use crate::source::yaml::Node;

#[derive(Clone, Debug, PartialEq)]
pub struct ListenerTls {
    /// `tls.mode` as written; `None` when omitted (the CRD defaults it to Terminate).
    pub mode: Option<Spanned<Text>>,
    /// Whether `tls.certificateRefs` has at least one entry.
    pub has_certificate_refs: bool,
    /// Span of `tls.certificateRefs`, if written.
    pub certificate_refs_span: Option<Span>,
    /// Whether `tls.options` has at least one entry (implementation-specific certificates).
    pub has_options: bool,
    /// Span of the `tls` key.
    pub key_span: Span,
}

impl ListenerTls {
    /// The `tls` block of a listener node, if written.
    pub fn of_listener(listener: Node<'_>) -> Option<ListenerTls> {
        let (key, tls) = listener.get_entry("tls")?;
        // `tls: null` (or `tls: ~`) is the field left out, as the API server reads it.
        if tls.is_null() {
            return None;
        }
        let refs = tls.get("certificateRefs");
        Some(ListenerTls {
            mode: tls.get("mode").and_then(Spanned::from_str_node),
            has_certificate_refs: refs.is_some_and(|r| r.as_seq().next().is_some()),
            certificate_refs_span: refs.map(|r| r.span()),
            has_options: tls
                .get("options")
                .is_some_and(|o| o.as_map().next().is_some()),
            key_span: key.span(),
        })
    }

    /// The mode in effect: as written, else Terminate (the CRD default).
    pub fn mode(&self) -> &str {
        self.mode.as_ref().map_or("Terminate", |m| m.as_str())
    }
}

#[cfg(test)]
mod tests {
    use crate::model::first_object;

    fn tls_of(listener: &str) -> Option<super::ListenerTls> {
        let yaml = format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: g, namespace: n}}\n\
             spec:\n  listeners:\n  - {listener}\n"
        );
        first_object(&yaml, "default").gateway().unwrap().listeners[0]
            .tls
            .clone()
    }

    #[test]
    fn reads_mode_refs_and_options_as_written() {
        let t =
            tls_of("{name: a, protocol: HTTPS, port: 443, tls: {certificateRefs: [{name: c}]}}")
                .unwrap();
        assert!(t.mode.is_none());
        assert_eq!(t.mode(), "Terminate");
        assert!(t.has_certificate_refs && !t.has_options);
        let t = tls_of("{name: a, protocol: TLS, port: 443, tls: {mode: Passthrough, certificateRefs: [], options: {a/b: c}}}")
            .unwrap();
        assert_eq!(t.mode(), "Passthrough");
        assert!(!t.has_certificate_refs && t.has_options);
    }

    #[test]
    fn a_null_tls_is_no_tls() {
        assert!(tls_of("{name: a, protocol: HTTP, port: 80, tls: null}").is_none());
        assert!(tls_of("{name: a, protocol: HTTP, port: 80}").is_none());
    }
}
