//! Following kustomize, Flux and Argo CD from their entry points to the files they deploy, and
//! with which namespace, name prefix and suffix, and variables.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use crate::load::substitute::{Closed, FluxRef, Vars};
use crate::load::{Build, BuildTool, FileContents};
use crate::model::gitops::{
    ArgoApplicationSet, FluxKustomization, Generator, Kustomization, LabelSet, LayoutDoc,
};
use crate::model::helm::{is_remote_resource, render_template};
use crate::model::replacement::{self, Replacement, Select};
use crate::model::selector::LabelTerm;
use crate::model::workload::{OwnSelector, Workload};
use crate::model::{Label, Object, Spec, text};
use crate::source::{FileId, Location, SourceFile};

/// ConfigMap data by name, with the namespace written on each, for Flux `substituteFrom`, and
/// whether the data is all there is (a generator's `envs`/`files` are not read).
pub type ConfigMaps<'a> = HashMap<&'a str, Vec<(Option<&'a str>, &'a [(String, String)], bool)>>;

/// How one file is deployed: what kustomize, Flux or Argo CD do to its objects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Context {
    /// kustomize `namespace` or Flux `targetNamespace`: replaces every namespace.
    pub namespace: Option<String>,
    /// Argo CD `destination.namespace`: only for objects without one.
    pub default_namespace: Option<String>,
    pub prefix: String,
    pub suffix: String,
    /// The labels of the kustomizations that include the file, outermost first.
    pub labels: Vec<LabelSet>,
    /// Flux `postBuild` variables, shared by every context nested in the Flux one.
    pub vars: Option<Arc<Vars>>,
    /// The `spec.targetNamespace` a kustomization's `replacements` give the Flux Kustomizations
    /// it builds, and whether those that write none get it too (see [`super::replacement`]).
    pub flux_target_namespace: Option<(String, bool)>,
    /// What the `replacements` of the kustomizations that include the file change in ways cilint
    /// does not follow: the objects these select are unverifiable.
    pub replaced: Vec<Select>,
    /// The kustomizations (and components) with patches that include the file, outermost first.
    pub levels: Vec<Level>,
    /// The Flux Kustomization deploying the file, when cilint sees every variable it defines.
    pub closed: Option<Arc<Closed>>,
    /// Something between the entry point and the file may change it in ways cilint does not
    /// follow (Flux `patches`/`commonMetadata`, a kustomization's patches, labels, annotations
    /// or plugins): it may be annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`, and a
    /// Flux Kustomization deployed here may get other `postBuild` sources.
    pub edited: bool,
    /// The build the file is in.
    pub build: BuiltBy,
}

/// The build a context belongs to, left out when contexts are compared: a file two entry
/// points place alike is placed once (with the first one's build), as before builds were
/// known.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuiltBy(pub Option<Build>);

impl PartialEq for BuiltBy {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for BuiltBy {}

impl std::hash::Hash for BuiltBy {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl PartialOrd for BuiltBy {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BuiltBy {
    fn cmp(&self, _: &Self) -> Ordering {
        Ordering::Equal
    }
}

/// A kustomization with patches, as seen from the files it includes: what it does itself, and
/// what the kustomizations nested in it do before its patches run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Level {
    /// The kustomization (or component) file that lists the patches.
    pub kustomization: FileId,
    /// The lengths of the context's prefix and suffix with this kustomization's own: the rest of
    /// a file's prefix and suffix is what nested kustomizations add.
    pub prefix_len: usize,
    pub suffix_len: usize,
    pub namespace: Option<String>,
    pub prefix: String,
    pub suffix: String,
    pub metadata: bool,
    /// The namespace the outermost nested kustomization sets, if one does.
    pub namespace_below: Option<String>,
    /// A nested kustomization adds labels or annotations.
    pub metadata_below: bool,
}

impl Context {
    /// The context of what a kustomization includes: an outer `namespace` wins over an inner
    /// one (kustomize runs the inner transformers first), prefixes and suffixes nest. `id` is
    /// the kustomization's file, whose patches then apply.
    fn through(&self, k: &Kustomization, id: Option<FileId>) -> Context {
        let prefix = format!("{}{}", self.prefix, k.name_prefix);
        let suffix = format!("{}{}", k.name_suffix, self.suffix);
        let mut levels: Vec<Level> = self
            .levels
            .iter()
            .map(|l| {
                let mut l = l.clone();
                if l.namespace_below.is_none() {
                    l.namespace_below = k.namespace.clone();
                }
                l.metadata_below |= k.sets_metadata;
                l
            })
            .collect();
        if let Some(id) = id.filter(|_| !k.patches.is_empty()) {
            levels.push(Level {
                kustomization: id,
                prefix_len: prefix.len(),
                suffix_len: suffix.len(),
                namespace: k.namespace.clone(),
                prefix: k.name_prefix.clone(),
                suffix: k.name_suffix.clone(),
                metadata: k.sets_metadata,
                namespace_below: None,
                metadata_below: false,
            });
        }
        let mut labels = self.labels.clone();
        labels.extend(k.label_sets.iter().cloned());
        Context {
            namespace: self.namespace.clone().or_else(|| k.namespace.clone()),
            default_namespace: self.default_namespace.clone(),
            prefix,
            suffix,
            labels,
            vars: self.vars.clone(),
            flux_target_namespace: self.flux_target_namespace.clone(),
            replaced: self.replaced.clone(),
            levels,
            closed: self.closed.clone(),
            edited: self.edited || k.sets_metadata || !k.patches.is_empty() || k.plugins,
            build: self.build,
        }
    }

    /// Whether [`Context::apply`] may change the object, or a replacement cilint does not follow
    /// may write into it: what is placed unchanged is not copied (`cilint server` shares each
    /// file's objects between lints).
    pub fn changes(&self, o: &Object) -> bool {
        let placed = self.namespace.as_ref().or(self
            .default_namespace
            .as_ref()
            .filter(|_| o.namespace_defaulted));
        let moved = o.namespace.is_some()
            && placed.is_some_and(|ns| o.namespace_defaulted || o.namespace.as_deref() != Some(ns));
        let renamed_namespace =
            o.namespace.is_none() && self.namespace.is_some() && o.kind == "Namespace";
        moved
            || renamed_namespace
            || !self.prefix.is_empty()
            || !self.suffix.is_empty()
            || !self.labels.is_empty()
            || !self.replaced.is_empty()
    }

