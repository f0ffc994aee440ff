//! The versions a world runs: the Gateway API CRD bundle (and the channel the configuration
//! restricts checks to) and the Cilium release. Each comes from a flag, else the
//! configuration, else what the tree pins (`model::versions`), else a default; computed once
//! per world. Also which apiVersions each Gateway API bundle serves, per channel.

use crate::catalog::Catalog;
use crate::config::{VersionSetting, VersionSettings};
use crate::model::versions::{Channel, Pin, Pinned, Version};
use crate::source::Location;

/// The bundle current Cilium (1.20) documents and requires: "Cilium's Gateway API support now
/// requires Gateway API v1.6.1 at a minimum" (Cilium 1.20 upgrade notes).
pub const DEFAULT_GATEWAY_API: Version = Version::new(1, 6, 1);

/// The first Cilium release that needs [`DEFAULT_GATEWAY_API`] or later.
pub const CILIUM_NEEDING_V1_6: Version = Version::new(1, 20, 0);

/// Where a version comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Default,
    Configuration,
    Flag,
    /// Pinned in the tree, at this node.
    Tree(Location),
}

impl Source {
    fn of(setting: &VersionSetting) -> Source {
        if setting.flag {
            Source::Flag
        } else {
            Source::Configuration
        }
    }

    pub fn location(self) -> Option<Location> {
        match self {
            Source::Tree(l) => Some(l),
            _ => None,
        }
    }
}

/// The versions one world runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Versions {
    pub gateway_api: Version,
    pub gateway_api_from: Source,
    /// The channel the configuration limits served versions to; `None`: either channel, since
    /// cilint cannot see which channel's CRDs the cluster holds (experimental CRDs are often
    /// installed one by one over the standard bundle).
    pub channel: Option<Channel>,
    /// The channel the tree's pins install, for the summary; it restricts nothing.
    pub pinned_channel: Option<Channel>,
    /// The Cilium release, when set or pinned.
    pub cilium: Option<(Version, Source)>,
    /// Whether the world holds a Cilium Gateway: only then does Cilium's release say which
    /// Gateway API bundle the cluster must run (a cluster whose Gateways are Envoy's may run
    /// any).
    pub cilium_gateways: bool,
}

impl Default for Versions {
    fn default() -> Self {
        Versions {
            gateway_api: DEFAULT_GATEWAY_API,
            gateway_api_from: Source::Default,
            channel: None,
            pinned_channel: None,
            cilium: None,
            cilium_gateways: false,
        }
    }
}

/// The versions of a world: settings first, then the tree's pins when they agree on one
/// version, then the defaults. Pins that disagree (two bundles in one cluster) decide nothing.
pub fn versions(catalog: &Catalog, settings: &VersionSettings) -> Versions {
    let mut pins: Vec<&Pin> = catalog.pins().iter().collect();
    pins.sort_by_key(|p| (p.location.file, p.location.span.start));
    let bundle: Vec<&Pin> = pins
        .iter()
        .copied()
        .filter(|p| matches!(p.pinned, Pinned::GatewayApi(_)))
        .collect();
    let cilium: Vec<&Pin> = pins
        .iter()
        .copied()
        .filter(|p| p.pinned == Pinned::Cilium)
        .collect();
    let mut v = configured(settings);
    if settings.gateway_api.is_none()
        && let Some(first) = agreed(&bundle, |p| p.version)
    {
        (v.gateway_api, v.gateway_api_from) = (first.version, Source::Tree(first.location));
        let channels: Vec<Pinned> = bundle.iter().map(|p| p.pinned).collect();
        if let Pinned::GatewayApi(c) = first.pinned
            && channels.iter().all(|p| *p == first.pinned)
        {
            v.pinned_channel = c;
        }
    }
    if settings.cilium.is_none() {
        v.cilium = agreed(&cilium, |p| (p.version.major, p.version.minor))
            .map(|p| (p.version, Source::Tree(p.location)));
    }
    v.cilium_gateways = super::lb::cilium_gateways(catalog).next().is_some();
    v
}

