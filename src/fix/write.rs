//! Writing a plan: only inside the paths linted, never through a symlink, never over bytes that
//! changed since they were read; each file replaced at once (a temporary file renamed over it).

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{FileChange, Plan};

/// The paths a run may write: the input paths, absolute and with symlinks resolved.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub roots: Vec<PathBuf>,
}

impl Scope {
    pub fn new(paths: &[String]) -> Scope {
        Scope {
            roots: super::roots(paths),
        }
    }

    fn contains(&self, real: &Path) -> bool {
        self.roots.iter().any(|r| real.starts_with(r))
    }
}

/// What writing a plan did.
#[derive(Debug, Default)]
pub struct Written {
    /// The paths written, as the plan names them.
    pub written: HashSet<String>,
    /// The files left alone, with why.
    pub skipped: Vec<String>,
}

pub fn write(plan: &Plan, scope: &Scope) -> Written {
    let mut out = Written::default();
    for change in &plan.changes {
        match write_one(change, scope) {
            Ok(()) => {
                out.written.insert(change.path.clone());
            }
            Err(why) => out
                .skipped
                .push(format!("{} not fixed: {why}", change.path)),
        }
    }
    out
}

fn write_one(change: &FileChange, scope: &Scope) -> Result<(), String> {
    let path = Path::new(&*change.path);
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let real_parent = fs::canonicalize(parent).map_err(|e| format!("cannot resolve it: {e}"))?;
    let name = path.file_name().ok_or("not a file name")?;
    let real = real_parent.join(name);
    if !scope.contains(&real) {
        return Err("it is outside the paths linted".into());
    }
    match &change.old {
        Some(old) => {
            let meta = fs::symlink_metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
            if meta.file_type().is_symlink() {
                return Err("it is a symlink".into());
            }
            let now = fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
            if now != old.as_bytes() {
                return Err("it changed since it was read".into());
            }
            replace(&real, change.new.as_bytes(), meta.permissions())
                .map_err(|e| format!("cannot write it: {e}"))
        }
        None => {
            // create_new refuses a file, or a symlink, that appeared meanwhile.
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&real)
                .map_err(|e| format!("cannot create it: {e}"))?;
            file.write_all(change.new.as_bytes())
                .and_then(|_| file.sync_all())
                .map_err(|e| format!("cannot write it: {e}"))
        }
    }
}

/// Writes `bytes` to a temporary file beside `real`, with its permissions, and renames it over.
fn replace(real: &Path, bytes: &[u8], permissions: fs::Permissions) -> std::io::Result<()> {
    let dir = real.parent().unwrap_or(Path::new("."));
    let name = real.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{name}.cilint-fix-{}", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::set_permissions(&temp, permissions)?;
        fs::rename(&temp, real)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}
