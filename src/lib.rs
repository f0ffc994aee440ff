//! cilint: an offline, cross-object linter for Kubernetes manifests that use Cilium and the
//! Gateway API.
//!
//! [`lint`] is the pipeline, one function per stage, data flowing one way:
//!
//! ```text
//! paths ─discover─▶ files ─load─▶ FileContents ─place─▶ worlds (one per cluster)
//!   ─index─▶ Catalog ─check─▶ findings + references ─suppress─▶ findings ─combine─▶ Report
//! ```
//!
//! The modules are layers; each uses only its own layer and those below it
//! (`tests/architecture.rs` holds the map and checks it):
//!
//! ```text
//! 11 lib.rs (the pipeline), workspace (the incremental engine), main.rs, cli.rs
//! 10 report/      renderers of a Report; graph/ (`cilint graph`'s pictures)
//!  9 suppress     suppressions and configured severities over the rules' findings
//!  8 rules/       one file per rule, and the registry
//!  7 analysis/    what is derived from a whole Catalog and shared by rules (Facts)
//!  6 catalog      one world's index: found / missing / unverifiable
//!  5 layout/      where each file is deployed: kustomize, Flux, Argo CD, clusters
//!  4 discover, load/, floor, timings   paths to files, files to objects
//!  3 config, diagnostic                pure data
//!  2 model/       typed read-only views of one object or document
//!  1 source/      files, positions, YAML with spans, commands, suppression comments
//! ```

pub mod analysis;
pub mod catalog;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod fix;
pub mod floor;
pub mod graph;
pub mod layout;
pub mod load;
pub mod model;
pub mod report;
pub mod rules;
pub mod server;
pub mod source;
pub mod suppress;
pub mod timings;
pub mod workspace;

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use analysis::references;
use analysis::versions::Versions;
use catalog::Catalog;
use config::Config;
use diagnostic::{Finding, Severity};
use discover::InputError;
use load::FileContents;
pub use report::{Report, Summary};
use source::yaml::YamlError;
use source::{FileId, Location, Pos, SourceFile};
use timings::{Timings, lap};

/// What a run is asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where objects without `metadata.namespace` land, as with `kubectl apply -n`.
    pub namespace: String,
    /// The text of standard input, when `-` is among the paths.
    pub stdin: Option<String>,
    /// Rule settings, excluded paths and external objects (`.cilint.yaml`).
    pub config: Config,
    /// Lint everything, but report only the findings located in these files (pre-commit).
    pub report_only: Option<Vec<String>>,
    /// Report references that may be satisfied outside the tree (unverified) as not found.
    pub strict: bool,
    /// Keep the unverified references in the report, for listing.
    pub show_unverified: bool,
    /// Keep what was rendered from Helm values in the report, for `cilint render`.
    pub show_rendered: bool,
    /// Files larger than this many bytes are refused, not read.
    pub max_file_size: u64,
    /// Fixes will be written (`--fix`): every file keeps the text it was loaded from, so fixes
    /// are computed from, and checked against, the very bytes linted (never a second read).
    pub fixing: bool,
}

impl Options {
    /// The options a configuration sets (`namespace`, `strict`, `max-file-size`), the rest
    /// defaults: what a run is before its command-line flags.
    pub fn from_config(config: Config) -> Options {
        Options {
            namespace: config.namespace.clone().unwrap_or_else(|| "default".into()),
            strict: config.strict,
            max_file_size: config.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE),
            config,
            ..Options::default()
        }
    }
}

/// The default file size limit: far above any manifest, below what would exhaust memory.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

impl Default for Options {
    fn default() -> Self {
        Options {
            namespace: "default".into(),
            stdin: None,
            config: Config::default(),
            report_only: None,
            strict: false,
            show_unverified: false,
            show_rendered: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            fixing: false,
        }
    }
}

/// Lints the given paths (files, directories, `-` for standard input).
pub fn lint(paths: &[String], options: &Options) -> Report {
    let (mut timings, mut clock) = (Timings::default(), Instant::now());
    let (candidates, mut input_errors) = discover::discover(paths, &options.config);
    lap(&mut clock, &mut timings.discover);
    let loaded = load_files(&candidates, options, &mut timings);
    input_errors.extend(loaded.errors);
    lap(&mut clock, &mut timings.load);
    let stale = HashMap::new();
    let run = Run::from_disk(paths, &candidates, options, &stale);
    report_of(
        &run,
        loaded.files,
        loaded.contents,
        &loaded.valid,
        &loaded.counts,
        input_errors,
        (timings, clock),
    )
}

/// The text of a file by FileId, when it can be had.
type TextOf<'a> = dyn Fn(FileId) -> Option<std::sync::Arc<str>> + Sync + 'a;

