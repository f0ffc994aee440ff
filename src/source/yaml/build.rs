//! Owned YAML trees that can be edited and turned back into an [`Arena`]. kustomize patches are
//! applied to a document this way before it becomes objects; the loader itself never builds one,
//! so files no patch touches cost nothing here.

use super::{Arena, Kind, Node, Raw};
use crate::source::Span;

/// A node's contents. Scalars are text, as in the arena (`Null` is a plain null).
#[derive(Clone, Debug)]
pub enum Data {
    Null,
    Str(String),
    Seq(Vec<Value>),
    Map(Vec<(Value, Value)>),
}

/// A node with the span of the text it was written as (which file that is, is the caller's
/// business: a patched document mixes nodes of several files).
#[derive(Clone, Debug)]
pub struct Value {
    pub span: Span,
    pub data: Data,
}

impl Value {
    /// A copy of a loaded node and everything under it (aliases expanded).
    pub fn of(node: Node<'_>) -> Value {
        // Recursion is bounded: loaded trees nest at most `MAX_DEPTH` deep.
        let data = match node.raw.kind {
            Kind::Null => Data::Null,
            Kind::Str => Data::Str(node.as_str().unwrap_or_default().to_string()),
            Kind::Seq => Data::Seq(node.as_seq().map(Value::of).collect()),
            Kind::Map => Data::Map(
                node.as_map()
                    .map(|(k, v)| (Value::of(k), Value::of(v)))
                    .collect(),
            ),
        };
        Value {
            span: node.span(),
            data,
        }
    }

    pub fn str(span: Span, text: &str) -> Value {
        Value {
            span,
            data: Data::Str(text.to_string()),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.data {
            Data::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.data, Data::Null)
    }

    pub fn entries(&self) -> &[(Value, Value)] {
        match &self.data {
            Data::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Value] {
        match &self.data {
            Data::Seq(items) => items,
            _ => &[],
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries()
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match &mut self.data {
            Data::Map(entries) => entries
                .iter_mut()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Walks a path of mapping keys.
    pub fn at(&self, path: &[&str]) -> Option<&Value> {
        path.iter().try_fold(self, |v, key| v.get(key))
    }

    /// Whether two trees hold the same values, wherever they were written.
    pub fn same(&self, other: &Value) -> bool {
        match (&self.data, &other.data) {
            (Data::Null, Data::Null) => true,
            (Data::Str(a), Data::Str(b)) => a == b,
            (Data::Seq(a), Data::Seq(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (Data::Map(a), Data::Map(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(k, v)| {
                        k.as_str()
                            .and_then(|k| other.get(k))
                            .is_some_and(|w| v.same(w))
                    })
            }
            _ => false,
        }
    }

    /// How many collections deep the tree nests (a scalar is 0).
    pub fn depth(&self) -> usize {
        match &self.data {
            Data::Null | Data::Str(_) => 0,
            Data::Seq(items) => 1 + items.iter().map(Value::depth).max().unwrap_or(0),
            Data::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.depth().max(v.depth()))
                    .max()
                    .unwrap_or(0)
            }
        }
    }

    /// Every span in the tree rewritten by `f`, and every scalar by `text` (when it returns a
    /// new text).
    pub fn rewrite(&mut self, f: &dyn Fn(Span) -> Span, text: &dyn Fn(&str) -> Option<String>) {
        self.span = f(self.span);
        match &mut self.data {
            Data::Null => {}
            Data::Str(s) => {
                if let Some(new) = text(s) {
                    *s = new;
                }
            }
            Data::Seq(items) => items.iter_mut().for_each(|v| v.rewrite(f, text)),
            Data::Map(entries) => {
                for (k, v) in entries {
                    k.rewrite(f, text);
                    v.rewrite(f, text);
                }
            }
        }
    }

    /// The tree as a document arena, its root the last node, as the loader makes them.
    pub fn into_arena(self) -> Arena {
        let mut arena = Arena::default();
        let root = push(&mut arena, self);
        arena.nodes.push(root);
        arena
    }
}

/// Adds a tree's descendants to the arena and returns the tree's own node, whose children are
/// contiguous in `nodes` as [`Raw`] requires.
fn push(arena: &mut Arena, value: Value) -> Raw {
    let span = value.span;
    let (kind, children) = match value.data {
        Data::Null => {
            return Raw {
                span,
                kind: Kind::Null,
                start: 0,
                len: 0,
            };
        }
        Data::Str(s) => {
            let start = arena.strings.len();
            arena.strings.push_str(&s);
            return Raw {
                span,
                kind: Kind::Str,
                start: start as u32,
                len: s.len() as u32,
            };
        }
        Data::Seq(items) => (
            Kind::Seq,
            items
                .into_iter()
                .map(|v| push(arena, v))
                .collect::<Vec<_>>(),
        ),
        Data::Map(entries) => (
            Kind::Map,
            entries
                .into_iter()
                .flat_map(|(k, v)| [k, v])
                .map(|v| push(arena, v))
                .collect::<Vec<_>>(),
        ),
    };
    let start = arena.nodes.len();
    let len = match kind {
        Kind::Map => children.len() / 2,
        _ => children.len(),
    };
    arena.nodes.extend(children);
    Raw {
        span,
        kind,
        start: start as u32,
        len: len as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::LineIndex;
    use crate::source::yaml::load;

    #[test]
    fn a_document_survives_the_round_trip_with_its_spans() {
        let text = "a: &x {b: 1, c: [p, q]}\nd: *x\ne: ~\nf: \"\"\n";
        let loaded = load(text, &LineIndex::new(text));
        let doc = loaded.documents[0].root();
        let value = Value::of(doc);
        assert_eq!(value.depth(), 3);
        let arena = value.clone().into_arena();
        let back = arena.root();
        assert_eq!(back.at(&["d", "c"]).unwrap().as_seq().count(), 2);
        assert_eq!(back.at(&["a", "b"]).and_then(Node::as_str), Some("1"));
        assert!(back.get("e").unwrap().is_null());
        assert_eq!(back.get("f").and_then(Node::as_str), Some(""));
        let b = back.at(&["a", "b"]).unwrap().span();
        assert_eq!(b, doc.at(&["a", "b"]).unwrap().span());
        assert!(Value::of(back).same(&value));
    }

    #[test]
    fn rewrite_moves_spans_and_texts() {
        let text = "k: v\n";
        let loaded = load(text, &LineIndex::new(text));
        let mut value = Value::of(loaded.documents[0].root());
        value.rewrite(
            &|mut s| {
                s.start.byte += 100;
                s
            },
            &|t| (t == "v").then(|| "w".to_string()),
        );
        assert_eq!(value.get("k").and_then(Value::as_str), Some("w"));
        assert_eq!(value.get("k").unwrap().span.start.byte, 103);
    }
}
