//! route-parent-not-found: TODO (being written).

use super::{Category, Rule, RuleMeta};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};

pub static META: RuleMeta = RuleMeta {
    id: "route-parent-not-found",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "TODO",
};

pub const RULE: Rule = Rule {
    meta: &META,
    check,
};

fn check(_catalog: &Catalog, _out: &mut Vec<Finding>) {}
