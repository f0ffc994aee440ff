//! libyaml as the oracle for cilint's YAML loader: libyaml's event stream, driven here directly
//! through `unsafe-libyaml` (not through cilint's own fallback, so a mistake there cannot hide),
//! built into plain trees.
//!
//! libyaml's parser knows nothing of aliases' targets, merge keys or duplicate keys; kubectl's
//! decoder and cilint do. The trees apply cilint's documented policy on top of libyaml's events
//! (aliases resolved, `<<` merged, null scalars) and say which of cilint's deliberate refusals the
//! text meets, so a test can tell a refusal on purpose from a false `yaml-syntax`.

use std::collections::HashMap;
use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::rc::Rc;

use cilint::source::yaml::{MAX_ALIAS_NODES, MAX_DEPTH, Node};
use unsafe_libyaml as unsafe_sys;

/// A node as libyaml's events describe it, with its size for the alias limits. Aliases share
/// their anchor's `Rc`.
#[derive(Debug)]
pub struct Value {
    pub kind: Kind,
    /// Nodes in the tree, aliases expanded.
    nodes: usize,
    /// Collections deep.
    depth: usize,
}

#[derive(Debug)]
pub enum Kind {
    Null,
    Str(String),
    Seq(Vec<Rc<Value>>),
    Map(Vec<(Rc<Value>, Rc<Value>)>),
}

impl Value {
    fn new(kind: Kind) -> Rc<Value> {
        let children: Vec<&Rc<Value>> = match &kind {
            Kind::Null | Kind::Str(_) => Vec::new(),
            Kind::Seq(items) => items.iter().collect(),
            Kind::Map(pairs) => pairs.iter().flat_map(|(k, v)| [k, v]).collect(),
        };
        let nodes = 1 + children.iter().map(|c| c.nodes).sum::<usize>();
        let depth = match kind {
            Kind::Null | Kind::Str(_) => 0,
            _ => 1 + children.iter().map(|c| c.depth).max().unwrap_or(0),
        };
        Rc::new(Value { kind, nodes, depth })
    }
}

/// The refusals cilint makes on purpose on text libyaml's parser accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Refusals {
    /// A mapping repeats a key (kubectl's strict decoding rejects it).
    pub duplicate_key: bool,
    /// Nesting, aliases expanded, deeper than `MAX_DEPTH`.
    pub too_deep: bool,
    /// Aliases expanding to more than `MAX_ALIAS_NODES` nodes in one file.
    pub alias_bomb: bool,
    /// An alias with no anchor earlier in its document (go-yaml and libyaml's loader reject it).
    pub unknown_alias: bool,
}

impl Refusals {
    pub fn any(self) -> bool {
        self != Refusals::default()
    }

    /// Whether cilint's error message is one of the refusals this text meets.
    pub fn explain(self, message: &str) -> bool {
        (self.duplicate_key && message.starts_with("duplicate key"))
            || (self.too_deep && message.starts_with("nesting deeper"))
            || (self.alias_bomb && message.starts_with("aliases expand"))
            || (self.unknown_alias && message.starts_with("unknown alias"))
    }
}

/// What libyaml made of a text it accepts: its non-null documents (as cilint hands them over) and
/// the refusals met. Documents stop at the first refusal.
#[derive(Debug, Default)]
pub struct Accepted {
    pub documents: Vec<Rc<Value>>,
    pub refusals: Refusals,
}

/// libyaml's reading of `text`: `Err` with libyaml's message when it rejects the text.
pub fn libyaml(text: &str) -> Result<Accepted, String> {
    let mut parser = LibYaml::new(text);
    let mut tree = Tree::default();
    loop {
        match parser.next()? {
            Ev::End => return Ok(tree.finish()),
            event => tree.event(event),
        }
    }
}

/// One libyaml event, copied out.
enum Ev {
    End,
    DocumentEnd,
    Alias(Vec<u8>),
    Scalar(String, bool, Option<Vec<u8>>),
    Start(bool, Option<Vec<u8>>),
    Finish,
    Other,
}

struct LibYaml<'t> {
    sys: Box<unsafe_sys::yaml_parser_t>,
    _text: std::marker::PhantomData<&'t str>,
}

impl<'t> LibYaml<'t> {
    fn new(text: &'t str) -> Self {
        let mut parser = Box::<unsafe_sys::yaml_parser_t>::new_uninit();
        // SAFETY: initialize zeroes the struct; the boxed parser never moves once the input is
        // set; the input outlives it through the borrow.
        unsafe {
            assert!(unsafe_sys::yaml_parser_initialize(parser.as_mut_ptr()).ok);
            let mut sys = parser.assume_init();
            unsafe_sys::yaml_parser_set_input_string(&mut *sys, text.as_ptr(), text.len() as u64);
            LibYaml {
                sys,
                _text: std::marker::PhantomData,
            }
        }
    }

