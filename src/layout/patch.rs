//! kustomize patches, applied to a document before it becomes objects, as `kustomize build`
//! applies them: strategic-merge patches (`patchesStrategicMerge`, `patches`) and JSON 6902
//! patches (`patches`, `patchesJson6902`), from files or written inline, selected by `target` or
//! by the patch's own identity.
//!
//! A patch cilint cannot apply exactly (an operation or directive it does not support, a target
//! it cannot evaluate, a patch file it cannot read) makes the documents it may target
//! *unverifiable*: they are kept as written and flagged, and draw no finding.
//!
//! Values a patch sets keep the spans of the text they were written in (the patch file, or the
//! kustomization for an inline patch): the caller moves them into a range of the target file
//! past its end (see `Positions` in the layout module), so findings can be pointed back at them.

use std::path::Path;
use std::sync::Arc;

use regex::Regex;

use crate::model::gitops::{PatchField, PatchSource, PatchSpec, Target};
use crate::model::{group_of, is_cluster_scoped};
use crate::source::yaml::build::{Data, Value};
use crate::source::yaml::{self, MAX_DEPTH};
use crate::source::{FileId, LineIndex, Pos, Span};

/// The patches of one kustomization (or component), read once.
#[derive(Debug, Default)]
pub struct PatchSet {
    pub patches: Vec<Patch>,
}

#[derive(Debug)]
pub struct Patch {
    field: PatchField,
    /// The file the patch text is in: a patch file, or the kustomization for an inline patch.
    source: Option<FileId>,
    body: Body,
    target: Option<Selector>,
    allow_name_change: bool,
    allow_kind_change: bool,
}

#[derive(Debug)]
enum Body {
    /// Strategic-merge patch documents.
    Merge(Vec<Value>),
    /// JSON 6902 operations.
    Json(Vec<Op>),
    /// A patch cilint cannot apply exactly: unreadable, malformed, or an operation it does not
    /// support.
    Broken,
}

#[derive(Debug)]
struct Op {
    kind: OpKind,
    path: Vec<String>,
    from: Vec<String>,
    value: Option<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OpKind {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}

/// Where patch texts come from.
pub struct Sources<'a> {
    /// The file at a (normalised) path, if the tree has it.
    pub file: &'a (dyn Fn(&Path) -> Option<FileId> + Sync),
    /// A file's text.
    pub text: &'a (dyn Fn(FileId) -> Option<Arc<str>> + Sync),
}

impl PatchSet {
    /// Reads and parses the patches of the kustomization `kustomization` in `dir`.
    pub fn read(
        kustomization: FileId,
        dir: &Path,
        specs: &[PatchSpec],
        sources: &Sources,
    ) -> PatchSet {
        let patches = specs
            .iter()
            .map(|spec| {
                let (source, docs) = match &spec.source {
                    PatchSource::File(path) => {
                        let id = (sources.file)(&super::place::normalize(&dir.join(path)));
                        // A patch file that is not in the tree (or not readable) is not applied.
                        let docs = id.and_then(|id| (sources.text)(id)).and_then(|t| parse(&t));
                        (id, docs)
                    }
                    PatchSource::Inline { text, span } => {
                        let docs = (sources.text)(kustomization).and_then(|k| {
                            let mut docs = parse(text)?;
                            let map = InlineMap::new(&k, *span, text);
                            for d in &mut docs {
                                d.rewrite(&|s| map.span(s), &|_| None);
                            }
                            Some(docs)
                        });
                        (Some(kustomization), docs)
                    }
                    PatchSource::Missing => (None, None),
                };
                Patch {
                    field: spec.field,
                    source,
                    body: docs.map_or(Body::Broken, |docs| body(spec.field, docs)),
                    target: spec.target.as_ref().map(Selector::new),
                    allow_name_change: spec.allow_name_change,
                    allow_kind_change: spec.allow_kind_change,
                }
            })
            .collect();
        PatchSet { patches }
    }

    /// Whether a patch may touch an object of this kind (cheap; `true` when unsure).
    pub fn may_target(&self, api_version: &str, kind: &str) -> bool {
        self.patches.iter().any(|p| match (&p.target, &p.body) {
            (Some(t), _) => t.may_match_kind(api_version, kind),
            (None, Body::Merge(docs)) => docs
                .iter()
                .any(|d| d.get("kind").and_then(Value::as_str) == Some(kind)),
            // A JSON patch without target, or a broken one: kustomize refuses the build.
            (None, _) => true,
        })
    }

    /// The files patch texts are read from.
    pub fn sources(&self) -> impl Iterator<Item = FileId> + '_ {
        self.patches.iter().filter_map(|p| p.source)
    }
}

/// The documents of a patch text; `None` if it does not parse.
fn parse(text: &str) -> Option<Vec<Value>> {
    let loaded = yaml::load(text, &LineIndex::new(text));
    if loaded.error.is_some() {
        return None;
    }
    Some(
        loaded
            .documents
            .iter()
            .map(|a| Value::of(a.root()))
            .collect(),
    )
}

/// A patch's body, by its content as kustomize decides: a list of operations is a JSON 6902
/// patch, mappings are strategic-merge patches.
fn body(field: PatchField, docs: Vec<Value>) -> Body {
    let json = matches!(docs.first().map(|d| &d.data), Some(Data::Seq(_)));
    match (field, json) {
        (PatchField::StrategicMerge, true) | (PatchField::Json6902, false) => Body::Broken,
        // kustomize reads only the first document of a JSON patch: one is expected.
        (_, true) if docs.len() > 1 => Body::Broken,
        (_, true) => docs[0]
            .items()
            .iter()
            .map(op)
            .collect::<Option<Vec<Op>>>()
            .map_or(Body::Broken, Body::Json),
        (_, false) => {
            if docs.is_empty() || docs.iter().any(|d| !matches!(d.data, Data::Map(_))) {
                Body::Broken
            } else {
                Body::Merge(docs)
            }
        }
    }
}

/// One operation; `None` for an operation RFC 6902 does not define, or a malformed one.
fn op(v: &Value) -> Option<Op> {
    let kind = match v.get("op").and_then(Value::as_str)? {
        "add" => OpKind::Add,
        "remove" => OpKind::Remove,
        "replace" => OpKind::Replace,
        "move" => OpKind::Move,
        "copy" => OpKind::Copy,
        "test" => OpKind::Test,
        _ => return None,
    };
    let pointer = |key: &str| v.get(key).and_then(Value::as_str).and_then(pointer);
    let value = v.get("value").cloned();
    if matches!(kind, OpKind::Add | OpKind::Replace | OpKind::Test) && value.is_none() {
        return None;
    }
    Some(Op {
        kind,
        path: pointer("path")?,
        from: if matches!(kind, OpKind::Move | OpKind::Copy) {
            pointer("from")?
        } else {
            Vec::new()
        },
        value,
    })
}