/// The versions the flags and the configuration set, the defaults for the rest.
pub fn configured(settings: &VersionSettings) -> Versions {
    let mut v = Versions {
        channel: settings.channel,
        cilium: settings.cilium.as_ref().map(|s| (s.version, Source::of(s))),
        ..Versions::default()
    };
    if let Some(s) = &settings.gateway_api {
        (v.gateway_api, v.gateway_api_from) = (s.version, Source::of(s));
    }
    v
}

/// The first pin, when every pin agrees with it on `key`.
fn agreed<'p, K: PartialEq>(pins: &[&'p Pin], key: impl Fn(&Pin) -> K) -> Option<&'p Pin> {
    let first = *pins.first()?;
    pins.iter().all(|p| key(p) == key(first)).then_some(first)
}

/// Whether a bundle serves an object's apiVersion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Served {
    Yes,
    /// Served but deprecated: use `replacement`.
    Deprecated {
        replacement: &'static str,
    },
    /// The kind is served, not in this version.
    VersionNotServed {
        served: Vec<&'static str>,
    },
    /// No CRD of the kind in the bundle (or in the configured channel of it).
    KindNotServed,
    /// cilint cannot tell: a kind or a bundle the table does not hold.
    Unknown,
}

const GATEWAY_GROUP: &str = crate::model::GATEWAY_GROUP;
const EXPERIMENTAL_GROUP: &str = "gateway.networking.x-k8s.io";

/// The group of a kind of the table: the `X…` kinds are in the experimental API group.
fn group_of_kind(kind: &str) -> &'static str {
    if kind.starts_with('X') {
        EXPERIMENTAL_GROUP
    } else {
        GATEWAY_GROUP
    }
}

/// The channels served versions are read from.
fn channels(restricted: Option<Channel>) -> &'static [Channel] {
    match restricted {
        Some(Channel::Standard) => &[Channel::Standard],
        Some(Channel::Experimental) => &[Channel::Experimental],
        None => &[Channel::Standard, Channel::Experimental],
    }
}

impl Versions {
    /// Whether the bundle serves `group/version` `kind`, in the channels considered. When the
    /// bundle is only cilint's default, what any bundle the cluster may run serves is fine:
    /// every bundle from v1.0, or from v1.6 when the Cilium release needs it.
    pub fn served(&self, group: &str, kind: &str, version: &str) -> Served {
        let known_kind = SERVED
            .iter()
            .any(|(_, _, k, _)| *k == kind && group_of_kind(k) == group);
        if !known_kind || !self.bundle_known() {
            return Served::Unknown;
        }
        let minors = match self.gateway_api_from {
            Source::Default if !self.cilium_needs_v1_6() => 0..=NEWEST_MINOR,
            _ => self.gateway_api.minor..=self.gateway_api.minor,
        };
        let each: Vec<Served> = minors
            .rev()
            .map(|m| served_in(m, self.channel, kind, version))
            .collect();
        let first = |f: fn(&Served) -> bool| each.iter().find(|s| f(s)).cloned();
        first(|s| *s == Served::Yes)
            .or_else(|| first(|s| matches!(s, Served::Deprecated { .. })))
            .or_else(|| first(|s| matches!(s, Served::VersionNotServed { .. })))
            .unwrap_or(Served::KindNotServed)
    }

    /// Whether the Cilium release needs Gateway API v1.6.1 or later: it does, and the cluster
    /// has Cilium Gateways.
    pub fn cilium_needs_v1_6(&self) -> bool {
        self.cilium_gateways
            && self
                .cilium
                .is_some_and(|(v, _)| v.at_least(CILIUM_NEEDING_V1_6))
    }

    /// Whether the table holds the bundle: v1.0 to v1.6.
    fn bundle_known(&self) -> bool {
        self.gateway_api.major == 1 && self.gateway_api.minor <= NEWEST_MINOR
    }

