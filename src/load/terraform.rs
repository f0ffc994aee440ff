//! Terraform and OpenTofu files that bootstrap the cluster (`*.tf`, `*.tofu`). cilint is no
//! Terraform linter: it reads only what these files put into the cluster, so that what they
//! create is found and what they deploy excuses what it may make.
//!
//! - `helm_release` (hashicorp/helm provider) deploys a chart into `namespace` (the provider's
//!   default is `default`): registry.terraform.io/providers/hashicorp/helm/latest/docs/resources/release.
//! - `kubectl_manifest` (gavinbunney/kubectl, alekc/kubectl) creates the object of its
//!   `yaml_body`, in `override_namespace` when set:
//!   registry.terraform.io/providers/gavinbunney/kubectl/latest/docs/resources/kubectl_manifest.
//! - `kubernetes_manifest` (hashicorp/kubernetes) creates the object of its `manifest`, an HCL
//!   object or `yamldecode(<<EOT … EOT)`:
//!   registry.terraform.io/providers/hashicorp/kubernetes/latest/docs/resources/manifest.
//! - `kubernetes_namespace`, `kubernetes_secret`, `kubernetes_config_map`, `kubernetes_service`
//!   (and their `_v1` names) create the object their `metadata` block names.
//!
//! A module is a directory: its files share `variable`, `locals` and resources, so they are read
//! together. Values are evaluated only where that is exact: literals, a `var.x` whose default
//! (or `terraform.tfvars`/`*.auto.tfvars` value) is a literal, a `local.x`, and
//! `kubernetes_namespace.x.metadata[0].name`. Anything else (a variable set elsewhere, a function
//! call, `each.value`) stays written as the placeholder `${…}`, which the Catalog treats as a
//! name it cannot know: never missing, never a finding. A file that does not parse as HCL adds
//! nothing, and is no finding either.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Attribute, Block, Body};
use hcl_edit::template::{Element, Template};

use crate::discover::Candidate;
use crate::load::FileContents;
use crate::model::helm::HelmChart;
use crate::model::versions::{Pin, Pinned, Version};
use crate::model::{Object, Spec, text};
use crate::source::yaml::build::{Data, Value};
use crate::source::yaml::{self};
use crate::source::{FileId, FileKind, LineIndex, SourceFile, Span};

/// The `apiVersion` of the object that stands for a `helm_release`: not a Kubernetes object,
/// only the carrier of the chart it deploys.
pub const HELM_RELEASE_API_VERSION: &str = "terraform";
/// Its kind: the resource type, which no Kubernetes kind spells so.
pub const HELM_RELEASE_KIND: &str = "helm_release";

/// Nesting bound for evaluating locals that name other locals.
const MAX_DEPTH: usize = 16;

/// Reads the Terraform modules among the candidates and puts what their files create into
/// those files' contents. A tree without Terraform files costs one pass over the candidates.
/// `read` gives a candidate's text by index (from disk, or an editor's); a module none of whose
/// files it gives is left as it is.
pub fn load_modules(
    candidates: &[Candidate],
    contents: &mut [FileContents],
    default_namespace: &str,
    read: &dyn Fn(usize) -> Option<(SourceFile, bool)>,
) {
    let mut modules: BTreeMap<&Path, Vec<usize>> = BTreeMap::new();
    for (i, c) in candidates.iter().enumerate() {
        if c.kind == FileKind::Terraform && !c.template {
            let dir = Path::new(&*c.path).parent().unwrap_or(Path::new(""));
            modules.entry(dir).or_default().push(i);
        }
    }
    for files in modules.values() {
        let sources: Vec<(usize, String, Arc<str>)> = files
            .iter()
            .filter_map(|&i| {
                let (source, valid) = read(i)?;
                valid.then_some((i, source.path.to_string(), source.text))
            })
            .collect();
        // A panic in one module loses that module's objects, not the run.
        let loaded = catch_unwind(AssertUnwindSafe(|| module(&sources, default_namespace)))
            .unwrap_or_default();
        for (i, c) in loaded {
            contents[i].objects.extend(c.objects);
            contents[i].documents += c.documents;
            contents[i].pins.extend(c.pins);
        }
    }
}

/// One file of a module, parsed.
struct Parsed<'a> {
    index: usize,
    path: &'a str,
    text: &'a str,
    body: Body,
    /// `*.tfvars`: values for variables, no resources.
    tfvars: bool,
}