    /// Places one object as this context deploys it. kustomize's namespace transformer (also
    /// what Flux's `targetNamespace` runs) sets every namespace and renames Namespace objects
    /// themselves; its prefix/suffix transformer renames every object (its default fieldSpec is
    /// `metadata/name` of all kinds).
    pub fn apply(&self, o: &mut Object) {
        if o.namespace.is_some() {
            let placed = self.namespace.as_ref().or(self
                .default_namespace
                .as_ref()
                .filter(|_| o.namespace_defaulted));
            if let Some(ns) = placed {
                o.namespace = Some(text(ns));
                o.namespace_defaulted = false;
            }
        } else if o.kind == "Namespace"
            && o.group().is_empty()
            && let Some(ns) = &self.namespace
        {
            o.name = text(ns);
        }
        if !self.prefix.is_empty() || !self.suffix.is_empty() {
            o.name = crate::model::text(&format!("{}{}{}", self.prefix, o.name, self.suffix));
            // kustomize renames the ConfigMaps, Secrets and Services a workload names in the
            // same build the same way, and rewrites the references (nameReference).
            if let Spec::Workload(w) = &mut o.spec {
                w.renamed = Some(Box::new((text(&self.prefix), text(&self.suffix))));
            }
        }
        // Inner kustomizations label first; an outer one's value for the same key wins.
        for set in self.labels.iter().rev() {
            add_labels(o, set);
        }
    }
}

/// kustomize's label transformer (`commonLabels`, `labels`), on the fields cilint reads: every
/// object's `metadata.labels`; with selectors, a Service's `spec.selector` and an apps/v1
/// workload's `spec.selector.matchLabels` (created when absent: their fieldSpecs say
/// `create: true`); with templates, the pod template's labels.
/// A label the transformer adds to a workload's own `spec.selector.matchLabels`; a missing
/// apps/v1 selector is created, a defaulted one (Jobs, CronJobs) is the API server's.
fn add_to_own_selector(w: &mut Workload, key: &str, value: &str) {
    if let OwnSelector::Missing = w.selector {
        w.selector = OwnSelector::Written(Box::default());
    }
    let OwnSelector::Written(selector) = &mut w.selector else {
        return;
    };
    selector.match_labels.retain(|t| t.key != key);
    selector.match_labels.push(LabelTerm {
        key: crate::model::text(key),
        value: crate::model::text(value),
        span: Default::default(),
    });
}

fn add_labels(o: &mut Object, set: &LabelSet) {
    fn put(labels: &mut Box<[Label]>, key: &str, value: &str) {
        let mut list = std::mem::take(labels).into_vec();
        match list.iter_mut().find(|l| l.key == key) {
            Some(l) => l.value = text(value),
            None => list.push(Label {
                key: text(key),
                value: text(value),
                span: Default::default(),
            }),
        }
        *labels = list.into();
    }
    let is_pod = o.kind == "Pod" && o.group().is_empty();
    for (key, value) in &set.pairs {
        put(&mut o.labels, key, value);
        match &mut o.spec {
            Spec::Service(svc) if set.selectors => {
                let mut selector = svc.selector.take().unwrap_or_default().into_vec();
                match selector.iter_mut().find(|(k, _)| k == key) {
                    Some((_, v)) => *v = text(value),
                    None => selector.push((text(key), text(value))),
                }
                svc.selector = Some(selector.into());
            }
            // A Pod's labels are its metadata labels; a workload's are its template's.
            Spec::Workload(w) => {
                if is_pod || set.templates {
                    put(&mut w.pod_labels, key, value);
                }
                if set.selectors {
                    add_to_own_selector(w, key, value);
                }
            }
            _ => {}
        }
    }
}

/// The files of the repository by normalised absolute path, with their layout documents.
pub struct Tree<'a> {
    files: BTreeMap<PathBuf, FileId>,
    sources: &'a [SourceFile],
    contents: &'a [FileContents],
    /// Directories holding a kustomization file, and that file.
    kustomizations: BTreeMap<PathBuf, FileId>,
    /// Files that kustomizations, Flux HelmReleases or Argo CD Applications read as data (patches,
    /// generator files, Helm values files): never manifests.
    pub data: HashSet<FileId>,
    /// Where Flux and Argo CD paths start: the repository root.
    root: PathBuf,
    /// The repository's directories by their last component, built the first time a path does
    /// not resolve from the root (see [`Tree::repo_dir`]).
    dirs_by_name: OnceLock<HashMap<std::ffi::OsString, Vec<PathBuf>>>,
}

/// The map of `entries`, the last of equal paths winning as with `insert`. `Path` comparisons
/// parse components, so inserting one by one made building the map most of the layout stage
/// on large trees; sorted first by a cheap order that agrees with `Path`'s, the entries are
/// already in order for `from_iter`'s own (stable) sort, which then only checks them.
fn sorted_map(mut entries: Vec<(PathBuf, FileId)>) -> BTreeMap<PathBuf, FileId> {
    entries.par_sort_by(|(a, _), (b, _)| component_order(a, b));
    entries.into_iter().collect()
}

/// `Path` order of normalised paths, from their bytes: a separator sorts before every other
/// byte, as the end of a component does.
fn component_order(a: &Path, b: &Path) -> Ordering {
    let (a, b) = (
        a.as_os_str().as_encoded_bytes(),
        b.as_os_str().as_encoded_bytes(),
    );
    let rank = |byte: u8| {
        if std::path::is_separator(byte as char) {
            0
        } else {
            byte
        }
    };
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => rank(a[i]).cmp(&rank(b[i])),
        None => a.len().cmp(&b.len()),
    }
}

