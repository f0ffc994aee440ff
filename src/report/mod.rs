//! The report stage: a run's findings rendered in the format asked for.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
mod outcome;
mod redact;
pub mod rendered;
pub mod sarif;

pub use outcome::{Report, Summary};

use std::path::{Component, Path, PathBuf};

use crate::analysis::versions::{Source, Versions};
use crate::diagnostic::{Finding, NOT_DEPLOYED};
use crate::discover::STDIN_DISPLAY;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Gitlab,
    Junit,
}

/// Options that change how a report looks, never what it says.
#[derive(Clone, Debug)]
pub struct Style {
    pub color: bool,
    /// Terminal width for wrapping human output.
    pub width: usize,
    /// Where the repository is: SARIF, GitHub annotations, GitLab and JUnit want paths relative
    /// to its root.
    pub src_root: SrcRoot,
    /// Human output without the summary line: the findings only.
    pub quiet: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            color: false,
            width: 100,
            src_root: SrcRoot::default(),
            quiet: false,
        }
    }
}

pub fn render(report: &Report, format: Format, style: Style) -> String {
    match format {
        Format::Human => human::render(report, style),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report, &style.src_root),
        Format::Github => github::render(report, &style.src_root),
        Format::Gitlab => gitlab::render(report, &style.src_root),
        Format::Junit => junit::render(report, &style.src_root),
    }
}

/// A finding's message, then its help and the controller's condition on lines of their own: for
/// formats that have one text per finding.
fn full_message(f: &Finding) -> String {
    let mut text = message(f);
    if let Some(help) = &f.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    if let Some(condition) = &f.condition {
        text.push_str("\ncontroller: ");
        text.push_str(condition);
    }
    if !f.deployed {
        text.push('\n');
        text.push_str(NOT_DEPLOYED);
    }
    text
}

/// Where a version used comes from, for the summary: `default`, `configuration`, `flag`, or
/// `path:line` of the pin.
pub fn version_source(report: &Report, source: Source) -> String {
    match source {
        Source::Default => "default".into(),
        Source::Configuration => "configuration".into(),
        Source::Flag => "flag".into(),
        Source::Tree(l) => format!("{}:{}", report.file(l.file).path, l.span.start.line),
    }
}

/// The Gateway API channel of the summary: the one the configuration limits checks to, else
/// the one the tree installs.
pub fn version_channel(v: &Versions) -> Option<&'static str> {
    v.channel.or(v.pinned_channel).map(|c| c.name())
}

/// The finding's message, prefixed with its cluster when the repository holds several.
pub fn message(f: &Finding) -> String {
    match &f.cluster {
        Some(c) => format!("[{c}] {}", f.message),
        None => f.message.clone(),
    }
}

/// The repository root (SARIF's `%SRCROOT%`) and where the current directory is in it: display
/// paths are relative to the current directory, code scanning wants them relative to the root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SrcRoot {
    /// The directory holding `.git`, absolute; empty when unknown (then the current directory
    /// is taken as the root and absolute paths stay absolute).
    pub dir: PathBuf,
    /// The current directory relative to `dir`, `/`-separated; "" when they are the same.
    pub prefix: String,
}

impl SrcRoot {
    /// Walks up from the absolute `cwd` to the nearest directory holding `.git` (a directory, or
    /// the file of a worktree or submodule); outside a repository `cwd` itself is the root.
    pub fn find(cwd: &Path) -> SrcRoot {
        let dir = cwd
            .ancestors()
            .find(|d| d.join(".git").exists())
            .unwrap_or(cwd);
        SrcRoot {
            dir: dir.to_path_buf(),
            prefix: repo_uri_prefix(cwd, dir),
        }
    }

    /// A display path relative to the repository root, `/`-separated; `None` for standard input
    /// and for files outside the root (or, with no known root, above the current directory).
    pub fn relative(&self, display_path: &str) -> Option<String> {
        if display_path == STDIN_DISPLAY {
            return None;
        }
        let full = self.full(display_path);
        let rel = if full.is_absolute() {
            if !self.dir.is_absolute() {
                return None;
            }
            full.strip_prefix(&self.dir).ok()?
        } else if full.starts_with("..") {
            return None;
        } else {
            &full
        };
        Some(slashed(rel))
    }

    /// A display path as a URI: repository-relative, to be resolved against `%SRCROOT%` (the
    /// flag is true), else an absolute `file:` URI or, for standard input and with no known
    /// root, the path as given.
    pub fn uri(&self, display_path: &str) -> (String, bool) {
        if let Some(rel) = self.relative(display_path) {
            return (encode(&rel), true);
        }
        let full = self.full(display_path);
        let uri = if display_path == STDIN_DISPLAY {
            encode(display_path)
        } else if full.is_absolute() {
            format!("file://{}", encode(&slashed(&full)))
        } else {
            encode(&slashed(&full))
        };
        (uri, false)
    }