/// What one module's files create, by candidate index.
fn module(sources: &[(usize, String, Arc<str>)], default_namespace: &str) -> Vec<(usize, Out)> {
    let parsed: Vec<Parsed> = sources
        .iter()
        .filter_map(|(i, path, text)| {
            // Not HCL: nothing of it is known, and it is not cilint's business to say so.
            let body = hcl_edit::parser::parse_body(text).ok()?;
            Some(Parsed {
                index: *i,
                path,
                text,
                body,
                tfvars: path.ends_with(".tfvars"),
            })
        })
        .collect();
    let scope = Scope::of(&parsed);
    parsed
        .iter()
        .filter(|p| !p.tfvars)
        .map(|p| {
            let mut out = Out::default();
            let file = FileId(p.index as u32);
            let cx = Cx {
                file,
                path: p.path,
                text: p.text,
                index: LineIndex::new(p.text),
                scope: &scope,
                default_namespace,
            };
            for block in p.body.get_blocks("resource") {
                cx.resource(block, &mut out);
            }
            (p.index, out)
        })
        .collect()
}

#[derive(Default)]
struct Out {
    objects: Vec<Object>,
    documents: usize,
    pins: Vec<Pin>,
}

/// An expression with the text of the file it is written in.
#[derive(Clone, Copy, PartialEq)]
struct Written<'a> {
    expr: &'a Expression,
    text: &'a str,
}

/// What the module defines that values may name.
#[derive(Default)]
struct Scope<'a> {
    /// Each variable's value, `None` when it is not known here (no default, set in a tfvars
    /// file Terraform does not load by itself, or given on the command line).
    vars: HashMap<&'a str, Option<Written<'a>>>,
    locals: HashMap<&'a str, Written<'a>>,
    /// `metadata.name` of each `kubernetes_namespace`/`kubernetes_namespace_v1`, by
    /// (resource type, resource name).
    namespaces: HashMap<(&'a str, &'a str), Written<'a>>,
}

impl<'a> Scope<'a> {
    fn of(parsed: &'a [Parsed<'a>]) -> Scope<'a> {
        let mut scope = Scope::default();
        for p in parsed.iter().filter(|p| !p.tfvars) {
            for v in p.body.get_blocks("variable") {
                let Some(name) = v.labels.first() else {
                    continue;
                };
                let default = v.body.get_attribute("default").map(|a| Written {
                    expr: &a.value,
                    text: p.text,
                });
                scope.vars.insert(name.as_str(), default);
            }
            for l in p.body.get_blocks("locals") {
                for a in l.body.iter().filter_map(|s| s.as_attribute()) {
                    scope.locals.insert(
                        a.key.as_str(),
                        Written {
                            expr: &a.value,
                            text: p.text,
                        },
                    );
                }
            }
            for r in p.body.get_blocks("resource") {
                let [ty, name] = r.labels.as_slice() else {
                    continue;
                };
                if !matches!(
                    ty.as_str(),
                    "kubernetes_namespace" | "kubernetes_namespace_v1"
                ) {
                    continue;
                }
                if let Some(a) = metadata(r).and_then(|m| m.get_attribute("name")) {
                    scope.namespaces.insert(
                        (ty.as_str(), name.as_str()),
                        Written {
                            expr: &a.value,
                            text: p.text,
                        },
                    );
                }
            }
        }
        // Terraform loads `terraform.tfvars` and then `*.auto.tfvars` in name order, later ones
        // winning; any other tfvars file is passed with `-var-file` or not at all, so a
        // variable it sets may have either value.
        let mut tfvars: Vec<&Parsed> = parsed.iter().filter(|p| p.tfvars).collect();
        tfvars.sort_by_key(|p| (!p.path.ends_with("terraform.tfvars"), p.path));
        for p in tfvars {
            let auto = p.path.ends_with("terraform.tfvars") || p.path.ends_with(".auto.tfvars");
            for a in p.body.iter().filter_map(|s| s.as_attribute()) {
                let value = auto.then_some(Written {
                    expr: &a.value,
                    text: p.text,
                });
                scope.vars.insert(a.key.as_str(), value);
            }
        }
        scope
    }
}

/// A value as far as it is known: unknown parts are written `${…}`, as the Catalog's
/// placeholders are.
struct Val {
    s: String,
    known: bool,
}

impl Val {
    fn known(s: impl Into<String>) -> Val {
        Val {
            s: s.into(),
            known: true,
        }
    }

    /// The placeholder for an expression cilint does not evaluate, named by its text (braces and
    /// line breaks dropped, so that it reads as one placeholder).
    fn unknown(source: &str) -> Val {
        let mut name: String = source
            .chars()
            .filter(|c| !matches!(c, '{' | '}' | '$'))
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .collect();
        name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.chars().count() > 60 {
            name = name.chars().take(59).collect::<String>() + "…";
        }
        if name.is_empty() {
            name = "…".into();
        }
        Val {
            s: format!("${{{name}}}"),
            known: false,
        }
    }
}

/// The text of an expression as written.
fn source_of<'t>(expr: &impl hcl_edit::Span, text: &'t str) -> &'t str {
    expr.span()
        .and_then(|r| text.get(r))
        .unwrap_or_default()
        .trim()
}

