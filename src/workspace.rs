//! The incremental lint engine behind `cilint server`: a tree held in memory, its files' texts
//! replaced by an editor's buffers, linted again after each change by re-parsing only the files
//! that changed.
//!
//! It runs the very stages of [`crate::lint`] after loading (layout, every world's Catalog and
//! rules, suppressions, the report), so [`Workspace::open`] then [`Workspace::lint`] gives the
//! findings `cilint::lint` gives, and after [`Workspace::set_text`] those `cilint::lint` gives on
//! the tree with that text written. Their fixes are resolved when asked for
//! ([`Workspace::resolve_fixes`], as `--fix` resolves them): resolving reads the text of every
//! file a fix edits, and an editor asks for a few at a time.
//!
//! What it holds is every file's objects (shared with each lint's layout and Catalogs, see
//! [`crate::model::shared::SharedVec`]), the editors' texts and the report; a text read from
//! disk is dropped once parsed, as a run of the command line drops it, and read again when a
//! fix, a hover or a position in a non-ASCII text needs it (checked against the digest of the
//! text linted). On a 10k-object tree, the texts of the files findings point into weighed
//! 2.6 MB: a third of the tree's YAML.
//!
//! Reading and parsing are what cost (three quarters of a run on a 10k-object tree): only the
//! changed files are parsed again. Layout then runs whole again, which is exact; a world whose
//! placed inputs did not change is not checked again (in a tree of two clusters or more, see
//! [`crate::WorldMemo`]), and every other world is indexed and checked whole, in about 35 ms on
//! that tree (BENCHMARKS.md).
//!
//! One departure, on purpose: a file whose editor text does not parse keeps its last good
//! objects and layout documents for the other files' checks (layout parses it again from its
//! last good text where kustomize patches it or Flux substitutes it), so a half-typed line does
//! not turn every route attached to its Gateway into a finding. Its syntax error, commands and
//! suppressions are the current text's, and the error is reported as `cilint::lint` reports it;
//! every other finding located in it, related location into it and fix editing it is dropped,
//! since their positions are of a text no longer there. A text read from disk (`open`,
//! `reload`) is linted as it is.
//!
//! Limits: files layout reads that discovery does not list (a kustomize generator's `files:`, a
//! `.env`) are read from disk, never from a buffer. A buffer of a file that does not exist on disk
//! yet is linted where discovery would put it, without consulting ignore files (saved, it is
//! discovered as any file).

mod resolve;

pub use resolve::{Resolution, Target};

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::diagnostic::Finding;
use crate::discover::{self, Candidate, InputError};
use crate::load::FileContents;
use crate::source::yaml::YamlError;
use crate::source::{FileId, FileKind, SourceFile};
use crate::timings::{Timings, lap};
use crate::{Counts, Options, Report, Run};

/// A tree held in memory and linted incrementally.
pub struct Workspace {
    roots: Vec<String>,
    /// Each root made absolute, with its canonical form when that differs (an editor may name
    /// files through either).
    absolute_roots: Vec<(usize, PathBuf)>,
    cwd: PathBuf,
    options: Options,
    /// Every file linted, in discovery order: a file's FileId is its index.
    files: Vec<Entry>,
    by_path: HashMap<Arc<str>, usize>,
    /// What discovery could not use (unreadable directories, missing roots).
    walk_errors: Vec<InputError>,
    /// The editors' texts, by the report's file name.
    buffers: HashMap<String, Arc<str>>,
    /// Files whose text changed since the last lint.
    dirty: BTreeSet<usize>,
    /// A file appeared or went away: discover the tree again.
    rediscover: bool,
    /// How many files the last lint read and parsed.
    parsed: usize,
    report: Report,
    /// The worlds the last lint checked, to give again those whose inputs did not change.
    memo: std::sync::Mutex<crate::WorldMemo>,
    /// The graphs the last hover or go-to-definition drew, with the names they were drawn
    /// around: an editor asks again over the same reference (the pointer rests, then a jump).
    drawn: std::sync::Mutex<Option<Drawn>>,
}

