//! A workspace an editor has open: the files on disk, with the editor's unsaved texts in their
//! place, linted as one tree.
//!
//! This is the simple implementation: every `lint` after a change runs the whole pipeline again,
//! with the editor's texts as an overlay ([`crate::Options::overlay`]). The API is the one the
//! incremental engine keeps, so `cilint server` does not change when it lands.

mod resolve;

pub use resolve::{Resolution, Target};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Options, Report};

pub struct Workspace {
    roots: Vec<String>,
    options: Options,
    /// The editor's texts, by absolute path.
    overlay: HashMap<PathBuf, Arc<str>>,
    report: Report,
    /// The texts or the disk changed since `report` was made.
    stale: bool,
    /// The graphs of the last lint, made when a hover first asks for them.
    graphs: std::sync::OnceLock<Vec<crate::graph::Graph>>,
}

impl Workspace {
    /// The workspace of `roots` (absolute directories), linted from disk.
    pub fn open(roots: &[String], options: Options) -> Workspace {
        let roots: Vec<String> = roots
            .iter()
            .map(|r| match r.trim_end_matches('/') {
                "" => "/".to_string(),
                r => r.to_string(),
            })
            .collect();
        // Fixes are resolved against the very texts linted, which they keep.
        let options = Options {
            fixing: true,
            ..options
        };
        let report = crate::lint(&roots, &options);
        Workspace {
            roots,
            options,
            overlay: HashMap::new(),
            report,
            stale: false,
            graphs: std::sync::OnceLock::new(),
        }
    }

    /// The editor's text of `path` (absolute), which takes the place of the disk's.
    pub fn set_text(&mut self, path: &Path, text: String) {
        self.overlay.insert(path.to_path_buf(), Arc::from(text));
        self.stale = true;
    }

    /// `path` is read from disk again (closed in the editor, changed or deleted outside it).
    pub fn reload(&mut self, path: &Path) {
        self.overlay.remove(path);
        self.stale = true;
    }

    /// The whole report of the current texts, linted again if anything changed.
    pub fn lint(&mut self) -> &Report {
        if self.stale {
            let overlay: crate::Overlay = self
                .overlay
                .iter()
                .filter_map(|(p, t)| Some((self.report_path(p)?, t.clone())))
                .collect();
            let options = Options {
                overlay: Some(Arc::new(overlay)),
                ..self.options.clone()
            };
            self.report = crate::lint(&self.roots, &options);
            self.graphs = std::sync::OnceLock::new();
            self.stale = false;
        }
        &self.report
    }

    /// The report of the last `lint`, read alongside the other methods (`lint` borrows the
    /// workspace mutably).
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The current text of `path` (absolute): the editor's, else the one last linted.
    pub fn text(&self, path: &Path) -> Option<&str> {
        if let Some(t) = self.overlay.get(path) {
            return Some(t);
        }
        let name = self.report_path(path)?;
        self.report
            .files
            .iter()
            .find(|f| f.path == name && !f.text.is_empty())
            .map(|f| &*f.text)
    }

    /// The report's name of `path` (absolute), when it lies under one of the roots.
    pub fn report_path(&self, path: &Path) -> Option<String> {
        let s = path.to_str()?;
        self.roots
            .iter()
            .any(|r| Path::new(s).starts_with(r))
            .then(|| s.to_string())
    }

    /// The absolute path of a report's file name.
    pub fn absolute(&self, report_file: &str) -> PathBuf {
        PathBuf::from(report_file)
    }

    /// What the reference at `line`:`col` (1-based, characters) of `path` resolves to.
    pub fn resolve_at(&self, path: &Path, line: u32, col: u32) -> Option<Resolution> {
        let file = self.report_path(path)?;
        let text = self.text(path)?;
        let graphs = self.graphs.get_or_init(|| {
            let options = Options {
                overlay: Some(Arc::new(
                    self.overlay
                        .iter()
                        .filter_map(|(p, t)| Some((self.report_path(p)?, t.clone())))
                        .collect(),
                )),
                ..self.options.clone()
            };
            crate::graph(&self.roots, &options).graphs
        });
        resolve::resolve(
            &resolve::At {
                file: &file,
                text,
                line,
                col,
            },
            graphs,
            &|f: &str| self.text(&self.absolute(f)).map(str::to_string),
        )
    }
}
