//! The Helm charts of an Argo CD ApplicationSet whose destination namespace its generators fill
//! in (`namespace: '{{.path.basename}}'`). The model reads only `list` elements; the layout
//! sees the repository, so it expands `git.directories`, `git.files` and `matrix` generators
//! too, and each chart lands in every namespace they give. A generator cilint cannot expand
//! (clusters, SCM providers, pull requests) leaves the template, which the Catalog matches
//! against namespaces, naming that generator.

use std::collections::HashMap;

use super::World;
use super::place::{ParameterSets, Walker};
use crate::load::FileContents;
use crate::model::Spec;
use crate::model::gitops::LayoutDoc;
use crate::model::helm::{HelmChart, render_template};
use crate::source::FileId;

/// One ApplicationSet with a templated destination: its name and what its generators give.
pub struct Expansion {
    name: Option<String>,
    sets: ParameterSets,
}

/// The ApplicationSets of each file whose destination namespace is a template.
pub type Expansions = HashMap<FileId, Vec<Expansion>>;

/// Expands the generators of every ApplicationSet with a templated destination namespace.
/// ApplicationSets are few: this reads only files that declare one.
pub fn expansions(walker: &Walker, contents: &[FileContents]) -> Expansions {
    let mut out = Expansions::new();
    for (i, c) in contents.iter().enumerate() {
        for l in &c.layout {
            let LayoutDoc::ApplicationSet(set) = l else {
                continue;
            };
            if !set
                .template_namespace
                .as_deref()
                .is_some_and(|n| n.contains("{{"))
            {
                continue;
            }
            out.entry(FileId(i as u32)).or_default().push(Expansion {
                name: set.name.clone(),
                sets: walker.parameter_sets(set),
            });
        }
    }
    out
}

/// Puts each templated chart of the ApplicationSets into the namespaces their generators give.
pub fn place_charts(worlds: &mut [World], expansions: &Expansions) {
    if expansions.is_empty() {
        return;
    }
    for world in worlds {
        for (id, c) in &mut world.contents {
            let Some(sets) = expansions.get(id) else {
                continue;
            };
            for i in 0..c.objects.len() {
                let o = &c.objects[i];
                if o.group() != "argoproj.io" || &*o.kind != "ApplicationSet" {
                    continue;
                }
                let Some(set) = sets.iter().find(|s| s.name.as_deref() == Some(&*o.name)) else {
                    continue;
                };
                // Only what changes is copied (the objects are shared: see SharedVec).
                if let Spec::HelmCharts(charts) = &mut c.objects[i].spec {
                    *charts = expand(charts, set).into();
                }
            }
        }
    }
}

/// The charts with each templated namespace filled in by every parameter set. The template
/// stays when some set cannot fill it (an unexpandable generator, a parameter cilint does not
/// know, a goTemplate function): the Catalog then matches it, never ignores it.
fn expand(charts: &[HelmChart], set: &Expansion) -> Vec<HelmChart> {
    let mut out: Vec<HelmChart> = Vec::new();
    let mut push = |c: HelmChart| {
        if !out.contains(&c) {
            out.push(c);
        }
    };
    for c in charts {
        let Some(pattern) = c.namespace.as_deref().filter(|n| n.contains("{{")) else {
            push(c.clone());
            continue;
        };
        let mut unfilled = set.sets.opaque;
        for p in &set.sets.params {
            match render_template(pattern, p) {
                Some(ns) => push(HelmChart {
                    namespace: Some(ns),
                    chart: c
                        .chart
                        .as_deref()
                        .map(|name| render_template(name, p).unwrap_or_else(|| name.into())),
                    ..c.clone()
                }),
                None => unfilled = true,
            }
        }
        if unfilled {
            push(HelmChart {
                unexpanded: set.sets.unexpandable.clone(),
                ..c.clone()
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::place::Params;

    fn chart(namespace: &str) -> HelmChart {
        HelmChart {
            chart: Some("{{.chart}}".into()),
            namespace: Some(namespace.into()),
            release: None,
            remote: false,
            unexpanded: None,
            from: None,
            values: None,
        }
    }

    fn expansion(params: Vec<Params>, unexpandable: Option<&str>, opaque: bool) -> Expansion {
        Expansion {
            name: None,
            sets: ParameterSets {
                params,
                unexpandable: unexpandable.map(str::to_string),
                opaque,
            },
        }
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_parameter_set_fills_the_namespace_and_the_chart() {
        let set = expansion(
            vec![
                params(&[("path.basename", "media"), ("chart", "jellyfin")]),
                params(&[("path.basename", "home"), ("chart", "home-assistant")]),
                params(&[("path.basename", "media"), ("chart", "jellyfin")]),
            ],
            None,
            false,
        );
        let out = expand(&[chart("{{.path.basename}}")], &set);
        let got: Vec<_> = out
            .iter()
            .map(|c| (c.namespace.as_deref(), c.chart.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (Some("media"), Some("jellyfin")),
                (Some("home"), Some("home-assistant"))
            ]
        );
    }

    #[test]
    fn what_cannot_be_filled_stays_the_template() {
        let set = expansion(
            vec![params(&[("path.basename", "media")])],
            Some("clusters"),
            true,
        );
        let out = expand(&[chart("{{.path.basename}}")], &set);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].namespace.as_deref(), Some("{{.path.basename}}"));
        assert_eq!(out[1].unexpanded.as_deref(), Some("clusters"));
        // A parameter no set has (a goTemplate pipeline) keeps the template too.
        let set = expansion(vec![params(&[("name", "x")])], None, false);
        let out = expand(&[chart("{{ .name | lower }}")], &set);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].namespace.as_deref(), Some("{{ .name | lower }}"));
        assert_eq!(out[0].unexpanded, None);
        // Half a matrix known: a namespace from the known half is filled in exactly.
        let set = expansion(
            vec![params(&[("path.basename", "media")])],
            Some("clusters"),
            false,
        );
        let out = expand(&[chart("{{.path.basename}}")], &set);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].namespace.as_deref(), Some("media"));
    }
}