/// Lexically normalised absolute path (no symlinks resolved: paths are what was walked).
pub fn normalize(path: &Path) -> PathBuf {
    lexical(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// `normalize` with the working directory `cwd` asked for once, not once per path: on Unix,
/// `std::path::absolute` of a relative path is the working directory joined with it.
fn normalize_in(cwd: Option<&Path>, path: &Path) -> PathBuf {
    match cwd {
        Some(cwd) if cfg!(unix) && !path.as_os_str().is_empty() => lexical(&cwd.join(path)),
        _ => normalize(path),
    }
}

/// `path` with `.` dropped and `..` resolved, lexically.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

impl<'a> Tree<'a> {
    pub fn new(sources: &'a [SourceFile], contents: &'a [FileContents], root: &Path) -> Tree<'a> {
        let cwd = std::env::current_dir().ok();
        let files: Vec<(PathBuf, FileId)> = sources
            .par_iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    normalize_in(cwd.as_deref(), Path::new(&*s.path)),
                    FileId(i as u32),
                )
            })
            .collect();
        let kustomizations: Vec<(PathBuf, FileId)> = sources
            .iter()
            .zip(&files)
            .filter(|(s, _)| crate::model::gitops::is_kustomization_file(&s.path))
            .filter_map(|(_, (path, id))| Some((path.parent()?.to_path_buf(), *id)))
            .collect();
        let mut tree = Tree {
            files: sorted_map(files),
            sources,
            contents,
            kustomizations: sorted_map(kustomizations),
            data: HashSet::new(),
            root: normalize(root),
            dirs_by_name: OnceLock::new(),
        };
        tree.data = tree.data_files();
        tree
    }

    /// The files read as data. A file some kustomization lists as a resource is deployed, so it
    /// is not data whatever else reads it.
    fn data_files(&self) -> HashSet<FileId> {
        let mut data = HashSet::new();
        let mut resources = FileSet::default();
        for (dir, &id) in &self.kustomizations {
            let Some(k) = self.kustomization(id) else {
                continue;
            };
            let file = |p: &String| self.files.get(&normalize(&dir.join(p))).copied();
            data.extend(k.data.iter().filter_map(file));
            k.resources.iter().filter_map(file).for_each(|f| {
                resources.insert(f);
            });
        }
        for c in self.contents {
            for l in &c.layout {
                let paths: &[String] = match l {
                    LayoutDoc::ValuesFiles(paths) => paths,
                    LayoutDoc::Application(app) => &app.value_files,
                    LayoutDoc::ApplicationSet(set) => &set.value_files,
                    _ => continue,
                };
                data.extend(
                    paths
                        .iter()
                        .filter_map(|p| self.files.get(&self.repo_path(p)).copied()),
                );
            }
        }
        data.retain(|&f| !resources.contains(f));
        data
    }

    /// A file's normalised path.
    fn path(&self, id: FileId) -> Option<PathBuf> {
        let source = self.sources.get(id.0 as usize)?;
        Some(normalize(Path::new(&*source.path)))
    }

    /// The file at a normalised path.
    pub fn file(&self, path: &Path) -> Option<FileId> {
        self.files.get(path).copied()
    }

    /// Each kustomization file, with its directory.
    pub fn kustomizations(&self) -> impl Iterator<Item = (&Path, FileId, &'a Kustomization)> {
        self.kustomizations
            .iter()
            .filter_map(|(dir, &id)| Some((dir.as_path(), id, self.kustomization(id)?)))
    }

    fn kustomization(&self, id: FileId) -> Option<&'a Kustomization> {
        self.contents[id.0 as usize]
            .layout
            .iter()
            .find_map(|l| match l {
                LayoutDoc::Kustomization(k) => Some(k),
                _ => None,
            })
    }

    /// Files under a directory, in path order.
    fn under(&self, dir: &Path) -> impl Iterator<Item = (&PathBuf, FileId)> {
        self.files
            .range(dir.to_path_buf()..)
            .take_while(move |(p, _)| p.starts_with(dir))
            .map(|(p, &id)| (p, id))
    }

    fn is_manifest(path: &Path) -> bool {
        matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        )
    }

    /// A Flux or Argo CD path: relative to the repository root.
    fn repo_path(&self, path: &str) -> PathBuf {
        normalize(&self.root.join(path.trim_start_matches("./")))
    }

    /// A Flux or Argo CD directory: relative to the repository root, else, when nothing is there,
    /// the one directory of the repository that ends with the path. A Flux source's root may be a
    /// directory of the repository (an OCIRepository or ExternalArtifact built from
    /// `kubernetes/`, a GitRepository with `spec.ignore`), and its Kustomizations' paths start
    /// there. Two or more such directories resolve nothing: which one is meant is unknown.
    fn repo_dir(&self, path: &str) -> PathBuf {
        let direct = self.repo_path(path);
        if self.under(&direct).next().is_some() {
            return direct;
        }
        let rel = lexical(Path::new(path.trim_start_matches("./")));
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return direct;
        }
        let Some(name) = rel.file_name() else {
            return direct;
        };
        let index = self.dirs_by_name.get_or_init(|| {
            let mut dirs: HashMap<std::ffi::OsString, Vec<PathBuf>> = HashMap::new();
            let mut seen = HashSet::new();
            for path in self.files.keys() {
                for dir in path.ancestors().skip(1) {
                    if !dir.starts_with(&self.root) || !seen.insert(dir.to_path_buf()) {
                        break;
                    }
                    if let Some(n) = dir.file_name() {
                        dirs.entry(n.to_os_string())
                            .or_default()
                            .push(dir.to_path_buf());
                    }
                }
            }
            dirs
        });
        let mut ending = index.get(name).into_iter().flatten();
        let mut ending = ending.by_ref().filter(|d| d.ends_with(&rel));
        match (ending.next(), ending.next()) {
            (Some(one), None) => one.clone(),
            _ => direct,
        }
    }
}

/// Whether a layout document is a GitOps entry point: something that deploys a path of the
/// repository by itself (a Flux Kustomization, an Argo CD Application or ApplicationSet).
pub fn is_entry_point(l: &LayoutDoc) -> bool {
    matches!(
        l,
        LayoutDoc::Flux(_) | LayoutDoc::Application(_) | LayoutDoc::ApplicationSet(_)
    )
}

