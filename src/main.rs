//! The command line: parse arguments, call the library, print, exit.

mod cli;

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::Parser;

use std::path::PathBuf;

use cilint::config::{self, Config, ConfigError};
use cilint::diagnostic::Severity;
use cilint::report::{self, Format, SrcRoot, Style};
use cilint::rules;
use cli::{Cli, ColorArg, Command, FailOn, FormatArg, Graph, GraphFormat, Hook, LintArgs, Render};

fn main() -> ExitCode {
    return_freed_memory_sooner();
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Rules) => print_rules(),
        Some(Command::Explain { rule }) => explain(rule),
        Some(Command::Hook(h)) => hook(h),
        Some(Command::Render(r)) => render(r),
        Some(Command::Graph(g)) => graph(g),
        Some(Command::Server { .. }) => server(),
        None if cli.floor => floor(&cli),
        None => lint(&cli.lint, &cli.paths, cli.report_only.clone()),
    }
}

/// `cilint server`: the language server, until the client says `exit`.
fn server() -> ExitCode {
    purge_freed_memory_at_once();
    match cilint::server::run(release_freed_memory) {
        Ok(cilint::server::Ended::AfterShutdown) => ExitCode::SUCCESS,
        Ok(cilint::server::Ended::WithoutShutdown) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: cilint server: {e}");
            ExitCode::from(2)
        }
    }
}

/// The pre-commit hook: the repository root is the context, FILES are what is reported. pre-commit
/// runs from the root; run by hand from a subdirectory, the root is reached as `../..`, so paths
/// in the output stay relative to where the user is.
fn hook(hook: &Hook) -> ExitCode {
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot read the working directory: {e}");
            return ExitCode::from(2);
        }
    };
    let root = SrcRoot::find(&cwd).dir;
    let depth = cwd
        .strip_prefix(&root)
        .map_or(0, |below| below.components().count());
    let path = match depth {
        0 => ".".to_string(),
        n => vec![".."; n].join("/"),
    };
    lint(&hook.lint, &[path], Some(hook.files.clone()))
}

fn floor(cli: &Cli) -> ExitCode {
    let s = cilint::floor::run(&cli.paths);
    eprintln!(
        "floor: files {} bytes {} yaml-files {} events {} errors {} walk {:.1} ms parse {:.1} ms",
        s.files,
        s.bytes,
        s.yaml_files,
        s.events,
        s.errors,
        s.walk.as_secs_f64() * 1000.0,
        s.parse.as_secs_f64() * 1000.0
    );
    ExitCode::SUCCESS
}

fn print_rules() -> ExitCode {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<32} {:<12} {:<8} {}\n",
        "RULE", "CATEGORY", "SEVERITY", "SUMMARY"
    ));
    for r in rules::RULES {
        out.push_str(&format!(
            "{:<32} {:<12} {:<8} {}\n",
            r.meta.id,
            r.meta.category.as_str(),
            r.meta.severity.as_str(),
            r.meta.summary
        ));
    }
    exit_code(write_stdout(&out))
}

fn explain(rule: &str) -> ExitCode {
    match rules::doc(rule) {
        Some(page) => exit_code(write_stdout(page)),
        None => {
            let ids = rules::RULES.iter().map(|r| r.meta.id);
            let hint = cilint::model::suggest::closest(rule, ids)
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            eprintln!("error: no rule `{rule}`{hint}; `cilint rules` lists them");
            ExitCode::from(2)
        }
    }
}

/// `cilint render`: what cilint renders from Helm values, one release after another.
/// `--fix` and `--diff` change files after a lint run; a command that only reads must refuse
/// them rather than ignore them.
fn no_fixing(lint: &LintArgs, command: &str) -> Result<(), ExitCode> {
    if lint.fix || lint.diff || lint.unsafe_fixes {
        eprintln!(
            "error: --fix, --diff and --unsafe-fixes belong to a lint run, not to `cilint {command}`"
        );
        return Err(ExitCode::from(2));
    }
    Ok(())
}