/// What the stages after loading need to know of the run.
struct Run<'a> {
    paths: &'a [String],
    candidates: &'a [discover::Candidate],
    options: &'a Options,
    /// Where the text of a file loading did not keep comes from: the disk, or (a workspace)
    /// the texts it holds, an editor's buffers among them.
    text: Option<&'a TextOf<'a>>,
    /// Files whose objects are the last ones that parsed, not their current text's (a
    /// workspace's file mid-typing), with their current text's syntax error: only that error is
    /// reported in them.
    stale: &'a HashMap<FileId, YamlError>,
    /// The worlds a workspace checked at its last lint (see [`WorldMemo`]).
    memo: Option<&'a std::sync::Mutex<WorldMemo>>,
    /// The report keeps no text it read again and leaves its fixes unresolved (a workspace,
    /// which resolves a finding's fix when an editor asks for it, see
    /// [`workspace::Workspace::resolve_fixes`]).
    defer_fixes: bool,
}

impl<'a> Run<'a> {
    /// A run of the command line: texts read again from disk, nothing stale, no memo.
    fn from_disk(
        paths: &'a [String],
        candidates: &'a [discover::Candidate],
        options: &'a Options,
        stale: &'a HashMap<FileId, YamlError>,
    ) -> Run<'a> {
        Run {
            paths,
            candidates,
            options,
            text: None,
            stale,
            memo: None,
            defer_fixes: false,
        }
    }
}

