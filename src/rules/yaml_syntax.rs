//! yaml-syntax: a file that does not parse as YAML.

use super::{Category, Facts, Rule, RuleMeta};
use crate::diagnostic::{Finding, Severity};
use crate::source::{Location, Pos, Span};

pub static META: RuleMeta = RuleMeta {
    id: "yaml-syntax",
    severity: Severity::Error,
    category: Category::Kubernetes,
    summary: "a YAML file does not parse; nothing after the error is linted",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for (file, error) in catalog.yaml_errors() {
        let end = Pos {
            col: error.pos.col + 1,
            byte: error.pos.byte + 1,
            ..error.pos
        };
        let location = Location {
            file: *file,
            span: Span {
                start: error.pos,
                end,
            },
        };
        out.push(
            Finding::new(&META, location, format!("invalid YAML: {}", error.message))
                .label("here")
                .help(
                    "fix the syntax: kubectl rejects the whole file, and cilint could not lint \
                     the documents from this point on",
                ),
        );
    }
}
