//! Kubernetes label selectors (`matchLabels`, `matchExpressions`) with their spans.

use super::{Text, text};
use crate::source::Span;
use crate::source::yaml::Node;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: Vec<String>,
    pub span: Span,
}

/// One `key: value` pair of `matchLabels`, with the span of the whole entry.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelTerm {
    pub key: Text,
    pub value: Text,
    pub span: Span,
}

/// A parsed `LabelSelector`. An empty selector (`{}`) matches everything.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LabelSelector {
    pub match_labels: Vec<LabelTerm>,
    pub match_expressions: Vec<Requirement>,
    pub span: Span,
    /// Kubernetes' `LabelSelectorAsSelector` refuses the selector (see [`SelectorProblem`]):
    /// the controller cannot use it, so it matches nothing.
    pub invalid: bool,
    /// Why it is invalid, each at the node at fault.
    pub problems: Vec<SelectorProblem>,
}

/// What makes Kubernetes' `LabelSelectorAsSelector` (k8s.io/apimachinery
/// `pkg/apis/meta/v1/helpers.go`, copied into Cilium's slim types) refuse a selector, with the
/// span of the node at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorProblem {
    pub kind: ProblemKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// `In` / `NotIn` (the operator) without values: "values set can't be empty".
    NoValues(&'static str),
    /// `Exists` / `DoesNotExist` (the operator) with values: "values set must be empty".
    UnexpectedValues(&'static str),
    /// An operator that is none of the four (the CRD schema's enum refuses it too).
    UnknownOperator(String),
    /// A key that is not a qualified name (`validation.IsQualifiedName`), with why.
    InvalidKey(String, &'static str),
    /// A value that is not a label value (`validation.IsValidLabelValue`), with why.
    InvalidValue(String, &'static str),
}

impl LabelSelector {
    pub fn from_node(node: Node<'_>) -> LabelSelector {
        let mut sel = LabelSelector {
            span: node.span(),
            ..Default::default()
        };
        if let Some(labels) = node.get("matchLabels") {
            for (k, v) in labels.as_map() {
                if let Some(key) = k.as_str() {
                    sel.check_key(key, k.span());
                    sel.check_value(v.as_str().unwrap_or_default(), v.span());
                    sel.match_labels.push(LabelTerm {
                        key: text(key),
                        value: text(v.as_str().unwrap_or_default()),
                        span: Span {
                            start: k.span().start,
                            end: v.span().end.max(k.span().end),
                        },
                    });
                }
            }
        }
        for expr in node
            .get("matchExpressions")
            .map(Node::as_seq)
            .unwrap_or_default()
        {
            let key = expr.get("key").and_then(Node::as_str).unwrap_or_default();
            let key_span = expr.get("key").map_or(expr.span(), Node::span);
            let operator_node = expr.get("operator");
            let operator = match operator_node.and_then(Node::as_str) {
                Some("In") => Operator::In,
                Some("NotIn") => Operator::NotIn,
                Some("Exists") => Operator::Exists,
                Some("DoesNotExist") => Operator::DoesNotExist,
                other => {
                    sel.problem(
                        ProblemKind::UnknownOperator(other.unwrap_or_default().to_string()),
                        operator_node.map_or(expr.span(), Node::span),
                    );
                    continue;
                }
            };
            sel.check_key(key, key_span);
            let values_node = expr.get("values");
            let value_nodes: Vec<Node<'_>> =
                values_node.map(Node::as_seq).unwrap_or_default().collect();
            let values: Vec<String> = value_nodes
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            let operator_span = operator_node.map_or(expr.span(), Node::span);
            match operator {
                Operator::In | Operator::NotIn if value_nodes.is_empty() => sel.problem(
                    ProblemKind::NoValues(operator.name()),
                    values_node.map_or(operator_span, Node::span),
                ),
                Operator::Exists | Operator::DoesNotExist if !value_nodes.is_empty() => sel
                    .problem(
                        ProblemKind::UnexpectedValues(operator.name()),
                        values_node.map_or(operator_span, Node::span),
                    ),
                Operator::In | Operator::NotIn => {
                    for v in &value_nodes {
                        sel.check_value(v.as_str().unwrap_or_default(), v.span());
                    }
                }
                _ => {}
            }
            sel.match_expressions.push(Requirement {
                key: key.to_string(),
                operator,
                values,
                span: expr.span(),
            });
        }
        // A workload's selector and template labels are one or two terms, and a Vec grows to
        // four at once: the slack of every selector is kept as long as the objects are.
        sel.match_labels.shrink_to_fit();
        sel.match_expressions.shrink_to_fit();
        sel
    }

    fn problem(&mut self, kind: ProblemKind, span: Span) {
        self.invalid = true;
        self.problems.push(SelectorProblem { kind, span });
    }

    fn check_key(&mut self, key: &str, span: Span) {
        if let Some(why) = qualified_name_problem(key) {
            self.problem(ProblemKind::InvalidKey(key.to_string(), why), span);
        }
    }

    fn check_value(&mut self, value: &str, span: Span) {
        if let Some(why) = label_value_problem(value) {
            self.problem(ProblemKind::InvalidValue(value.to_string(), why), span);
        }
    }

    /// The selector without the terms at fault: what its author meant it to select, to name
    /// the Services an invalid selector leaves out. `None` when no term is left (nothing can be
    /// said of what it meant) or the selector is valid.
    pub fn intended(&self) -> Option<LabelSelector> {
        if !self.invalid {
            return None;
        }
        let at_fault = |span: Span| {
            self.problems
                .iter()
                .any(|p| p.span.start >= span.start && p.span.end <= span.end)
        };
        let sel = LabelSelector {
            match_labels: self
                .match_labels
                .iter()
                .filter(|t| !at_fault(t.span))
                .cloned()
                .collect(),
            match_expressions: self
                .match_expressions
                .iter()
                .filter(|r| !at_fault(r.span))
                .cloned()
                .collect(),
            span: self.span,
            invalid: false,
            problems: Vec::new(),
        };
        (!sel.match_labels.is_empty() || !sel.match_expressions.is_empty()).then_some(sel)
    }

    /// Whether the selector selects everything (no terms at all).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty() && !self.invalid
    }

    /// Whether labels, read through `get`, satisfy every term.
    pub fn matches<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        !self.invalid && self.failing_terms(get) == 0
    }

    /// How many terms the labels fail: 0 means the selector matches. Used to name the nearest
    /// miss.
    pub fn failing_terms<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> usize {
        let labels = self
            .match_labels
            .iter()
            .filter(|t| get(&t.key) != Some(t.value.as_str()))
            .count();
        let exprs = self
            .match_expressions
            .iter()
            .filter(|r| !requirement_holds(r, get(&r.key)))
            .count();
        labels + exprs
    }

    /// The terms that `get` fails, rendered as `key=value` / `key in (a, b)` for messages.
    pub fn describe_failures<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> Vec<String> {
        let mut out = Vec::new();
        for t in &self.match_labels {
            if get(&t.key) != Some(t.value.as_str()) {
                out.push(format!("{}={}", t.key, t.value));
            }
        }
        for r in &self.match_expressions {
            if !requirement_holds(r, get(&r.key)) {
                out.push(describe_requirement(r));
            }
        }
        out
    }
}

impl Operator {
    pub fn name(&self) -> &'static str {
        match self {
            Operator::In => "In",
            Operator::NotIn => "NotIn",
            Operator::Exists => "Exists",
            Operator::DoesNotExist => "DoesNotExist",
        }
    }
}

