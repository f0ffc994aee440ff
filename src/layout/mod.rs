//! The place stage: where each loaded file is really deployed. kustomize, Flux and Argo CD
//! decide the namespace and name of what a file holds, and a repository may hold several
//! clusters: this stage turns loaded files into one set of placed objects per cluster ("world").

pub mod application_set;
pub mod patch;
pub mod place;
mod shadow;

pub use shadow::Shadow;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::config::ClusterSpec;
use crate::load::FileContents;
use crate::load::substitute::{self, Vars};
use crate::model::gitops::{self, LayoutDoc};
use crate::model::{Object, Origin, Spec, text};
use crate::source::yaml::build::Value;
use crate::source::yaml::{Edit, Node};
use crate::source::{FileId, FileKind, Location, SourceFile, Span};
use patch::{Outcome, PatchSet, Stage};
use place::{ConfigMaps, Context, FileSet, Placements, Tree, Walker, normalize};

/// One cluster's view of the repository: every object it deploys, placed.
pub struct World {
    /// The cluster's name; `None` when the repository is one cluster.
    pub name: Option<String>,
    pub contents: Vec<(FileId, FileContents)>,
    /// The objects of files beside a kustomization this world builds that it does not list.
    pub shadows: Vec<Shadow>,
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
    pub shared: HashSet<FileId>,
    /// Manifests no entry point deploys, in a repository that has entry points (Flux, Argo CD,
    /// kustomizations): their findings say so. Empty when the repository has none, as a folder
    /// of manifests applied with kubectl.
    pub undeployed: HashSet<FileId>,
    /// Where patched values were written: findings about them are pointed back there.
    pub positions: Positions,
    /// Files read as data (patches, generator files, Helm values files): not linted.
    pub data: DataFiles,
}

/// The files read as data, and what loading them found, which is no object of the tree.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct DataFiles {
    pub files: usize,
    pub objects: usize,
    pub skipped_documents: usize,
    /// Data files loading took for templates (an Alertmanager config's `{{ template … }}`):
    /// counted as data, not also as templates.
    pub templates: usize,
}

/// Parses a file's text again: Flux variables substituted, each document edited first.
pub type Parse<'a> =
    dyn Fn(FileId, Arc<str>, Option<&Vars>, Option<&Edit<'_>>) -> FileContents + Sync + 'a;

/// How layout loads a file again.
pub struct Reload<'a> {
    /// A file's text (read again if it was dropped after loading).
    pub text: &'a (dyn Fn(FileId) -> Option<Arc<str>> + Sync),
    pub parse: &'a Parse<'a>,
}

