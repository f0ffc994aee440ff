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
        }
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