/// A JSON pointer's tokens (RFC 6901); `None` if malformed.
fn pointer(p: &str) -> Option<Vec<String>> {
    if p.is_empty() {
        return Some(Vec::new());
    }
    let rest = p.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// Maps positions in an inline patch (a string in the kustomization) to the kustomization file.
/// A literal block scalar (`patch: |-`) or a one-line string maps exactly, line by line; anything
/// else (folded, escaped) maps to the whole string.
struct InlineMap<'k> {
    index: LineIndex<'k>,
    /// The kustomization line of the string's first line, and the column its text starts at.
    first_line: u32,
    col0: u32,
    exact: bool,
    whole: Span,
}

impl<'k> InlineMap<'k> {
    fn new(kustomization: &'k str, span: Span, value: &str) -> InlineMap<'k> {
        let index = LineIndex::new(kustomization);
        let quoted = matches!(
            kustomization.as_bytes().get(span.start.byte as usize),
            Some(b'"' | b'\'')
        );
        let col0 = span.start.col.saturating_sub(1) + u32::from(quoted);
        let lines: Vec<&str> = kustomization.lines().collect();
        let mut pieces: Vec<&str> = value.split('\n').collect();
        if pieces.len() > 1 && pieces.last() == Some(&"") {
            pieces.pop();
        }
        let exact = (!quoted || pieces.len() == 1)
            && pieces.iter().enumerate().all(|(i, piece)| {
                let Some(line) = lines.get((span.start.line as usize).saturating_sub(1) + i) else {
                    return false;
                };
                let rest: String = line.chars().skip(col0 as usize).collect();
                let rest = if i == 0 && quoted {
                    rest.get(..piece.len()).unwrap_or("").to_string()
                } else {
                    rest
                };
                rest == *piece || (piece.is_empty() && line.trim().is_empty())
            });
        InlineMap {
            index,
            first_line: span.start.line,
            col0,
            exact,
            whole: span,
        }
    }

    fn pos(&self, p: Pos) -> Pos {
        self.index.pos(
            (self.first_line + p.line.saturating_sub(1)) as usize,
            (self.col0 + p.col.saturating_sub(1)) as usize,
        )
    }

    fn span(&self, s: Span) -> Span {
        if !self.exact {
            return self.whole;
        }
        Span {
            start: self.pos(s.start),
            end: self.pos(s.end),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Targets

/// A compiled `target`. kustomize anchors each field's regular expression (`^(?:…)$`).
#[derive(Debug)]
struct Selector {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Vec<Requirement>,
    annotations: Vec<Requirement>,
    has_metadata_selector: bool,
    /// A pattern or selector cilint cannot read: what it selects is not known exactly.
    broken: bool,
}

#[derive(Debug, PartialEq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl Requirement {
    fn matches(&self, pairs: &[(&str, &str)]) -> bool {
        let get = |k: &str| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
        match self {
            Requirement::Equals(k, v) => get(k) == Some(v),
            Requirement::NotEquals(k, v) => get(k) != Some(v),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|x| vs.iter().all(|v| v != x)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::DoesNotExist(k) => get(k).is_none(),
        }
    }
}

/// A label selector string (`app=web,tier!=db,env in (a,b),!legacy`); `None` if malformed.
fn requirements(text: &str) -> Option<Vec<Requirement>> {
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1)?,
            ',' if depth == 0 => {
                terms.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&text[start..]);
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    };
    let mut out = Vec::new();
    for term in terms.into_iter().map(str::trim).filter(|t| !t.is_empty()) {
        let set = |op: &str| -> Option<(String, Vec<String>)> {
            let (key, rest) = term.split_once(op)?;
            let list = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
            let values = list.split(',').map(|v| v.trim().to_string()).collect();
            Some((key.trim().to_string(), values))
        };
        let r = if let Some(key) = term.strip_prefix('!') {
            Requirement::DoesNotExist(key.trim().to_string())
        } else if let Some((k, vs)) = set(" notin ") {
            Requirement::NotIn(k, vs)
        } else if let Some((k, vs)) = set(" in ") {
            Requirement::In(k, vs)
        } else if let Some((k, v)) = term.split_once("!=") {
            Requirement::NotEquals(k.trim().into(), v.trim().into())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            Requirement::Equals(k.trim().into(), v.trim().into())
        } else {
            Requirement::Exists(term.to_string())
        };
        let key_ok = match &r {
            Requirement::Equals(k, _)
            | Requirement::NotEquals(k, _)
            | Requirement::In(k, _)
            | Requirement::NotIn(k, _)
            | Requirement::Exists(k)
            | Requirement::DoesNotExist(k) => valid(k),
        };
        if !key_ok {
            return None;
        }
        out.push(r);
    }
    Some(out)
}

impl Selector {
    fn new(t: &Target) -> Selector {
        let mut broken = false;
        let mut regex = |field: &Option<String>| {
            let p = field.as_ref()?;
            let r = Regex::new(&format!("^(?:{p})$")).ok();
            broken |= r.is_none();
            r
        };
        let (group, version, kind) = (regex(&t.group), regex(&t.version), regex(&t.kind));
        let (name, namespace) = (regex(&t.name), regex(&t.namespace));
        let mut selector = |field: &Option<String>| match field {
            None => Vec::new(),
            Some(text) => requirements(text).unwrap_or_else(|| {
                broken = true;
                Vec::new()
            }),
        };
        let labels = selector(&t.label_selector);
        let annotations = selector(&t.annotation_selector);
        Selector {
            group,
            version,
            kind,
            name,
            namespace,
            labels,
            annotations,
            has_metadata_selector: t.label_selector.is_some() || t.annotation_selector.is_some(),
            broken,
        }
    }

    fn may_match_kind(&self, api_version: &str, kind: &str) -> bool {
        let gvk_ok = |r: &Option<Regex>, s: &str| r.as_ref().is_none_or(|r| r.is_match(s));
        let (group, version) = split_api_version(api_version);
        gvk_ok(&self.kind, kind) && gvk_ok(&self.group, group) && gvk_ok(&self.version, version)
    }

    /// Whether the selector selects a document: `None` when that cannot be told exactly.
    fn selects(&self, id: &Identity<'_>, metadata_unknown: bool) -> Option<bool> {
        if !self.may_match_kind(&id.api_version, &id.kind) {
            return Some(false);
        }
        let any = |r: &Option<Regex>, values: [&str; 2]| {
            r.as_ref()
                .is_none_or(|r| values.iter().any(|v| r.is_match(v)))
        };
        let namespaces = [id.original.0.as_str(), id.current.0.as_str()];
        let names = [id.original.1.as_str(), id.current.1.as_str()];
        if !any(&self.namespace, namespaces) || !any(&self.name, names) {
            return Some(false);
        }
        if self.broken || (self.has_metadata_selector && metadata_unknown) {
            return None;
        }
        Some(
            self.labels.iter().all(|r| r.matches(&id.labels))
                && self.annotations.iter().all(|r| r.matches(&id.annotations)),
        )
    }
}

fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// What a patch sees of a document: kustomize matches a resource by its identity as written
/// (`original`) or as the transformers that already ran left it (`current`), each an
/// (effective namespace, name) pair.
struct Identity<'d> {
    api_version: String,
    kind: String,
    original: (String, String),
    current: (String, String),
    /// What nested kustomizations added around the name as written.
    prefix: String,
    suffix: String,
    labels: Vec<(&'d str, &'d str)>,
    annotations: Vec<(&'d str, &'d str)>,
}