/// Places every file of the repository (`contents`, by FileId) in the clusters that deploy it.
pub fn worlds(input: &Input, contents: Vec<FileContents>, reload: &Reload) -> Layout {
    let tree = Tree::new(input.sources, &contents, input.root);
    let data = DataFiles {
        files: tree.data.len(),
        objects: tree
            .data
            .iter()
            .map(|f| contents[f.0 as usize].objects.len())
            .sum(),
        skipped_documents: tree
            .data
            .iter()
            .map(|f| contents[f.0 as usize].skipped_documents)
            .sum(),
        templates: tree
            .data
            .iter()
            .filter(|f| contents[f.0 as usize].template)
            .count(),
    };
    let patches = patch_sets(&tree, reload);
    let mut config_maps = ConfigMaps::new();
    for c in &contents {
        for l in &c.layout {
            match l {
                LayoutDoc::ConfigMap {
                    namespace,
                    name,
                    data,
                } => config_maps.entry(name.as_str()).or_default().push((
                    namespace.as_deref(),
                    data.as_slice(),
                    true,
                )),
                LayoutDoc::Kustomization(k) => {
                    for (name, literals) in &k.config_map_literals {
                        let complete = !k.config_maps_from_files.contains(name);
                        config_maps.entry(name.as_str()).or_default().push((
                            k.namespace.as_deref(),
                            literals.as_slice(),
                            complete,
                        ));
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
        text: reload.text,
    };
    let set_expansions = application_set::expansions(&walker, &contents);

    // The clusters and what each deploys.
    let configured: Vec<(Option<String>, Vec<PathBuf>)> = input
        .clusters
        .iter()
        .map(|c| {
            (
                Some(c.name.clone()),
                c.paths.iter().map(|p| normalize(p)).collect(),
            )
        })
        .collect();
    let (clusters, mut placements) = if !configured.is_empty() {
        let walked = configured
            .iter()
            .map(|(_, paths)| walk_cluster(&walker, paths))
            .collect();
        (configured, walked)
    } else {
        match detected_clusters(&walker, input.sources, &contents, &normalize(input.root)) {
            Some(found) => found,
            None => (
                vec![(None, Vec::new())],
                vec![walk_entry_points(&walker, &contents)],
            ),
        }
    };

    // What no entry point deploys is applied as it is (kubectl apply -f, or a kustomization
    // built on its own), in every cluster.
    let reached: FileSet = placements.iter().flat_map(|p| p.reached()).collect();
    let mut rest = Placements::default();
    let as_is = walker.unreached(&mut rest, &reached);
    let shared = rest.reached().collect();
    if let Some((last, others)) = placements.split_last_mut() {
        for p in others {
            p.entries.extend(rest.entries.iter().cloned());
        }
        last.entries.append(&mut rest.entries);
    }

    // Manifests applied only as they are, in a repository whose entry points say what is
    // deployed, are deployed by nothing; those beside a kustomization that does not list them
    // are not even objects, only shadows for the findings of references to them.
    let beside = tree.beside_kustomizations();
    let has_entry_points = clusters.iter().any(|(name, _)| name.is_some())
        || contents.iter().any(|c| {
            c.layout
                .iter()
                .any(|l| place::is_entry_point(l) || matches!(l, LayoutDoc::Kustomization(_)))
        });
    let undeployed: HashSet<FileId> = if has_entry_points {
        (0..contents.len() as u32)
            .map(FileId)
            .filter(|&id| as_is.contains(id) && is_manifest(&input.sources[id.0 as usize]))
            .collect()
    } else {
        HashSet::new()
    };
    let left_out: FileSet = beside
        .values()
        .flatten()
        .copied()
        .filter(|&id| as_is.contains(id))
        .collect();
    let shadows: Vec<Vec<Shadow>> = placements
        .iter()
        .map(|p| shadows_of(input, &contents, &beside, &left_out, p))
        .collect();

    // A Flux Kustomization some context may edit (a parent's `spec.patches` adding a Secret to
    // its `substituteFrom`) is not sure to define only what it says, wherever else it is placed
    // (a single cluster also walks every entry point on its own).
    let edited_flux: FileSet = placements
        .iter()
        .flat_map(|p| &p.entries)
        .filter(|(id, ctx)| {
            ctx.edited
                && contents[id.0 as usize]
                    .layout
                    .iter()
                    .any(|l| matches!(l, LayoutDoc::Flux(_)))
        })
        .map(|(id, _)| *id)
        .collect();
    drop(tree);
    // A broken file nothing deploys that never writes `apiVersion` is no manifest: its syntax
    // is not cilint's business.
    let mut contents = contents;
    for id in &undeployed {
        let c = &mut contents[id.0 as usize];
        if c.broken_without_api_version && c.yaml_error.take().is_some() {
            c.unparsed = None;
            c.skipped_documents += 1;
        }
    }
    let patching = Patching {
        sets: &patches.sets,
        positions: &patches.positions,
        reload,
        edited_flux: &edited_flux,
    };
    let patched = Mutex::new(HashMap::new());
    // Each file's contents move into the last world entry that uses them; earlier ones clone.
    let mut uses_left = vec![0usize; contents.len()];
    for p in &placements {
        for (id, _) in &p.entries {
            uses_left[id.0 as usize] += 1;
        }
    }
    let mut slots: Vec<Option<FileContents>> = contents.into_iter().map(Some).collect();
    let mut worlds: Vec<World> = clusters
        .into_iter()
        .zip(placements)
        .zip(shadows)
        .map(|(((name, _), p), shadows)| World {
            name,
            contents: place_contents(
                input,
                &mut slots,
                &mut uses_left,
                &p,
                &left_out,
                &patching,
                &patched,
            ),
            shadows,
        })
        .collect();
    application_set::place_charts(&mut worlds, &set_expansions);
    let mut positions = patches.positions;
    positions.targets = patched.into_inner().unwrap_or_default();
    Layout {
        worlds,
        shared,
        undeployed,
        positions,
        data,
    }
}

/// The patches of every kustomization that has some, read once, and the ranges their texts
/// take past the end of a patched file.
struct Patches {
    sets: HashMap<FileId, PatchSet>,
    positions: Positions,
}

fn patch_sets(tree: &Tree, reload: &Reload) -> Patches {
    let lengths = Mutex::new(BTreeMap::new());
    let text = |id: FileId| {
        let t = (reload.text)(id)?;
        if let Ok(mut l) = lengths.lock() {
            l.insert(id, t.len());
        }
        Some(t)
    };
    let file = |p: &Path| tree.file(p);
    let sources = patch::Sources {
        file: &file,
        text: &text,
    };
    let listed: Vec<_> = tree
        .kustomizations()
        .filter(|(_, _, k)| !k.patches.is_empty())
        .collect();
    let sets = listed
        .into_par_iter()
        .map(|(dir, id, k)| (id, PatchSet::read(id, dir, &k.patches, &sources)))
        .collect::<HashMap<_, _>>();
    let wanted: std::collections::BTreeSet<FileId> =
        sets.values().flat_map(PatchSet::sources).collect();
    let lengths = lengths.into_inner().unwrap_or_default();
    let mut sources = Vec::new();
    let mut start = 0u64;
    for id in wanted {
        let Some(&len) = lengths.get(&id) else {
            continue;
        };
        sources.push((start, len as u64, id));
        start += len as u64 + 1;
    }
    Patches {
        sets,
        positions: Positions {
            targets: HashMap::new(),
            sources,
        },
    }
}

/// Where patched values were written. A patched document keeps the span of every node as the
/// text it comes from has it; a node written in a patch text (a patch file, or a kustomization's
/// inline patch) gets a byte offset past the end of the patched file, in a range that says which
/// file its text is in. Lines and columns are already that file's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Positions {
    /// Each patched file, with the length of its text.
    targets: HashMap<FileId, u32>,
    /// Each file patch texts are in: where its range starts (after a target's end), its length.
    sources: Vec<(u64, u64, FileId)>,
}

impl Positions {
    /// How far a node of `source` moves in a target of `target_len` bytes; `None` past `u32`.
    fn shift(&self, target_len: u32, source: FileId) -> Option<u32> {
        // Sorted by file, and so by start.
        let i = self
            .sources
            .binary_search_by_key(&source, |&(_, _, id)| id)
            .ok()?;
        let (start, len, _) = self.sources[i];
        let shift = target_len as u64 + 1 + start;
        u32::try_from(shift + len).ok()?;
        Some(shift as u32)
    }

    /// Where a location really is: in the patch text it was moved from, or where it says.
    pub fn locate(&self, l: Location) -> Location {
        let Some(&len) = self.targets.get(&l.file) else {
            return l;
        };
        let (start, end) = (l.span.start.byte, l.span.end.byte);
        if start <= len {
            // A span from the file into a patch value has no one file: keep its start.
            return if end <= len {
                l
            } else {
                Location {
                    file: l.file,
                    span: Span {
                        start: l.span.start,
                        end: l.span.start,
                    },
                }
            };
        }
        let offset = (start - len - 1) as u64;
        let after = self.sources.partition_point(|&(from, _, _)| from <= offset);
        let Some(&(from, size, file)) = after.checked_sub(1).map(|i| &self.sources[i]) else {
            return l;
        };
        let shift = (len as u64 + 1 + from) as u32;
        let mut span = l.span;
        span.start.byte -= shift;
        if end < shift || (end - shift) as u64 > size {
            span.end = span.start;
        } else {
            span.end.byte -= shift;
        }
        Location { file, span }
    }
}

/// What applying patches needs while files are placed.
struct Patching<'a> {
    sets: &'a HashMap<FileId, PatchSet>,
    positions: &'a Positions,
    reload: &'a Reload<'a>,
    /// Flux Kustomizations placed where something may edit them: not sure of their variables.
    edited_flux: &'a FileSet,
}

impl Patching<'_> {
    /// The patch stages a context puts a file through, innermost first.
    fn stages<'c>(&'c self, ctx: &'c Context) -> Vec<Stage<'c>> {
        ctx.levels
            .iter()
            .rev()
            .filter_map(|l| {
                Some(Stage {
                    set: self.sets.get(&l.kustomization)?,
                    inner_prefix: ctx.prefix.get(l.prefix_len..).unwrap_or(""),
                    inner_suffix: ctx
                        .suffix
                        .get(..ctx.suffix.len().saturating_sub(l.suffix_len))
                        .unwrap_or(""),
                    inner_namespace: l.namespace_below.as_deref(),
                    own_prefix: &l.prefix,
                    own_suffix: &l.suffix,
                    own_namespace: l.namespace.as_deref(),
                    metadata_below: l.metadata_below,
                    own_metadata: l.metadata,
                })
            })
            .collect()
    }

    /// A file's contents loaded again: Flux variables substituted (`vars`), the context's patches
    /// applied (`stages`). `None` if the text cannot be read again.
    fn reparse(
        &self,
        id: FileId,
        vars: Option<&Vars>,
        stages: &[Stage],
        patched: &Mutex<HashMap<FileId, u32>>,
    ) -> Option<FileContents> {
        let text = (self.reload.text)(id)?;
        if stages.is_empty() {
            return Some((self.reload.parse)(id, text, vars, None));
        }
        let len = u32::try_from(text.len()).ok()?;
        if let Ok(mut p) = patched.lock() {
            p.insert(id, len);
        }
        let take = |v: &Value, source: Option<FileId>| -> Option<Value> {
            let shift = self.positions.shift(len, source?)?;
            let mut v = v.clone();
            v.rewrite(
                &|mut s: Span| {
                    s.start.byte += shift;
                    s.end.byte += shift;
                    s
                },
                &|t: &str| vars.and_then(|vars| vars.apply(t)),
            );
            Some(v)
        };
        let edit = |doc: Node<'_>, emit: &mut dyn FnMut(Node<'_>, bool)| {
            let s = |k: &str| doc.get(k).and_then(Node::as_str).unwrap_or("");
            let (api_version, kind) = (s("apiVersion"), s("kind"));
            let list = kind.ends_with("List");
            if !list && !stages.iter().any(|st| st.set.may_target(api_version, kind)) {
                return emit(doc, false);
            }
            match patch::apply(&Value::of(doc), stages, &take) {
                Outcome::Unchanged => emit(doc, false),
                Outcome::Unverifiable => emit(doc, true),
                Outcome::Deleted => {}
                Outcome::Patched(value) => {
                    let arena = value.into_arena();
                    emit(arena.root(), false);
                }
            }
        };
        Some((self.reload.parse)(id, text, vars, Some(&edit)))
    }
}

