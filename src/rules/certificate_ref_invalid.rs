//! certificate-ref-invalid: a listener's certificateRef names something that holds no usable
//! certificate: a kind other than a core Secret (on a Cilium Gateway), or a Secret in the tree
//! without the `tls.crt` and `tls.key` keys.

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::listener_set::listener_owners;
use crate::catalog::{Lookup, placeholder};
use crate::diagnostic::{Finding, Severity};
use crate::model::gateway::{Listener, SecretRef};
use crate::model::{Object, Origin, Spec};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "certificate-ref-invalid",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "a listener's certificateRef names a kind other than Secret, or a Secret without tls.crt and tls.key",
};

pub const RULE: Rule = Rule { meta: &META, check };

const CONDITION: &str = "ResolvedRefs=False/InvalidCertificateRef";
const TLS_TYPE: &str = "kubernetes.io/tls";
const KEYS: [&str; 2] = ["tls.crt", "tls.key"];

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    // Gateways, and the ListenerSets that join one.
    for owner in listener_owners(catalog) {
        let gw = owner.object;
        let (Some(location), Some(gw_ns)) = (gw.location, gw.namespace.as_deref()) else {
            continue;
        };
        let cilium = catalog.is_cilium_gateway(owner.gateway);
        for (li, listener) in owner.listeners.iter().enumerate() {
            // A Passthrough listener ignores its certificateRefs (listener-tls-invalid says so).
            if listener
                .tls
                .as_ref()
                .is_some_and(|t| t.mode() == "Passthrough")
            {
                continue;
            }
            for r in listener.certificate_refs.iter() {
                let at = |span| Location {
                    file: location.file,
                    span,
                };
                let field = format!("spec.listeners[{li}].tls.certificateRefs[{}]", r.index);
                let is_secret = r.group.is_empty() && r.kind == "Secret";
                if !is_secret {
                    // Other implementations may take other kinds; Cilium takes only Secrets.
                    if cilium && placeholder(&r.kind).is_none() && placeholder(&r.group).is_none() {
                        out.push(
                            Finding::new(&META, at(r.span), kind_message(gw, r))
                                .object(gw)
                                .field(field)
                                .label("not a Secret")
                                .condition(CONDITION)
                                .help(kind_help(r))
                                .related(Some(at(listener.name.span)), listener_note(listener)),
                        );
                    }
                    continue;
                }
                let namespace = r.namespace.as_ref().map_or(gw_ns, |n| n.as_str());
                let Lookup::Found(id) =
                    catalog.lookup("", "Secret", Some(namespace), r.name.as_str())
                else {
                    continue; // tls-secret-not-found's, or unverifiable
                };
                let secret = catalog.object(id);
                let Some(missing) = missing_keys(secret) else {
                    continue;
                };
                out.push(
                    Finding::new(&META, at(r.name.span), keys_message(gw, secret, &missing))
                        .object(gw)
                        .field(format!("{field}.name"))
                        .label(format!("Secret without {}", missing.join(" and ")))
                        .condition(CONDITION)
                        .help(keys_help(secret))
                        .related(
                            secret.name_location(),
                            format!(
                                "Secret {} has keys {}",
                                secret.qualified_name(),
                                key_list(secret)
                            ),
                        )
                        .related(Some(at(listener.name.span)), listener_note(listener)),
                );
            }
        }
    }
}

/// The certificate keys a Secret written in the tree lacks. `None` when it has both, or when
/// its keys are not known: a Secret made by a command, a generator or a controller, one a patch
/// may change, or one whose data cilint could not read as a map of keys.
fn missing_keys(secret: &Object) -> Option<Vec<&'static str>> {
    if secret.origin != Origin::Manifest || secret.unverifiable {
        return None;
    }
    let Spec::Secret(s) = &secret.spec else {
        return None;
    };
    if s.keys.is_empty() || s.keys.iter().any(|k| placeholder(k).is_some()) {
        return None;
    }
    let missing: Vec<&str> = KEYS
        .into_iter()
        .filter(|k| !s.keys.iter().any(|have| have == k))
        .collect();
    (!missing.is_empty()).then_some(missing)
}

fn key_list(secret: &Object) -> String {
    match &secret.spec {
        Spec::Secret(s) => s
            .keys
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

fn secret_type(secret: &Object) -> Option<&str> {
    match &secret.spec {
        Spec::Secret(s) => s.secret_type.as_deref(),
        _ => None,
    }
}

fn listener_note(listener: &Listener) -> String {
    format!(
        "listener {} is not programmed without a certificate (Programmed=False/Invalid)",
        listener.describe()
    )
}

fn kind_message(gw: &Object, r: &SecretRef) -> String {
    let group = if r.group.is_empty() {
        String::new()
    } else {
        format!(" of group `{}`", r.group)
    };
    format!(
        "{} {}: certificateRef `{}` is a {}{group}, and Cilium reads certificates only from \
         core Secrets",
        gw.kind,
        gw.qualified_name(),
        r.name.value,
        r.kind
    )
}

fn kind_help(r: &SecretRef) -> String {
    if r.kind == "Secret" {
        return format!(
            "a Secret is in the core group, written `group: \"\"` or left out, not `{}`",
            r.group
        );
    }
    "point the certificateRef at a Secret of type kubernetes.io/tls (kind Secret, the default); \
     a cert-manager Certificate makes one under its secretName"
        .into()
}

fn keys_message(gw: &Object, secret: &Object, missing: &[&str]) -> String {
    let kind = match secret_type(secret) {
        Some(TLS_TYPE) => {
            " (the API server rejects a kubernetes.io/tls Secret without them)".into()
        }
        Some(t) => format!(" (it is of type {t})"),
        None => " (it is of type Opaque)".into(),
    };
    format!(
        "{} {}: certificateRef names Secret {}, which has no {} key{}{kind}: the listener \
         has no certificate",
        gw.kind,
        gw.qualified_name(),
        secret.qualified_name(),
        missing
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(" or "),
        if missing.len() > 1 { "s" } else { "" }
    )
}

fn keys_help(secret: &Object) -> String {
    format!(
        "store the certificate chain under `tls.crt` and the private key under `tls.key`, with \
         `type: kubernetes.io/tls` (`kubectl create secret tls {} --cert=… --key=…` writes \
         both)",
        secret.name
    )
}