impl Identity<'_> {
    /// Whether the resource was ever called `name`: as written, with some of the nested
    /// kustomizations' prefixes and suffixes (the innermost ones), or as it is now.
    fn had_name(&self, name: &str) -> bool {
        let written = self.original.1.as_str();
        let Some(at) = name.find(written) else {
            return false;
        };
        let (before, after) = (&name[..at], &name[at + written.len()..]);
        self.prefix.ends_with(before) && self.suffix.starts_with(after)
    }
}

/// kustomize's effective namespace: cluster-scoped objects have none, an empty one is `default`.
fn effective(kind: &str, namespace: Option<&str>) -> String {
    if is_cluster_scoped(kind) {
        return "~cluster".into();
    }
    match namespace {
        None | Some("") => "default".into(),
        Some(ns) => ns.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Applying

/// One kustomization's patches as they meet a document: what the kustomizations nested in it
/// already did to names and namespaces, and what it does itself (`patchesJson6902` runs after
/// its own namespace and name transformers).
pub struct Stage<'a> {
    pub set: &'a PatchSet,
    pub inner_prefix: &'a str,
    pub inner_suffix: &'a str,
    /// The namespace a nested kustomization set, if one did.
    pub inner_namespace: Option<&'a str>,
    pub own_prefix: &'a str,
    pub own_suffix: &'a str,
    pub own_namespace: Option<&'a str>,
    /// A nested kustomization adds labels or annotations cilint does not track (and this one,
    /// before `patchesJson6902`).
    pub metadata_below: bool,
    pub own_metadata: bool,
}

impl Stage<'_> {
    /// Whether names and namespaces reach this stage as written: a patch may then rename.
    fn untransformed(&self, after_own: bool) -> bool {
        self.inner_prefix.is_empty()
            && self.inner_suffix.is_empty()
            && self.inner_namespace.is_none()
            && (!after_own
                || (self.own_prefix.is_empty()
                    && self.own_suffix.is_empty()
                    && self.own_namespace.is_none()))
    }
}

/// What patching did to a document.
#[derive(Debug)]
pub enum Outcome {
    Unchanged,
    Patched(Value),
    /// A `$patch: delete` removed it.
    Deleted,
    /// A patch may change it and cannot be applied exactly: keep it as written, flagged.
    Unverifiable,
}

/// Copies a patch's value into the target document: spans moved for the file the patch text is
/// in, Flux variables substituted. `None` when the positions cannot be kept.
pub type Take<'a> = dyn Fn(&Value, Option<FileId>) -> Option<Value> + 'a;

/// Applies every stage's patches (innermost first) to a document.
pub fn apply(doc: &Value, stages: &[Stage], take: &Take) -> Outcome {
    let is_list = doc
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && doc.get("items").is_some();
    let outcome = if is_list {
        apply_list(doc, stages, take)
    } else {
        apply_one(doc, stages, take)
    };
    match outcome {
        Outcome::Patched(v) if v.depth() > MAX_DEPTH => Outcome::Unverifiable,
        o => o,
    }
}

/// kustomize patches the items of a List as resources of their own.
fn apply_list(list: &Value, stages: &[Stage], take: &Take) -> Outcome {
    let mut out = list.clone();
    let Some(Data::Seq(items)) = out.get_mut("items").map(|v| &mut v.data) else {
        return Outcome::Unchanged;
    };
    let mut changed = false;
    let mut kept = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        match apply_one(&item, stages, take) {
            Outcome::Unchanged => kept.push(item),
            Outcome::Patched(v) => {
                changed = true;
                kept.push(v);
            }
            Outcome::Deleted => changed = true,
            // The items load as one document: one unverifiable item makes them all so.
            Outcome::Unverifiable => return Outcome::Unverifiable,
        }
    }
    *items = kept;
    if changed {
        Outcome::Patched(out)
    } else {
        Outcome::Unchanged
    }
}

/// One resource through every stage.
fn apply_one(doc: &Value, stages: &[Stage], take: &Take) -> Outcome {
    let has = |key: &str| doc.get(key).and_then(Value::as_str).is_some();
    if !has("apiVersion") || !has("kind") {
        return Outcome::Unchanged;
    }
    let mut current: Option<Value> = None;
    for stage in stages {
        for patch in &stage.set.patches {
            let doc_now = current.as_ref().unwrap_or(doc);
            let after_own = patch.field == PatchField::Json6902;
            let id = identity(doc_now, stage, after_own);
            let metadata_unknown = stage.metadata_below || (after_own && stage.own_metadata);
            let docs = match patch.touches(&id, metadata_unknown) {
                Touch::No => continue,
                Touch::Unknown => return Outcome::Unverifiable,
                Touch::Yes(docs) => docs,
            };
            let mut next = doc_now.clone();
            let before = identity_fields(&next);
            let mut deleted = false;
            let applied = match &patch.body {
                Body::Broken => false,
                Body::Json(ops) => json(&mut next, ops, patch.source, take).is_ok(),
                Body::Merge(_) => docs
                    .iter()
                    .all(|p| match strategic(&mut next, p, patch, take) {
                        Ok(false) => true,
                        Ok(true) => {
                            deleted = true;
                            false
                        }
                        Err(()) => false,
                    }),
            };
            if deleted {
                return Outcome::Deleted;
            }
            if !applied {
                return Outcome::Unverifiable;
            }
            if identity_fields(&next) != before && !stage.untransformed(after_own) {
                // A renamed object would need the transformers run again: not modelled.
                return Outcome::Unverifiable;
            }
            current = Some(next);
        }
    }
    match current {
        Some(v) => Outcome::Patched(v),
        None => Outcome::Unchanged,
    }
}

fn identity_fields(doc: &Value) -> [Option<String>; 4] {
    let s = |path: &[&str]| doc.at(path).and_then(Value::as_str).map(String::from);
    [
        s(&["apiVersion"]),
        s(&["kind"]),
        s(&["metadata", "name"]),
        s(&["metadata", "namespace"]),
    ]
}

fn identity<'d>(doc: &'d Value, stage: &Stage, after_own: bool) -> Identity<'d> {
    let s = |path: &[&str]| {
        doc.at(path)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let kind = s(&["kind"]);
    let name = s(&["metadata", "name"]);
    let written = doc.at(&["metadata", "namespace"]).and_then(Value::as_str);
    let (mut prefix, mut suffix) = (
        stage.inner_prefix.to_string(),
        stage.inner_suffix.to_string(),
    );
    let mut current_ns = stage.inner_namespace.or(written);
    if after_own {
        prefix = format!("{}{prefix}", stage.own_prefix);
        suffix = format!("{suffix}{}", stage.own_suffix);
        current_ns = stage.own_namespace.or(current_ns);
    }
    let current_name = format!("{prefix}{name}{suffix}");
    let pairs = |key: &str| -> Vec<(&'d str, &'d str)> {
        doc.at(&["metadata", key])
            .map(Value::entries)
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?, v.as_str().unwrap_or(""))))
            .collect()
    };
    Identity {
        api_version: s(&["apiVersion"]),
        original: (effective(&kind, written), name),
        current: (effective(&kind, current_ns), current_name),
        prefix,
        suffix,
        labels: pairs("labels"),
        annotations: pairs("annotations"),
        kind,
    }
}

