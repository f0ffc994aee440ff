//! YAML documents with a span on every node, built from saphyr's event stream.
//!
//! saphyr's own tree loader recurses without a bound (deep nesting overflows a worker's stack) and
//! costs about 25x the source in memory. This builder keeps an explicit stack with a depth limit,
//! caps alias expansion, expands `<<` merge keys, and produces a small tree that the model turns
//! into typed objects before it is dropped.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as SaphyrSpan};

use super::{LineIndex, Pos, Span};

/// Deeper nesting than this is refused: no Kubernetes object comes near it, and it keeps every
/// recursive walk over the tree (drop, clone) far from the stack limit.
pub const MAX_DEPTH: usize = 256;

/// Nodes one file may materialise by expanding aliases: bounds billion-laughs documents. Nodes
/// written out are bounded by the file's size instead.
pub const MAX_ALIAS_NODES: usize = 1_000_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Str(Box<str>),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The key node (for its span) and the value under `key`.
    pub fn get_entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// Walks a path of mapping keys.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn as_map(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.as_str()? {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }

    pub fn as_u32(&self) -> Option<u32> {
        self.as_str()?.parse().ok()
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }
}

/// Why a file's YAML could not be loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

/// The documents of one file. Documents completed before a syntax error are kept; the error, if
/// any, says where loading stopped.
#[derive(Debug, Default)]
pub struct Loaded {
    pub documents: Vec<Node>,
    pub error: Option<YamlError>,
}

enum Frame {
    Seq {
        start: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: Pos,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

/// Rewrites a scalar's text (Flux variable substitution); `None` keeps it.
pub type Substitute<'s> = &'s dyn Fn(&str) -> Option<String>;

struct Builder<'i> {
    index: &'i LineIndex<'i>,
    substitute: Option<Substitute<'i>>,
    stack: Vec<Frame>,
    /// Each anchored node with its node count and nesting depth, charged when it is aliased.
    anchors: HashMap<usize, (Node, Size)>,
    alias_nodes: usize,
    root: Option<Node>,
}

/// Every document of a file at once, for callers that want them all.
pub fn load(text: &str, index: &LineIndex) -> Loaded {
    let mut documents = Vec::new();
    let error = load_each(text, index, None, |doc| documents.push(doc));
    Loaded { documents, error }
}

/// Hands each non-null document to `each` as soon as it is complete, so a large file never holds
/// more than one document's tree. Every scalar is passed through `substitute`; spans stay those of
/// the text as written. Returns the error that stopped loading, if any, after the documents
/// completed before it.
pub fn load_each<'i>(
    text: &str,
    index: &'i LineIndex<'i>,
    substitute: Option<Substitute<'i>>,
    mut each: impl FnMut(Node),
) -> Option<YamlError> {
    let mut b = Builder {
        index,
        substitute,
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
    };
    for item in Parser::new_from_str(text) {
        let (event, span) = match item {
            Ok(pair) => pair,
            Err(e) => {
                let m = e.marker();
                return Some(YamlError {
                    pos: index.pos(m.line(), m.col()),
                    message: e.info().to_string(),
                });
            }
        };
        if let Err(error) = b.event(event, span) {
            return Some(error);
        }
        if let Some(root) = b.root.take() {
            // Anchors do not cross documents; free them before the next one grows.
            b.anchors.clear();
            if !root.is_null() {
                each(root);
            }
        }
    }
    None
}