    fn next(&mut self) -> Result<Ev, String> {
        let mut event = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
        // SAFETY: a successful parse initialises the event, which is read by its type and deleted
        // before returning; a failed one leaves nothing to free.
        unsafe {
            if !unsafe_sys::yaml_parser_parse(&mut *self.sys, event.as_mut_ptr()).ok {
                let p: &unsafe_sys::yaml_parser_t = &self.sys;
                let problem = if p.problem.is_null() {
                    "?".into()
                } else {
                    CStr::from_ptr(p.problem).to_string_lossy().into_owned()
                };
                return Err(format!("{problem} at byte {}", p.problem_mark.index));
            }
            let e = event.assume_init_mut();
            let name =
                |p: *const u8| (!p.is_null()).then(|| CStr::from_ptr(p.cast()).to_bytes().to_vec());
            let ev = match e.type_ {
                unsafe_sys::YAML_STREAM_END_EVENT | unsafe_sys::YAML_NO_EVENT => Ev::End,
                unsafe_sys::YAML_DOCUMENT_END_EVENT => Ev::DocumentEnd,
                unsafe_sys::YAML_ALIAS_EVENT => {
                    Ev::Alias(name(e.data.alias.anchor).unwrap_or_default())
                }
                unsafe_sys::YAML_SCALAR_EVENT => {
                    let s = e.data.scalar;
                    let bytes = if s.value.is_null() {
                        &[][..]
                    } else {
                        std::slice::from_raw_parts(s.value, s.length as usize)
                    };
                    Ev::Scalar(
                        String::from_utf8(bytes.to_vec()).expect("libyaml gives UTF-8"),
                        s.style == unsafe_sys::YAML_PLAIN_SCALAR_STYLE,
                        name(s.anchor),
                    )
                }
                unsafe_sys::YAML_SEQUENCE_START_EVENT => {
                    Ev::Start(false, name(e.data.sequence_start.anchor))
                }
                unsafe_sys::YAML_MAPPING_START_EVENT => {
                    Ev::Start(true, name(e.data.mapping_start.anchor))
                }
                unsafe_sys::YAML_SEQUENCE_END_EVENT | unsafe_sys::YAML_MAPPING_END_EVENT => {
                    Ev::Finish
                }
                _ => Ev::Other,
            };
            unsafe_sys::yaml_event_delete(e);
            Ok(ev)
        }
    }
}

impl Drop for LibYaml<'_> {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, deleted once.
        unsafe { unsafe_sys::yaml_parser_delete(&mut *self.sys) }
    }
}

struct Open {
    map: bool,
    anchor: Option<Vec<u8>>,
    children: Vec<Rc<Value>>,
}

/// Builds the trees; the depth bound keeps every tree it holds shallow enough to walk and drop
/// recursively.
#[derive(Default)]
struct Tree {
    out: Accepted,
    stack: Vec<Open>,
    anchors: HashMap<Vec<u8>, Rc<Value>>,
    alias_nodes: usize,
    root: Option<Rc<Value>>,
    /// Set at the first refusal: the rest of the text is only checked by libyaml.
    stopped: bool,
}

impl Tree {
    fn finish(self) -> Accepted {
        self.out
    }

    fn event(&mut self, event: Ev) {
        if self.stopped {
            return;
        }
        match event {
            Ev::End | Ev::Other => {}
            Ev::DocumentEnd => {
                self.anchors.clear();
                if let Some(root) = self.root.take()
                    && !matches!(root.kind, Kind::Null)
                {
                    self.out.documents.push(root);
                }
            }
            Ev::Scalar(text, plain, anchor) => {
                let null = plain && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL");
                let kind = if null { Kind::Null } else { Kind::Str(text) };
                self.complete(Value::new(kind), anchor);
            }
            Ev::Alias(name) => {
                let Some(node) = self.anchors.get(&name).cloned() else {
                    return self.refuse(|r| r.unknown_alias = true);
                };
                if self.stack.len() + node.depth > MAX_DEPTH {
                    return self.refuse(|r| r.too_deep = true);
                }
                self.alias_nodes += node.nodes;
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return self.refuse(|r| r.alias_bomb = true);
                }
                self.complete(node, None);
            }
            Ev::Start(map, anchor) => {
                if self.stack.len() >= MAX_DEPTH {
                    return self.refuse(|r| r.too_deep = true);
                }
                self.stack.push(Open {
                    map,
                    anchor,
                    children: Vec::new(),
                });
            }
            Ev::Finish => {
                let open = self.stack.pop().expect("libyaml balances its collections");
                let kind = if open.map {
                    let pairs: Vec<(Rc<Value>, Rc<Value>)> = open
                        .children
                        .chunks_exact(2)
                        .map(|p| (p[0].clone(), p[1].clone()))
                        .collect();
                    if has_duplicate_key(&pairs) {
                        return self.refuse(|r| r.duplicate_key = true);
                    }
                    Kind::Map(merge(pairs))
                } else {
                    Kind::Seq(open.children)
                };
                self.complete(Value::new(kind), open.anchor);
            }
        }
    }

    fn refuse(&mut self, set: impl FnOnce(&mut Refusals)) {
        set(&mut self.out.refusals);
        self.stopped = true;
    }

    fn complete(&mut self, node: Rc<Value>, anchor: Option<Vec<u8>>) {
        if let Some(name) = anchor {
            self.anchors.insert(name, node.clone());
        }
        match self.stack.last_mut() {
            Some(open) => open.children.push(node),
            None => self.root = Some(node),
        }
    }
}

