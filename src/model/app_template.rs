//! The Services and Gateway API routes that the bjw-s `app-template` Helm chart renders from a
//! Flux `HelmRelease`'s `spec.values`, computed offline without Helm.
//!
//! Renders `service.<id>` (name, namespace, type, ports, selector) and `route.<id>` (kind, name,
//! namespace, parentRefs with the chart's defaults, hostnames, backendRefs by `identifier`, by
//! literal `name`, and the automatic backend of a release with exactly one Service), each field
//! with the span of the values node that produced it (a default carries the span of the entry
//! that received it). Also the Flux release name and the recognition of app-template releases.
//!
//! It does not render anything else the chart makes (Deployments, labels, annotations, rule
//! matches/filters), does not compose `valuesFrom` (the caller must treat such releases as
//! unverifiable), and follows 4.6.2 for every 4.x version and 3.7.3 for every 3.x version, saying
//! so where the minor versions differ. Template expressions other than `{{ .Release.Name }}`,
//! `{{ .Release.Namespace }}` and `{{ .Chart.Name }}` in a `tpl`-rendered field make that object
//! unverifiable. The rules, with their sources in the chart, are in the project's specification
//! `helm-app-template.md` (shared design notes), §3-§9 and the worked examples of §16.

use std::collections::BTreeMap;

use super::Spanned;
use crate::source::Span;
use crate::source::yaml::Node;
use crate::source::yaml::build::{Data, Value};

fn at<T>(value: T, span: Span) -> Spanned<T> {
    Spanned { value, span }
}

/// The chart's major version; anything but 3 renders with the 4.x rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Major {
    V3,
    V4,
}

/// The identity of one release, as Flux computes it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Release<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    /// The chart's major version when known (3 or 4); `None` or another number renders with the
    /// 4.x rules and says so in `Rendered::assumed_version`.
    pub major: Option<u32>,
    /// The exact chart version, when known: the `helm.sh/chart` label.
    pub version: Option<&'a str>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    pub services: Vec<Service>,
    pub routes: Vec<Route>,
    /// Objects (by rendered name, or values key) that cannot be rendered exactly.
    pub unverifiable: Vec<Marker>,
    /// Values that make the chart fail to render: the whole release is not applied.
    pub errors: Vec<Marker>,
    /// The version was unknown (or not 3/4): the 4.x rules were used.
    pub assumed_version: bool,
}

/// A message at a values node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub message: String,
    pub span: Span,
}

impl Marker {
    fn is_schema_error(&self) -> bool {
        self.message.starts_with(SCHEMA_ERROR)
    }
}

/// How Helm starts the message of values its schema refuses.
const SCHEMA_ERROR: &str = "values don't meet the specifications of the schema(s)";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// The key under `service:`.
    pub id: String,
    pub name: Spanned<String>,
    pub namespace: Spanned<String>,
    pub service_type: Spanned<String>,
    pub ports: Vec<ServicePort>,
    /// Selector labels, sorted by key.
    pub selector: Vec<(String, Spanned<String>)>,
    /// Labels as the chart writes them (§6), sorted by key; Flux adds its own on apply.
    pub labels: Vec<(String, Spanned<String>)>,
    /// Annotations whose values are known, sorted by key.
    pub annotations: Vec<(String, Spanned<String>)>,
    /// `loadBalancerIP` and `loadBalancerClass`, rendered for LoadBalancer Services only.
    pub load_balancer_ip: Option<Spanned<String>>,
    pub load_balancer_class: Option<Spanned<String>>,
    pub external_traffic_policy: Option<Spanned<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePort {
    pub name: Spanned<String>,
    pub port: Spanned<u32>,
    pub target_port: Spanned<String>,
    pub protocol: Spanned<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The key under `route:`.
    pub id: String,
    pub kind: Spanned<String>,
    pub name: Spanned<String>,
    pub namespace: Spanned<String>,
    pub parent_refs: Vec<ParentRef>,
    pub hostnames: Vec<Spanned<String>>,
    pub backend_refs: Vec<BackendRef>,
    /// Annotations whose values are known, sorted by key.
    pub annotations: Vec<(String, Spanned<String>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentRef {
    /// The `parentRefs` item.
    pub span: Span,
    pub group: Spanned<String>,
    pub kind: Spanned<String>,
    pub name: Spanned<String>,
    pub namespace: Spanned<String>,
    pub section_name: Option<Spanned<String>>,
    pub port: Option<Spanned<u32>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendRef {
    /// Which rule of the route it belongs to, and its place among that rule's backendRefs.
    pub rule: usize,
    pub index: usize,
    /// The `backendRefs` item; for an automatic backend, the route (or `rules`) key.
    pub span: Span,
    pub group: Spanned<String>,
    pub kind: Spanned<String>,
    pub name: Spanned<String>,
    pub namespace: Spanned<String>,
    pub port: Option<Spanned<u32>>,
}

const ROUTE_KINDS: [&str; 5] = ["GRPCRoute", "HTTPRoute", "TCPRoute", "TLSRoute", "UDPRoute"];

/// The top-level keys of `spec.values` that decide the chart's Services and routes (§4-§8).
pub const VALUES_READ: &[&str] = &[
    "controllers",
    "fullnameOverride",
    "global",
    "route",
    "service",
];

/// What [`render`] reads of `spec.values`, copied: `service`, `route`, the naming keys of
/// `global`, and of `controllers` only which are enabled (their pod specs are most of the values).
pub fn values_read(values: Node<'_>) -> Value {
    let only = |node: Node<'_>, keys: &[&str]| Value {
        span: node.span(),
        data: match node.is_map() {
            true => Data::Map(
                node.as_map()
                    .filter(|(k, _)| k.as_str().is_some_and(|k| keys.contains(&k)))
                    .map(|(k, v)| (Value::of(k), Value::of(v)))
                    .collect(),
            ),
            false => Value::of(node).data,
        },
    };
    let kept = values
        .as_map()
        .filter_map(|(key, value)| {
            let copy = match key.as_str()? {
                "controllers" => Value {
                    span: value.span(),
                    data: match value.is_map() {
                        true => Data::Map(
                            value
                                .as_map()
                                .map(|(id, c)| (Value::of(id), only(c, &["enabled"])))
                                .collect(),
                        ),
                        false => Value::of(value).data,
                    },
                },
                "global" => only(
                    value,
                    &[
                        "alwaysAppendIdentifierToResourceName",
                        "annotations",
                        "fullnameOverride",
                        "labels",
                        "nameOverride",
                    ],
                ),
                k if VALUES_READ.contains(&k) => Value::of(value),
                _ => return None,
            };
            Some((Value::of(key), copy))
        })
        .collect();
    Value {
        span: values.span(),
        data: Data::Map(kept),
    }
}

/// Renders the Services and routes of one app-template release from its `spec.values`.
pub fn render(values: Node<'_>, release: Release<'_>) -> Rendered {
    let major = match release.major {
        Some(3) => Major::V3,
        _ => Major::V4,
    };
    let mut out = Rendered {
        assumed_version: !matches!(release.major, Some(3 | 4)),
        ..Rendered::default()
    };
    let ctx = Context::new(values, release, major);
    let services = enabled(values.get("service"));
    let routes = enabled(values.get("route"));
    let mut names = BTreeMap::new();
    for &(key, entry) in &services {
        let id = key.as_str().unwrap_or_default();
        let Some(name) = ctx.object_name(key, entry, services.len(), true, &mut out) else {
            continue;
        };
        names.insert(id, name.value.clone());
        if let Some(service) = ctx.service(key, entry, name, &mut out) {
            out.services.push(service);
        }
    }
    for &(key, entry) in &routes {
        if let Some(name) = ctx.object_name(key, entry, routes.len(), false, &mut out) {
            ctx.route(key, entry, name, &services, &names, &mut out);
        }
    }
    // Helm validates the values against the schema before it renders anything: a schema error
    // is the only failure it reports.
    if out.errors.iter().any(Marker::is_schema_error) {
        out.errors.retain(Marker::is_schema_error);
    }
    out
}

/// Whether every Service the values may make is named after the release (`<R>` or `<R>-…`): no
/// `forceRename` or `prefix` on a service, no `fullnameOverride` or `global.nameOverride`. Then
/// a release that fails to render may have made, in an earlier revision, only such names.
pub fn services_named_after_release(values: Node<'_>) -> bool {
    let renamed = |node: Option<Node<'_>>, keys: &[&str]| {
        node.is_some_and(|n| keys.iter().any(|k| n.get(k).is_some()))
    };
    !renamed(Some(values), &["fullnameOverride"])
        && !renamed(values.get("global"), &["fullnameOverride", "nameOverride"])
        && !values
            .get("service")
            .into_iter()
            .flat_map(Node::as_map)
            .any(|(_, s)| renamed(Some(s), &["forceRename", "prefix"]))
}

/// The path of the deepest node of `values` whose text holds `span` (`route.app.parentRefs[0]`),
/// for findings that must name the field they are about.
pub fn path_to(values: Node<'_>, span: Span) -> String {
    let holds = |node: Node<'_>| {
        let s = node.span();
        s.start.byte <= span.start.byte && span.end.byte <= s.end.byte
    };
    let mut path = String::new();
    let mut node = values;
    // Each step goes one level deeper: at most as deep as the tree.
    loop {
        let next = if node.is_map() {
            node.as_map().find_map(|(k, v)| {
                let key = k.as_str()?;
                (holds(k) || holds(v)).then(|| (format!(".{key}"), v, holds(k)))
            })
        } else {
            node.as_seq()
                .enumerate()
                .find(|(_, item)| holds(*item))
                .map(|(i, item)| (format!("[{i}]"), item, false))
        };
        match next {
            Some((step, child, at_key)) if child.span() != node.span() => {
                path.push_str(&step);
                if at_key || child.span() == span {
                    break;
                }
                node = child;
            }
            _ => break,
        }
    }
    path.trim_start_matches('.').to_string()
}

