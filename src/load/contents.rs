//! What loading one file gives: its objects, commands, suppressions and layout documents.

use thin_vec::ThinVec;

use crate::load::substitute::Undefined;
use crate::model::cilium_config::CiliumSetting;
use crate::model::gitops::LayoutDoc;
use crate::model::shared::SharedVec;
use crate::model::versions::Pin;
use crate::model::{Object, Text, text};
use crate::source::commands::Command;
use crate::source::suppress::Suppression;
use crate::source::yaml::YamlError;

/// What one file contributed.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FileContents {
    /// Shared with the copies `cilint server` hands each lint: see [`SharedVec`].
    pub objects: SharedVec<Object>,
    pub commands: ThinVec<Command>,
    pub suppressions: ThinVec<Suppression>,
    pub yaml_error: Option<Box<YamlError>>,
    /// YAML documents read, objects or not.
    pub documents: usize,
    /// YAML documents that are not Kubernetes objects.
    pub skipped_documents: usize,
    /// The file is a template (unquoted `{{ … }}` or `{% … %}`): nothing of it is linted.
    pub template: bool,
    /// What the file says about where manifests are deployed (kustomize, Flux, Argo CD).
    pub layout: ThinVec<LayoutDoc>,
    /// For a file that does not parse, the names written where loading stopped.
    pub unparsed: Option<Box<Unparsed>>,
    /// The file does not parse and never writes `apiVersion`, which kubectl needs in every
    /// object: unless something deploys it, it is no manifest (a tool's JSON output, a workflow).
    pub broken_without_api_version: bool,
    /// The `${VAR}`s no source of the Flux Kustomization deploying the file defines.
    pub undefined: ThinVec<Undefined>,
    /// The Cilium and Gateway API versions the file pins.
    pub pins: ThinVec<Pin>,
    /// The Cilium settings the file writes.
    pub cilium_settings: ThinVec<CiliumSetting>,
    /// The build that deploys the file in its world, when one does (set by layout).
    pub build: Option<Build>,
}

/// One build that deploys files together, as one apply: a Flux Kustomization, an Argo CD
/// Application (or one Application an ApplicationSet generates), or a kustomization nothing
/// includes, built on its own. Two objects of one identity in one build are that build's error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Build {
    /// The file of the entry point (or of the kustomization built on its own).
    pub file: crate::source::FileId,
    /// Which layout document of that file; `u32::MAX` for a kustomization.
    pub doc: u32,
    /// Which path of an Application, or which Application of an ApplicationSet.
    pub part: u32,
    pub tool: BuildTool,
}

/// What builds the files, which decides what one identity written twice does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BuildTool {
    /// A Flux Kustomization: kustomize builds its path (with a generated kustomization where the
    /// path has none), and a failed build is `Ready=False/BuildFailed`.
    Flux,
    /// An Argo CD Application of a kustomization: a failed build is a `ComparisonError`.
    ArgoKustomize,
    /// An Argo CD Application of plain manifests: it keeps the last of one identity, with a
    /// `RepeatedResourceWarning`.
    ArgoDirectory,
    /// A kustomization built on its own (`kubectl apply -k`): the build fails.
    Kustomize,
}

/// The part of a file that does not parse, from the start of the document holding the syntax
/// error: nothing there is loaded, so an object a reference names may be written there. A
/// reference to a name written there is unverifiable, not missing: the syntax error is the one
/// finding.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Unparsed {
    pub path: String,
    /// The line of the syntax error.
    pub line: u32,
    /// The values of `name:` keys, at any depth.
    pub names: Vec<Text>,
}

impl Unparsed {
    /// The names written in `source` from the start of the document that holds `error`.
    pub fn of(path: &str, source: &str, error: &YamlError) -> Unparsed {
        let at = (error.pos.byte as usize).min(source.len());
        let at = (0..=at)
            .rev()
            .find(|&i| source.is_char_boundary(i))
            .unwrap_or(0);
        // The document holding the error starts after the last `---` line before it.
        let start = source[..at]
            .match_indices("\n---")
            .last()
            .map_or(0, |(i, _)| i + 1);
        let mut names: Vec<Text> = source[start..]
            .lines()
            .filter_map(|line| {
                let line = line.trim_start().trim_start_matches("- ");
                let value = line.strip_prefix("name:")?;
                let value = value.split(" #").next().unwrap_or("").trim();
                let value = value.trim_matches(|c| c == '"' || c == '\'');
                (!value.is_empty()).then(|| text(value))
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        Unparsed {
            path: path.to_string(),
            line: error.pos.line,
            names,
        }
    }
}
