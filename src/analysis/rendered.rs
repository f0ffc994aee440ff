//! What cilint rendered from Helm values, release by release, for `cilint render`: each
//! rendered object on one line with the values it came from, then what the chart would refuse
//! and what could not be rendered exactly.

use std::collections::BTreeMap;

use crate::catalog::Catalog;
use crate::model::route::{BackendRef, ParentRef};
use crate::model::service::TargetPort;
use crate::model::{Object, ObjectId, Origin, Spec};
use crate::source::Location;

/// One release and what it rendered.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderedRelease {
    /// The HelmRelease's name.
    pub location: Location,
    /// `HelmRelease media/sonarr (app-template 4.6.2)`.
    pub release: String,
    /// Each object, error and note, at the values it comes from.
    pub lines: Vec<(Location, String)>,
    /// The cluster it was rendered in, when the repository holds several.
    pub cluster: Option<String>,
}

/// Every rendered release of a Catalog, in load order.
pub fn rendered_releases(catalog: &Catalog) -> Vec<RenderedRelease> {
    let mut objects: BTreeMap<ObjectId, Vec<&Object>> = BTreeMap::new();
    for (_, o) in catalog.objects() {
        if let Origin::Rendered { by } = o.origin {
            objects.entry(by).or_default().push(o);
        }
    }
    catalog
        .rendered_releases()
        .iter()
        .filter_map(|render| {
            let release = catalog.object(render.release);
            let location = release.name_location()?;
            let at = |span| Location {
                file: location.file,
                span,
            };
            let mut lines: Vec<(Location, String)> = objects
                .get(&render.release)
                .into_iter()
                .flatten()
                .filter_map(|o| Some((o.location?, describe(o))))
                .collect();
            lines.extend(
                render
                    .errors
                    .iter()
                    .map(|e| (at(e.span), format!("fails to render: {}", e.message))),
            );
            lines.extend(
                render
                    .notes
                    .iter()
                    .map(|n| (at(n.span), format!("unverified: {}", n.message))),
            );
            Some(RenderedRelease {
                location,
                release: format!(
                    "HelmRelease {} (app-template {})",
                    release.qualified_name(),
                    render.version
                ),
                lines,
                cluster: None,
            })
        })
        .collect()
}

/// `Service media/sonarr ClusterIP ports http:8989>8989/TCP selector …` or
/// `HTTPRoute media/sonarr parents Gateway network/internal#https hosts … backends …`.
fn describe(o: &Object) -> String {
    let mut out = format!("{} {}", o.kind, o.qualified_name());
    match &o.spec {
        Spec::Service(s) => {
            let ports: Vec<String> = s
                .ports
                .iter()
                .map(|p| {
                    let target = match p.effective_target() {
                        TargetPort::Number(n) => n.to_string(),
                        TargetPort::Name(name) => name,
                    };
                    format!(
                        "{}:{}>{target}/{}",
                        p.name.as_deref().unwrap_or_default(),
                        p.port,
                        p.protocol
                    )
                })
                .collect();
            out.push_str(&format!(" {} ports {}", s.service_type, ports.join(",")));
            if let Some(selector) = &s.selector {
                let pairs: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
                out.push_str(&format!(" selector {}", pairs.join(",")));
            }
            let labels: Vec<String> = o
                .labels
                .iter()
                .map(|l| format!("{}={}", l.key, l.value))
                .collect();
            out.push_str(&format!(" labels {}", labels.join(",")));
            if !s.requested_ips.is_empty() {
                let ips: Vec<String> = s.requested_ips.iter().map(|ip| ip.to_string()).collect();
                out.push_str(&format!(" ips {}", ips.join(",")));
            }
        }
        Spec::Route(r) => {
            let parents: Vec<String> = r.parent_refs.iter().map(parent).collect();
            out.push_str(&format!(" parents [{}]", parents.join(", ")));
            if !r.hostnames.is_empty() {
                let hosts: Vec<&str> = r.hostnames.iter().map(|h| h.as_str()).collect();
                out.push_str(&format!(" hosts [{}]", hosts.join(", ")));
            }
            let backends: Vec<String> = r.backend_refs.iter().map(backend).collect();
            out.push_str(&format!(" backends [{}]", backends.join(", ")));
        }
        _ => {}
    }
    out
}

fn parent(p: &ParentRef) -> String {
    let ns = p.namespace.as_ref().map_or("", |n| n.as_str());
    let mut out = format!("{} {ns}/{}", p.kind, p.name.as_str());
    if let Some(section) = &p.section_name {
        out.push_str(&format!("#{}", section.as_str()));
    }
    if let Some(port) = &p.port {
        out.push_str(&format!(":{}", port.value));
    }
    out
}

fn backend(b: &BackendRef) -> String {
    let ns = b.namespace.as_ref().map_or("", |n| n.as_str());
    let mut out = format!("rules[{}] {} {ns}/{}", b.rule, b.kind, b.name.as_str());
    if let Some(port) = &b.port {
        out.push_str(&format!(":{}", port.value));
    }
    out
}