/// The map entries of `node` that are enabled: a map value without a falsy `enabled`.
fn enabled(node: Option<Node<'_>>) -> Vec<(Node<'_>, Node<'_>)> {
    let mut entries: Vec<_> = node
        .into_iter()
        .flat_map(Node::as_map)
        .filter(|(key, value)| key.as_str().is_some() && value.is_map() && !disabled(*value))
        .collect();
    // Go templates range over maps in key order.
    entries.sort_by_key(|(key, _)| key.as_str());
    entries
}

fn disabled(entry: Node<'_>) -> bool {
    entry.get("enabled").is_some_and(|flag| {
        flag.is_null() || matches!(flag.as_str(), Some("false" | "False" | "FALSE" | "0" | ""))
    })
}

fn non_empty<'a>(entry: Node<'a>, key: &str) -> Option<(&'a str, Span)> {
    let node = entry.get(key)?;
    node.as_str()
        .filter(|s| !s.is_empty())
        .map(|s| (s, node.span()))
}

struct Context<'a> {
    values: Node<'a>,
    release: &'a str,
    version: Option<&'a str>,
    /// The exact version is of a line whose rules these are (3.x, 4.x).
    modelled: bool,
    namespace: &'a str,
    major: Major,
    chart_name: String,
    fullname: String,
}

impl<'a> Context<'a> {
    fn new(values: Node<'a>, release: Release<'a>, major: Major) -> Self {
        let global = |key: &str| non_empty_at(values, &["global", key]);
        let chart_name = trim_name(global("nameOverride").unwrap_or(release.name));
        let fullname = match global("fullnameOverride")
            .or_else(|| non_empty_at(values, &["fullnameOverride"]))
        {
            Some(over) => over.to_string(),
            None if release.name.contains(chart_name.as_str()) => release.name.to_string(),
            None => format!("{}-{chart_name}", release.name),
        };
        Context {
            values,
            release: release.name,
            version: release.version,
            modelled: release.version.is_some() && matches!(release.major, Some(3 | 4)),
            namespace: release.namespace,
            major,
            chart_name,
            fullname: trim_name(&fullname),
        }
    }

