//! YAML documents with a span on every node, built from saphyr's event stream.
//!
//! saphyr's own tree loader recurses without a bound (deep nesting overflows a worker's stack) and
//! costs about 25x the source in memory. This builder keeps an explicit stack with a depth limit,
//! caps alias expansion and expands `<<` merge keys. A document lives in an [`Arena`]: flat nodes
//! whose children are contiguous, and one buffer for every scalar's text. The loader reuses one
//! arena for all the documents of a file, so a document costs no allocation once the arena has
//! grown, and dropping it is free; [`Node`] is a copyable view into it.

pub mod build;

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as SaphyrSpan};

use super::{LineIndex, Pos, Span, libyaml};

/// Deeper nesting than this is refused: no Kubernetes object comes near it, and it keeps every
/// recursive walk over the tree far from the stack limit.
pub const MAX_DEPTH: usize = 256;

/// Nodes one file may materialise by expanding aliases: bounds billion-laughs documents. Nodes
/// written out are bounded by the file's size instead.
pub const MAX_ALIAS_NODES: usize = 1_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Null,
    Str,
    Seq,
    Map,
}

/// One node. For a scalar, `start..start+len` is its text in [`Arena::strings`]; for a sequence,
/// its items are `nodes[start..start+len]`; for a mapping, its entries are the `len` key/value
/// pairs from `nodes[start]`.
#[derive(Clone, Copy, Debug)]
struct Raw {
    span: Span,
    kind: Kind,
    start: u32,
    len: u32,
}

/// The nodes and scalar text of one document; its root is the last node.
#[derive(Debug, Default)]
pub struct Arena {
    nodes: Vec<Raw>,
    strings: String,
}

static EMPTY: Arena = Arena {
    nodes: Vec::new(),
    strings: String::new(),
};

impl Arena {
    /// The document's root.
    pub fn root(&self) -> Node<'_> {
        match self.nodes.last() {
            Some(raw) => Node { arena: self, raw },
            None => Node {
                arena: &EMPTY,
                raw: &NULL,
            },
        }
    }

    fn clear(&mut self) {
        self.nodes.clear();
        self.strings.clear();
    }
}

static NULL: Raw = Raw {
    span: Span {
        start: Pos {
            line: 1,
            col: 1,
            byte: 0,
        },
        end: Pos {
            line: 1,
            col: 1,
            byte: 0,
        },
    },
    kind: Kind::Null,
    start: 0,
    len: 0,
};

/// A node of a loaded document.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    arena: &'a Arena,
    raw: &'a Raw,
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let span = self.span();
        write!(
            f,
            "{:?}@{}:{}",
            self.raw.kind, span.start.line, span.start.col
        )
    }
}

impl<'a> Node<'a> {
    pub fn span(self) -> Span {
        self.raw.span
    }

    /// The value under `key` in a mapping.
    pub fn get(self, key: &str) -> Option<Node<'a>> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// The key node (for its span) and the value under `key`.
    pub fn get_entry(self, key: &str) -> Option<(Node<'a>, Node<'a>)> {
        self.as_map().find(|(k, _)| k.as_str() == Some(key))
    }

    /// Walks a path of mapping keys.
    pub fn at(self, path: &[&str]) -> Option<Node<'a>> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn as_str(self) -> Option<&'a str> {
        let r = self.raw;
        (r.kind == Kind::Str)
            .then(|| &self.arena.strings[r.start as usize..(r.start + r.len) as usize])
    }

    /// A sequence's items; nothing for anything else.
    pub fn as_seq(self) -> Items<'a> {
        Items {
            arena: self.arena,
            raws: self.children(Kind::Seq, 1).iter(),
        }
    }

    /// A mapping's key/value pairs; nothing for anything else.
    pub fn as_map(self) -> Entries<'a> {
        Entries {
            arena: self.arena,
            pairs: self.children(Kind::Map, 2).chunks_exact(2),
        }
    }

    fn children(self, kind: Kind, per_entry: usize) -> &'a [Raw] {
        let r = self.raw;
        if r.kind != kind {
            return &[];
        }
        let start = r.start as usize;
        &self.arena.nodes[start..start + r.len as usize * per_entry]
    }

    pub fn is_map(self) -> bool {
        self.raw.kind == Kind::Map
    }

    pub fn as_bool(self) -> Option<bool> {
        match self.as_str()? {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }

    pub fn as_u32(self) -> Option<u32> {
        self.as_str()?.parse().ok()
    }

    pub fn is_null(self) -> bool {
        self.raw.kind == Kind::Null
    }

    /// Whether two nodes hold the same scalar text, or are the same collection.
    fn same_value(self, other: Node<'_>) -> bool {
        match (self.as_str(), other.as_str()) {
            (Some(a), Some(b)) => a == b,
            _ => {
                self.raw.kind == other.raw.kind
                    && (self.raw.kind == Kind::Null
                        || (self.raw.start, self.raw.len) == (other.raw.start, other.raw.len))
            }
        }
    }
}