impl Tree<'_> {
    /// For each kustomization file that parsed, the manifests beside it (in its directory, not
    /// below): kustomize builds only those it lists, so the others are deployed only if
    /// something else deploys them. Patch files are left out; they are never objects. So are
    /// kustomizations that run plugins, which may make objects of any file beside them.
    pub fn beside_kustomizations(&self) -> HashMap<FileId, Vec<FileId>> {
        let dirs: HashMap<&std::ffi::OsStr, FileId> = self
            .kustomizations
            .iter()
            .filter(|(_, id)| self.kustomization(**id).is_some_and(|k| !k.plugins))
            .map(|(dir, id)| (dir.as_os_str(), *id))
            .collect();
        let mut out: HashMap<FileId, Vec<FileId>> = HashMap::new();
        if dirs.is_empty() {
            return out;
        }
        for (path, &id) in &self.files {
            let Some(&k) = path.parent().and_then(|d| dirs.get(d.as_os_str())) else {
                continue;
            };
            if k != id && Tree::is_manifest(path) && !self.data.contains(&id) {
                out.entry(k).or_default().push(id);
            }
        }
        out
    }
}

/// The placements of one world: every (file, context) it deploys. Contexts are shared: a
/// kustomization or entry point makes one for all the files it deploys. `Arc` compares and
/// hashes by value, so equal contexts are still one entry.
#[derive(Default)]
pub struct Placements {
    pub entries: BTreeSet<(FileId, Arc<Context>)>,
    visited_dirs: HashSet<(PathBuf, Arc<Context>)>,
}

impl Placements {
    pub fn reached(&self) -> impl Iterator<Item = FileId> + '_ {
        self.entries.iter().map(|(f, _)| *f)
    }
}

/// A set of files. FileIds are dense, so it is a flag per file: no hashing for the tens of
/// thousands of files of a large tree.
#[derive(Default)]
pub struct FileSet(Vec<bool>);

impl FileSet {
    /// Adds a file; whether it was not in the set.
    pub fn insert(&mut self, id: FileId) -> bool {
        let i = id.0 as usize;
        if i >= self.0.len() {
            self.0.resize(i + 1, false);
        }
        !std::mem::replace(&mut self.0[i], true)
    }

    pub fn contains(&self, id: FileId) -> bool {
        self.0.get(id.0 as usize).copied().unwrap_or(false)
    }
}

impl FromIterator<FileId> for FileSet {
    fn from_iter<I: IntoIterator<Item = FileId>>(ids: I) -> Self {
        let mut set = FileSet::default();
        for id in ids {
            set.insert(id);
        }
        set
    }
}

pub struct Walker<'t, 'a> {
    pub tree: &'t Tree<'a>,
    pub config_maps: &'t ConfigMaps<'a>,
    pub default_namespace: &'t str,
    /// A file's text, read again: ApplicationSet `git.files` generators read config files.
    pub text: &'t (dyn Fn(FileId) -> Option<Arc<str>> + Sync),
}

impl Walker<'_, '_> {
    /// Deploys a directory as Flux does: its kustomization if it has one, else every manifest
    /// under it, with sub-directories that hold a kustomization deployed through it.
    pub fn dir(&self, out: &mut Placements, dir: &Path, ctx: &Arc<Context>) {
        if !out.visited_dirs.insert((dir.to_path_buf(), ctx.clone())) {
            return;
        }
        if let Some(&k) = self.tree.kustomizations.get(dir) {
            self.kustomization(out, dir, k, ctx, false);
            return;
        }
        let mut skip_under: Option<PathBuf> = None;
        let under: Vec<(PathBuf, FileId)> = self
            .tree
            .under(dir)
            .map(|(p, id)| (p.clone(), id))
            .collect();
        for (path, id) in under {
            if skip_under.as_ref().is_some_and(|s| path.starts_with(s)) {
                continue;
            }
            let parent = path.parent().unwrap_or(dir);
            if parent != dir
                && let Some(kdir) = parent
                    .ancestors()
                    .take_while(|a| *a != dir)
                    .filter(|a| self.tree.kustomizations.contains_key(*a))
                    .last()
            {
                let kdir = kdir.to_path_buf();
                self.dir(out, &kdir, ctx);
                skip_under = Some(kdir);
                continue;
            }
            if Tree::is_manifest(&path) {
                self.file(out, id, ctx);
            }
        }
    }

    /// Builds a kustomization as kustomize does: its resources, then its components (each a
    /// `kind: Component` kustomization, applied to everything accumulated before it), then its
    /// own transformers. A component is only built as one (`as_component`), and a kustomization
    /// only as a kustomization: kustomize refuses the other way round.
    fn kustomization(
        &self,
        out: &mut Placements,
        dir: &Path,
        id: FileId,
        ctx: &Context,
        as_component: bool,
    ) {
        let Some(k) = self.tree.kustomization(id) else {
            return;
        };
        if k.component != as_component {
            return;
        }
        // What the kustomization accumulates passes through each component's transformers, the
        // first component's innermost, then its own.
        let mut inner = Arc::new(ctx.through(k, Some(id)));
        let mut components = Vec::new();
        for c in k.components.iter().rev() {
            let cdir = normalize(&dir.join(c));
            let component = self
                .tree
                .kustomizations
                .get(&cdir)
                .and_then(|&cid| Some((cid, self.tree.kustomization(cid)?)))
                .filter(|(_, ck)| ck.component);
            if let Some((cid, ck)) = component {
                components.push((cdir, cid, inner.clone()));
                inner = Arc::new(inner.through(ck, Some(cid)));
            }
        }
        // Replacements run last: an outer kustomization's win over this one's.
        let replacements = self.replacements(dir, k);
        if inner.flux_target_namespace.is_none()
            && let Some(set) = self.replaced_target_namespace(dir, k, &replacements)
        {
            Arc::make_mut(&mut inner).flux_target_namespace = Some(set);
        }
        let unfollowed: Vec<Select> = replacements
            .into_iter()
            .flat_map(|r| r.other_targets)
            .collect();
        if !unfollowed.is_empty() {
            Arc::make_mut(&mut inner).replaced.extend(unfollowed);
        }
        // The kustomization file itself: its generators make objects in the inner context.
        out.entries.insert((id, inner.clone()));
        for r in &k.resources {
            if is_remote_resource(r) {
                continue; // never fetched: the Catalog makes its namespace unverifiable
            }
            let path = normalize(&dir.join(r));
            if let Some(&f) = self.tree.files.get(&path) {
                self.file(out, f, &inner);
            } else {
                self.dir(out, &path, &inner);
            }
        }
        for (cdir, cid, outer) in components.into_iter().rev() {
            if out.visited_dirs.insert((cdir.clone(), outer.clone())) {
                self.kustomization(out, &cdir, cid, &outer, true);
            }
        }
    }