    /// Helm's `tpl` over what is known without Helm (§11): the release fields, the chart's
    /// name, quoted literals and comments, with `{{-`/`-}}` trimming; `None` for any other
    /// template expression.
    fn tpl(&self, text: &str) -> Option<String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            out.push_str(&rest[..open]);
            let close = action_end(&rest[open + 2..])? + open + 2;
            let mut action = &rest[open + 2..close];
            if let Some(trimmed) = action.strip_prefix('-') {
                out.truncate(out.trim_end().len());
                action = trimmed;
            }
            let trim_after = action.ends_with('-');
            let action = action.strip_suffix('-').unwrap_or(action).trim();
            match action {
                ".Release.Name" => out.push_str(self.release),
                ".Release.Namespace" => out.push_str(self.namespace),
                ".Release.Service" => out.push_str("Helm"),
                ".Chart.Name" => out.push_str("app-template"),
                _ if action.starts_with("/*") && action.ends_with("*/") => {}
                _ => out.push_str(quoted_literal(action)?),
            }
            rest = &rest[close + 2..];
            if trim_after {
                rest = rest.trim_start();
            }
        }
        out.push_str(rest);
        Some(out)
    }

    /// §10: every key of a route entry, its parentRefs, rules and backendRefs is one the values
    /// schema allows. On an exact 3.x or 4.x version another key fails the release; on a
    /// version rendered with the 4.6.2 rules (5.x, a range) it may be a key that version added
    /// (5.x's `namespaceOverride`), so the route is not rendered.
    fn route_keys_allowed(&self, entry: Node<'_>, what: &str, out: &mut Rendered) -> bool {
        let (route, parent, rule, backend): (&[&str], &[&str], &[&str], &[&str]) = match self.major
        {
            Major::V3 => (
                &[
                    "annotations",
                    "enabled",
                    "hostnames",
                    "kind",
                    "labels",
                    "nameOverride",
                    "parentRefs",
                    "rules",
                ],
                &["group", "kind", "name", "namespace", "sectionName"],
                &["backendRefs", "filters", "matches", "timeouts"],
                &["group", "kind", "name", "namespace", "port", "weight"],
            ),
            Major::V4 => (
                &[
                    "annotations",
                    "enabled",
                    "forceRename",
                    "hostnames",
                    "kind",
                    "labels",
                    "parentRefs",
                    "prefix",
                    "rules",
                    "suffix",
                ],
                &["group", "kind", "name", "namespace", "port", "sectionName"],
                &[
                    "backendRefs",
                    "filters",
                    "matches",
                    "name",
                    "sessionPersistence",
                    "timeouts",
                ],
                &[
                    "group",
                    "identifier",
                    "kind",
                    "name",
                    "namespace",
                    "port",
                    "weight",
                ],
            ),
        };
        // A rule's `name` came in 4.5.0.
        let rule_name_too_new = self.version_before(4, 5, 0) == Some(true);
        fn items<'n>(key: &str, of: Node<'n>) -> Vec<Node<'n>> {
            of.get(key).into_iter().flat_map(Node::as_seq).collect()
        }
        let mut checks: Vec<(Node<'_>, &[&str])> = vec![(entry, route)];
        checks.extend(items("parentRefs", entry).into_iter().map(|p| (p, parent)));
        for r in items("rules", entry) {
            checks.push((r, rule));
            checks.extend(items("backendRefs", r).into_iter().map(|b| (b, backend)));
        }
        let unknown = checks.iter().find_map(|&(node, allowed)| {
            node.as_map().map(|(k, _)| k).find(|k| {
                let key = k.as_str().unwrap_or_default();
                !allowed.contains(&key) || (allowed == rule && key == "name" && rule_name_too_new)
            })
        });
        let Some(key) = unknown else {
            return true;
        };
        if self.modelled {
            out.errors.push(schema_error(what, key));
        } else {
            out.unverifiable.push(Marker {
                message: format!(
                    "{what}: `{}` is no key of app-template 4.6.2, whose rules this version is rendered with",
                    key.as_str().unwrap_or_default()
                ),
                span: key.span(),
            });
        }
        false
    }

    /// Whether the exact chart version is before `major.minor.patch`; `None` when unknown.
    fn version_before(&self, major: u32, minor: u32, patch: u32) -> Option<bool> {
        let mut parts = self
            .version?
            .trim_start_matches('v')
            .split('.')
            .map(|p| p.parse::<u32>().ok());
        let written = (parts.next()??, parts.next()??, parts.next()??);
        Some(written < (major, minor, patch))
    }

    /// The routes whose `enabled` is written and true, by id.
    fn explicitly_enabled_routes(&self) -> Vec<&'a str> {
        enabled(self.values.get("route"))
            .into_iter()
            .filter(|(_, entry)| entry.get("enabled").and_then(Node::as_bool) == Some(true))
            .filter_map(|(key, _)| key.as_str())
            .collect()
    }

    /// §6: the entry's `annotations` over `global.annotations`, each value `tpl`-rendered, sorted
    /// by key. An annotation Helm alone can render is left out, unless it requests addresses
    /// (`lbipam.cilium.io/ips`): then the object is not known (`None`). Other annotations (a
    /// dashboard's widget templates) may stay unknown.
    fn annotations(
        &self,
        entry: Node<'_>,
        what: &str,
        out: &mut Rendered,
    ) -> Option<Vec<(String, Spanned<String>)>> {
        let mut annotations = BTreeMap::new();
        for node in [
            self.values.at(&["global", "annotations"]),
            entry.get("annotations"),
        ] {
            for (key, (value, span)) in self.string_map(node) {
                match self.tpl(value) {
                    Some(rendered) => {
                        annotations.insert(key, at(rendered, span));
                    }
                    None if key.contains("lbipam") || key.contains("lb-ipam") => {
                        self.tpl_field(value, span, what, out)?;
                    }
                    None => {
                        annotations.remove(&key);
                    }
                }
            }
        }
        Some(annotations.into_iter().collect())
    }

    /// The string entries of a map, with the span of each value.
    fn string_map<'n>(&self, node: Option<Node<'n>>) -> Vec<(String, (&'n str, Span))> {
        node.into_iter()
            .flat_map(Node::as_map)
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), (v.as_str()?, v.span()))))
            .collect()
    }

    /// `tpl` of a field, or a marker that `what` is unverifiable.
    fn tpl_field(&self, text: &str, span: Span, what: &str, out: &mut Rendered) -> Option<String> {
        let rendered = self.tpl(text);
        if rendered.is_none() {
            out.unverifiable.push(Marker {
                message: format!("{what}: the template `{text}` is rendered by Helm only"),
                span,
            });
        }
        rendered
    }

    /// §5: the object name of a service (`is_service`) or route entry.
    fn object_name(
        &self,
        key: Node<'_>,
        entry: Node<'_>,
        count: usize,
        is_service: bool,
        out: &mut Rendered,
    ) -> Option<Spanned<String>> {
        let id = key.as_str().unwrap_or_default();
        let what = format!("{} `{id}`", if is_service { "service" } else { "route" });
        let mut span = key.span();
        let mut name = self.fullname.clone();
        let foreign: &[&str] = match self.major {
            Major::V3 => &["forceRename", "prefix", "suffix"],
            Major::V4 => &["nameOverride"],
        };
        if let Some((bad, _)) = foreign.iter().find_map(|k| entry.get_entry(k)) {
            out.errors.push(schema_error(&what, bad));
            return None;
        }
        if self.major == Major::V3 {
            if let Some((over, over_span)) = non_empty(entry, "nameOverride") {
                let over = self.tpl_field(over, over_span, &what, out)?;
                span = over_span;
                if over != name {
                    name = format!("{name}-{over}");
                }
            } else {
                let primary =
                    is_service && entry.get("primary").and_then(Node::as_bool) == Some(true);
                let before_373 = self.version_before(3, 7, 3);
                if is_service || before_373 == Some(false) {
                    if !primary && count > 1 && name != id {
                        name = format!("{name}-{id}");
                    }
                } else if before_373 == Some(true) {
                    // 3.0-3.7.2: only the route with an explicit `enabled: true` keeps the
                    // bare name, whatever the count; of several such, a random one (§5.3).
                    let explicit = self.explicitly_enabled_routes();
                    if explicit.len() > 1 {
                        out.unverifiable.push(Marker {
                            message: format!(
                                "{what}: app-template 3.0-3.7.2 gives the bare name to one of several explicitly enabled routes at random"
                            ),
                            span,
                        });
                        return None;
                    }
                    if explicit != [id] && name != id {
                        name = format!("{name}-{id}");
                    }
                } else {
                    if count > 1 && name != id {
                        name = format!("{name}-{id}");
                    }
                    if count == 1 {
                        out.unverifiable.push(Marker {
                            message: format!(
                                "{what}: app-template 3.0-3.7.2 names a lone route differently from 3.7.3 (`{name}`)"
                            ),
                            span,
                        });
                    }
                }
            }
            return Some(at(name, span));
        }
        if let Some((force, force_span)) = non_empty(entry, "forceRename") {
            let force = self.tpl_field(force, force_span, &what, out)?;
            return Some(at(force.to_lowercase(), force_span));
        }
        if let Some((prefix, prefix_span)) = non_empty(entry, "prefix") {
            let prefix = self.tpl_field(prefix, prefix_span, &what, out)?;
            if name != prefix {
                name = format!("{prefix}-{name}");
            }
        }
        let always = self
            .values
            .at(&["global", "alwaysAppendIdentifierToResourceName"])
            .and_then(Node::as_bool)
            == Some(true);
        if (count > 1 || always) && !name.ends_with(&format!("-{id}")) && name != id {
            name = format!("{name}-{id}");
        }
        if let Some((suffix, suffix_span)) = non_empty(entry, "suffix") {
            let suffix = self.tpl_field(suffix, suffix_span, &what, out)?;
            if !name.ends_with(&format!("-{suffix}")) {
                name = format!("{name}-{suffix}");
            }
        }
        Some(at(name.to_lowercase(), span))
    }

    fn service(
        &self,
        key: Node<'_>,
        entry: Node<'_>,
        name: Spanned<String>,
        out: &mut Rendered,
    ) -> Option<Service> {
        let id = key.as_str().unwrap_or_default();
        let here = key.span();
        let service_type = match non_empty(entry, "type") {
            Some((t, span)) => at(t.to_string(), span),
            None => at("ClusterIP".to_string(), here),
        };
        let mut ports = Vec::new();
        for (port_key, port) in enabled(entry.get("ports")) {
            let Some(number) = port.get("port") else {
                out.unverifiable.push(Marker {
                    message: format!(
                        "service `{id}`: a port without a number is not rendered here"
                    ),
                    span: port_key.span(),
                });
                return None;
            };
            let Some(value) = number.as_u32() else {
                out.unverifiable.push(Marker {
                    message: format!(
                        "service `{id}`: port `{}` is not a number",
                        number.as_str().unwrap_or("?")
                    ),
                    span: number.span(),
                });
                return None;
            };
            let target_port = match port
                .get("targetPort")
                .filter(|t| t.as_str().is_some_and(|s| !s.is_empty()))
            {
                Some(t) => at(t.as_str().unwrap_or_default().to_string(), t.span()),
                None => at(value.to_string(), number.span()),
            };
            let protocol = match non_empty(port, "protocol") {
                Some(("HTTP" | "HTTPS" | "TCP", span)) => at("TCP".to_string(), span),
                Some((other, span)) => at(other.to_string(), span),
                None => at("TCP".to_string(), port_key.span()),
            };
            ports.push(ServicePort {
                name: at(
                    port_key.as_str().unwrap_or_default().to_string(),
                    port_key.span(),
                ),
                port: at(value, number.span()),
                target_port,
                protocol,
            });
        }
        if ports.is_empty() && service_type.value != "ExternalName" {
            out.errors.push(Marker {
                message: format!(
                    "No ports are enabled for Service with this identifier. (service: '{id}')"
                ),
                span: here,
            });
            return None;
        }
        let controller = match non_empty(entry, "controller") {
            Some((c, span)) => {
                // §9: the controller must be an enabled one.
                let known = enabled(self.values.get("controllers"))
                    .iter()
                    .any(|(key, _)| key.as_str() == Some(c));
                if !known {
                    out.errors.push(Marker {
                        message: format!(
                            "No enabled controller found with this identifier. (service: '{id}', controller: '{c}')"
                        ),
                        span,
                    });
                    return None;
                }
                at(c.to_string(), span)
            }
            None => {
                let controllers = enabled(self.values.get("controllers"));
                match (self.major, controllers.as_slice()) {
                    (Major::V4, [(only, _)]) => {
                        at(only.as_str().unwrap_or_default().to_string(), here)
                    }
                    (Major::V4, _) => {
                        out.errors.push(Marker {
                            message: format!("controller field is required because automatic controller detection is not possible. (service: {id})"),
                            span: here,
                        });
                        return None;
                    }
                    (Major::V3, _) => {
                        out.errors.push(Marker {
                            message: format!(
                                "controller field is required for Service. (service: {id})"
                            ),
                            span: here,
                        });
                        return None;
                    }
                }
            }
        };
        let controller_label = match self.major {
            Major::V3 => "app.kubernetes.io/component",
            Major::V4 => "app.kubernetes.io/controller",
        };
        let mut selector = BTreeMap::new();
        selector.insert(controller_label.to_string(), controller);
        selector.insert(
            "app.kubernetes.io/name".to_string(),
            at(self.chart_name.clone(), here),
        );
        selector.insert(
            "app.kubernetes.io/instance".to_string(),
            at(self.release.to_string(), here),
        );
        for (label, value) in entry
            .get("extraSelectorLabels")
            .into_iter()
            .flat_map(Node::as_map)
        {
            if let (Some(label), Some(text)) = (label.as_str(), value.as_str()) {
                selector.insert(label.to_string(), at(text.to_string(), value.span()));
            }
        }
        let what = format!("service `{id}`");
        let mut labels = BTreeMap::new();
        // Lowest precedence first: later entries overwrite (§6).
        for (key, value) in self.string_map(self.values.at(&["global", "labels"])) {
            labels.insert(
                key,
                at(self.tpl_field(value.0, value.1, &what, out)?, value.1),
            );
        }
        let mut chart = vec![
            ("app.kubernetes.io/instance", self.release.to_string()),
            ("app.kubernetes.io/managed-by", "Helm".to_string()),
            ("app.kubernetes.io/name", self.chart_name.clone()),
        ];
        if let Some(version) = self.version {
            chart.push(("helm.sh/chart", format!("app-template-{version}")));
        }
        for (key, value) in chart {
            labels.insert(key.to_string(), at(value, here));
        }
        for (key, value) in self.string_map(entry.get("labels")) {
            labels.insert(
                key,
                at(self.tpl_field(value.0, value.1, &what, out)?, value.1),
            );
        }
        labels.insert(
            "app.kubernetes.io/service".to_string(),
            at(name.value.clone(), name.span),
        );
        let annotations = self.annotations(entry, &what, out)?;
        let load_balancer = service_type.value == "LoadBalancer";
        let spanned = |key: &str| non_empty(entry, key).map(|(v, span)| at(v.to_string(), span));
        Some(Service {
            id: id.to_string(),
            name,
            namespace: at(self.namespace.to_string(), here),
            service_type,
            ports,
            selector: selector.into_iter().collect(),
            labels: labels.into_iter().collect(),
            annotations,
            load_balancer_ip: spanned("loadBalancerIP").filter(|_| load_balancer),
            load_balancer_class: spanned("loadBalancerClass").filter(|_| load_balancer),
            external_traffic_policy: spanned("externalTrafficPolicy"),
        })
    }

    fn route(
        &self,
        key: Node<'_>,
        entry: Node<'_>,
        name: Spanned<String>,
        services: &[(Node<'_>, Node<'_>)],
        names: &BTreeMap<&str, String>,
        out: &mut Rendered,
    ) {
        let id = key.as_str().unwrap_or_default();
        let here = key.span();
        let kind = match non_empty(entry, "kind") {
            Some((k, span)) => at(k.to_string(), span),
            None => at("HTTPRoute".to_string(), here),
        };
        if !ROUTE_KINDS.contains(&kind.value.as_str()) {
            out.errors.push(Marker {
                message: format!("Not a valid route kind ({})", kind.value),
                span: kind.span,
            });
            return;
        }
        let what = format!("route `{id}`");
        if !self.route_keys_allowed(entry, &what, out) {
            return;
        }
        let mut failed = false;
        let mut parent_refs = Vec::new();
        for item in entry.get("parentRefs").into_iter().flat_map(Node::as_seq) {
            let field = |key: &str, default: &str| match non_empty(item, key) {
                Some((v, span)) => at(v.to_string(), span),
                None => at(default.to_string(), item.span()),
            };
            let mut required = |key: &str| {
                let found = non_empty(item, key).map(|(v, span)| at(v.to_string(), span));
                if found.is_none() {
                    out.errors.push(Marker {
                        message: format!(
                            "parentRef {key} is required for {} {}",
                            kind.value, name.value
                        ),
                        span: item.span(),
                    });
                }
                found
            };
            if let Some((port, _)) = item.get_entry("port").filter(|_| self.major == Major::V3) {
                out.errors.push(schema_error(&what, port));
                failed = true;
                continue;
            }
            let (Some(parent), Some(namespace)) = (required("name"), required("namespace")) else {
                failed = true;
                continue;
            };
            parent_refs.push(ParentRef {
                span: item.span(),
                group: field("group", "gateway.networking.k8s.io"),
                kind: field("kind", "Gateway"),
                name: parent,
                namespace,
                section_name: non_empty(item, "sectionName")
                    .map(|(v, span)| at(v.to_string(), span)),
                port: item
                    .get("port")
                    .and_then(|p| Some(at(p.as_u32()?, p.span()))),
            });
        }
        let mut hostnames = Vec::new();
        if !matches!(kind.value.as_str(), "TCPRoute" | "UDPRoute") {
            for host in entry.get("hostnames").into_iter().flat_map(Node::as_seq) {
                let Some(text) = host.as_str() else { continue };
                match self.tpl_field(text, host.span(), &what, out) {
                    Some(rendered) => hostnames.push(at(rendered, host.span())),
                    None => failed = true,
                }
            }
        }
        let mut backend_refs = Vec::new();
        let single = match services {
            [(only, _)] => only.as_str(),
            _ => None,
        };
        let rules: Vec<_> = entry
            .get("rules")
            .into_iter()
            .flat_map(Node::as_seq)
            .collect();
        if rules.is_empty() && self.major == Major::V4 {
            let span = entry.get_entry("rules").map_or(here, |(k, _)| k.span());
            match single {
                Some(service) => {
                    failed |= !self.backend_by_id(
                        0,
                        service,
                        span,
                        None,
                        &what,
                        services,
                        names,
                        &mut backend_refs,
                        out,
                    )
                }
                None => {
                    out.errors.push(Marker {
                        message: format!("An explicit rule is required because automatic Service detection is not possible. (route: {id})"),
                        span,
                    });
                    failed = true;
                }
            }
        }
        for (index, rule) in rules.iter().enumerate() {
            let redirects = rule
                .get("filters")
                .into_iter()
                .flat_map(Node::as_seq)
                .any(|f| f.get("type").and_then(Node::as_str) == Some("RequestRedirect"));
            if redirects
                && rule
                    .get("backendRefs")
                    .is_some_and(|b| b.as_seq().len() > 0)
            {
                out.errors.push(Marker {
                    message: "backend refs and request redirect filters cannot co-exist."
                        .to_string(),
                    span: rule.span(),
                });
                failed = true;
                continue;
            }
            for item in rule.get("backendRefs").into_iter().flat_map(Node::as_seq) {
                failed |= !self.backend(
                    index,
                    item,
                    single,
                    &what,
                    id,
                    services,
                    names,
                    &mut backend_refs,
                    out,
                );
            }
        }
        if failed {
            return;
        }
        let Some(annotations) = self.annotations(entry, &what, out) else {
            return;
        };
        for i in 0..backend_refs.len() {
            let rule = backend_refs[i].rule;
            backend_refs[i].index = backend_refs[..i].iter().filter(|b| b.rule == rule).count();
        }
        out.routes.push(Route {
            id: id.to_string(),
            namespace: at(self.namespace.to_string(), here),
            kind,
            name,
            parent_refs,
            hostnames,
            backend_refs,
            annotations,
        });
    }

    /// One written backendRef; false when it cannot be rendered.
    #[allow(clippy::too_many_arguments)]
    fn backend(
        &self,
        rule: usize,
        item: Node<'_>,
        single: Option<&str>,
        what: &str,
        route_id: &str,
        services: &[(Node<'_>, Node<'_>)],
        names: &BTreeMap<&str, String>,
        refs: &mut Vec<BackendRef>,
        out: &mut Rendered,
    ) -> bool {
        let span = item.span();
        let port = item.get("port");
        if let Some((name, name_span)) = non_empty(item, "name") {
            // 3.x looks a name up as a service id first.
            if self.major == Major::V3 && names.contains_key(name) {
                return self.backend_by_id(
                    rule,
                    name,
                    name_span,
                    Some(item),
                    what,
                    services,
                    names,
                    refs,
                    out,
                );
            }
            let rendered = match self.major {
                Major::V4 => match self.tpl_field(name, name_span, what, out) {
                    Some(rendered) => rendered,
                    None => return false,
                },
                Major::V3 => name.to_string(),
            };
            let port = match port {
                None => None,
                Some(p) => match p.as_u32() {
                    Some(0) => None,
                    Some(n) => Some(at(n, p.span())),
                    None if p.is_null() => None,
                    None => {
                        out.errors.push(Marker {
                            message: "invalid value; expected string".to_string(),
                            span: p.span(),
                        });
                        return false;
                    }
                },
            };
            refs.push(self.backend_ref(rule, item, at(rendered, name_span), port));
            return true;
        }
        if let Some((identifier, id_span)) = non_empty(item, "identifier") {
            if self.major == Major::V3 {
                if let Some((key, _)) = item.get_entry("identifier") {
                    out.errors.push(schema_error(what, key));
                }
                return false;
            }
            return self.backend_by_id(
                rule,
                identifier,
                id_span,
                Some(item),
                what,
                services,
                names,
                refs,
                out,
            );
        }
        match (self.major, single) {
            (Major::V4, Some(service)) => self.backend_by_id(
                rule,
                service,
                span,
                Some(item),
                what,
                services,
                names,
                refs,
                out,
            ),
            (Major::V4, None) => {
                out.errors.push(Marker {
                    message: format!("Either name or identifier is required because automatic Service detection is not possible. (route: {route_id})"),
                    span,
                });
                false
            }
            (Major::V3, _) => {
                out.unverifiable.push(Marker {
                    message: format!("{what}: app-template 3.x renders a backendRef without a name as `name: null`"),
                    span,
                });
                false
            }
        }
    }

    /// A backendRef to the chart's own Service `service` (by id).
    #[allow(clippy::too_many_arguments)]
    fn backend_by_id(
        &self,
        rule: usize,
        service: &str,
        span: Span,
        item: Option<Node<'_>>,
        what: &str,
        services: &[(Node<'_>, Node<'_>)],
        names: &BTreeMap<&str, String>,
        refs: &mut Vec<BackendRef>,
        out: &mut Rendered,
    ) -> bool {
        let route_id = what.trim_start_matches("route `").trim_end_matches('`');
        let (Some(name), Some(&(_, entry))) = (
            names.get(service),
            services
                .iter()
                .find(|(key, _)| key.as_str() == Some(service)),
        ) else {
            out.errors.push(Marker {
                message: format!("No enabled Service found with this identifier. (route: '{route_id}', identifier: '{service}')"),
                span,
            });
            return false;
        };
        let written = item.and_then(|i| i.get("port")).filter(|p| !p.is_null());
        let port = match written {
            Some(p) => match p.as_u32() {
                Some(n) => Some(at(n, p.span())),
                None if self.major == Major::V3 => {
                    out.unverifiable.push(Marker {
                        message: format!("{what}: app-template 3.x emits a port name as a string"),
                        span: p.span(),
                    });
                    return false;
                }
                None => {
                    let key = p.as_str().unwrap_or_default();
                    let number = entry.at(&["ports", key, "port"]);
                    match number.and_then(|n| Some(at(n.as_u32()?, n.span()))) {
                        Some(found) => Some(found),
                        None => {
                            out.errors.push(Marker {
                                message: format!("No enabled Service Port found with this identifier. (route: '{route_id}', service: '{service}', identifier: '{key}')"),
                                span: p.span(),
                            });
                            return false;
                        }
                    }
                }
            },
            None => primary_port(entry),
        };
        let name = at(name.clone(), span);
        let backend = match item {
            Some(item) => self.backend_ref(rule, item, name, port),
            None => BackendRef {
                rule,
                index: 0,
                span,
                group: at(String::new(), span),
                kind: at("Service".to_string(), span),
                name,
                namespace: at(self.namespace.to_string(), span),
                port,
            },
        };
        refs.push(backend);
        true
    }

    fn backend_ref(
        &self,
        rule: usize,
        item: Node<'_>,
        name: Spanned<String>,
        port: Option<Spanned<u32>>,
    ) -> BackendRef {
        let field = |key: &str, default: &str| match item
            .get(key)
            .and_then(|n| Some((n.as_str()?, n.span())))
        {
            Some((v, span)) => at(v.to_string(), span),
            None => at(default.to_string(), item.span()),
        };
        BackendRef {
            rule,
            index: 0,
            span: item.span(),
            group: field("group", ""),
            kind: field("kind", "Service"),
            name,
            namespace: field("namespace", self.namespace),
            port,
        }
    }
}

