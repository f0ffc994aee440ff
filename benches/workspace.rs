//! The editor's loop of `cilint server`: one route file of a generated 10k-object workspace
//! edited, and the workspace linted again (`set_text` + `lint`), the two texts alternating so
//! each iteration changes something; timed with the workspace idle before each edit (as between
//! keystrokes), and back to back.
//!
//! `CILINT_WORKSPACE_MEMORY=1 cargo bench --bench workspace` instead opens the workspace once,
//! makes one edit, and prints the process's peak resident memory beside the tree's YAML bytes,
//! and the edit's time stage by stage.

mod common;

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use cilint::workspace::Workspace;
use cilint_corpus::Shape;
use criterion::Criterion;

/// The first HTTPRoute file a finding points into, and its text with the route renamed.
fn route_file(ws: &Workspace) -> (PathBuf, String, String) {
    let report = ws.report();
    let mut pointed: Vec<_> = report
        .findings
        .iter()
        .flat_map(|f| std::iter::once(f.location).chain(f.related.iter().map(|r| r.location)))
        .map(|l| l.file)
        .collect();
    pointed.sort_unstable();
    pointed.dedup();
    let (path, text) = pointed
        .into_iter()
        .map(|id| ws.absolute(&report.file(id).path))
        .filter_map(|path| Some((path.clone(), ws.text(&path)?)))
        .find(|(_, text)| text.contains("kind: HTTPRoute"))
        .expect("the tree has routes");
    let text = text.to_string();
    let at = text.find("kind: HTTPRoute").unwrap();
    let name = at + text[at..].find("\n  name: ").unwrap() + "\n  name: ".len();
    let end = name + text[name..].find('\n').unwrap();
    let edited = format!(
        "{}{}-edited{}",
        &text[..name],
        &text[name..end],
        &text[end..]
    );
    (path, text, edited)
}

/// A line of this process's status, in bytes (Linux).
fn status(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Peak resident memory of this process.
fn peak_rss() -> Option<u64> {
    status("VmHWM:")
}

/// Resident memory of this process now.
fn rss() -> Option<u64> {
    status("VmRSS:")
}

fn main() {
    let dir = common::corpus(Shape::Gitops, 10_000);
    let roots = vec![dir.to_string_lossy().into_owned()];
    if std::env::var_os("CILINT_WORKSPACE_MEMORY").is_some_and(|v| v == "1") {
        let bytes = cilint::floor::run(&roots).bytes;
        let before = rss().unwrap_or(0);
        let mut ws = Workspace::open(&roots, cilint::Options::default());
        let held = rss().unwrap_or(0);
        let (path, _, edited) = route_file(&ws);
        ws.set_text(&path, edited);
        let findings = ws.lint().findings.len();
        // Where one edit's time goes, stage by stage.
        eprintln!("{}", ws.report().timings);
        let peak = peak_rss().unwrap_or(0);
        println!(
            "yaml {bytes} bytes; resident before opening {before}, after opening {held}, peak \
             {peak} bytes: peak {:.2}x the YAML, held (after opening, less before) {:.2}x \
             ({findings} findings)",
            peak as f64 / bytes as f64,
            held.saturating_sub(before) as f64 / bytes as f64
        );
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut ws = Workspace::open(&roots, cilint::Options::default());
    let (path, original, edited) = route_file(&ws);
    let mut group = c.benchmark_group("workspace-gitops-10000");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(10));
    let mut flip = false;
    let mut edit = move |ws: &mut Workspace| {
        flip = !flip;
        let text = if flip { &edited } else { &original };
        ws.set_text(&path, text.clone());
        black_box(ws.lint().findings.len());
    };
    group.bench_function("set_text+lint", |b| b.iter(|| edit(&mut ws)));
    group.finish();
    c.final_summary();
}