/// Whether a patch applies to a document: which of its strategic-merge documents do.
enum Touch<'p> {
    No,
    Yes(Vec<&'p Value>),
    /// It may, and cannot be told or applied exactly.
    Unknown,
}

impl Patch {
    fn touches(&self, id: &Identity<'_>, metadata_below: bool) -> Touch<'_> {
        if let Some(selector) = &self.target {
            return match selector.selects(id, metadata_below) {
                Some(false) => Touch::No,
                None => Touch::Unknown,
                Some(true) => match &self.body {
                    Body::Json(_) => Touch::Yes(Vec::new()),
                    // kustomize refuses several strategic-merge documents with one target.
                    Body::Merge(docs) if docs.len() == 1 => Touch::Yes(vec![&docs[0]]),
                    _ => Touch::Unknown,
                },
            };
        }
        let Body::Merge(docs) = &self.body else {
            // A JSON patch needs a target; a broken patch without one may target anything.
            return Touch::Unknown;
        };
        let mut hits = Vec::new();
        for d in docs {
            let s = |path: &[&str]| d.at(path).and_then(Value::as_str);
            if s(&["kind"]) != Some(&id.kind) {
                continue;
            }
            let Some(name) = s(&["metadata", "name"]) else {
                return Touch::Unknown;
            };
            // kustomize matches the patch's identity against every identity the resource had:
            // as written, as each nested kustomization renamed it, and as it is now.
            let namespace = effective(&id.kind, s(&["metadata", "namespace"]));
            let namespace_ok = namespace == id.original.0 || namespace == id.current.0;
            if s(&["apiVersion"]) == Some(&id.api_version) && namespace_ok && id.had_name(name) {
                hits.push(d);
            }
        }
        if hits.is_empty() {
            Touch::No
        } else {
            Touch::Yes(hits)
        }
    }
}

/// A copy of a patch's value into the target document.
type Copy<'a> = dyn Fn(&Value) -> Option<Value> + 'a;

/// A strategic-merge patch document on a resource; `true` when it deletes the resource.
fn strategic(doc: &mut Value, p: &Value, patch: &Patch, take: &Take) -> Result<bool, ()> {
    // kustomize keeps the resource's apiVersion, kind, name and namespace unless the patch
    // allows a change.
    let mut p = p.clone();
    if let Data::Map(entries) = &mut p.data {
        entries.retain(|(k, _)| match k.as_str() {
            Some("apiVersion") => false,
            Some("kind") => patch.allow_kind_change,
            _ => true,
        });
    }
    if let Some(Data::Map(meta)) = p.get_mut("metadata").map(|m| &mut m.data) {
        meta.retain(|(k, _)| match k.as_str() {
            Some("namespace") => false,
            Some("name") => patch.allow_name_change,
            _ => true,
        });
    }
    let schema = Schema {
        group: group_of(doc.get("apiVersion").and_then(Value::as_str).unwrap_or("")).to_string(),
        kind: doc
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    };
    let copy = |v: &Value| take(v, patch.source);
    match merge_map(doc, &p, &mut Vec::new(), &schema, &copy) {
        Some(Merged::Delete) => Ok(true),
        Some(Merged::Keep) => Ok(false),
        None => Err(()),
    }
}

#[derive(Debug, PartialEq)]
enum Merged {
    Keep,
    Delete,
}

/// An empty mapping placed where the patch's `at` is.
fn empty_like(at: &Value, copy: &Copy, data: Data) -> Option<Value> {
    let span = copy(&Value {
        span: at.span,
        data: Data::Null,
    })?
    .span;
    Some(Value { span, data })
}

/// Merges a patch mapping into `dest` (Kubernetes strategic merge, as kustomize's kyaml does it):
/// mappings merge, `null` deletes, lists merge by their merge key where the type has one and are
/// replaced otherwise, `$patch: delete|replace` directives. `None` for what cilint cannot apply
/// exactly (other directives, a value of another type than the one it patches).
fn merge_map(
    dest: &mut Value,
    patch: &Value,
    path: &mut Vec<String>,
    schema: &Schema,
    copy: &Copy,
) -> Option<Merged> {
    match patch.get("$patch").map(Value::as_str) {
        None | Some(Some("merge")) => {}
        Some(Some("delete")) => return Some(Merged::Delete),
        Some(Some("replace")) => {
            let mut fresh = empty_like(patch, copy, Data::Map(Vec::new()))?;
            let mut without = patch.clone();
            if let Data::Map(entries) = &mut without.data {
                entries.retain(|(k, _)| k.as_str() != Some("$patch"));
            }
            merge_map(&mut fresh, &without, path, schema, copy)?;
            *dest = fresh;
            return Some(Merged::Keep);
        }
        Some(_) => return None,
    }
    // `$setElementOrder/…`, `$retainKeys`, `$deleteFromPrimitiveList/…`: not applied.
    let unsupported = patch.entries().iter().any(|(k, _)| {
        k.as_str()
            .is_none_or(|k| k.starts_with('$') && k != "$patch")
    });
    if unsupported {
        return None;
    }
    if dest.is_null() {
        *dest = empty_like(patch, copy, Data::Map(Vec::new()))?;
    }
    let Data::Map(entries) = &mut dest.data else {
        return None;
    };
    for (k, v) in patch.entries() {
        let key = k.as_str()?;
        if key == "$patch" {
            continue;
        }
        path.push(key.to_string());
        let at = entries.iter().position(|(dk, _)| dk.as_str() == Some(key));
        match (&v.data, at) {
            (Data::Null, Some(i)) => {
                entries.remove(i);
            }
            (Data::Null, None) => {}
            (Data::Str(s), Some(i)) => match &entries[i].1.data {
                // The same value: the position stays where it was written first.
                Data::Str(d) if d == s => {}
                Data::Str(_) | Data::Null => entries[i] = (copy(k)?, copy(v)?),
                _ => return None,
            },
            (Data::Str(_), None) => entries.push((copy(k)?, copy(v)?)),
            (Data::Map(_), Some(i)) => match &entries[i].1.data {
                Data::Map(_) | Data::Null => {
                    if merge_map(&mut entries[i].1, v, path, schema, copy)? == Merged::Delete {
                        entries.remove(i);
                    }
                }
                _ => return None,
            },
            (Data::Map(_), None) => {
                let mut fresh = empty_like(v, copy, Data::Map(Vec::new()))?;
                if merge_map(&mut fresh, v, path, schema, copy)? == Merged::Keep {
                    entries.push((copy(k)?, fresh));
                }
            }
            (Data::Seq(_), Some(i)) => match &entries[i].1.data {
                Data::Seq(_) => merge_list(&mut entries[i].1, v, path, schema, copy)?,
                Data::Null => entries[i] = (copy(k)?, fresh_list(v, path, schema, copy)?),
                _ => return None,
            },
            (Data::Seq(_), None) => entries.push((copy(k)?, fresh_list(v, path, schema, copy)?)),
        }
        path.pop();
    }
    Some(Merged::Keep)
}

/// A patch list where the target has none: its mappings cleaned of directives and nulls.
fn fresh_list(
    patch: &Value,
    path: &mut Vec<String>,
    schema: &Schema,
    copy: &Copy,
) -> Option<Value> {
    let mut items = Vec::new();
    path.push("[]".into());
    for item in patch.items() {
        match &item.data {
            Data::Map(_) if item.get("$patch").is_some() => {}
            Data::Map(_) => {
                let mut fresh = empty_like(item, copy, Data::Map(Vec::new()))?;
                merge_map(&mut fresh, item, path, schema, copy)?;
                items.push(fresh);
            }
            _ => items.push(copy(item)?),
        }
    }
    path.pop();
    empty_like(patch, copy, Data::Seq(items))
}

fn merge_list(
    dest: &mut Value,
    patch: &Value,
    path: &mut Vec<String>,
    schema: &Schema,
    copy: &Copy,
) -> Option<()> {
    match schema.list(path) {
        Strategy::Replace => {
            // A directive in a list kustomize does not merge is not one it applies.
            if patch.items().iter().any(|i| i.get("$patch").is_some()) {
                return None;
            }
            if !dest.same(patch) {
                *dest = fresh_list(patch, path, schema, copy)?;
            }
        }
        Strategy::Set => {
            for item in patch.items() {
                item.as_str()?;
                if !dest.items().iter().any(|d| d.same(item)) {
                    let item = copy(item)?;
                    if let Data::Seq(items) = &mut dest.data {
                        items.push(item);
                    }
                }
            }
        }
        Strategy::Keys(keys) => {
            let replace = |i: &Value| i.get("$patch").and_then(Value::as_str) == Some("replace");
            if patch.items().iter().any(replace) {
                *dest = fresh_list(patch, path, schema, copy)?;
                return Some(());
            }
            path.push("[]".into());
            for p in patch.items() {
                if !matches!(p.data, Data::Map(_)) {
                    return None;
                }
                let directive = p.get("$patch").and_then(Value::as_str);
                let Data::Seq(items) = &mut dest.data else {
                    return None;
                };
                if p.get(keys[0]).and_then(Value::as_str).is_none() {
                    // Without its merge key an item is added as it is (kyaml appends it).
                    if directive.is_some() {
                        return None;
                    }
                    let mut fresh = empty_like(p, copy, Data::Map(Vec::new()))?;
                    merge_map(&mut fresh, p, path, schema, copy)?;
                    items.push(fresh);
                    continue;
                }
                let found = items.iter().position(|d| same_key(d, p, keys));
                match (directive, found) {
                    (Some("delete"), _) => items.retain(|d| !same_key(d, p, keys)),
                    (None | Some("merge"), Some(i)) => {
                        merge_map(&mut items[i], p, path, schema, copy)?;
                    }
                    (None | Some("merge"), None) => {
                        let mut fresh = empty_like(p, copy, Data::Map(Vec::new()))?;
                        merge_map(&mut fresh, p, path, schema, copy)?;
                        items.push(fresh);
                    }
                    _ => return None,
                }
            }
            path.pop();
        }
    }
    Some(())
}

/// Whether two list items have the same merge key: the first key equal, the others equal where
/// both have them (an item without `protocol` is the TCP one, as kyaml merges them).
fn same_key(a: &Value, b: &Value, keys: &[&str]) -> bool {
    let v = |x: &Value, k: &str| x.get(k).and_then(Value::as_str).map(str::to_string);
    v(a, keys[0]).is_some()
        && v(a, keys[0]) == v(b, keys[0])
        && keys[1..].iter().all(|k| match (v(a, k), v(b, k)) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        })
}

