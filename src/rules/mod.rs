//! The rule registry: one line per rule, one file per rule.

use std::ops::Deref;
use std::sync::OnceLock;

use crate::catalog::{Catalog, MissReason};
use crate::diagnostic::{Finding, Severity};
use crate::model::attachment::{Attempt, attempts};

mod backend_kind_invalid;
mod backend_not_found;
mod backend_port_mismatch;
mod certificate_ref_invalid;
mod flux_variable_undefined;
mod gateway_labels_not_propagated;
mod invalid_object;
mod label_command_unknown_gateway;
mod label_gaps;
mod listener_conflict;
mod listener_route_kinds_invalid;
mod listener_tls_invalid;
mod route_hostname_mismatch;
mod route_listener_not_found;
mod route_not_allowed;
mod route_parent_not_found;
mod selector_matches_nothing;
mod service_not_advertised;
mod tls_secret_not_found;
pub(crate) mod unused_suppression;
mod yaml_syntax;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    GatewayApi,
    Cilium,
    Kubernetes,
    Commands,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::GatewayApi => "gateway-api",
            Category::Cilium => "cilium",
            Category::Kubernetes => "kubernetes",
            Category::Commands => "commands",
        }
    }
}

/// What a rule is: its stable id, default severity, category and one-line summary.
#[derive(Debug)]
pub struct RuleMeta {
    pub id: &'static str,
    pub severity: Severity,
    pub category: Category,
    pub summary: &'static str,
}

pub struct Rule {
    pub meta: &'static RuleMeta,
    /// Reads the Catalog (through [`Facts`]) only; no I/O, nothing written but its findings.
    pub check: fn(&Facts<'_>, &mut Vec<Finding>),
}

/// What rules read: the Catalog (which it derefs to), and what several rules derive from it,
/// computed once by the first that asks.
pub struct Facts<'c> {
    catalog: &'c Catalog,
    attempts: OnceLock<Vec<Attempt<'c>>>,
}

impl<'c> Facts<'c> {
    pub fn new(catalog: &'c Catalog) -> Facts<'c> {
        Facts {
            catalog,
            attempts: OnceLock::new(),
        }
    }

    /// Every parentRef to a Gateway in the tree, attached: three route rules each report one
    /// stage of the outcome.
    pub fn attempts(&self) -> &[Attempt<'c>] {
        self.attempts.get_or_init(|| attempts(self.catalog))
    }
}

impl Deref for Facts<'_> {
    type Target = Catalog;

    fn deref(&self) -> &Catalog {
        self.catalog
    }
}

/// The finding of a reference that missed, when the tree says why (its object is in a file its
/// kustomization does not list, or has no `kind`): the reason ends the message, replaces the
/// help, and points at the object. One root cause, said at the reference.
pub(crate) fn explained(mut f: Finding, reason: MissReason) -> Finding {
    f.message = format!("{}: {}", f.message, reason.sentence);
    f.help = Some(reason.help);
    f.related(reason.location, reason.note)
}

/// Every rule, in id order.
pub static RULES: &[Rule] = &[
    backend_kind_invalid::RULE,
    backend_not_found::RULE,
    backend_port_mismatch::RULE,
    certificate_ref_invalid::RULE,
    flux_variable_undefined::RULE,
    gateway_labels_not_propagated::RULE,
    invalid_object::RULE,
    label_command_unknown_gateway::RULE,
    listener_conflict::RULE,
    listener_route_kinds_invalid::RULE,
    listener_tls_invalid::RULE,
    route_hostname_mismatch::RULE,
    route_listener_not_found::RULE,
    route_not_allowed::RULE,
    route_parent_not_found::RULE,
    selector_matches_nothing::RULE,
    service_not_advertised::RULE,
    tls_secret_not_found::RULE,
    unused_suppression::RULE,
    yaml_syntax::RULE,
];

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.meta.id == id)
}

/// The documentation page of a rule, `rules/<id>.md`, compiled in.
pub fn doc(id: &str) -> Option<&'static str> {
    DOCS.iter().find(|(i, _)| *i == id).map(|(_, d)| *d)
}

macro_rules! docs {
    ($($id:literal),* $(,)?) => {
        static DOCS: &[(&str, &str)] = &[
            $(($id, include_str!(concat!("../../rules/", $id, ".md")))),*
        ];
    };
}

docs!(
    "backend-kind-invalid",
    "backend-not-found",
    "backend-port-mismatch",
    "certificate-ref-invalid",
    "flux-variable-undefined",
    "gateway-labels-not-propagated",
    "invalid-object",
    "label-command-unknown-gateway",
    "listener-conflict",
    "listener-route-kinds-invalid",
    "listener-tls-invalid",
    "route-hostname-mismatch",
    "route-listener-not-found",
    "route-not-allowed",
    "route-parent-not-found",
    "selector-matches-nothing",
    "service-not-advertised",
    "tls-secret-not-found",
    "unused-suppression",
    "yaml-syntax",
);
