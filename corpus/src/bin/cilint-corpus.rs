//! `cilint-corpus`: write a generated manifest tree and print what was written.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use cilint_corpus::{Shape, Spec, generate};
use clap::Parser;

/// Generate a deterministic Kubernetes manifest tree for benchmarking cilint.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// Kubernetes objects to write (exact for gitops and home-ops; gitops filler beyond the
    /// adversarial part for the other shapes).
    #[arg(long, default_value_t = 10_000)]
    objects: usize,
    /// Seed of the generator: the same seed writes the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// gitops, one-gateway-10k-routes, ns-20k-services, big-file, tiny-files or home-ops.
    #[arg(long, default_value_t = Shape::Gitops)]
    shape: Shape,
    /// Size of the file of the big-file shape.
    #[arg(long, default_value_t = 50_000_000)]
    bytes: u64,
    /// Output directory (must not exist, or be empty).
    #[arg(long)]
    out: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let spec = Spec {
        shape: cli.shape,
        objects: cli.objects,
        seed: cli.seed,
        bytes: cli.bytes,
    };
    match generate(&spec, &cli.out) {
        Ok(stats) => {
            // A closed pipe (`| head`) is not an error of the generator.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "{} (seed {}) -> {}",
                spec.shape,
                spec.seed,
                cli.out.display()
            );
            let _ = write!(out, "{stats}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cilint-corpus: {}: {e}", cli.out.display());
            ExitCode::from(2)
        }
    }
}