fn is_merge(key: &Value) -> bool {
    matches!(&key.kind, Kind::Str(s) if s == "<<")
}

/// cilint's policy: a repeated string key, other than `<<`, is refused.
fn has_duplicate_key(pairs: &[(Rc<Value>, Rc<Value>)]) -> bool {
    let mut seen = std::collections::HashSet::new();
    pairs.iter().any(|(k, _)| match &k.kind {
        Kind::Str(s) if s != "<<" => !seen.insert(s.as_str()),
        _ => false,
    })
}

/// YAML 1.1 merge keys as cilint expands them: own entries in order, then each merged map's
/// entries whose key the map lacks.
fn merge(pairs: Vec<(Rc<Value>, Rc<Value>)>) -> Vec<(Rc<Value>, Rc<Value>)> {
    let mut own = Vec::new();
    let mut merges = Vec::new();
    for (k, v) in pairs {
        if is_merge(&k) {
            merges.push(v);
        } else {
            own.push((k, v));
        }
    }
    for m in merges {
        let sources: Vec<Rc<Value>> = match &m.kind {
            Kind::Map(_) => vec![m.clone()],
            Kind::Seq(items) => items.clone(),
            _ => continue,
        };
        for source in sources {
            let Kind::Map(entries) = &source.kind else {
                continue;
            };
            for (k, v) in entries {
                if !own.iter().any(|(o, _)| same_value(o, k)) {
                    own.push((k.clone(), v.clone()));
                }
            }
        }
    }
    own
}

fn same_value(a: &Rc<Value>, b: &Rc<Value>) -> bool {
    match (&a.kind, &b.kind) {
        (Kind::Str(x), Kind::Str(y)) => x == y,
        (Kind::Null, Kind::Null) => true,
        _ => Rc::ptr_eq(a, b),
    }
}

/// Where cilint's node and libyaml's value first differ, if they do.
pub fn differ(node: Node<'_>, value: &Value, path: &mut String) -> Option<String> {
    let kind = |n: Node<'_>| {
        if n.is_null() {
            "null"
        } else if n.as_str().is_some() {
            "string"
        } else if n.is_map() {
            "mapping"
        } else {
            "sequence"
        }
    };
    match &value.kind {
        Kind::Null if node.is_null() => None,
        Kind::Str(s) if node.as_str() == Some(s.as_str()) => None,
        Kind::Seq(items) if kind(node) == "sequence" && node.as_seq().len() == items.len() => {
            for (i, (n, v)) in node.as_seq().zip(items).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                if let Some(d) = differ(n, v, path) {
                    return Some(d);
                }
                path.truncate(len);
            }
            None
        }
        Kind::Map(pairs) if node.is_map() && node.as_map().len() == pairs.len() => {
            for (i, ((nk, nv), (k, v))) in node.as_map().zip(pairs).enumerate() {
                let len = path.len();
                path.push_str(&format!(".<key {i}>"));
                if let Some(d) = differ(nk, k, path) {
                    return Some(d);
                }
                path.truncate(len);
                path.push_str(&format!(".{}", nk.as_str().unwrap_or("<complex>")));
                if let Some(d) = differ(nv, v, path) {
                    return Some(d);
                }
                path.truncate(len);
            }
            None
        }
        _ => {
            let theirs = match &value.kind {
                Kind::Null => "null".to_string(),
                Kind::Str(s) => format!("string {s:?}"),
                Kind::Seq(items) => format!("sequence of {}", items.len()),
                Kind::Map(pairs) => format!("mapping of {}", pairs.len()),
            };
            let ours = match node.as_str() {
                Some(s) => format!("string {s:?}"),
                None if node.is_map() => format!("mapping of {}", node.as_map().len()),
                None if node.is_null() => "null".to_string(),
                None => format!("sequence of {}", node.as_seq().len()),
            };
            Some(format!("at {path}: cilint has {ours}, libyaml {theirs}"))
        }
    }
}