fn render(render: &Render) -> ExitCode {
    if let Err(code) = no_fixing(&render.lint, "render") {
        return code;
    }
    let mut options = match options(&render.lint, &render.paths, None) {
        Ok(o) => o,
        Err(code) => return code,
    };
    options.show_rendered = true;
    let report = cilint::lint(&render.paths, &options);
    for e in &report.input_errors {
        eprintln!("error: {}: {}", e.path, e.message);
    }
    let written = write_stdout(&report::rendered::listing(&report));
    if written.is_err() || !report.input_errors.is_empty() {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// `cilint graph`: the paths of every cluster, in the picture's format, to stdout or `-o`.
fn graph(graph: &Graph) -> ExitCode {
    if let Err(code) = no_fixing(&graph.lint, "graph") {
        return code;
    }
    let options = match options(&graph.lint, &graph.paths, None) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let report = cilint::graph(&graph.paths, &options);
    for e in &report.input_errors {
        eprintln!("error: {}: {}", e.path, e.message);
    }
    let graphs = match &graph.focus {
        Some(f) => match cilint::graph::focus(report.graphs, f) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        None => report.graphs,
    };
    let text = match graph.graph_format {
        GraphFormat::Mermaid => cilint::graph::mermaid::render(&graphs),
        GraphFormat::Dot => cilint::graph::dot::render(&graphs),
        GraphFormat::Svg => match cilint::graph::svg::render(&graphs) {
            Ok(svg) => svg,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        GraphFormat::Json => cilint::graph::json::render(&graphs),
    };
    let written = match &graph.lint.output {
        Some(path) => std::fs::write(path, text).map_err(|e| {
            eprintln!("error: cannot write {path}: {e}");
        }),
        None => write_stdout(&text),
    };
    if written.is_err() || !report.input_errors.is_empty() {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// Lints `paths`; with `report_only`, reports only the findings located in those files.
fn lint(cli: &LintArgs, paths: &[String], report_only: Option<Vec<String>>) -> ExitCode {
    let options = match options(cli, paths, report_only) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut report = if cli.fix || cli.diff {
        match fix(cli, paths, &options) {
            Ok(report) => report,
            Err(code) => return code,
        }
    } else {
        cilint::lint(paths, &options)
    };
    for e in &report.input_errors {
        eprintln!("error: {}: {}", e.path, e.message);
    }
    let format = match cli.format {
        Some(f) => f,
        None if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") => FormatArg::Github,
        None => FormatArg::Human,
    };
    let to_terminal = cli.output.is_none() && std::io::stdout().is_terminal();
    let color = match cli.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && to_terminal,
    };
    let format = match format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Github => Format::Github,
        FormatArg::Gitlab => Format::Gitlab,
        FormatArg::Junit => Format::Junit,
    };
    let style = Style {
        color,
        width: terminal_width(),
        quiet: cli.quiet,
        src_root: std::env::current_dir()
            .map(|cwd| SrcRoot::find(&cwd))
            .unwrap_or_default(),
    };
    let start = std::time::Instant::now();
    let text = report::render(&report, format, style);
    let written = match &cli.output {
        Some(path) => std::fs::write(path, text).map_err(|e| {
            eprintln!("error: cannot write {path}: {e}");
        }),
        None => write_stdout(&text),
    };
    report.timings.render = start.elapsed();
    if cli.timings || std::env::var_os("CILINT_TIMINGS").is_some_and(|v| v == "1") {
        eprint!("{}", report.timings);
    }
    if written.is_err() {
        return ExitCode::from(2);
    }
    if !report.input_errors.is_empty() {
        return ExitCode::from(2);
    }
    let fail_level = match cli.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    };
    if fail_level.is_some_and(|level| report.fails_at(level)) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `--diff`: prints the fixes and returns the exit code. `--fix`: writes them, says what it did
/// on standard error and returns the report of what remains.
fn fix(
    cli: &LintArgs,
    paths: &[String],
    options: &cilint::Options,
) -> Result<cilint::Report, ExitCode> {
    use cilint::fix::{self, Mode, Scope};
    let mode = if cli.unsafe_fixes {
        Mode::Unsafe
    } else {
        Mode::Safe
    };
    // The hook fixes only the files it reports.
    let only: Option<Vec<PathBuf>> = options.report_only.as_ref().map(|files| {
        files
            .iter()
            .filter_map(|f| std::fs::canonicalize(f).ok())
            .collect()
    });
    let allowed = |path: &str| {
        only.as_ref()
            .is_none_or(|only| std::fs::canonicalize(path).is_ok_and(|p| only.contains(&p)))
    };
    let lint = || cilint::lint(paths, options);
    if cli.diff {
        let report = lint();
        for e in &report.input_errors {
            eprintln!("error: {}: {}", e.path, e.message);
        }
        let plan = fix::plan(&report, mode, &allowed);
        if write_stdout(&fix::diff(&plan)).is_err() {
            return Err(ExitCode::from(2));
        }
        let n = plan.fixes;
        eprintln!(
            "Would fix {n} finding{}{}",
            if n == 1 { "" } else { "s" },
            match plan.unsafe_left {
                0 => String::new(),
                k => format!(" ({k} more with --unsafe-fixes)"),
            }
        );
        return Err(if !report.input_errors.is_empty() {
            ExitCode::from(2)
        } else if plan.changes.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let (report, outcome) = fix::run(&lint, mode, &Scope::new(paths), &allowed);
    eprint!("{}", fix::summary(&outcome, &report, mode));
    Ok(report)
}

/// The options of a run from the command line and the configuration; the exit code when the
/// configuration cannot be read.
fn options(
    cli: &LintArgs,
    paths: &[String],
    report_only: Option<Vec<String>>,
) -> Result<cilint::Options, ExitCode> {
    let config = match load_config(cli, paths) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{}", render_config_error(&e));
            return Err(ExitCode::from(2));
        }
    };
    let mut config = config;
    let flag = |version| cilint::config::VersionSetting {
        version,
        flag: true,
    };
    if let Some(v) = cli.gateway_api_version {
        config.versions.gateway_api = Some(flag(v));
    }
    if let Some(v) = cli.cilium_version {
        config.versions.cilium = Some(flag(v));
    }
    // The configuration's settings, then the flags over them.
    let mut options = cilint::Options::from_config(config);
    if let Some(namespace) = &cli.namespace {
        options.namespace = namespace.clone();
    }
    if let Some(size) = cli.max_file_size {
        options.max_file_size = size;
    }
    options.strict |= cli.strict;
    options.report_only = report_only;
    options.show_unverified = cli.show_unverified;
    options.fixing = cli.fix || cli.diff;
    if paths.iter().any(|p| p == cilint::discover::STDIN) {
        let mut text = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            eprintln!("error: cannot read standard input: {e}");
            return Err(ExitCode::from(2));
        }
        options.stdin = Some(text);
    }
    Ok(options)
}

/// The configuration: `--config`, else `.cilint.yaml` found from the working directory, else
/// from the one directory linted.
fn load_config(cli: &LintArgs, paths: &[String]) -> Result<Config, ConfigError> {
    let path = match &cli.config {
        Some(p) => Some(PathBuf::from(p)),
        None => config::find_for_run(paths),
    };
    match path {
        Some(p) => config::load(&p, &rules::ids()),
        None => Ok(Config::default()),
    }
}

/// A configuration error with a snippet of the file, as miette renders it.
fn render_config_error(e: &ConfigError) -> String {
    let Some(text) = &e.text else {
        return format!("error: {e}\n");
    };
    let index = cilint::source::LineIndex::new(text);
    let start = index.pos(e.line as usize, e.column.saturating_sub(1) as usize);
    let report = miette::miette!(
        labels = vec![miette::LabeledSpan::at_offset(start.byte as usize, "here")],
        code = "config",
        "{}",
        e.message
    )
    .with_source_code(miette::NamedSource::new(&e.path, text.to_string()));
    let mut out = String::new();
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
    match handler.render_report(&mut out, report.as_ref()) {
        Ok(()) => out,
        Err(_) => format!("error: {e}\n"),
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

/// Writes to stdout; a closed pipe (`cilint … | head`) is not an error worth a panic.
fn write_stdout(s: &str) -> Result<(), ()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            eprintln!("error: cannot write output: {e}");
            Err(())
        }
    }
}

fn exit_code(written: Result<(), ()>) -> ExitCode {
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(()) => ExitCode::from(2),
    }
}

