//! Secret values masked out of the text that snippets show. A finding's snippet shows the lines
//! around it, and those can hold a Secret's data, a password in a ConfigMap or a `--from-literal`
//! of a script. Works on the text alone, so a Secret with a syntax error is masked too.
//!
//! Masking keeps every byte offset and line break, so spans into the original text still fit.

use rayon::prelude::*;

use crate::source::FileKind;

/// Key names whose values are credentials, compared case-insensitively with `-`/`_` dropped.
const SENSITIVE: &[&str] = &["password", "passwd", "token", "privatekey", "apikey"];

/// Command-line flags whose value is a credential (`--from-literal` masks only after `KEY=`).
const FLAGS: &[&str] = &[
    "--from-literal",
    "--docker-password",
    "--password",
    "--token",
];

/// The text with secret values replaced, byte for byte, by mask characters.
pub fn redact(text: &str, kind: FileKind) -> String {
    let mut out = text.as_bytes().to_vec();
    // Each is a pass over the whole text: in parallel for a large file. Masks do not depend on
    // the order of the ranges.
    let (structured, flags) = rayon::join(
        || {
            let mut ranges = Vec::new();
            if matches!(kind, FileKind::Yaml | FileKind::Json) {
                structured(text, &mut ranges);
            }
            if kind == FileKind::Terraform {
                terraform(text, &mut ranges);
            }
            ranges
        },
        || {
            let mut ranges = Vec::new();
            flags(text, &mut ranges);
            ranges
        },
    );
    for (start, end) in structured.into_iter().chain(flags) {
        mask(text, &mut out, start, end);
    }
    String::from_utf8(out).expect("masking replaces whole characters")
}

/// Replaces the non-space characters of `text[start..end]` with characters of the same length.
fn mask(text: &str, out: &mut [u8], start: usize, end: usize) {
    for (i, c) in text[start..end].char_indices() {
        if c.is_whitespace() {
            continue;
        }
        let replacement = match c.len_utf8() {
            1 => '*',
            2 => '·',
            3 => '•',
            _ => '𝟎',
        };
        replacement.encode_utf8(&mut out[start + i..start + i + c.len_utf8()]);
    }
}

/// Lines with their byte offset, line endings dropped.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |raw| {
        let at = offset;
        offset += raw.len();
        (at, raw.trim_end_matches(['\n', '\r']))
    })
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t', '-']).len()
}

/// The key of a `key: value` line, unquoted, and where its value starts.
fn key_of(line: &str) -> Option<(&str, usize)> {
    let start = indent(line);
    let rest = &line[start..];
    let colon = rest.find(':')?;
    let key = rest[..colon].trim().trim_matches(['"', '\'']);
    (!key.is_empty() && !key.contains([' ', '{', '[', '#'])).then_some((key, start + colon + 1))
}

fn is_sensitive(key: &str) -> bool {
    let last = key.rsplit(['/', '.']).next().unwrap_or(key);
    // Every line of a large file has its key tested: short ASCII keys (nearly all) are
    // flattened on the stack.
    let mut buf = [0u8; 64];
    if last.is_ascii() && last.len() <= buf.len() {
        let mut n = 0;
        for b in last.bytes().filter(|b| !matches!(b, b'-' | b'_')) {
            buf[n] = b.to_ascii_lowercase();
            n += 1;
        }
        let flat = &buf[..n];
        return SENSITIVE
            .iter()
            .any(|s| flat.windows(s.len()).any(|w| w == s.as_bytes()));
    }
    let flat: String = last
        .chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect();
    SENSITIVE.iter().any(|s| flat.contains(s))
}

/// YAML and JSON: in a document that is a Secret, everything under `data`/`stringData`; in any
/// document, the value (and the block below it) of a key that names a credential, and such keys
/// inside flow mappings.
fn structured(text: &str, ranges: &mut Vec<(usize, usize)>) {
    // Where each document starts: at a line that starts with `---`, and at the start.
    let mut starts = vec![0];
    starts.extend(
        lines(text)
            .filter(|(_, line)| line.starts_with("---"))
            .map(|(at, _)| at),
    );
    let ends = starts.iter().skip(1).copied().chain([text.len()]);
    let docs: Vec<(usize, usize)> = starts.iter().copied().zip(ends).collect();
    // Documents are masked independently, so a file of many is masked in parallel.
    let per_doc: Vec<Vec<(usize, usize)>> = docs
        .into_par_iter()
        .map(|(start, end)| {
            let mut ranges = Vec::new();
            document(&text[start..end], start, &mut ranges);
            ranges
        })
        .collect();
    ranges.extend(per_doc.into_iter().flatten());
}

