//! Wall time and counts of each pipeline stage, for `--timings` and the benchmarks. Never part
//! of a report's output.

use std::fmt;
use std::time::{Duration, Instant};

/// What each stage of one run took and handled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timings {
    pub discover: Duration,
    /// Reading and parsing every file (parallel).
    pub load: Duration,
    pub layout: Duration,
    /// Building the Catalogs.
    pub index: Duration,
    /// Running the rules (parallel), references included.
    pub check: Duration,
    pub suppress: Duration,
    /// Merging worlds, filtering `--report-only` and sorting.
    pub sort: Duration,
    /// Filled by whoever renders (the command line).
    pub render: Duration,
    pub files: usize,
    pub bytes: usize,
    pub documents: usize,
    pub objects: usize,
    pub commands: usize,
    pub worlds: usize,
    /// Objects in all Catalogs, generated ones included.
    pub catalog_objects: usize,
    /// Rule runs, summed over worlds.
    pub rules_run: usize,
    pub findings: usize,
}

impl Timings {
    pub fn total(&self) -> Duration {
        self.discover
            + self.load
            + self.layout
            + self.index
            + self.check
            + self.suppress
            + self.sort
            + self.render
    }
}

/// Adds the time since `start` to `slot` and restarts the clock.
pub(crate) fn lap(start: &mut Instant, slot: &mut Duration) {
    let now = Instant::now();
    *slot += now - *start;
    *start = now;
}

impl fmt::Display for Timings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        writeln!(f, "timings (wall, ms):")?;
        let stages = [
            ("discover", self.discover),
            ("read+parse", self.load),
            ("layout", self.layout),
            ("index", self.index),
            ("check", self.check),
            ("suppress", self.suppress),
            ("sort", self.sort),
            ("render", self.render),
            ("total", self.total()),
        ];
        for (name, d) in stages {
            writeln!(f, "  {name:<11}{:>10.1}", ms(d))?;
        }
        writeln!(
            f,
            "counts: files {} bytes {} documents {} objects {} commands {} worlds {} \
             catalog-objects {} rules-run {} findings {}",
            self.files,
            self.bytes,
            self.documents,
            self.objects,
            self.commands,
            self.worlds,
            self.catalog_objects,
            self.rules_run,
            self.findings
        )
    }
}
