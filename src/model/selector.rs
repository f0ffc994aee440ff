//! Kubernetes label selectors (`matchLabels`, `matchExpressions`) with their spans.

use crate::source::Span;
use crate::source::yaml::Node;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Clone, Debug)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: Vec<String>,
    pub span: Span,
}

/// One `key: value` pair of `matchLabels`, with the span of the whole entry.
#[derive(Clone, Debug)]
pub struct LabelTerm {
    pub key: String,
    pub value: String,
    pub span: Span,
}

/// A parsed `LabelSelector`. An empty selector (`{}`) matches everything.
#[derive(Clone, Debug, Default)]
pub struct LabelSelector {
    pub match_labels: Vec<LabelTerm>,
    pub match_expressions: Vec<Requirement>,
    pub span: Span,
    /// An operator the selector does not know; such a selector matches nothing (the API server
    /// would reject it).
    pub invalid: bool,
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
                    sel.match_labels.push(LabelTerm {
                        key: key.to_string(),
                        value: v.as_str().unwrap_or_default().to_string(),
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
            let operator = match expr.get("operator").and_then(Node::as_str) {
                Some("In") => Operator::In,
                Some("NotIn") => Operator::NotIn,
                Some("Exists") => Operator::Exists,
                Some("DoesNotExist") => Operator::DoesNotExist,
                _ => {
                    sel.invalid = true;
                    continue;
                }
            };
            let values = expr
                .get("values")
                .map(Node::as_seq)
                .unwrap_or_default()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            sel.match_expressions.push(Requirement {
                key: key.to_string(),
                operator,
                values,
                span: expr.span(),
            });
        }
        sel
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

fn requirement_holds(r: &Requirement, value: Option<&str>) -> bool {
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

    #[test]
    fn empty_selects_everything_and_unknown_operator_nothing() {
        assert!(selector("{}").matches(labels(&[])));
        let bad = selector("matchExpressions:\n- {key: a, operator: Foo}\n");
        assert!(!bad.matches(labels(&[("a", "b")])));
    }
}
