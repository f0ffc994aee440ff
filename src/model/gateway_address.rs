//! A Gateway's `spec.addresses`: the addresses it asks its controller for, as written.

use super::{Spanned, Text};
use crate::source::Span;
use crate::source::yaml::Node;

/// One entry of `spec.addresses`.
#[derive(Clone, Debug, PartialEq)]
pub struct GatewayAddress {
    /// `type`, if written; unset means `IPAddress` (the API's default).
    pub address_type: Option<Spanned<Text>>,
    /// `value`, if written as a scalar.
    pub value: Option<Spanned<Text>>,
    /// The whole entry.
    pub span: Span,
}

impl GatewayAddress {
    /// The address type, with the API's default.
    pub fn type_or_default(&self) -> &str {
        self.address_type
            .as_ref()
            .map_or("IPAddress", |t| t.value.as_str())
    }
}

/// Every entry of `spec.addresses`, in order.
pub fn addresses(spec: Node<'_>) -> Box<[GatewayAddress]> {
    spec.get("addresses")
        .map(Node::as_seq)
        .unwrap_or_default()
        .map(|a| GatewayAddress {
            address_type: a.get("type").and_then(Spanned::from_str_node),
            value: a.get("value").and_then(Spanned::from_str_node),
            span: a.span(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::model::first_object;

    #[test]
    fn reads_type_and_value_with_the_default_type() {
        let gw = first_object(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\n\
             spec:\n  gatewayClassName: cilium\n  addresses:\n  - value: 10.0.0.1\n  \
             - type: Hostname\n    value: gw.example.com\n  - type: IPAddress\n",
            "default",
        );
        let a = &gw.gateway().unwrap().addresses;
        assert_eq!(a.len(), 3);
        assert_eq!(a[0].type_or_default(), "IPAddress");
        assert_eq!(a[0].value.as_ref().unwrap().as_str(), "10.0.0.1");
        assert_eq!(a[1].type_or_default(), "Hostname");
        assert!(a[2].value.is_none());
    }
}