/// Graphs drawn around names, with the names.
type Drawn = (Vec<String>, Arc<Vec<crate::graph::Graph>>);

/// One file: where it is, its current text, and what loading it gave.
struct Entry {
    candidate: Candidate,
    /// As loading gives it to the report: the text when it is kept (an editor's, one Flux
    /// substitutes), else empty. A text read from disk is not kept: the server would hold the
    /// whole tree's YAML for the few files a finding points into, which read it again.
    source: Arc<str>,
    /// The text linted; `None` when the file could not be read.
    linted: Option<Digest>,
    valid: bool,
    /// The text linted is ASCII with `\n` line breaks: a column counted in characters is the
    /// same in UTF-16 units and in bytes, and no position lies between `\r` and `\n`.
    plain_columns: bool,
    error: Option<Box<InputError>>,
    contents: Arc<FileContents>,
    /// The text the contents were parsed from, when it is not `text` (the last that parsed).
    good_text: Option<Arc<str>>,
}

impl Entry {
    fn stale(&self) -> bool {
        self.good_text.is_some()
    }

    /// The text linted: the one kept, else `known` (the text the last report holds) or the
    /// disk's, when it is still that text.
    fn linted_text(&self, known: Option<&Arc<str>>, max_size: u64) -> Option<Arc<str>> {
        let digest = self.linted?;
        if !self.source.is_empty() || digest.len == 0 {
            return Some(self.source.clone());
        }
        if let Some(text) = known.filter(|t| Digest::of(t) == digest) {
            return Some(text.clone());
        }
        let (read, _) = crate::load::read(&self.candidate, None, max_size).ok()?;
        (Digest::of(&read.text) == digest).then_some(read.text)
    }
}

/// A text known by its length and hash, to tell whether it changed without keeping it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Digest {
    len: usize,
    hash: u64,
}

impl Digest {
    fn of(text: &str) -> Digest {
        use std::hash::BuildHasher;
        Digest {
            len: text.len(),
            hash: foldhash::quality::FixedState::default().hash_one(text),
        }
    }
}

impl Workspace {
    /// Reads and lints the roots from disk, as `cilint ROOTS…` with these options would
    /// (config, clusters, ignores, -n). Paths in the report are as reached from the roots.
    pub fn open(roots: &[String], options: Options) -> Workspace {
        let cwd = std::env::current_dir().unwrap_or_default();
        let mut absolute_roots = Vec::new();
        for (i, root) in roots.iter().enumerate() {
            let path = Path::new(root);
            let absolute = std::path::absolute(path).unwrap_or_else(|_| cwd.join(path));
            if let Ok(canonical) = std::fs::canonicalize(path)
                && canonical != absolute
            {
                absolute_roots.push((i, canonical));
            }
            absolute_roots.push((i, absolute));
        }
        let mut workspace = Workspace {
            roots: roots.to_vec(),
            absolute_roots,
            cwd,
            options: Options {
                stdin: None,
                ..options
            },
            files: Vec::new(),
            by_path: HashMap::new(),
            walk_errors: Vec::new(),
            buffers: HashMap::new(),
            dirty: BTreeSet::new(),
            rediscover: true,
            parsed: 0,
            report: empty_report(),
            memo: Default::default(),
            drawn: Default::default(),
        };
        workspace.lint();
        workspace
    }

    /// The editor's text for a file (didOpen/didChange): replaces what was read from disk.
    /// A path under a root that discovery would not lint (not yaml/sh/md/…, ignored) is ignored.
    pub fn set_text(&mut self, path: &Path, text: String) {
        let Some(name) = self.report_path(path) else {
            return;
        };
        // As reading the file would give it: an editor keeps a byte-order mark as a character.
        let text: Arc<str> = match text.strip_prefix('\u{feff}') {
            Some(rest) => Arc::from(rest),
            None => Arc::from(text),
        };
        match self.by_path.get(name.as_str()) {
            // Opened as it is on disk (or typed back as it was): nothing to lint again.
            Some(&i) if self.files[i].linted == Some(Digest::of(&text)) => {}
            Some(&i) => {
                self.dirty.insert(i);
            }
            None if self.may_lint(path, &name) => self.rediscover = true,
            None => return,
        }
        self.buffers.insert(name, text);
    }