/// place, check and report: everything after loading, for [`lint`] and the workspace (which
/// keeps a memo of the worlds it checked).
fn report_of(
    run: &Run<'_>,
    mut files: Vec<SourceFile>,
    contents: Vec<FileContents>,
    valid: &[bool],
    counts: &Counts,
    input_errors: Vec<InputError>,
    (mut timings, mut clock): (Timings, Instant),
) -> Report {
    let options = run.options;
    let mut layout = place(run, &files, valid, contents);
    lap(&mut clock, &mut timings.layout);
    let worlds = layout.worlds.len();
    let mut memo = run
        .memo
        .map(|m| m.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    let checked = check_worlds(
        &mut layout,
        options,
        &mut timings,
        &mut clock,
        memo.as_deref_mut(),
    );
    drop(memo);
    let reported = Reported::new(options, &files);
    let mut findings = combine(checked.findings, &reported, worlds, &layout, options);
    if !run.stale.is_empty() {
        drop_stale(&mut findings, run.stale);
    }
    let tally = tally(checked.references, &reported, worlds, &layout.shared);
    lap(&mut clock, &mut timings.sort);
    let mut summary = summarize(&files, counts, &layout.data, &tally, &findings);
    summary.versions = checked.versions;
    record(&mut timings, &summary, worlds);
    if !run.defer_fixes {
        restore_texts(&mut files, run, &findings, &tally.unverified);
        fix::resolve(&mut findings, &mut files);
    }
    let mut rendered = checked.rendered;
    rendered.sort_by_cached_key(|r| {
        (
            files[r.location.file.0 as usize].path.clone(),
            r.location.span.start.byte,
            r.cluster.clone(),
        )
    });
    Report {
        files,
        findings,
        summary,
        input_errors,
        unverified: options.show_unverified.then_some(tally.unverified),
        rendered: options.show_rendered.then_some(rendered),
        timings,
        rules: rules::RULES
            .iter()
            .map(|r| r.meta.id)
            .filter(|id| options.config.enabled(id))
            .collect(),
    }
}

/// In a file linted from its last good objects, only its syntax error is reported: every other
/// position there is of a text no longer in the file. Elsewhere, related locations into it are
/// dropped.
fn drop_stale(findings: &mut Vec<Finding>, stale: &HashMap<FileId, YamlError>) {
    let stale = |id: &FileId| stale.contains_key(id);
    findings.retain(|f| !stale(&f.location.file) || f.rule == rules::YAML_SYNTAX);
    for f in findings {
        f.related.retain(|r| !stale(&r.location.file));
    }
}

/// The tree read and placed, for `cilint graph`.
struct Placed {
    files: Vec<SourceFile>,
    input_errors: Vec<InputError>,
    layout: layout::Layout,
}

/// discover, load and place: every file read, parsed and placed in its worlds.
fn load_and_place(
    paths: &[String],
    options: &Options,
    timings: &mut Timings,
    clock: &mut Instant,
) -> Placed {
    let (candidates, mut input_errors) = discover::discover(paths, &options.config);
    lap(clock, &mut timings.discover);
    let loaded = load_files(&candidates, options, timings);
    input_errors.extend(loaded.errors);
    lap(clock, &mut timings.load);
    let files = loaded.files;
    let stale = HashMap::new();
    let run = Run::from_disk(paths, &candidates, options, &stale);
    let layout = place(&run, &files, &loaded.valid, loaded.contents);
    lap(clock, &mut timings.layout);
    Placed {
        files,
        input_errors,
        layout,
    }
}

/// What `cilint graph` draws: one graph per world, and the files that could not be read.
pub struct GraphReport {
    pub graphs: Vec<graph::Graph>,
    pub input_errors: Vec<InputError>,
}

/// The paths of every world (`cilint graph`), from the same load, layout, Catalog and rules
/// as a lint run; each world's findings mark the edges they break.
pub fn graph(paths: &[String], options: &Options) -> GraphReport {
    let (mut timings, mut clock) = (Timings::default(), Instant::now());
    let Placed {
        files,
        input_errors,
        layout,
        ..
    } = load_and_place(paths, options, &mut timings, &mut clock);
    GraphReport {
        graphs: graphs_of(&files, layout, options, None),
        input_errors,
    }
}

/// The graphs of a tree loaded by a workspace (hover and go-to-definition in `cilint server`),
/// drawn around the names `around` holds, else whole.
fn graphs_of_run(
    run: &Run<'_>,
    files: Vec<SourceFile>,
    contents: Vec<FileContents>,
    valid: &[bool],
    around: Option<&[String]>,
) -> Vec<graph::Graph> {
    let layout = place(run, &files, valid, contents);
    graphs_of(&files, layout, run.options, around)
}

/// Each world of a placed tree checked and drawn (whole, or around the names `around` holds),
/// one after the other.
fn graphs_of(
    files: &[SourceFile],
    mut layout: layout::Layout,
    options: &Options,
    around: Option<&[String]>,
) -> Vec<graph::Graph> {
    let (mut timings, mut clock) = (Timings::default(), Instant::now());
    let mut graphs = Vec::new();
    for world in std::mem::take(&mut layout.worlds) {
        let checked = check_world(
            world.contents,
            world.shadows,
            &layout.positions,
            options,
            &mut timings,
            &mut clock,
        );
        graphs.push(graph::build(&graph::World {
            cluster: world.name,
            catalog: &checked.catalog,
            versions: checked.versions,
            findings: &checked.findings,
            references: &checked.references,
            positions: &layout.positions,
            files,
            around,
        }));
    }
    graphs
}

/// What loading gives: every file by FileId (most without their text), what each holds, whether
/// its text was valid, the counts the summary needs, and the files that could not be read.
struct Loaded {
    files: Vec<SourceFile>,
    contents: Vec<FileContents>,
    valid: Vec<bool>,
    counts: Counts,
    errors: Vec<InputError>,
}

/// What the summary counts of the loaded files, before layout tells data files apart.
struct Counts {
    unreadable: usize,
    templates: usize,
    objects: usize,
    skipped_documents: usize,
    commands: usize,
}

impl Counts {
    fn of(
        candidates: &[discover::Candidate],
        contents: &[FileContents],
        unreadable: usize,
    ) -> Self {
        Counts {
            unreadable,
            templates: candidates.iter().filter(|c| c.template).count()
                + contents.iter().filter(|c| c.template).count(),
            objects: contents.iter().map(|c| c.objects.len()).sum(),
            skipped_documents: contents.iter().map(|c| c.skipped_documents).sum(),
            commands: contents.iter().map(|c| c.commands.len()).sum(),
        }
    }
}

/// One file loaded: its source (text kept or not), what it holds, whether its text was valid,
/// and why it could not be read.
type OneFile = (SourceFile, (FileContents, (bool, Option<InputError>)));

/// load: read and parse every file in parallel; a panic in one file is that file's error.
/// An unreadable file keeps its place (and FileId) with empty text.
fn load_files(
    candidates: &[discover::Candidate],
    options: &Options,
    timings: &mut Timings,
) -> Loaded {
    // Collected straight into one Vec per field: a Vec of tuples split afterwards would be a
    // second copy of every file's contents, freed at once just before the Catalogs are built.
    let bytes = AtomicUsize::new(0);
    let (files, (mut contents, (valid, errors))): (Vec<_>, (Vec<_>, (Vec<_>, Vec<_>))) = candidates
        .par_iter()
        .enumerate()
        .map(|(i, c)| {
            let read = load::read(c, options.stdin.as_deref(), options.max_file_size);
            if let Ok((source, _)) = &read {
                bytes.fetch_add(source.text.len(), Ordering::Relaxed);
            }
            load_file(i, c, read, options, options.fixing)
        })
        .unzip();
    // A Terraform module is a directory whose files share variables: read one module at a time.
    load::terraform::load_modules(candidates, &mut contents, &options.namespace, &|i| {
        load::read(&candidates[i], None, options.max_file_size).ok()
    });
    timings.bytes = bytes.into_inner();
    let errors: Vec<InputError> = errors.into_iter().flatten().collect();
    let counts = Counts::of(candidates, &contents, errors.len());
    timings.documents = contents.iter().map(|c| c.documents).sum();
    Loaded {
        files,
        contents,
        valid,
        counts,
        errors,
    }
}

/// Parses one file as read (its objects, commands and layout documents), or makes its read
/// error. The text is kept when `keep_text` says so, and where layout or the report needs it.
fn load_file(
    i: usize,
    c: &discover::Candidate,
    read: Result<(SourceFile, bool), String>,
    options: &Options,
    keep_text: bool,
) -> OneFile {
    let (source, valid) = match read {
        Ok(read) => read,
        Err(message) => {
            let error = InputError {
                path: c.path.to_string(),
                message,
            };
            let empty = SourceFile {
                path: c.path.clone(),
                kind: c.kind,
                text: "".into(),
            };
            return (empty, (FileContents::default(), (false, Some(error))));
        }
    };
    let file = FileId(i as u32);
    if c.template {
        return (
            without_text(source),
            (FileContents::default(), (valid, None)),
        );
    }
    let contents = loaded_or_internal_error(|| {
        with_unparsed(
            load::parse(file, &source, valid, &options.namespace),
            &source,
        )
    });
    // Flux may parse a file again with its variables, and standard input cannot be read
    // twice: those keep their text.
    let source = if keep_text || &*c.path == discover::STDIN || source.text.contains("${") {
        source
    } else {
        without_text(source)
    };
    (source, (contents, (valid, None)))
}

/// place: where kustomize, Flux and Argo CD deploy each file; one world per cluster.
fn place(
    run: &Run<'_>,
    files: &[SourceFile],
    valid: &[bool],
    contents: Vec<FileContents>,
) -> layout::Layout {
    let options = run.options;
    let root = layout_root(run.paths);
    // Layout loads again the files Flux substitutes and kustomize patches, and patch texts.
    let text = |id: FileId| -> Option<std::sync::Arc<str>> {
        let i = id.0 as usize;
        if !files[i].text.is_empty() {
            return Some(files[i].text.clone());
        }
        text_of(run, id)
    };
    let parse = |id: FileId, text, vars: Option<&_>, edit: Option<&source::yaml::Edit<'_>>| {
        let i = id.0 as usize;
        let source = SourceFile {
            path: files[i].path.clone(),
            kind: files[i].kind,
            text,
        };
        // Patches and substitutions run here, on one file: a panic is that file's error too.
        let mut contents = loaded_or_internal_error(|| {
            let contents =
                load::parse_edited(id, &source, valid[i], &options.namespace, vars, edit);
            with_unparsed(contents, &source)
        });
        // Parsed from its last good text: the current text's syntax error stays.
        if let Some(error) = run.stale.get(&id) {
            contents.yaml_error = Some(Box::new(error.clone()));
            contents.unparsed = None;
        }
        contents
    };
    layout::worlds(
        &layout::Input {
            sources: files,
            root: &root,
            default_namespace: &options.namespace,
            clusters: &options.config.clusters,
        },
        contents,
        &layout::Reload {
            text: &text,
            parse: &parse,
        },
    )
}

