//! What GitOps tools declare about where manifests go: kustomization files, Flux
//! Kustomizations, Argo CD Applications and ApplicationSets. Read from each document while its
//! file loads, whether or not it has `apiVersion`/`kind` (kustomization files often have neither).

use super::replacement::Replacement;
use crate::model::{Spanned, Text, non_empty_string};
use crate::source::Span;
use crate::source::yaml::Node;

/// A `kustomization.yaml` (or a `kind: Component` one).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Kustomization {
    /// `kind: Component`: a template whose objects exist only where a kustomization includes it.
    pub component: bool,
    pub namespace: Option<String>,
    pub name_prefix: String,
    pub name_suffix: String,
    /// `resources` and `bases`: files or directories, relative to the file.
    pub resources: Vec<String>,
    /// `components`: directories holding a `kind: Component` kustomization.
    pub components: Vec<String>,
    /// `patchesStrategicMerge`, `patches` and `patchesJson6902`, in the order kustomize applies
    /// them.
    pub patches: Vec<PatchSpec>,
    /// Files kustomize reads as data, relative to the file: generator `files`/`envs`, Helm values
    /// files, transformer configurations, patch files.
    pub data: Vec<String>,
    /// Whether it adds labels or annotations (`commonLabels`, `labels`, `commonAnnotations`) that
    /// an outer patch's label or annotation selector might see.
    pub sets_metadata: bool,
    /// The labels it adds: `commonLabels`, then each `labels` entry.
    pub label_sets: Vec<LabelSet>,
    pub config_maps: Vec<Spanned<Text>>,
    /// The `literals` of each `configMapGenerator`, by name: Flux may substitute from them.
    pub config_map_literals: Vec<(String, Vec<(String, String)>)>,
    /// The `configMapGenerator`s that also read `envs` or `files`: keys cilint does not see.
    pub config_maps_from_files: Vec<String>,
    pub secrets: Vec<Spanned<Text>>,
    /// It runs plugins (`generators`, `transformers`, `validators`: ksops and the like), which
    /// may read any file beside it, listed or not.
    pub plugins: bool,
    /// `replacements` written inline.
    pub replacements: Vec<Replacement>,
    /// `replacements` read from files (`- path: …`), relative to the file.
    pub replacement_files: Vec<String>,
}

/// Labels a kustomization adds to every object's `metadata.labels`, and where it also adds
/// them: `commonLabels` adds them to selectors and pod templates; a `labels` entry only with
/// `includeSelectors: true` (selectors and templates) or `includeTemplates: true` (templates).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LabelSet {
    pub pairs: Vec<(String, String)>,
    pub selectors: bool,
    pub templates: bool,
}

/// `commonLabels` and `labels` as kustomize reads them.
fn label_sets(doc: Node<'_>) -> Vec<LabelSet> {
    let pairs = |n: Option<Node<'_>>| -> Vec<(String, String)> {
        n.map(Node::as_map)
            .unwrap_or_default()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
            .collect()
    };
    let mut sets = Vec::new();
    let common = pairs(doc.get("commonLabels"));
    if !common.is_empty() {
        sets.push(LabelSet {
            pairs: common,
            selectors: true,
            templates: true,
        });
    }
    for l in doc.get("labels").map(Node::as_seq).unwrap_or_default() {
        let flag = |key: &str| l.get(key).and_then(Node::as_bool).unwrap_or(false);
        let selectors = flag("includeSelectors");
        let set = LabelSet {
            pairs: pairs(l.get("pairs")),
            selectors,
            templates: selectors || flag("includeTemplates"),
        };
        if !set.pairs.is_empty() {
            sets.push(set);
        }
    }
    sets
}

/// Which kustomization field a patch is listed in: it decides when kustomize applies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchField {
    /// `patchesStrategicMerge`: before the namespace and name transformers.
    StrategicMerge,
    /// `patches`: a strategic-merge or a JSON 6902 patch, by its content; before them too.
    Patches,
    /// `patchesJson6902`: after the namespace and name transformers.
    Json6902,
}

/// Where a patch's text is.
#[derive(Clone, Debug, PartialEq)]
pub enum PatchSource {
    /// A file, relative to the kustomization.
    File(String),
    /// Written in the kustomization file itself, with the span of the string.
    Inline { text: String, span: Span },
    /// Neither (kustomize refuses the kustomization).
    Missing,
}