/// One world per cluster: its name and paths.
type Clusters = Vec<(Option<String>, Vec<PathBuf>)>;

/// A cluster's placements: its directories as Flux deploys a path, and the scripts and docs in
/// them.
fn walk_cluster(walker: &Walker, paths: &[PathBuf]) -> Placements {
    let top = Arc::new(Context::default());
    let mut p = Placements::default();
    for dir in paths {
        walker.dir(&mut p, dir, &top);
        // Scripts and docs in a cluster's directory belong to that cluster.
        walker.scripts(&mut p, dir);
    }
    p
}

/// One cluster: every entry point in the tree, followed.
fn walk_entry_points(walker: &Walker, contents: &[FileContents]) -> Placements {
    let top = Arc::new(Context::default());
    let mut p = Placements::default();
    for (i, c) in contents.iter().enumerate() {
        if c.layout.iter().any(place::is_entry_point) {
            walker.file(&mut p, FileId(i as u32), &top);
        }
    }
    p
}

/// The clusters of `clusters/<name>/` directories, with their placements; `None` when there are
/// fewer than two. A directory another cluster deploys (its entry points are reached from that
/// cluster: a Flux Kustomization's `spec.path`, an Argo CD Application's path) is part of that
/// cluster, not a cluster of its own.
fn detected_clusters(
    walker: &Walker,
    sources: &[SourceFile],
    contents: &[FileContents],
    root: &Path,
) -> Option<(Clusters, Vec<Placements>)> {
    let found = detect_clusters(sources, contents, root);
    if found.len() < 2 {
        return None;
    }
    let walked: Vec<Placements> = found
        .iter()
        .map(|(_, dir, _)| walk_cluster(walker, std::slice::from_ref(dir)))
        .collect();
    let reached: Vec<FileSet> = walked.iter().map(|p| p.reached().collect()).collect();
    // Whether cluster `a` deploys one of the entry points of cluster `b`.
    let deploys = |a: usize, b: usize| a != b && found[b].2.iter().any(|&e| reached[a].contains(e));
    // Clusters no other deploys come first; a cluster is kept unless one kept before it deploys
    // it (in a cycle, the first by name is kept).
    let mut order: Vec<usize> = (0..found.len()).collect();
    order.sort_by_key(|&b| (0..found.len()).any(|a| deploys(a, b)));
    let mut kept: Vec<usize> = Vec::new();
    for b in order {
        if !kept.iter().any(|&a| deploys(a, b)) {
            kept.push(b);
        }
    }
    if kept.len() < 2 {
        return None;
    }
    kept.sort_unstable();
    let mut walked: Vec<Option<Placements>> = walked.into_iter().map(Some).collect();
    let mut found: Vec<Option<(String, PathBuf, Vec<FileId>)>> =
        found.into_iter().map(Some).collect();
    Some(
        kept.into_iter()
            .map(|i| {
                let (name, dir, _) = found[i].take().expect("each cluster once");
                let p = walked[i].take().expect("each cluster once");
                ((Some(name), vec![dir]), p)
            })
            .unzip(),
    )
}

