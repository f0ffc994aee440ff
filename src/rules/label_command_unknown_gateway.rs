//! label-command-unknown-gateway: a `kubectl label` or `kubectl annotate` of a Service
//! `cilium-gateway-<name>` where no Gateway `<name>` (and no such Service) exists.

use super::{Category, Facts, Rule, RuleMeta, explained};
use crate::analysis::lb;
use crate::catalog::{Catalog, Lookup, generated_service_name};
use crate::diagnostic::{Edit, Finding, Fix, Severity};
use crate::model::{GATEWAY_GROUP, ObjectId, suggest};
use crate::source::Location;
use crate::source::commands::{Action, Command, ResourceArg};

pub static META: RuleMeta = RuleMeta {
    id: "label-command-unknown-gateway",
    severity: Severity::Error,
    category: Category::Commands,
    summary: "a `kubectl label`/`annotate` targets Service `cilium-gateway-<name>`, but no \
              Gateway `<name>` exists in that namespace",
};

pub const RULE: Rule = Rule { meta: &META, check };

const PREFIX: &str = "cilium-gateway-";

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for cmd in catalog.commands() {
        let Action::Label { annotate, targets } = &cmd.action else {
            continue;
        };
        let namespace = cmd
            .namespace
            .as_ref()
            .map_or(catalog.default_namespace.as_str(), |n| n.text.as_str());
        for target in targets.iter().filter(|t| t.resource == "service") {
            let Some(gateway) = target.name.text.strip_prefix(PREFIX) else {
                continue;
            };
            // Either the Gateway or the Service itself will do; unverifiable ones may exist.
            let missing = |group, kind, name| {
                catalog.lookup(group, kind, Some(namespace), name) == Lookup::Missing
            };
            if !missing(GATEWAY_GROUP, "Gateway", gateway)
                || !missing("", "Service", &target.name.text)
            {
                continue;
            }
            let f = unknown_gateway(catalog, cmd, target, *annotate, namespace, gateway);
            let note = catalog
                .strict_note(GATEWAY_GROUP, "Gateway", Some(namespace), gateway)
                .or_else(|| catalog.strict_note("", "Service", Some(namespace), &target.name.text));
            out.push(f.help_note(note));
        }
    }
}

fn unknown_gateway(
    catalog: &Catalog,
    cmd: &Command,
    target: &ResourceArg,
    annotate: bool,
    namespace: &str,
    gateway: &str,
) -> Finding {
    let verb = if annotate { "annotate" } else { "label" };
    let location = Location {
        file: cmd.location.file,
        span: target.name.span,
    };
    let mut finding = Finding::new(
        &META,
        location,
        format!(
            "`kubectl {verb}` targets Service {namespace}/{}, which does not exist: there is no \
             Gateway `{gateway}` in namespace {namespace}",
            target.name.text
        ),
    )
    .field(format!(
        "kubectl {verb} -n {namespace} service/{}",
        target.name.text
    ))
    .label(format!("services \"{}\" not found", target.name.text))
    .condition("NotFound");
    if let Some(reason) = catalog.miss_reason(GATEWAY_GROUP, "Gateway", Some(namespace), gateway) {
        return explained(finding, reason);
    }

    // The Cilium Gateways of that namespace, whose Services are `cilium-gateway-<name>`.
    let gateways: Vec<ObjectId> = lb::cilium_gateways(catalog)
        .filter(|&gw| catalog.object(gw).namespace.as_deref() == Some(namespace))
        .collect();
    let elsewhere = catalog.same_name_elsewhere(GATEWAY_GROUP, "Gateway", gateway);
    let what = if annotate { "annotations" } else { "labels" };
    let durable = format!(
        "The durable fix is spec.infrastructure.{what} on the Gateway: Cilium copies only those \
         to the Service, and {what} applied by hand are lost whenever the Service is re-created"
    );
    // Compared without the shared prefix, which would make every name look alike.
    let closest = suggest::closest(
        gateway,
        gateways.iter().map(|&gw| catalog.object(gw).name.as_str()),
    );
    // The exact Gateway in another namespace is a stronger hint than a similar name here.
    if let Some(other) = elsewhere.first() {
        let ns = other.namespace.as_deref().unwrap_or_default();
        if let [_] = elsewhere.as_slice() {
            finding = finding.fix(namespace_fix(cmd, target, ns));
        }
        finding = finding
            .help(format!(
                "Gateway `{gateway}` is in namespace {ns}: run the command with `-n {ns}`. \
                 {durable}"
            ))
            .related(other.name_location(), format!("Gateway {ns}/{gateway}"));
    } else if let Some(name) = closest {
        let gw = gateways
            .iter()
            .map(|&gw| catalog.object(gw))
            .find(|gw| gw.name == name)
            .expect("the suggestion is one of the Gateways");
        let service = generated_service_name(name);
        // The Cilium Gateways of one namespace are few: one related name is the one meant.
        let only = suggest::only_related(
            gateway,
            gateways.iter().map(|&gw| catalog.object(gw).name.as_str()),
        );
        if only == Some(name) {
            finding = finding.fix(Fix::safe(
                format!("target `{service}`"),
                vec![Edit::Rename {
                    location,
                    old: target.name.text.clone(),
                    new: service.clone(),
                }],
            ));
        }
        finding = finding
            .help(format!(
                "did you mean `{service}`, the Service Cilium generates for Gateway {}? \
                 {durable}",
                gw.qualified_name()
            ))
            .related(
                gw.name_location(),
                format!("Gateway {} generates Service {service}", gw.name),
            );
    } else {
        finding = finding.help(format!(
            "the Service of a Cilium Gateway `<name>` is `cilium-gateway-<name>` in the \
             Gateway's namespace. {durable}"
        ));
    }
    finding
}

/// The safe fix when the Gateway exists in exactly one other namespace: the command's
/// `-n`/`--namespace` value becomes that namespace, or `-n <ns>` follows the Service's name.
fn namespace_fix(cmd: &Command, target: &ResourceArg, ns: &str) -> Fix {
    let edit = match &cmd.namespace {
        Some(word) => Edit::Rename {
            location: Location {
                file: cmd.location.file,
                span: word.span,
            },
            old: word.text.clone(),
            new: ns.to_string(),
        },
        None => Edit::InsertAfter {
            location: Location {
                file: cmd.location.file,
                span: target.name.span,
            },
            text: format!(" -n {ns}"),
        },
    };
    Fix::safe(format!("run the command in namespace {ns}"), vec![edit])
}