/// kustomize's patch `target` selector. `name` and `namespace` (and the GVK fields) are
/// regular expressions matched whole; the selectors are label-selector strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    pub group: Option<String>,
    pub version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    pub annotation_selector: Option<String>,
}

/// One patch of a kustomization, as written.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchSpec {
    pub field: PatchField,
    pub source: PatchSource,
    pub target: Option<Target>,
    /// `options.allowNameChange` / `options.allowKindChange`.
    pub allow_name_change: bool,
    pub allow_kind_change: bool,
    /// Span of the entry in the kustomization file.
    pub span: Span,
}

/// A Flux `Kustomization` (kustomize.toolkit.fluxcd.io).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FluxKustomization {
    pub path: String,
    pub target_namespace: Option<String>,
    pub substitute: Vec<(String, String)>,
    /// `(kind, name)` of `postBuild.substituteFrom` entries (empty when not written).
    pub substitute_from: Vec<(String, String)>,
    /// The Kustomization's own namespace, where substituteFrom objects live.
    pub namespace: Option<String>,
    /// Its `metadata.name`, where it is written.
    pub name: Option<Spanned<String>>,
    /// `spec.patches`, `spec.components` or `spec.commonMetadata`: Flux edits what it deploys
    /// (its child Kustomizations' `postBuild` too) in ways cilint does not follow.
    pub edits: bool,
}

/// Where an Argo CD Application takes manifests from.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ArgoApplication {
    /// `source.path` / `sources[].path` of sources that are directories of this repository.
    pub paths: Vec<String>,
    pub destination_namespace: Option<String>,
    /// Helm `valueFiles` of its sources, relative to the repository root.
    pub value_files: Vec<String>,
}

