//! Versions a repository pins itself: Cilium's Helm chart version and the Gateway API CRD
//! bundle (version and channel), read from one document at a time. Which pin wins for a
//! cluster is decided over the whole Catalog (`analysis::versions`).

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

use crate::source::yaml::Node;
use crate::source::{FileId, Location};

/// A release version: `major.minor`, and the patch when the pin names one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: Option<u32>,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Version {
        Version {
            major,
            minor,
            patch: Some(patch),
        }
    }

    /// An exact version or one minor line: `1.19.3`, `v1.4.1`, `1.19`, `1.19.x`, `1.19.*`,
    /// `~1.19.0` (the 1.19 line), `1.20.0-pre.3`. Ranges that span minors (`>=1.18`, `^1.19`,
    /// `*`) name no one version: `None`.
    pub fn parse(s: &str) -> Option<Version> {
        static RE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^(~|=)?v?(\d+)\.(\d+)(?:\.(\d+|x|X|\*))?(?:[-+][0-9A-Za-z.+-]*)?$")
                .expect("a valid pattern")
        });
        let c = RE.captures(s.trim())?;
        let tilde = c.get(1).is_some_and(|m| m.as_str() == "~");
        let patch = c.get(4).and_then(|p| p.as_str().parse().ok());
        Some(Version {
            major: c[2].parse().ok()?,
            minor: c[3].parse().ok()?,
            patch: if tilde { None } else { patch },
        })
    }

    /// Whether this version is at least `other`, comparing the patch only when both name one
    /// (a minor line `1.6` is taken as its first release).
    pub fn at_least(&self, other: Version) -> bool {
        (self.major, self.minor, self.patch.unwrap_or(0))
            >= (other.major, other.minor, other.patch.unwrap_or(0))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.patch {
            Some(p) => write!(f, "{}.{}.{p}", self.major, self.minor),
            None => write!(f, "{}.{}", self.major, self.minor),
        }
    }
}

/// A Gateway API release channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    Standard,
    Experimental,
}

impl Channel {
    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "standard" => Some(Channel::Standard),
            "experimental" => Some(Channel::Experimental),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Channel::Standard => "standard",
            Channel::Experimental => "experimental",
        }
    }
}

/// What a pin pins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pinned {
    /// The `cilium` Helm chart.
    Cilium,
    /// The Gateway API CRD bundle, and its channel when the pin says it.
    GatewayApi(Option<Channel>),
}

/// A version written in the tree, at the node that writes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Pin {
    pub pinned: Pinned,
    pub version: Version,
    pub location: Location,
}

const CRD_BUNDLE_VERSION: &str = "gateway.networking.k8s.io/bundle-version";
const CRD_CHANNEL: &str = "gateway.networking.k8s.io/channel";

/// The sources of an Argo CD `Application` (`source` and `sources`), or of an
/// `ApplicationSet`'s template.
pub(super) fn argo_sources<'a>(spec: Option<Node<'a>>, kind: &str) -> Vec<Node<'a>> {
    let spec = if kind == "Application" {
        spec
    } else {
        spec.and_then(|s| s.at(&["template", "spec"]))
    };
    spec.and_then(|s| s.get("source"))
        .into_iter()
        .chain(
            spec.and_then(|s| s.get("sources"))
                .map(Node::as_seq)
                .into_iter()
                .flatten(),
        )
        .collect()
}

