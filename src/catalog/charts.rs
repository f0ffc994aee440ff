//! The Services and routes of Helm releases whose chart cilint renders: the bjw-s app-template
//! (`model::app_template`). A release is rendered once it is placed (its namespace is final) and
//! its chart's source is known (the OCIRepository that pins the version); its objects are then
//! objects like any other, each field pointing at the values that made it.

use rayon::prelude::*;

use super::{Catalog, placeholder};
use crate::diagnostic::ObjectRef;
use crate::model::app_template::{self, ChartRef, Marker, Release, Rendered, Version};
use crate::model::helm::{ChartValues, HelmChart};
use crate::model::route::{self, RouteKind};
use crate::model::service::{Service, ServicePort, TargetPort};
use crate::model::{GATEWAY_GROUP, Label, Object, ObjectId, Origin, Spanned, Spec, Text, text};
use crate::source::{FileId, Location, Span};

/// What rendering one release gave besides its objects.
#[derive(Debug)]
pub struct ReleaseRender {
    /// The HelmRelease.
    pub release: ObjectId,
    /// The chart version rendered: `4.6.2`, `` `^4.0.0` `` for a range, `(latest)`.
    pub version: String,
    /// Where the version is pinned: the OCIRepository's name, else the HelmRelease's
    /// `spec.chartRef` or `spec.chart`; and what that is ("OCIRepository media/app-template").
    pub pinned_by: (Location, String),
    /// Values that make the chart fail to render, with the chart's own message: Helm applies
    /// nothing of the release.
    pub errors: Vec<Marker>,
    /// What cilint could not render exactly, or the chart version whose rules it assumed.
    pub notes: Vec<Marker>,
    /// Every Service of the release is known: a Service no release of its namespace renders
    /// is missing there, as far as this release is concerned.
    pub complete: bool,
    /// For a release that fails to render: the release name, when every Service it could have
    /// made in an earlier revision is named after it (`<R>`, `<R>-…`).
    pub failed_names: Option<String>,
}

const FLUX_SOURCE_GROUP: &str = "source.toolkit.fluxcd.io";

impl Catalog {
    /// Renders every app-template HelmRelease whose values cilint can read whole (in
    /// parallel), then adds their Services and routes in load order.
    pub(super) fn add_rendered_charts(&mut self) {
        let releases: Vec<(ObjectId, &HelmChart)> = self
            .of_kind("helm.toolkit.fluxcd.io", "HelmRelease")
            .iter()
            .filter_map(|&id| {
                let o = self.object(id);
                let Spec::HelmCharts(charts) = &o.spec else {
                    return None;
                };
                let chart = charts.first().filter(|c| c.values.is_some())?;
                Some((id, chart))
            })
            .collect();
        if releases.is_empty() {
            return;
        }
        let rendered: Vec<(ReleaseRender, Vec<(Object, Text)>)> = releases
            .into_par_iter()
            .filter_map(|(id, chart)| self.render_release(id, chart))
            .collect();
        for (render, objects) in rendered {
            let index = self.renders.len() as u32;
            for (object, key) in objects {
                let rendered_id = self.insert(object);
                self.rendered_from.insert(rendered_id, (index, key));
            }
            self.renders.push(render);
        }
    }

