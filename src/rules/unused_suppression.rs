//! unused-suppression: a `cilint-ignore` comment or `cilint.io/ignore` annotation that suppresses
//! nothing, or names a rule that does not exist.

use super::{Category, Facts, RULES, Rule, RuleMeta};
use crate::diagnostic::{Finding, Severity};
use crate::model::{Object, suggest};
use crate::source::Location;
use crate::source::suppress::{ALL, ANNOTATION, DIRECTIVE};

pub static META: RuleMeta = RuleMeta {
    id: "unused-suppression",
    severity: Severity::Note,
    category: Category::Kubernetes,
    summary: "a `cilint-ignore` comment or `cilint.io/ignore` annotation suppresses no finding, \
              or names a rule that does not exist",
};

pub const RULE: Rule = Rule { meta: &META, check };

// Whether a suppression was used is known only once every other rule has run, so the findings
// come from `crate::suppress::apply`, not from here.
fn check(_: &Facts<'_>, _: &mut Vec<Finding>) {}

/// Where a suppression is written: a comment, or the annotation of an object.
#[derive(Clone, Copy)]
pub(crate) enum Written<'a> {
    /// The comment covers these lines (first, last).
    Comment {
        lines: (u32, u32),
    },
    Annotation(&'a Object),
}

impl Written<'_> {
    fn attach(self, finding: Finding, id: Option<&str>) -> Finding {
        match self {
            Written::Comment { .. } => match id {
                Some(id) => finding.field(format!("{DIRECTIVE} {id}")),
                None => finding.field(DIRECTIVE),
            },
            Written::Annotation(o) => finding
                .object(o)
                .field(format!("metadata.annotations.{ANNOTATION}")),
        }
    }

    /// How the suppression is written, for messages: `cilint-ignore x` or `cilint.io/ignore: x`.
    fn quote(self, id: &str) -> String {
        match self {
            Written::Comment { .. } => format!("`{DIRECTIVE} {id}`"),
            Written::Annotation(_) => format!("`{ANNOTATION}: {id}`"),
        }
    }
}

/// A rule id (or `all`) that suppressed no finding.
pub(crate) fn unused(location: Location, written: Written, id: &str) -> Finding {
    let what = if id == ALL {
        "no finding".to_string()
    } else {
        format!("no {id} finding")
    };
    let (message, help) = match written {
        Written::Comment {
            lines: (first, last),
        } => {
            let place = if first == last {
                format!("on line {first}")
            } else {
                format!("on lines {first}-{last}")
            };
            (
                format!(
                    "{} suppresses nothing: there is {what} {place}",
                    written.quote(id)
                ),
                "remove it, or if the finding moved, put the comment on the line before the \
                 finding or at the end of the finding's line",
            )
        }
        Written::Annotation(o) => (
            format!(
                "{} suppresses nothing: there is {what} about {} {}",
                written.quote(id),
                o.kind,
                o.qualified_name()
            ),
            "remove it from the annotation (or the annotation, if it names nothing else): a \
             stale suppression would hide the next real problem of this kind",
        ),
    };
    written.attach(
        Finding::new(&META, location, message)
            .label("unused")
            .help(help),
        Some(id),
    )
}

/// A rule id that no rule has.
pub(crate) fn unknown_rule(location: Location, written: Written, id: &str) -> Finding {
    let candidates = RULES.iter().map(|r| r.meta.id).chain([ALL]);
    let help = match suggest::closest(id, candidates) {
        Some(s) => format!("did you mean `{s}`? `cilint rules` lists the rule ids"),
        None => "`cilint rules` lists the rule ids".to_string(),
    };
    written.attach(
        Finding::new(
            &META,
            location,
            format!(
                "{} suppresses nothing: there is no rule `{id}`",
                written.quote(id)
            ),
        )
        .label("unknown rule")
        .help(help),
        Some(id),
    )
}

/// A suppression that names no rule at all.
pub(crate) fn names_no_rule(location: Location, written: Written) -> Finding {
    let what = match written {
        Written::Comment { .. } => format!("`{DIRECTIVE}`"),
        Written::Annotation(_) => format!("`{ANNOTATION}`"),
    };
    written.attach(
        Finding::new(
            &META,
            location,
            format!("{what} names no rule, so it suppresses nothing"),
        )
        .label("no rule id")
        .help(format!(
            "name the rules to suppress, separated by commas ({}), or `{ALL}`",
            written.quote("backend-not-found")
        )),
        None,
    )
}
