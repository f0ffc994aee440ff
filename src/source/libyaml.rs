//! libyaml's reading of a file, for the files saphyr rejects.
//!
//! kubectl, Flux and Argo CD parse YAML with go-yaml, a port of libyaml, which accepts some text
//! that saphyr refuses (a multi-line quoted scalar whose continuation lines start at column 0,
//! among others). When saphyr rejects a file, or the builder refuses saphyr's reading of it, the
//! loader re-reads it with libyaml, through `unsafe-libyaml` (libyaml translated to Rust), and
//! feeds libyaml's events, turned into saphyr's event type, to the same builder: same arena, same
//! limits, same merge keys and duplicate keys.
//!
//! The library's unsafe code is here, in [`Parser`] and `copy`: one libyaml parser, owned,
//! each event's data copied out, and every event and the parser itself freed on every path.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::CStr;
use std::marker::PhantomData;
use std::mem::MaybeUninit;

use saphyr_parser::{Event, Marker, ScalarStyle, Span as SaphyrSpan};
use unsafe_libyaml as unsafe_sys;

use super::LineIndex;
use super::yaml::YamlError;

/// Why libyaml refused a text: the byte offset where it stopped and its own words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Error {
    pub byte: usize,
    pub message: String,
}

/// One event, copied out of libyaml's buffers. Offsets are bytes into the text given to
/// [`Parser::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Raw {
    StreamStart,
    StreamEnd,
    DocumentStart {
        explicit: bool,
    },
    DocumentEnd,
    Alias {
        anchor: Vec<u8>,
    },
    Scalar {
        value: String,
        style: ScalarStyle,
        anchor: Option<Vec<u8>>,
    },
    SequenceStart {
        anchor: Option<Vec<u8>>,
    },
    SequenceEnd,
    MappingStart {
        anchor: Option<Vec<u8>>,
    },
    MappingEnd,
}

/// A libyaml parser reading one text, event by event.
pub(super) struct Parser<'t> {
    /// Boxed because libyaml keeps a pointer to the parser inside it (its read handler's data):
    /// it must not move once the input is set.
    sys: Box<unsafe_sys::yaml_parser_t>,
    /// libyaml reads the text through a raw pointer: the borrow keeps the text alive.
    text: PhantomData<&'t str>,
    /// Bytes of a leading byte-order mark, which libyaml's reader drops before counting.
    bom: usize,
    finished: bool,
}

impl<'t> Parser<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        let mut parser = Box::<unsafe_sys::yaml_parser_t>::new_uninit();
        // SAFETY: `yaml_parser_initialize` zeroes the whole struct before anything else, so the
        // box holds an initialised parser afterwards. It fails only when an allocation fails, and
        // unsafe-libyaml's allocator aborts the process instead of returning null.
        let mut sys = unsafe {
            let ok = unsafe_sys::yaml_parser_initialize(parser.as_mut_ptr()).ok;
            debug_assert!(ok);
            parser.assume_init()
        };
        // SAFETY: the parser is initialised and boxed (it never moves again); the input pointer
        // and length describe `text`, which outlives the parser through `PhantomData<&'t str>`.
        // The encoding is left for libyaml to detect, as go-yaml does: that way a leading
        // byte-order mark is dropped, not scanned as a character of the first line.
        unsafe {
            unsafe_sys::yaml_parser_set_input_string(&mut *sys, text.as_ptr(), text.len() as u64);
        }
        Parser {
            sys,
            text: PhantomData,
            bom: if text.starts_with('\u{feff}') { 3 } else { 0 },
            finished: false,
        }
    }

    /// The next event with its start and end byte offsets; `None` after the end of the stream or
    /// the first error.
    pub(super) fn next_event(&mut self) -> Option<Result<(Raw, usize, usize), Error>> {
        if self.finished {
            return None;
        }
        let mut event = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
        // SAFETY: the parser is initialised and its input alive; `yaml_parser_parse` zeroes the
        // event before filling it, and leaves no event to free when it fails.
        let ok = unsafe { unsafe_sys::yaml_parser_parse(&mut *self.sys, event.as_mut_ptr()).ok };
        if !ok {
            self.finished = true;
            return Some(Err(self.error()));
        }
        // SAFETY: on success the event is initialised. `copy` reads only the union member that
        // the event's type says is set, copies every string out, and the event is freed right
        // after, whatever it held.
        let (raw, start, end) = unsafe {
            let event = event.assume_init_mut();
            let copied = copy(event);
            let marks = (event.start_mark.index, event.end_mark.index);
            unsafe_sys::yaml_event_delete(event);
            (copied, marks.0, marks.1)
        };
        let raw = match raw {
            Some(raw) => raw,
            // No event: the parser has nothing more to say.
            None => {
                self.finished = true;
                return None;
            }
        };
        if raw == Raw::StreamEnd {
            self.finished = true;
        }
        Some(Ok((
            raw,
            self.bom + start as usize,
            self.bom + end as usize,
        )))
    }

    /// The error the parser stopped at.
    fn error(&self) -> Error {
        // The parser's public prefix: error kind, problem, context and their positions.
        let p: &unsafe_sys::yaml_parser_t = &self.sys;
        // SAFETY: libyaml sets `problem` and `context` to null or to static NUL-terminated strings.
        let text = |s: *const std::ffi::c_char| {
            (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned())
        };
        let problem = text(p.problem).unwrap_or_else(|| "libyaml could not parse this".into());
        let message = match text(p.context) {
            Some(context) => format!("{problem} ({context})"),
            None => problem,
        };
        // A reader error (a control character) counts bytes of the input as given, byte-order
        // mark included; the marks of the others count from after the mark.
        let byte = if p.error == unsafe_sys::YAML_READER_ERROR {
            p.problem_offset as usize
        } else {
            self.bom + p.problem_mark.index as usize
        };
        Error { byte, message }
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        // SAFETY: the parser was initialised in `new` and is deleted exactly once, here; this
        // frees its buffers, queued tokens and stacks, after an error too.
        unsafe { unsafe_sys::yaml_parser_delete(&mut *self.sys) }
    }
}