impl<'a> Scope<'a> {
    fn eval(&self, w: Written<'_>, depth: usize) -> Val {
        let unknown = || Val::unknown(source_of(w.expr, w.text));
        if depth > MAX_DEPTH {
            return unknown();
        }
        match w.expr {
            Expression::String(s) => Val::known(s.value().as_str()),
            Expression::Number(n) => Val::known(n.value().to_string()),
            Expression::Bool(b) => Val::known(b.value().to_string()),
            Expression::Parenthesis(p) => self.eval(
                Written {
                    expr: p.inner(),
                    text: w.text,
                },
                depth + 1,
            ),
            Expression::StringTemplate(t) => self.template(t, w.text, depth),
            Expression::Traversal(t) => {
                let Expression::Variable(root) = &t.expr else {
                    return unknown();
                };
                let attrs: Vec<Option<&str>> = t
                    .operators
                    .iter()
                    .map(|op| match op.value() {
                        TraversalOperator::GetAttr(a) => Some(a.as_str()),
                        TraversalOperator::LegacyIndex(i) if *i.value() == 0 => Some("0"),
                        TraversalOperator::Index(Expression::Number(n))
                            if n.value().as_u64() == Some(0) =>
                        {
                            Some("0")
                        }
                        _ => None,
                    })
                    .collect();
                let found = match (root.as_str(), attrs.as_slice()) {
                    ("var", [Some(name)]) => self.vars.get(name).copied().flatten(),
                    ("local", [Some(name)]) => self.locals.get(name).copied(),
                    (ty, [Some(name), Some("metadata"), Some("0"), Some("name")])
                    | (ty, [Some(name), Some("id")]) => self.namespaces.get(&(ty, *name)).copied(),
                    _ => None,
                };
                match found {
                    Some(found) => {
                        let v = self.eval(found, depth + 1);
                        // What a variable holds is named by the variable where it is unknown.
                        if v.known { v } else { unknown() }
                    }
                    None => unknown(),
                }
            }
            _ => unknown(),
        }
    }

    fn template(&self, t: &Template, text: &str, depth: usize) -> Val {
        let mut out = Val::known("");
        for e in t.iter() {
            let v = match e {
                Element::Literal(l) => Val::known(l.value().as_str()),
                Element::Interpolation(i) => self.eval(
                    Written {
                        expr: &i.expr,
                        text,
                    },
                    depth + 1,
                ),
                Element::Directive(d) => Val::unknown(source_of(d.as_ref(), text)),
            };
            out.s.push_str(&v.s);
            out.known &= v.known;
        }
        out
    }

    /// Replaces the `${…}` of a YAML scalar written in a heredoc by their values where those are
    /// known; `None` when nothing changes.
    fn interpolate(&self, scalar: &str) -> Option<String> {
        if !scalar.contains("${") {
            return None;
        }
        let mut out = String::new();
        let mut rest = scalar;
        let mut changed = false;
        while let Some(start) = rest.find("${") {
            // `$${` is Terraform's escape for a literal `${`.
            if rest[..start].ends_with('$') {
                out.push_str(&rest[..start + 2]);
                rest = &rest[start + 2..];
                continue;
            }
            let Some(len) = closing_brace(&rest[start + 2..]) else {
                break;
            };
            let inner = &rest[start + 2..start + 2 + len];
            let value = hcl_edit::parser::parse_expr(inner)
                .ok()
                .map(|expr| {
                    self.eval(
                        Written {
                            expr: &expr,
                            text: inner,
                        },
                        0,
                    )
                })
                .filter(|v| v.known);
            out.push_str(&rest[..start]);
            match value {
                Some(v) => {
                    out.push_str(&v.s);
                    changed = true;
                }
                None => out.push_str(&rest[start..start + 2 + len + 1]),
            }
            rest = &rest[start + 2 + len + 1..];
        }
        out.push_str(rest);
        changed.then_some(out)
    }
}

/// The length of an interpolation's expression: up to the `}` that closes it.
fn closing_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn metadata(block: &Block) -> Option<&Body> {
    block.body.get_blocks("metadata").next().map(|b| &b.body)
}

/// Evaluating the resources of one file.
struct Cx<'a> {
    file: FileId,
    path: &'a str,
    text: &'a str,
    index: LineIndex<'a>,
    scope: &'a Scope<'a>,
    default_namespace: &'a str,
}