/// The items of a sequence.
#[derive(Clone, Debug)]
pub struct Items<'a> {
    arena: &'a Arena,
    raws: std::slice::Iter<'a, Raw>,
}

impl Default for Items<'_> {
    fn default() -> Self {
        Items {
            arena: &EMPTY,
            raws: EMPTY_RAWS.iter(),
        }
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        let arena = self.arena;
        self.raws.next().map(|raw| Node { arena, raw })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.raws.size_hint()
    }
}

impl DoubleEndedIterator for Items<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let arena = self.arena;
        self.raws.next_back().map(|raw| Node { arena, raw })
    }
}

impl ExactSizeIterator for Items<'_> {}

/// The key/value pairs of a mapping.
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    arena: &'a Arena,
    pairs: std::slice::ChunksExact<'a, Raw>,
}

impl Default for Entries<'_> {
    fn default() -> Self {
        Entries {
            arena: &EMPTY,
            pairs: EMPTY_RAWS.chunks_exact(2),
        }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = (Node<'a>, Node<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let arena = self.arena;
        self.pairs
            .next()
            .map(|p| (Node { arena, raw: &p[0] }, Node { arena, raw: &p[1] }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.pairs.size_hint()
    }
}

impl ExactSizeIterator for Entries<'_> {}

const EMPTY_RAWS: &[Raw] = &[];

/// Why a file's YAML could not be loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

/// The documents of one file, each in its own arena. Documents completed before a syntax error
/// are kept; the error, if any, says where loading stopped.
#[derive(Debug, Default)]
pub struct Loaded {
    pub documents: Vec<Arena>,
    pub error: Option<YamlError>,
}

/// An open collection: where it starts and its children so far (keys and values alternate in a
/// mapping).
struct Frame {
    kind: Kind,
    start: Pos,
    anchor: usize,
    children: Vec<Raw>,
    /// How many children there were after the latest alias, and where that alias ends: an alias
    /// shares its anchor's span, which may lie before this collection.
    alias_end: (usize, Pos),
}

/// Edits a document before it becomes objects (kustomize patches): hands `emit` what to load in
/// its place (nothing drops it), with whether its objects are unverifiable. Layout makes the
/// edit and load applies it, so it lives here, below both.
pub type Edit<'a> = dyn Fn(Node<'_>, &mut dyn FnMut(Node<'_>, bool)) + Sync + 'a;

/// Rewrites a scalar's text (Flux variable substitution); `None` keeps it.
pub type Substitute<'s> = &'s dyn Fn(&str) -> Option<String>;

struct Builder<'i> {
    index: &'i LineIndex<'i>,
    substitute: Option<Substitute<'i>>,
    arena: Arena,
    stack: Vec<Frame>,
    /// Children buffers of closed frames, reused by the next ones.
    spare: Vec<Vec<Raw>>,
    /// Each anchored node with its node count and nesting depth, charged when it is aliased.
    anchors: HashMap<usize, (Raw, Size)>,
    alias_nodes: usize,
    /// Set when a document's root is complete (and the last node of the arena).
    done: bool,
    /// Documents completed, null ones included.
    documents: usize,
}

/// Every document of a file at once, each in its own arena, for callers that want them all.
pub fn load(text: &str, index: &LineIndex) -> Loaded {
    let mut documents = Vec::new();
    let error = run(text, index, None, |arena| {
        documents.push(std::mem::take(arena))
    });
    Loaded { documents, error }
}

/// Hands each non-null document to `each` as soon as it is complete; its arena is then reused
/// for the next one, so a file costs the memory of its largest document. Every scalar is passed
/// through `substitute`; spans stay those of the text as written. Returns the error that stopped
/// loading, if any, after the documents completed before it.
pub fn load_each<'i>(
    text: &str,
    index: &'i LineIndex<'i>,
    substitute: Option<Substitute<'i>>,
    mut each: impl FnMut(Node<'_>),
) -> Option<YamlError> {
    run(text, index, substitute, |arena| each(arena.root()))
}

/// Loads documents one by one; `each` gets the arena of each non-null one, which is cleared
/// afterwards unless `each` took it.
fn run<'i>(
    text: &str,
    index: &'i LineIndex<'i>,
    substitute: Option<Substitute<'i>>,
    mut each: impl FnMut(&mut Arena),
) -> Option<YamlError> {
    let saphyr = Parser::new_from_str(text).map(|item| {
        item.map_err(|e| {
            // saphyr may put an error past the end of a line: keep its byte, and give the line
            // and column of that byte (found by fuzzing).
            let at = index.pos(e.marker().line(), e.marker().col());
            YamlError {
                pos: index.pos_of_byte(at.byte as usize),
                message: e.info().to_string(),
            }
        })
    });
    let mut b = Builder::new(index, substitute);
    let error = match b.feed(saphyr, 0, &mut each) {
        Fed::All => return None,
        Fed::Syntax(error) | Fed::Refused(error) => error,
    };
    // kubectl reads YAML with libyaml's rules, which accept some text saphyr does not, and read
    // a few constructs otherwise (`{?, ?}` holds two `?` keys for saphyr, two empty keys for
    // libyaml; found by fuzzing). When libyaml accepts the file, load it from libyaml's events,
    // past the documents already handed over; the builder's own checks apply to them as well.
    // When libyaml rejects it too, saphyr's error stands, with the documents before it.
    if libyaml::Events::new(text, index).any(|item| item.is_err()) {
        return Some(error);
    }
    let handed = b.documents;
    let mut b = Builder::new(index, substitute);
    match b.feed(libyaml::Events::new(text, index), handed, &mut each) {
        Fed::All => None,
        Fed::Refused(error) => Some(error),
        // Not reached: libyaml has just accepted the same text.
        Fed::Syntax(_) => Some(error),
    }
}

/// How feeding a parser's events to the builder ended.
enum Fed {
    All,
    /// The parser rejected the text.
    Syntax(YamlError),
    /// The builder refused what the parser accepted (a duplicate key, a limit).
    Refused(YamlError),
}

impl<'i> Builder<'i> {
    fn new(index: &'i LineIndex<'i>, substitute: Option<Substitute<'i>>) -> Self {
        Builder {
            index,
            substitute,
            arena: Arena::default(),
            stack: Vec::new(),
            spare: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            done: false,
            documents: 0,
        }
    }

    /// Builds every document from `events`, handing each one after the first `skip` to `each`.
    fn feed<'t>(
        &mut self,
        events: impl Iterator<Item = Result<(Event<'t>, SaphyrSpan), YamlError>>,
        skip: usize,
        // Called once a document: a dynamic call costs nothing there, and one instance of the
        // callback serves both parsers.
        each: &mut dyn FnMut(&mut Arena),
    ) -> Fed {
        for item in events {
            let (event, span) = match item {
                Ok(pair) => pair,
                Err(error) => return Fed::Syntax(error),
            };
            if let Err(error) = self.event(event, span) {
                return Fed::Refused(error);
            }
            if self.done {
                self.done = false;
                self.documents += 1;
                // Anchors do not cross documents.
                self.anchors.clear();
                if self.documents > skip && !self.arena.root().is_null() {
                    each(&mut self.arena);
                }
                self.arena.clear();
            }
        }
        Fed::All
    }
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

    // `event`, `open` and `close` are inlined into each parser's loop, as they were when saphyr's
    // was the only one: called from two loops, LLVM keeps them out of line and the hot path pays
    // for the calls (1.5% of the instructions of a 10k-object run, measured with callgrind).
    #[inline(always)]
    fn event(&mut self, event: Event, span: SaphyrSpan) -> Result<(), YamlError> {
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let span = self.span(&span);
                let raw = if style == ScalarStyle::Plain && is_null(&text) {
                    Raw {
                        span,
                        kind: Kind::Null,
                        start: 0,
                        len: 0,
                    }
                } else {
                    let replaced = self.substitute.and_then(|f| f(&text));
                    let text = replaced.as_deref().unwrap_or(&text);
                    let start = self.arena.strings.len();
                    self.arena.strings.push_str(text);
                    Raw {
                        span,
                        kind: Kind::Str,
                        start: start as u32,
                        len: text.len() as u32,
                    }
                };
                self.complete(raw, anchor)
            }
            Event::Alias(id) => {
                let at = self.pos(&span.start);
                let Some(&(raw, size)) = self.anchors.get(&id) else {
                    return Err(self.error(
                        at,
                        "unknown alias: no anchor of that name earlier in this document \
                         (anchors do not carry across `---`)"
                            .into(),
                    ));
                };
                // An alias nests its anchor's whole tree here: bound the depth so walks over the
                // tree stay far from the stack limit.
                if self.stack.len() + size.depth > MAX_DEPTH {
                    return Err(self.too_deep(at));
                }
                self.count_alias(size.nodes, at)?;
                // The anchored node's children are already in the arena: the alias shares them.
                // A scalar is found where the alias uses it (`port: *port`), which is where a
                // finding about that value belongs; a collection keeps its anchor's spans.
                let end = self.pos(&span.end);
                let mut raw = raw;
                if matches!(raw.kind, Kind::Str | Kind::Null) {
                    raw.span = Span { start: at, end };
                }
                self.complete(raw, 0)?;
                if let Some(frame) = self.stack.last_mut() {
                    frame.alias_end = (frame.children.len(), end);
                }
                Ok(())
            }
            Event::SequenceStart(anchor, _) => self.open(Kind::Seq, anchor, &span),
            Event::MappingStart(anchor, _) => self.open(Kind::Map, anchor, &span),
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                // A block collection ends where the next token starts (a zero-width span on a
                // later line): end it at its last child instead, so underlines stay on it. A last
                // child reached through an alias ends where the alias is written (found by
                // fuzzing: the anchor's end came before the collection's start).
                let block_end = (span.start.index() == span.end.index())
                    .then(|| match frame.alias_end {
                        (n, end) if n > 0 && n == frame.children.len() => Some(end),
                        _ => frame.children.last().map(|c| c.span.end),
                    })
                    .flatten();
                let end = block_end.unwrap_or_else(|| self.pos(&span.end));
                let anchor = frame.anchor;
                let raw = self.close(frame, end)?;
                self.complete(raw, anchor)
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => Ok(()),
        }
    }

    #[inline(always)]
    fn open(&mut self, kind: Kind, anchor: usize, span: &SaphyrSpan) -> Result<(), YamlError> {
        let start = self.pos(&span.start);
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.too_deep(start));
        }
        let children = self.spare.pop().unwrap_or_default();
        self.stack.push(Frame {
            kind,
            start,
            anchor,
            children,
            alias_end: (0, start),
        });
        Ok(())
    }

    /// Moves a finished collection's children into the arena, after checking a mapping's keys
    /// and expanding its merge keys.
    #[inline(always)]
    fn close(&mut self, mut frame: Frame, end: Pos) -> Result<Raw, YamlError> {
        let per_entry = match frame.kind {
            Kind::Map => {
                // A key without its value cannot come from the parser; drop it all the same.
                frame.children.truncate(frame.children.len() & !1);
                self.unique_keys(&frame.children)?;
                self.merge_keys(&mut frame.children);
                2
            }
            _ => 1,
        };
        let start = self.arena.nodes.len();
        let len = frame.children.len() / per_entry;
        self.arena.nodes.append(&mut frame.children);
        self.spare.push(frame.children);
        Ok(Raw {
            span: Span {
                start: frame.start,
                end,
            },
            kind: frame.kind,
            start: start as u32,
            len: len as u32,
        })
    }

    fn too_deep(&self, pos: Pos) -> YamlError {
        self.error(
            pos,
            format!("nesting deeper than {MAX_DEPTH} levels; cilint does not load it"),
        )
    }

    fn str_of<'a>(&'a self, raw: &'a Raw) -> Option<&'a str> {
        Node {
            arena: &self.arena,
            raw,
        }
        .as_str()
    }

    /// Refuses a mapping that repeats a key, at the repeat: kubectl's strict decoding rejects
    /// the file ("mapping key already defined"), and which value wins is unclear to readers.
    fn unique_keys(&self, pairs: &[Raw]) -> Result<(), YamlError> {
        let keys = pairs.iter().step_by(2);
        let duplicate = |first: &Raw, again: &Raw, key: &str| {
            self.error(
                again.span.start,
                format!(
                    "duplicate key `{key}` (first at line {}); kubectl rejects the file",
                    first.span.start.line
                ),
            )
        };
        // Most mappings have a handful of keys: comparing each with the earlier ones is cheaper
        // than hashing them.
        if pairs.len() <= 32 {
            for (i, k) in keys.clone().enumerate() {
                let Some(key) = self.str_of(k).filter(|&key| key != "<<") else {
                    continue;
                };
                if let Some(first) = keys.clone().take(i).find(|f| self.str_of(f) == Some(key)) {
                    return Err(duplicate(first, k, key));
                }
            }
            return Ok(());
        }
        let mut seen: HashMap<&str, &Raw> = HashMap::with_capacity(pairs.len() / 2);
        for k in keys {
            let Some(key) = self.str_of(k).filter(|&key| key != "<<") else {
                continue;
            };
            if let Some(first) = seen.insert(key, k) {
                return Err(duplicate(first, k, key));
            }
        }
        Ok(())
    }

    /// Expands YAML 1.1 `<<` merge keys: entries of the merged maps fill in keys the map lacks.
    fn merge_keys(&self, pairs: &mut Vec<Raw>) {
        let is_merge = |k: &Raw| self.str_of(k) == Some("<<");
        if !pairs.iter().step_by(2).any(is_merge) {
            return;
        }
        let mut own = Vec::with_capacity(pairs.len());
        let mut merges = Vec::new();
        for pair in pairs.chunks_exact(2) {
            if is_merge(&pair[0]) {
                merges.push(pair[1]);
            } else {
                own.extend_from_slice(pair);
            }
        }
        let arena = &self.arena;
        for value in merges {
            let value = Node { arena, raw: &value };
            let sources: Vec<Node> = match value.raw.kind {
                Kind::Map => vec![value],
                Kind::Seq => value.as_seq().collect(),
                _ => continue,
            };
            for source in sources {
                for (k, v) in source.as_map() {
                    let present = own
                        .chunks_exact(2)
                        .any(|p| Node { arena, raw: &p[0] }.same_value(k));
                    if !present {
                        own.push(*k.raw);
                        own.push(*v.raw);
                    }
                }
            }
        }
        *pairs = own;
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

    fn complete(&mut self, raw: Raw, anchor: usize) -> Result<(), YamlError> {
        if anchor > 0 {
            let size = measure(Node {
                arena: &self.arena,
                raw: &raw,
            });
            self.anchors.insert(anchor, (raw, size));
        }
        match self.stack.last_mut() {
            Some(frame) => frame.children.push(raw),
            None => {
                self.arena.nodes.push(raw);
                self.done = true;
            }
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
fn measure(node: Node<'_>) -> Size {
    let children: Box<dyn Iterator<Item = Node<'_>>> = match node.raw.kind {
        Kind::Null | Kind::Str => return Size { nodes: 1, depth: 0 },
        Kind::Seq => Box::new(node.as_seq()),
        Kind::Map => Box::new(node.as_map().flat_map(|(k, v)| [k, v])),
    };
    children
        .map(measure)
        .fold(Size { nodes: 1, depth: 1 }, |acc, c| Size {
            nodes: acc.nodes + c.nodes,
            depth: acc.depth.max(c.depth + 1),
        })
}

/// A label value as a YAML scalar that stays a string.
pub fn yaml_scalar(value: &str) -> String {
    let plain_is_string = !value.is_empty()
        && value.parse::<f64>().is_err()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
        );
    if plain_is_string {
        value.to_string()
    } else {
        format!("\"{value}\"")
    }
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
        let doc = loaded.documents[0].root();
        let v = doc.get("namé").unwrap();
        assert_eq!(v.as_str(), Some("välue"));
        assert_eq!((v.span().start.line, v.span().start.col), (2, 7));
        assert_eq!(
            &text[v.span().start.byte as usize..v.span().end.byte as usize],
            "välue"
        );
    }

    #[test]
    fn block_collections_end_at_their_last_child() {
        let text = "a:\n  b: 1\n  c: [x, y]\n  d: {e: f}\nz:\n- 1\n- 2\nq: r\n";
        let loaded = load_str(text);
        let doc = loaded.documents[0].root();
        let slice = |n: Node| &text[n.span().start.byte as usize..n.span().end.byte as usize];
        assert_eq!(
            slice(doc.get("a").unwrap()),
            "b: 1\n  c: [x, y]\n  d: {e: f}"
        );
        assert_eq!(slice(doc.get("z").unwrap()), "1\n- 2");
        assert_eq!(slice(doc.at(&["a", "c"]).unwrap()), "[x, y]");
        assert_eq!(slice(doc.at(&["a", "d"]).unwrap()), "{e: f}");
    }

    #[test]
    fn a_block_collection_ending_in_an_alias_ends_at_the_alias() {
        let text = "base: &b {x: 1}\nm:\n  k: v\n  ref: *b\nn: 2\n";
        let loaded = load_str(text);
        let m = loaded.documents[0].root().get("m").unwrap();
        let span = m.span();
        assert!(span.start.byte <= span.end.byte, "{span:?}");
        assert_eq!(
            &text[span.start.byte as usize..span.end.byte as usize],
            "k: v\n  ref: *b"
        );
    }

    #[test]
    fn multiple_documents_and_merge_keys() {
        let text = "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n---\nk: v\n";
        let loaded = load_str(text);
        assert_eq!(loaded.documents.len(), 2);
        let m = loaded.documents[0].root().get("m").unwrap();
        assert_eq!(m.get("x").and_then(Node::as_str), Some("1"));
        assert_eq!(m.get("y").and_then(Node::as_str), Some("3"));
    }

    #[test]
    fn aliases_share_their_anchor_and_merge_lists_fill_missing_keys() {
        let text = "a: &a {x: 1, y: [p, q]}\nb: *a\nm:\n  <<: [*a, {z: 3, x: 9}]\n  y: own\n";
        let loaded = load_str(text);
        let doc = loaded.documents[0].root();
        let b = doc.get("b").unwrap();
        assert_eq!(b.at(&["x"]).and_then(Node::as_str), Some("1"));
        let items: Vec<_> = b
            .get("y")
            .unwrap()
            .as_seq()
            .filter_map(Node::as_str)
            .collect();
        assert_eq!(items, ["p", "q"]);
        let m = doc.get("m").unwrap();
        let keys: Vec<_> = m.as_map().filter_map(|(k, _)| k.as_str()).collect();
        // Own keys first, then merged ones in order; the first merged map wins over the second.
        assert_eq!(keys, ["y", "x", "z"]);
        assert_eq!(m.get("y").and_then(Node::as_str), Some("own"));
        assert_eq!(m.get("x").and_then(Node::as_str), Some("1"));
        assert_eq!(m.get("z").and_then(Node::as_str), Some("3"));
    }

    /// A value used through an alias is found where it is used: a finding about `port: *port`
    /// points at that line, not at the anchor.
    #[test]
    fn an_aliased_scalar_is_found_where_the_alias_is_written() {
        let text = "env:\n  PORT: &port 8080\nservice:\n  port: *port\n";
        let loaded = load_str(text);
        let doc = loaded.documents[0].root();
        let used = doc.at(&["service", "port"]).unwrap();
        assert_eq!(used.as_str(), Some("8080"));
        assert_eq!((used.span().start.line, used.span().start.col), (4, 9));
        let anchored = doc.at(&["env", "PORT"]).unwrap();
        assert_eq!(anchored.span().start.line, 2);
    }

    #[test]
    fn each_document_is_handed_over_alone() {
        let text = "a: 1\n---\n~\n---\nb: [2, 3]\n";
        let index = LineIndex::new(text);
        let mut seen = Vec::new();
        let error = load_each(text, &index, None, |doc| {
            let keys: Vec<String> = doc
                .as_map()
                .filter_map(|(k, _)| k.as_str())
                .map(String::from)
                .collect();
            seen.push(keys);
        });
        assert!(error.is_none());
        // The null document is skipped; the arena reused for the third holds only its nodes.
        assert_eq!(seen, [vec!["a".to_string()], vec!["b".to_string()]]);
    }

    #[test]
    fn duplicate_keys_are_found_in_small_and_large_mappings() {
        let small = load_str("a: 1\nb: 2\na: 3\n");
        assert!(
            small
                .error
                .unwrap()
                .message
                .contains("duplicate key `a` (first at line 1)")
        );
        let mut large: String = (0..40).map(|i| format!("k{i}: v\n")).collect();
        large.push_str("k7: again\n");
        let err = load_str(&large).error.unwrap();
        assert!(
            err.message.contains("duplicate key `k7` (first at line 8)"),
            "{err:?}"
        );
        assert_eq!(err.pos.line, 41);
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