impl Builder<'_> {
    fn pos(&self, m: &saphyr_parser::Marker) -> Pos {
        self.index.pos(m.line(), m.col())
    }

    fn span(&self, s: &SaphyrSpan) -> Span {
        Span {
            start: self.pos(&s.start),
            end: self.pos(&s.end),
        }
    }

    fn error(&self, pos: Pos, message: String) -> YamlError {
        YamlError { pos, message }
    }

    fn event(&mut self, event: Event, span: SaphyrSpan) -> Result<(), YamlError> {
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let value = if style == ScalarStyle::Plain && is_null(&text) {
                    Value::Null
                } else {
                    match self.substitute.and_then(|f| f(&text)) {
                        Some(replaced) => Value::Str(replaced.into()),
                        None => Value::Str(text.into()),
                    }
                };
                let node = Node {
                    span: self.span(&span),
                    value,
                };
                self.complete(node, anchor)
            }
            Event::Alias(id) => {
                let at = self.pos(&span.start);
                let Some((node, size)) = self.anchors.get(&id) else {
                    return Err(self.error(
                        at,
                        "unknown alias: no anchor of that name earlier in this document \
                         (anchors do not carry across `---`)"
                            .into(),
                    ));
                };
                let (node, size) = (node.clone(), *size);
                // An alias nests its anchor's whole tree here: a chain of aliases could otherwise
                // build a tree deep enough to overflow the stack when it is dropped.
                if self.stack.len() + size.depth > MAX_DEPTH {
                    return Err(self.too_deep(at));
                }
                self.count_alias(size.nodes, at)?;
                self.complete(node, 0)
            }
            Event::SequenceStart(anchor, _) => self.open(Frame::Seq {
                start: self.pos(&span.start),
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(anchor, _) => self.open(Frame::Map {
                start: self.pos(&span.start),
                anchor,
                entries: Vec::new(),
                key: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                // A block collection ends where the next token starts (a zero-width span on a
                // later line): end it at its last child instead, so underlines stay on it.
                let block_end = (span.start.index() == span.end.index())
                    .then(|| self.last_child_end())
                    .flatten();
                let end = block_end.unwrap_or_else(|| self.pos(&span.end));
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq {
                        start,
                        anchor,
                        items,
                    }) => (
                        Node {
                            span: Span { start, end },
                            value: Value::Seq(items),
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        start,
                        anchor,
                        entries,
                        ..
                    }) => (
                        Node {
                            span: Span { start, end },
                            value: Value::Map(merge_keys(self.unique_keys(entries)?)),
                        },
                        anchor,
                    ),
                    None => return Ok(()),
                };
                self.complete(node, anchor)
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => Ok(()),
        }
    }

    fn last_child_end(&self) -> Option<Pos> {
        match self.stack.last()? {
            Frame::Seq { items, .. } => items.last().map(|n| n.span.end),
            Frame::Map { entries, .. } => entries.last().map(|(_, v)| v.span.end),
        }
    }

    fn open(&mut self, frame: Frame) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            let pos = match &frame {
                Frame::Seq { start, .. } | Frame::Map { start, .. } => *start,
            };
            return Err(self.too_deep(pos));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn too_deep(&self, pos: Pos) -> YamlError {
        self.error(
            pos,
            format!("nesting deeper than {MAX_DEPTH} levels; cilint does not load it"),
        )
    }

    /// Refuses a mapping that repeats a key, at the repeat: kubectl's strict decoding rejects
    /// the file ("mapping key already defined"), and which value wins is unclear to readers.
    fn unique_keys(&self, entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, YamlError> {
        let mut seen: HashMap<&str, &Node> = HashMap::with_capacity(entries.len());
        for (k, _) in &entries {
            let Some(key) = k.as_str().filter(|&key| key != "<<") else {
                continue;
            };
            if let Some(first) = seen.insert(key, k) {
                return Err(self.error(
                    k.span.start,
                    format!(
                        "duplicate key `{key}` (first at line {}); kubectl rejects the file",
                        first.span.start.line
                    ),
                ));
            }
        }
        Ok(entries)
    }

    fn count_alias(&mut self, n: usize, at: Pos) -> Result<(), YamlError> {
        self.alias_nodes = self.alias_nodes.saturating_add(n);
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(self.error(
                at,
                format!(
                    "aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?); \
                     cilint does not load it"
                ),
            ));
        }
        Ok(())
    }

    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor > 0 {
            let size = measure(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }
}

fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// A tree's node count and how many collections deep it nests.
#[derive(Clone, Copy)]
struct Size {
    nodes: usize,
    depth: usize,
}