/// How a strategic merge treats a list, from the Kubernetes types' `patchStrategy` and
/// `patchMergeKey` (kustomize reads them from the built-in OpenAPI schema). Custom resources
/// (Gateway API, Cilium) have no schema there: their lists are replaced whole.
struct Schema {
    group: String,
    kind: String,
}

enum Strategy {
    Replace,
    /// A list of scalars merged as a set (`metadata.finalizers`).
    Set,
    /// Items merged by these keys (the first is the merge key).
    Keys(&'static [&'static str]),
}

const BUILT_IN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "node.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "certificates.k8s.io",
];

impl Schema {
    fn list(&self, path: &[String]) -> Strategy {
        if !BUILT_IN_GROUPS.contains(&self.group.as_str()) {
            return Strategy::Replace;
        }
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        match p.as_slice() {
            ["metadata", "finalizers"] => return Strategy::Set,
            ["metadata", "ownerReferences"] => return Strategy::Keys(&["uid"]),
            ["spec", "ports"] if self.kind == "Service" => {
                return Strategy::Keys(&["port", "protocol"]);
            }
            _ => {}
        }
        let pod: &[&str] = match self.kind.as_str() {
            "Pod" => &["spec"],
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "Job"
            | "ReplicationController" => &["spec", "template", "spec"],
            "PodTemplate" => &["template", "spec"],
            "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
            _ => return Strategy::Replace,
        };
        let Some(rest) = p.strip_prefix(pod) else {
            return Strategy::Replace;
        };
        let container =
            |c: &str| matches!(c, "containers" | "initContainers" | "ephemeralContainers");
        match rest {
            [c] if container(c) => Strategy::Keys(&["name"]),
            ["volumes" | "imagePullSecrets"] => Strategy::Keys(&["name"]),
            ["hostAliases"] => Strategy::Keys(&["ip"]),
            ["topologySpreadConstraints"] => Strategy::Keys(&["topologyKey", "whenUnsatisfiable"]),
            [c, "[]", "ports"] if container(c) => Strategy::Keys(&["containerPort", "protocol"]),
            [c, "[]", "env"] if container(c) => Strategy::Keys(&["name"]),
            [c, "[]", "volumeMounts"] if container(c) => Strategy::Keys(&["mountPath"]),
            [c, "[]", "volumeDevices"] if container(c) => Strategy::Keys(&["devicePath"]),
            _ => Strategy::Replace,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON 6902

fn json(doc: &mut Value, ops: &[Op], source: Option<FileId>, take: &Take) -> Result<(), ()> {
    let value = |op: &Op| op.value.as_ref().and_then(|v| take(v, source));
    for op in ops {
        let done = match op.kind {
            OpKind::Add => value(op).and_then(|v| add(doc, &op.path, v)),
            OpKind::Remove => remove(doc, &op.path).map(drop),
            OpKind::Replace => value(op).and_then(|v| replace(doc, &op.path, v)),
            OpKind::Move => {
                // A value cannot move into itself.
                if op.path.starts_with(&op.from) && op.path.len() > op.from.len() {
                    None
                } else {
                    remove(doc, &op.from).and_then(|v| add(doc, &op.path, v))
                }
            }
            OpKind::Copy => get(doc, &op.from)
                .cloned()
                .and_then(|v| add(doc, &op.path, v)),
            OpKind::Test => op
                .value
                .as_ref()
                .zip(get(doc, &op.path))
                .and_then(|(want, have)| have.same(want).then_some(())),
        };
        done.ok_or(())?;
    }
    Ok(())
}

/// A JSON pointer array index: `0`, or digits without a leading zero.
fn index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    (digits && (token == "0" || !token.starts_with('0')))
        .then(|| token.parse().ok())
        .flatten()
}

fn get<'v>(doc: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(doc, |v, t| match &v.data {
        Data::Map(_) => v.get(t),
        Data::Seq(items) => items.get(index(t)?),
        _ => None,
    })
}

