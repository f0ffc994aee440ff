//! The same tree linted with one rayon thread and with several, run after run, gives
//! byte-identical output in every format.

use std::process::Command;

/// A non-trivial tree: the GitOps repositories, several clusters, and homelab-mix's one defect
/// of every rule. (All of `fixtures/` is one conflated world whose output passes 290 MB: it
/// made this test the slowest of the suite without checking more rules.)
const TREE: &str = "fixtures/repos";
const THREADS: [&str; 3] = ["1", "2", "8"];
const RUNS: usize = 3;

fn lint(format: &str, threads: &str) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_cilint"))
        .args(["--format", format, "--color", "never", TREE])
        .env("RAYON_NUM_THREADS", threads)
        .env("COLUMNS", "100")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("cilint runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    for format in ["human", "json", "sarif", "github", "gitlab", "junit"] {
        let first = lint(format, "1");
        assert!(first.len() > 1000, "{format}: too little output to compare");
        for threads in THREADS {
            for run in 0..RUNS {
                let again = lint(format, threads);
                assert!(
                    again == first,
                    "{format} output differs with RAYON_NUM_THREADS={threads} (run {run})"
                );
            }
        }
    }
}
