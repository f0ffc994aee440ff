//! The floor as the performance issue words it: walk the tree as cilint does, read every file
//! and load every YAML file into saphyr's `MarkedYaml` trees (a span on every node) on all cores,
//! keeping nothing. `cilint --floor` is the stricter floor (parser events, no tree); BENCHMARKS.md
//! reports cilint against both.
//!
//! cargo build --release --example floor_marked && target/release/examples/floor_marked PATH…

use std::time::Instant;

use cilint::config::Config;
use cilint::discover;
use cilint::source::FileKind;
use rayon::prelude::*;
use saphyr::{LoadableYamlNode, MarkedYaml};

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let start = Instant::now();
    let (candidates, _) = discover::discover(&paths, &Config::default());
    let walk = start.elapsed();
    // (bytes, documents, failed)
    let per_file: Vec<(usize, usize, bool)> = candidates
        .par_iter()
        .map(|c| {
            let Ok(bytes) = std::fs::read(&*c.path) else {
                return (0, 0, false);
            };
            let yaml = matches!(c.kind, FileKind::Yaml | FileKind::Json) && !c.template;
            if !yaml {
                return (bytes.len(), 0, false);
            }
            let text = String::from_utf8_lossy(&bytes);
            match MarkedYaml::load_from_str(&text) {
                Ok(documents) => (bytes.len(), documents.len(), false),
                Err(_) => (bytes.len(), 0, true),
            }
        })
        .collect();
    eprintln!(
        "floor (MarkedYaml): files {} bytes {} documents {} errors {} walk {:.1} ms load {:.1} ms",
        per_file.len(),
        per_file.iter().map(|f| f.0).sum::<usize>(),
        per_file.iter().map(|f| f.1).sum::<usize>(),
        per_file.iter().filter(|f| f.2).count(),
        walk.as_secs_f64() * 1e3,
        (start.elapsed() - walk).as_secs_f64() * 1e3,
    );
}