    /// Back to the disk's text (didClose, didChangeWatchedFiles: created or changed), or the
    /// file is gone (deleted on disk): re-read it or drop it.
    pub fn reload(&mut self, path: &Path) {
        let Some(name) = self.report_path(path) else {
            return;
        };
        self.buffers.remove(&name);
        match self.by_path.get(name.as_str()) {
            Some(&i) if self.absolute(&name).is_file() => {
                self.dirty.insert(i);
            }
            // Gone, or a new file (or directory: a checkout brings many): the tree changed.
            _ => self.rediscover = true,
        }
    }

    /// New options (a `.cilint.yaml` saved): discovery runs again (its exclusions may have
    /// changed), and files are parsed again only when what parsing depends on changed (the
    /// default namespace, the size limit). Rules, severities, clusters and the rest apply at
    /// the next [`Workspace::lint`], from the objects already parsed.
    pub fn set_options(&mut self, options: Options) {
        let parsing_changed = options.namespace != self.options.namespace
            || options.max_file_size != self.options.max_file_size;
        self.options = Options {
            stdin: None,
            ..options
        };
        if parsing_changed {
            self.dirty.extend(0..self.files.len());
        }
        // The rules, severities and external objects may differ: every world is checked again.
        self.memo = Default::default();
        self.rediscover = true;
    }

    /// Re-lints what changed since the last call and returns the whole report (findings with
    /// their fixes resolved against the current texts, as `--fix` resolves them), re-parsing
    /// only the files whose text changed.
    pub fn lint(&mut self) -> &Report {
        if !self.rediscover && self.dirty.is_empty() {
            self.parsed = 0;
            return &self.report;
        }
        *self.drawn.get_mut().unwrap_or_else(|p| p.into_inner()) = None;
        let (mut timings, mut clock) = (Timings::default(), Instant::now());
        let mut terraform_dirs: HashSet<PathBuf> = HashSet::new();
        // Discovery takes the changed files itself: their FileIds may move.
        let reparse: Vec<usize> = if std::mem::take(&mut self.rediscover) {
            self.discover_again(&mut terraform_dirs)
        } else {
            std::mem::take(&mut self.dirty).into_iter().collect()
        };
        lap(&mut clock, &mut timings.discover);
        self.parsed = reparse.len();
        self.load(&reparse, &mut terraform_dirs);
        lap(&mut clock, &mut timings.load);
        timings.bytes = self
            .files
            .iter()
            .map(|e| e.linted.map_or(0, |d| d.len))
            .sum();
        timings.documents = self.files.iter().map(|e| e.contents.documents).sum();

        let mut input_errors = self.walk_errors.clone();
        input_errors.extend(
            self.files
                .iter()
                .filter_map(|e| e.error.as_deref().cloned()),
        );
        let unreadable = input_errors.len() - self.walk_errors.len();
        let (report, stale) = self.run_stages(true, |run, files, contents, valid| {
            lap(&mut clock, &mut timings.load);
            let counts = Counts::of(run.candidates, &contents, unreadable);
            let report = crate::report_of(
                run,
                files,
                contents,
                valid,
                &counts,
                input_errors,
                (timings, clock),
            );
            (report, run.stale.clone())
        });
        self.report = report;
        if !stale.is_empty() {
            // The report shows each file's current text, where its syntax error is.
            for id in stale.into_keys() {
                let (file, entry) = (id.0 as usize, &self.files[id.0 as usize]);
                self.report.files[file].text = entry.source.clone();
            }
        }
        &self.report
    }