/// What every world's rules found, suppressions applied, and every world's references.
struct CheckedWorlds {
    findings: Vec<Finding>,
    references: Vec<references::Resolved>,
    /// The versions each world ran, each distinct one once, with its first world's name (none
    /// when every world ran the same).
    versions: Vec<(Option<String>, Versions)>,
    /// What each world rendered from Helm values, when asked.
    rendered: Vec<analysis::rendered::RenderedRelease>,
}

/// The worlds a workspace checked at its last lint, each with the inputs it was checked from,
/// to give their findings again while those inputs are the same: after an edit, only the
/// worlds the edited file is placed in (or whose placement it changes) are indexed and checked
/// again. The inputs are compared whole (each file's objects by pointer first, see SharedVec),
/// and the positions every world is located with too: an edit that moves a patch text anywhere
/// checks every world again. Kept for trees of two worlds or more only.
#[derive(Default)]
pub struct WorldMemo {
    positions: Option<layout::Positions>,
    worlds: Vec<CheckedWorld>,
}

/// One world's inputs, and what checking it gave (located, with its cluster's name).
struct CheckedWorld {
    name: Option<String>,
    contents: Vec<(FileId, FileContents)>,
    shadows: Vec<layout::Shadow>,
    findings: Vec<Finding>,
    references: Vec<references::Resolved>,
    versions: Versions,
    rendered: Vec<analysis::rendered::RenderedRelease>,
}

