//! The floor (walk + read + YAML event parse, nothing kept) against cilint end to end (every
//! rule, human and SARIF rendered) on generated trees, side by side.
//!
//! `cargo bench` runs the 1k and 10k GitOps trees, the 10k home-ops tree and the adversarial
//! shapes;
//! `CILINT_BENCH_100K=1 cargo bench` adds the 100k-object tree. Trees are generated once, from
//! seed 1, under the target directory.

mod common;

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use cilint::report::{self, Format, Style};
use cilint_corpus::Shape;
use criterion::{Criterion, Throughput};

/// What `cilint PATH` and `cilint --format sarif PATH` both do, in one process.
fn cilint_end_to_end(paths: &[String]) -> usize {
    let report = cilint::lint(paths, &cilint::Options::default());
    let human = report::render(&report, Format::Human, Style::default());
    let sarif = report::render(&report, Format::Sarif, Style::default());
    human.len() + sarif.len()
}

fn bench_tree(c: &mut Criterion, name: &str, dir: &Path) {
    let paths = vec![dir.to_string_lossy().into_owned()];
    let bytes = cilint::floor::run(&paths).bytes;
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("floor", |b| {
        b.iter(|| black_box(cilint::floor::run(black_box(&paths))))
    });
    group.bench_function("cilint", |b| {
        b.iter(|| black_box(cilint_end_to_end(black_box(&paths))))
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    // home-ops: the same 10k objects, most of them app-template values cilint renders.
    let mut trees = vec![
        (Shape::Gitops, 1_000),
        (Shape::Gitops, 10_000),
        (Shape::HomeOps, 10_000),
    ];
    if std::env::var_os("CILINT_BENCH_100K").is_some_and(|v| v == "1") {
        trees.push((Shape::Gitops, 100_000));
    }
    // The adversarial shapes on their own (objects: 1 asks for no GitOps filler).
    trees.extend(
        [
            Shape::OneGateway10kRoutes,
            Shape::Ns20kServices,
            Shape::BigFile,
            Shape::TinyFiles,
        ]
        .map(|s| (s, 1)),
    );
    for (shape, objects) in trees {
        let name = match shape {
            Shape::Gitops | Shape::HomeOps => format!("{shape}-{objects}"),
            _ => shape.to_string(),
        };
        bench_tree(&mut c, &name, &common::corpus(shape, objects));
    }
    c.final_summary();
}