/// Copies an event's data out of libyaml's buffers.
///
/// SAFETY: `event` must come from a successful `yaml_parser_parse` and not be deleted yet.
unsafe fn copy(event: &unsafe_sys::yaml_event_t) -> Option<Raw> {
    // SAFETY (for the helpers): libyaml's anchors are null or NUL-terminated, and a scalar's
    // value is `length` bytes, all owned by the event until it is deleted.
    let name = |p: *const u8| {
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p.cast()) }.to_bytes().to_vec())
    };
    // SAFETY: each arm reads the union member that libyaml sets for that event type.
    let raw = unsafe {
        match event.type_ {
            unsafe_sys::YAML_STREAM_START_EVENT => Raw::StreamStart,
            unsafe_sys::YAML_STREAM_END_EVENT => Raw::StreamEnd,
            unsafe_sys::YAML_DOCUMENT_START_EVENT => Raw::DocumentStart {
                explicit: !event.data.document_start.implicit,
            },
            unsafe_sys::YAML_DOCUMENT_END_EVENT => Raw::DocumentEnd,
            unsafe_sys::YAML_ALIAS_EVENT => Raw::Alias {
                anchor: name(event.data.alias.anchor).unwrap_or_default(),
            },
            unsafe_sys::YAML_SCALAR_EVENT => {
                let s = &event.data.scalar;
                let bytes = if s.value.is_null() {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(s.value, s.length as usize)
                };
                Raw::Scalar {
                    // libyaml checked the input is UTF-8 and its escapes encode valid characters.
                    value: String::from_utf8_lossy(bytes).into_owned(),
                    style: match s.style {
                        unsafe_sys::YAML_SINGLE_QUOTED_SCALAR_STYLE => ScalarStyle::SingleQuoted,
                        unsafe_sys::YAML_DOUBLE_QUOTED_SCALAR_STYLE => ScalarStyle::DoubleQuoted,
                        unsafe_sys::YAML_LITERAL_SCALAR_STYLE => ScalarStyle::Literal,
                        unsafe_sys::YAML_FOLDED_SCALAR_STYLE => ScalarStyle::Folded,
                        _ => ScalarStyle::Plain,
                    },
                    anchor: name(s.anchor),
                }
            }
            unsafe_sys::YAML_SEQUENCE_START_EVENT => Raw::SequenceStart {
                anchor: name(event.data.sequence_start.anchor),
            },
            unsafe_sys::YAML_SEQUENCE_END_EVENT => Raw::SequenceEnd,
            unsafe_sys::YAML_MAPPING_START_EVENT => Raw::MappingStart {
                anchor: name(event.data.mapping_start.anchor),
            },
            unsafe_sys::YAML_MAPPING_END_EVENT => Raw::MappingEnd,
            _ => return None,
        }
    };
    Some(raw)
}

