//! The discover stage: input paths to a sorted list of source files.

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::config::Config;

use crate::source::FileKind;

/// A file to load: its display path and kind. `-` stands for standard input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: std::sync::Arc<str>,
    pub kind: FileKind,
    /// A template, not a manifest until rendered: under a Helm chart's `templates/`, in a
    /// scaffolding template (see [`SCAFFOLD_MARKERS`]), or with template syntax in its path. It is
    /// counted and not parsed.
    pub template: bool,
}

/// The files that make a directory a scaffolding template: everything under it is rendered by
/// the tool, never applied as it is.
/// - cookiecutter: `cookiecutter.json` beside the `{{cookiecutter.project_slug}}/` directory it
///   renders (<https://cookiecutter.readthedocs.io/en/stable/tutorials/tutorial2.html>);
/// - copier: `copier.yml` or `copier.yaml` at the template's root
///   (<https://copier.readthedocs.io/en/stable/creating/>);
/// - gruntwork boilerplate: `boilerplate.yml` in each template folder
///   (<https://github.com/gruntwork-io/boilerplate#boilerplate-configuration-file>).
///
/// makejinja's `makejinja.toml` is not one: it sits at the root of the repository it renders
/// into, beside the rendered manifests, and its sources carry the `.j2` suffix, which is never
/// read (<https://github.com/mirkolenz/makejinja>).
pub const SCAFFOLD_MARKERS: &[&str] = &[
    "cookiecutter.json",
    "copier.yml",
    "copier.yaml",
    "boilerplate.yml",
];

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
    // Directories holding a scaffolding tool's marker file, seen while walking.
    let scaffolds = Mutex::new(Vec::new());
    for p in paths {
        if p == STDIN {
            found.lock().unwrap().push(Candidate {
                path: STDIN.into(),
                kind: FileKind::Yaml,
                template: false,
            });
            continue;
        }
        let path = Path::new(p);
        match std::fs::metadata(path) {
            Err(e) => errors.lock().unwrap().push(InputError {
                path: p.clone(),
                message: unusable(path, e),
            }),
            Ok(m) if m.is_dir() => walk(p, &config, &found, &errors, &scaffolds),
            // Reading a FIFO would block until something writes to it.
            Ok(m) if !m.is_file() => errors.lock().unwrap().push(InputError {
                path: p.clone(),
                message: not_regular(&m.file_type()),
            }),
            Ok(_) => found.lock().unwrap().push(Candidate {
                path: p.as_str().into(),
                kind: FileKind::from_path(p).unwrap_or(FileKind::Yaml),
                template: false,
            }),
        }
    }
    let mut files = found.into_inner().unwrap();
    files.sort();
    files.dedup();
    mark_chart_templates(&mut files);
    mark_scaffold_templates(&mut files, &scaffolds.into_inner().unwrap());
    let mut errors = errors.into_inner().unwrap();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    (files, errors)
}

fn walk(
    root: &str,
    config: &Arc<Config>,
    found: &Mutex<Vec<Candidate>>,
    errors: &Mutex<Vec<InputError>>,
    scaffolds: &Mutex<Vec<std::path::PathBuf>>,
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
                        if SCAFFOLD_MARKERS.iter().any(|m| e.file_name() == *m) {
                            // As the files under it are shown: `./` is the empty path.
                            let dir = e.path().parent().map(display_path).unwrap_or_default();
                            let dir = if dir == "." { String::new() } else { dir };
                            scaffolds.lock().unwrap().push(dir.into());
                        }
                        let path = display_path(e.path());
                        if let Some(kind) = FileKind::from_path(&path) {
                            found.lock().unwrap().push(Candidate {
                                path: path.into(),
                                kind,
                                template: false,
                            });
                        }
                    }
                    // Symlinks are not followed (broken or looping ones included), and FIFOs,
                    // sockets and devices are not source files.
                    Ok(_) => {}
                    Err(err) => errors.lock().unwrap().push(walk_error(root, &err)),
                }
                ignore::WalkState::Continue
            })
        });
}

/// Why a named path cannot be used, saying so when it is a symlink to nothing.
fn unusable(path: &Path, e: std::io::Error) -> String {
    let dangling = e.kind() == std::io::ErrorKind::NotFound
        && path.symlink_metadata().is_ok_and(|m| m.is_symlink());
    if dangling {
        "broken symbolic link (its target does not exist)".into()
    } else {
        e.to_string()
    }
}

/// The message for a path that exists but is neither a file nor a directory.
pub fn not_regular(file_type: &std::fs::FileType) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let what = if file_type.is_fifo() {
            "a FIFO"
        } else if file_type.is_socket() {
            "a socket"
        } else if file_type.is_block_device() || file_type.is_char_device() {
            "a device"
        } else {
            "an unknown kind of file"
        };
        format!("not a regular file ({what}); cilint does not read it")
    }
    #[cfg(not(unix))]
    {
        let _ = file_type;
        "not a regular file; cilint does not read it".into()
    }
}

/// A walk error at the path it happened (an unreadable directory inside the tree), not at the
/// root the walk started from.
fn walk_error(root: &str, err: &ignore::Error) -> InputError {
    match err {
        ignore::Error::WithPath { path, err } => InputError {
            path: display_path(path),
            message: err.to_string(),
        },
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error(root, err)
        }
        _ => InputError {
            path: root.to_string(),
            message: err.to_string(),
        },
    }
}

/// The path as shown in reports: as reached from the input path, without a leading `./`.
fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Marks the files under a chart's `templates/` directory (one with a `Chart.yaml` beside it).
fn mark_chart_templates(files: &mut [Candidate]) {
    let mut charts: std::collections::HashMap<std::path::PathBuf, bool> =
        std::collections::HashMap::new();
    for c in files.iter_mut() {
        if c.kind != FileKind::Yaml && c.kind != FileKind::Json {
            continue;
        }
        let path = Path::new(&*c.path);
        c.template = path
            .ancestors()
            .skip(1)
            .filter(|a| a.file_name().is_some_and(|n| n == "templates"))
            .any(|templates| {
                let chart = templates.parent().unwrap_or(Path::new("")).to_path_buf();
                *charts
                    .entry(chart.clone())
                    .or_insert_with(|| chart.join("Chart.yaml").is_file())
            });
    }
}

/// Marks the files of scaffolding templates: under a directory that holds a marker file, or with
/// template syntax in a directory or file name (`{{cookiecutter.project_slug}}/`,
/// `{% if ingress %}ingress.yaml{% endif %}`). Every kind of file is marked: a template's scripts
/// and documents name objects that exist only once it is rendered.
fn mark_scaffold_templates(files: &mut [Candidate], scaffolds: &[std::path::PathBuf]) {
    for c in files.iter_mut() {
        if c.template || &*c.path == STDIN {
            continue;
        }
        // Tens of thousands of paths: one byte scan each, and ancestors only when a marker exists.
        c.template = crate::source::has_template_syntax(&c.path)
            || (!scaffolds.is_empty()
                && Path::new(&*c.path)
                    .ancestors()
                    .skip(1)
                    .any(|dir| scaffolds.iter().any(|s| s == dir)));
    }
}