    /// Runs `stages` (everything after loading) on every file's current contents, with the
    /// memo of checked worlds when `memo` says so (a lint, not a graph).
    fn run_stages<R>(
        &self,
        memo: bool,
        stages: impl FnOnce(&Run<'_>, Vec<SourceFile>, Vec<FileContents>, &[bool]) -> R,
    ) -> R {
        let candidates: Vec<Candidate> = self.files.iter().map(|e| e.candidate.clone()).collect();
        // A file linted from its last good objects is parsed again (by layout, for a patch or
        // Flux's variables) from its last good text.
        let files: Vec<SourceFile> = self
            .files
            .iter()
            .map(|e| SourceFile {
                path: e.candidate.path.clone(),
                kind: e.candidate.kind,
                text: e.good_text.clone().unwrap_or_else(|| e.source.clone()),
            })
            .collect();
        // Layout and the Catalogs consume what they are given: a copy, which shares every
        // file's objects (see SharedVec) and copies only what is small.
        let contents: Vec<FileContents> =
            self.files.iter().map(|e| (*e.contents).clone()).collect();
        let valid: Vec<bool> = self.files.iter().map(|e| e.valid).collect();
        // The files linted from their last good objects, with their current text's syntax error.
        let stale: HashMap<FileId, YamlError> = (0..self.files.len())
            .filter(|&i| self.files[i].stale())
            .filter_map(|i| {
                Some((
                    FileId(i as u32),
                    *self.files[i].contents.yaml_error.clone()?,
                ))
            })
            .collect();
        let text = |id: FileId| self.linted_text(id);
        let run = Run {
            paths: &self.roots,
            candidates: &candidates,
            options: &self.options,
            text: Some(&text),
            stale: &stale,
            memo: memo.then_some(&self.memo),
            defer_fixes: true,
        };
        stages(&run, files, contents, &valid)
    }

    /// The text a file's contents were parsed from (the one the report's positions are in),
    /// read again from disk when the workspace does not hold it.
    pub fn linted_text(&self, id: FileId) -> Option<Arc<str>> {
        let e = self.files.get(id.0 as usize)?;
        if let Some(good) = &e.good_text {
            return Some(good.clone());
        }
        let known = self
            .report
            .files
            .get(id.0 as usize)
            .filter(|f| f.path == e.candidate.path && !f.text.is_empty())
            .map(|f| &f.text);
        e.linted_text(known, self.options.max_file_size)
    }

    /// What tells the text a file was linted from apart from another without holding it (its
    /// length and hash); `None` when it could not be read.
    pub fn linted_digest(&self, id: FileId) -> Option<(usize, u64)> {
        let d = self.files.get(id.0 as usize)?.linted?;
        Some((d.len, d.hash))
    }

    /// Whether the text a file was linted from is ASCII with `\n` line breaks: a report column
    /// (in characters) is then the protocol's in any encoding, without the text.
    pub fn plain_columns(&self, id: FileId) -> bool {
        self.files
            .get(id.0 as usize)
            .is_some_and(|e| e.plain_columns)
    }

    /// How many files the last [`Workspace::lint`] read and parsed (a Terraform module's other
    /// files not counted).
    pub fn files_parsed(&self) -> usize {
        self.parsed
    }

    /// The report of the last [`Workspace::lint`]. Unlike `cilint::lint`'s, it holds no text
    /// read from disk (only the editors') and its fixes are not resolved: see
    /// [`Workspace::resolve_fixes`] and [`Workspace::report_with_fixes`].
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The last report as `cilint::lint` gives it: with the texts of the files it points into,
    /// and every fix resolved as `--fix` resolves it.
    pub fn report_with_fixes(&mut self) -> &Report {
        let mut findings = std::mem::take(&mut self.report.findings);
        let mut files = self.files_to_resolve(&findings);
        let unverified = self.report.unverified.iter().flatten();
        let text = |id| self.linted_text(id);
        crate::give_texts(&mut files, unverified.map(|r| r.location.file), &text);
        self.resolve_in(&mut findings, &mut files);
        self.report.findings = findings;
        self.report.files = files;
        &self.report
    }

    /// Resolves the fixes of findings of the last report against the texts linted, as `--fix`
    /// resolves them; a fix that cannot be resolved is removed. A lint leaves them unresolved:
    /// resolving reads the text of every file a fix edits, which the workspace does not hold,
    /// and an editor asks for the fixes of a few findings at a time (a code action).
    pub fn resolve_fixes(&self, findings: &mut [Finding]) {
        let mut files = self.files_to_resolve(findings);
        self.resolve_in(findings, &mut files);
    }

    /// The report's files, with the texts the fixes of `findings` need: of the files they are
    /// in, point to and edit.
    fn files_to_resolve(&self, findings: &[Finding]) -> Vec<SourceFile> {
        let mut files: Vec<SourceFile> = self
            .report
            .files
            .iter()
            .map(|f| SourceFile {
                path: f.path.clone(),
                kind: f.kind,
                text: f.text.clone(),
            })
            .collect();
        let needed = findings.iter().flat_map(|f| {
            let edited = f.fix.iter().flat_map(|fix| fix.locations());
            std::iter::once(f.location)
                .chain(f.related.iter().map(|r| r.location))
                .chain(edited)
                .map(|l| l.file)
        });
        crate::give_texts(&mut files, needed, &|id| self.linted_text(id));
        files
    }

    fn resolve_in(&self, findings: &mut [Finding], files: &mut [SourceFile]) {
        crate::fix::resolve(findings, files);
        let stale: HashSet<FileId> = (0..self.files.len())
            .filter(|&i| self.files[i].stale())
            .map(|i| FileId(i as u32))
            .collect();
        if !stale.is_empty() {
            without_stale_fixes(findings, files, &stale);
        }
    }

    /// The current text of a file (the editor's, else the disk's as the last lint read it),
    /// for fixes, code actions and positions.
    pub fn text(&self, path: &Path) -> Option<Arc<str>> {
        let name = self.report_path(path)?;
        if let Some(text) = self.buffers.get(&name) {
            return Some(text.clone());
        }
        let i = *self.by_path.get(name.as_str())?;
        self.linted_text(FileId(i as u32))
    }

    /// The report's name of a file (absolute, or relative to the working directory): as
    /// reached from the root it is under. `None` outside every root.
    pub fn report_path(&self, path: &Path) -> Option<String> {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| self.cwd.join(path));
        for (i, root) in &self.absolute_roots {
            let given = &self.roots[*i];
            if absolute == *root {
                // A root that is a file is named as given; a directory is no file.
                return (!root.is_dir()).then(|| given.clone());
            }
            if let Ok(relative) = absolute.strip_prefix(root) {
                if relative.as_os_str().is_empty() {
                    continue;
                }
                let joined = Path::new(given).join(relative);
                let s = joined.to_string_lossy();
                return Some(s.strip_prefix("./").unwrap_or(&s).to_string());
            }
        }
        None
    }