/// §8.4: the enabled port marked `primary` (the last such in key order), else the first.
fn primary_port(service: Node<'_>) -> Option<Spanned<u32>> {
    let ports: Vec<_> = enabled(service.get("ports"))
        .into_iter()
        .filter_map(|(_, port)| Some((port, port.get("port")?)))
        .collect();
    let chosen = ports
        .iter()
        .rev()
        .find(|(port, _)| port.get("primary").and_then(Node::as_bool) == Some(true))
        .or(ports.first())?;
    Some(at(chosen.1.as_u32()?, chosen.1.span()))
}

/// Where the action that starts `text` ends (its `}}`), past any quoted `}}`.
fn action_end(text: &str) -> Option<usize> {
    let mut quote = None;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'`') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'}') if bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
    }
    None
}

/// `"text"` or `` `text` ``, the way templates escape `{{ }}` meant for another tool.
fn quoted_literal(action: &str) -> Option<&str> {
    ['"', '`'].iter().find_map(|&q| {
        let inner = action.strip_prefix(q)?.strip_suffix(q)?;
        (!inner.contains(q) && !inner.contains('\\')).then_some(inner)
    })
}

/// Helm validates values against the chart's schema, which allows no unknown keys.
fn schema_error(what: &str, key: Node<'_>) -> Marker {
    Marker {
        message: format!(
            "{SCHEMA_ERROR}: {what} does not allow `{}` in this chart version",
            key.as_str().unwrap_or_default()
        ),
        span: key.span(),
    }
}

