//! Which `cilium.io` kinds and versions a Cilium release serves, for the kinds whose versions
//! moved (semantics.md §4.1, §9): the BGP control plane kinds (v2alpha1 from 1.16, v2 from 1.18
//! with v2alpha1 deprecated, cilium/cilium#37765 and #38239), the v1 `CiliumBGPPeeringPolicy`
//! (deprecated in 1.18, #38397; removed in 1.19, #42278 and the 1.19 upgrade notes), LB-IPAM
//! pools (v2 from 1.18, v2alpha1 deprecated, #39134) and `CiliumNodeConfig` v2alpha1 (removed in
//! 1.20). `CiliumL2AnnouncementPolicy` exists only as v2alpha1: always served.

use super::versions::{Source, Versions};
use crate::model::versions::Version;

/// The current stable Cilium release (1.20.2, 2026-09-16; semantics.md §9): what the Cilium
/// rules that depend on the release assume when nothing sets or pins one. The Gateway API
/// rules read `Versions::cilium` as it is.
pub const CURRENT_CILIUM: Version = Version::new(1, 20, 2);

/// The Cilium release the API rules judge against, and where it comes from (`None`: assumed).
pub fn cilium(versions: &Versions) -> (Version, Option<Source>) {
    match versions.cilium {
        Some((v, source)) => (v, Some(source)),
        None => (CURRENT_CILIUM, None),
    }
}

/// How a release treats an object's `apiVersion`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Served,
    /// Served, deprecated since `since`: write `replacement` (a version of the same group).
    Deprecated {
        since: Version,
        replacement: &'static str,
    },
    /// Not served any more since `since`; `replacement` is the version (or the kinds) to use.
    Removed {
        since: Version,
        replacement: &'static str,
    },
    /// Not served yet: it arrives in `since`; `replacement` is what this release serves, if any.
    NotYet {
        since: Version,
        replacement: Option<&'static str>,
    },
}

/// The BGP v2 kinds: served as v2alpha1 from 1.16, as v2 from 1.18.
pub const BGP_V2_KINDS: &[&str] = &[
    "CiliumBGPClusterConfig",
    "CiliumBGPPeerConfig",
    "CiliumBGPAdvertisement",
    "CiliumBGPNodeConfig",
    "CiliumBGPNodeConfigOverride",
];

/// The kinds [`verdict`] judges.
pub fn judged_kinds() -> impl Iterator<Item = &'static str> {
    BGP_V2_KINDS.iter().copied().chain([
        "CiliumBGPPeeringPolicy",
        "CiliumLoadBalancerIPPool",
        "CiliumNodeConfig",
    ])
}

const fn v(minor: u32) -> Version {
    Version::new(1, minor, 0)
}

/// How `cilium` treats `cilium.io/<version>` `kind`; `None` for what the table does not know.
pub fn verdict(kind: &str, version: &str, cilium: Version) -> Option<Verdict> {
    let at_least = |minor| cilium.at_least(v(minor));
    let verdict = match (kind, version) {
        (k, "v2alpha1") if BGP_V2_KINDS.contains(&k) => {
            if !at_least(16) {
                Verdict::NotYet {
                    since: v(16),
                    replacement: None,
                }
            } else if at_least(18) {
                Verdict::Deprecated {
                    since: v(18),
                    replacement: "v2",
                }
            } else {
                Verdict::Served
            }
        }
        (k, "v2") if BGP_V2_KINDS.contains(&k) => {
            if at_least(18) {
                Verdict::Served
            } else {
                Verdict::NotYet {
                    since: v(18),
                    replacement: at_least(16).then_some("v2alpha1"),
                }
            }
        }
        ("CiliumBGPPeeringPolicy", "v2alpha1") => {
            if at_least(19) {
                Verdict::Removed {
                    since: v(19),
                    replacement: "CiliumBGPClusterConfig, CiliumBGPPeerConfig and CiliumBGPAdvertisement",
                }
            } else if at_least(18) {
                Verdict::Deprecated {
                    since: v(18),
                    replacement: "CiliumBGPClusterConfig, CiliumBGPPeerConfig and CiliumBGPAdvertisement",
                }
            } else {
                Verdict::Served
            }
        }
        ("CiliumLoadBalancerIPPool", "v2alpha1") => {
            // Third-party reports say 1.20 stops serving it; the upgrade notes cilint could read
            // do not confirm it, so it stays a deprecation.
            if at_least(19) {
                Verdict::Deprecated {
                    since: v(19),
                    replacement: "v2",
                }
            } else {
                Verdict::Served
            }
        }
        ("CiliumLoadBalancerIPPool", "v2") => {
            if at_least(18) {
                Verdict::Served
            } else {
                Verdict::NotYet {
                    since: v(18),
                    replacement: Some("v2alpha1"),
                }
            }
        }
        ("CiliumNodeConfig", "v2alpha1") => {
            if at_least(20) {
                Verdict::Removed {
                    since: v(20),
                    replacement: "v2",
                }
            } else {
                Verdict::Served
            }
        }
        _ => return None,
    };
    Some(verdict)
}

/// Whether the release serves the v1 `CiliumBGPPeeringPolicy` (assumed: the current release).
pub fn serves_peering_policy(versions: &Versions) -> bool {
    !cilium(versions).0.at_least(v(19))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_follows_the_release_notes() {
        let at = |minor| Version::new(1, minor, 0);
        assert_eq!(
            verdict("CiliumBGPPeeringPolicy", "v2alpha1", at(17)),
            Some(Verdict::Served)
        );
        assert!(matches!(
            verdict("CiliumBGPPeeringPolicy", "v2alpha1", at(18)),
            Some(Verdict::Deprecated { .. })
        ));
        assert!(matches!(
            verdict("CiliumBGPPeeringPolicy", "v2alpha1", at(19)),
            Some(Verdict::Removed { .. })
        ));
        assert_eq!(
            verdict("CiliumBGPClusterConfig", "v2alpha1", at(17)),
            Some(Verdict::Served)
        );
        assert!(matches!(
            verdict("CiliumBGPAdvertisement", "v2alpha1", at(18)),
            Some(Verdict::Deprecated { .. })
        ));
        assert!(matches!(
            verdict("CiliumBGPPeerConfig", "v2", at(17)),
            Some(Verdict::NotYet {
                replacement: Some("v2alpha1"),
                ..
            })
        ));
        assert!(matches!(
            verdict("CiliumLoadBalancerIPPool", "v2alpha1", at(20)),
            Some(Verdict::Deprecated { .. })
        ));
        assert_eq!(
            verdict("CiliumLoadBalancerIPPool", "v2alpha1", at(18)),
            Some(Verdict::Served)
        );
        assert!(matches!(
            verdict("CiliumNodeConfig", "v2alpha1", at(20)),
            Some(Verdict::Removed { .. })
        ));
        assert_eq!(
            verdict("CiliumL2AnnouncementPolicy", "v2alpha1", at(20)),
            None
        );
    }

    #[test]
    fn the_peering_policy_is_served_before_1_19_and_assumed_gone() {
        assert!(!serves_peering_policy(&Versions::default()));
        let pinned = Versions {
            cilium: Some((Version::new(1, 18, 6), Source::Default)),
            ..Versions::default()
        };
        assert!(serves_peering_policy(&pinned));
    }
}
