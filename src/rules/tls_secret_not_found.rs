//! tls-secret-not-found: a Gateway listener's certificateRef names a Secret that is neither in
//! the tree nor created by a `kubectl create secret` command.

use super::{Category, Facts, Rule, RuleMeta, explained};
use crate::analysis::listener_set::listener_owners;
use crate::catalog::{Catalog, Lookup};
use crate::diagnostic::{Finding, Severity};
use crate::model::gateway::{Listener, SecretRef};
use crate::model::suggest::{closest, namespace_flag, namespace_flag_help, only_close};
use crate::model::{Object, Origin};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "tls-secret-not-found",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "a listener's certificateRef names a Secret that is not in the tree or created by a command",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    // Gateways, and the ListenerSets that join one (their refs default to the set's namespace).
    for owner in listener_owners(catalog) {
        let gw = owner.object;
        let (Some(location), Some(gw_ns)) = (gw.location, gw.namespace.as_deref()) else {
            continue;
        };
        for (li, listener) in owner.listeners.iter().enumerate() {
            // Passthrough ignores certificateRefs: listener-tls-invalid says so, once.
            if listener
                .tls
                .as_ref()
                .is_some_and(|t| t.mode() == "Passthrough")
            {
                continue;
            }
            // Refs to other kinds are InvalidCertificateRef for another reason.
            for r in listener
                .certificate_refs
                .iter()
                .filter(|r| r.group.is_empty() && r.kind == "Secret")
            {
                let namespace = r.namespace.as_ref().map_or(gw_ns, |n| n.as_str());
                // The Secrets cert-manager's gateway-shim issues are in the Catalog. Unverifiable
                // Secrets may exist; only a definite miss is reported.
                if catalog.lookup("", "Secret", Some(namespace), r.name.as_str()) != Lookup::Missing
                {
                    continue;
                }
                let at = |span| Location {
                    file: location.file,
                    span,
                };
                let f = finding(catalog, gw, r, namespace, at(r.name.span))
                    .field(format!(
                        "spec.listeners[{li}].tls.certificateRefs[{}].name",
                        r.index
                    ))
                    .related(Some(at(listener.name.span)), listener_note(listener));
                let note = catalog.strict_note("", "Secret", Some(namespace), r.name.as_str());
                out.push(f.help_note(note));
            }
        }
    }
}

fn finding(
    catalog: &Catalog,
    gw: &Object,
    r: &SecretRef,
    namespace: &str,
    at: Location,
) -> Finding {
    let name = r.name.as_str();
    let base = Finding::new(
        &META,
        at,
        format!(
            "{} {}: certificateRef names Secret `{name}`, which is not in namespace \
             {namespace}",
            gw.kind,
            gw.qualified_name()
        ),
    )
    .object(gw)
    .label(format!("no Secret `{name}` in {namespace}"))
    .condition("ResolvedRefs=False/InvalidCertificateRef");
    if let Some(reason) = catalog.miss_reason("", "Secret", Some(namespace), name) {
        return explained(base, reason);
    }

    let elsewhere = catalog.same_name_elsewhere("", "Secret", name);
    if !elsewhere.is_empty() {
        let mut namespaces: Vec<&str> = elsewhere
            .iter()
            .filter_map(|o| o.namespace.as_deref())
            .collect();
        namespaces.sort_unstable();
        namespaces.dedup();
        let flag = namespace_flag(gw, r.namespace.is_some(), &elsewhere);
        // A controller's Secret is fixed where its maker is: the object that makes it.
        let makers: Vec<&Object> = elsewhere
            .iter()
            .filter_map(|secret| match secret.origin {
                Origin::Generated { by } => Some(catalog.object(by)),
                _ => None,
            })
            .collect();
        let help = match (&makers[..], &namespaces[..]) {
            ([maker], [_]) => maker_help(maker, name, namespace, flag),
            _ => in_other_namespace_help(name, namespace, &namespaces, flag),
        };
        let mut f = base.help(help);
        for secret in elsewhere {
            let ns = secret.namespace.as_deref().unwrap_or_default();
            f = match secret.origin {
                Origin::Generated { by } => {
                    let maker = catalog.object(by);
                    f.related(
                        maker.name_location(),
                        format!(
                            "{} {} makes Secret `{name}` in namespace {ns}",
                            maker.kind,
                            maker.qualified_name()
                        ),
                    )
                }
                _ => f.related(
                    secret.name_location(),
                    format!("Secret `{name}` is in namespace {ns}"),
                ),
            };
        }
        return f;
    }
    match closest(name, catalog.names_in("", "Secret", Some(namespace))) {
        Some(near) => {
            let near_obj = match catalog.lookup("", "Secret", Some(namespace), near) {
                Lookup::Found(id) => Some(catalog.object(id)),
                _ => None,
            };
            let verb = match near_obj.map(|o| &o.origin) {
                Some(Origin::Command) => "created by this command",
                _ => "defined here",
            };
            let base = if only_close(name, catalog.names_in("", "Secret", Some(namespace)))
                == Some(near)
            {
                base.rename(name, near, format!("name Secret `{near}`"))
            } else {
                base
            };
            base.help(did_you_mean_help(near, name, namespace)).related(
                near_obj.and_then(Object::name_location),
                format!("Secret `{near}` is {verb}"),
            )
        }
        None => base.help(create_help(name, namespace)),
    }
}