fn non_empty_at<'a>(values: Node<'a>, path: &[&str]) -> Option<&'a str> {
    values
        .at(path)
        .and_then(Node::as_str)
        .filter(|s| !s.is_empty())
}

/// Helm's `trunc 63 | trimSuffix "-"`.
fn trim_name(name: &str) -> String {
    let cut: String = name.chars().take(63).collect();
    cut.strip_suffix('-').unwrap_or(&cut).to_string()
}

/// §3: the Helm release name Flux gives a HelmRelease.
pub fn release_name(
    metadata_name: &str,
    release_name: Option<&str>,
    target_namespace: Option<&str>,
) -> String {
    use sha2::{Digest, Sha256};
    let full = match (
        release_name.filter(|r| !r.is_empty()),
        target_namespace.filter(|t| !t.is_empty()),
    ) {
        (Some(name), _) => name.to_string(),
        (None, Some(target)) => format!("{target}-{metadata_name}"),
        (None, None) => metadata_name.to_string(),
    };
    if full.len() <= 53 {
        return full;
    }
    let digest = Sha256::digest(full.as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let head: String = full.chars().take(40).collect();
    format!("{head}-{hex}")
}

/// The chart a HelmRelease names, when it may be app-template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChartRef {
    /// `spec.chart.spec.chart: app-template` and its `version`.
    Chart { version: Version },
    /// `spec.chartRef` to an OCIRepository: app-template if its URL says so
    /// ([`oci_repository_version`]); `namespace` absent means the HelmRelease's own.
    OciRepository {
        name: String,
        namespace: Option<String>,
    },
}

/// Recognises the chart reference of a HelmRelease document (its root node).
pub fn chart_ref(helm_release: Node<'_>) -> Option<ChartRef> {
    let spec = helm_release.get("spec")?;
    if let Some(chart) = spec.at(&["chart", "spec"]) {
        return (non_empty(chart, "chart")?.0 == "app-template").then(|| ChartRef::Chart {
            version: Version::of(non_empty(chart, "version").map(|(v, _)| v)),
        });
    }
    let chart_ref = spec.get("chartRef")?;
    if non_empty(chart_ref, "kind")?.0 != "OCIRepository" {
        return None;
    }
    Some(ChartRef::OciRepository {
        name: non_empty(chart_ref, "name")?.0.to_string(),
        namespace: non_empty(chart_ref, "namespace").map(|(n, _)| n.to_string()),
    })
}

/// For an OCIRepository document whose URL ends in `app-template`: the version its `ref` pins
/// (`tag`, else `semver`; a `digest` or no `ref` is the latest, which cilint cannot know).
pub fn oci_repository_version(repository: Node<'_>) -> Option<Version> {
    let spec = repository.get("spec")?;
    let url = non_empty(spec, "url")?.0;
    if url.trim_end_matches('/').rsplit('/').next() != Some("app-template") {
        return None;
    }
    let reference = |key: &str| spec.at(&["ref", key]).and_then(Node::as_str);
    Some(
        match (reference("tag"), reference("semver"), reference("digest")) {
            (_, _, Some(_)) => Version::Latest,
            (Some(tag), _, _) => Version::of(Some(tag)),
            (None, Some(range), _) => Version::of(Some(range)),
            (None, None, None) => Version::Latest,
        },
    )
}

/// A chart version as a HelmRelease or its source pins it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Version {
    Exact(String),
    /// A semver range (`4.x`, `^4.1.0`, `>=4.0.0 <5.0.0`).
    Range(String),
    /// No version (`*`, a digest, `latest`): whatever is newest when Flux reconciles.
    Latest,
}

impl Version {
    pub fn of(written: Option<&str>) -> Version {
        match written.map(str::trim) {
            None | Some("" | "*" | "latest") => Version::Latest,
            Some(v) if major_version(v).is_some() => Version::Exact(v.to_string()),
            Some(v) => Version::Range(v.to_string()),
        }
    }

    /// The major version every version it allows shares.
    pub fn major(&self) -> Option<u32> {
        match self {
            Version::Exact(v) => major_version(v),
            Version::Range(r) => range_major(r),
            Version::Latest => None,
        }
    }