fn get_mut<'v>(doc: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    path.iter().try_fold(doc, |v, t| match &mut v.data {
        Data::Map(entries) => entries
            .iter_mut()
            .find(|(k, _)| k.as_str() == Some(t))
            .map(|(_, v)| v),
        Data::Seq(items) => items.get_mut(index(t)?),
        _ => None,
    })
}

fn add(doc: &mut Value, path: &[String], value: Value) -> Option<()> {
    let Some((last, parent)) = path.split_last() else {
        *doc = value;
        return Some(());
    };
    match &mut get_mut(doc, parent)?.data {
        Data::Map(entries) => {
            let entry = (Value::str(value.span, last), value);
            match entries.iter_mut().find(|(k, _)| k.as_str() == Some(last)) {
                Some(e) => *e = entry,
                None => entries.push(entry),
            }
        }
        Data::Seq(items) if last == "-" => items.push(value),
        Data::Seq(items) => {
            let i = index(last).filter(|&i| i <= items.len())?;
            items.insert(i, value);
        }
        _ => return None,
    }
    Some(())
}

fn remove(doc: &mut Value, path: &[String]) -> Option<Value> {
    let (last, parent) = path.split_last()?;
    match &mut get_mut(doc, parent)?.data {
        Data::Map(entries) => {
            let i = entries.iter().position(|(k, _)| k.as_str() == Some(last))?;
            Some(entries.remove(i).1)
        }
        Data::Seq(items) => {
            let i = index(last).filter(|&i| i < items.len())?;
            Some(items.remove(i))
        }
        _ => None,
    }
}