/// `clusters/<name>/` directories that hold a Flux or Argo CD entry point, with those entry
/// points' files, in name order.
fn detect_clusters(
    sources: &[SourceFile],
    contents: &[FileContents],
    root: &Path,
) -> Vec<(String, PathBuf, Vec<FileId>)> {
    let mut found: BTreeMap<String, (PathBuf, Vec<FileId>)> = BTreeMap::new();
    for (i, (s, c)) in sources.iter().zip(contents).enumerate() {
        if !c.layout.iter().any(place::is_entry_point) {
            continue;
        }
        let path = normalize(Path::new(&*s.path));
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let parts: Vec<&str> = rel.iter().filter_map(|p| p.to_str()).collect();
        // `…/clusters/<name>/<more>`: the name must be a directory, not the file itself.
        if let Some(i_dir) = parts.iter().position(|p| *p == "clusters")
            && i_dir + 2 < parts.len()
        {
            let dir: PathBuf = root.join(parts[..=i_dir + 1].iter().collect::<PathBuf>());
            found
                .entry(parts[i_dir + 1].to_string())
                .or_insert_with(|| (dir, Vec::new()))
                .1
                .push(FileId(i as u32));
        }
    }
    found
        .into_iter()
        .map(|(name, (dir, entries))| (name, dir, entries))
        .collect()
}