/// index, check and suppress, world by world: each world's Catalog is built, read by the rules
/// and dropped before the next. With a memo (a workspace), a world whose inputs are those of
/// the last lint is not checked again.
fn check_worlds(
    layout: &mut layout::Layout,
    options: &Options,
    timings: &mut Timings,
    clock: &mut Instant,
    mut memo: Option<&mut WorldMemo>,
) -> CheckedWorlds {
    // With one world, an edit that leaves it as it was (a comment) is too rare to pay for
    // keeping a second copy of its references and findings.
    if layout.worlds.len() < 2
        && let Some(m) = memo.take()
    {
        *m = WorldMemo::default();
    }
    let positions = &layout.positions;
    let mut findings = Vec::new();
    let mut references = Vec::new();
    let mut versions: Vec<(Option<String>, Versions)> = Vec::new();
    let mut rendered = Vec::new();
    let mut last = match memo.as_deref_mut() {
        Some(m) if m.positions.as_ref() == Some(positions) => std::mem::take(&mut m.worlds),
        _ => Vec::new(),
    };
    let mut next = Vec::new();
    for world in std::mem::take(&mut layout.worlds) {
        let same = last.iter().position(|w| {
            w.name == world.name && w.shadows == world.shadows && w.contents == world.contents
        });
        let checked = match same {
            Some(i) => last.swap_remove(i),
            None => {
                let inputs = memo
                    .is_some()
                    .then(|| (world.contents.clone(), world.shadows.clone()));
                let mut checked = check_one_world(world, positions, options, timings, clock);
                if let Some((contents, shadows)) = inputs {
                    (checked.contents, checked.shadows) = (contents, shadows);
                }
                checked
            }
        };
        if !versions.iter().any(|(_, v)| *v == checked.versions) {
            versions.push((checked.name.clone(), checked.versions));
        }
        if memo.is_some() {
            rendered.extend(checked.rendered.iter().cloned());
            findings.extend(checked.findings.iter().cloned());
            references.extend(checked.references.iter().cloned());
            next.push(checked);
        } else {
            rendered.extend(checked.rendered);
            findings.extend(checked.findings);
            // One world's references are kept where they are, not copied into a new Vec.
            if references.is_empty() {
                references = checked.references;
            } else {
                references.extend(checked.references);
            }
        }
    }
    if let Some(m) = memo {
        m.positions = Some(layout.positions.clone());
        m.worlds = next;
    }
    if versions.is_empty() {
        versions.push((
            None,
            analysis::versions::configured(&options.config.versions),
        ));
    }
    // One set for every cluster names none.
    if let [(cluster, _)] = versions.as_mut_slice() {
        *cluster = None;
    }
    CheckedWorlds {
        findings,
        references,
        versions,
        rendered,
    }
}

/// One world indexed, checked and located, its findings and references named after its
/// cluster. Its inputs are consumed (the memo's copy is the caller's to make).
fn check_one_world(
    world: layout::World,
    positions: &layout::Positions,
    options: &Options,
    timings: &mut Timings,
    clock: &mut Instant,
) -> CheckedWorld {
    let WorldChecked {
        catalog,
        findings: found,
        references: mut resolved,
        versions: mut ran,
    } = check_world(
        world.contents,
        world.shadows,
        positions,
        options,
        timings,
        clock,
    );
    if let analysis::versions::Source::Tree(l) = &mut ran.gateway_api_from {
        *l = positions.locate(*l);
    }
    if let Some((_, analysis::versions::Source::Tree(l))) = &mut ran.cilium {
        *l = positions.locate(*l);
    }
    let mut rendered = Vec::new();
    if options.show_rendered {
        for mut r in analysis::rendered::rendered_releases(&catalog) {
            r.location = positions.locate(r.location);
            for (l, _) in &mut r.lines {
                *l = positions.locate(*l);
            }
            r.cluster = world.name.clone();
            rendered.push(r);
        }
    }
    let findings = found
        .into_iter()
        .map(|mut f| {
            f.cluster = world.name.clone();
            f
        })
        .collect();
    let cluster = world.name.as_deref().map(model::text);
    for r in &mut resolved {
        r.cluster = cluster;
    }
    drop_in_background(catalog);
    CheckedWorld {
        name: world.name,
        contents: Vec::new(),
        shadows: Vec::new(),
        findings,
        references: resolved,
        versions: ran,
        rendered,
    }
}

/// One world indexed and checked: its Catalog, the rules' findings (settled, suppressions and
/// configured severities applied) and its references, both located where they were written.
struct WorldChecked {
    catalog: Catalog,
    findings: Vec<Finding>,
    references: Vec<references::Resolved>,
    versions: Versions,
}

/// index, check and suppress one world.
fn check_world(
    contents: Vec<(FileId, FileContents)>,
    shadows: Vec<layout::Shadow>,
    positions: &layout::Positions,
    options: &Options,
    timings: &mut Timings,
    clock: &mut Instant,
) -> WorldChecked {
    let mut catalog = Catalog::build(contents, &options.namespace, &options.config.external);
    catalog.add_shadows(shadows);
    catalog.strict = options.strict;
    timings.catalog_objects += catalog.objects().count();
    lap(clock, &mut timings.index);
    // The references need no finding: they are resolved while the rules run.
    let (found, mut resolved) = rayon::join(
        || check(&catalog, options),
        || references::references(&catalog),
    );
    timings.rules_run += found.rules_run;
    lap(clock, &mut timings.check);
    let settled = settle(found.findings, &catalog, &resolved, positions);
    for r in &mut resolved {
        r.location = positions.locate(r.location);
    }
    let findings = configure(settled, &catalog, options);
    lap(clock, &mut timings.suppress);
    WorldChecked {
        catalog,
        findings,
        references: resolved,
        versions: found.versions,
    }
}

