//! The outcome of a run, what every renderer reads: files, findings, summary, timings.

use crate::analysis::references;
use crate::analysis::versions::Versions;
use crate::diagnostic::{Finding, Severity};
use crate::discover::InputError;
use crate::source::{FileId, SourceFile};
use crate::timings::Timings;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub objects: usize,
    pub skipped_documents: usize,
    /// Templates, not linted: Helm chart templates, scaffolding templates, and files whose
    /// unquoted `{{ … }}` or `{% … %}` make them templates.
    pub templates: usize,
    /// Files kustomize, Flux or Argo CD read as data (patches, generator files, Helm values).
    pub data_files: usize,
    pub commands: usize,
    /// References the not-found rules resolve, unverified ones included.
    pub references: usize,
    /// References that may be satisfied by something cilint cannot see.
    pub unverified: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    /// The Gateway API bundle and Cilium release checked against, each distinct set once with
    /// the first cluster that ran it.
    pub versions: Vec<(Option<String>, Versions)>,
}

impl Summary {
    pub fn findings(&self) -> usize {
        self.errors + self.warnings + self.notes
    }
}

/// The outcome of a run: the files read (renderers show snippets of them), the findings in their
/// final order, and the inputs that could not be read.
pub struct Report {
    /// Every file, by FileId. Only the files a finding or a listed reference points into are
    /// sure to have their text (read again at the end of the run if need be).
    pub files: Vec<SourceFile>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub input_errors: Vec<InputError>,
    /// The unverified references, in file order, when `show_unverified` asked for them.
    pub unverified: Option<Vec<references::Reference>>,
    /// What cilint rendered from Helm values, when `show_rendered` asked for it.
    pub rendered: Option<Vec<crate::analysis::rendered::RenderedRelease>>,
    /// Each stage's wall time and counts (`render` is left for the renderer to fill).
    pub timings: Timings,
    /// The rules the configuration enables, in registry order: JUnit reports each as a test.
    pub rules: Vec<&'static str>,
}

impl Report {
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Whether any finding is at or above `level`.
    pub fn fails_at(&self, level: Severity) -> bool {
        self.findings.iter().any(|f| f.severity <= level)
    }
}
