//! chart-render-failed: values of an app-template HelmRelease that make the chart fail to
//! render (a `fail` or `required` of the bjw-s common library, or its values schema): Helm
//! applies none of the release's objects.

use super::{Category, Facts, Rule, RuleMeta};
use crate::diagnostic::{Finding, Severity};
use crate::model::Spec;
use crate::model::app_template::path_to;
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "chart-render-failed",
    severity: Severity::Error,
    category: Category::Kubernetes,
    summary: "values of an app-template HelmRelease that make the chart fail to render: Helm applies none of the release's objects",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for render in catalog.rendered_releases() {
        let release = catalog.object(render.release);
        let Some(at) = release.location else {
            continue;
        };
        let values = match &release.spec {
            Spec::HelmCharts(charts) => charts.first().and_then(|c| c.values.as_deref()),
            _ => None,
        };
        for error in &render.errors {
            let field = match values {
                Some(v) => format!("spec.values.{}", path_to(v.values.root(), error.span)),
                None => "spec.values".to_string(),
            };
            out.push(
                Finding::new(
                    &META,
                    Location {
                        file: at.file,
                        span: error.span,
                    },
                    format!(
                        "HelmRelease {}: app-template {} fails to render: {}",
                        release.qualified_name(),
                        render.version,
                        error.message
                    ),
                )
                .object(release)
                .label("the chart fails here")
                .field(field.trim_end_matches('.'))
                .condition("Ready=False/InstallFailed (UpgradeFailed on an upgrade, which keeps the previous revision's objects)")
                .help(help(&error.message))
                .related(
                    Some(render.pinned_by.0),
                    format!(
                        "app-template {}, pinned by {}",
                        render.version, render.pinned_by.1
                    ),
                ),
            );
        }
    }
}

/// How to fix each failure the chart reports (helm-app-template.md §9, §10).
fn help(message: &str) -> String {
    let fix = if message.starts_with("parentRef namespace is required") {
        "add `namespace:` with the Gateway's namespace to the parentRef: app-template never defaults it to the route's"
    } else if message.starts_with("parentRef name is required") {
        "add `name:` with the Gateway's name to the parentRef"
    } else if message.starts_with("An explicit rule is required") {
        "the release has no Service or several: give the route `rules` with `backendRefs` naming one by `identifier`"
    } else if message.starts_with("Either name or identifier is required") {
        "the release has no Service or several: give the backendRef an `identifier` (a key of `service`) or a `name`"
    } else if message.starts_with("No enabled Service found") {
        "use the key of an enabled entry of `service` as `identifier`, or `name` for a Service the chart does not make"
    } else if message.starts_with("No enabled Service Port found") {
        "use a port key of that service's `ports`, or the port number"
    } else if message.starts_with("controller field is required") {
        "set `controller:` to the key of the controller whose pods the Service selects"
    } else if message.starts_with("No ports are enabled") {
        "give the Service an enabled port, or disable the Service"
    } else if message.starts_with("backend refs and request redirect") {
        "a redirect rule sends no traffic to a backend: remove its `backendRefs`, or move the redirect to a rule of its own"
    } else if message.starts_with("Not a valid route kind") {
        "set `kind` to HTTPRoute, GRPCRoute, TCPRoute, TLSRoute or UDPRoute"
    } else if message.starts_with("values don't meet") {
        "remove the key, or write it the way this chart version's values schema allows (3.x: `nameOverride`, no `identifier`; 4.x: `forceRename`/`prefix`/`suffix`, no `nameOverride`)"
    } else {
        "correct the value"
    };
    format!("{fix}; until then the release does not install or upgrade")
}