    /// The bundles and channels that serve a kind, for help: `v1.5+ standard`, `v1.0–v1.4
    /// experimental`.
    pub fn serving(kind: &str) -> Vec<String> {
        [Channel::Standard, Channel::Experimental]
            .iter()
            .filter_map(|&c| {
                let minors: Vec<u32> = SERVED
                    .iter()
                    .filter(|(_, ch, k, _)| *ch == c && *k == kind)
                    .map(|(m, _, _, _)| *m)
                    .collect();
                let (first, last) = (*minors.first()?, *minors.last()?);
                let range = if last == NEWEST_MINOR {
                    format!("v1.{first}+")
                } else if first == last {
                    format!("v1.{first}")
                } else {
                    format!("v1.{first}–v1.{last}")
                };
                Some(format!("{range} {}", c.name()))
            })
            .collect()
    }
}

/// Whether bundle v1.`minor` serves `version` of `kind` in the channels considered.
fn served_in(minor: u32, channel: Option<Channel>, kind: &str, version: &str) -> Served {
    let rows: Vec<&str> = SERVED
        .iter()
        .filter(|(m, c, k, _)| *m == minor && *k == kind && channels(channel).contains(c))
        .map(|(_, _, _, v)| *v)
        .collect();
    if rows.is_empty() {
        return Served::KindNotServed;
    }
    // Each version as written: `v1` served, `v1alpha2!` deprecated, `v1alpha2-!` no longer
    // served (and deprecated).
    let entries = || rows.iter().flat_map(|r| r.split(' '));
    let preferred = entries().find(|e| !e.contains(['!', '-'])).unwrap_or("v1");
    let states: Vec<(bool, bool)> = entries()
        .filter(|e| e.trim_end_matches(['!', '-']) == version)
        .map(|e| (!e.contains('-'), e.contains('!')))
        .collect();
    if states.iter().any(|(served, dep)| *served && !dep) {
        Served::Yes
    } else if states.iter().any(|(served, _)| *served) {
        Served::Deprecated {
            replacement: preferred,
        }
    } else {
        let mut served: Vec<&'static str> = Vec::new();
        for e in entries().filter(|e| !e.contains('-')) {
            let name = e.trim_end_matches('!');
            if !served.contains(&name) {
                served.push(name);
            }
        }
        Served::VersionNotServed { served }
    }
}