    pub fn exact(&self) -> Option<&str> {
        match self {
            Version::Exact(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the renderer's rules are exactly this version's: an exact 3.x or 4.x.
    pub fn is_modelled(&self) -> bool {
        self.exact().is_some() && matches!(self.major(), Some(3 | 4))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Version::Exact(v) => write!(f, "{v}"),
            Version::Range(r) => write!(f, "`{r}`"),
            Version::Latest => write!(f, "(latest)"),
        }
    }
}

/// The major version of an exact chart version such as `4.6.2` or `v3.7.3`.
pub fn major_version(version: &str) -> Option<u32> {
    let exact = version.trim_start_matches('v');
    let mut parts = exact.split('.');
    let major = parts.next()?.parse().ok()?;
    (parts.count() == 2 && exact.chars().all(|c| c.is_ascii_digit() || c == '.')).then_some(major)
}

/// The one major version a semver range allows, when it allows one: `4.x`, `4.*`, `4`, `^4.1`,
/// `~4.6.0`, `=4.2.0`, `>=4.0.0 <5.0.0`. A bare lower bound (`>=4.0.0`) allows any later major.
fn range_major(range: &str) -> Option<u32> {
    let clauses: Vec<&str> = range.split([' ', ',']).filter(|c| !c.is_empty()).collect();
    let major_of = |v: &str| -> Option<(u32, bool)> {
        let v = v.trim_start_matches('v');
        let mut parts = v.split('.');
        let major = parts.next()?.parse().ok()?;
        let rest_zero = parts.all(|p| p == "0" || p == "x" || p == "*");
        Some((major, rest_zero))
    };
    match clauses.as_slice() {
        [one] => {
            let version = one.trim_start_matches(['^', '~', '=']);
            if version.len() != one.len() || !one.starts_with(['<', '>']) {
                return major_of(version)
                    .map(|(m, _)| m)
                    .filter(|_| !one.starts_with('^') || !version.starts_with('0'));
            }
            None
        }
        [low, high] => {
            let low = low.strip_prefix(">=").or_else(|| low.strip_prefix('>'))?;
            let (major, _) = major_of(low)?;
            let (upper, zero) = major_of(high.strip_prefix('<')?.trim_start_matches('='))?;
            let exclusive = !high.starts_with("<=");
            (upper == major || (upper == major + 1 && zero && exclusive)).then_some(major)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{LineIndex, yaml};

    /// Renders values (with the unit tests' single `controllers.main`) as one line per object,
    /// error and unverifiable marker.
    /// The worked examples are of 3.7.3 and 4.6.2 (§16).
    fn summary(values: &str, major: Option<u32>) -> Vec<String> {
        let version = match major {
            Some(3) => Some("3.7.3"),
            Some(4) => Some("4.6.2"),
            _ => None,
        };
        summary_of(values, major, version)
    }

    fn summary_of(values: &str, major: Option<u32>, version: Option<&str>) -> Vec<String> {
        let text = format!("controllers:\n  main: {{}}\n{values}");
        let loaded = yaml::load(&text, &LineIndex::new(&text));
        let release = Release {
            name: "RELEASE-NAME",
            namespace: "NAMESPACE",
            major,
            version,
        };
        let rendered = render(loaded.documents[0].root(), release);
        // What the Catalog keeps of the values renders the same.
        let kept = values_read(loaded.documents[0].root()).into_arena();
        assert_eq!(render(kept.root(), release), rendered, "{values}");
        let mut lines = Vec::new();
        for s in &rendered.services {
            let ports: Vec<_> = s
                .ports
                .iter()
                .map(|p| {
                    format!(
                        "{}:{}>{}/{}",
                        p.name.value, p.port.value, p.target_port.value, p.protocol.value
                    )
                })
                .collect();
            lines.push(format!(
                "Service {}/{} {} {}",
                s.namespace.value,
                s.name.value,
                s.service_type.value,
                ports.join(",")
            ));
        }
        for r in &rendered.routes {
            let parents: Vec<_> = r
                .parent_refs
                .iter()
                .map(|p| {
                    let section = p
                        .section_name
                        .as_ref()
                        .map_or(String::new(), |s| format!("#{}", s.value));
                    let port = p
                        .port
                        .as_ref()
                        .map_or(String::new(), |s| format!(":{}", s.value));
                    format!(
                        "{}/{} {}/{}{section}{port}",
                        p.group.value, p.kind.value, p.namespace.value, p.name.value
                    )
                })
                .collect();
            let hosts: Vec<_> = r.hostnames.iter().map(|h| h.value.as_str()).collect();
            let backends: Vec<_> = r
                .backend_refs
                .iter()
                .map(|b| {
                    let port = b
                        .port
                        .as_ref()
                        .map_or(String::new(), |p| format!(":{}", p.value));
                    format!(
                        "{}:{}/{} {}/{}{port}",
                        b.rule, b.group.value, b.kind.value, b.namespace.value, b.name.value
                    )
                })
                .collect();
            lines.push(format!(
                "{} {}/{} parents[{}] hosts[{}] backends[{}]",
                r.kind.value,
                r.namespace.value,
                r.name.value,
                parents.join(","),
                hosts.join(","),
                backends.join(",")
            ));
        }
        lines.extend(
            rendered
                .errors
                .iter()
                .map(|e| format!("error: {}", e.message)),
        );
        lines.extend(
            rendered
                .unverifiable
                .iter()
                .map(|u| format!("unverifiable: {}", u.message)),
        );
        if rendered.assumed_version {
            lines.push("assumed 4.x".to_string());
        }
        lines
    }

    const SVC8081: &str = "service:\n  main: {controller: main, ports: {http: {port: 8081}}}\n";
    const PARENT: &str = "parentRefs: [{name: parentName, namespace: parentNamespace}]";
    const GW: &str = "gateway.networking.k8s.io/Gateway parentNamespace/parentName";

    /// The worked examples of the specification (§16), on 4.x and on 3.x.
    #[test]
    fn worked_examples_render_as_the_chart_does() {
        let with_route = |route: &str| format!("{SVC8081}route:\n  main: {{{PARENT}, {route}}}\n");
        let svc = "Service NAMESPACE/release-name ClusterIP http:8081>8081/TCP";
        let svc3 = "Service NAMESPACE/RELEASE-NAME ClusterIP http:8081>8081/TCP";
        let auto = format!(
            "HTTPRoute NAMESPACE/release-name parents[{GW}] hosts[] backends[0:/Service NAMESPACE/release-name:8081]"
        );
        let bare3 = format!("HTTPRoute NAMESPACE/RELEASE-NAME parents[{GW}] hosts[] backends[]");
        let cases: Vec<(&str, String, Option<u32>, Vec<String>)> = vec![
            ("1", format!("{SVC8081}route:\n  main: {{{PARENT}}}\n"), Some(4), vec![svc.into(), auto.clone()]),
            ("1", format!("{SVC8081}route:\n  main: {{{PARENT}}}\n"), Some(3), vec![svc3.into(), bare3.clone()]),
            ("2", with_route("rules: [{backendRefs: [{}]}]"), Some(4), vec![svc.into(), auto.clone()]),
            ("2", with_route("rules: []"), Some(4), vec![svc.into(), auto.clone()]),
            ("2", with_route("rules: [{backendRefs: [{}]}]"), Some(3), vec![
                svc3.into(),
                "unverifiable: route `main`: app-template 3.x renders a backendRef without a name as `name: null`".into(),
            ]),
            ("3", with_route("rules: [{backendRefs: [{identifier: main, port: 8080}]}, {backendRefs: [{identifier: main, port: http}]}]"), Some(4), vec![
                svc.into(),
                format!("HTTPRoute NAMESPACE/release-name parents[{GW}] hosts[] backends[0:/Service NAMESPACE/release-name:8080,1:/Service NAMESPACE/release-name:8081]"),
            ]),
            ("3", with_route("rules: [{backendRefs: [{identifier: main, port: 8080}]}]"), Some(3), vec![
                svc3.into(),
                "error: values don't meet the specifications of the schema(s): route `main` does not allow `identifier` in this chart version".into(),
            ]),
            ("4", format!("route:\n  main: {{{PARENT}, rules: [{{backendRefs: [{{group: \"\", kind: Service, name: RELEASE-NAME, namespace: NAMESPACE, port: 8080, weight: 1}}]}}]}}\n"), Some(4), vec![
                format!("HTTPRoute NAMESPACE/release-name parents[{GW}] hosts[] backends[0:/Service NAMESPACE/RELEASE-NAME:8080]"),
            ]),
            ("5", with_route("rules: [{backendRefs: [{group: traefik.io, kind: TraefikService, name: noop@internal}]}]"), Some(4), vec![
                svc.into(),
                format!("HTTPRoute NAMESPACE/release-name parents[{GW}] hosts[] backends[0:traefik.io/TraefikService NAMESPACE/noop@internal]"),
            ]),
            ("6", format!("route:\n  main: {{{PARENT}, rules: [{{backendRefs: [{{group: test, name: pathService, port: 1234, namespace: serviceNamespace, weight: 123}}]}}]}}\n"), Some(4), vec![
                format!("HTTPRoute NAMESPACE/release-name parents[{GW}] hosts[] backends[0:test/Service serviceNamespace/pathService:1234]"),
            ]),
            ("7", format!("route:\n  main: {{{PARENT}, rules: [{{filters: [{{type: RequestRedirect, requestRedirect: {{scheme: https, statusCode: 301}}}}]}}]}}\n"), Some(4), vec![
                format!("HTTPRoute NAMESPACE/release-name parents[{GW}] hosts[] backends[]"),
            ]),
            ("7", with_route("rules: [{backendRefs: [{}], filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]}]"), Some(4), vec![
                svc.into(),
                "error: backend refs and request redirect filters cannot co-exist.".into(),
            ]),
            ("8", format!("{SVC8081}route:\n  main: {{{PARENT}}}\n  second: {{parentRefs: [{{name: parentName, namespace: parentNamespace, sectionName: parentSection}}]}}\n"), Some(4), vec![
                svc.into(),
                format!("HTTPRoute NAMESPACE/release-name-main parents[{GW}] hosts[] backends[0:/Service NAMESPACE/release-name:8081]"),
                format!("HTTPRoute NAMESPACE/release-name-second parents[{GW}#parentSection] hosts[] backends[0:/Service NAMESPACE/release-name:8081]"),
            ]),
            ("8", format!("{SVC8081}route:\n  main: {{{PARENT}}}\n  second: {{{PARENT}}}\n"), Some(3), vec![
                svc3.into(),
                format!("HTTPRoute NAMESPACE/RELEASE-NAME-main parents[{GW}] hosts[] backends[]"),
                format!("HTTPRoute NAMESPACE/RELEASE-NAME-second parents[{GW}] hosts[] backends[]"),
            ]),
            ("9", with_route("prefix: prefix, suffix: suffix"), Some(4), vec![
                svc.into(),
                format!("HTTPRoute NAMESPACE/prefix-release-name-suffix parents[{GW}] hosts[] backends[0:/Service NAMESPACE/release-name:8081]"),
            ]),
            ("9", with_route("forceRename: \"{{ .Chart.Name }}\""), Some(4), vec![
                svc.into(),
                format!("HTTPRoute NAMESPACE/app-template parents[{GW}] hosts[] backends[0:/Service NAMESPACE/release-name:8081]"),
            ]),
            ("9", with_route("prefix: prefix"), Some(3), vec![
                svc3.into(),
                "error: values don't meet the specifications of the schema(s): route `main` does not allow `prefix` in this chart version".into(),
            ]),
            ("10", format!("{SVC8081}  second: {{primary: true, controller: main, ports: {{ui: {{port: 8082}}}}}}\n"), Some(4), vec![
                "Service NAMESPACE/release-name-main ClusterIP http:8081>8081/TCP".into(),
                "Service NAMESPACE/release-name-second ClusterIP ui:8082>8082/TCP".into(),
            ]),
            ("10", format!("{SVC8081}  second: {{primary: true, controller: main, ports: {{ui: {{port: 8082}}}}}}\n"), Some(3), vec![
                "Service NAMESPACE/RELEASE-NAME-main ClusterIP http:8081>8081/TCP".into(),
                "Service NAMESPACE/RELEASE-NAME ClusterIP ui:8082>8082/TCP".into(),
            ]),
            ("11", format!("global: {{alwaysAppendIdentifierToResourceName: true}}\n{}", with_route("hostnames: []")), Some(4), vec![
                "Service NAMESPACE/release-name-main ClusterIP http:8081>8081/TCP".into(),
                format!("HTTPRoute NAMESPACE/release-name-main parents[{GW}] hosts[] backends[0:/Service NAMESPACE/release-name-main:8081]"),
            ]),
            ("12", with_route("hostnames: [\"{{ .Release.Name }}.local\"]"), Some(4), vec![
                svc.into(),
                format!("HTTPRoute NAMESPACE/release-name parents[{GW}] hosts[RELEASE-NAME.local] backends[0:/Service NAMESPACE/release-name:8081]"),
            ]),
            ("12", with_route("hostnames: [\"{{ .Release.Name }}.local\"]"), Some(3), vec![
                svc3.into(),
                format!("HTTPRoute NAMESPACE/RELEASE-NAME parents[{GW}] hosts[RELEASE-NAME.local] backends[]"),
            ]),
            ("13", format!("{SVC8081}route:\n  main: {{kind: TCPRoute, hostnames: [chart-test.local], {PARENT}}}\n  udp: {{kind: UDPRoute, hostnames: [chart-test.local], {PARENT}}}\n"), Some(4), vec![
                svc.into(),
                format!("TCPRoute NAMESPACE/release-name-main parents[{GW}] hosts[] backends[0:/Service NAMESPACE/release-name:8081]"),
                format!("UDPRoute NAMESPACE/release-name-udp parents[{GW}] hosts[] backends[0:/Service NAMESPACE/release-name:8081]"),
            ]),
            ("14", format!("{SVC8081}route:\n  main: {{parentRefs: [{{name: parentName, namespace: parentNamespace, port: 443}}]}}\n"), Some(4), vec![
                svc.into(),
                format!("HTTPRoute NAMESPACE/release-name parents[{GW}:443] hosts[] backends[0:/Service NAMESPACE/release-name:8081]"),
            ]),
            ("14", format!("{SVC8081}route:\n  main: {{parentRefs: [{{name: parentName, namespace: parentNamespace, port: 443}}]}}\n"), Some(3), vec![
                svc3.into(),
                "error: values don't meet the specifications of the schema(s): route `main` does not allow `port` in this chart version".into(),
            ]),
            ("15", format!("service:\n  main: {{ports: {{ui: {{port: 8082}}}}}}\n  second: {{ports: {{ui: {{port: 8082}}}}}}\nroute:\n  main: {{{PARENT}}}\n"), Some(4), vec![
                "Service NAMESPACE/release-name-main ClusterIP ui:8082>8082/TCP".into(),
                "Service NAMESPACE/release-name-second ClusterIP ui:8082>8082/TCP".into(),
                "error: An explicit rule is required because automatic Service detection is not possible. (route: main)".into(),
            ]),
            ("16", format!("route:\n  main: {{{PARENT}, rules: [{{backendRefs: [{{identifier: main, port: 8080}}]}}]}}\n"), Some(4), vec![
                "error: No enabled Service found with this identifier. (route: 'main', identifier: 'main')".into(),
            ]),
            ("17", "service:\n  main: {controller: \"\", ports: {http: {enabled: false, port: 8081}, server: {port: 8080}, secondary: {port: 8081, protocol: HTTP}, udptest: {port: 8081, protocol: UDP}}}\n".into(), Some(4), vec![
                "Service NAMESPACE/release-name ClusterIP secondary:8081>8081/TCP,server:8080>8080/TCP,udptest:8081>8081/UDP".into(),
            ]),
            ("17", "service:\n  main: {controller: \"\", ports: {server: {port: 8080}}}\n".into(), Some(3), vec![
                "error: controller field is required for Service. (service: main)".into(),
            ]),
            ("18", with_route("rules: [{backendRefs: [{name: main}]}]"), Some(4), vec![
                svc.into(),
                format!("HTTPRoute NAMESPACE/release-name parents[{GW}] hosts[] backends[0:/Service NAMESPACE/main]"),
            ]),
            ("18", with_route("rules: [{backendRefs: [{name: main}]}]"), Some(3), vec![
                svc3.into(),
                format!("HTTPRoute NAMESPACE/RELEASE-NAME parents[{GW}] hosts[] backends[0:/Service NAMESPACE/RELEASE-NAME:8081]"),
            ]),
            ("19", format!("{SVC8081}route:\n  main: {{parentRefs: [{{name: parentName}}]}}\n"), Some(4), vec![
                svc.into(),
                "error: parentRef namespace is required for HTTPRoute release-name".into(),
            ]),
            ("19", format!("{SVC8081}route:\n  main: {{parentRefs: [{{name: parentName}}]}}\n"), Some(3), vec![
                svc3.into(),
                "error: parentRef namespace is required for HTTPRoute RELEASE-NAME".into(),
            ]),
        ];
        for (example, values, major, expected) in cases {
            assert_eq!(
                summary(&values, major),
                expected,
                "example {example} on {major:?}.x:\n{values}"
            );
        }
    }

    #[test]
    fn disabled_entries_neither_render_nor_count_for_the_suffix() {
        let values = format!(
            "{SVC8081}  old: {{enabled: false, controller: main, ports: {{http: {{port: 80}}}}}}\n  none: null\n"
        );
        assert_eq!(
            summary(&values, Some(4)),
            ["Service NAMESPACE/release-name ClusterIP http:8081>8081/TCP"]
        );
        let both = format!(
            "{SVC8081}  old: {{enabled: true, controller: main, ports: {{http: {{port: 80}}}}}}\n"
        );
        assert_eq!(
            summary(&both, Some(4)),
            [
                "Service NAMESPACE/release-name-main ClusterIP http:8081>8081/TCP",
                "Service NAMESPACE/release-name-old ClusterIP http:80>80/TCP",
            ]
        );
    }

    #[test]
    fn service_names_follow_force_rename_prefix_and_suffix() {
        let values = "service:\n  a: {forceRename: \"{{ .Release.Name }}-Web\", ports: {http: {port: 80}}}\n  b: {prefix: edge, suffix: b, ports: {http: {port: 81}}}\n  c: {suffix: extra, ports: {http: {port: 82}}}\n";
        assert_eq!(
            summary(values, Some(4)),
            [
                "Service NAMESPACE/release-name-web ClusterIP http:80>80/TCP",
                "Service NAMESPACE/edge-release-name-b ClusterIP http:81>81/TCP",
                "Service NAMESPACE/release-name-c-extra ClusterIP http:82>82/TCP",
            ]
        );
    }

    #[test]
    fn a_port_name_resolves_on_4x_and_fails_when_unknown() {
        let route = |port: &str| {
            format!(
                "{SVC8081}route:\n  main: {{{PARENT}, rules: [{{backendRefs: [{{identifier: main, port: {port}}}]}}]}}\n"
            )
        };
        assert_eq!(
            summary(&route("http"), Some(4))[1],
            format!(
                "HTTPRoute NAMESPACE/release-name parents[{GW}] hosts[] backends[0:/Service NAMESPACE/release-name:8081]"
            )
        );
        assert_eq!(
            summary(&route("web"), Some(4))[1],
            "error: No enabled Service Port found with this identifier. (route: 'main', service: 'main', identifier: 'web')"
        );
        // 3.x looks the name up as a service id, then emits the port name as a string.
        let named = format!(
            "{SVC8081}route:\n  main: {{{PARENT}, rules: [{{backendRefs: [{{name: main, port: http}}]}}]}}\n"
        );
        assert!(
            summary(&named, Some(3)).contains(
                &"unverifiable: route `main`: app-template 3.x emits a port name as a string"
                    .to_string()
            )
        );
    }

    #[test]
    fn other_template_expressions_make_the_object_unverifiable() {
        let values = format!(
            "{SVC8081}route:\n  main: {{{PARENT}, hostnames: [\"{{{{ .Values.domain }}}}\"]}}\n"
        );
        assert_eq!(
            summary(&values, Some(4)),
            [
                "Service NAMESPACE/release-name ClusterIP http:8081>8081/TCP",
                "unverifiable: route `main`: the template `{{ .Values.domain }}` is rendered by Helm only",
            ]
        );
    }

    #[test]
    fn an_unknown_version_renders_as_4x_and_says_so() {
        let lines = summary(&format!("{SVC8081}route:\n  main: {{{PARENT}}}\n"), None);
        assert_eq!(lines.last().map(String::as_str), Some("assumed 4.x"));
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn fields_point_at_the_values_that_produced_them() {
        let text = "controllers:\n  main: {}\nservice:\n  app:\n    ports:\n      http:\n        port: 8080\nroute:\n  app:\n    parentRefs:\n      - name: internal\n        namespace: network\n        sectionName: https\n";
        let loaded = yaml::load(text, &LineIndex::new(text));
        let release = Release {
            name: "echo",
            namespace: "default",
            major: Some(4),
            version: None,
        };
        let rendered = render(loaded.documents[0].root(), release);
        let service = &rendered.services[0];
        assert_eq!(
            (
                service.name.span.start.line,
                service.ports[0].port.span.start.line
            ),
            (4, 7)
        );
        let route = &rendered.routes[0];
        let parent = &route.parent_refs[0];
        assert_eq!(
            parent.section_name.as_ref().map(|s| s.span.start.line),
            Some(13)
        );
        // Defaults carry the span of the entry that received them.
        assert_eq!(
            (parent.group.span.start.line, route.kind.span.start.line),
            (11, 9)
        );
        let backend = &route.backend_refs[0];
        assert_eq!(
            (backend.name.value.as_str(), backend.name.span.start.line),
            ("echo", 9)
        );
        assert_eq!(
            backend.port.as_ref().map(|p| (p.value, p.span.start.line)),
            Some((8080, 7))
        );
        assert_eq!(
            service
                .selector
                .iter()
                .map(|(k, v)| format!("{k}={}", v.value))
                .collect::<Vec<_>>(),
            [
                "app.kubernetes.io/controller=main",
                "app.kubernetes.io/instance=echo",
                "app.kubernetes.io/name=echo"
            ]
        );
    }

    #[test]
    fn release_names_are_computed_as_flux_does() {
        assert_eq!(release_name("radarr", None, None), "radarr");
        assert_eq!(release_name("radarr", None, Some("media")), "media-radarr");
        assert_eq!(
            release_name("radarr", Some("movies"), Some("media")),
            "movies"
        );
        let long = format!("flux-system-{}", "a".repeat(50));
        assert_eq!(
            release_name(&long, None, None),
            "flux-system-aaaaaaaaaaaaaaaaaaaaaaaaaaaa-617628570167"
        );
    }

    fn root_of(text: &str, each: impl FnOnce(Node<'_>)) {
        let loaded = yaml::load(text, &LineIndex::new(text));
        each(loaded.documents[0].root());
    }

    #[test]
    fn app_template_releases_are_recognised() {
        root_of(
            "spec:\n  chartRef: {kind: OCIRepository, name: app-template}\n",
            |hr| {
                assert_eq!(
                    chart_ref(hr),
                    Some(ChartRef::OciRepository {
                        name: "app-template".into(),
                        namespace: None
                    })
                );
            },
        );
        root_of(
            "spec:\n  chart:\n    spec: {chart: app-template, version: 3.7.3}\n",
            |hr| {
                assert_eq!(
                    chart_ref(hr),
                    Some(ChartRef::Chart {
                        version: Version::Exact("3.7.3".into())
                    })
                );
            },
        );
        root_of(
            "spec:\n  chart:\n    spec: {chart: cilium, version: 1.18.0}\n",
            |hr| assert_eq!(chart_ref(hr), None),
        );
        root_of(
            "spec:\n  url: oci://ghcr.io/bjw-s-labs/helm/app-template\n  ref: {tag: 4.6.2}\n",
            |repo| {
                assert_eq!(
                    oci_repository_version(repo),
                    Some(Version::Exact("4.6.2".into()))
                );
            },
        );
        root_of(
            "spec:\n  url: oci://ghcr.io/example/app-template-fork\n",
            |repo| assert_eq!(oci_repository_version(repo), None),
        );
        assert_eq!(
            (major_version("4.6.2"), major_version("v3.7.3")),
            (Some(4), Some(3))
        );
        assert_eq!(
            (major_version(">=4.0.0"), major_version("latest")),
            (None, None)
        );
    }

    #[test]
    fn ranges_give_a_major_version_only_when_they_allow_one() {
        let major = |v: &str| Version::of(Some(v)).major();
        for (range, expected) in [
            ("4.6.2", Some(4)),
            ("4.x", Some(4)),
            ("4.*", Some(4)),
            ("^4.1.0", Some(4)),
            ("~3.7", Some(3)),
            (">=4.0.0 <5.0.0", Some(4)),
            (">=4.0.0, <4.7.0", Some(4)),
            (">=4.0.0", None),
            (">=3.0.0 <5.0.0", None),
            ("<=5.0.0", None),
            ("*", None),
            ("", None),
        ] {
            assert_eq!(major(range), expected, "{range}");
        }
        assert!(Version::of(Some("4.6.2")).is_modelled());
        assert!(!Version::of(Some("5.0.0")).is_modelled());
        assert!(!Version::of(Some("4.x")).is_modelled());
        assert_eq!(Version::of(Some("*")), Version::Latest);
    }

    /// §6 and §11: labels in their precedence, known annotations, the LB fields of a
    /// LoadBalancer, and the templates `tpl` evaluates without Helm.
    #[test]
    fn services_carry_the_chart_labels_and_known_annotations() {
        let text = "controllers:\n  main: {}\nglobal:\n  labels: {team: media, app.kubernetes.io/name: ignored}\nservice:\n  app:\n    type: LoadBalancer\n    loadBalancerIP: 10.0.0.5\n    labels: {announce: \"  {{- /* trimmed */ -}}  lan\", team: \"{{ .Release.Name }}\"}\n    annotations:\n      lbipam.cilium.io/ips: 10.0.0.5\n      gethomepage.dev/widget.url: \"{{ `{{HOMEPAGE_VAR_URL}}` }}\"\n      other: \"{{ .Values.x }}\"\n    ports: {http: {port: 80}}\n";
        let loaded = yaml::load(text, &LineIndex::new(text));
        let release = Release {
            name: "plex",
            namespace: "media",
            major: Some(4),
            version: Some("4.6.2"),
        };
        let rendered = render(loaded.documents[0].root(), release);
        let service = &rendered.services[0];
        let pairs = |list: &[(String, Spanned<String>)]| -> Vec<String> {
            list.iter()
                .map(|(k, v)| format!("{k}={}", v.value))
                .collect()
        };
        assert_eq!(
            pairs(&service.labels),
            [
                "announce=lan",
                "app.kubernetes.io/instance=plex",
                "app.kubernetes.io/managed-by=Helm",
                "app.kubernetes.io/name=plex",
                "app.kubernetes.io/service=plex",
                "helm.sh/chart=app-template-4.6.2",
                "team=plex",
            ]
        );
        assert_eq!(
            pairs(&service.annotations),
            [
                "gethomepage.dev/widget.url={{HOMEPAGE_VAR_URL}}",
                "lbipam.cilium.io/ips=10.0.0.5",
            ]
        );
        assert_eq!(
            service
                .load_balancer_ip
                .as_ref()
                .map(|ip| ip.value.as_str()),
            Some("10.0.0.5")
        );
        assert!(rendered.unverifiable.is_empty());
        // An address request Helm alone can render leaves the Service unknown.
        let unknown = text.replace("ips: 10.0.0.5", "ips: \"{{ .Values.ip }}\"");
        let loaded = yaml::load(&unknown, &LineIndex::new(&unknown));
        let rendered = render(loaded.documents[0].root(), release);
        assert!(rendered.services.is_empty());
        assert_eq!(rendered.unverifiable.len(), 1);
    }

    /// §5.3: before 3.7.3 a lone route keeps the bare name only with an explicit
    /// `enabled: true`; of several explicitly enabled routes a random one does.
    #[test]
    fn routes_before_3_7_3_are_named_by_their_enabled_key() {
        let route = |extra: &str| {
            format!(
                "{SVC8081}route:\n  main: {{{PARENT}{extra}, rules: [{{backendRefs: [{{name: main}}]}}]}}\n"
            )
        };
        let name = |values: &str, version: &str| {
            summary_of(values, Some(3), Some(version))
                .into_iter()
                .find(|l| l.starts_with("HTTPRoute") || l.starts_with("unverifiable"))
                .unwrap_or_default()
        };
        assert!(name(&route(""), "3.7.2").starts_with("HTTPRoute NAMESPACE/RELEASE-NAME-main "));
        assert!(
            name(&route(", enabled: true"), "3.7.2")
                .starts_with("HTTPRoute NAMESPACE/RELEASE-NAME ")
        );
        assert!(name(&route(""), "3.7.3").starts_with("HTTPRoute NAMESPACE/RELEASE-NAME "));
        let two = format!(
            "{SVC8081}route:\n  main: {{{PARENT}, enabled: true}}\n  second: {{{PARENT}, enabled: true}}\n"
        );
        assert!(name(&two, "3.0.4").starts_with("unverifiable: route `main`"));
        assert!(
            !summary_of(&route(""), Some(3), Some("3.7.3"))
                .iter()
                .any(|l| l.starts_with("unverifiable"))
        );
    }

    /// §9: a Service's `controller` must name an enabled controller.
    #[test]
    fn a_service_of_an_unknown_controller_fails() {
        let values = "service:\n  main: {controller: mian, ports: {http: {port: 8081}}}\n";
        assert_eq!(
            summary(values, Some(4)),
            [
                "error: No enabled controller found with this identifier. (service: 'main', controller: 'mian')"
            ]
        );
    }

    /// Findings name the field of the values they are about.
    #[test]
    fn paths_name_the_deepest_value_that_holds_a_span() {
        let text = "service:\n  app: {ports: {http: {port: 80}}}\nroute:\n  app:\n    parentRefs:\n      - name: gw\n      - name: other\n        sectionName: https\n";
        let loaded = yaml::load(text, &LineIndex::new(text));
        let root = loaded.documents[0].root();
        let section = root
            .at(&["route", "app", "parentRefs"])
            .unwrap()
            .as_seq()
            .nth(1)
            .unwrap();
        assert_eq!(path_to(root, section.span()), "route.app.parentRefs[1]");
        let value = section.get("sectionName").unwrap();
        assert_eq!(
            path_to(root, value.span()),
            "route.app.parentRefs[1].sectionName"
        );
        let (key, _) = root.get_entry("route").unwrap();
        assert_eq!(path_to(root, key.span()), "route");
        let port = root
            .at(&["service", "app", "ports", "http", "port"])
            .unwrap();
        assert_eq!(path_to(root, port.span()), "service.app.ports.http.port");
    }

    /// Helm stops at the schema: what rendering would have said after it is not reported.
    #[test]
    fn a_schema_error_is_the_only_failure() {
        let values = "service:\n  app: {controller: main, nameOverride: x, ports: {http: {port: 80}}}\nroute:\n  app: {parentRefs: [{name: gw, namespace: network}], rules: [{backendRefs: [{identifier: app}]}]}\n";
        assert_eq!(
            summary(values, Some(4)),
            [
                "error: values don't meet the specifications of the schema(s): service `app` does not allow `nameOverride` in this chart version"
            ]
        );
    }

    /// §10: a key the version's schema does not know fails an exact 3.x/4.x release, and
    /// leaves a route of a version rendered with the 4.6.2 rules unrendered.
    #[test]
    fn route_keys_follow_the_values_schema() {
        let route = |extra: &str| {
            format!(
                "{SVC8081}route:\n  main: {{{PARENT}, rules: [{{{extra}backendRefs: [{{identifier: main}}]}}]}}\n"
            )
        };
        assert_eq!(
            summary_of(&route("name: web, "), Some(4), Some("4.4.0"))[1],
            "error: values don't meet the specifications of the schema(s): route `main` does not allow `name` in this chart version"
        );
        assert!(
            summary_of(&route("name: web, "), Some(4), Some("4.5.0"))[1].starts_with("HTTPRoute")
        );
        let typo =
            format!("{SVC8081}route:\n  main: {{parentRef: [{{name: gw, namespace: network}}]}}\n");
        assert_eq!(
            summary_of(&typo, Some(4), Some("4.6.2"))[1],
            "error: values don't meet the specifications of the schema(s): route `main` does not allow `parentRef` in this chart version"
        );
        // 5.x added keys cilint does not render: the route is left out, not failed.
        let newer = format!("{SVC8081}route:\n  main: {{{PARENT}, namespaceOverride: other}}\n");
        assert_eq!(
            summary_of(&newer, Some(5), Some("5.1.0"))[1..],
            [
                "unverifiable: route `main`: `namespaceOverride` is no key of app-template 4.6.2, whose rules this version is rendered with",
                "assumed 4.x",
            ]
        );
        // A 3.x range cannot say how 3.0-3.7.2 name a lone route.
        assert!(
            summary_of(
                &format!("{SVC8081}route:\n  main: {{{PARENT}}}\n"),
                Some(3),
                None
            )
            .iter()
            .any(|l| l.contains("names a lone route differently"))
        );
    }
}