/// A Terraform file: the YAML of its manifests' heredocs masked as a manifest is, and the values
/// of Secret data written in HCL.
fn terraform(text: &str, ranges: &mut Vec<(usize, usize)>) {
    let found = crate::load::terraform::secret_ranges(text);
    for r in found.yaml {
        if let Some(doc) = text.get(r.clone()) {
            document(doc, r.start, ranges);
        }
    }
    ranges.extend(found.values.into_iter().map(|r| (r.start, r.end)));
}

/// One document of `structured`, whose text starts at byte `offset` of the file.
fn document(doc: &str, offset: usize, ranges: &mut Vec<(usize, usize)>) {
    let doc_lines = || lines(doc).map(|(at, line)| (offset + at, line));
    let secret = doc_lines().any(|(_, l)| {
        key_of(l).is_some_and(|(k, v)| {
            k == "kind" && l[v..].trim().trim_matches([',', '"', '\'']) == "Secret"
        })
    });
    // The indentation of the key whose block is being masked.
    let mut block: Option<usize> = None;
    for (at, line) in doc_lines() {
        let content = line.trim_start();
        if let Some(level) = block {
            if content.is_empty() || indent(line) > level {
                ranges.push((at, at + line.len()));
                continue;
            }
            block = None;
        }
        // A credential commented out is still a credential.
        let comment = content.strip_prefix('#');
        let (at, line) = match comment {
            Some(body) => (at + line.len() - body.len(), body),
            None => (at, line),
        };
        if let Some((key, value)) = key_of(line) {
            let data = secret && matches!(key, "data" | "stringData");
            if data || is_sensitive(key) {
                ranges.push((at + value, at + line.len()));
                // The block below a comment is not the comment's.
                block = comment.is_none().then(|| indent(line));
                continue;
            }
        }
        flow_keys(line, at, ranges);
    }
}

/// `{…, password: value, …}` on one line: the value, up to the next `,` or `}`.
fn flow_keys(line: &str, at: usize, ranges: &mut Vec<(usize, usize)>) {
    if !line.contains('{') {
        return;
    }
    let mut from = 0;
    while let Some(colon) = line[from..].find(':').map(|c| from + c) {
        let key_start = line[..colon].rfind(['{', ',', ' ']).map_or(0, |i| i + 1);
        let end = line[colon..]
            .find([',', '}'])
            .map_or(line.len(), |e| colon + e);
        if is_sensitive(line[key_start..colon].trim_matches(['"', '\''])) {
            ranges.push((at + colon + 1, at + end));
        }
        from = colon + 1;
    }
}

/// `--from-literal=KEY=VALUE`, `--docker-password VALUE` and the like, in any kind of file (YAML
/// comments carry commands too). The value runs to the next space outside quotes.
fn flags(text: &str, ranges: &mut Vec<(usize, usize)>) {
    for flag in FLAGS {
        for (i, _) in text.match_indices(flag) {
            let mut p = i + flag.len();
            let after = &text[p..];
            let Some(sep) = after.chars().next().filter(|c| matches!(c, '=' | ' ')) else {
                continue;
            };
            p += sep.len_utf8() + after[1..].len() - after[1..].trim_start_matches(' ').len();
            if *flag == "--from-literal" {
                let Some(eq) = text[p..]
                    .find(['=', '\n'])
                    .filter(|&e| text[p + e..].starts_with('='))
                else {
                    continue;
                };
                p += eq + 1;
            }
            let end = value_end(text, p);
            ranges.push((p, end));
        }
    }
}

/// Where a shell word starting at `start` ends: at whitespace outside quotes, or a line end.
fn value_end(text: &str, start: usize) -> usize {
    let mut quote = None;
    for (i, c) in text[start..].char_indices() {
        match (quote, c) {
            (_, '\n') => return start + i,
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => return start + i,
            _ => {}
        }
    }
    text.len()
}
