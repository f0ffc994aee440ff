//! Source files and positions: what was read, and where things are in it.

pub mod commands;
mod libyaml;
pub mod suppress;
pub mod yaml;

use std::sync::Arc;

/// Whether `text` holds `{{` or `{%`, the openings of Go template and Jinja tags: one fast scan
/// before any closer look (manifests and paths seldom hold a `{`).
pub fn has_template_syntax(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'{', bytes).any(|i| matches!(bytes.get(i + 1), Some(b'{' | b'%')))
}

/// Index of a file in the run's file table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A point in a file. `line` and `col` are 1-based, `col` counts characters; `byte` is the
/// 0-based byte offset miette needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
    pub byte: u32,
}

/// A range in one file; `end` is exclusive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub fn len_bytes(&self) -> usize {
        self.end.byte.saturating_sub(self.start.byte) as usize
    }
}

/// A span in a known file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: FileId,
    pub span: Span,
}

impl Location {
    /// Whether `inner` lies within this location, in the same file.
    pub fn contains(&self, inner: Location) -> bool {
        self.file == inner.file
            && self.span.start.byte <= inner.span.start.byte
            && inner.span.end.byte <= self.span.end.byte
    }
}

/// What kind of text a file holds, decided from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Yaml,
    Json,
    Shell,
    Markdown,
    /// Terraform or OpenTofu (`*.tf`, `*.tofu`, and `*.tfvars` for variable values): read for
    /// what it puts into the cluster, never linted as Terraform.
    Terraform,
}

impl FileKind {
    pub fn from_path(path: &str) -> Option<FileKind> {
        let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        match ext.as_str() {
            "yaml" | "yml" => Some(FileKind::Yaml),
            "json" => Some(FileKind::Json),
            "sh" | "bash" => Some(FileKind::Shell),
            "md" | "markdown" => Some(FileKind::Markdown),
            "tf" | "tofu" | "tfvars" => Some(FileKind::Terraform),
            _ => None,
        }
    }
}

/// A file as read: its display path (as reached from the input the user gave) and its text.
#[derive(Debug)]
pub struct SourceFile {
    pub path: Arc<str>,
    pub kind: FileKind,
    pub text: Arc<str>,
}

/// Maps character positions (what saphyr reports) to byte offsets, line by line.
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of the start of each line (0-based line number).
    line_starts: Vec<u32>,
    /// Whether each line is pure ASCII, where char column == byte column; empty when the whole
    /// text is.
    ascii: Vec<bool>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0u32];
        // A lone CR ends a line too, as YAML (and saphyr's line numbers) have it; found by
        // fuzzing, where it put spans on the wrong line.
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
                line_starts.push(i as u32 + 1);
            }
        }
        let ascii = if text.is_ascii() {
            Vec::new()
        } else {
            let ends = line_starts[1..].iter().map(|&e| e as usize);
            line_starts
                .iter()
                .zip(ends.chain([bytes.len()]))
                .map(|(&start, end)| bytes[start as usize..end].is_ascii())
                .collect()
        };
        LineIndex {
            text,
            line_starts,
            ascii,
        }
    }

    fn is_ascii(&self, li: usize) -> bool {
        self.ascii.get(li).copied().unwrap_or(true)
    }

    /// Position of 1-based `line` and 0-based character column `col0`.
    pub fn pos(&self, line: usize, col0: usize) -> Pos {
        // saphyr puts the end of a text without a final newline on the line after the last:
        // that is the end of the text, not the start of its last line (found by fuzzing).
        if line > self.line_starts.len() {
            return self.pos_of_byte(self.text.len());
        }
        let li = line.saturating_sub(1);
        let start = self.line_starts[li] as usize;
        let byte = if self.is_ascii(li) {
            start + col0
        } else {
            let line_text = &self.text[start..];
            start
                + line_text
                    .char_indices()
                    .nth(col0)
                    .map(|(b, _)| b)
                    .unwrap_or(line_text.len())
        };
        Pos {
            line: (li + 1) as u32,
            col: col0 as u32 + 1,
            byte: byte.min(self.text.len()) as u32,
        }
    }

    /// Position of a byte offset.
    pub fn pos_of_byte(&self, byte: usize) -> Pos {
        let byte = byte.min(self.text.len());
        let li = match self.line_starts.binary_search(&(byte as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[li] as usize;
        let col0 = if self.is_ascii(li) {
            byte - start
        } else {
            self.text[start..byte].chars().count()
        };
        Pos {
            line: (li + 1) as u32,
            col: col0 as u32 + 1,
            byte: byte as u32,
        }
    }

    /// The span of bytes `start..end`.
    pub fn span(&self, start: usize, end: usize) -> Span {
        Span {
            start: self.pos_of_byte(start),
            end: self.pos_of_byte(end),
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte range of 1-based `line`, without its newline.
    pub fn line_range(&self, line: usize) -> (usize, usize) {
        let li = line - 1;
        let start = self.line_starts[li] as usize;
        let end = self
            .line_starts
            .get(li + 1)
            .map(|&e| e as usize - 1)
            .unwrap_or(self.text.len());
        (start, end)
    }
}