    /// The `spec.targetNamespace` the `replacements` of kustomization `k` in `dir` give the Flux
    /// Kustomizations it builds. They run inside its own build, before any outer kustomization's
    /// transformers: the source is looked for among the objects of the files it and its
    /// components list, as that build places them.
    fn replaced_target_namespace(
        &self,
        dir: &Path,
        k: &Kustomization,
        replacements: &[Replacement],
    ) -> Option<(String, bool)> {
        if replacements
            .iter()
            .all(|r| r.flux_target_namespace.is_none())
        {
            return None;
        }
        let listed = |kdir: &Path, kz: &Kustomization| -> Vec<FileId> {
            kz.resources
                .iter()
                .filter_map(|r| self.tree.file(&normalize(&kdir.join(r))))
                .collect()
        };
        let mut ctx = Context::default().through(k, None);
        let mut files = listed(dir, k);
        for c in k.components.iter().rev() {
            let cdir = normalize(&dir.join(c));
            let Some(ck) = self
                .tree
                .kustomizations
                .get(&cdir)
                .and_then(|&cid| self.tree.kustomization(cid))
            else {
                continue;
            };
            ctx = ctx.through(ck, None);
            files.extend(listed(&cdir, ck));
        }
        let objects: Vec<Object> = files
            .iter()
            .flat_map(|f| self.tree.contents[f.0 as usize].objects.iter())
            .map(|o| {
                let mut o = o.clone();
                ctx.apply(&mut o);
                o
            })
            .collect();
        replacement::flux_target_namespace(
            replacements,
            objects.iter().map(|o| {
                (
                    o.group(),
                    o.kind.as_str(),
                    o.name.as_str(),
                    o.namespace.as_deref(),
                )
            }),
        )
    }

    /// A kustomization's replacements, inline and from files (read again: files are data).
    fn replacements(&self, dir: &Path, k: &Kustomization) -> Vec<Replacement> {
        let mut replacements = k.replacements.clone();
        for path in &k.replacement_files {
            let Some(text) = self
                .tree
                .file(&normalize(&dir.join(path)))
                .and_then(|f| (self.text)(f))
            else {
                continue;
            };
            let loaded = crate::source::yaml::load(&text, &crate::source::LineIndex::new(&text));
            for doc in &loaded.documents {
                replacements.extend(Replacement::read_all(doc.root()));
            }
        }
        replacements
    }

    /// What the replacements of the kustomization beside a file that lists it set, for a Flux
    /// Kustomization in that file walked on its own.
    fn home_replacement(&self, id: FileId) -> Option<(String, bool)> {
        let path = self.tree.path(id)?;
        let dir = path.parent()?;
        let &kid = self.tree.kustomizations.get(dir)?;
        let k = self.tree.kustomization(kid)?;
        if k.replacements.is_empty() && k.replacement_files.is_empty() {
            return None;
        }
        if !k.resources.iter().any(|r| normalize(&dir.join(r)) == path) {
            return None;
        }
        self.replaced_target_namespace(dir, k, &self.replacements(dir, k))
    }

    /// The shell scripts and Markdown files under a directory, which no deployment tool reads
    /// but whose commands act on the cluster the directory belongs to.
    pub fn scripts(&self, out: &mut Placements, dir: &Path) {
        let found: Vec<FileId> = self
            .tree
            .under(dir)
            .filter(|(p, _)| !Tree::is_manifest(p))
            .map(|(_, id)| id)
            .collect();
        let ctx = Arc::new(Context::default());
        for id in found {
            out.entries.insert((id, ctx.clone()));
        }
    }

    /// What no entry point reached: kustomizations no other kustomization includes are built
    /// on their own, every other file is applied as it is. Returns the files applied as they
    /// are.
    pub fn unreached(&self, out: &mut Placements, reached: &FileSet) -> FileSet {
        let mut included = FileSet::default();
        for (dir, &id) in &self.tree.kustomizations {
            let Some(k) = self.tree.kustomization(id) else {
                continue;
            };
            for r in k.resources.iter().chain(&k.components) {
                let path = normalize(&dir.join(r));
                if let Some(&k) = self.tree.kustomizations.get(&path) {
                    included.insert(k);
                }
            }
        }
        let ctx = Arc::new(Context::default());
        // Components are templates: built only where a kustomization includes them.
        let mut templates = Placements::default();
        for (dir, &id) in &self.tree.kustomizations {
            if self.tree.kustomization(id).is_some_and(|k| k.component) {
                self.kustomization(&mut templates, dir, id, &ctx, true);
            } else if !reached.contains(id) && !included.contains(id) {
                let own = Arc::new(Context {
                    build: BuiltBy(Some(Build {
                        file: id,
                        doc: u32::MAX,
                        part: 0,
                        tool: BuildTool::Kustomize,
                    })),
                    ..Context::default()
                });
                self.kustomization(out, dir, id, &own, false);
            }
        }
        let in_components: FileSet = templates.reached().collect();
        self.as_is(out, reached, &in_components)
    }