/// Whether findings in a file can be "not deployed": manifests can; scripts and Markdown carry
/// commands, which act on the cluster whoever runs them.
/// Terraform files are not: what they create is applied by `terraform apply` when the cluster
/// is bootstrapped, deployed whether or not a GitOps entry point reaches them.
fn is_manifest(source: &SourceFile) -> bool {
    matches!(source.kind, FileKind::Yaml | FileKind::Json)
}

/// The shadows of one world: for each kustomization it builds, the objects of the files beside
/// it that it does not list and that this world does not deploy otherwise, placed as the
/// kustomization would have placed them.
fn shadows_of(
    input: &Input,
    contents: &[FileContents],
    beside: &HashMap<FileId, Vec<FileId>>,
    left_out: &FileSet,
    p: &Placements,
) -> Vec<Shadow> {
    if beside.is_empty() {
        return Vec::new();
    }
    let deployed: FileSet = p.reached().filter(|&id| !left_out.contains(id)).collect();
    let mut pairs: BTreeSet<(FileId, FileId, &Arc<Context>)> = BTreeSet::new();
    for (k, ctx) in &p.entries {
        for &file in beside.get(k).map(Vec::as_slice).unwrap_or(&[]) {
            if !deployed.contains(file) {
                pairs.insert((file, *k, ctx));
            }
        }
    }
    let name = |id: FileId| {
        let path = &input.sources[id.0 as usize].path;
        path.rsplit(['/', '\\']).next().unwrap_or(path).to_string()
    };
    let mut out = Vec::new();
    for (file, k, ctx) in pairs {
        for o in &contents[file.0 as usize].objects {
            let mut object = o.clone();
            ctx.apply(&mut object);
            out.push(Shadow {
                object,
                file: name(file),
                kustomization: name(k),
            });
        }
    }
    out
}