/// An Argo CD ApplicationSet: its template with `{{…}}` parameters and the parameter sets its
/// generators produce.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ArgoApplicationSet {
    /// `metadata.name`, to find the object again.
    pub name: Option<String>,
    pub template_paths: Vec<String>,
    pub template_namespace: Option<String>,
    pub generators: Vec<Generator>,
    /// The template's Helm `valueFiles` that no generator fills in, relative to the repository.
    pub value_files: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Generator {
    /// `git.directories`: globs over directories of the repository (`exclude` ones removed).
    GitDirectories {
        include: Vec<String>,
        exclude: Vec<String>,
    },
    /// `list.elements`: explicit parameter sets.
    List(Vec<Vec<(String, String)>>),
    /// `git.files`: JSON or YAML files of the repository matching the globs (`exclude` ones
    /// removed), each a parameter set of its flattened keys and its path.
    GitFiles {
        include: Vec<String>,
        exclude: Vec<String>,
    },
    /// `matrix`: every combination of its two generators' parameter sets. One of them may be
    /// unexpandable: the other's sets are then known in part.
    Matrix(Vec<Generator>),
    /// A generator whose parameters come from outside the repository (`clusters`,
    /// `scmProvider`, `pullRequest`, `clusterDecisionResource`, `plugin`, `merge`, or a matrix
    /// that does not combine two generators): its key, for messages.
    Unexpandable(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum LayoutDoc {
    Kustomization(Kustomization),
    Flux(FluxKustomization),
    Application(ArgoApplication),
    ApplicationSet(ArgoApplicationSet),
    /// A Flux `HelmRelease`'s `valuesFiles`, relative to the repository root (the chart's
    /// GitRepository is assumed to be this repository; other paths match no file).
    ValuesFiles(Vec<String>),
    /// A ConfigMap's data, for Flux `substituteFrom` (Secrets are never read).
    ConfigMap {
        namespace: Option<String>,
        name: String,
        data: Vec<(String, String)>,
    },
}

/// Whether a file is a kustomization file, by its name.
pub fn is_kustomization_file(path: &str) -> bool {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    matches!(
        name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

fn strings(node: Option<Node<'_>>) -> Vec<String> {
    node.map(Node::as_seq)
        .unwrap_or_default()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}

/// The globs of `git.directories` or `git.files` entries, included and excluded.
fn git_globs(entries: Option<Node<'_>>) -> (Vec<String>, Vec<String>) {
    let (mut include, mut exclude) = (Vec::new(), Vec::new());
    for d in entries.map(Node::as_seq).unwrap_or_default() {
        let Some(path) = non_empty_string(d.get("path")) else {
            continue;
        };
        if d.get("exclude").and_then(Node::as_bool) == Some(true) {
            exclude.push(path);
        } else {
            include.push(path);
        }
    }
    (include, exclude)
}

/// One ApplicationSet generator; `None` for an entry that is no generator.
fn generator(g: Node<'_>) -> Option<Generator> {
    if let Some(git) = g.get("git") {
        if git.get("files").is_some() {
            let (include, exclude) = git_globs(git.get("files"));
            return Some(Generator::GitFiles { include, exclude });
        }
        let (include, exclude) = git_globs(git.get("directories"));
        return Some(Generator::GitDirectories { include, exclude });
    }
    if let Some(elements) = g.at(&["list", "elements"]) {
        return Some(Generator::List(
            elements
                .as_seq()
                .map(|e| {
                    e.as_map()
                        .filter_map(|(k, v)| {
                            Some((k.as_str()?.to_string(), v.as_str()?.to_string()))
                        })
                        .collect()
                })
                .collect(),
        ));
    }
    if let Some(matrix) = g.get("matrix") {
        let inner: Vec<Option<Generator>> = matrix
            .get("generators")
            .map(Node::as_seq)
            .unwrap_or_default()
            .map(generator)
            .collect();
        // Argo CD combines exactly two generators.
        return Some(if inner.len() == 2 && inner.iter().all(Option::is_some) {
            Generator::Matrix(inner.into_iter().flatten().collect())
        } else {
            Generator::Unexpandable("matrix".into())
        });
    }
    // `selector` narrows any generator's parameter sets: it is not the generator.
    let key = g
        .as_map()
        .filter_map(|(k, _)| k.as_str())
        .find(|k| *k != "selector")?;
    Some(Generator::Unexpandable(key.to_string()))
}

/// The layout a document declares, if any. `kustomization_file` says the document is in a
/// kustomization file.
pub fn read(doc: Node<'_>, kustomization_file: bool) -> Option<LayoutDoc> {
    let api_version = doc.get("apiVersion").and_then(Node::as_str).unwrap_or("");
    let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    match (group, kind) {
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => Some(LayoutDoc::Flux(flux(doc))),
        ("helm.toolkit.fluxcd.io", "HelmRelease") => {
            let chart = doc.at(&["spec", "chart", "spec"]);
            let mut files = strings(chart.and_then(|c| c.get("valuesFiles")));
            files.extend(non_empty_string(chart.and_then(|c| c.get("valuesFile"))));
            (!files.is_empty()).then_some(LayoutDoc::ValuesFiles(files))
        }
        ("argoproj.io", "Application") => doc
            .get("spec")
            .map(|s| LayoutDoc::Application(application(s))),
        ("argoproj.io", "ApplicationSet") => doc.get("spec").map(|s| {
            LayoutDoc::ApplicationSet(ArgoApplicationSet {
                name: non_empty_string(doc.at(&["metadata", "name"])),
                ..application_set(s)
            })
        }),
        ("", "ConfigMap") => Some(LayoutDoc::ConfigMap {
            namespace: non_empty_string(doc.at(&["metadata", "namespace"])),
            name: non_empty_string(doc.at(&["metadata", "name"]))?,
            data: doc
                .get("data")
                .map(Node::as_map)
                .unwrap_or_default()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect(),
        }),
        _ if kustomization_file => Some(LayoutDoc::Kustomization(kustomization(doc))),
        _ => None,
    }
}

fn kustomization(doc: Node<'_>) -> Kustomization {
    let mut resources = strings(doc.get("resources"));
    resources.extend(strings(doc.get("bases")));
    let patches = patches(doc);
    let mut data: Vec<String> = patches
        .iter()
        .filter_map(|p| match &p.source {
            PatchSource::File(path) => Some(path.clone()),
            _ => None,
        })
        .collect();
    for key in ["configMapGenerator", "secretGenerator"] {
        for g in doc.get(key).map(Node::as_seq).unwrap_or_default() {
            // `files` entries are `path` or `key=path`.
            for f in strings(g.get("files")) {
                let path = f.split_once('=').map_or(f.as_str(), |(_, p)| p);
                data.push(path.to_string());
            }
            data.extend(strings(g.get("envs")));
            data.extend(non_empty_string(g.get("env")));
        }
    }
    for chart in doc.get("helmCharts").map(Node::as_seq).unwrap_or_default() {
        data.extend(non_empty_string(chart.get("valuesFile")));
        data.extend(strings(chart.get("additionalValuesFiles")));
    }
    // Configuration that kustomize reads, never applies.
    data.extend(strings(doc.get("configurations")));
    data.extend(strings(doc.get("crds")));
    data.extend(non_empty_string(doc.at(&["openapi", "path"])));
    for r in doc
        .get("replacements")
        .map(Node::as_seq)
        .unwrap_or_default()
    {
        data.extend(non_empty_string(r.get("path")));
    }
    for key in ["generators", "transformers", "validators"] {
        // Entries are plugin configuration files (or inline configuration).
        data.extend(
            strings(doc.get(key))
                .into_iter()
                .filter(|s| !s.contains('\n')),
        );
    }
    let generated = |key: &str| -> Vec<Spanned<Text>> {
        doc.get(key)
            .map(Node::as_seq)
            .unwrap_or_default()
            .filter_map(|g| g.get("name").and_then(Spanned::from_str_node))
            .collect()
    };
    let labels = doc
        .get("labels")
        .map(Node::as_seq)
        .unwrap_or_default()
        .any(|l| l.get("pairs").is_some_and(|p| p.as_map().len() > 0));
    let common = ["commonLabels", "commonAnnotations"]
        .iter()
        .any(|k| doc.get(k).is_some_and(|m| m.as_map().len() > 0));
    Kustomization {
        component: doc.get("kind").and_then(Node::as_str) == Some("Component"),
        namespace: non_empty_string(doc.get("namespace")),
        name_prefix: non_empty_string(doc.get("namePrefix")).unwrap_or_default(),
        name_suffix: non_empty_string(doc.get("nameSuffix")).unwrap_or_default(),
        resources,
        components: strings(doc.get("components")),
        patches,
        data,
        sets_metadata: labels || common,
        label_sets: label_sets(doc),
        config_maps: generated("configMapGenerator"),
        config_map_literals: doc
            .get("configMapGenerator")
            .map(Node::as_seq)
            .unwrap_or_default()
            .filter_map(|g| {
                let literals = strings(g.get("literals"))
                    .into_iter()
                    .filter_map(|l| {
                        let (k, v) = l.split_once('=')?;
                        Some((k.to_string(), v.to_string()))
                    })
                    .collect();
                Some((non_empty_string(g.get("name"))?, literals))
            })
            .collect(),
        config_maps_from_files: doc
            .get("configMapGenerator")
            .map(Node::as_seq)
            .unwrap_or_default()
            .filter(|g| ["envs", "env", "files"].iter().any(|k| g.get(k).is_some()))
            .filter_map(|g| non_empty_string(g.get("name")))
            .collect(),
        secrets: generated("secretGenerator"),
        plugins: ["generators", "transformers", "validators"]
            .iter()
            .any(|key| doc.get(key).is_some_and(|v| v.as_seq().next().is_some())),
        replacements: doc
            .get("replacements")
            .map(Node::as_seq)
            .unwrap_or_default()
            .filter(|r| r.get("path").is_none())
            .flat_map(Replacement::read_all)
            .collect(),
        replacement_files: doc
            .get("replacements")
            .map(Node::as_seq)
            .unwrap_or_default()
            .filter_map(|r| non_empty_string(r.get("path")))
            .collect(),
    }
}

/// The patches of a kustomization in the order kustomize runs them: `patchesStrategicMerge`,
/// then `patches`, then `patchesJson6902` (after the namespace and name transformers).
fn patches(doc: Node<'_>) -> Vec<PatchSpec> {
    let mut out = Vec::new();
    for entry in doc
        .get("patchesStrategicMerge")
        .map(Node::as_seq)
        .unwrap_or_default()
    {
        let Some(text) = entry.as_str() else {
            continue;
        };
        // kustomize reads an entry as patch content first, as a path failing that.
        let inline = text.contains('\n') || text.contains(": ");
        out.push(PatchSpec {
            field: PatchField::StrategicMerge,
            source: if inline {
                PatchSource::Inline {
                    text: text.to_string(),
                    span: entry.span(),
                }
            } else {
                PatchSource::File(text.to_string())
            },
            target: None,
            allow_name_change: false,
            allow_kind_change: false,
            span: entry.span(),
        });
    }
    for (key, field) in [
        ("patches", PatchField::Patches),
        ("patchesJson6902", PatchField::Json6902),
    ] {
        for entry in doc.get(key).map(Node::as_seq).unwrap_or_default() {
            let source = match (
                non_empty_string(entry.get("path")),
                entry.get("patch").filter(|p| p.as_str().is_some()),
            ) {
                (Some(path), None) => PatchSource::File(path),
                (None, Some(p)) => PatchSource::Inline {
                    text: p.as_str().unwrap_or_default().to_string(),
                    span: p.span(),
                },
                _ => PatchSource::Missing,
            };
            let option = |k: &str| entry.at(&["options", k]).and_then(Node::as_bool) == Some(true);
            out.push(PatchSpec {
                field,
                source,
                target: entry.get("target").filter(|t| t.is_map()).map(target),
                allow_name_change: option("allowNameChange"),
                allow_kind_change: option("allowKindChange"),
                span: entry.span(),
            });
        }
    }
    out
}

fn target(t: Node<'_>) -> Target {
    let field = |k: &str| non_empty_string(t.get(k));
    Target {
        group: field("group"),
        version: field("version"),
        kind: field("kind"),
        name: field("name"),
        namespace: field("namespace"),
        label_selector: field("labelSelector"),
        annotation_selector: field("annotationSelector"),
    }
}

fn flux(doc: Node<'_>) -> FluxKustomization {
    let spec = doc.get("spec");
    let post = spec.and_then(|s| s.get("postBuild"));
    FluxKustomization {
        path: non_empty_string(spec.and_then(|s| s.get("path"))).unwrap_or_else(|| "./".into()),
        target_namespace: non_empty_string(spec.and_then(|s| s.get("targetNamespace"))),
        substitute: post
            .and_then(|p| p.get("substitute"))
            .map(Node::as_map)
            .unwrap_or_default()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
            .collect(),
        substitute_from: post
            .and_then(|p| p.get("substituteFrom"))
            .map(Node::as_seq)
            .unwrap_or_default()
            .map(|r| {
                (
                    non_empty_string(r.get("kind")).unwrap_or_default(),
                    non_empty_string(r.get("name")).unwrap_or_default(),
                )
            })
            .collect(),
        namespace: non_empty_string(doc.at(&["metadata", "namespace"])),
        name: doc.at(&["metadata", "name"]).and_then(|n| {
            Some(Spanned {
                value: n.as_str()?.to_string(),
                span: n.span(),
            })
        }),
        edits: ["patches", "components"].iter().any(|k| {
            spec.and_then(|s| s.get(k))
                .is_some_and(|v| v.as_seq().next().is_some())
        }) || spec.and_then(|s| s.get("commonMetadata")).is_some(),
    }
}

fn sources(spec: Node<'_>) -> Vec<Node<'_>> {
    let mut out: Vec<Node<'_>> = spec.get("source").into_iter().collect();
    out.extend(spec.get("sources").map(Node::as_seq).unwrap_or_default());
    out
}

fn application(spec: Node<'_>) -> ArgoApplication {
    let mut value_files = Vec::new();
    for s in sources(spec) {
        let dir = non_empty_string(s.get("path")).unwrap_or_default();
        for file in strings(s.at(&["helm", "valueFiles"])) {
            // `$name/…` is relative to the root of the source whose `ref` is `name`: assumed to
            // be this repository (a path that is not in it matches no file).
            let path = match file.strip_prefix('$') {
                Some(rest) => rest.split_once('/').map_or("", |(_, p)| p).to_string(),
                None if dir.is_empty() => file,
                None => format!("{}/{file}", dir.trim_end_matches('/')),
            };
            value_files.push(path);
        }
    }
    ArgoApplication {
        // A source with `chart` is a chart from a Helm repository, not a path of this one.
        paths: sources(spec)
            .into_iter()
            .filter(|s| s.get("chart").is_none())
            .filter_map(|s| non_empty_string(s.get("path")))
            .collect(),
        destination_namespace: non_empty_string(spec.at(&["destination", "namespace"])),
        value_files,
    }
}

fn application_set(spec: Node<'_>) -> ArgoApplicationSet {
    let template = spec.at(&["template", "spec"]);
    let generators = spec
        .get("generators")
        .map(Node::as_seq)
        .unwrap_or_default()
        .filter_map(generator)
        .collect();
    let app = template.map(application).unwrap_or_default();
    ArgoApplicationSet {
        name: None,
        template_paths: app.paths,
        template_namespace: app.destination_namespace,
        generators,
        value_files: app
            .value_files
            .into_iter()
            .filter(|f| !f.contains("{{"))
            .collect(),
    }
}