/// libyaml's events as saphyr's, with saphyr spans whose lines and columns come from the line
/// index (libyaml also breaks lines at U+0085, U+2028 and U+2029; cilint's positions do not).
/// A marker's `index` is the byte offset: the builder only compares two of them.
pub(super) struct Events<'t> {
    parser: Parser<'t>,
    index: &'t LineIndex<'t>,
    /// Anchor names to saphyr-style ids: each definition gets a new id, an alias the latest; an
    /// alias of an unknown name gets 0, which the builder reports as unknown.
    anchors: HashMap<Vec<u8>, usize>,
    last_id: usize,
}

impl<'t> Events<'t> {
    pub(super) fn new(text: &'t str, index: &'t LineIndex<'t>) -> Self {
        Events {
            parser: Parser::new(text),
            index,
            anchors: HashMap::new(),
            last_id: 0,
        }
    }

    fn marker(&self, byte: usize) -> Marker {
        let pos = self.index.pos_of_byte(byte);
        Marker::new(pos.byte as usize, pos.line as usize, pos.col as usize - 1)
    }

    fn define(&mut self, anchor: Option<Vec<u8>>) -> usize {
        let Some(name) = anchor else { return 0 };
        self.last_id += 1;
        self.anchors.insert(name, self.last_id);
        self.last_id
    }
}

