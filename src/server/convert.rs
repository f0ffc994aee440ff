//! Between cilint's positions (1-based lines, 1-based columns in characters) and the
//! protocol's (0-based lines, 0-based columns in UTF-16 code units, or bytes when the client
//! agreed to UTF-8), and between file paths and `file://` URIs.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// How the client counts columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16 => "utf-16",
        }
    }

    fn width(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        }
    }
}

/// The text of 0-based line `line`, without its line break; empty past the end.
pub fn line_of(text: &str, line: usize) -> &str {
    let Some(start) = line_start(text, line) else {
        return "";
    };
    let rest = &text[start..];
    let end = rest.find('\n').unwrap_or(rest.len());
    rest[..end].strip_suffix('\r').unwrap_or(&rest[..end])
}

/// The byte offset where 0-based line `line` starts.
fn line_start(text: &str, line: usize) -> Option<usize> {
    if line == 0 {
        return Some(0);
    }
    text.match_indices('\n').nth(line - 1).map(|(i, _)| i + 1)
}

/// A protocol column of `line_text` to a count of characters.
pub fn chars_of(line_text: &str, column: u32, encoding: Encoding) -> usize {
    let mut units = 0usize;
    for (i, c) in line_text.chars().enumerate() {
        if units >= column as usize {
            return i;
        }
        units += encoding.width(c);
    }
    line_text.chars().count()
}

/// A count of characters into `line_text` to a protocol column.
pub fn units_of(line_text: &str, chars: usize, encoding: Encoding) -> u32 {
    line_text
        .chars()
        .take(chars)
        .map(|c| encoding.width(c))
        .sum::<usize>() as u32
}

/// A protocol position of `text` to a byte offset (clamped to the text).
pub fn byte_of(text: &str, line: u32, column: u32, encoding: Encoding) -> usize {
    let Some(start) = line_start(text, line as usize) else {
        return text.len();
    };
    let line_text = line_of(text, line as usize);
    let chars = chars_of(line_text, column, encoding);
    start
        + line_text
            .char_indices()
            .nth(chars)
            .map_or(line_text.len(), |(i, _)| i)
}

/// cilint's 1-based line and character column to a protocol position of `text`.
pub fn position(text: &str, line: u32, col: u32, encoding: Encoding) -> Value {
    let line0 = line.saturating_sub(1);
    let line_text = line_of(text, line0 as usize);
    let character = units_of(line_text, col.saturating_sub(1) as usize, encoding);
    json!({"line": line0, "character": character})
}

/// A range from cilint's start and end (1-based lines, character columns, end exclusive).
pub fn range(text: &str, start: (u32, u32), end: (u32, u32), encoding: Encoding) -> Value {
    json!({
        "start": position(text, start.0, start.1, encoding),
        "end": position(text, end.0, end.1, encoding),
    })
}

/// [`range`] in a text where a column in characters is the protocol's in any encoding (ASCII,
/// `\n` line breaks), without the text.
pub fn plain_range(start: (u32, u32), end: (u32, u32)) -> Value {
    let position = |(line, col): (u32, u32)| json!({"line": line.saturating_sub(1), "character": col.saturating_sub(1)});
    json!({"start": position(start), "end": position(end)})
}

/// Applies one change of `didChange`: a range replaced, or the whole text when there is none.
pub fn apply_change(
    text: &mut String,
    range: Option<lsp_types::Range>,
    new: &str,
    encoding: Encoding,
) {
    match range {
        None => *text = new.to_string(),
        Some(r) => {
            let start = byte_of(text, r.start.line, r.start.character, encoding);
            let end = byte_of(text, r.end.line, r.end.character, encoding).max(start);
            text.replace_range(start..end, new);
        }
    }
}

/// The path of a `file://` URI; `None` for any other scheme.
pub fn path_of(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file://host/path`: only the local host is a path here.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let mut bytes = Vec::with_capacity(rest.len());
    let raw = rest.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (raw[i], raw.get(i + 1).copied(), raw.get(i + 2).copied()) {
            (b'%', Some(a), Some(b)) if hex(a).is_some() && hex(b).is_some() => {
                bytes.push((hex(a).unwrap() * 16 + hex(b).unwrap()) as u8);
                i += 3;
            }
            (b, _, _) => {
                bytes.push(b);
                i += 1;
            }
        }
    }
    let path = PathBuf::from(String::from_utf8(bytes).ok()?);
    path.is_absolute().then_some(path)
}

/// The `file://` URI of an absolute path: only unreserved characters and `/` stand as they are.
pub fn uri_of(path: &Path) -> String {
    let encoded = crate::report::percent_encode(&path.to_string_lossy(), b"-._~/");
    format!("file://{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units_or_bytes() {
        let line = "a: \u{1F600}é x";
        // The emoji is two UTF-16 units, four bytes; é one unit, two bytes.
        assert_eq!(units_of(line, 5, Encoding::Utf16), 6);
        assert_eq!(units_of(line, 5, Encoding::Utf8), 9);
        assert_eq!(chars_of(line, 6, Encoding::Utf16), 5);
        assert_eq!(chars_of(line, 9, Encoding::Utf8), 5);
    }

    #[test]
    fn an_incremental_change_replaces_its_range() {
        let mut text = "kind: Gateway\nname: \u{1F600}web\n".to_string();
        let range = |l0, c0, l1, c1| {
            Some(lsp_types::Range::new(
                lsp_types::Position::new(l0, c0),
                lsp_types::Position::new(l1, c1),
            ))
        };
        apply_change(&mut text, range(1, 8, 1, 11), "api", Encoding::Utf16);
        assert_eq!(text, "kind: Gateway\nname: \u{1F600}api\n");
        apply_change(&mut text, range(2, 0, 2, 0), "x: 1\n", Encoding::Utf16);
        assert_eq!(text, "kind: Gateway\nname: \u{1F600}api\nx: 1\n");
        apply_change(&mut text, None, "y", Encoding::Utf16);
        assert_eq!(text, "y");
    }

    #[test]
    fn paths_and_uris_round_trip() {
        let p = Path::new("/tmp/my repo/a#b.yaml");
        let uri = uri_of(p);
        assert_eq!(uri, "file:///tmp/my%20repo/a%23b.yaml");
        assert_eq!(path_of(&uri).as_deref(), Some(p));
        assert_eq!(path_of("untitled:Untitled-1"), None);
    }
}
