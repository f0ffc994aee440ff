//! Findings, their severities, and what a rule is (`RuleMeta`): what a rule reports, as data.

use serde::Serialize;

use crate::model::Object;
use crate::source::Location;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// The identity of the object a finding is about, as the JSON output shows it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    pub fn of(o: &Object) -> ObjectRef {
        ObjectRef {
            api_version: o.api_version.to_string(),
            kind: o.kind.to_string(),
            namespace: o.namespace.as_ref().map(|n| n.to_string()),
            name: o.name.to_string(),
        }
    }
}

/// Another place involved in a finding (the Gateway a route fails to match, the policy a
/// Service fails to satisfy).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Short text shown under the underlined node.
    pub label: Option<String>,
    pub location: Location,
    pub object: Option<ObjectRef>,
    /// The controller's status condition and reason, e.g. `Accepted=False/NoMatchingParent`.
    pub condition: Option<String>,
    pub help: Option<String>,
    pub related: Vec<Related>,
    /// The field the finding is about, as a path in its object (`spec.parentRefs[0].sectionName`)
    /// or, for commands, the command's target: with the rule and the object it identifies a
    /// finding across edits that move lines (SARIF partialFingerprints).
    pub field: Option<String>,
    /// The cluster the finding belongs to, when the repository holds several.
    pub cluster: Option<String>,
    /// False when the finding is in a manifest no entry point deploys (no kustomization, Flux
    /// Kustomization or Argo CD Application includes the file) in a repository that has them.
    pub deployed: bool,
    /// How to fix it, when the fix is mechanical (`--fix`, `--diff`).
    pub fix: Option<Fix>,
}

/// Whether `--fix` applies a fix by itself (`Safe`: meaning-preserving) or only with
/// `--unsafe-fixes` (`Unsafe`: a "did you mean" that may change what the manifest means).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Safe,
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// A finding's fix: text edits of the files linted, or files to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    pub message: String,
    pub edits: Vec<Edit>,
}

/// One change of a fix. Rules see spans, not texts: they write what to change (`Rename`,
/// `AddInfrastructureLabels`), and the fix stage, which has the texts, turns that into `Replace`
/// edits or drops the fix when the text is not what the rule saw (a `${VAR}`, a patched value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// The bytes of `location` become `content`.
    Replace { location: Location, content: String },
    /// A new file at `path` (as reached from the input paths) that must not exist yet.
    Create { path: String, content: String },
    /// The scalar or word at `location`, which reads `old` (quoted or not), becomes `new`.
    Rename {
        location: Location,
        old: String,
        new: String,
    },
    /// Adds `labels` under `spec.infrastructure.labels` of the YAML document whose
    /// `metadata.name` value is at `name`.
    AddInfrastructureLabels {
        name: Location,
        labels: Vec<(String, String)>,
    },
    /// Inserts `text` right after `location` (a flag after a command's word).
    InsertAfter { location: Location, text: String },
    /// A new file `name` in the directory of the file of `beside` (a ReferenceGrant beside the
    /// manifest of the object it admits references to).
    CreateBeside {
        beside: Location,
        name: String,
        content: String,
    },
}

impl Fix {
    pub fn safe(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability: Applicability::Safe,
            message: message.into(),
            edits,
        }
    }

    pub fn unsafe_(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability: Applicability::Unsafe,
            message: message.into(),
            edits,
        }
    }

    /// Moves every location of the fix, as a finding's own location is moved (into the patch
    /// a value was written in).
    pub fn relocate(&mut self, locate: impl Fn(Location) -> Location) {
        for edit in &mut self.edits {
            match edit {
                Edit::Replace { location, .. }
                | Edit::Rename { location, .. }
                | Edit::InsertAfter { location, .. } => *location = locate(*location),
                Edit::AddInfrastructureLabels { name: location, .. }
                | Edit::CreateBeside {
                    beside: location, ..
                } => *location = locate(*location),
                Edit::Create { .. } => {}
            }
        }
    }

    /// Where the edits are, in the files they change (none for a file created).
    pub fn locations(&self) -> impl Iterator<Item = Location> + '_ {
        self.edits.iter().filter_map(|edit| match edit {
            Edit::Replace { location, .. }
            | Edit::Rename { location, .. }
            | Edit::InsertAfter { location, .. }
            | Edit::AddInfrastructureLabels { name: location, .. }
            | Edit::CreateBeside {
                beside: location, ..
            } => Some(*location),
            Edit::Create { .. } => None,
        })
    }

    /// Whether every edit is final text (the fix stage has resolved it).
    pub fn resolved(&self) -> bool {
        self.edits
            .iter()
            .all(|e| matches!(e, Edit::Replace { .. } | Edit::Create { .. }))
    }
}

/// What a finding in a file nothing deploys says, in every format.
pub const NOT_DEPLOYED: &str =
    "not deployed: no kustomization, Flux Kustomization or Argo CD Application includes this file";

impl Finding {
    pub fn new(meta: &RuleMeta, location: Location, message: String) -> Finding {
        Finding {
            rule: meta.id,
            severity: meta.severity,
            message,
            label: None,
            location,
            object: None,
            condition: None,
            help: None,
            related: Vec::new(),
            field: None,
            cluster: None,
            deployed: true,
            fix: None,
        }
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// An unsafe fix renaming the value at the finding's location from `old` to `new`.
    pub fn rename(self, old: &str, new: &str, message: impl Into<String>) -> Self {
        let edit = Edit::Rename {
            location: self.location,
            old: old.to_string(),
            new: new.to_string(),
        };
        self.fix(Fix::unsafe_(message, vec![edit]))
    }

    pub fn object(mut self, o: &Object) -> Self {
        self.object = Some(ObjectRef::of(o));
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn condition(mut self, condition: impl Into<String>) -> Self {
        self.condition = Some(condition.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Appends to the help (a note on why a reference is reported in strict mode).
    pub fn help_note(mut self, note: Option<String>) -> Self {
        if let (Some(help), Some(note)) = (self.help.as_mut(), note) {
            help.push_str(&note);
        }
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn related(mut self, location: Option<Location>, message: impl Into<String>) -> Self {
        if let Some(location) = location {
            self.related.push(Related {
                location,
                message: message.into(),
            });
        }
        self
    }

    /// The deterministic order of the report: file, line, column, rule, then the rest.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            self.location.file,
            self.location.span.start,
            self.rule,
            &self.cluster,
            &self.message,
            self.location.span.end,
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    GatewayApi,
    Cilium,
    Kubernetes,
    Commands,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::GatewayApi => "gateway-api",
            Category::Cilium => "cilium",
            Category::Kubernetes => "kubernetes",
            Category::Commands => "commands",
        }
    }
}

/// What a rule is: its stable id, default severity, category and one-line summary.
#[derive(Debug)]
pub struct RuleMeta {
    pub id: &'static str,
    pub severity: Severity,
    pub category: Category,
    pub summary: &'static str,
}