    /// Where a file of the report is on disk.
    pub fn absolute(&self, report_file: &str) -> PathBuf {
        self.cwd.join(report_file)
    }

    /// What the reference at `line`:`col` (1-based, characters) of `path` resolves to.
    ///
    /// Drawn from the graph of the current texts (`cilint graph`'s), built from the
    /// workspace's contents, and only around the objects the reference's document is and names
    /// (kept until the next change, for the next request about them): the whole graph of a
    /// large tree would hold more memory than the objects themselves, and it needs each world's
    /// Catalog, which a lint does not keep.
    pub fn resolve_at(&self, path: &Path, line: u32, col: u32) -> Option<Resolution> {
        let file = self.report_path(path)?;
        let text = self.text(path)?;
        let graphs_of = |around: &[String]| {
            let mut drawn = self.drawn.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((names, graphs)) = drawn.as_ref()
                && names == around
            {
                return Arc::clone(graphs);
            }
            let graphs = Arc::new(self.run_stages(false, |run, files, contents, valid| {
                crate::graphs_of_run(run, files, contents, valid, Some(around))
            }));
            *drawn = Some((around.to_vec(), Arc::clone(&graphs)));
            graphs
        };
        resolve::resolve(
            &resolve::At {
                file: &file,
                text: &text,
                line,
                col,
            },
            &graphs_of,
            &|f: &str| self.text(&self.absolute(f)),
        )
    }