impl Cx<'_> {
    fn span(&self, range: Option<Range<usize>>) -> Span {
        let r = range.unwrap_or(0..0);
        Span {
            start: self.index.pos_of_byte(r.start.min(self.text.len())),
            end: self.index.pos_of_byte(r.end.min(self.text.len())),
        }
    }

    fn eval(&self, expr: &Expression) -> Val {
        self.scope.eval(
            Written {
                expr,
                text: self.text,
            },
            0,
        )
    }

    fn attr<'b>(&self, body: &'b Body, key: &str) -> Option<&'b Attribute> {
        body.get_attribute(key)
    }

    fn resource(&self, block: &Block, out: &mut Out) {
        let [ty, label] = block.labels.as_slice() else {
            return;
        };
        let body = &block.body;
        match ty.as_str() {
            "helm_release" => self.helm_release(block, label.as_str(), out),
            "kubectl_manifest" => {
                let Some(yaml) = self.attr(body, "yaml_body") else {
                    return;
                };
                let namespace = self
                    .attr(body, "override_namespace")
                    .map(|a| self.eval(&a.value).s);
                self.yaml(&yaml.value, namespace.as_deref(), out);
            }
            "kubernetes_manifest" => {
                let Some(manifest) = self.attr(body, "manifest") else {
                    return;
                };
                match &manifest.value {
                    Expression::Object(_) => {
                        let doc = self.value(&manifest.value);
                        self.add_document(doc, None, out);
                    }
                    Expression::FuncCall(call) if call.name.name.as_str() == "yamldecode" => {
                        if let Some(arg) = call.args.iter().next() {
                            self.yaml(arg, None, out);
                        }
                    }
                    // `yamldecode(file(…))` reads a file cilint reads as it is.
                    _ => {}
                }
            }
            "kubernetes_namespace" | "kubernetes_namespace_v1" => {
                self.typed(block, "Namespace", out)
            }
            "kubernetes_secret" | "kubernetes_secret_v1" => self.typed(block, "Secret", out),
            "kubernetes_config_map" | "kubernetes_config_map_v1" => {
                self.typed(block, "ConfigMap", out)
            }
            "kubernetes_service" | "kubernetes_service_v1" => self.typed(block, "Service", out),
            _ => {}
        }
    }

    /// A `helm_release`: the chart it deploys, into its namespace.
    fn helm_release(&self, block: &Block, label: &str, out: &mut Out) {
        let body = &block.body;
        let get = |key: &str| self.attr(body, key).map(|a| (self.eval(&a.value), a));
        // `name` is required; without it Terraform refuses the file, so the resource's own
        // label stands in rather than an object without a name.
        let name = get("name");
        let chart = get("chart").map(|(v, _)| v.s);
        // `version = "1.19.3"` of the cilium chart is the Cilium release the module installs.
        if chart.as_deref() == Some("cilium")
            && let Some((v, a)) = get("version").filter(|(v, _)| v.known)
            && let Some(version) = Version::parse(&v.s)
        {
            out.pins.push(Pin {
                pinned: Pinned::Cilium,
                version,
                location: crate::source::Location {
                    file: self.file,
                    span: self.span(a.value.span()),
                },
            });
        }
        let namespace = get("namespace")
            .map(|(v, _)| v.s)
            .filter(|ns| !ns.is_empty())
            .unwrap_or_else(|| "default".into());
        let doc_span = self.span(block.span());
        let chart = HelmChart {
            chart,
            namespace: Some(namespace.clone()),
            // The release is the object's name, below.
            release: None,
            remote: false,
            unexpanded: None,
            from: Some(format!("helm_release.{label} in {}", self.path)),
            values: None,
        };
        out.objects.push(Object {
            api_version: text(HELM_RELEASE_API_VERSION),
            kind: text(HELM_RELEASE_KIND),
            name: text(name.as_ref().map_or(label, |(v, _)| v.s.as_str())),
            namespace: Some(text(&namespace)),
            namespace_defaulted: false,
            unverifiable: false,
            labels: Box::default(),
            annotations: Box::default(),
            origin: crate::model::Origin::Manifest,
            location: Some(crate::source::Location {
                file: self.file,
                span: doc_span,
            }),
            name_span: name.map_or(doc_span, |(_, a)| self.span(a.value.span())),
            labels_span: None,
            spec: Spec::HelmCharts(Box::new([chart])),
        });
    }

    /// The YAML of a heredoc, loaded where it is written in the file: the heredoc's lines are
    /// parsed after as many empty lines as precede them, so that the parser's lines and columns
    /// are the file's own, and the file's line index turns them into its byte offsets.
    fn yaml(&self, expr: &Expression, namespace: Option<&str>, out: &mut Out) {
        let Some((range, directives)) = heredoc_content(expr, self.text) else {
            return;
        };
        let Some(content) = self.text.get(range.clone()) else {
            return;
        };
        let line = self.index.pos_of_byte(range.start).line as usize;
        let content = if directives {
            without_directive_tags(content)
        } else {
            content.to_string()
        };
        let aligned = "\n".repeat(line.saturating_sub(1)) + &content;
        let substitute = |s: &str| self.scope.interpolate(s);
        let mut docs = 0;
        let first = out.objects.len();
        // A heredoc that is not YAML is Terraform's to refuse, not cilint's.
        let _ = yaml::load_each(&aligned, &self.index, Some(&substitute), |doc| {
            docs += 1;
            if let Ok(objects) = Object::from_document(doc, self.file, self.default_namespace) {
                out.objects.extend(objects);
            }
        });
        out.documents += docs;
        for o in &mut out.objects[first..] {
            if let (Some(ns), Some(_)) = (namespace, &o.namespace) {
                o.namespace = Some(text(ns));
                o.namespace_defaulted = false;
            }
        }
    }

    /// A typed resource of the kubernetes provider, as the object it creates.
    fn typed(&self, block: &Block, kind: &str, out: &mut Out) {
        let Some(meta) = metadata(block) else {
            return;
        };
        let span = self.span(block.span());
        let mut metadata = Vec::new();
        for key in [
            "name",
            "generate_name",
            "namespace",
            "labels",
            "annotations",
        ] {
            if let Some(a) = meta.get_attribute(key) {
                let key = if key == "generate_name" {
                    "generateName"
                } else {
                    key
                };
                metadata.push((
                    Value::str(self.span(a.key.span()), key),
                    self.value(&a.value),
                ));
            }
        }
        let mut doc = vec![
            (Value::str(span, "apiVersion"), Value::str(span, "v1")),
            (Value::str(span, "kind"), Value::str(span, kind)),
            (
                Value::str(span, "metadata"),
                Value {
                    span: self.span(meta.span()),
                    data: Data::Map(metadata),
                },
            ),
        ];
        let body = &block.body;
        match kind {
            "Secret" | "ConfigMap" => {
                if let Some(a) = body.get_attribute("type") {
                    doc.push((Value::str(span, "type"), self.value(&a.value)));
                }
                for (key, yaml_key) in [("data", "data"), ("binary_data", "binaryData")] {
                    if let Some(a) = body.get_attribute(key) {
                        doc.push((Value::str(span, yaml_key), self.keys_only(&a.value)));
                    }
                }
            }
            "Service" => {
                if let Some(spec) = body.get_blocks("spec").next() {
                    doc.push((Value::str(span, "spec"), self.block_value(spec)));
                }
            }
            _ => {}
        }
        let doc = Value {
            span,
            data: Data::Map(doc),
        };
        self.add_document(doc, None, out);
    }

    fn add_document(&self, doc: Value, namespace: Option<&str>, out: &mut Out) {
        let arena = doc.into_arena();
        out.documents += 1;
        if let Ok(objects) = Object::from_document(arena.root(), self.file, self.default_namespace)
        {
            for mut o in objects {
                if let (Some(ns), Some(_)) = (namespace, &o.namespace) {
                    o.namespace = Some(text(ns));
                }
                out.objects.push(o);
            }
        }
    }

    /// An HCL value as a YAML tree: objects are maps, tuples sequences, and every other value
    /// its string (with `${…}` where it is not known).
    fn value(&self, expr: &Expression) -> Value {
        let span = self.span(expr.span());
        let data = match expr {
            Expression::Null(_) => Data::Null,
            Expression::Object(o) => Data::Map(
                o.iter()
                    .map(|(k, v)| {
                        let key = match k {
                            ObjectKey::Ident(i) => Value::str(self.span(i.span()), i.as_str()),
                            ObjectKey::Expression(e) => {
                                Value::str(self.span(e.span()), &self.eval(e).s)
                            }
                        };
                        (key, self.value(v.expr()))
                    })
                    .collect(),
            ),
            Expression::Array(a) => Data::Seq(a.iter().map(|e| self.value(e)).collect()),
            _ => Data::Str(self.eval(expr).s),
        };
        Value { span, data }
    }

    /// A map of which only the keys are kept (a Secret's data: its values are never read).
    fn keys_only(&self, expr: &Expression) -> Value {
        let span = self.span(expr.span());
        let Expression::Object(o) = expr else {
            return Value {
                span,
                data: Data::Null,
            };
        };
        let entries = o
            .iter()
            .map(|(k, v)| {
                let key = match k {
                    ObjectKey::Ident(i) => i.as_str().to_string(),
                    ObjectKey::Expression(e) => self.eval(e).s,
                };
                (
                    Value::str(self.span(k.span()), &key),
                    Value::str(self.span(v.expr().span()), ""),
                )
            })
            .collect();
        Value {
            span,
            data: Data::Map(entries),
        }
    }

    /// A block of a typed resource as the YAML the API holds: attribute and block names in
    /// camelCase (`target_port` is `targetPort`), repeated `port` blocks as the `ports` list.
    fn block_value(&self, block: &Block) -> Value {
        let mut entries: Vec<(Value, Value)> = Vec::new();
        let mut ports = Vec::new();
        for s in block.body.iter() {
            if let Some(a) = s.as_attribute() {
                let key = Value::str(self.span(a.key.span()), &camel(a.key.as_str()));
                entries.push((key, self.value(&a.value)));
            } else if let Some(b) = s.as_block() {
                let value = self.block_value(b);
                if b.ident.as_str() == "port" {
                    ports.push(value);
                } else {
                    entries.push((
                        Value::str(self.span(b.ident.span()), &camel(b.ident.as_str())),
                        value,
                    ));
                }
            }
        }
        let span = self.span(block.span());
        if !ports.is_empty() {
            entries.push((
                Value::str(span, "ports"),
                Value {
                    span,
                    data: Data::Seq(ports),
                },
            ));
        }
        Value {
            span,
            data: Data::Map(entries),
        }
    }
}

