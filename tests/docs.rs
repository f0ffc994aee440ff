//! Documentation stays in sync with the registry: every rule has its page with the fixed
//! sections, every page has a rule, and the README's rule table lists exactly the rules.

use std::collections::BTreeSet;

use cilint::rules::RULES;

const SECTIONS: [&str; 5] = [
    "## What it does",
    "## Why it matters",
    "## Example",
    "## Fix",
    "## References",
];

#[test]
fn every_rule_has_a_page_with_the_fixed_sections() {
    for rule in RULES {
        let id = rule.meta.id;
        let page = std::fs::read_to_string(format!("rules/{id}.md"))
            .unwrap_or_else(|_| panic!("rules/{id}.md is missing"));
        assert!(
            page.starts_with(&format!("# {id}\n")),
            "rules/{id}.md title"
        );
        let mut last = 0;
        for section in SECTIONS {
            let at = page
                .find(&format!("\n{section}\n"))
                .unwrap_or_else(|| panic!("rules/{id}.md lacks `{section}`"));
            assert!(at > last, "rules/{id}.md: `{section}` is out of order");
            last = at;
        }
        assert_eq!(
            cilint::rules::doc(id),
            Some(page.as_str()),
            "{id}: compiled page"
        );
    }
}

#[test]
fn every_page_has_a_rule() {
    let ids: BTreeSet<&str> = RULES.iter().map(|r| r.meta.id).collect();
    for entry in std::fs::read_dir("rules").unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let id = name.strip_suffix(".md").expect("only .md files in rules/");
        assert!(
            ids.contains(id),
            "rules/{name} documents no registered rule"
        );
    }
}

#[test]
fn readme_rule_table_matches_the_registry() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let rows: Vec<String> = readme
        .lines()
        .filter(|l| l.starts_with("| [`"))
        .map(str::to_string)
        .collect();
    let expected: Vec<String> = RULES
        .iter()
        .map(|r| {
            let m = r.meta;
            format!(
                "| [`{id}`](rules/{id}.md) | {} | {} | {} |",
                m.category.as_str(),
                m.severity.as_str(),
                m.summary,
                id = m.id
            )
        })
        .collect();
    assert_eq!(
        rows,
        expected,
        "README.md's rule table is out of date; it should read:\n{}",
        expected.join("\n")
    );
}

/// The README's `--format` row lists exactly the formats the command line offers.
#[test]
fn readme_lists_every_output_format() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_cilint"))
        .arg("-h")
        .output()
        .expect("cilint runs");
    let help = String::from_utf8(help.stdout).unwrap();
    let offered = help
        .lines()
        .find(|l| l.trim_start().starts_with("--format"))
        .and_then(|l| l.split_once("[possible values: "))
        .map(|(_, v)| v.trim_end_matches(']').replace(", ", "|"))
        .expect("--format lists its values");
    let readme = std::fs::read_to_string("README.md").unwrap();
    let row = format!("| `--format {}` |", offered.replace('|', "\\|"));
    assert!(readme.contains(&row), "README.md should have the row {row}");
}

/// The rules of the address path (issue 18) each draw the path on their page, the same picture
/// everywhere, and say which link they check.
#[test]
fn address_path_rules_draw_the_chain() {
    const ADDRESS_PATH: &[&str] = &[
        "bgp-advertisement-unreached",
        "bgp-peer-config-advertises-nothing",
        "bgp-peer-config-not-found",
        "cilium-api-version-unserved",
        "gateway-annotations-not-propagated",
        "gateway-generated-object-conflict",
        "gateway-labels-not-propagated",
        "ip-pool-invalid",
        "l2-external-traffic-local",
        "l2-policy-announces-nothing",
        "l2-policy-interface-invalid",
        "selector-invalid",
        "selector-matches-nothing",
        "service-ip-conflict",
        "service-ip-not-in-pool",
        "service-ip-pool-missing",
        "service-not-advertised",
        "service-pools-ambiguous",
    ];
    let chain = |id: &str| -> (String, String) {
        let page = std::fs::read_to_string(format!("rules/{id}.md")).unwrap();
        let section = page
            .split_once("\n## The chain\n")
            .unwrap_or_else(|| panic!("rules/{id}.md lacks `## The chain`"))
            .1;
        let section = section.split("\n## ").next().unwrap();
        let picture = section
            .split("```")
            .nth(1)
            .unwrap_or_else(|| panic!("rules/{id}.md: the chain has no picture"));
        let checks = section
            .lines()
            .find(|l| l.starts_with("This rule checks link"))
            .unwrap_or_else(|| panic!("rules/{id}.md: the chain says no link"));
        (picture.to_string(), checks.to_string())
    };
    let (first, _) = chain(ADDRESS_PATH[0]);
    for id in ADDRESS_PATH {
        let (picture, _) = chain(id);
        assert_eq!(picture, first, "rules/{id}.md draws another chain");
    }
}
