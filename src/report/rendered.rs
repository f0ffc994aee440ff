//! `cilint render`: what cilint rendered from Helm values, as text. Each release, then each of
//! its objects, errors and notes indented under it at the values it comes from.

use super::Report;
use crate::source::Location;

pub fn listing(report: &Report) -> String {
    let at = |l: Location| {
        format!(
            "{}:{}:{}",
            report.file(l.file).path,
            l.span.start.line,
            l.span.start.col
        )
    };
    let mut out = String::new();
    let releases = report.rendered.as_deref().unwrap_or_default();
    for r in releases {
        let cluster = r
            .cluster
            .as_ref()
            .map_or(String::new(), |c| format!("[{c}] "));
        out.push_str(&format!("{}: {cluster}{}\n", at(r.location), r.release));
        for (location, line) in &r.lines {
            out.push_str(&format!("  {}: {line}\n", at(*location)));
        }
    }
    let objects: usize = releases
        .iter()
        .flat_map(|r| &r.lines)
        .filter(|(_, l)| !l.starts_with("fails to render") && !l.starts_with("unverified"))
        .count();
    out.push_str(&format!(
        "{} rendered from the values of {} app-template release{}\n",
        plural(objects, "object"),
        releases.len(),
        if releases.len() == 1 { "" } else { "s" }
    ));
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