/// The files findings are reported in: all, or those `report_only` names (pre-commit).
struct Reported<'f> {
    wanted: Option<HashSet<PathBuf>>,
    files: &'f [SourceFile],
}

impl<'f> Reported<'f> {
    fn new(options: &Options, files: &'f [SourceFile]) -> Reported<'f> {
        let wanted = options
            .report_only
            .as_ref()
            .map(|only| only.iter().map(|p| comparable(p)).collect());
        Reported { wanted, files }
    }

    fn contains(&self, file: FileId) -> bool {
        self.wanted
            .as_ref()
            .is_none_or(|w| w.contains(&comparable(&self.files[file.0 as usize].path)))
    }
}

/// The findings of every world as one report: those in reported files, each cluster's once,
/// undeployed files marked, in their final order.
fn combine(
    mut findings: Vec<Finding>,
    reported: &Reported<'_>,
    worlds: usize,
    layout: &layout::Layout,
    options: &Options,
) -> Vec<Finding> {
    findings.retain(|f| reported.contains(f.location.file));
    let mut findings = merge_worlds(findings, worlds, &layout.shared);
    mark_undeployed(&mut findings, &layout.undeployed, options.config.undeployed);
    findings.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings
}

/// How many distinct references the reported files make, and the unverified ones in file order.
struct Tally {
    references: usize,
    unverified: Vec<references::Reference>,
}

/// The references of every world counted once, as the summary and `--show-unverified` see them.
fn tally(
    mut references: Vec<references::Resolved>,
    reported: &Reported<'_>,
    worlds: usize,
    shared: &HashSet<FileId>,
) -> Tally {
    references.retain(|r| reported.contains(r.location.file));
    // A file every cluster shares is one set of references, in no cluster.
    if worlds > 1 {
        merge_shared_references(&mut references, worlds, shared);
    }
    // Sorted and deduplicated as indexes: only their count and the unverified ones are kept.
    let mut order: Vec<usize> = (0..references.len()).collect();
    order.par_sort_by(|&a, &b| {
        let (a, b) = (&references[a], &references[b]);
        (
            a.location.file,
            a.location.span.start,
            a.target,
            a.cluster.as_deref(),
        )
            .cmp(&(
                b.location.file,
                b.location.span.start,
                b.target,
                b.cluster.as_deref(),
            ))
    });
    order.dedup_by(|a, b| {
        let (a, b) = (&references[*a], &references[*b]);
        a.location == b.location && a.target == b.target && a.cluster == b.cluster
    });
    let mut unverified: Vec<references::Reference> = order
        .iter()
        .filter_map(|&i| references[i].unverified_reference())
        .collect();
    // In the order of what they name, not of its digest.
    unverified.sort_by(|a, b| {
        (
            a.location.file,
            a.location.span.start,
            &a.target,
            &a.cluster,
        )
            .cmp(&(
                b.location.file,
                b.location.span.start,
                &b.target,
                &b.cluster,
            ))
    });
    let count = order.len();
    drop_in_background(references);
    Tally {
        references: count,
        unverified,
    }
}

/// The run in numbers; data files layout found are not counted as manifests.
fn summarize(
    files: &[SourceFile],
    counts: &Counts,
    data: &layout::DataFiles,
    tally: &Tally,
    findings: &[Finding],
) -> Summary {
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    Summary {
        files: files.len() - counts.unreadable,
        objects: counts.objects - data.objects,
        skipped_documents: counts.skipped_documents - data.skipped_documents,
        templates: counts.templates - data.templates,
        data_files: data.files,
        commands: counts.commands,
        references: tally.references,
        unverified: tally.unverified.len(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        notes: count(Severity::Note),
        versions: Vec::new(),
    }
}

/// The counts the timings report beside each stage's time.
fn record(timings: &mut Timings, summary: &Summary, worlds: usize) {
    timings.files = summary.files;
    timings.objects = summary.objects;
    timings.commands = summary.commands;
    timings.worlds = worlds;
    timings.findings = summary.findings();
}

/// What `load` makes of one file; a panic while loading it becomes that file's error and the run
/// goes on.
fn loaded_or_internal_error(load: impl FnOnce() -> FileContents) -> FileContents {
    catch_unwind(AssertUnwindSafe(load)).unwrap_or_else(|_| FileContents {
        yaml_error: Some(Box::new(YamlError {
            pos: Pos {
                line: 1,
                col: 1,
                byte: 0,
            },
            message: "internal error while loading this file (please report it)".into(),
        })),
        ..Default::default()
    })
}

/// A file's contents with, when it does not parse, the names written where loading stopped: a
/// reference to one of them is unverifiable, the syntax error being the one finding.
fn with_unparsed(mut contents: FileContents, source: &SourceFile) -> FileContents {
    if let Some(e) = &contents.yaml_error {
        contents.unparsed = Some(Box::new(load::Unparsed::of(&source.path, &source.text, e)));
    }
    contents
}

/// A file as read, without its text. Only the human renderer needs a file's text after
/// loading, for the files it shows snippets of; keeping every file's text would hold a copy of
/// the whole tree through the run (86.6 MB of a 378 MiB peak at 100k objects).
fn without_text(source: SourceFile) -> SourceFile {
    SourceFile {
        text: "".into(),
        ..source
    }
}

/// The text of a file loading did not keep: read again, or the run's own.
fn text_of(run: &Run<'_>, id: FileId) -> Option<std::sync::Arc<str>> {
    match run.text {
        Some(text) => text(id),
        None => {
            let candidate = &run.candidates[id.0 as usize];
            let (source, _) = load::read(candidate, None, run.options.max_file_size).ok()?;
            Some(source.text)
        }
    }
}

/// Reads again the text of the files the report points into, dropped after loading.
fn restore_texts(
    files: &mut [SourceFile],
    run: &Run<'_>,
    findings: &[Finding],
    unverified: &[references::Reference],
) {
    let pointed = findings
        .iter()
        .flat_map(|f| {
            std::iter::once(f.location.file).chain(f.related.iter().map(|r| r.location.file))
        })
        .chain(unverified.iter().map(|r| r.location.file));
    give_texts(files, pointed, &|id| text_of(run, id));
}

/// Gives `files` the texts of `ids` they lack, read with `text` in parallel.
fn give_texts(files: &mut [SourceFile], ids: impl Iterator<Item = FileId>, text: &TextOf<'_>) {
    let mut wanted: Vec<FileId> = ids
        .filter(|id| files.get(id.0 as usize).is_some_and(|f| f.text.is_empty()))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let texts: Vec<(FileId, std::sync::Arc<str>)> = wanted
        .into_par_iter()
        .filter_map(|id| text(id).map(|t| (id, t)))
        .collect();
    for (id, t) in texts {
        files[id.0 as usize].text = t;
    }
}

/// What the enabled rules found in one Catalog.
struct Checked {
    findings: Vec<Finding>,
    rules_run: usize,
    versions: Versions,
}

/// The enabled rules over one Catalog, in parallel, their findings in rule order.
fn check(catalog: &Catalog, options: &Options) -> Checked {
    let enabled: Vec<_> = rules::RULES
        .iter()
        .filter(|rule| options.config.enabled(rule.meta.id))
        .collect();
    let versions = analysis::versions::versions(catalog, &options.config.versions);
    let facts = rules::Facts::with_versions(catalog, versions);
    let mut findings: Vec<Finding> = enabled
        .par_iter()
        .flat_map_iter(|rule| {
            let mut out = Vec::new();
            (rule.check)(&facts, &mut out);
            out
        })
        .collect();
    drop_findings_in_refused_objects(&mut findings, &facts, &enabled);
    relate_rendered_objects(&mut findings, catalog);
    Checked {
        findings,
        rules_run: enabled.len(),
        versions,
    }
}

/// A finding about an object rendered from Helm values also names the HelmRelease that renders
/// it: the values are where it is fixed, and the release is what Flux reports on.
fn relate_rendered_objects(findings: &mut [Finding], catalog: &Catalog) {
    if catalog.rendered_releases().is_empty() {
        return;
    }
    for f in findings {
        if let Some((Some(location), note)) =
            f.object.as_ref().and_then(|o| catalog.rendered_note(o))
        {
            f.related.push(diagnostic::Related {
                location,
                message: note,
            });
        }
    }
}

/// An object the cluster's Gateway API bundle does not serve is refused by the API server: its
/// version finding is the only one about it, when that rule runs.
fn drop_findings_in_refused_objects(
    findings: &mut Vec<Finding>,
    facts: &rules::Facts<'_>,
    enabled: &[&rules::Rule],
) {
    let rule = rules::REFUSED_BY_BUNDLE;
    // The rule reports each refused object as an error: without one there is nothing to drop,
    // and the objects are not judged a second time.
    if !enabled.iter().any(|r| r.meta.id == rule)
        || !findings
            .iter()
            .any(|f| f.rule == rule && f.severity == diagnostic::Severity::Error)
    {
        return;
    }
    let refused = rules::refused_by_bundle(facts);
    findings.retain(|f| f.rule == rule || !refused.iter().any(|at| at.contains(f.location)));
}

/// Findings as kustomize builds the tree: none in or relying on an object a patch cilint cannot
/// apply may change, and each pointing where its node was written (a patch's value is in the
/// patch). A reference that names nothing is reported whatever its "did you mean" points at.
fn settle(
    mut findings: Vec<Finding>,
    catalog: &Catalog,
    references: &[references::Resolved],
    positions: &layout::Positions,
) -> Vec<Finding> {
    let missing: HashSet<Location> = references
        .iter()
        .filter(|r| r.missing)
        .map(|r| r.location)
        .collect();
    findings.retain(|f| {
        // A file with a syntax error holds no object, unless a workspace lints it from its last
        // good objects: their spans are of another text than the error's.
        if f.rule != rules::YAML_SYNTAX && catalog.in_unverifiable(f.location) {
            return false;
        }
        missing.contains(&f.location)
            || !f
                .related
                .iter()
                .any(|r| catalog.in_unverifiable(r.location))
    });
    for f in &mut findings {
        // Past the end of the last good text is no patch's value (a workspace's file mid-typing).
        if f.rule != rules::YAML_SYNTAX {
            f.location = positions.locate(f.location);
        }
        for r in &mut f.related {
            r.location = positions.locate(r.location);
        }
        if let Some(fix) = &mut f.fix {
            fix.relocate(|l| positions.locate(l));
        }
    }
    findings
}

/// Findings with suppressions and configured severities applied.
fn configure(findings: Vec<Finding>, catalog: &Catalog, options: &Options) -> Vec<Finding> {
    let mut findings = suppress::apply(findings, catalog, &|id| options.config.enabled(id));
    for f in &mut findings {
        if let Some(severity) = options.config.severity(f.rule) {
            f.severity = severity;
        }
    }
    findings
}

/// Findings in files no entry point deploys say so, and are at most `setting`'s severity
/// (default warning), or dropped (`off`).
fn mark_undeployed(
    findings: &mut Vec<Finding>,
    undeployed: &HashSet<FileId>,
    setting: config::RuleSetting,
) {
    if undeployed.is_empty() {
        return;
    }
    findings.retain_mut(|f| {
        if !undeployed.contains(&f.location.file) {
            return true;
        }
        f.deployed = false;
        match setting {
            config::RuleSetting::Off => false,
            // Severities order from error down: the weaker of the two.
            config::RuleSetting::Severity(cap) => {
                f.severity = f.severity.max(cap);
                true
            }
        }
    });
}

/// Drops `value` on a thread of its own: freeing a Catalog of a large tree takes tens of
/// milliseconds nothing waits for. Without a thread, it is dropped here.
fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

/// Findings of several clusters together. A file no cluster deploys (a script outside the
/// clusters) is checked in every world: what all of them find there is reported once, naming no
/// cluster. Everything else keeps its cluster: a shared base is linted, and reported, in each.
fn merge_worlds(findings: Vec<Finding>, worlds: usize, shared: &HashSet<FileId>) -> Vec<Finding> {
    let mut groups: Vec<(Finding, Vec<Option<String>>)> = Vec::new();
    let mut by_place: HashMap<(FileId, Pos, &'static str), Vec<usize>> = HashMap::new();
    for mut f in findings {
        let cluster = f.cluster.take();
        let candidates = by_place
            .entry((f.location.file, f.location.span.start, f.rule))
            .or_default();
        match candidates.iter().find(|&&i| groups[i].0 == f) {
            Some(&i) => {
                if !groups[i].1.contains(&cluster) {
                    groups[i].1.push(cluster);
                }
            }
            None => {
                candidates.push(groups.len());
                groups.push((f, vec![cluster]));
            }
        }
    }
    groups
        .into_iter()
        .flat_map(|(f, clusters)| {
            if clusters.len() == worlds && (worlds == 1 || shared.contains(&f.location.file)) {
                return vec![f];
            }
            clusters
                .into_iter()
                .map(|c| Finding {
                    cluster: c,
                    ..f.clone()
                })
                .collect()
        })
        .collect()
}

/// References in files every cluster shares, found alike in all clusters, lose their cluster
/// (as their findings do) so they count once.
fn merge_shared_references(
    references: &mut [references::Resolved],
    worlds: usize,
    shared: &HashSet<FileId>,
) {
    let key = |r: &references::Resolved| {
        let reason = r.reason().map(str::to_string);
        (r.location, r.target, reason)
    };
    let mut seen: HashMap<(Location, u64, Option<String>), usize> = HashMap::new();
    for r in references.iter() {
        if shared.contains(&r.location.file) {
            *seen.entry(key(r)).or_default() += 1;
        }
    }
    for r in references.iter_mut() {
        let key = key(r);
        if seen.get(&key) == Some(&worlds) {
            r.cluster = None;
        }
    }
}

/// Where Flux and Argo CD paths start: the first directory given, else the working directory.
fn layout_root(paths: &[String]) -> PathBuf {
    paths
        .iter()
        .map(Path::new)
        .find(|p| p.is_dir())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A path in a form two spellings of the same file share (`./a.yaml`, `a.yaml`, `/repo/a.yaml`).
fn comparable(path: &str) -> PathBuf {
    let p = Path::new(path);
    std::fs::canonicalize(p)
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}
