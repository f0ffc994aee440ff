//! listener-tls-invalid: a listener's `tls` block does not fit its protocol: `tls` on HTTP, TCP
//! or UDP; HTTPS in Passthrough mode; TLS without a mode; a terminating listener with no
//! certificate; certificateRefs on a Passthrough listener, which ignores them.

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::listener_set::listener_owners;
use crate::diagnostic::{Finding, Severity};
use crate::model::Object;
use crate::model::gateway::Listener;
use crate::source::{Location, Span};

pub static META: RuleMeta = RuleMeta {
    id: "listener-tls-invalid",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "a listener's tls settings do not fit its protocol (no certificate, wrong mode, tls where none belongs)",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// What is wrong with one listener's TLS settings.
enum Problem {
    /// `tls` on HTTP, TCP or UDP (CEL).
    TlsNotAllowed,
    /// HTTPS with `tls.mode: Passthrough` (CEL).
    HttpsPassthrough,
    /// TLS without `tls.mode` (CEL since v1.5).
    TlsWithoutMode,
    /// Terminate with `tls` written but no certificateRefs or options (CEL).
    TerminateWithoutCertificates,
    /// HTTPS with no `tls` at all: the CRD accepts it since v1.1, the listener has no certificate.
    HttpsWithoutTls,
    /// Passthrough with certificateRefs, which are ignored.
    PassthroughWithCertificates,
}

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    // Gateways, and the ListenerSets that join one (the same listener fields and CEL rules).
    for owner in listener_owners(catalog) {
        let gw = owner.object;
        let Some(location) = gw.location else {
            continue;
        };
        for (li, listener) in owner.listeners.iter().enumerate() {
            let Some((problem, span, field)) = problem(listener) else {
                continue;
            };
            let at = Location {
                file: location.file,
                span,
            };
            let mut f = Finding::new(&META, at, message(gw, listener, &problem))
                .object(gw)
                .field(format!("spec.listeners[{li}]{field}"))
                .label(label(&problem))
                .help(help(&problem));
            // No condition: the API server refuses most of these before any controller sees
            // them, and the rest have none of their own.
            if matches!(problem, Problem::PassthroughWithCertificates) {
                // Harmless to traffic, but says something the Gateway does not do.
                f.severity = Severity::Warning;
            }
            out.push(f);
        }
    }
}

/// The first problem of a listener, the node to point at and its field path after the
/// listener's.
fn problem(l: &Listener) -> Option<(Problem, Span, &'static str)> {
    let protocol = l.protocol.as_str();
    let Some(tls) = &l.tls else {
        return match protocol {
            "HTTPS" => Some((Problem::HttpsWithoutTls, l.name.span, "")),
            "TLS" => Some((Problem::TlsWithoutMode, l.name.span, "")),
            _ => None,
        };
    };
    let mode_span = tls.mode.as_ref().map_or(tls.key_span, |m| m.span);
    match protocol {
        "HTTP" | "TCP" | "UDP" => Some((Problem::TlsNotAllowed, tls.key_span, ".tls")),
        "HTTPS" if tls.mode() == "Passthrough" => {
            Some((Problem::HttpsPassthrough, mode_span, ".tls.mode"))
        }
        "TLS" if tls.mode.is_none() => Some((Problem::TlsWithoutMode, tls.key_span, ".tls")),
        "HTTPS" | "TLS"
            if tls.mode() == "Terminate" && !tls.has_certificate_refs && !tls.has_options =>
        {
            Some((
                Problem::TerminateWithoutCertificates,
                tls.certificate_refs_span.unwrap_or(tls.key_span),
                ".tls",
            ))
        }
        "TLS" if tls.mode() == "Passthrough" && tls.has_certificate_refs => Some((
            Problem::PassthroughWithCertificates,
            tls.certificate_refs_span.unwrap_or(tls.key_span),
            ".tls.certificateRefs",
        )),
        _ => None,
    }
}

/// Rejected by the API server: the Gateway (or ListenerSet, whose CRD has the same rules) never
/// reaches the controller.
fn rejected(kind: &str, cel_message: &str) -> String {
    format!(
        "the API server rejects the {kind} with \"{cel_message}\" (a CEL rule of the {kind} CRD)"
    )
}

fn message(gw: &Object, l: &Listener, p: &Problem) -> String {
    let head = format!(
        "{} {}: listener `{}` ({})",
        gw.kind,
        gw.qualified_name(),
        l.name.value,
        l.protocol
    );
    match p {
        Problem::TlsNotAllowed => format!(
            "{head} sets `tls`, which protocol {} does not take: {}",
            l.protocol,
            rejected(
                &gw.kind,
                "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"
            )
        ),
        Problem::HttpsPassthrough => format!(
            "{head} sets `tls.mode: Passthrough`: an HTTPS listener terminates TLS, and {}",
            rejected(&gw.kind, "tls mode must be Terminate for protocol HTTPS")
        ),
        Problem::TlsWithoutMode => format!(
            "{head} does not set `tls.mode`: since Gateway API v1.5 {}; before, a missing mode \
             is Terminate, not the Passthrough a TLSRoute needs",
            rejected(&gw.kind, "tls mode must be set for protocol TLS")
        ),
        Problem::TerminateWithoutCertificates => format!(
            "{head} terminates TLS (mode Terminate) but has no certificateRefs: {}",
            rejected(
                &gw.kind,
                "certificateRefs or options must be specified when mode is Terminate"
            )
        ),
        Problem::HttpsWithoutTls => format!(
            "{head} has no `tls` block, so no certificate: the CRD accepts it (since v1.1), but \
             the field is required for HTTPS and every TLS handshake on this listener fails"
        ),
        Problem::PassthroughWithCertificates => format!(
            "{head} is in Passthrough mode, which ignores certificateRefs: the backend presents \
             its own certificate, not these"
        ),
    }
}

fn label(p: &Problem) -> &'static str {
    match p {
        Problem::TlsNotAllowed => "tls on a protocol without TLS",
        Problem::HttpsPassthrough => "HTTPS must be Terminate",
        Problem::TlsWithoutMode => "no tls.mode",
        Problem::TerminateWithoutCertificates => "no certificate",
        Problem::HttpsWithoutTls => "HTTPS without tls",
        Problem::PassthroughWithCertificates => "ignored in Passthrough mode",
    }
}

fn help(p: &Problem) -> &'static str {
    match p {
        Problem::TlsNotAllowed => {
            "remove `tls`, or set `protocol: HTTPS` (terminate) or `protocol: TLS` \
             (passthrough) if the listener should speak TLS"
        }
        Problem::HttpsPassthrough => {
            "to pass TLS through to the backend use `protocol: TLS` with `tls.mode: Passthrough` \
             and a TLSRoute; to terminate, set `tls.mode: Terminate` with certificateRefs"
        }
        Problem::TlsWithoutMode => {
            "set `tls.mode: Passthrough` (Cilium routes TLS listeners to TLSRoutes by SNI \
             without terminating)"
        }
        Problem::TerminateWithoutCertificates | Problem::HttpsWithoutTls => {
            "add `tls.certificateRefs` naming a Secret of type kubernetes.io/tls (a cert-manager \
             Certificate's secretName, for example)"
        }
        Problem::PassthroughWithCertificates => {
            "remove the certificateRefs, or switch to `protocol: HTTPS` to terminate TLS at the \
             Gateway with them"
        }
    }
}