/// `snake_case` to `camelCase`, as the kubernetes provider names the API's fields.
fn camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The text with its `%{ if }`, `%{ else }`, `%{ endif }`, `%{ for }` and `%{ endfor }` tags
/// blanked (a space for each character, so columns hold): every branch is read, and a loop's
/// body once, with its `${…}` left as placeholders. cilint does not evaluate conditions.
fn without_directive_tags(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(start) = rest.find("%{") {
        // `%%{` is the escape for a literal `%{`.
        if rest[..start].ends_with('%') {
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            continue;
        }
        let Some(len) = closing_brace(&rest[start + 2..]) else {
            break;
        };
        out.push_str(&rest[..start]);
        let tag = &rest[start..start + 2 + len + 1];
        out.extend(tag.chars().map(|c| if c == '\n' { c } else { ' ' }));
        rest = &rest[start + tag.len()..];
    }
    out.push_str(rest);
    out
}

/// The byte range of a heredoc's lines (after the `<<EOT` line, before the closing one), and
/// whether it holds template directives.
fn heredoc_content(expr: &Expression, text: &str) -> Option<(Range<usize>, bool)> {
    let Expression::HeredocTemplate(h) = expr else {
        return None;
    };
    let span = h.span()?;
    let raw = text.get(span.clone())?;
    let start = span.start + raw.find('\n')? + 1;
    let end = span.start + raw.trim_end().rfind('\n')? + 1;
    let directives = h
        .template
        .iter()
        .any(|e| matches!(e, Element::Directive(_)));
    (start <= end).then_some((start..end, directives))
}

