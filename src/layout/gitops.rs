//! What GitOps tools declare about where manifests go: kustomization files, Flux
//! Kustomizations, Argo CD Applications and ApplicationSets. Read from each document while its
//! file loads, whether or not it has `apiVersion`/`kind` (kustomization files often have neither).

use crate::model::{Spanned, Text, non_empty_string};
use crate::source::yaml::Node;

/// A `kustomization.yaml`.
#[derive(Clone, Debug, Default)]
pub struct Kustomization {
    pub namespace: Option<String>,
    pub name_prefix: String,
    pub name_suffix: String,
    /// `resources`, `bases` and `components`: files or directories, relative to the file.
    pub resources: Vec<String>,
    /// Files used as patches, not resources.
    pub patches: Vec<String>,
    pub config_maps: Vec<Spanned<Text>>,
    /// The `literals` of each `configMapGenerator`, by name: Flux may substitute from them.
    pub config_map_literals: Vec<(String, Vec<(String, String)>)>,
    pub secrets: Vec<Spanned<Text>>,
    /// It runs plugins (`generators`, `transformers`, `validators`: ksops and the like), which
    /// may read any file beside it, listed or not.
    pub plugins: bool,
}

/// A Flux `Kustomization` (kustomize.toolkit.fluxcd.io).
#[derive(Clone, Debug, Default)]
pub struct FluxKustomization {
    pub path: String,
    pub target_namespace: Option<String>,
    pub substitute: Vec<(String, String)>,
    /// `(kind, name)` of `postBuild.substituteFrom` entries.
    pub substitute_from: Vec<(String, String)>,
    /// The Kustomization's own namespace, where substituteFrom objects live.
    pub namespace: Option<String>,
}

/// Where an Argo CD Application takes manifests from.
#[derive(Clone, Debug, Default)]
pub struct ArgoApplication {
    /// `source.path` / `sources[].path` of sources that are directories of this repository.
    pub paths: Vec<String>,
    pub destination_namespace: Option<String>,
}

/// An Argo CD ApplicationSet: its template with `{{…}}` parameters and the parameter sets its
/// generators produce.
#[derive(Clone, Debug, Default)]
pub struct ArgoApplicationSet {
    pub template_paths: Vec<String>,
    pub template_namespace: Option<String>,
    pub generators: Vec<Generator>,
}

#[derive(Clone, Debug)]
pub enum Generator {
    /// `git.directories`: globs over directories of the repository (`exclude` ones removed).
    GitDirectories {
        include: Vec<String>,
        exclude: Vec<String>,
    },
    /// `list.elements`: explicit parameter sets.
    List(Vec<Vec<(String, String)>>),
}

#[derive(Clone, Debug)]
pub enum LayoutDoc {
    Kustomization(Kustomization),
    Flux(FluxKustomization),
    Application(ArgoApplication),
    ApplicationSet(ArgoApplicationSet),
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

/// The layout a document declares, if any. `kustomization_file` says the document is in a
/// kustomization file.
pub fn read(doc: Node<'_>, kustomization_file: bool) -> Option<LayoutDoc> {
    let api_version = doc.get("apiVersion").and_then(Node::as_str).unwrap_or("");
    let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    match (group, kind) {
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => Some(LayoutDoc::Flux(flux(doc))),
        ("argoproj.io", "Application") => doc
            .get("spec")
            .map(|s| LayoutDoc::Application(application(s))),
        ("argoproj.io", "ApplicationSet") => doc
            .get("spec")
            .map(|s| LayoutDoc::ApplicationSet(application_set(s))),
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
    resources.extend(strings(doc.get("components")));
    let mut patches = strings(doc.get("patchesStrategicMerge"));
    for key in ["patches", "patchesJson6902"] {
        for p in doc.get(key).map(Node::as_seq).unwrap_or_default() {
            if let Some(path) = non_empty_string(p.get("path")) {
                patches.push(path);
            }
        }
    }
    let generated = |key: &str| -> Vec<Spanned<Text>> {
        doc.get(key)
            .map(Node::as_seq)
            .unwrap_or_default()
            .filter_map(|g| g.get("name").and_then(Spanned::from_str_node))
            .collect()
    };
    Kustomization {
        namespace: non_empty_string(doc.get("namespace")),
        name_prefix: non_empty_string(doc.get("namePrefix")).unwrap_or_default(),
        name_suffix: non_empty_string(doc.get("nameSuffix")).unwrap_or_default(),
        resources,
        patches,
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
        secrets: generated("secretGenerator"),
        plugins: ["generators", "transformers", "validators"]
            .iter()
            .any(|key| doc.get(key).is_some_and(|v| v.as_seq().next().is_some())),
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
            .filter_map(|r| {
                Some((
                    non_empty_string(r.get("kind"))?,
                    non_empty_string(r.get("name"))?,
                ))
            })
            .collect(),
        namespace: non_empty_string(doc.at(&["metadata", "namespace"])),
    }
}

fn sources(spec: Node<'_>) -> Vec<Node<'_>> {
    let mut out: Vec<Node<'_>> = spec.get("source").into_iter().collect();
    out.extend(spec.get("sources").map(Node::as_seq).unwrap_or_default());
    out
}

fn application(spec: Node<'_>) -> ArgoApplication {
    ArgoApplication {
        // A source with `chart` is a chart from a Helm repository, not a path of this one.
        paths: sources(spec)
            .into_iter()
            .filter(|s| s.get("chart").is_none())
            .filter_map(|s| non_empty_string(s.get("path")))
            .collect(),
        destination_namespace: non_empty_string(spec.at(&["destination", "namespace"])),
    }
}

fn application_set(spec: Node<'_>) -> ArgoApplicationSet {
    let template = spec.at(&["template", "spec"]);
    let generators = spec
        .get("generators")
        .map(Node::as_seq)
        .unwrap_or_default()
        .filter_map(|g| {
            if let Some(git) = g.get("git") {
                let (mut include, mut exclude) = (Vec::new(), Vec::new());
                for d in git.get("directories").map(Node::as_seq).unwrap_or_default() {
                    let Some(path) = non_empty_string(d.get("path")) else {
                        continue;
                    };
                    if d.get("exclude").and_then(Node::as_bool) == Some(true) {
                        exclude.push(path);
                    } else {
                        include.push(path);
                    }
                }
                return Some(Generator::GitDirectories { include, exclude });
            }
            let elements = g.at(&["list", "elements"])?;
            Some(Generator::List(
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
            ))
        })
        .collect();
    let app = template.map(application).unwrap_or_default();
    ArgoApplicationSet {
        template_paths: app.paths,
        template_namespace: app.destination_namespace,
        generators,
    }
}
