//! Stage 1: input paths to a sorted list of source files.

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::config::Config;

use crate::source::FileKind;

/// A file to load: its display path and kind. `-` stands for standard input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: String,
    pub kind: FileKind,
}

/// A path the user named that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub path: String,
    pub message: String,
}

pub const STDIN: &str = "-";
pub const STDIN_DISPLAY: &str = "<stdin>";

/// Expands paths into files, walking directories in parallel and honouring `.gitignore`,
/// `.cilintignore` and the configuration's `exclude`. Files named directly are kept whatever
/// their extension (read as YAML unless it says otherwise).
pub fn discover(paths: &[String], config: &Config) -> (Vec<Candidate>, Vec<InputError>) {
    let config = Arc::new(config.clone());
    let found = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    for p in paths {
        if p == STDIN {
            found.lock().unwrap().push(Candidate {
                path: STDIN.into(),
                kind: FileKind::Yaml,
            });
            continue;
        }
        let path = Path::new(p);
        match std::fs::metadata(path) {
            Err(e) => errors.lock().unwrap().push(InputError {
                path: p.clone(),
                message: e.to_string(),
            }),
            Ok(m) if m.is_dir() => walk(p, &config, &found, &errors),
            Ok(_) => found.lock().unwrap().push(Candidate {
                path: p.clone(),
                kind: FileKind::from_path(p).unwrap_or(FileKind::Yaml),
            }),
        }
    }
    let mut files = found.into_inner().unwrap();
    files.sort();
    files.dedup();
    let mut errors = errors.into_inner().unwrap();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    (files, errors)
}

fn walk(
    root: &str,
    config: &Arc<Config>,
    found: &Mutex<Vec<Candidate>>,
    errors: &Mutex<Vec<InputError>>,
) {
    let config = Arc::clone(config);
    ignore::WalkBuilder::new(root)
        .require_git(false)
        .add_custom_ignore_filename(".cilintignore")
        .filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !config.is_excluded(e.path(), is_dir)
        })
        .build_parallel()
        .run(|| {
            Box::new(|entry| {
                match entry {
                    Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                        let path = display_path(e.path());
                        if let Some(kind) = FileKind::from_path(&path) {
                            found.lock().unwrap().push(Candidate { path, kind });
                        }
                    }
                    Ok(_) => {}
                    Err(err) => errors.lock().unwrap().push(InputError {
                        path: root.to_string(),
                        message: err.to_string(),
                    }),
                }
                ignore::WalkState::Continue
            })
        });
}

/// The path as shown in reports: as reached from the input path, without a leading `./`.
fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}