fn listener_note(listener: &Listener) -> String {
    format!(
        "listener {} is not programmed without it (Programmed=False/Invalid)",
        listener.describe()
    )
}

fn in_other_namespace_help(
    name: &str,
    namespace: &str,
    namespaces: &[&str],
    flag: Option<&str>,
) -> String {
    let first = namespaces.first().copied().unwrap_or_default();
    let plural = if namespaces.len() > 1 { "s" } else { "" };
    let mut help = format!(
        "Secret `{name}` exists in namespace{plural} {}: create it in {namespace}, or set \
         `namespace: {first}` on this certificateRef and add a ReferenceGrant in {first} that \
         lets Gateways in {namespace} refer to Secrets",
        namespaces.join(", ")
    );
    if let Some(ns) = flag {
        help.push_str(", ");
        help.push_str(&namespace_flag_help(ns));
    }
    help
}

/// The Secret exists in one other namespace because a controller makes it there (a Certificate,
/// an ExternalSecret…): that object is what to move.
fn maker_help(maker: &Object, name: &str, namespace: &str, flag: Option<&str>) -> String {
    let theirs = maker.namespace.as_deref().unwrap_or_default();
    let mut help = format!(
        "{} {} makes Secret `{name}` in its own namespace, {theirs}: move the {} to {namespace}, \
         or set `namespace: {theirs}` on this certificateRef and add a ReferenceGrant in {theirs} \
         that lets Gateways in {namespace} refer to Secrets",
        maker.kind,
        maker.qualified_name(),
        maker.kind
    );
    if let Some(ns) = flag {
        help.push_str(", ");
        help.push_str(&namespace_flag_help(ns));
    }
    help
}

fn did_you_mean_help(near: &str, name: &str, namespace: &str) -> String {
    format!(
        "did you mean `{near}`? Otherwise create `{name}`: {}",
        ways_to_create(name, namespace)
    )
}

fn create_help(name: &str, namespace: &str) -> String {
    format!(
        "create Secret `{name}`: {}",
        ways_to_create(name, namespace)
    )
}

fn ways_to_create(name: &str, namespace: &str) -> String {
    format!(
        "a Secret manifest of type kubernetes.io/tls, a cert-manager Certificate with \
         `secretName: {name}`, or `kubectl create secret tls {name} --cert=… --key=… -n \
         {namespace}` in a script in the repository"
    )
}
