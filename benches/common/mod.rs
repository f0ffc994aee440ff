//! What the benchmarks share: the generated trees, made once under the target directory.

use std::path::{Path, PathBuf};

use cilint_corpus::{Shape, Spec};

/// The tree of `shape` with `objects` objects (seed 1), generated on first use and reused.
pub fn corpus(shape: Shape, objects: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("bench-corpus")
        .join(format!("{shape}-{objects}-seed1"));
    let done = dir.with_extension("done");
    if !done.exists() {
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("remove a half-written tree");
        }
        let spec = Spec {
            shape,
            objects,
            ..Spec::default()
        };
        cilint_corpus::generate(&spec, &dir).expect("generate the tree");
        std::fs::write(&done, "").expect("mark the tree complete");
    }
    dir
}