    /// One release rendered, with each object and how it was rendered; `None` when its chart
    /// is not app-template after all. A release cilint cannot render is one with a note why
    /// and no objects: its namespace may then hold any Service, as with any chart.
    fn render_release(
        &self,
        id: ObjectId,
        chart: &HelmChart,
    ) -> Option<(ReleaseRender, Vec<(Object, Text)>)> {
        let values = chart.values.as_deref()?;
        let o = self.object(id);
        let file = o.location?.file;
        let (version, source_note) = self.chart_version(id, values)?;
        let pinned_by = self.pinned_by(id, values, file);
        // §3: `releaseName`, else `[<targetNamespace>-]<name>`, as placed.
        let release = app_template::release_name(
            &o.name,
            chart.release.as_deref(),
            chart.namespace.as_deref(),
        );
        let namespace = chart.namespace.as_deref().or(o.namespace.as_deref());
        let unrendered = if let Some(why) = values.unread {
            Some(why.to_string())
        } else if o.unverifiable {
            Some("a kustomize patch cilint cannot apply exactly may change it".to_string())
        } else if version.major().is_some_and(|m| m < 3) {
            // Before 3.0 the chart took other values (a default `service.main`, `ingress`
            // instead of `route`).
            Some(format!(
                "app-template {version} takes other values than the 3.x and 4.x lines cilint renders"
            ))
        } else if let Some(p) = placeholder(&release) {
            Some(format!(
                "its release name holds the unresolved placeholder {p}"
            ))
        } else {
            match namespace {
                None => Some("its namespace is not known".to_string()),
                Some(ns) => placeholder(ns)
                    .map(|p| format!("its namespace holds the unresolved placeholder {p}")),
            }
        };
        if let Some(why) = unrendered {
            let render = ReleaseRender {
                release: id,
                version: version.to_string(),
                pinned_by,
                errors: Vec::new(),
                notes: vec![Marker {
                    message: format!(
                        "{why}: its Services and routes are not rendered, and its namespace may hold any"
                    ),
                    span: values.chart_span,
                }],
                complete: false,
                failed_names: None,
            };
            return Some((render, Vec::new()));
        }
        let namespace = namespace?;
        let rendered = app_template::render(
            values.values.root(),
            Release {
                name: &release,
                namespace,
                major: version.major(),
                version: version.exact(),
            },
        );
        let modelled = version.is_modelled();
        let mut notes = rendered.unverifiable.clone();
        if !modelled {
            let why = match &version {
                Version::Exact(v) => {
                    format!("app-template {v} is not of the 3.x or 4.x line cilint models")
                }
                Version::Range(r) => {
                    format!("the chart version is the range `{r}`, which cilint cannot pin")
                }
                Version::Latest => format!("the chart version is not known{source_note}"),
            };
            notes.push(Marker {
                message: format!(
                    "{why}: its Services and routes are rendered with the rules of app-template 4.6.2, and its namespace may hold others"
                ),
                span: values.chart_span,
            });
        }
        let complete = modelled && notes.is_empty() && rendered.errors.is_empty();
        let made = match rendered.errors.is_empty() {
            true => objects(&rendered, id, o, file, values),
            false => Vec::new(),
        };
        let failed_names = (!rendered.errors.is_empty()
            && app_template::services_named_after_release(values.values.root()))
        .then_some(release);
        let render = ReleaseRender {
            release: id,
            version: version.to_string(),
            pinned_by,
            // A version cilint does not model may fail differently, or not at all.
            errors: if modelled {
                rendered.errors
            } else {
                Vec::new()
            },
            failed_names,
            notes,
            complete,
        };
        Some((render, made))
    }

    /// The app-template version a release renders with, and where it was not found; `None`
    /// when its chart is not app-template after all (an OCIRepository of another chart).
    fn chart_version(&self, id: ObjectId, values: &ChartValues) -> Option<(Version, String)> {
        match &values.chart {
            ChartRef::Chart { version } => Some((version.clone(), String::new())),
            ChartRef::OciRepository { name, namespace } => {
                let ns = namespace
                    .as_deref()
                    .or(self.object(id).namespace.as_deref());
                match self.oci_repository(id, values) {
                    Some(repo) => match &self.object(repo).spec {
                        Spec::OciRepository {
                            app_template: Some(version),
                        } => Some((Version::clone(version), String::new())),
                        _ => None,
                    },
                    // Named after the chart: app-template, of a version cilint cannot see.
                    None if name == "app-template" => Some((
                        Version::Latest,
                        format!(
                            ": the OCIRepository {}/{name} that pins it is not in the tree",
                            ns.unwrap_or_default()
                        ),
                    )),
                    None => None,
                }
            }
        }
    }