    /// Whether discovery would lint a file not seen yet: one cilint reads, not excluded by the
    /// configuration. (Ignore files are for discovery, run again before the file is linted.)
    fn may_lint(&self, path: &Path, name: &str) -> bool {
        FileKind::from_path(name).is_some() && !self.options.config.is_excluded(path, false)
    }

    /// Discovers the tree again, keeps every file whose FileId and text are unchanged, and gives
    /// the files to load again (new, moved to another FileId, or changed).
    fn discover_again(&mut self, terraform_dirs: &mut HashSet<PathBuf>) -> Vec<usize> {
        let (mut candidates, errors) = discover::discover(&self.roots, &self.options.config);
        self.walk_errors = errors;
        let found: HashSet<Arc<str>> = candidates.iter().map(|c| c.path.clone()).collect();
        // An editor's buffer of a file not (or no longer) on disk is linted where discovery
        // would put it; a buffer of a file on disk that discovery left out stays out.
        let mut unsaved: Vec<&String> = self
            .buffers
            .keys()
            .filter(|name| !found.contains(name.as_str()) && !self.absolute(name).exists())
            .collect();
        unsaved.sort();
        for name in unsaved {
            if let Some(kind) = FileKind::from_path(name) {
                candidates.push(Candidate {
                    path: name.as_str().into(),
                    kind,
                    template: crate::source::has_template_syntax(name),
                });
            }
        }
        candidates.sort();
        let mut old: HashMap<Arc<str>, (usize, Entry)> = std::mem::take(&mut self.files)
            .into_iter()
            .enumerate()
            .map(|(i, e)| (e.candidate.path.clone(), (i, e)))
            .collect();
        let dirty = std::mem::take(&mut self.dirty);
        let mut reparse = Vec::new();
        // Held for the workspace's life: no room to grow (doubling left room for 8,192 entries
        // on 5,224 files).
        self.files.reserve_exact(candidates.len());
        for (i, candidate) in candidates.into_iter().enumerate() {
            match old.remove(&candidate.path) {
                Some((at, entry))
                    if at == i && entry.candidate == candidate && !dirty.contains(&at) =>
                {
                    self.files.push(entry)
                }
                Some((at, entry)) if at == i && entry.candidate == candidate => {
                    // Changed in place: parsed again, its last good objects at hand.
                    reparse.push(i);
                    self.files.push(entry);
                }
                moved => {
                    reparse.push(i);
                    self.files.push(Entry {
                        candidate,
                        source: "".into(),
                        linted: None,
                        valid: false,
                        plain_columns: false,
                        error: None,
                        contents: Arc::default(),
                        good_text: moved.and_then(|(_, e)| e.good_text),
                    });
                }
            }
        }
        // A Terraform module that lost a file is read again.
        for (_, (_, e)) in old {
            if e.candidate.kind == FileKind::Terraform {
                terraform_dirs.insert(parent(&e.candidate.path));
            }
        }
        // Buffers of files that went away are forgotten.
        self.by_path = (0..self.files.len())
            .map(|i| (self.files[i].candidate.path.clone(), i))
            .collect();
        let by_path = &self.by_path;
        self.buffers
            .retain(|name, _| by_path.contains_key(name.as_str()));
        reparse
    }