/// The objects of a world's placements: each file's objects as its context deploys them, and
/// the ConfigMaps and Secrets kustomize generators make.
fn place_contents(
    input: &Input,
    slots: &mut [Option<FileContents>],
    uses_left: &mut [usize],
    p: &Placements,
    left_out: &FileSet,
    patching: &Patching,
    patched: &Mutex<HashMap<FileId, u32>>,
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
            let base = owned
                .as_ref()
                .or(slots[i].as_ref())
                .expect("a file's contents");
            let made = generated(id, base, ctx, input.default_namespace);
            let substituted = ctx
                .vars
                .as_deref()
                .filter(|_| input.sources[i].text.contains("${"));
            // Only a file holding an object some patch may touch is loaded again for patches.
            let mut stages = patching.stages(ctx);
            let touched = !stages.is_empty()
                && !gitops::is_kustomization_file(&input.sources[i].path)
                && base.objects.iter().any(|o| {
                    stages
                        .iter()
                        .any(|s| s.set.may_target(&o.api_version, &o.kind))
                });
            if !touched {
                stages.clear();
            }
            // Flux substitutes after kustomize builds: in what patches set too.
            let vars = if stages.is_empty() {
                substituted
            } else {
                ctx.vars.as_deref()
            };
            let again = (vars.is_some() || !stages.is_empty())
                .then(|| patching.reparse(id, vars, &stages, patched));
            let mut c = match (again, owned) {
                (Some(Some(c)), _) => c,
                (None, Some(owned)) => owned,
                (None, None) => slots[i].clone().expect("a file's contents"),
                // The text is gone: what patches would change is unverifiable.
                (Some(None), owned) => {
                    let mut c = owned
                        .or_else(|| slots[i].clone())
                        .expect("a file's contents");
                    for o in &mut c.objects {
                        o.unverifiable |= !stages.is_empty();
                    }
                    c
                }
            };
            if c.objects.iter().any(|o| ctx.changes(o)) {
                for o in &mut c.objects {
                    ctx.apply(o);
                    // A replacement cilint does not follow may write anything into it.
                    o.unverifiable |= ctx
                        .replaced
                        .iter()
                        .any(|s| s.matches(o.group(), &o.kind, &o.name, o.namespace.as_deref()));
                }
            }
            if let Some(closed) = ctx.closed.as_ref().filter(|c| {
                !ctx.edited && !patching.edited_flux.contains(c.kustomization.location.file)
            }) && input.sources[i].text.contains("${")
                && let Some(text) = (patching.reload.text)(id)
            {
                c.undefined = undefined_variables(id, &text, closed, &c.objects).into();
            }
            if !made.is_empty() {
                c.objects.extend(made);
            }
            c.build = ctx.build.0;
            (id, c)
        })
        .collect();
    // A file placed twice in one world (a base included by two overlays) carries its commands,
    // suppressions and errors once. A file its kustomization leaves out carries only its
    // errors: its objects are not deployed (they are shadows), and nothing there is linted for
    // a suppression to silence.
    let mut seen = FileSet::default();
    for (id, c) in &mut placed {
        if left_out.contains(*id) {
            c.undefined.clear();
            c.objects.clear();
            c.suppressions.clear();
            c.unparsed = None;
        }
        if !seen.insert(*id) {
            c.commands.clear();
            c.suppressions.clear();
            c.yaml_error = None;
            c.skipped_documents = 0;
        }
    }
    placed
}