    /// Where a release's chart version is pinned: the OCIRepository's name, else the
    /// HelmRelease's `chartRef`/`chart`.
    fn pinned_by(&self, id: ObjectId, values: &ChartValues, file: FileId) -> (Location, String) {
        let here = Location {
            file,
            span: values.chart_span,
        };
        match self.oci_repository(id, values) {
            Some(repo) => {
                let r = self.object(repo);
                (
                    r.name_location().unwrap_or(here),
                    format!("OCIRepository {}", r.qualified_name()),
                )
            }
            None => (here, "the HelmRelease's chart".to_string()),
        }
    }

    /// The OCIRepository a release's `chartRef` names, when it is in the tree.
    fn oci_repository(&self, id: ObjectId, values: &ChartValues) -> Option<ObjectId> {
        let ChartRef::OciRepository { name, namespace } = &values.chart else {
            return None;
        };
        let ns = namespace
            .as_deref()
            .or(self.object(id).namespace.as_deref());
        self.find(FLUX_SOURCE_GROUP, "OCIRepository", ns, name)
    }

    /// What rendering each app-template release gave, in load order.
    pub fn rendered_releases(&self) -> &[ReleaseRender] {
        &self.renders
    }

    /// For a finding about a rendered object: the HelmRelease that renders it, and how
    /// ("HTTPRoute media/sonarr is rendered by app-template 4.6.2 from `route.app` of
    /// HelmRelease media/sonarr").
    pub fn rendered_note(&self, object: &ObjectRef) -> Option<(Option<Location>, String)> {
        if self.rendered_from.is_empty() {
            return None;
        }
        let group = crate::model::group_of(&object.api_version);
        let id = self.find(
            group,
            &object.kind,
            object.namespace.as_deref(),
            &object.name,
        )?;
        let (render, key) = self.rendered_from.get(&id)?;
        let render = &self.renders[*render as usize];
        let release = self.object(render.release);
        let note = format!(
            "{} {} is rendered by app-template {} from `{key}` of HelmRelease {}",
            object.kind,
            self.object(id).qualified_name(),
            render.version,
            release.qualified_name()
        );
        Some((release.name_location(), note))
    }

    /// The HelmRelease whose values rendered this object.
    pub fn rendered_by(&self, id: ObjectId) -> Option<ObjectId> {
        match self.object(id).origin {
            Origin::Rendered { by } => Some(by),
            _ => None,
        }
    }
}