// Loading allocates and frees a small string per YAML scalar on every core; mimalloc's
// thread-local heaps make that cheaper than glibc's malloc (1 thread: 4.9 s → 4.0 s on 100k objects).
// Its `no_thp` feature (Cargo.toml) keeps it from asking for transparent huge pages: zeroing 2 MiB
// pages cost more than it saved (100k objects: 2.01 → 1.86 s, peak 422 → 378 MiB).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (the sys crate has no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc v3 keeps freed pages for a second before it gives them back to the system. A run
/// frees each file's text and parse arena long before it ends, so that second kept the peak a
/// fifth higher than the memory in use (100k objects: 189 → 158 MiB, wall +1.7 %). 10 ms is
/// mimalloc v2's default. `MIMALLOC_PURGE_DELAY` set by the user still wins.
fn return_freed_memory_sooner() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's integer options; any value is valid.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) };
    }
}

/// The server lives on between lints, and holds what each lint leaves behind until the next:
/// pages freed by a lint are given back at once rather than after the purge delay, which only
/// runs when the allocator is next called (10k objects: peak 54.6 → 48.3 MiB, the time from
/// an edit to its diagnostics unchanged). `MIMALLOC_PURGE_DELAY` set by the user still wins.
fn purge_freed_memory_at_once() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's integer options; any value is valid.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
}

/// Called by the server when it falls idle: each thread's heap (rayon's workers too, which free
/// a lint's indexes) gives its empty pages back to the system. About 2 ms on 10k objects, after
/// the diagnostics are sent (10k objects, idle: 45.5 → 37.7 MiB resident).
fn release_freed_memory() {
    // SAFETY: `mi_collect` only frees what the calling thread's heap no longer uses.
    rayon::broadcast(|_| unsafe { libmimalloc_sys::mi_collect(true) });
    // SAFETY: as above, for the server's own thread.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option number is mimalloc's purge delay: the only option whose default is 1000 (ms),
    /// and the one `MIMALLOC_PURGE_DELAY` sets.
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // SAFETY: reads one of mimalloc's integer options.
        let get = || unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        match std::env::var("MIMALLOC_PURGE_DELAY") {
            Ok(v) => assert_eq!(get().to_string(), v),
            Err(_) => {
                assert_eq!(get(), 1000);
                return_freed_memory_sooner();
                assert_eq!(get(), 10);
            }
        }
    }
}