/// Recursion is safe here: every tree the builder makes, aliases included, nests at most
/// [`MAX_DEPTH`] deep.
fn measure(node: &Node) -> Size {
    let children: Box<dyn Iterator<Item = &Node>> = match &node.value {
        Value::Null | Value::Str(_) => return Size { nodes: 1, depth: 0 },
        Value::Seq(items) => Box::new(items.iter()),
        Value::Map(entries) => Box::new(entries.iter().flat_map(|(k, v)| [k, v])),
    };
    children
        .map(measure)
        .fold(Size { nodes: 1, depth: 1 }, |acc, c| Size {
            nodes: acc.nodes + c.nodes,
            depth: acc.depth.max(c.depth + 1),
        })
}

/// Expands YAML 1.1 `<<` merge keys: entries of the merged maps fill in keys the map lacks.
fn merge_keys(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
    if !entries.iter().any(|(k, _)| k.as_str() == Some("<<")) {
        return entries;
    }
    let (merges, mut own): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|(k, _)| k.as_str() == Some("<<"));
    for (_, value) in merges {
        let sources: Vec<Node> = match value.value {
            Value::Map(_) => vec![value],
            Value::Seq(items) => items,
            _ => continue,
        };
        for source in sources {
            if let Value::Map(src) = source.value {
                for (k, v) in src {
                    if !own.iter().any(|(ok, _)| ok.value == k.value) {
                        own.push((k, v));
                    }
                }
            }
        }
    }
    own
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> Loaded {
        load(text, &LineIndex::new(text))
    }

    #[test]
    fn spans_are_one_based_and_count_characters() {
        let text = "a: b\nnamé: välue\n";
        let loaded = load_str(text);
        let doc = &loaded.documents[0];
        let v = doc.get("namé").unwrap();
        assert_eq!(v.as_str(), Some("välue"));
        assert_eq!((v.span.start.line, v.span.start.col), (2, 7));
        assert_eq!(
            &text[v.span.start.byte as usize..v.span.end.byte as usize],
            "välue"
        );
    }

    #[test]
    fn block_collections_end_at_their_last_child() {
        let text = "a:\n  b: 1\n  c: [x, y]\n  d: {e: f}\nz:\n- 1\n- 2\nq: r\n";
        let loaded = load_str(text);
        let doc = &loaded.documents[0];
        let slice = |n: &Node| &text[n.span.start.byte as usize..n.span.end.byte as usize];
        assert_eq!(
            slice(doc.get("a").unwrap()),
            "b: 1\n  c: [x, y]\n  d: {e: f}"
        );
        assert_eq!(slice(doc.get("z").unwrap()), "1\n- 2");
        assert_eq!(slice(doc.at(&["a", "c"]).unwrap()), "[x, y]");
        assert_eq!(slice(doc.at(&["a", "d"]).unwrap()), "{e: f}");
    }

    #[test]
    fn multiple_documents_and_merge_keys() {
        let text = "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n---\nk: v\n";
        let loaded = load_str(text);
        assert_eq!(loaded.documents.len(), 2);
        let m = loaded.documents[0].get("m").unwrap();
        assert_eq!(m.get("x").and_then(Node::as_str), Some("1"));
        assert_eq!(m.get("y").and_then(Node::as_str), Some("3"));
    }

    #[test]
    fn syntax_error_keeps_earlier_documents() {
        let loaded = load_str("a: 1\n---\nb: [1, 2\nc: d\n");
        assert_eq!(loaded.documents.len(), 1);
        let err = loaded.error.unwrap();
        assert!(err.pos.line >= 3, "{err:?}");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = "- ".repeat(50_000) + "x\n";
        let loaded = load_str(&text);
        assert!(loaded.error.unwrap().message.contains("nesting deeper"));
        let flow = "[".repeat(50_000);
        assert!(load_str(&flow).error.is_some());
    }

    #[test]
    fn large_files_without_aliases_load() {
        let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b, c: d}\n";
        // 15 nodes a document: over a million nodes, no alias.
        let text = format!("{doc}---\n").repeat(70_000);
        let loaded = load_str(&text);
        assert!(loaded.error.is_none(), "{:?}", loaded.error);
        assert_eq!(loaded.documents.len(), 70_000);
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in 'b'..='k' {
            text.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        let loaded = load_str(&text);
        assert!(loaded.error.unwrap().message.contains("alias"));
    }
}
