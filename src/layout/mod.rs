//! Stage 2b: where each loaded file is really deployed. kustomize, Flux and Argo CD decide the
//! namespace and name of what a file holds, and a repository may hold several clusters: this
//! stage turns loaded files into one set of placed objects per cluster ("world").

pub mod gitops;
pub mod place;
pub mod substitute;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::catalog::FileContents;
use crate::model::{Object, Origin, Spec, text};
use crate::source::{FileId, Location, SourceFile};
use gitops::LayoutDoc;
use place::{ConfigMaps, Context, FileSet, Placements, Tree, Walker, normalize};
use substitute::Vars;

/// One cluster's view of the repository: every object it deploys, placed.
pub struct World {
    /// The cluster's name; `None` when the repository is one cluster.
    pub name: Option<String>,
    pub contents: Vec<(FileId, FileContents)>,
}

/// A cluster declared in the configuration: its name and the paths that make it up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterSpec {
    pub name: String,
    pub paths: Vec<PathBuf>,
}

pub struct Input<'a> {
    pub sources: &'a [SourceFile],
    /// The repository root, where Flux and Argo CD paths start.
    pub root: &'a Path,
    pub default_namespace: &'a str,
    /// Clusters from the configuration; empty means detect `clusters/<name>/`.
    pub clusters: &'a [ClusterSpec],
}

/// The clusters of a repository.
pub struct Layout {
    pub worlds: Vec<World>,
    /// Files no cluster deploys (scripts and docs outside the clusters, manifests no entry point
    /// reaches): they are in every world, and belong to none.
    pub shared: std::collections::HashSet<FileId>,
}

/// Places every file of the repository (`contents`, by FileId) in the clusters that deploy it.
/// `reparse` loads a file again with Flux variables substituted.
pub fn worlds(
    input: &Input,
    contents: Vec<FileContents>,
    reparse: &(dyn Fn(FileId, &Vars) -> FileContents + Sync),
) -> Layout {
    let tree = Tree::new(input.sources, &contents, input.root);
    let mut config_maps = ConfigMaps::new();
    for c in &contents {
        for l in &c.layout {
            match l {
                LayoutDoc::ConfigMap {
                    namespace,
                    name,
                    data,
                } => config_maps
                    .entry(name.as_str())
                    .or_default()
                    .push((namespace.as_deref(), data.as_slice())),
                LayoutDoc::Kustomization(k) => {
                    for (name, literals) in &k.config_map_literals {
                        config_maps
                            .entry(name.as_str())
                            .or_default()
                            .push((k.namespace.as_deref(), literals.as_slice()));
                    }
                }
                _ => {}
            }
        }
    }
    let walker = Walker {
        tree: &tree,
        config_maps: &config_maps,
        default_namespace: input.default_namespace,
    };

    let clusters: Vec<(Option<String>, Vec<PathBuf>)> = if !input.clusters.is_empty() {
        input
            .clusters
            .iter()
            .map(|c| {
                (
                    Some(c.name.clone()),
                    c.paths.iter().map(|p| normalize(p)).collect(),
                )
            })
            .collect()
    } else {
        let found = detect_clusters(input.sources, &contents, &normalize(input.root));
        if found.len() > 1 {
            found
                .into_iter()
                .map(|(name, dir)| (Some(name), vec![dir]))
                .collect()
        } else {
            vec![(None, Vec::new())]
        }
    };

    let top = Arc::new(Context::default());
    let mut placements: Vec<Placements> = Vec::new();
    for (_, paths) in &clusters {
        let mut p = Placements::default();
        if paths.is_empty() {
            // One cluster: follow every entry point in the tree.
            for (i, c) in contents.iter().enumerate() {
                let entry = c.layout.iter().any(|l| {
                    matches!(
                        l,
                        LayoutDoc::Flux(_)
                            | LayoutDoc::Application(_)
                            | LayoutDoc::ApplicationSet(_)
                    )
                });
                if entry {
                    walker.file(&mut p, FileId(i as u32), &top);
                }
            }
        } else {
            for dir in paths {
                walker.dir(&mut p, dir, &top);
                // Scripts and docs in a cluster's directory belong to that cluster.
                walker.scripts(&mut p, dir);
            }
        }
        placements.push(p);
    }

    // What no entry point deploys is applied as it is (kubectl apply -f, or a kustomization
    // built on its own), in every cluster.
    let reached: FileSet = placements.iter().flat_map(|p| p.reached()).collect();
    let mut rest = Placements::default();
    walker.unreached(&mut rest, &reached);
    let shared = rest.reached().collect();
    if let Some((last, others)) = placements.split_last_mut() {
        for p in others {
            p.entries.extend(rest.entries.iter().cloned());
        }
        last.entries.append(&mut rest.entries);
    }

    drop(tree);
    // Each file's contents move into the last world entry that uses them; earlier ones clone.
    let mut uses_left = vec![0usize; contents.len()];
    for p in &placements {
        for (id, _) in &p.entries {
            uses_left[id.0 as usize] += 1;
        }
    }
    let mut slots: Vec<Option<FileContents>> = contents.into_iter().map(Some).collect();
    let worlds = clusters
        .into_iter()
        .zip(placements)
        .map(|((name, _), p)| World {
            name,
            contents: place_contents(input, &mut slots, &mut uses_left, &p, reparse),
        })
        .collect();
    Layout { worlds, shared }
}