/// The ranges of a Terraform file that may hold secret values, for the renderers to mask: the
/// heredocs of `kubectl_manifest`/`kubernetes_manifest` (YAML, masked as manifests are), and the
/// values of a `kubernetes_secret`'s `data` and a `kubernetes_manifest` object's
/// `data`/`stringData`.
pub struct SecretRanges {
    pub yaml: Vec<Range<usize>>,
    pub values: Vec<Range<usize>>,
}

pub fn secret_ranges(text: &str) -> SecretRanges {
    let mut out = SecretRanges {
        yaml: Vec::new(),
        values: Vec::new(),
    };
    let Ok(body) = hcl_edit::parser::parse_body(text) else {
        return out;
    };
    let values_of = |expr: &Expression, out: &mut Vec<Range<usize>>| {
        if let Expression::Object(o) = expr {
            out.extend(o.iter().filter_map(|(_, v)| v.expr().span()));
        } else {
            out.extend(expr.span());
        }
    };
    for r in body.get_blocks("resource") {
        let Some(ty) = r.labels.first() else { continue };
        for a in r.body.iter().filter_map(|s| s.as_attribute()) {
            match (ty.as_str(), a.key.as_str()) {
                ("kubectl_manifest", "yaml_body") | ("kubernetes_manifest", "manifest") => {
                    let expr = match &a.value {
                        Expression::FuncCall(c) => c.args.iter().next(),
                        e => Some(e),
                    };
                    if let Some(expr) = expr {
                        if let Some((range, _)) = heredoc_content(expr, text) {
                            out.yaml.push(range);
                        } else if let Expression::Object(o) = expr {
                            for (k, v) in o.iter() {
                                let key = match k {
                                    ObjectKey::Ident(i) => i.as_str(),
                                    ObjectKey::Expression(e) => e.as_str().unwrap_or_default(),
                                };
                                if matches!(key, "data" | "stringData" | "binaryData") {
                                    values_of(v.expr(), &mut out.values);
                                }
                            }
                        }
                    }
                }
                (
                    "kubernetes_secret" | "kubernetes_secret_v1",
                    "data" | "binary_data" | "data_wo",
                ) => values_of(&a.value, &mut out.values),
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(files: &[(&str, &str)]) -> Vec<Object> {
        let sources: Vec<(usize, String, Arc<str>)> = files
            .iter()
            .enumerate()
            .map(|(i, (p, t))| (i, p.to_string(), Arc::from(*t)))
            .collect();
        module(&sources, "default")
            .into_iter()
            .flat_map(|(_, o)| o.objects)
            .collect()
    }

    #[test]
    fn a_heredoc_is_loaded_where_it_is_written() {
        let tf = "resource \"kubectl_manifest\" \"pool\" {\n  yaml_body = <<-YAML\n    apiVersion: cilium.io/v2alpha1\n    kind: CiliumLoadBalancerIPPool\n    metadata:\n      name: pool\n    spec:\n      blocks:\n        - cidr: 10.0.0.0/24\n  YAML\n}\n";
        let o = &objects(&[("main.tf", tf)])[0];
        assert_eq!((&*o.kind, &*o.name), ("CiliumLoadBalancerIPPool", "pool"));
        assert_eq!((o.name_span.start.line, o.name_span.start.col), (6, 13));
        let s = o.name_span;
        assert_eq!(&tf[s.start.byte as usize..s.end.byte as usize], "pool");
    }

    #[test]
    fn positions_hold_after_crlf_and_wide_characters() {
        let tf = "# Café ☕\r\nresource \"kubectl_manifest\" \"x\" {\r\n  yaml_body = <<-YAML\r\n    apiVersion: v1\r\n    kind: Namespace\r\n    metadata:\r\n      name: ☕-ns\r\n  YAML\r\n}\r\n";
        let o = &objects(&[("main.tf", tf)])[0];
        assert_eq!(&*o.name, "☕-ns");
        assert_eq!((o.name_span.start.line, o.name_span.start.col), (7, 13));
        let s = o.name_span;
        assert_eq!(&tf[s.start.byte as usize..s.end.byte as usize], "☕-ns");
    }

    #[test]
    fn variables_with_literal_defaults_are_evaluated_and_others_stay_placeholders() {
        let vars = "variable \"ns\" {\n  default = \"infra\"\n}\nvariable \"domain\" {}\nlocals {\n  app = \"web-${var.ns}\"\n}\n";
        let main = "resource \"kubernetes_secret_v1\" \"tls\" {\n  metadata {\n    name = local.app\n    namespace = var.ns\n  }\n  type = \"kubernetes.io/tls\"\n  data = {\n    \"tls.crt\" = file(\"a\")\n  }\n}\nresource \"kubectl_manifest\" \"x\" {\n  yaml_body = <<YAML\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-${var.domain}\n  namespace: ${var.ns}\nYAML\n}\n";
        let objs = objects(&[("variables.tf", vars), ("main.tf", main)]);
        let secret = objs.iter().find(|o| &*o.kind == "Secret").unwrap();
        assert_eq!(secret.qualified_name(), "infra/web-infra");
        let Spec::Secret(s) = &secret.spec else {
            panic!("not a secret")
        };
        assert_eq!(s.secret_type.as_deref(), Some("kubernetes.io/tls"));
        assert_eq!(&*s.keys, &[text("tls.crt")]);
        let cm = objs.iter().find(|o| &*o.kind == "ConfigMap").unwrap();
        assert_eq!(cm.qualified_name(), "infra/cfg-${var.domain}");
    }

    #[test]
    fn a_helm_release_deploys_its_chart_into_its_namespace() {
        let tf = "resource \"helm_release\" \"cilium\" {\n  name = \"cilium\"\n  repository = \"https://helm.cilium.io\"\n  chart = \"cilium\"\n  namespace = \"kube-system\"\n}\nresource \"helm_release\" \"other\" {\n  name = \"x\"\n  chart = \"x\"\n  namespace = var.somewhere\n}\n";
        let objs = objects(&[("infra/main.tf", tf)]);
        let Spec::HelmCharts(c) = &objs[0].spec else {
            panic!("no chart")
        };
        assert_eq!(c[0].namespace.as_deref(), Some("kube-system"));
        assert_eq!(
            c[0].from.as_deref(),
            Some("helm_release.cilium in infra/main.tf")
        );
        let Spec::HelmCharts(c) = &objs[1].spec else {
            panic!("no chart")
        };
        assert_eq!(c[0].namespace.as_deref(), Some("${var.somewhere}"));
    }

    #[test]
    fn tfvars_terraform_loads_override_defaults_and_others_make_values_unknown() {
        let vars = "variable \"ns\" {\n  default = \"a\"\n}\nvariable \"name\" {\n  default = \"web\"\n}\n";
        let main = "resource \"kubernetes_config_map_v1\" \"c\" {\n  metadata {\n    name = var.name\n    namespace = var.ns\n  }\n}\nresource \"kubernetes_service_v1\" \"s\" {\n  for_each = toset([\"x\", \"y\"])\n  metadata {\n    name = \"svc-${each.key}\"\n  }\n  spec {\n    port {\n      port = 80\n      target_port = 8080\n    }\n  }\n}\n";
        let objs = objects(&[
            ("variables.tf", vars),
            ("terraform.tfvars", "ns = \"b\"\n"),
            ("prod.tfvars", "name = \"other\"\n"),
            ("main.tf", main),
        ]);
        let cm = objs.iter().find(|o| &*o.kind == "ConfigMap").unwrap();
        assert_eq!(cm.qualified_name(), "b/${var.name}");
        let svc = objs.iter().find(|o| &*o.kind == "Service").unwrap();
        assert_eq!(svc.qualified_name(), "default/svc-${each.key}");
        let ports = &svc.service().unwrap().ports;
        assert_eq!(ports.len(), 1, "{ports:?}");
        assert_eq!(ports[0].port, 80);
        assert!(
            matches!(
                ports[0].target_port,
                Some(crate::model::service::TargetPort::Number(8080))
            ),
            "{ports:?}"
        );
    }

    #[test]
    fn template_directives_are_read_with_every_branch() {
        let tf = "resource \"kubectl_manifest\" \"x\" {\n  yaml_body = <<YAML\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n%{ if var.x ~}\n  labels: {a: b}\n%{ endif ~}\nYAML\n}\n";
        let objs = objects(&[("main.tf", tf)]);
        assert_eq!(objs.len(), 1, "{objs:?}");
        assert_eq!(objs[0].label("a"), Some("b"));
        assert_eq!(objs[0].labels_span.unwrap().start.line, 8);
    }

    #[test]
    fn a_namespace_resource_names_the_namespace() {
        let tf = "resource \"kubernetes_namespace\" \"apps\" {\n  metadata {\n    name = \"apps\"\n  }\n}\nresource \"kubernetes_manifest\" \"gw\" {\n  manifest = {\n    apiVersion = \"gateway.networking.k8s.io/v1\"\n    kind = \"Gateway\"\n    metadata = {\n      name = \"main\"\n      namespace = kubernetes_namespace.apps.metadata[0].name\n    }\n    spec = {\n      gatewayClassName = \"cilium\"\n      listeners = [{ name = \"http\", port = 80, protocol = \"HTTP\" }]\n    }\n  }\n}\n";
        let objs = objects(&[("main.tf", tf)]);
        let gw = objs.iter().find(|o| &*o.kind == "Gateway").unwrap();
        assert_eq!(gw.qualified_name(), "apps/main");
        assert_eq!(gw.gateway().unwrap().listeners.len(), 1);
    }

    #[test]
    fn what_does_not_parse_adds_nothing() {
        assert!(objects(&[("bad.tf", "resource \"helm_release\" {{{")]).is_empty());
        let heredoc_not_yaml =
            "resource \"kubectl_manifest\" \"x\" {\n  yaml_body = <<EOT\n: : [\nEOT\n}\n";
        assert!(objects(&[("x.tf", heredoc_not_yaml)]).is_empty());
    }

    /// Pieces of Terraform, of YAML and of nothing, put together at random.
    const FRAGMENTS: &[&str] = &[
        "resource \"kubectl_manifest\" \"x\" {\n",
        "resource \"kubernetes_manifest\" \"m\" {\n  manifest = {\n",
        "resource \"helm_release\" \"h\" {\n",
        "resource \"kubernetes_secret_v1\" \"s\" {\n  metadata {\n",
        "yaml_body = <<-YAML\n",
        "manifest = yamldecode(<<EOT\n",
        "  YAML\n",
        "EOT\n)\n",
        "}\n",
        "apiVersion: v1\nkind: Secret\n",
        "metadata:\n  name: ${var.x}\n",
        "  namespace = local.ns\n",
        "%{ if var.a ~}\n",
        "%{ endif }\n",
        "${",
        "%%{",
        "name = \"é☕\"\n",
        "data = { \"k\" = file(\"x\") }\n",
        "locals {\n  ns = local.ns\n}\n",
        "variable \"x\" {\n  default = var.x\n}\n",
        "\r\n",
        "[[[{{{",
    ];

    proptest::proptest! {
        #[test]
        fn no_text_makes_it_panic(picks in proptest::collection::vec(0..FRAGMENTS.len(), 0..24)) {
            let text: String = picks.iter().map(|&i| FRAGMENTS[i]).collect();
            let _ = objects(&[("main.tf", &text), ("terraform.tfvars", &text)]);
            let _ = secret_ranges(&text);
        }
    }

    #[test]
    fn locals_that_name_themselves_are_unknown() {
        let tf = "locals {\n  ns = local.ns\n}\nresource \"kubernetes_namespace\" \"n\" {\n  metadata {\n    name = local.ns\n  }\n}\n";
        assert_eq!(&*objects(&[("main.tf", tf)])[0].name, "${local.ns}");
    }

    #[test]
    fn secret_values_are_ranges_to_mask() {
        let tf = "resource \"kubernetes_secret\" \"s\" {\n  metadata {\n    name = \"s\"\n  }\n  data = {\n    password = \"hunter2\"\n  }\n}\n";
        let r = secret_ranges(tf);
        assert_eq!(&tf[r.values[0].clone()], "\"hunter2\"");
    }
}
