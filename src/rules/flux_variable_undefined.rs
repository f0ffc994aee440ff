//! flux-variable-undefined: a `${VAR}` in a file a Flux Kustomization deploys that none of its
//! `postBuild` sources defines; Flux replaces it with an empty string.

use std::collections::BTreeMap;

use super::{Category, Facts, Rule, RuleMeta};
use crate::diagnostic::{Finding, Severity};
use crate::load::substitute::{FluxRef, Undefined};
use crate::model::suggest::closest;
use crate::source::{FileId, Location, Pos};

pub static META: RuleMeta = RuleMeta {
    id: "flux-variable-undefined",
    severity: Severity::Warning,
    category: Category::Kubernetes,
    summary: "a Flux `${VAR}` without a default that no `postBuild` source of its Kustomization defines; Flux substitutes an empty string",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    // One finding per variable, naming every Kustomization that leaves it undefined (a file two
    // Kustomizations deploy is one place to fix).
    let mut by_place: BTreeMap<(FileId, Pos, &str), Vec<&Undefined>> = BTreeMap::new();
    for (file, u) in catalog.undefined_variables() {
        by_place
            .entry((*file, u.span.start, u.name.as_str()))
            .or_default()
            .push(u);
    }
    for ((file, _, _), mut uses) in by_place {
        uses.sort_by(|a, b| a.kustomization.cmp(&b.kustomization));
        uses.dedup_by(|a, b| a.kustomization == b.kustomization);
        out.push(undefined(file, &uses));
    }
}

fn undefined(file: FileId, uses: &[&Undefined]) -> Finding {
    let first = uses[0];
    let name = &first.name;
    let kustomizations: Vec<&FluxRef> = uses.iter().map(|u| &u.kustomization).collect();
    let names: Vec<&str> = kustomizations.iter().map(|k| k.name.as_str()).collect();
    let which = match names.as_slice() {
        [one] => format!("Flux Kustomization {one}"),
        many => format!("Flux Kustomizations {}", many.join(", ")),
    };
    let location = Location {
        file,
        span: first.span,
    };
    let guess = closest(
        name,
        uses.iter()
            .flat_map(|u| u.defined.defined.iter().map(String::as_str)),
    );
    let mut finding = Finding::new(
        &META,
        location,
        format!(
            "`${{{name}}}` is defined by no `postBuild` source of {which}: Flux replaces it with \
             an empty string"
        ),
    )
    .label("defined by nothing")
    .field(format!("${{{name}}}"))
    .help(help(name, guess));
    if let Some(o) = &first.object {
        finding.object = Some(o.clone());
    }
    for k in kustomizations {
        finding = finding.related(
            Some(k.location),
            format!(
                "Flux Kustomization {} deploys this file; its `substitute` and `substituteFrom` \
                 ConfigMaps define no `{name}`",
                k.name
            ),
        );
    }
    finding
}

fn help(name: &str, guess: Option<&str>) -> String {
    let fix = format!(
        "define `{name}` in the Kustomization's `postBuild.substitute` or in a ConfigMap of its \
         `substituteFrom`, give it a default (`${{{name}:=value}}`), or write `$${{{name}}}` to \
         keep `${{{name}}}` as it is"
    );
    match guess {
        Some(g) => format!("did you mean `${{{g}}}`? {fix}"),
        None => fix,
    }
}