/// A `${VAR}` or `{{ }}` placeholder: what it becomes is not known, so it is not judged.
fn has_placeholder(text: &str) -> bool {
    text.contains("${") || text.contains("{{")
}

/// The name part of a qualified name and a label value: alphanumerics at both ends, `-`, `_`,
/// `.` between (k8s.io/apimachinery `pkg/util/validation`, `qualifiedNameFmt`).
fn name_chars_problem(text: &str) -> Option<&'static str> {
    let inner_ok = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !inner_ok {
        Some("only alphanumerics, `-`, `_` and `.` are allowed")
    } else if !ends_ok(text.chars().next()) || !ends_ok(text.chars().last()) {
        Some("it must begin and end with an alphanumeric character")
    } else {
        None
    }
}

/// Why `validation.IsQualifiedName` refuses a label key: an optional DNS-subdomain prefix and
/// `/`, then a name of at most 63 characters.
pub fn qualified_name_problem(key: &str) -> Option<&'static str> {
    if has_placeholder(key) {
        return None;
    }
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if name.contains('/') {
        return Some("a key holds at most one `/`");
    }
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Some("the prefix before `/` is empty");
        }
        if prefix.len() > 253 || !is_dns_subdomain(prefix) {
            return Some("the prefix before `/` must be a lowercase DNS subdomain");
        }
    }
    if name.is_empty() {
        return Some("the name part is empty");
    }
    if name.len() > 63 {
        return Some("the name part is longer than 63 characters");
    }
    name_chars_problem(name)
}

fn is_dns_subdomain(text: &str) -> bool {
    text.split('.').all(|label| {
        let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        !label.is_empty()
            && label.chars().all(|c| ok(c) || c == '-')
            && label.starts_with(ok)
            && label.ends_with(ok)
    })
}

/// Why `validation.IsValidLabelValue` refuses a value: empty, or at most 63 characters of the
/// name alphabet.
pub fn label_value_problem(value: &str) -> Option<&'static str> {
    if value.is_empty() || has_placeholder(value) {
        return None;
    }
    if value.len() > 63 {
        return Some("it is longer than 63 characters");
    }
    name_chars_problem(value)
}

pub fn requirement_holds(r: &Requirement, value: Option<&str>) -> bool {
    match r.operator {
        Operator::In => value.is_some_and(|v| r.values.iter().any(|x| x == v)),
        Operator::NotIn => value.is_none_or(|v| !r.values.iter().any(|x| x == v)),
        Operator::Exists => value.is_some(),
        Operator::DoesNotExist => value.is_none(),
    }
}

