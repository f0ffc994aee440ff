//! The floor: the work no linter of this tree can avoid. Walk it as `discover` does, read every
//! file and run saphyr's event parser over every YAML file on all cores, keeping nothing. The
//! benchmarks compare a full run with this one.

use std::time::{Duration, Instant};

use rayon::prelude::*;
use saphyr_parser::Parser;

use crate::config::Config;
use crate::discover;
use crate::source::FileKind;

/// What the floor read and parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FloorStats {
    pub files: usize,
    pub bytes: usize,
    pub yaml_files: usize,
    /// Parser events (scalars, collection starts and ends, documents).
    pub events: usize,
    /// YAML files the parser stopped on with an error.
    pub errors: usize,
    pub walk: Duration,
    pub parse: Duration,
}

/// Walks, reads and parses `paths` (files or directories) and counts what it saw.
pub fn run(paths: &[String]) -> FloorStats {
    let start = Instant::now();
    let (candidates, _) = discover::discover(paths, &Config::default());
    let walk = start.elapsed();
    let per_file: Vec<(usize, bool, usize, bool)> = candidates
        .par_iter()
        .map(|c| {
            let Ok(bytes) = std::fs::read(&*c.path) else {
                return (0, false, 0, false);
            };
            let len = bytes.len();
            let yaml = matches!(c.kind, FileKind::Yaml | FileKind::Json) && !c.template;
            if !yaml {
                return (len, false, 0, false);
            }
            let text = String::from_utf8_lossy(&bytes);
            let mut events = 0;
            for item in Parser::new_from_str(&text) {
                if item.is_err() {
                    return (len, true, events, true);
                }
                events += 1;
            }
            (len, true, events, false)
        })
        .collect();
    FloorStats {
        files: per_file.len(),
        bytes: per_file.iter().map(|f| f.0).sum(),
        yaml_files: per_file.iter().filter(|f| f.1).count(),
        events: per_file.iter().map(|f| f.2).sum(),
        errors: per_file.iter().filter(|f| f.3).count(),
        walk,
        parse: start.elapsed() - walk,
    }
}