    /// The root as a `file:` URI ending in `/`, when it is known.
    pub fn dir_uri(&self) -> Option<String> {
        let dir = slashed(&self.dir);
        let dir = encode(dir.trim_end_matches('/'));
        self.dir.is_absolute().then(|| format!("file://{dir}/"))
    }

    /// The display path from the root, `.` and `..` resolved; relative when the root is unknown.
    fn full(&self, display_path: &str) -> PathBuf {
        let path = Path::new(display_path);
        if path.is_absolute() {
            normalize(path)
        } else {
            normalize(&self.dir.join(&self.prefix).join(path))
        }
    }
}

/// The path from `root` down to `cwd`, `/`-separated; "" when `cwd` is `root` or not under it.
fn repo_uri_prefix(cwd: &Path, root: &Path) -> String {
    cwd.strip_prefix(root).map(slashed).unwrap_or_default()
}

/// Removes `.` and resolves `..` lexically (symlinks are not followed: display paths are what
/// the user typed).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match (c, out.components().next_back()) {
            (Component::CurDir, _) => {}
            (Component::ParentDir, Some(Component::Normal(_))) => {
                out.pop();
            }
            // Above the root is the root.
            (Component::ParentDir, Some(Component::RootDir | Component::Prefix(_))) => {}
            (c, _) => out.push(c),
        }
    }
    out
}

/// A path with `/` between its parts whatever the platform's separator; absolute paths start
/// with `/` (`/C:/x` on Windows), as a `file:` URI wants.
fn slashed(path: &Path) -> String {
    let mut parts = Vec::new();
    let mut absolute = false;
    for c in path.components() {
        if matches!(c, Component::RootDir | Component::Prefix(_)) {
            absolute = true;
        }
        if !matches!(c, Component::RootDir) {
            parts.push(c.as_os_str().to_string_lossy().into_owned());
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Percent-encodes what may not stand in a URI path (RFC 3986 `pchar` and `/`; `:` too, which
/// would make a relative path's first segment look like a scheme).
fn encode(path: &str) -> String {
    percent_encode(path, b"-._~!$&'()*+,;=@/")
}

/// Percent-encodes every byte of `path` but ASCII letters, digits and the bytes of `safe`.
pub fn percent_encode(path: &str, safe: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || safe.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(dir: &str, prefix: &str) -> SrcRoot {
        SrcRoot {
            dir: dir.into(),
            prefix: prefix.into(),
        }
    }

    #[test]
    fn uris_are_relative_to_the_repository_root() {
        let r = root("/repo", "deploy/prod");
        assert_eq!(r.uri("gw.yaml"), ("deploy/prod/gw.yaml".into(), true));
        assert_eq!(r.uri("./a/gw.yaml"), ("deploy/prod/a/gw.yaml".into(), true));
        assert_eq!(r.uri("../dev/gw.yaml"), ("deploy/dev/gw.yaml".into(), true));
        assert_eq!(r.uri("/repo/x/y z.yaml"), ("x/y%20z.yaml".into(), true));
        assert_eq!(
            r.uri("/elsewhere/gw.yaml"),
            ("file:///elsewhere/gw.yaml".into(), false)
        );
        assert_eq!(
            r.uri("../../../out.yaml"),
            ("file:///out.yaml".into(), false)
        );

        let unknown = SrcRoot::default();
        assert_eq!(unknown.uri("./a/b.yaml"), ("a/b.yaml".into(), true));
        assert_eq!(
            unknown.uri("/abs/b.yaml"),
            ("file:///abs/b.yaml".into(), false)
        );
        assert_eq!(unknown.uri("../b.yaml"), ("../b.yaml".into(), false));
        assert_eq!(unknown.dir_uri(), None);
        // Standard input is no file of the repository.
        assert_eq!(r.relative("<stdin>"), None);
        assert_eq!(r.uri("<stdin>"), ("%3Cstdin%3E".into(), false));
    }

    #[test]
    fn the_root_is_the_directory_holding_git() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("a/b")).unwrap();
        assert_eq!(
            SrcRoot::find(&repo.join("a/b")),
            root(repo.to_str().unwrap(), "a/b")
        );
        assert_eq!(SrcRoot::find(&repo), root(repo.to_str().unwrap(), ""));
        let outside = tmp.path().join("plain");
        std::fs::create_dir_all(&outside).unwrap();
        // tmp may itself sit in a repository; only assert the prefix stays consistent.
        let found = SrcRoot::find(&outside);
        assert_eq!(
            outside.strip_prefix(&found.dir).map(slashed).unwrap(),
            found.prefix
        );
    }
}