    /// The files neither `reached`, nor in `components`, nor placed in `out` yet, applied as
    /// they are (default context); the GitOps entry points among them first, so what they
    /// deploy is placed in their context and not also as it is. Returns the files applied as
    /// they are: those no entry point or kustomization deploys.
    fn as_is(&self, out: &mut Placements, reached: &FileSet, components: &FileSet) -> FileSet {
        let ctx = Arc::new(Context::default());
        let left = |out: &Placements| -> Vec<FileId> {
            let placed: FileSet = out.reached().collect();
            self.tree
                .files
                .values()
                .copied()
                .filter(|&id| {
                    !reached.contains(id) && !placed.contains(id) && !components.contains(id)
                })
                .collect()
        };
        for id in left(out) {
            if self.tree.contents[id.0 as usize]
                .layout
                .iter()
                .any(is_entry_point)
            {
                self.file(out, id, &ctx);
            }
        }
        let mut as_is = FileSet::default();
        for id in left(out) {
            self.file(out, id, &ctx);
            if out.entries.contains(&(id, ctx.clone())) {
                as_is.insert(id);
            }
        }
        as_is
    }

    /// One file deployed in a context; the Flux and Argo CD entry points it holds are followed.
    pub fn file(&self, out: &mut Placements, id: FileId, ctx: &Arc<Context>) {
        // Entries are never removed: a new entry is an entry point not yet followed.
        if self.tree.data.contains(&id) || !out.entries.insert((id, ctx.clone())) {
            return;
        }
        for (doc, layout) in self.tree.contents[id.0 as usize].layout.iter().enumerate() {
            let build = |part: usize, tool| {
                BuiltBy(Some(Build {
                    file: id,
                    doc: doc as u32,
                    part: part as u32,
                    tool,
                }))
            };
            match layout {
                LayoutDoc::Flux(f) => {
                    let target = self.tree.repo_dir(&f.path);
                    let closed = (!ctx.edited)
                        .then(|| self.closed(f, id))
                        .flatten()
                        .map(Arc::new);
                    // A kustomization's replacements may set it, or create it: the one
                    // that builds the file, also when it is walked as an entry point itself.
                    let replaced = ctx
                        .flux_target_namespace
                        .clone()
                        .or_else(|| self.home_replacement(id));
                    let namespace = match &replaced {
                        Some((ns, create)) if *create || f.target_namespace.is_some() => {
                            Some(ns.clone())
                        }
                        _ => f.target_namespace.clone(),
                    };
                    let ctx = Arc::new(Context {
                        namespace,
                        vars: Some(Arc::new(self.vars(f))),
                        closed,
                        edited: f.edits,
                        build: build(0, BuildTool::Flux),
                        ..Context::default()
                    });
                    self.dir(out, &target, &ctx);
                }
                LayoutDoc::Application(app) => {
                    for (part, p) in app.paths.iter().enumerate() {
                        let dir = self.tree.repo_dir(p);
                        let ctx = Arc::new(Context {
                            default_namespace: app.destination_namespace.clone(),
                            build: build(part, self.argo_tool(&dir)),
                            ..Context::default()
                        });
                        self.dir(out, &dir, &ctx);
                    }
                }
                LayoutDoc::ApplicationSet(set) => {
                    for (part, (path, namespace)) in self.expand(set).into_iter().enumerate() {
                        let dir = self.tree.repo_dir(&path);
                        let ctx = Arc::new(Context {
                            default_namespace: namespace,
                            build: build(part, self.argo_tool(&dir)),
                            ..Context::default()
                        });
                        self.dir(out, &dir, &ctx);
                    }
                }
                LayoutDoc::Kustomization(_)
                | LayoutDoc::ConfigMap { .. }
                | LayoutDoc::ValuesFiles(_) => {}
            }
        }
    }

    /// How Argo CD builds an Application's directory: with kustomize when it holds a
    /// kustomization, else as plain manifests.
    fn argo_tool(&self, dir: &Path) -> BuildTool {
        if self.tree.kustomizations.contains_key(dir) {
            BuildTool::ArgoKustomize
        } else {
            BuildTool::ArgoDirectory
        }
    }