/// Every `(group, kind)` the table holds.
pub fn kinds() -> Vec<(&'static str, &'static str)> {
    let mut kinds: Vec<_> = SERVED
        .iter()
        .map(|(_, _, k, _)| (group_of_kind(k), *k))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

impl Source {
    /// Where a version comes from, for a help line; `None` for a pin in the tree, which is
    /// shown as a related location instead.
    pub fn setting(self, key: &str) -> Option<String> {
        match self {
            Source::Default => Some("cilint's default".into()),
            Source::Configuration => Some(format!("`{key}` in the configuration")),
            Source::Flag => Some(format!("--{key}")),
            Source::Tree(_) => None,
        }
    }
}

/// The newest bundle minor the table holds.
const NEWEST_MINOR: u32 = 6;

use Channel::{Experimental as E, Standard as S};

/// Served apiVersions of every CRD, per bundle minor (v1.N) and channel, read from
/// kubernetes-sigs/gateway-api `config/crd/{standard,experimental}/*.yaml` at every release tag
/// v1.0.0–v1.6.1 (patch releases of one minor serve the same versions). `!` deprecated, `-`
/// no longer served.
#[rustfmt::skip]
const SERVED: &[(u32, Channel, &str, &str)] = &[
    (0, S, "GatewayClass", "v1 v1beta1"),
    (0, S, "Gateway", "v1 v1beta1"),
    (0, S, "HTTPRoute", "v1 v1beta1"),
    (0, S, "ReferenceGrant", "v1alpha2! v1beta1"),
    (0, E, "BackendTLSPolicy", "v1alpha2"),
    (0, E, "GatewayClass", "v1 v1beta1"),
    (0, E, "Gateway", "v1 v1beta1"),
    (0, E, "GRPCRoute", "v1alpha2"),
    (0, E, "HTTPRoute", "v1 v1beta1"),
    (0, E, "ReferenceGrant", "v1alpha2! v1beta1"),
    (0, E, "TCPRoute", "v1alpha2"),
    (0, E, "TLSRoute", "v1alpha2"),
    (0, E, "UDPRoute", "v1alpha2"),
    (1, S, "GatewayClass", "v1 v1beta1"),
    (1, S, "Gateway", "v1 v1beta1"),
    (1, S, "GRPCRoute", "v1 v1alpha2-!"),
    (1, S, "HTTPRoute", "v1 v1beta1"),
    (1, S, "ReferenceGrant", "v1alpha2-! v1beta1"),
    (1, E, "BackendLBPolicy", "v1alpha2"),
    (1, E, "BackendTLSPolicy", "v1alpha3"),
    (1, E, "GatewayClass", "v1 v1beta1"),
    (1, E, "Gateway", "v1 v1beta1"),
    (1, E, "GRPCRoute", "v1 v1alpha2!"),
    (1, E, "HTTPRoute", "v1 v1beta1"),
    (1, E, "ReferenceGrant", "v1alpha2! v1beta1"),
    (1, E, "TCPRoute", "v1alpha2"),
    (1, E, "TLSRoute", "v1alpha2"),
    (1, E, "UDPRoute", "v1alpha2"),
    (2, S, "GatewayClass", "v1 v1beta1"),
    (2, S, "Gateway", "v1 v1beta1"),
    (2, S, "GRPCRoute", "v1"),
    (2, S, "HTTPRoute", "v1 v1beta1"),
    (2, S, "ReferenceGrant", "v1beta1"),
    (2, E, "BackendLBPolicy", "v1alpha2"),
    (2, E, "BackendTLSPolicy", "v1alpha3"),
    (2, E, "GatewayClass", "v1 v1beta1"),
    (2, E, "Gateway", "v1 v1beta1"),
    (2, E, "GRPCRoute", "v1"),
    (2, E, "HTTPRoute", "v1 v1beta1"),
    (2, E, "ReferenceGrant", "v1beta1"),
    (2, E, "TCPRoute", "v1alpha2"),
    (2, E, "TLSRoute", "v1alpha2"),
    (2, E, "UDPRoute", "v1alpha2"),
    (3, S, "GatewayClass", "v1 v1beta1"),
    (3, S, "Gateway", "v1 v1beta1"),
    (3, S, "GRPCRoute", "v1"),
    (3, S, "HTTPRoute", "v1 v1beta1"),
    (3, S, "ReferenceGrant", "v1beta1"),
    (3, E, "BackendTLSPolicy", "v1alpha3"),
    (3, E, "GatewayClass", "v1 v1beta1"),
    (3, E, "Gateway", "v1 v1beta1"),
    (3, E, "GRPCRoute", "v1"),
    (3, E, "HTTPRoute", "v1 v1beta1"),
    (3, E, "ReferenceGrant", "v1beta1"),
    (3, E, "TCPRoute", "v1alpha2"),
    (3, E, "TLSRoute", "v1alpha2"),
    (3, E, "UDPRoute", "v1alpha2"),
    (3, E, "XBackendTrafficPolicy", "v1alpha1"),
    (3, E, "XListenerSet", "v1alpha1"),
    (4, S, "BackendTLSPolicy", "v1 v1alpha3-!"),
    (4, S, "GatewayClass", "v1 v1beta1"),
    (4, S, "Gateway", "v1 v1beta1"),
    (4, S, "GRPCRoute", "v1"),
    (4, S, "HTTPRoute", "v1 v1beta1"),
    (4, S, "ReferenceGrant", "v1beta1"),
    (4, E, "BackendTLSPolicy", "v1 v1alpha3!"),
    (4, E, "GatewayClass", "v1 v1beta1"),
    (4, E, "Gateway", "v1 v1beta1"),
    (4, E, "GRPCRoute", "v1"),
    (4, E, "HTTPRoute", "v1 v1beta1"),
    (4, E, "ReferenceGrant", "v1beta1"),
    (4, E, "TCPRoute", "v1alpha2"),
    (4, E, "TLSRoute", "v1alpha2 v1alpha3"),
    (4, E, "UDPRoute", "v1alpha2"),
    (4, E, "XBackendTrafficPolicy", "v1alpha1"),
    (4, E, "XListenerSet", "v1alpha1"),
    (4, E, "XMesh", "v1alpha1"),
    (5, S, "BackendTLSPolicy", "v1 v1alpha3-!"),
    (5, S, "GatewayClass", "v1 v1beta1"),
    (5, S, "Gateway", "v1 v1beta1"),
    (5, S, "GRPCRoute", "v1"),
    (5, S, "HTTPRoute", "v1 v1beta1"),
    (5, S, "ListenerSet", "v1"),
    (5, S, "ReferenceGrant", "v1 v1beta1"),
    (5, S, "TLSRoute", "v1 v1alpha2-! v1alpha3-!"),
    (5, E, "BackendTLSPolicy", "v1 v1alpha3!"),
    (5, E, "GatewayClass", "v1 v1beta1"),
    (5, E, "Gateway", "v1 v1beta1"),
    (5, E, "GRPCRoute", "v1"),
    (5, E, "HTTPRoute", "v1 v1beta1"),
    (5, E, "ListenerSet", "v1"),
    (5, E, "ReferenceGrant", "v1 v1beta1"),
    (5, E, "TCPRoute", "v1alpha2"),
    (5, E, "TLSRoute", "v1 v1alpha2! v1alpha3!"),
    (5, E, "UDPRoute", "v1alpha2"),
    (5, E, "XBackendTrafficPolicy", "v1alpha1"),
    (5, E, "XMesh", "v1alpha1"),
    (6, S, "BackendTLSPolicy", "v1 v1alpha3-!"),
    (6, S, "GatewayClass", "v1 v1beta1"),
    (6, S, "Gateway", "v1 v1beta1"),
    (6, S, "GRPCRoute", "v1"),
    (6, S, "HTTPRoute", "v1 v1beta1"),
    (6, S, "ListenerSet", "v1"),
    (6, S, "ReferenceGrant", "v1 v1beta1"),
    (6, S, "TCPRoute", "v1 v1alpha2-!"),
    (6, S, "TLSRoute", "v1 v1alpha2-! v1alpha3-!"),
    (6, S, "UDPRoute", "v1 v1alpha2-!"),
    (6, E, "BackendTLSPolicy", "v1 v1alpha3!"),
    (6, E, "GatewayClass", "v1 v1beta1"),
    (6, E, "Gateway", "v1 v1beta1"),
    (6, E, "GRPCRoute", "v1"),
    (6, E, "HTTPRoute", "v1 v1beta1"),
    (6, E, "ListenerSet", "v1"),
    (6, E, "ReferenceGrant", "v1 v1beta1"),
    (6, E, "TCPRoute", "v1 v1alpha2!"),
    (6, E, "TLSRoute", "v1 v1alpha2! v1alpha3!"),
    (6, E, "UDPRoute", "v1 v1alpha2!"),
    (6, E, "XBackend", "v1alpha1"),
    (6, E, "XBackendTrafficPolicy", "v1alpha1"),
    (6, E, "XMesh", "v1alpha1"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(minor: u32, patch: u32, channel: Option<Channel>) -> Versions {
        Versions {
            gateway_api: Version::new(1, minor, patch),
            gateway_api_from: Source::Configuration,
            channel,
            ..Versions::default()
        }
    }

    #[test]
    fn the_default_bundle_refuses_only_what_no_bundle_serves() {
        let default = Versions::default();
        // Deprecated in v1.6, served as the only version before: not judged.
        assert_eq!(
            default.served(GATEWAY_GROUP, "TCPRoute", "v1alpha2"),
            Served::Yes
        );
        assert_eq!(
            default.served(GATEWAY_GROUP, "ReferenceGrant", "v1"),
            Served::Yes
        );
        // Served by no bundle at all, or only deprecated.
        assert!(matches!(
            default.served(GATEWAY_GROUP, "HTTPRoute", "v1alpha2"),
            Served::VersionNotServed { .. }
        ));
        assert_eq!(
            default.served(GATEWAY_GROUP, "ReferenceGrant", "v1alpha2"),
            Served::Deprecated {
                replacement: "v1beta1"
            }
        );
        // Cilium 1.20 needs v1.6.1: the default bundle is then the only one possible, when the
        // cluster's Gateways are Cilium's.
        let cilium_1_20 = Versions {
            cilium: Some((Version::new(1, 20, 0), Source::Configuration)),
            cilium_gateways: true,
            ..Versions::default()
        };
        assert_eq!(
            cilium_1_20.served(GATEWAY_GROUP, "TCPRoute", "v1alpha2"),
            Served::Deprecated { replacement: "v1" }
        );
        let envoy_gateways = Versions {
            cilium_gateways: false,
            ..cilium_1_20
        };
        assert_eq!(
            envoy_gateways.served(GATEWAY_GROUP, "TCPRoute", "v1alpha2"),
            Served::Yes
        );
    }

    #[test]
    fn served_versions_follow_each_bundle_and_channel() {
        let v1_4 = bundle(4, 1, None);
        assert_eq!(v1_4.served(GATEWAY_GROUP, "HTTPRoute", "v1"), Served::Yes);
        assert_eq!(
            v1_4.served(GATEWAY_GROUP, "HTTPRoute", "v1beta1"),
            Served::Yes
        );
        // TCPRoute v1alpha2 is fine when either channel may be installed, ...
        assert_eq!(
            v1_4.served(GATEWAY_GROUP, "TCPRoute", "v1alpha2"),
            Served::Yes
        );
        // ... and not in the standard channel, which has no TCPRoute before v1.6.
        let std = bundle(4, 1, Some(Channel::Standard));
        assert_eq!(
            std.served(GATEWAY_GROUP, "TCPRoute", "v1alpha2"),
            Served::KindNotServed
        );
        // ReferenceGrant v1 arrives in v1.5; v1alpha2 stops being served in v1.1.
        assert_eq!(
            v1_4.served(GATEWAY_GROUP, "ReferenceGrant", "v1"),
            Served::VersionNotServed {
                served: vec!["v1beta1"]
            }
        );
        assert_eq!(
            bundle(5, 1, None).served(GATEWAY_GROUP, "ReferenceGrant", "v1"),
            Served::Yes
        );
        assert_eq!(
            bundle(0, 0, None).served(GATEWAY_GROUP, "ReferenceGrant", "v1alpha2"),
            Served::Deprecated {
                replacement: "v1beta1"
            }
        );
        // TLSRoute v1alpha2 in v1.6: unserved in standard, deprecated in experimental.
        let v1_6 = bundle(6, 1, None);
        assert_eq!(
            v1_6.served(GATEWAY_GROUP, "TLSRoute", "v1alpha2"),
            Served::Deprecated { replacement: "v1" }
        );
        assert!(matches!(
            bundle(6, 1, Some(Channel::Standard)).served(GATEWAY_GROUP, "TLSRoute", "v1alpha2"),
            Served::VersionNotServed { .. }
        ));
        // XListenerSet left the experimental channel in v1.5, for ListenerSet v1.
        assert_eq!(
            v1_6.served(EXPERIMENTAL_GROUP, "XListenerSet", "v1alpha1"),
            Served::KindNotServed
        );
        assert_eq!(v1_6.served(GATEWAY_GROUP, "ListenerSet", "v1"), Served::Yes);
        assert_eq!(
            v1_4.served(GATEWAY_GROUP, "ListenerSet", "v1"),
            Served::KindNotServed
        );
        // Kinds and bundles the table does not hold are not judged.
        assert_eq!(
            v1_6.served(GATEWAY_GROUP, "MeshRoute", "v1"),
            Served::Unknown
        );
        assert_eq!(
            bundle(7, 0, None).served(GATEWAY_GROUP, "HTTPRoute", "v2"),
            Served::Unknown
        );
    }

    #[test]
    fn serving_names_the_bundles_of_a_kind() {
        assert_eq!(
            Versions::serving("TCPRoute"),
            ["v1.6+ standard", "v1.0+ experimental"]
        );
        assert_eq!(
            Versions::serving("XListenerSet"),
            ["v1.3–v1.4 experimental"]
        );
    }
}