/// The pins one document writes:
/// - a Flux `HelmRelease` of chart `cilium`: `spec.chart.spec.version`;
/// - a Flux `OCIRepository` of the cilium chart (its `url` ends in `/cilium`): `spec.ref.tag`;
/// - an Argo CD `Application` (or an `ApplicationSet`'s template) source with `chart: cilium`:
///   its `targetRevision`; a source from the gateway-api repository: its `targetRevision`, and
///   the channel its `path` names;
/// - a kustomization: `helmCharts[]` `name: cilium` `version`, and remote `resources` of a
///   gateway-api release (`…/releases/download/v1.4.1/standard-install.yaml`,
///   `github.com/kubernetes-sigs/gateway-api/config/crd/experimental?ref=v1.4.1`);
/// - a Gateway API `CustomResourceDefinition`: its bundle-version and channel annotations.
pub fn pins(doc: Node<'_>, file: FileId, api_version: &str, kind: &str) -> Vec<Pin> {
    let group = super::group_of(api_version);
    let mut out = Vec::new();
    let mut push = |pinned: Pinned, node: Node<'_>, version: Option<Version>| {
        if let Some(version) = version {
            out.push(Pin {
                pinned,
                version,
                location: Location {
                    file,
                    span: node.span(),
                },
            });
        }
    };
    let spec = doc.get("spec");
    match (group, kind) {
        ("helm.toolkit.fluxcd.io", "HelmRelease") => {
            let chart = spec.and_then(|s| s.at(&["chart", "spec"]));
            if chart.and_then(|c| c.get("chart")).and_then(Node::as_str) == Some("cilium")
                && let Some(v) = chart.and_then(|c| c.get("version"))
            {
                push(Pinned::Cilium, v, v.as_str().and_then(Version::parse));
            }
        }
        ("source.toolkit.fluxcd.io", "OCIRepository") => {
            let url = spec.and_then(|s| s.get("url")).and_then(Node::as_str);
            if url.is_some_and(|u| u.trim_end_matches('/').rsplit('/').next() == Some("cilium"))
                && let Some(tag) = spec.and_then(|s| s.at(&["ref", "tag"]))
            {
                push(Pinned::Cilium, tag, tag.as_str().and_then(Version::parse));
            }
        }
        ("argoproj.io", "Application" | "ApplicationSet") => {
            for source in argo_sources(spec, kind) {
                let Some(revision) = source.get("targetRevision") else {
                    continue;
                };
                let version = revision.as_str().and_then(Version::parse);
                let repo = source.get("repoURL").and_then(Node::as_str).unwrap_or("");
                if source.get("chart").and_then(Node::as_str) == Some("cilium") {
                    push(Pinned::Cilium, revision, version);
                } else if repo.contains("kubernetes-sigs/gateway-api") {
                    let path = source.get("path").and_then(Node::as_str).unwrap_or("");
                    if path.trim_matches('/').starts_with("config/crd") {
                        push(Pinned::GatewayApi(channel_of(path)), revision, version);
                    }
                }
            }
        }
        ("kustomize.config.k8s.io", "Kustomization") => {
            for chart in doc
                .get("helmCharts")
                .map(Node::as_seq)
                .into_iter()
                .flatten()
            {
                if chart.get("name").and_then(Node::as_str) == Some("cilium")
                    && let Some(v) = chart.get("version")
                {
                    push(Pinned::Cilium, v, v.as_str().and_then(Version::parse));
                }
            }
            for key in ["resources", "bases"] {
                for r in doc.get(key).map(Node::as_seq).into_iter().flatten() {
                    if let Some((version, channel)) = r.as_str().and_then(gateway_api_url) {
                        push(Pinned::GatewayApi(channel), r, Some(version));
                    }
                }
            }
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            let annotations = doc.at(&["metadata", "annotations"]);
            let bundle = annotations.and_then(|a| a.get(CRD_BUNDLE_VERSION));
            let channel = annotations
                .and_then(|a| a.get(CRD_CHANNEL))
                .and_then(Node::as_str)
                .and_then(Channel::parse);
            if let Some(b) = bundle {
                push(
                    Pinned::GatewayApi(channel),
                    b,
                    b.as_str().and_then(Version::parse),
                );
            }
        }
        _ => {}
    }
    out
}

/// The release and channel a gateway-api URL installs: a release asset
/// (`releases/download/v1.4.1/standard-install.yaml`), a raw CRD file
/// (`raw.githubusercontent.com/kubernetes-sigs/gateway-api/v1.0.0/config/crd/standard/…`) or a
/// kustomize remote target (`…/gateway-api/config/crd/experimental?ref=v1.4.1`). `config/crd`
/// alone is the standard channel (its kustomization lists `standard/` files).
pub fn gateway_api_url(url: &str) -> Option<(Version, Option<Channel>)> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:/download/|/gateway-api/|[?&]ref=)(v\d+\.\d+\.\d+)(?:[/&]|$)")
            .expect("a valid pattern")
    });
    if !url.contains("kubernetes-sigs/gateway-api") {
        return None;
    }
    let version = Version::parse(&RE.captures(url)?[1])?;
    let path = url.split('?').next().unwrap_or(url);
    let channel = if path.ends_with("standard-install.yaml") {
        Some(Channel::Standard)
    } else if path.ends_with("experimental-install.yaml") {
        Some(Channel::Experimental)
    } else if path.contains("config/crd") {
        channel_of(&path[path.find("config/crd")?..])
    } else {
        return None;
    };
    Some((version, channel))
}