impl Iterator for Events<'_> {
    type Item = Result<(Event<'static>, SaphyrSpan), YamlError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (raw, start, end) = match self.parser.next_event()? {
            Ok(event) => event,
            Err(error) => {
                return Some(Err(YamlError {
                    pos: self.index.pos_of_byte(error.byte),
                    message: error.message,
                }));
            }
        };
        let event = match raw {
            Raw::StreamStart => Event::StreamStart,
            Raw::StreamEnd => Event::StreamEnd,
            Raw::DocumentStart { explicit } => Event::DocumentStart(explicit),
            Raw::DocumentEnd => Event::DocumentEnd,
            Raw::Alias { anchor } => Event::Alias(self.anchors.get(&anchor).copied().unwrap_or(0)),
            Raw::Scalar {
                value,
                style,
                anchor,
            } => Event::Scalar(Cow::Owned(value), style, self.define(anchor), None),
            Raw::SequenceStart { anchor } => Event::SequenceStart(self.define(anchor), None),
            Raw::SequenceEnd => Event::SequenceEnd,
            Raw::MappingStart { anchor } => Event::MappingStart(self.define(anchor), None),
            Raw::MappingEnd => Event::MappingEnd,
        };
        let span = SaphyrSpan::new(self.marker(start), self.marker(end));
        Some(Ok((event, span)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::yaml::{Node, load};
    use super::*;

    fn slice<'t>(text: &'t str, node: Node<'_>) -> &'t str {
        &text[node.span().start.byte as usize..node.span().end.byte as usize]
    }

    /// The shape seen in real repositories: saphyr rejects it, kubectl applies it.
    const COLUMN_ZERO: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop
  annotations:
    description: 'first line
second line'
data:
  key: välue
";

    #[test]
    fn column_zero_continuation_loads_with_exact_spans() {
        let loaded = load(COLUMN_ZERO, &LineIndex::new(COLUMN_ZERO));
        assert_eq!(loaded.error, None);
        let doc = loaded.documents[0].root();
        let description = doc.at(&["metadata", "annotations", "description"]).unwrap();
        assert_eq!(description.as_str(), Some("first line second line"));
        let span = description.span();
        assert_eq!((span.start.line, span.start.col), (6, 18));
        assert_eq!((span.end.line, span.end.col), (7, 13));
        assert_eq!(slice(COLUMN_ZERO, description), "'first line\nsecond line'");
        // Columns count characters, bytes are bytes.
        let value = doc.at(&["data", "key"]).unwrap();
        assert_eq!(value.as_str(), Some("välue"));
        assert_eq!((value.span().end.line, value.span().end.col), (9, 13));
        assert_eq!(slice(COLUMN_ZERO, value), "välue");
        // A block mapping ends at its last child, as on saphyr's path.
        assert_eq!(slice(COLUMN_ZERO, doc.get("data").unwrap()), "key: välue");
    }

    #[test]
    fn crlf_and_byte_order_mark_keep_spans_exact() {
        let text = format!("\u{feff}{}", COLUMN_ZERO.replace('\n', "\r\n"));
        let loaded = load(&text, &LineIndex::new(&text));
        assert_eq!(loaded.error, None);
        let doc = loaded.documents[0].root();
        let description = doc.at(&["metadata", "annotations", "description"]).unwrap();
        assert_eq!(description.as_str(), Some("first line second line"));
        assert_eq!(slice(&text, description), "'first line\r\nsecond line'");
        assert_eq!(description.span().start.line, 6);
        let value = doc.at(&["data", "key"]).unwrap();
        assert_eq!(slice(&text, value), "välue");
    }

    #[test]
    fn documents_before_saphyrs_error_are_handed_over_once() {
        let text = format!("a: 1\n---\n{COLUMN_ZERO}---\nb: 2\n");
        let index = LineIndex::new(&text);
        let mut names = Vec::new();
        let error = super::super::yaml::load_each(&text, &index, None, |doc| {
            let first = doc.as_map().next().and_then(|(k, _)| k.as_str());
            names.push(first.unwrap_or_default().to_string());
        });
        assert_eq!(error, None);
        assert_eq!(names, ["a", "apiVersion", "b"]);
    }

    #[test]
    fn when_both_reject_saphyrs_error_and_earlier_documents_stay() {
        let text = "a: 1\n---\nb: [1, 2\nc: d\n";
        let index = LineIndex::new(text);
        let saphyr = saphyr_parser::Parser::new_from_str(text)
            .find_map(Result::err)
            .unwrap();
        assert!(Events::new(text, &index).any(|e| e.is_err()));
        let loaded = load(text, &index);
        assert_eq!(loaded.documents.len(), 1);
        let error = loaded.error.unwrap();
        assert_eq!(error.message, saphyr.info());
        assert_eq!(error.pos.line as usize, saphyr.marker().line());
    }

    #[test]
    fn the_builders_rules_apply_to_libyamls_events() {
        // Duplicate keys, merge keys and unknown aliases, in files only libyaml reads.
        let dup = format!("{COLUMN_ZERO}  key: again\n");
        let error = load(&dup, &LineIndex::new(&dup)).error.unwrap();
        assert!(
            error.message.starts_with("duplicate key `key`"),
            "{error:?}"
        );
        assert_eq!((error.pos.line, error.pos.col), (10, 3));

        let merged = "base: &b {x: 1, y: 'two\nlines'}\nm:\n  <<: *b\n  y: 3\n";
        let loaded = load(merged, &LineIndex::new(merged));
        assert_eq!(loaded.error, None);
        let m = loaded.documents[0].root().get("m").unwrap();
        assert_eq!(m.get("x").and_then(Node::as_str), Some("1"));
        assert_eq!(m.get("y").and_then(Node::as_str), Some("3"));

        let unknown = "a: 'x\ny'\nb: *nowhere\n";
        let error = load(unknown, &LineIndex::new(unknown)).error.unwrap();
        assert!(error.message.starts_with("unknown alias"), "{error:?}");
        assert_eq!((error.pos.line, error.pos.col), (3, 4));
    }

    #[test]
    fn errors_give_the_byte_where_libyaml_stopped() {
        let text = "a: 'x\ny'\nb: [1\n";
        let mut parser = Parser::new(text);
        let error = std::iter::from_fn(|| parser.next_event())
            .find_map(Result::err)
            .unwrap();
        assert_eq!(error.byte, text.len());
        assert!(error.message.contains("flow sequence"), "{error:?}");
        // A control character is a reader error, counted in bytes of the input.
        let text = "a: é\u{1}\n";
        let mut parser = Parser::new(text);
        let error = std::iter::from_fn(|| parser.next_event())
            .find_map(Result::err)
            .unwrap();
        assert_eq!(error.byte, 5);
    }

    #[test]
    fn a_parser_dropped_midway_frees_what_it_holds() {
        // Under Miri or a leak checker this exercises the drop of a parser with queued tokens.
        let mut parser = Parser::new("a: [1, 2, {b: c}]\nd: e\n");
        assert!(matches!(
            parser.next_event(),
            Some(Ok((Raw::StreamStart, 0, 0)))
        ));
        assert!(parser.next_event().is_some());
        drop(parser);
    }
}