    /// The variables a Flux Kustomization substitutes: `substitute`, then the ConfigMaps of
    /// `substituteFrom` found in the tree. Secrets are not read, so their variables stay
    /// placeholders.
    fn vars(&self, f: &FluxKustomization) -> Vars {
        let mut vars = BTreeMap::new();
        let ns = f.namespace.as_deref().unwrap_or(self.default_namespace);
        for (kind, name) in &f.substitute_from {
            if kind != "ConfigMap" {
                continue;
            }
            // The ConfigMap in the Kustomization's namespace, else one whose namespace a
            // kustomization sets (not written on it).
            let candidates = self
                .config_maps
                .get(name.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let found = candidates
                .iter()
                .find(|(n, _, _)| *n == Some(ns))
                .or_else(|| candidates.iter().find(|(n, _, _)| n.is_none()));
            if let Some((_, data, _)) = found {
                vars.extend(data.iter().cloned());
            }
        }
        // Inline values take precedence over substituteFrom.
        vars.extend(f.substitute.iter().cloned());
        Vars(vars)
    }

    /// What a Flux Kustomization can substitute, when cilint sees all of it: `None` when a
    /// source may define variables cilint cannot see (a Secret, whose values are never read; a
    /// ConfigMap not in the tree, which something outside it may create, `optional` or not; a
    /// generator reading files; an entry of another kind), or when no variable is sure to be
    /// defined: Flux substitutes only when some variable is (kustomize-controller's
    /// `SubstituteVariables`). Every ConfigMap of the name in its namespace (or with none
    /// written) counts: which one a cluster deploys is not always known.
    fn closed(&self, f: &FluxKustomization, id: FileId) -> Option<Closed> {
        let name = f.name.as_ref()?;
        let ns = f.namespace.as_deref().unwrap_or(self.default_namespace);
        let mut defined: BTreeSet<String> = f.substitute.iter().map(|(k, _)| k.clone()).collect();
        for (kind, source) in &f.substitute_from {
            if kind != "ConfigMap" {
                return None;
            }
            let candidates: Vec<_> = self
                .config_maps
                .get(source.as_str())
                .into_iter()
                .flatten()
                .filter(|(n, _, _)| n.is_none() || *n == Some(ns))
                .collect();
            if candidates.is_empty() || candidates.iter().any(|(_, _, complete)| !complete) {
                return None;
            }
            for (_, data, _) in candidates {
                defined.extend(data.iter().map(|(k, _)| k.clone()));
            }
        }
        if defined.is_empty() {
            return None;
        }
        Some(Closed {
            defined,
            kustomization: FluxRef {
                name: format!("{ns}/{}", name.value),
                location: Location {
                    file: id,
                    span: name.span,
                },
            },
        })
    }

    /// The (path, destination namespace) of every Application an ApplicationSet generates. A
    /// generator cilint cannot expand (clusters, SCM providers, pull requests, …) still deploys
    /// what the template writes without its parameters.
    fn expand(&self, set: &ArgoApplicationSet) -> Vec<(String, Option<String>)> {
        let ParameterSets {
            mut params,
            unexpandable,
            ..
        } = self.parameter_sets(set);
        if unexpandable.is_some() {
            params.push(Vec::new());
        }
        let mut out = Vec::new();
        for p in &params {
            let fill = |t: &str| render_template(t, p);
            let namespace = set.template_namespace.as_deref().and_then(fill);
            for path in &set.template_paths {
                if let Some(path) = fill(path) {
                    out.push((path, namespace.clone()));
                }
            }
        }
        out
    }

    /// Every parameter set an ApplicationSet's generators produce, as far as cilint can know
    /// them.
    pub fn parameter_sets(&self, set: &ArgoApplicationSet) -> ParameterSets {
        let mut out = ParameterSets::default();
        for g in &set.generators {
            let expanded = self.params(g, &mut out.params);
            if expanded != Expanded::All && out.unexpandable.is_none() {
                out.unexpandable = Some(unexpandable_key(g).to_string());
            }
            out.opaque |= expanded == Expanded::Nothing;
        }
        out
    }

    /// Adds the parameter sets of one generator, and says how much of them are known.
    fn params(&self, g: &Generator, out: &mut Vec<Params>) -> Expanded {
        match g {
            Generator::List(elements) => out.extend(elements.iter().cloned()),
            Generator::GitDirectories { include, exclude } => {
                for dir in self.directories(include, exclude) {
                    let mut p = Vec::new();
                    path_params(&dir, &mut p);
                    out.push(p);
                }
            }
            Generator::GitFiles { include, exclude } => {
                for (file, id) in self.matching_files(include, exclude) {
                    let (dir, name) = file.rsplit_once('/').unwrap_or(("", file.as_str()));
                    let Some(text) = (self.text)(id) else {
                        continue;
                    };
                    for mut p in config_params(&text) {
                        path_params(dir, &mut p);
                        p.push(("path.filename".into(), name.to_string()));
                        p.push(("path.filenameNormalized".into(), normalized(name)));
                        out.push(p);
                    }
                }
            }
            Generator::Matrix(pair) => {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                let [first, second] = pair.as_slice() else {
                    return Expanded::Nothing;
                };
                match (self.params(first, &mut a), self.params(second, &mut b)) {
                    (Expanded::All, Expanded::All) => {
                        for x in &a {
                            for y in &b {
                                out.push(x.iter().chain(y).cloned().collect());
                            }
                        }
                    }
                    // Each combination holds one of these sets, with parameters cilint does
                    // not know beside them.
                    (Expanded::All, _) => {
                        out.append(&mut a);
                        return Expanded::Part;
                    }
                    (_, Expanded::All) => {
                        out.append(&mut b);
                        return Expanded::Part;
                    }
                    _ => return Expanded::Nothing,
                }
            }
            Generator::Unexpandable(_) => return Expanded::Nothing,
        }
        Expanded::All
    }

    /// Repository files (relative, `/`-separated) matching a `git.files` generator's globs.
    fn matching_files(&self, include: &[String], exclude: &[String]) -> Vec<(String, FileId)> {
        let (Some(inc), Some(exc)) = (glob_set(include), glob_set(exclude)) else {
            return Vec::new();
        };
        self.tree
            .files
            .iter()
            .filter_map(|(path, &id)| {
                let rel = path.strip_prefix(&self.tree.root).ok()?;
                let rel = rel.to_string_lossy().replace('\\', "/");
                (inc.is_match(&rel) && !exc.is_match(&rel)).then_some((rel, id))
            })
            .collect()
    }

    /// Repository directories (relative, `/`-separated) matching the generator's globs.
    fn directories(&self, include: &[String], exclude: &[String]) -> Vec<String> {
        let (Some(inc), Some(exc)) = (glob_set(include), glob_set(exclude)) else {
            return Vec::new();
        };
        let mut dirs = BTreeSet::new();
        for path in self.tree.files.keys() {
            let Ok(rel) = path.strip_prefix(&self.tree.root) else {
                continue;
            };
            for dir in rel.ancestors().skip(1) {
                if dir.as_os_str().is_empty() {
                    break;
                }
                let d = dir.to_string_lossy().replace('\\', "/");
                if inc.is_match(&d) && !exc.is_match(&d) {
                    dirs.insert(d);
                }
            }
        }
        dirs.into_iter().collect()
    }
}

/// An ApplicationSet parameter set: `(name, value)` pairs.
pub type Params = Vec<(String, String)>;

/// What an ApplicationSet's generators give, as far as cilint knows.
#[derive(Debug, Default)]
pub struct ParameterSets {
    /// The parameter sets; those of a matrix with an unexpandable half hold only the other
    /// half's parameters.
    pub params: Vec<Params>,
    /// The first generator cilint cannot expand, in full or in part: its key.
    pub unexpandable: Option<String>,
    /// Some generator gave no parameter set at all: its Applications are not in `params`.
    pub opaque: bool,
}

/// How much of a generator's parameter sets cilint knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expanded {
    All,
    /// Every set, each missing the parameters of an unexpandable half of a matrix.
    Part,
    Nothing,
}

/// The key of the generator that cannot be expanded: a matrix names its unexpandable half.
fn unexpandable_key(g: &Generator) -> &str {
    match g {
        Generator::Unexpandable(key) => key,
        Generator::Matrix(pair) => pair
            .iter()
            .find(|g| matches!(g, Generator::Unexpandable(_) | Generator::Matrix(_)))
            .map_or("matrix", unexpandable_key),
        _ => "matrix",
    }
}