    /// Reads (from the buffers or disk) and parses the given files, in parallel, then the
    /// Terraform modules among them.
    fn load(&mut self, reparse: &[usize], terraform_dirs: &mut HashSet<PathBuf>) {
        let options = &self.options;
        let buffers = &self.buffers;
        let files = &self.files;
        let loaded: Vec<(usize, Entry)> = reparse
            .par_iter()
            .map(|&i| {
                let old = &files[i];
                let candidate = &old.candidate;
                let read = match buffers.get(&*candidate.path) {
                    Some(text) => Ok((
                        SourceFile {
                            path: candidate.path.clone(),
                            kind: candidate.kind,
                            text: text.clone(),
                        },
                        true,
                    )),
                    None => crate::load::read(candidate, None, options.max_file_size),
                };
                let linted = read.as_ref().ok().map(|(s, _)| Digest::of(&s.text));
                let plain_columns = read
                    .as_ref()
                    .is_ok_and(|(s, _)| s.text.is_ascii() && !s.text.contains('\r'));
                let from_editor = buffers.contains_key(&*candidate.path);
                let (source, (mut contents, (valid, error))) =
                    crate::load_file(i, candidate, read, options, from_editor);
                let mut good_text = None;
                if from_editor {
                    (contents, good_text) = keep_last_good(contents, old, i, options);
                }
                let entry = Entry {
                    candidate: candidate.clone(),
                    source: source.text,
                    linted,
                    valid,
                    plain_columns,
                    error: error.map(Box::new),
                    contents: Arc::new(contents),
                    good_text,
                };
                (i, entry)
            })
            .collect();
        for (i, entry) in loaded {
            if entry.candidate.kind == FileKind::Terraform {
                terraform_dirs.insert(parent(&entry.candidate.path));
            }
            self.files[i] = entry;
        }
        if terraform_dirs.is_empty() {
            return;
        }
        // A module's files share variables: every file of a changed module is parsed again,
        // then the module read as `lint` reads it.
        let module: HashSet<usize> = (0..self.files.len())
            .filter(|&i| {
                let c = &self.files[i].candidate;
                c.kind == FileKind::Terraform
                    && !c.template
                    && terraform_dirs.contains(&parent(&c.path))
            })
            .collect();
        let candidates: Vec<Candidate> = self.files.iter().map(|e| e.candidate.clone()).collect();
        let read = |i: usize| -> Option<(SourceFile, bool)> {
            let e = &self.files[i];
            let text = e.linted_text(None, self.options.max_file_size)?;
            let c = &e.candidate;
            (!c.template && terraform_dirs.contains(&parent(&c.path))).then(|| {
                let source = SourceFile {
                    path: c.path.clone(),
                    kind: c.kind,
                    text,
                };
                (source, e.valid)
            })
        };
        let mut contents: Vec<FileContents> = (0..self.files.len())
            .map(|i| {
                if module.contains(&i) {
                    let (_, (c, _)) = crate::load_file(
                        i,
                        &candidates[i],
                        read(i).ok_or_else(String::new),
                        &self.options,
                        true,
                    );
                    c
                } else {
                    FileContents::default()
                }
            })
            .collect();
        crate::load::terraform::load_modules(
            &candidates,
            &mut contents,
            &self.options.namespace,
            &read,
        );
        for &i in &module {
            self.files[i].contents = Arc::new(std::mem::take(&mut contents[i]));
        }
    }
}

/// A file whose editor text does not parse keeps the objects of the last text that did, with
/// the new syntax error: the contents to lint, and the text they were parsed from when it is not
/// the current one. `old` is the file's entry before this change: at the same FileId, or (the
/// tree changed around it) a placeholder holding only its last good text.
fn keep_last_good(
    mut new: FileContents,
    old: &Entry,
    id: usize,
    options: &Options,
) -> (FileContents, Option<Arc<str>>) {
    let Some(error) = new.yaml_error.clone().filter(|_| !new.template) else {
        return (new, None);
    };
    let (mut contents, good) = match (old.linted, &old.good_text) {
        (Some(_), None) if old.contents.yaml_error.is_none() => {
            match old.linted_text(None, options.max_file_size) {
                Some(text) => ((*old.contents).clone(), text),
                None => return (new, None),
            }
        }
        (Some(_), Some(good)) => ((*old.contents).clone(), good.clone()),
        (None, Some(good)) => {
            // Its objects name their old FileId: the last good text is parsed again.
            let read = Ok((
                SourceFile {
                    path: old.candidate.path.clone(),
                    kind: old.candidate.kind,
                    text: good.clone(),
                },
                true,
            ));
            let (_, (c, _)) = crate::load_file(id, &old.candidate, read, options, true);
            if c.yaml_error.is_some() {
                return (new, None);
            }
            (c, good.clone())
        }
        _ => return (new, None),
    };
    // What is scanned from the text, not parsed, is the current text's.
    contents.yaml_error = Some(error);
    contents.unparsed = None;
    contents.commands = std::mem::take(&mut new.commands);
    contents.suppressions = std::mem::take(&mut new.suppressions);
    contents.broken_without_api_version = new.broken_without_api_version;
    (contents, Some(good))
}