/// `clusters/<name>/` directories that hold a Flux or Argo CD entry point.
fn detect_clusters(
    sources: &[SourceFile],
    contents: &[FileContents],
    root: &Path,
) -> Vec<(String, PathBuf)> {
    let mut found = BTreeMap::new();
    for (s, c) in sources.iter().zip(contents) {
        let entry = c.layout.iter().any(|l| {
            matches!(
                l,
                LayoutDoc::Flux(_) | LayoutDoc::Application(_) | LayoutDoc::ApplicationSet(_)
            )
        });
        if !entry {
            continue;
        }
        let path = normalize(Path::new(&s.path));
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let parts: Vec<&str> = rel.iter().filter_map(|p| p.to_str()).collect();
        // `…/clusters/<name>/<more>`: the name must be a directory, not the file itself.
        if let Some(i) = parts.iter().position(|p| *p == "clusters")
            && i + 2 < parts.len()
        {
            let dir: PathBuf = root.join(parts[..=i + 1].iter().collect::<PathBuf>());
            found.insert(parts[i + 1].to_string(), dir);
        }
    }
    found.into_iter().collect()
}

/// The objects of a world's placements: each file's objects as its context deploys them, and
/// the ConfigMaps and Secrets kustomize generators make.
fn place_contents(
    input: &Input,
    slots: &mut [Option<FileContents>],
    uses_left: &mut [usize],
    p: &Placements,
    reparse: &(dyn Fn(FileId, &Vars) -> FileContents + Sync),
) -> Vec<(FileId, FileContents)> {
    // How many times this world places each file.
    let mut in_world = vec![0usize; slots.len()];
    for (id, _) in &p.entries {
        in_world[id.0 as usize] += 1;
    }
    // A file this world places once and no later world places is moved, not cloned.
    let entries: Vec<(FileId, &Context, Option<FileContents>)> = p
        .entries
        .iter()
        .map(|(id, ctx)| {
            let i = id.0 as usize;
            let owned = (in_world[i] == 1 && uses_left[i] == 1)
                .then(|| slots[i].take())
                .flatten();
            (*id, &**ctx, owned)
        })
        .collect();
    for (left, n) in uses_left.iter_mut().zip(in_world) {
        *left -= n;
    }
    let slots: &[Option<FileContents>] = slots;
    let mut placed: Vec<(FileId, FileContents)> = entries
        .into_par_iter()
        .map(|(id, ctx, owned)| {
            let i = id.0 as usize;
            let base = owned.as_ref().or(slots[i].as_ref());
            let made = generated(
                id,
                base.expect("a file's contents"),
                ctx,
                input.default_namespace,
            );
            let substituted = ctx
                .vars
                .as_ref()
                .filter(|_| input.sources[i].text.contains("${"));
            let mut c = match (substituted, owned) {
                (Some(vars), _) => reparse(id, vars),
                (None, Some(owned)) => owned,
                (None, None) => slots[i].clone().expect("a file's contents"),
            };
            for o in &mut c.objects {
                ctx.apply(o);
            }
            c.objects.extend(made);
            (id, c)
        })
        .collect();
    // A file placed twice in one world (a base included by two overlays) carries its commands,
    // suppressions and errors once.
    let mut seen = FileSet::default();
    for (id, c) in &mut placed {
        if !seen.insert(*id) {
            c.commands.clear();
            c.suppressions.clear();
            c.yaml_error = None;
            c.skipped_documents = 0;
        }
    }
    placed
}

/// The ConfigMaps and Secrets a kustomization file's generators make, in its context.
fn generated(
    id: FileId,
    contents: &FileContents,
    ctx: &Context,
    default_namespace: &str,
) -> Vec<Object> {
    let mut out = Vec::new();
    for l in &contents.layout {
        let LayoutDoc::Kustomization(k) = l else {
            continue;
        };
        let made = k
            .config_maps
            .iter()
            .map(|n| (n, "ConfigMap"))
            .chain(k.secrets.iter().map(|n| (n, "Secret")));
        for (name, kind) in made {
            let mut o = Object {
                api_version: "v1".into(),
                kind: kind.into(),
                name: name.value.clone(),
                // Without a namespace from its kustomization (or an outer one) the object
                // lands in the run's namespace.
                namespace: Some(text(default_namespace)),
                namespace_defaulted: true,
                labels: Box::default(),
                annotations: Box::default(),
                origin: Origin::Generator,
                location: Some(Location {
                    file: id,
                    span: name.span,
                }),
                name_span: name.span,
                labels_span: None,
                spec: if kind == "Secret" {
                    Spec::Secret(Box::default())
                } else {
                    Spec::Other
                },
            };
            ctx.apply(&mut o);
            out.push(o);
        }
    }
    out
}