pub fn describe_requirement(r: &Requirement) -> String {
    match r.operator {
        Operator::In => format!("{} in ({})", r.key, r.values.join(", ")),
        Operator::NotIn => format!("{} notin ({})", r.key, r.values.join(", ")),
        Operator::Exists => r.key.clone(),
        Operator::DoesNotExist => format!("!{}", r.key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{LineIndex, yaml};

    fn selector(text: &str) -> LabelSelector {
        let loaded = yaml::load(text, &LineIndex::new(text));
        LabelSelector::from_node(loaded.documents[0].root())
    }

    fn labels<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |k| pairs.iter().find(|(pk, _)| *pk == k).map(|(_, v)| *v)
    }

    #[test]
    fn match_labels_and_expressions() {
        let sel = selector(
            "matchLabels: {a: x}\nmatchExpressions:\n- {key: b, operator: In, values: [1, 2]}\n\
             - {key: c, operator: NotIn, values: [no]}\n- {key: d, operator: DoesNotExist}\n",
        );
        assert!(sel.matches(labels(&[("a", "x"), ("b", "2")])));
        assert!(!sel.matches(labels(&[("a", "x"), ("b", "3")])));
        assert!(!sel.matches(labels(&[("a", "x"), ("b", "1"), ("c", "no")])));
        assert!(!sel.matches(labels(&[("a", "x"), ("b", "1"), ("d", "")])));
        assert_eq!(sel.failing_terms(labels(&[])), 2);
    }

    fn problems(text: &str) -> Vec<ProblemKind> {
        selector(text)
            .problems
            .into_iter()
            .map(|p| p.kind)
            .collect()
    }

    #[test]
    fn what_label_selector_as_selector_refuses() {
        assert_eq!(
            problems(
                "matchExpressions:\n- {key: a, operator: In}\n- {key: b, operator: NotIn, values: []}\n"
            ),
            [ProblemKind::NoValues("In"), ProblemKind::NoValues("NotIn")]
        );
        assert_eq!(
            problems(
                "matchExpressions:\n- {key: a, operator: Exists, values: [x]}\n- {key: b, operator: DoesNotExist, values: [\"\"]}\n"
            ),
            [
                ProblemKind::UnexpectedValues("Exists"),
                ProblemKind::UnexpectedValues("DoesNotExist")
            ]
        );
        assert_eq!(
            problems("matchExpressions:\n- {key: a, operator: in, values: [x]}\n"),
            [ProblemKind::UnknownOperator("in".into())]
        );
        let keys = problems(
            "matchLabels: {\"bad key\": x, \"Example.com/app\": x, \"a/b/c\": x, \"/app\": x, \"-app\": x}\n",
        );
        assert_eq!(keys.len(), 5, "{keys:?}");
        assert!(
            keys.iter()
                .all(|k| matches!(k, ProblemKind::InvalidKey(..)))
        );
        let values = problems(&format!(
            "matchLabels: {{a: \"-x\", b: \"x y\", c: {}}}\nmatchExpressions:\n- {{key: d, operator: In, values: [\"x_\"]}}\n",
            "v".repeat(64)
        ));
        assert_eq!(values.len(), 4, "{values:?}");
        assert!(
            values
                .iter()
                .all(|k| matches!(k, ProblemKind::InvalidValue(..)))
        );
    }

    #[test]
    fn valid_selectors_and_placeholders_have_no_problems() {
        for text in [
            "matchLabels: {app.kubernetes.io/name: web, io.kubernetes.service.namespace: dns, empty: \"\"}\n",
            "matchExpressions:\n- {key: somekey, operator: NotIn, values: [never-used-value]}\n",
            "matchExpressions:\n- {key: node-role.kubernetes.io/control-plane, operator: DoesNotExist}\n",
            "matchLabels: {zone: \"${ZONE}\", \"{{ .Values.key }}\": x}\n",
            "{}",
        ] {
            let sel = selector(text);
            assert!(
                sel.problems.is_empty() && !sel.invalid,
                "{text}: {:?}",
                sel.problems
            );
        }
        // What an invalid selector was meant to select: its valid terms.
        let meant = selector("matchLabels: {a: x}\nmatchExpressions:\n- {key: b, operator: In}\n")
            .intended()
            .unwrap();
        assert_eq!(
            (meant.match_labels.len(), meant.match_expressions.len()),
            (1, 0)
        );
        assert!(
            selector("matchExpressions:\n- {key: b, operator: In}\n")
                .intended()
                .is_none()
        );
    }

    #[test]
    fn empty_selects_everything_and_unknown_operator_nothing() {
        assert!(selector("{}").matches(labels(&[])));
        let bad = selector("matchExpressions:\n- {key: a, operator: Foo}\n");
        assert!(!bad.matches(labels(&[("a", "b")])));
    }
}
