//! gateway-api-version-unserved: a Gateway API object written in an apiVersion (or of a kind)
//! that the cluster's CRD bundle does not serve, which the API server refuses; or in a
//! deprecated apiVersion, which a later bundle stops serving.

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::versions::{Served, Source, Versions, kinds};
use crate::diagnostic::{Finding, Severity};
use crate::model::{Object, Origin};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "gateway-api-version-unserved",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "a Gateway API object's apiVersion or kind is not served (or is deprecated) in the cluster's CRD bundle",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let versions = &catalog.versions;
    for (_, mut f) in judged(catalog) {
        if let Some(pin) = versions.gateway_api_from.location() {
            f = f.related(Some(pin), format!("{} is pinned here", bundle(versions)));
        }
        out.push(f);
    }
}

/// Every Gateway API object applied as written whose apiVersion the bundle does not serve
/// plainly, with its finding.
fn judged<'c>(catalog: &'c Facts<'_>) -> Vec<(&'c Object, Finding)> {
    let versions = &catalog.versions;
    let mut out = Vec::new();
    for (group, kind) in kinds() {
        for &id in catalog.of_kind(group, kind) {
            let o = catalog.object(id);
            // Only what is applied as written: not generated, declared or patched beyond reading.
            if o.origin != Origin::Manifest || o.unverifiable {
                continue;
            }
            let Some(at) = o.name_location() else {
                continue;
            };
            let version = o.api_version.rsplit_once('/').map_or("", |(_, v)| v);
            let served = versions.served(group, kind, version);
            if let Some(f) = finding(o, at, versions, &served) {
                out.push((o, f));
            }
        }
    }
    out
}

/// Where the objects the API server refuses are written: this rule's error is the one finding
/// about them, since the object never exists for a controller to judge.
pub fn refused(catalog: &Facts<'_>) -> Vec<Location> {
    judged(catalog)
        .into_iter()
        .filter(|(_, f)| f.severity == Severity::Error)
        .filter_map(|(o, _)| o.location)
        .collect()
}

/// The finding for one object, at its name (the model keeps no span of `apiVersion`).
fn finding(o: &Object, at: Location, versions: &Versions, served: &Served) -> Option<Finding> {
    let which = bundle(versions);
    let lenient = any_bundle(versions);
    let (severity, message, label, help) = match served {
        Served::Yes | Served::Unknown => return None,
        Served::Deprecated { replacement } => (
            Severity::Warning,
            if lenient {
                format!(
                    "{} {} is written in {}, deprecated in every Gateway API release that serves it",
                    o.kind,
                    o.qualified_name(),
                    o.api_version
                )
            } else {
                format!(
                    "{} {} is written in {}, which {which} deprecates",
                    o.kind,
                    o.qualified_name(),
                    o.api_version
                )
            },
            "deprecated apiVersion".to_string(),
            format!(
                "write `apiVersion: {}/{replacement}`: later bundles stop serving the deprecated {}{}",
                o.group(),
                o.api_version,
                origin(versions)
            ),
        ),
        Served::VersionNotServed { served } => (
            Severity::Error,
            format!(
                "{} {} is written in {}, which {}: the API server refuses it",
                o.kind,
                o.qualified_name(),
                o.api_version,
                if lenient {
                    format!("no {which} serves")
                } else {
                    format!("{which} does not serve")
                }
            ),
            "apiVersion not served".to_string(),
            format!(
                "write `apiVersion: {}/{}` (served: {}){}",
                o.group(),
                served.first().copied().unwrap_or("v1"),
                served.join(", "),
                origin(versions)
            ),
        ),
        Served::KindNotServed => (
            Severity::Error,
            format!(
                "{} {}: {} {} CRD, so the API server refuses it (no matches for kind)",
                o.kind,
                o.qualified_name(),
                if lenient {
                    format!("no {which} has a")
                } else {
                    format!("{which} has no")
                },
                o.kind
            ),
            "kind not served".to_string(),
            format!(
                "{} is served by Gateway API {}: install such a bundle, or set the cluster's with \
                 `gateway-api-version` and `gateway-api-channel`{}",
                o.kind,
                Versions::serving(&o.kind).join(", "),
                origin(versions)
            ),
        ),
    };
    let mut f = Finding::new(&META, at, message)
        .object(o)
        .field("apiVersion")
        .label(label)
        .help(help);
    f.severity = severity;
    Some(f)
}

/// Whether no bundle is known, so that every bundle from v1.0 was checked.
fn any_bundle(v: &Versions) -> bool {
    v.gateway_api_from == Source::Default && !v.cilium_needs_v1_6()
}

/// `Gateway API v1.4.1` and the channel checks are limited to, if any; `Gateway API release`
/// when no bundle is known.
fn bundle(v: &Versions) -> String {
    let name = if any_bundle(v) {
        "Gateway API release".to_string()
    } else {
        format!("Gateway API v{}", v.gateway_api)
    };
    match v.channel {
        Some(c) => format!("{name} ({} channel)", c.name()),
        None => name,
    }
}

/// Where the bundle version comes from when it is not pinned in the tree (which is shown as a
/// related location).
fn origin(v: &Versions) -> String {
    match v.gateway_api_from {
        Source::Tree(_) => String::new(),
        Source::Default if v.cilium_needs_v1_6() => {
            "; the cluster's Cilium needs Gateway API v1.6.1 or later".into()
        }
        Source::Default => String::new(),
        s => format!(
            "; the bundle is set by {}",
            s.setting("gateway-api-version").unwrap_or_default()
        ),
    }
}