/// The `${VAR}`s of a file that the Flux Kustomization deploying it (`closed`) does not define,
/// each in the object it is written in. Flux substitutes in every string of every object, keys
/// included, except in objects labelled or annotated `kustomize.toolkit.fluxcd.io/substitute:
/// disabled`; comments are not objects' strings.
fn undefined_variables(
    id: FileId,
    text: &str,
    closed: &Arc<substitute::Closed>,
    objects: &[Object],
) -> Vec<substitute::Undefined> {
    const DISABLE: &str = "kustomize.toolkit.fluxcd.io/substitute";
    let index = crate::source::LineIndex::new(text);
    let mut found: Vec<Span> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let _ = crate::source::yaml::load_each(text, &index, None, |doc| {
        let disabled = ["labels", "annotations"]
            .iter()
            .any(|k| doc.at(&["metadata", k, DISABLE]).and_then(Node::as_str) == Some("disabled"));
        if disabled {
            return;
        }
        let mut stack = vec![doc];
        while let Some(node) = stack.pop() {
            stack.extend(node.as_seq());
            stack.extend(node.as_map().flat_map(|(k, v)| [k, v]));
            let Some(value) = node.as_str().filter(|v| v.contains("${")) else {
                continue;
            };
            let span = node.span();
            // The scalar as written (quotes, block indentation): positions are the file's.
            let (from, to) = (span.start.byte as usize, span.end.byte as usize);
            let Some(raw) = text.get(from..to) else {
                continue;
            };
            for (at, len, name) in substitute::undefined_in(raw, &|n| closed.defined.contains(n)) {
                // Only what the value really holds (not a comment inside the span).
                if !value.contains(&raw[at..at + len]) {
                    continue;
                }
                found.push(Span {
                    start: index.pos_of_byte(from + at),
                    end: index.pos_of_byte(from + at + len),
                });
                names.push(name.to_string());
            }
        }
    });
    let mut out: Vec<substitute::Undefined> = found
        .into_iter()
        .zip(names)
        .map(|(span, name)| substitute::Undefined {
            object: objects
                .iter()
                .find(|o| {
                    o.location
                        .is_some_and(|l| l.contains(Location { file: id, span }))
                })
                .map(crate::diagnostic::ObjectRef::of),
            name,
            span,
            kustomization: closed.kustomization.clone(),
            defined: closed.clone(),
        })
        .collect();
    out.sort_by_key(|u| u.span.start);
    out
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
                name: name.value,
                // Without a namespace from its kustomization (or an outer one) the object
                // lands in the run's namespace.
                namespace: Some(text(default_namespace)),
                namespace_defaulted: true,
                unverifiable: false,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Pos;

    fn at(line: u32, col: u32, byte: u32) -> Pos {
        Pos { line, col, byte }
    }

    #[test]
    fn positions_point_patched_values_back_into_their_patch() {
        let (target, first, second) = (FileId(1), FileId(7), FileId(9));
        let positions = Positions {
            targets: HashMap::from([(target, 100)]),
            sources: vec![(0, 50, first), (51, 20, second)],
        };
        // In the second patch text: byte 5 of it, moved by 100 + 1 + 51.
        let shift = positions.shift(100, second).unwrap();
        assert_eq!(shift, 152);
        let moved = Location {
            file: target,
            span: Span {
                start: at(2, 3, 5 + shift),
                end: at(2, 6, 8 + shift),
            },
        };
        let back = positions.locate(moved);
        assert_eq!(back.file, second);
        assert_eq!((back.span.start.byte, back.span.end.byte), (5, 8));
        assert_eq!((back.span.start.line, back.span.start.col), (2, 3));
        // The target's own text, and files no patch touched, stay where they are.
        let own = Location {
            file: target,
            span: Span {
                start: at(1, 1, 0),
                end: at(1, 5, 100),
            },
        };
        assert_eq!(positions.locate(own), own);
        let other = Location {
            file: FileId(3),
            span: moved.span,
        };
        assert_eq!(positions.locate(other), other);
        // No shift would fit in a u32 offset.
        assert_eq!(positions.shift(u32::MAX - 10, first), None);
    }
}