/// No fix edits a file linted from its last good objects: its positions are of that text.
fn without_stale_fixes(findings: &mut [Finding], files: &[SourceFile], stale: &HashSet<FileId>) {
    for f in findings {
        let Some(fix) = &mut f.fix else { continue };
        let touches = std::cell::Cell::new(false);
        fix.relocate(|l| {
            touches.set(touches.get() || stale.contains(&l.file));
            l
        });
        let creates_there = fix.edits.iter().any(|e| match e {
            crate::diagnostic::Edit::Create { path, .. } => stale
                .iter()
                .any(|id| files.get(id.0 as usize).is_some_and(|s| *s.path == **path)),
            _ => false,
        });
        if touches.get() || creates_there {
            f.fix = None;
        }
    }
}

/// The directory of a file as the report names it (a Terraform module).
fn parent(path: &str) -> PathBuf {
    Path::new(path)
        .parent()
        .unwrap_or(Path::new(""))
        .to_path_buf()
}

/// The report before the first lint.
fn empty_report() -> Report {
    Report {
        files: Vec::new(),
        findings: Vec::new(),
        summary: Default::default(),
        input_errors: Vec::new(),
        unverified: None,
        rendered: None,
        timings: Timings::default(),
        rules: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    /// The workspace holds an entry and a contents per file, and each lint copies every
    /// contents into layout and its worlds: their sizes are the server's memory per file (they
    /// were 144 and 240 bytes; lists and errors most files lack are a pointer each).
    #[test]
    fn an_entry_and_its_contents_stay_small() {
        assert_eq!(std::mem::size_of::<super::Entry>(), 104);
        assert_eq!(std::mem::size_of::<crate::load::FileContents>(), 112);
    }

    /// A hover draws the graph only around what the reference's document is and names: on
    /// every fixture repository, each word of each file resolves as it does through the whole
    /// graph.
    #[test]
    fn a_hover_resolves_through_the_graph_around_it_as_through_the_whole_graph() {
        use super::{Workspace, resolve};
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut repos: Vec<_> = std::fs::read_dir(root.join("fixtures/repos"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        repos.sort();
        repos.push(root.join("examples"));
        let mut resolved = 0;
        for repo in repos {
            let ws = Workspace::open(
                &[repo.to_string_lossy().into_owned()],
                crate::Options::default(),
            );
            let whole = std::sync::Arc::new(ws.run_stages(false, |run, files, contents, valid| {
                crate::graphs_of_run(run, files, contents, valid, None)
            }));
            for file in &ws.report().files {
                let path = ws.absolute(&file.path);
                let Some(text) = ws.text(&path) else { continue };
                for (l, line) in text.lines().enumerate() {
                    let chars: Vec<char> = line.chars().collect();
                    // The first character of each word.
                    let starts = (0..chars.len()).filter(|&i| {
                        chars[i].is_alphanumeric() && (i == 0 || !chars[i - 1].is_alphanumeric())
                    });
                    for c in starts {
                        let at = resolve::At {
                            file: &file.path,
                            text: &text,
                            line: l as u32 + 1,
                            col: c as u32 + 1,
                        };
                        let text_of = |f: &str| ws.text(&ws.absolute(f));
                        let expected = resolve::resolve(&at, &|_| whole.clone(), &text_of);
                        if expected.is_none() && !line.contains("name:") {
                            continue;
                        }
                        let got = ws.resolve_at(&path, at.line, at.col);
                        assert_eq!(got, expected, "{}:{}:{}", file.path, at.line, at.col);
                        resolved += usize::from(expected.is_some());
                    }
                }
            }
        }
        assert!(resolved > 200, "only {resolved} references resolved");
    }
}