/// The rendered Services and routes as objects of the HelmRelease's file, with the labels Flux
/// adds when it applies them (helm-app-template.md §1 stage 9).
/// Each with the values key it comes from (`route.app`).
fn objects(
    rendered: &Rendered,
    id: ObjectId,
    release: &Object,
    file: FileId,
    values: &ChartValues,
) -> Vec<(Object, Text)> {
    let mut flux_labels = vec![(
        "helm.toolkit.fluxcd.io/name".to_string(),
        release.name.to_string(),
    )];
    if let Some(ns) = &release.namespace {
        flux_labels.push((
            "helm.toolkit.fluxcd.io/namespace".to_string(),
            ns.to_string(),
        ));
    }
    flux_labels.extend(values.common_labels.iter().cloned());
    let mut out = Vec::new();
    for s in &rendered.services {
        let mut labels: Vec<Label> = s
            .labels
            .iter()
            .map(|(key, value)| label(key, &value.value, value.span))
            .collect();
        for (key, value) in &flux_labels {
            labels.retain(|l| l.key != key.as_str());
            labels.push(label(key, value, release.name_span));
        }
        let annotations = annotations_of(&s.annotations);
        let mut service = Service {
            service_type: text(&s.service_type.value),
            selector: Some(
                s.selector
                    .iter()
                    .map(|(k, v)| (text(k), text(&v.value)))
                    .collect(),
            ),
            selector_span: None,
            ports: s
                .ports
                .iter()
                .map(|p| ServicePort {
                    name: Some(text(&p.name.value)),
                    port: p.port.value,
                    target_port: Some(match p.target_port.value.parse() {
                        Ok(n) => TargetPort::Number(n),
                        Err(_) => TargetPort::Name(p.target_port.value.clone()),
                    }),
                    protocol: text(&p.protocol.value),
                    // app-template's `appProtocol` is not rendered.
                    app_protocol: None,
                    target_port_span: None,
                    span: p.name.span,
                })
                .collect(),
            load_balancer_class: s.load_balancer_class.as_ref().map(spanned),
            external_traffic_policy: s.external_traffic_policy.as_ref().map(spanned),
            requested_ips: s
                .load_balancer_ip
                .as_ref()
                .map(|ip| crate::model::cilium::parse_ips(&ip.value).into())
                .unwrap_or_default(),
            load_balancer_ip_span: s.load_balancer_ip.as_ref().map(|ip| ip.span),
            default_ipam_elsewhere: None,
            headless: false,
        };
        service.request_from_annotations(&annotations);
        let key = text(&format!("service.{}", s.id));
        out.push((
            object(
                "v1",
                "Service",
                &s.name,
                &s.namespace.value,
                labels,
                annotations,
                id,
                file,
                Spec::Service(Box::new(service)),
            ),
            key,
        ));
    }
    for r in &rendered.routes {
        let Some(kind) = RouteKind::from_kind(&r.kind.value) else {
            continue;
        };
        let spec = route::Route {
            kind,
            parent_refs: r
                .parent_refs
                .iter()
                .enumerate()
                .map(|(index, p)| route::ParentRef {
                    group: text(&p.group.value),
                    kind: text(&p.kind.value),
                    namespace: Some(spanned(&p.namespace)),
                    name: spanned(&p.name),
                    section_name: p.section_name.as_ref().map(spanned),
                    port: p.port.clone(),
                    span: p.span,
                    index,
                })
                .collect(),
            hostnames: r.hostnames.iter().map(spanned).collect(),
            hostnames_span: None,
            backend_refs: r
                .backend_refs
                .iter()
                .map(|b| route::BackendRef {
                    group: text(&b.group.value),
                    kind: text(&b.kind.value),
                    namespace: Some(spanned(&b.namespace)),
                    name: spanned(&b.name),
                    port: b.port.clone(),
                    span: b.span,
                    rule: b.rule,
                    index: b.index,
                })
                .collect(),
            mirror_refs: Box::default(),
        };
        // Helm asks the cluster which version it serves; these are the ones clusters serve.
        let version = match kind {
            RouteKind::Http | RouteKind::Grpc => "gateway.networking.k8s.io/v1",
            _ => "gateway.networking.k8s.io/v1alpha2",
        };
        debug_assert!(version.starts_with(GATEWAY_GROUP));
        let key = text(&format!("route.{}", r.id));
        out.push((
            object(
                version,
                &r.kind.value,
                &r.name,
                &r.namespace.value,
                Vec::new(),
                annotations_of(&r.annotations),
                id,
                file,
                Spec::Route(Box::new(spec)),
            ),
            key,
        ));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn object(
    api_version: &str,
    kind: &str,
    name: &Spanned<String>,
    namespace: &str,
    labels: Vec<Label>,
    annotations: Box<[(Text, Spanned<Text>)]>,
    by: ObjectId,
    file: FileId,
    spec: Spec,
) -> Object {
    Object {
        api_version: text(api_version),
        kind: text(kind),
        name: text(&name.value),
        namespace: Some(text(namespace)),
        namespace_defaulted: false,
        unverifiable: false,
        labels: labels.into(),
        annotations,
        origin: Origin::Rendered { by },
        location: Some(Location {
            file,
            span: name.span,
        }),
        name_span: name.span,
        labels_span: None,
        spec,
    }
}

fn annotations_of(rendered: &[(String, Spanned<String>)]) -> Box<[(Text, Spanned<Text>)]> {
    rendered
        .iter()
        .map(|(key, value)| (text(key), spanned(value)))
        .collect()
}

fn label(key: &str, value: &str, span: Span) -> Label {
    Label {
        key: text(key),
        value: text(value),
        span,
    }
}

fn spanned(value: &Spanned<String>) -> Spanned<Text> {
    Spanned {
        value: text(&value.value),
        span: value.span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Lookup;

    const REPO: &str = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: app-template, namespace: media}\nspec:\n  url: oci://ghcr.io/bjw-s-labs/helm/app-template\n  ref: {tag: 4.6.2}\n";

    /// An app-template HelmRelease `sonarr` in `media` with one Service and one route.
    fn release(spec: &str) -> String {
        format!(
            "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {{name: sonarr, namespace: media}}\nspec:\n{spec}  values:\n    controllers: {{sonarr: {{}}}}\n    service:\n      app: {{ports: {{http: {{port: 8989}}}}}}\n    route:\n      app:\n        parentRefs: [{{name: internal, namespace: network}}]\n"
        )
    }

    const CHART_REF: &str = "  chartRef: {kind: OCIRepository, name: app-template}\n";

    fn services(c: &Catalog) -> Vec<String> {
        c.of_kind("", "Service")
            .iter()
            .map(|&id| c.object(id).qualified_name())
            .collect()
    }

    fn missing_service_reason(c: &Catalog) -> Option<String> {
        match c.lookup("", "Service", Some("media"), "radarr") {
            Lookup::Unverifiable(reason) => Some(reason),
            Lookup::Missing => None,
            Lookup::Found(_) => panic!("radarr is not rendered"),
        }
    }

    #[test]
    fn a_release_pinned_by_its_oci_repository_renders_and_closes_its_namespace() {
        let c = Catalog::of_yaml(&format!("{REPO}{}", release(CHART_REF)), "default");
        assert_eq!(services(&c), ["media/sonarr"]);
        let route = c.of_kind(GATEWAY_GROUP, "HTTPRoute")[0];
        assert_eq!(c.object(route).qualified_name(), "media/sonarr");
        assert_eq!(
            c.rendered_by(route),
            c.of_kind("helm.toolkit.fluxcd.io", "HelmRelease")
                .first()
                .copied()
        );
        let render = &c.rendered_releases()[0];
        assert!(render.complete && render.errors.is_empty() && render.notes.is_empty());
        assert_eq!(render.version, "4.6.2");
        // Every Service of the namespace's only release is known: another name is missing.
        assert_eq!(missing_service_reason(&c), None);
        let note = c
            .rendered_note(&ObjectRef::of(c.object(route)))
            .map(|(_, n)| n.to_string());
        assert_eq!(
            note.as_deref(),
            Some(
                "HTTPRoute media/sonarr is rendered by app-template 4.6.2 from `route.app` of HelmRelease media/sonarr"
            )
        );
    }

    #[test]
    fn another_chart_in_the_namespace_keeps_it_open() {
        let grafana = "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: grafana, namespace: media}\nspec:\n  chart:\n    spec: {chart: grafana, version: 10.1.4}\n";
        let c = Catalog::of_yaml(&format!("{REPO}{}{grafana}", release(CHART_REF)), "default");
        assert_eq!(services(&c), ["media/sonarr"]);
        assert_eq!(
            missing_service_reason(&c).as_deref(),
            Some("namespace media receives Helm chart grafana (HelmRelease media/grafana)")
        );
    }

    #[test]
    fn versions_cilint_cannot_pin_render_with_4x_rules_and_keep_the_namespace_open() {
        for (repo, note) in [
            (
                REPO.replace("{tag: 4.6.2}", "{semver: \">=4.0.0\"}"),
                "the chart version is the range `>=4.0.0`, which cilint cannot pin",
            ),
            (
                REPO.replace("4.6.2", "5.1.0"),
                "app-template 5.1.0 is not of the 3.x or 4.x line cilint models",
            ),
            (
                String::new(),
                "the chart version is not known: the OCIRepository media/app-template that pins it is not in the tree",
            ),
        ] {
            let c = Catalog::of_yaml(&format!("{repo}{}", release(CHART_REF)), "default");
            assert_eq!(services(&c), ["media/sonarr"], "{note}");
            let render = &c.rendered_releases()[0];
            assert!(!render.complete);
            assert!(
                render.notes[0].message.starts_with(note),
                "{:?}",
                render.notes
            );
            assert!(missing_service_reason(&c).is_some());
        }
    }

    #[test]
    fn what_is_not_app_template_or_not_readable_whole_is_not_rendered() {
        // An OCIRepository of another chart: not app-template at all.
        let podinfo = REPO.replace("bjw-s-labs/helm/app-template", "example/charts/podinfo");
        let c = Catalog::of_yaml(&format!("{podinfo}{}", release(CHART_REF)), "default");
        assert!(services(&c).is_empty() && c.rendered_releases().is_empty());
        assert!(missing_service_reason(&c).is_some());
        // App-template releases cilint cannot render say why.
        for (repo, spec, why) in [
            (
                String::new(),
                "  chart:\n    spec: {chart: app-template, version: 2.6.0}\n".to_string(),
                "app-template 2.6.0 takes other values than the 3.x and 4.x lines cilint renders",
            ),
            (
                REPO.to_string(),
                format!(
                    "{CHART_REF}  valuesFrom:\n    - {{kind: ConfigMap, name: sonarr-values}}\n"
                ),
                "its values come in part from `valuesFrom`, which cilint does not merge",
            ),
            (
                REPO.to_string(),
                format!("{CHART_REF}  postRenderers:\n    - kustomize: {{patches: []}}\n"),
                "its `postRenderers` may change what the chart renders",
            ),
        ] {
            let c = Catalog::of_yaml(&format!("{repo}{}", release(&spec)), "default");
            assert!(services(&c).is_empty(), "{spec}");
            let render = &c.rendered_releases()[0];
            assert!(!render.complete && render.errors.is_empty());
            assert_eq!(
                render.notes[0].message,
                format!(
                    "{why}: its Services and routes are not rendered, and its namespace may hold any"
                )
            );
            assert!(missing_service_reason(&c).is_some(), "{spec}");
        }
        // `valuesFrom` into a path no Service or route reads is merged harmlessly.
        let harmless = format!(
            "{CHART_REF}  valuesFrom:\n    - {{kind: ConfigMap, name: x, targetPath: defaultPodOptions.labels.team}}\n"
        );
        let c = Catalog::of_yaml(&format!("{REPO}{}", release(&harmless)), "default");
        assert_eq!(services(&c), ["media/sonarr"]);
    }

    #[test]
    fn a_release_that_fails_to_render_makes_nothing_and_excuses_its_own_names() {
        let broken = release(CHART_REF).replace(", namespace: network}", "}");
        let c = Catalog::of_yaml(&format!("{REPO}{broken}"), "default");
        assert!(services(&c).is_empty());
        let render = &c.rendered_releases()[0];
        assert_eq!(
            render.errors[0].message,
            "parentRef namespace is required for HTTPRoute sonarr"
        );
        // An earlier revision may have made `sonarr` or `sonarr-<id>`, and nothing else.
        let reason = |name: &str| match c.lookup("", "Service", Some("media"), name) {
            Lookup::Unverifiable(_) => true,
            Lookup::Missing => false,
            Lookup::Found(_) => panic!("{name} is not rendered"),
        };
        assert!(reason("sonarr") && reason("sonarr-metrics"));
        assert!(!reason("radarr") && !reason("sonarrr"));
        // A release that may rename its Services excuses any name.
        let renamed = broken.replace("app: {ports", "app: {forceRename: tv, ports");
        let c = Catalog::of_yaml(&format!("{REPO}{renamed}"), "default");
        assert!(missing_service_reason(&c).is_some());
    }

    #[test]
    fn release_names_follow_flux() {
        let spec = format!("{CHART_REF}  targetNamespace: tv\n");
        let c = Catalog::of_yaml(&format!("{REPO}{}", release(&spec)), "default");
        // `[<targetNamespace>-]<name>`, in the target namespace.
        assert_eq!(services(&c), ["tv/tv-sonarr"]);
        let spec = format!("{CHART_REF}  releaseName: series\n");
        let c = Catalog::of_yaml(&format!("{REPO}{}", release(&spec)), "default");
        assert_eq!(services(&c), ["media/series"]);
    }
}