/// Argo CD's globs: `*` stays within a directory, `**` crosses them.
fn glob_set(globs: &[String]) -> Option<globset::GlobSet> {
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        if let Ok(glob) = globset::GlobBuilder::new(g).literal_separator(true).build() {
            b.add(glob);
        }
    }
    b.build().ok()
}

/// The `path` parameters Argo CD's git generators give a directory: `path` (also `path.path`
/// for goTemplate), `path.basename`, `path.basenameNormalized` and each segment as `path[n]`
/// (argo-cd.readthedocs.io, Generators-Git).
fn path_params(dir: &str, p: &mut Params) {
    let basename = dir.rsplit('/').next().unwrap_or(dir);
    p.push(("path".into(), dir.to_string()));
    p.push(("path.path".into(), dir.to_string()));
    p.push(("path.basename".into(), basename.to_string()));
    p.push(("path.basenameNormalized".into(), normalized(basename)));
    for (i, segment) in dir.split('/').enumerate() {
        p.push((format!("path[{i}]"), segment.to_string()));
    }
}

/// Argo CD's `…Normalized` parameters: lower case, characters a Kubernetes name cannot hold
/// replaced with `-`.
fn normalized(name: &str) -> String {
    name.chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '-' | '.') => c,
            _ => '-',
        })
        .collect()
}

/// The parameter sets of a `git.files` config file: its keys flattened with `.` (`cluster.name`),
/// one set for a mapping, one per element for a sequence of mappings. A file that does not
/// parse gives none, as Argo CD refuses it.
fn config_params(text: &str) -> Vec<Params> {
    fn flatten(prefix: &str, node: crate::source::yaml::Node<'_>, out: &mut Params) {
        for (k, v) in node.as_map() {
            let Some(k) = k.as_str() else {
                continue;
            };
            let key = if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            };
            if let Some(s) = v.as_str() {
                out.push((key, s.to_string()));
            } else {
                flatten(&key, v, out);
            }
        }
    }
    let loaded = crate::source::yaml::load(text, &crate::source::LineIndex::new(text));
    if loaded.error.is_some() {
        return Vec::new();
    }
    let mut sets = Vec::new();
    for doc in &loaded.documents {
        let root = doc.root();
        let items: Vec<_> = if root.is_map() {
            vec![root]
        } else {
            root.as_seq().filter(|n| n.is_map()).collect()
        };
        for item in items {
            let mut p = Vec::new();
            flatten("", item, &mut p);
            sets.push(p);
        }
    }
    sets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(namespace: Option<&str>) -> Object {
        let text = match namespace {
            Some(ns) => format!(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: {ns}\n"
            ),
            None => "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n".to_string(),
        };
        let loaded = crate::source::yaml::load(&text, &crate::source::LineIndex::new(&text));
        Object::from_document(loaded.documents[0].root(), FileId(0), "default")
            .unwrap()
            .remove(0)
    }

    #[test]
    fn outer_kustomization_wins_and_prefixes_nest() {
        let base = Kustomization {
            namespace: Some("base".into()),
            name_prefix: "b-".into(),
            name_suffix: "-b".into(),
            ..Default::default()
        };
        let overlay = Kustomization {
            namespace: Some("prod".into()),
            name_prefix: "o-".into(),
            name_suffix: "-o".into(),
            ..Default::default()
        };
        let ctx = Context::default()
            .through(&overlay, None)
            .through(&base, None);
        let mut o = object(Some("written"));
        ctx.apply(&mut o);
        assert_eq!(o.namespace.as_deref(), Some("prod"));
        assert_eq!(o.name, "o-b-web-b-o");
    }

    #[test]
    fn the_namespace_transformer_renames_namespace_objects() {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: original\n";
        let loaded = crate::source::yaml::load(text, &crate::source::LineIndex::new(text));
        let mut ns = Object::from_document(loaded.documents[0].root(), FileId(0), "default")
            .unwrap()
            .remove(0);
        let ctx = Context::default().through(
            &Kustomization {
                namespace: Some("shop".into()),
                ..Default::default()
            },
            None,
        );
        ctx.apply(&mut ns);
        assert_eq!(ns.name, "shop");
    }

    #[test]
    fn argo_destination_only_fills_missing_namespaces() {
        let ctx = Context {
            default_namespace: Some("shop".into()),
            ..Default::default()
        };
        let mut written = object(Some("other"));
        ctx.apply(&mut written);
        assert_eq!(written.namespace.as_deref(), Some("other"));
        let mut missing = object(None);
        ctx.apply(&mut missing);
        assert_eq!(missing.namespace.as_deref(), Some("shop"));
        assert!(!missing.namespace_defaulted);
    }

    #[test]
    fn config_files_flatten_their_keys() {
        let json = r#"{"app": "shop", "cluster": {"name": "prod", "address": "https://k"}}"#;
        assert_eq!(
            config_params(json),
            [vec![
                ("app".to_string(), "shop".to_string()),
                ("cluster.name".to_string(), "prod".to_string()),
                ("cluster.address".to_string(), "https://k".to_string()),
            ]]
        );
        // A list of mappings is one parameter set per element; a broken file is none.
        assert_eq!(config_params("- a: x\n- a: y\n").len(), 2);
        assert!(config_params("a: [\n").is_empty());
        let mut p = Vec::new();
        path_params("clusters/Prod_EU", &mut p);
        assert!(p.contains(&("path.basenameNormalized".into(), "prod-eu".into())));
        assert!(p.contains(&("path[0]".into(), "clusters".into())));
    }

    #[test]
    fn templates_fill_both_syntaxes() {
        let p = vec![
            ("path".to_string(), "apps/shop".to_string()),
            ("path.basename".to_string(), "shop".to_string()),
        ];
        assert_eq!(
            render_template("{{path}}", &p).as_deref(),
            Some("apps/shop")
        );
        assert_eq!(
            render_template("{{ .path.basename }}-ns", &p).as_deref(),
            Some("shop-ns")
        );
        assert_eq!(render_template("{{cluster}}", &p), None);
    }
}
