//! l2-policy-interface-invalid: an `interfaces` entry of a `CiliumL2AnnouncementPolicy` that
//! Go's `regexp.Compile` refuses: the agent sets `io.cilium/bad-interface-regex` and refuses the
//! whole policy, which then announces nothing (cilium/cilium `pkg/l2announcer/l2announcer.go`
//! `upsertPolicy`). An entry Go compiles but reads differently from what it looks like (`\<eth`,
//! `[a-z&&[^x]]`) is a warning: it matches no interface name. Entries match anywhere in the
//! name (`MatchString`, unanchored): that is not reported.

use std::collections::HashSet;

use super::{Category, Facts, Rule, RuleMeta, stranded};
use crate::analysis::lb::{self, LbSelector, SelectorKind};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};
use crate::model::go_regexp::{self, GoRegexp};
use crate::model::{ObjectId, Spanned, Spec, Text};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "l2-policy-interface-invalid",
    severity: Severity::Error,
    category: Category::Cilium,
    summary: "an L2 announcement policy's interfaces entry is not a regular expression Go \
              accepts, so the agent refuses the policy",
};

pub const RULE: Rule = Rule { meta: &META, check };

const CONDITION: &str = "io.cilium/bad-interface-regex=True/error";

/// Each entry with what Go makes of it, when that is worth saying; placeholders are not judged.
fn judged(entries: &[Spanned<Text>]) -> Vec<(&Spanned<Text>, GoRegexp)> {
    entries
        .iter()
        .filter(|e| !e.value.contains("${") && !e.value.contains("{{"))
        .filter_map(|e| go_regexp::check(&e.value).map(|g| (e, g)))
        .collect()
}

fn l2_selectors<'s>(selectors: &'s [LbSelector<'s>]) -> impl Iterator<Item = &'s LbSelector<'s>> {
    selectors.iter().filter(|s| s.kind == SelectorKind::L2)
}

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let selectors = lb::selectors(catalog);
    let mut announced = None;
    for s in l2_selectors(&selectors) {
        let policy = catalog.object(s.owner);
        let Spec::L2Policy(p) = &policy.spec else {
            continue;
        };
        if policy.unverifiable {
            continue;
        }
        let judged = judged(&p.interfaces);
        let rejected: Vec<_> = judged
            .iter()
            .filter(|(_, g)| matches!(g, GoRegexp::Rejected(_)))
            .collect();
        if let Some(((entry, GoRegexp::Rejected(why)), rest)) =
            rejected.split_first().map(|(f, r)| (*f, r))
        {
            let announced =
                announced.get_or_insert_with(|| stranded::announced(catalog, &selectors));
            let left = if s.effective && !stranded::conflated(catalog) {
                stranded::unannounced(announced, s.owner, s.matching(catalog))
            } else {
                Vec::new()
            };
            out.extend(refused(catalog, s.owner, entry, why, rest, &left));
            continue;
        }
        for (entry, g) in &judged {
            if let GoRegexp::ReadDifferently(why) = g {
                out.extend(read_differently(catalog, s.owner, entry, why));
            }
        }
    }
}

/// The Services only a policy the agent refuses for its interfaces would announce.
pub(super) fn left_out(catalog: &Facts<'_>) -> HashSet<ObjectId> {
    let selectors = lb::selectors(catalog);
    let refused: Vec<&LbSelector> = l2_selectors(&selectors)
        .filter(|s| {
            s.effective
                && matches!(&catalog.object(s.owner).spec, Spec::L2Policy(p)
                    if judged(&p.interfaces).iter().any(|(_, g)| matches!(g, GoRegexp::Rejected(_))))
        })
        .collect();
    if refused.is_empty() {
        return HashSet::new();
    }
    let announced = stranded::announced(catalog, &selectors);
    refused
        .into_iter()
        .flat_map(|s| stranded::unannounced(&announced, s.owner, s.matching(catalog)))
        .collect()
}

fn refused(
    catalog: &Catalog,
    owner: ObjectId,
    entry: &Spanned<Text>,
    why: &str,
    rest: &[&(&Spanned<Text>, GoRegexp)],
    left: &[ObjectId],
) -> Option<Finding> {
    let policy = catalog.object(owner);
    let file = policy.location?.file;
    let strands = stranded::clause(catalog, left, "it selects", "announcer");
    let mut finding = Finding::new(
        &META,
        Location {
            file,
            span: entry.span,
        },
        format!(
            "interfaces entry `{}` of CiliumL2AnnouncementPolicy {} is not a regular expression \
             Go accepts ({why}), so the agent refuses the whole policy and it announces \
             nothing{strands}",
            entry.value, policy.name
        ),
    )
    .object(policy)
    .field("spec.interfaces")
    .label("Go's regexp refuses this")
    .condition(CONDITION)
    .help(
        "write the entry in Go's RE2 syntax (https://pkg.go.dev/regexp/syntax), for example \
         `^eth[0-9]+` or `^enp.*`; entries match anywhere in the interface name unless \
         anchored with `^…$`",
    );
    for (other, g) in rest {
        if let GoRegexp::Rejected(w) = g {
            finding = finding.related(
                Some(Location {
                    file,
                    span: other.span,
                }),
                format!("Go refuses `{}` too: {w}", other.value),
            );
        }
    }
    Some(stranded::relate(
        finding,
        catalog,
        left,
        "selected by this policy only: its LoadBalancer IP is not announced",
    ))
}

fn read_differently(
    catalog: &Catalog,
    owner: ObjectId,
    entry: &Spanned<Text>,
    why: &str,
) -> Option<Finding> {
    let policy = catalog.object(owner);
    let mut finding = Finding::new(
        &META,
        Location {
            file: policy.location?.file,
            span: entry.span,
        },
        format!(
            "interfaces entry `{}` of CiliumL2AnnouncementPolicy {} means something else in Go's \
             regexp: {why}, so it matches no interface the way it reads",
            entry.value, policy.name
        ),
    )
    .object(policy)
    .field("spec.interfaces")
    .label("Go reads this differently")
    .help(
        "write the entry in Go's RE2 syntax (https://pkg.go.dev/regexp/syntax): use `^` and `$` \
         or `\\b` for boundaries, and list the characters of a class explicitly",
    );
    finding.severity = Severity::Warning;
    Some(finding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(interfaces: &str) -> Vec<Finding> {
        let yaml = format!(
            "apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\n\
             metadata: {{name: lan}}\nspec:\n  loadBalancerIPs: true\n  interfaces: {interfaces}\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {{name: pihole, namespace: dns}}\n\
             spec: {{type: LoadBalancer}}\n"
        );
        crate::rules::findings_in(check, &yaml)
    }

    #[test]
    fn a_pattern_go_refuses_refuses_the_policy() {
        let found = findings("[\"^eth[0-9]+\", \"(?x) ^enp .*\", \"^wl\\\\u0061n\"]");
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.message.starts_with("interfaces entry `(?x) ^enp .*`"),
            "{}",
            f.message
        );
        assert_eq!(f.condition.as_deref(), Some(CONDITION));
        // The other refused entry, then the stranded Service.
        assert_eq!(f.related.len(), 2, "{:?}", f.related);
    }

    #[test]
    fn a_pattern_go_reads_differently_is_a_warning() {
        let found = findings("[\"\\\\<eth\"]");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Warning);
        assert!(found[0].related.is_empty());
    }

    #[test]
    fn real_patterns_and_placeholders_pass() {
        assert!(findings("[\"^eth[0-9]+\", \"^enp.*\", \"eno1\", \"${L2_IFACE}\"]").is_empty());
    }
}