fn replace(doc: &mut Value, path: &[String], value: Value) -> Option<()> {
    let Some((last, parent)) = path.split_last() else {
        *doc = value;
        return Some(());
    };
    match &mut get_mut(doc, parent)?.data {
        Data::Map(entries) => {
            let e = entries.iter_mut().find(|(k, _)| k.as_str() == Some(last))?;
            // The key moves with the value, so the entry's span stays in one file.
            *e = (Value::str(value.span, last), value);
        }
        Data::Seq(items) => {
            let i = index(last).filter(|&i| i < items.len())?;
            items[i] = value;
        }
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::gitops::{self, LayoutDoc};
    use std::path::PathBuf;

    /// The patches of a kustomization (FileId 0, in `/k`) whose patch files are `files`.
    fn patches(kustomization: &str, files: &[(&str, &str)]) -> PatchSet {
        let loaded = yaml::load(kustomization, &LineIndex::new(kustomization));
        let Some(LayoutDoc::Kustomization(k)) = gitops::read(loaded.documents[0].root(), true)
        else {
            panic!("not a kustomization");
        };
        let paths: Vec<PathBuf> = files
            .iter()
            .map(|(p, _)| PathBuf::from("/k").join(p))
            .collect();
        let file = |p: &Path| {
            paths
                .iter()
                .position(|q| q == p)
                .map(|i| FileId(i as u32 + 1))
        };
        let text = |id: FileId| -> Option<Arc<str>> {
            match id.0 {
                0 => Some(kustomization.into()),
                i => files.get(i as usize - 1).map(|(_, t)| (*t).into()),
            }
        };
        PatchSet::read(
            FileId(0),
            Path::new("/k"),
            &k.patches,
            &Sources {
                file: &file,
                text: &text,
            },
        )
    }

    fn doc(text: &str) -> Value {
        Value::of(yaml::load(text, &LineIndex::new(text)).documents[0].root())
    }

    fn stage(set: &PatchSet) -> Stage<'_> {
        Stage {
            set,
            inner_prefix: "",
            inner_suffix: "",
            inner_namespace: None,
            own_prefix: "",
            own_suffix: "",
            own_namespace: None,
            metadata_below: false,
            own_metadata: false,
        }
    }

    fn run(set: &PatchSet, target: &str) -> Outcome {
        apply(&doc(target), &[stage(set)], &|v, _| Some(v.clone()))
    }

    fn patched(set: &PatchSet, target: &str) -> Value {
        match run(set, target) {
            Outcome::Patched(v) => v,
            other => panic!("not patched: {other:?}"),
        }
    }

    fn texts(v: &Value, path: &[&str], key: &str) -> Vec<String> {
        v.at(path)
            .map(Value::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|i| i.get(key).and_then(Value::as_str).map(String::from))
            .collect()
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  \
        labels: {app: web}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      \
        - name: web\n        image: web:1\n        ports:\n        - containerPort: 8080\n          \
        name: http\n        env:\n        - {name: A, value: a}\n        - {name: B, value: b}\n      \
        - name: sidecar\n        image: proxy:1\n";

    #[test]
    fn strategic_merge_merges_maps_and_lists_by_their_merge_keys() {
        let set = patches(
            "patches:\n- path: p.yaml\n",
            &[(
                "p.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  \
                 replicas: 3\n  template:\n    spec:\n      containers:\n      - name: web\n        \
                 image: web:2\n        ports:\n        - containerPort: 8080\n          name: \
                 main\n        - containerPort: 9090\n        env:\n        - {name: B, value: \
                 changed}\n        - {name: C, value: c}\n      - name: sidecar\n        \
                 $patch: delete\n",
            )],
        );
        let v = patched(&set, DEPLOYMENT);
        assert_eq!(
            v.at(&["spec", "replicas"]).and_then(Value::as_str),
            Some("3")
        );
        let containers = &["spec", "template", "spec", "containers"];
        assert_eq!(texts(&v, containers, "name"), ["web"]);
        let web = &v.at(containers).unwrap().items()[0];
        assert_eq!(web.get("image").and_then(Value::as_str), Some("web:2"));
        assert_eq!(texts(web, &["ports"], "name"), ["main"]);
        assert_eq!(texts(web, &["ports"], "containerPort"), ["8080", "9090"]);
        assert_eq!(texts(web, &["env"], "name"), ["A", "B", "C"]);
        assert_eq!(texts(web, &["env"], "value"), ["a", "changed", "c"]);
        // Labels the patch does not name stay.
        assert_eq!(
            v.at(&["metadata", "labels", "app"]).and_then(Value::as_str),
            Some("web")
        );
    }

    #[test]
    fn custom_resource_lists_are_replaced_whole() {
        // Gateway API types have no merge keys in kustomize's schema.
        let gateway = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  \
                       name: gw\nspec:\n  gatewayClassName: cilium\n  listeners:\n  - name: \
                       http\n    port: 80\n    protocol: HTTP\n  - name: https\n    port: 443\n    \
                       protocol: HTTPS\n";
        let set = patches(
            "patchesStrategicMerge:\n- gw.yaml\n",
            &[(
                "gw.yaml",
                "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: \
                 gw\nspec:\n  listeners:\n  - name: https\n    port: 8443\n",
            )],
        );
        let v = patched(&set, gateway);
        assert_eq!(texts(&v, &["spec", "listeners"], "name"), ["https"]);
        assert_eq!(texts(&v, &["spec", "listeners"], "port"), ["8443"]);
        assert_eq!(
            v.at(&["spec", "gatewayClassName"]).and_then(Value::as_str),
            Some("cilium")
        );
    }

    #[test]
    fn service_ports_merge_by_port_and_null_deletes() {
        let service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  annotations:\n    \
                       a: b\nspec:\n  selector: {app: api}\n  ports:\n  - port: 80\n    \
                       targetPort: 8080\n  - port: 443\n    targetPort: 8443\n";
        let set = patches(
            "patches:\n- patch: |-\n    apiVersion: v1\n    kind: Service\n    metadata:\n      \
             name: api\n      annotations:\n        a: null\n    spec:\n      ports:\n      - \
             port: 80\n        targetPort: 9090\n",
            &[],
        );
        let v = patched(&set, service);
        assert_eq!(
            texts(&v, &["spec", "ports"], "targetPort"),
            ["9090", "8443"]
        );
        assert!(v.at(&["metadata", "annotations", "a"]).is_none());
        assert_eq!(
            v.at(&["spec", "selector", "app"]).and_then(Value::as_str),
            Some("api")
        );
    }

    #[test]
    fn directives_replace_delete_and_unsupported_ones() {
        let replace = patches(
            "patches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    \
             metadata:\n      name: web\n    spec:\n      template:\n        $patch: replace\n        \
             spec:\n          containers:\n          - name: only\n            image: x\n",
            &[],
        );
        let v = patched(&replace, DEPLOYMENT);
        let containers = &["spec", "template", "spec", "containers"];
        assert_eq!(texts(&v, containers, "name"), ["only"]);
        assert_eq!(
            v.at(&["spec", "replicas"]).and_then(Value::as_str),
            Some("1")
        );

        let delete = patches(
            "patches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    \
             metadata:\n      name: web\n    $patch: delete\n",
            &[],
        );
        assert!(matches!(run(&delete, DEPLOYMENT), Outcome::Deleted));

        let order = patches(
            "patches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    \
             metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          \
             $setElementOrder/containers:\n          - name: sidecar\n          - name: web\n",
            &[],
        );
        assert!(matches!(run(&order, DEPLOYMENT), Outcome::Unverifiable));
    }

    #[test]
    fn strategic_merge_keeps_the_resource_identity_and_its_positions() {
        // With a target, the patch's own name does not matter and changes nothing.
        let set = patches(
            "patches:\n- target: {kind: Deployment}\n  patch: |-\n    apiVersion: apps/v1\n    \
             kind: Deployment\n    metadata:\n      name: not-important\n      labels: {app: \
             web}\n    spec:\n      replicas: 2\n",
            &[],
        );
        let original = doc(DEPLOYMENT);
        let v = patched(&set, DEPLOYMENT);
        assert_eq!(
            v.at(&["metadata", "name"]).and_then(Value::as_str),
            Some("web")
        );
        // A value the patch repeats keeps where it was first written; one it sets moves.
        let span = |v: &Value, p: &[&str]| v.at(p).unwrap().span;
        assert_eq!(
            span(&v, &["metadata", "labels", "app"]),
            span(&original, &["metadata", "labels", "app"])
        );
        assert_ne!(
            span(&v, &["spec", "replicas"]),
            span(&original, &["spec", "replicas"])
        );
    }

    #[test]
    fn json_patches_apply_every_operation() {
        let set = patches(
            "patches:\n- target:\n    kind: Deployment\n    name: w.*\n  patch: |-\n    - op: \
             replace\n      path: /spec/replicas\n      value: 5\n    - op: add\n      path: \
             /metadata/labels/tier\n      value: front\n    - op: add\n      path: \
             /spec/template/spec/containers/0/env/-\n      value: {name: C, value: c}\n    - op: \
             remove\n      path: /spec/template/spec/containers/1\n    - op: copy\n      from: \
             /metadata/labels/app\n      path: /metadata/labels/copied\n    - op: move\n      \
             from: /metadata/labels/tier\n      path: /metadata/labels/moved\n    - op: test\n      \
             path: /spec/replicas\n      value: 5\n",
            &[],
        );
        let v = patched(&set, DEPLOYMENT);
        assert_eq!(
            v.at(&["spec", "replicas"]).and_then(Value::as_str),
            Some("5")
        );
        let labels: Vec<&str> = v
            .at(&["metadata", "labels"])
            .unwrap()
            .entries()
            .iter()
            .filter_map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(labels, ["app", "copied", "moved"]);
        let containers = &["spec", "template", "spec", "containers"];
        assert_eq!(texts(&v, containers, "name"), ["web"]);
        let web = &v.at(containers).unwrap().items()[0];
        assert_eq!(texts(web, &["env"], "name"), ["A", "B", "C"]);
    }

    #[test]
    fn json_patches_that_cannot_apply_make_the_target_unverifiable() {
        for ops in [
            // A failing test, a missing path, an index past the end, an unknown operation.
            "- {op: test, path: /spec/replicas, value: 9}",
            "- {op: replace, path: /spec/missing/x, value: 1}",
            "- {op: add, path: /spec/template/spec/containers/5, value: {}}",
            "- {op: merge, path: /spec, value: {}}",
        ] {
            let set = patches(
                &format!(
                    "patchesJson6902:\n- target: {{group: apps, version: v1, kind: Deployment, \
                     name: web}}\n  patch: '{ops}'\n"
                ),
                &[],
            );
            assert!(
                matches!(run(&set, DEPLOYMENT), Outcome::Unverifiable),
                "{ops}"
            );
        }
        // Another object is not touched.
        let set = patches(
            "patches:\n- target: {kind: Deployment, name: web}\n  patch: '- {op: merge, path: /, \
             value: 1}'\n",
            &[],
        );
        let other = DEPLOYMENT.replace("name: web\n  labels", "name: api\n  labels");
        assert!(matches!(run(&set, &other), Outcome::Unchanged));
    }

    #[test]
    fn targets_select_by_kind_name_regex_labels_and_annotations() {
        let with = |target: &str| {
            patches(
                &format!(
                    "patches:\n- target: {target}\n  patch: '- {{op: replace, path: \
                     /spec/replicas, value: 2}}'\n"
                ),
                &[],
            )
        };
        let changed = |target: &str| matches!(run(&with(target), DEPLOYMENT), Outcome::Patched(_));
        assert!(changed("{kind: Deployment}"));
        assert!(changed("{group: apps, version: v1, name: 'w.b'}"));
        assert!(
            !changed("{name: we}"),
            "a name pattern matches the whole name"
        );
        assert!(changed("{labelSelector: 'app=web'}"));
        assert!(changed("{labelSelector: 'app in (api, web),!legacy'}"));
        assert!(!changed("{labelSelector: 'app!=web'}"));
        assert!(!changed("{annotationSelector: 'x=y'}"));
        assert!(!changed("{kind: Service}"));
        assert!(!changed("{namespace: prod}"));
        assert!(changed("{namespace: default}"));
        // A selector cilint cannot read is unverifiable for what it may select.
        assert!(matches!(
            run(&with("{labelSelector: 'app in (web'}"), DEPLOYMENT),
            Outcome::Unverifiable
        ));
        assert!(matches!(
            run(&with("{kind: Service, name: '('}"), DEPLOYMENT),
            Outcome::Unchanged
        ));
    }

    #[test]
    fn patches_see_names_as_nested_kustomizations_left_them() {
        let set = patches(
            "patches:\n- path: p.yaml\n",
            &[(
                "p.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: base-web\n  \
                 namespace: shop\nspec:\n  replicas: 4\n",
            )],
        );
        let mut st = stage(&set);
        // Not as written: the base's prefix and namespace make it shop/base-web.
        assert!(matches!(
            apply(&doc(DEPLOYMENT), &[stage(&set)], &|v, _| Some(v.clone())),
            Outcome::Unchanged
        ));
        st.inner_prefix = "base-";
        st.inner_namespace = Some("shop");
        assert!(matches!(
            apply(&doc(DEPLOYMENT), &[st], &|v, _| Some(v.clone())),
            Outcome::Patched(_)
        ));
        // Also as an inner kustomization named it, before an outer one added its prefix.
        let mut st = stage(&set);
        st.inner_prefix = "mid-base-";
        st.inner_namespace = Some("shop");
        assert!(matches!(
            apply(&doc(DEPLOYMENT), &[st], &|v, _| Some(v.clone())),
            Outcome::Patched(_)
        ));
        let mut st = stage(&set);
        st.inner_prefix = "base-mid-";
        st.inner_namespace = Some("shop");
        assert!(matches!(
            apply(&doc(DEPLOYMENT), &[st], &|v, _| Some(v.clone())),
            Outcome::Unchanged
        ));
    }

    #[test]
    fn unreadable_patches_make_what_they_may_touch_unverifiable() {
        // A missing file without a target may patch anything.
        let missing = patches("patchesStrategicMerge:\n- gone.yaml\n", &[]);
        assert!(matches!(run(&missing, DEPLOYMENT), Outcome::Unverifiable));
        let broken = patches(
            "patches:\n- path: p.yaml\n  target: {kind: Service}\n",
            &[("p.yaml", "a: [unclosed\n")],
        );
        assert!(matches!(run(&broken, DEPLOYMENT), Outcome::Unchanged));
    }

    #[test]
    fn inline_patches_keep_their_positions_in_the_kustomization() {
        let k = "patches:\n- target: {kind: Deployment}\n  patch: |-\n    - op: replace\n      \
                 path: /spec/replicas\n      value: 7\n";
        let set = patches(k, &[]);
        let v = patched(&set, DEPLOYMENT);
        let at = v.at(&["spec", "replicas"]).unwrap().span;
        assert_eq!((at.start.line, at.start.col), (6, 14));
        assert_eq!(&k[at.start.byte as usize..at.end.byte as usize], "7");
        // A folded string maps to the whole string.
        let folded = "patches:\n- target: {kind: Deployment}\n  patch: >-\n    [{\"op\": \"replace\",\n    \
                      \"path\": \"/spec/replicas\", \"value\": 7}]\n";
        let v = patched(&patches(folded, &[]), DEPLOYMENT);
        let at = v.at(&["spec", "replicas"]).unwrap().span;
        assert_eq!(at.start.line, 4);
    }

    #[test]
    fn hostile_patches_never_panic() {
        let deep = format!("{}1{}", "{a: ".repeat(200), "}".repeat(200));
        let cases = [
            "patches:\n- target: {kind: Deployment}\n  patch: '- {op: add, path: /a/~2/-/0, value: 1}'\n".to_string(),
            "patches:\n- target: {kind: Deployment}\n  patch: '- {op: move, from: /spec, path: /spec/x}'\n".to_string(),
            "patches:\n- target: {kind: Deployment}\n  patch: '- {op: copy, from: /spec, path: /spec/x}'\n".to_string(),
            "patches:\n- target: {kind: Deployment}\n  patch: '- {op: add, path: /spec/template/spec/containers/99999999999999999999, value: 1}'\n".to_string(),
            "patches:\n- target: {kind: Deployment}\n  patch: '- {op: replace, path: \"\", value: [1]}'\n".to_string(),
            format!(
                "patches:\n- target: {{kind: Deployment}}\n  patch: '- {{op: add, path: /spec/deep, value: {deep}}}'\n"
            ),
            format!(
                "patches:\n- patch: '{{apiVersion: apps/v1, kind: Deployment, metadata: {{name: web}}, spec: {deep}}}'\n"
            ),
            "patches:\n- patch: \"\\x01\\u00e9: [\"\n".to_string(),
            "patchesStrategicMerge:\n- '[1, 2]'\n- 'a: b'\n".to_string(),
            "patches:\n- target: {labelSelector: ',,, in (,), !'}\n  patch: '- {op: test, path: /, value: x}'\n".to_string(),
        ];
        for k in &cases {
            let set = patches(k, &[]);
            let _ = run(&set, DEPLOYMENT);
            let _ = run(
                &set,
                "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web}\n",
            );
        }
    }

    #[test]
    fn list_items_are_patched_as_resources() {
        let set = patches(
            "patches:\n- target: {kind: Deployment, name: web}\n  patch: '- {op: replace, path: \
             /spec/replicas, value: 3}'\n",
            &[],
        );
        let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: \
                    Deployment\n  metadata: {name: web}\n  spec: {replicas: 1}\n- apiVersion: \
                    apps/v1\n  kind: Deployment\n  metadata: {name: api}\n  spec: {replicas: 1}\n";
        let v = patched(&set, list);
        let replicas: Vec<&str> = v
            .get("items")
            .unwrap()
            .items()
            .iter()
            .filter_map(|i| i.at(&["spec", "replicas"]).and_then(Value::as_str))
            .collect();
        assert_eq!(replicas, ["3", "1"]);
    }
}