/// The channel a `config/crd…` path installs.
fn channel_of(path: &str) -> Option<Channel> {
    let rest = path.trim_matches('/').trim_start_matches("config/crd");
    if rest.contains("experimental") {
        Some(Channel::Experimental)
    } else {
        Some(Channel::Standard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{LineIndex, yaml};

    fn pins_of(text: &str) -> Vec<(Pinned, String)> {
        let loaded = yaml::load(text, &LineIndex::new(text));
        let doc = loaded.documents[0].root();
        let api = doc.get("apiVersion").and_then(Node::as_str).unwrap_or("");
        let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
        pins(doc, FileId(0), api, kind)
            .into_iter()
            .map(|p| (p.pinned, p.version.to_string()))
            .collect()
    }

    #[test]
    fn versions_name_one_release_or_one_minor_line() {
        assert_eq!(Version::parse("1.19.3"), Some(Version::new(1, 19, 3)));
        assert_eq!(Version::parse("v1.4.1"), Some(Version::new(1, 4, 1)));
        assert_eq!(Version::parse("1.20.0-pre.3"), Some(Version::new(1, 20, 0)));
        assert_eq!(
            Version::parse("1.19.x").map(|v| v.to_string()),
            Some("1.19".into())
        );
        assert_eq!(
            Version::parse("~1.19.0").map(|v| v.to_string()),
            Some("1.19".into())
        );
        for range in [
            ">=1.18.0 <1.20.0",
            "^1.19.0",
            "*",
            "latest",
            "${CILIUM_VERSION}",
            "",
        ] {
            assert_eq!(Version::parse(range), None, "{range}");
        }
        assert!(Version::new(1, 6, 1).at_least(Version::new(1, 6, 1)));
        assert!(!Version::new(1, 6, 0).at_least(Version::new(1, 6, 1)));
        assert!(
            Version::parse("1.20")
                .unwrap()
                .at_least(Version::new(1, 20, 0))
        );
    }

    #[test]
    fn gateway_api_urls_hold_the_release_and_the_channel() {
        let std = "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.4.1/standard-install.yaml";
        assert_eq!(
            gateway_api_url(std),
            Some((Version::new(1, 4, 1), Some(Channel::Standard)))
        );
        let exp = "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/experimental-install.yaml";
        assert_eq!(
            gateway_api_url(exp),
            Some((Version::new(1, 6, 1), Some(Channel::Experimental)))
        );
        let remote = "github.com/kubernetes-sigs/gateway-api/config/crd/experimental?ref=v1.2.0";
        assert_eq!(
            gateway_api_url(remote),
            Some((Version::new(1, 2, 0), Some(Channel::Experimental)))
        );
        let raw = "https://raw.githubusercontent.com/kubernetes-sigs/gateway-api/v1.0.0/config/crd/standard/gateway.networking.k8s.io_gateways.yaml";
        assert_eq!(
            gateway_api_url(raw),
            Some((Version::new(1, 0, 0), Some(Channel::Standard)))
        );
        // A branch names no release; other projects' URLs are not the bundle.
        assert_eq!(
            gateway_api_url("github.com/kubernetes-sigs/gateway-api/config/crd?ref=main"),
            None
        );
        assert_eq!(
            gateway_api_url(
                "https://github.com/cert-manager/cert-manager/releases/download/v1.16.0/cert-manager.yaml"
            ),
            None
        );
    }

    #[test]
    fn pins_are_read_from_each_tool_s_own_field() {
        let flux = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: cilium}\nspec:\n  chart:\n    spec:\n      chart: cilium\n      version: 1.19.3\n";
        assert_eq!(pins_of(flux), [(Pinned::Cilium, "1.19.3".into())]);
        let argo = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: cilium}\nspec:\n  source:\n    repoURL: https://helm.cilium.io\n    chart: cilium\n    targetRevision: 1.20.1\n";
        assert_eq!(pins_of(argo), [(Pinned::Cilium, "1.20.1".into())]);
        let oci = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: cilium}\nspec:\n  url: oci://quay.io/cilium/charts/cilium\n  ref: {tag: 1.20.1}\n";
        assert_eq!(pins_of(oci), [(Pinned::Cilium, "1.20.1".into())]);
        let app_template = oci.replace(
            "quay.io/cilium/charts/cilium",
            "ghcr.io/bjw-s-labs/helm/app-template",
        );
        assert!(pins_of(&app_template).is_empty());
        let kust = "helmCharts:\n- name: cilium\n  repo: https://helm.cilium.io\n  version: 1.18.6\nresources:\n- https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.3.0/experimental-install.yaml\n";
        let loaded = yaml::load(kust, &LineIndex::new(kust));
        let got: Vec<_> = pins(
            loaded.documents[0].root(),
            FileId(0),
            "kustomize.config.k8s.io/v1beta1",
            "Kustomization",
        )
        .into_iter()
        .map(|p| (p.pinned, p.version.to_string()))
        .collect();
        assert_eq!(
            got,
            [
                (Pinned::Cilium, "1.18.6".into()),
                (
                    Pinned::GatewayApi(Some(Channel::Experimental)),
                    "1.3.0".into()
                )
            ]
        );
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  annotations:\n    gateway.networking.k8s.io/bundle-version: v1.4.1\n    gateway.networking.k8s.io/channel: standard\n  name: gateways.gateway.networking.k8s.io\n";
        assert_eq!(
            pins_of(crd),
            [(Pinned::GatewayApi(Some(Channel::Standard)), "1.4.1".into())]
        );
        // Another chart's version pins nothing.
        let other = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: x}\nspec:\n  chart:\n    spec:\n      chart: cert-manager\n      version: 1.16.0\n";
        assert!(pins_of(other).is_empty());
    }
}
