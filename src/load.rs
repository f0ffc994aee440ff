//! The load stage: read and parse one file into objects and commands. Runs in parallel, one call
//! per file; a file that fails to load becomes a finding for that file and the run goes on.

mod contents;
mod encrypted;
pub mod substitute;
mod template;
pub mod terraform;

pub use contents::{Build, BuildTool, FileContents, Unparsed};

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::discover::{self, Candidate, STDIN, STDIN_DISPLAY};
use crate::model::{Object, Spec};
use crate::model::{cilium_config, gitops, versions};
use crate::source::yaml::{self, Node, YamlError};
use crate::source::{FileId, FileKind, LineIndex, Pos, SourceFile, commands, suppress};
use substitute::Vars;

/// Reads a candidate's bytes into text. UTF-16 with a byte-order mark is decoded. Invalid text
/// is replaced so positions still work; for YAML it is also an error, since kubectl would refuse
/// the file. A file larger than `max_size` bytes is refused, not read.
pub fn read(
    candidate: &Candidate,
    stdin: Option<&str>,
    max_size: u64,
) -> Result<(SourceFile, bool), String> {
    let (display, bytes) = if &*candidate.path == STDIN {
        (
            STDIN_DISPLAY.into(),
            stdin.unwrap_or_default().as_bytes().to_vec(),
        )
    } else {
        let bytes = read_regular(Path::new(&*candidate.path), max_size)?;
        (candidate.path.clone(), bytes)
    };
    let (text, valid) = decode(bytes);
    Ok((
        SourceFile {
            path: display,
            kind: candidate.kind,
            text: Arc::from(text),
        },
        valid,
    ))
}

/// The bytes of a regular file of at most `max_size` bytes. The type is checked before opening:
/// opening a FIFO blocks until something writes to it.
fn read_regular(path: &Path, max_size: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(discover::not_regular(&meta.file_type()));
    }
    let too_big = |size: u64| {
        format!(
            "the file is {size} bytes, over the {max_size}-byte limit (--max-file-size, \
             `max-file-size` in .cilint.yaml); not linted"
        )
    };
    if meta.len() > max_size {
        return Err(too_big(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    // The file may have grown since its size was read: never take more than the limit.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > max_size {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Bytes to text: UTF-16 when a byte-order mark says so (editors on Windows write it), else
/// UTF-8 with its optional mark dropped. `false` when something had to be replaced.
fn decode(bytes: Vec<u8>) -> (String, bool) {
    let unit: Option<fn([u8; 2]) -> u16> = match bytes.get(..2) {
        Some([0xFF, 0xFE]) => Some(u16::from_le_bytes),
        Some([0xFE, 0xFF]) => Some(u16::from_be_bytes),
        _ => None,
    };
    if let Some(unit) = unit {
        let pairs = bytes[2..].chunks_exact(2);
        let mut valid = pairs.remainder().is_empty();
        let text = char::decode_utf16(pairs.map(|p| unit([p[0], p[1]])))
            .map(|c| {
                c.unwrap_or_else(|_| {
                    valid = false;
                    char::REPLACEMENT_CHARACTER
                })
            })
            .collect();
        return (text, valid);
    }
    let (text, valid) = match String::from_utf8(bytes) {
        Ok(s) => (s, true),
        Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), false),
    };
    match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest.to_string(), valid),
        None => (text, valid),
    }
}

/// Parses one file's text.
pub fn parse(
    file: FileId,
    source: &SourceFile,
    valid_utf8: bool,
    default_namespace: &str,
) -> FileContents {
    parse_with(file, source, valid_utf8, default_namespace, None)
}

/// Parses one file's text with Flux variables substituted in every YAML scalar.
pub fn parse_with(
    file: FileId,
    source: &SourceFile,
    valid_utf8: bool,
    default_namespace: &str,
    vars: Option<&Vars>,
) -> FileContents {
    parse_edited(file, source, valid_utf8, default_namespace, vars, None)
}

/// [`parse_with`], with each document passed through `edit` first.
pub fn parse_edited(
    file: FileId,
    source: &SourceFile,
    valid_utf8: bool,
    default_namespace: &str,
    vars: Option<&Vars>,
    edit: Option<&yaml::Edit<'_>>,
) -> FileContents {
    let text: &str = &source.text;
    let index = LineIndex::new(text);
    let mut out = FileContents {
        commands: commands::extract(file, source.kind, text, &index).into(),
        suppressions: suppress::extract(source.kind, text, &index).into(),
        ..Default::default()
    };
    if !matches!(source.kind, FileKind::Yaml | FileKind::Json) {
        return out;
    }
    if !valid_utf8 || text.contains('\0') {
        out.yaml_error = Some(Box::new(YamlError {
            pos: Pos {
                line: 1,
                col: 1,
                byte: 0,
            },
            message: "the file is binary or not UTF-8 text".into(),
        }));
        return out;
    }
    let substitute = |s: &str| vars.and_then(|v| v.apply(s));
    let kustomization_file = gitops::is_kustomization_file(&source.path);
    let braces = template::may_hold_template_syntax(text);
    let error = yaml::load_each(
        text,
        &index,
        vars.map(|_| &substitute as yaml::Substitute<'_>),
        |doc| {
            // An unquoted `{{ x }}` parses as a flow mapping: the document is a template.
            if braces && !out.template && template::has_collection_key(doc) {
                out.template = true;
            }
            match edit {
                None => add_document(&mut out, doc, file, default_namespace, kustomization_file),
                Some(edit) => edit(doc, &mut |doc, unverifiable| {
                    let first = out.objects.len();
                    add_document(&mut out, doc, file, default_namespace, kustomization_file);
                    for o in &mut out.objects[first..] {
                        o.unverifiable = unverifiable;
                    }
                }),
            }
        },
    );
    // A file that does not parse because of template syntax is a template, not a YAML error.
    if out.template || (error.is_some() && braces && template::has_unquoted_tag(text)) {
        return FileContents {
            documents: out.documents,
            template: true,
            ..Default::default()
        };
    }
    out.broken_without_api_version =
        error.is_some() && !kustomization_file && !text.contains("apiVersion");
    out.yaml_error = error.map(|mut e| {
        e.pos = visible(text, &index, e.pos);
        Box::new(e)
    });
    // Most files hold one or two objects, and a Vec grows to four at once: the slack of every
    // file would add up to a fifth of the run's memory.
    out.objects.shrink_to_fit();
    out.layout.shrink_to_fit();
    forget_plain_text_git_encrypts(&mut out, &source.path);
    out
}

/// A Secret git-crypt or transcrypt encrypts in git reads as plain text only in an unlocked
/// checkout: what is committed is not.
fn forget_plain_text_git_encrypts(out: &mut FileContents, path: &str) {
    let plain = |o: &Object| matches!(&o.spec, Spec::Secret(s) if s.plain_text.is_some());
    if path == STDIN
        || path == STDIN_DISPLAY
        || !out.objects.iter().any(plain)
        || !encrypted::encrypted_in_git(std::path::Path::new(path))
    {
        return;
    }
    for o in &mut out.objects {
        if let Spec::Secret(s) = &mut o.spec {
            s.plain_text = None;
        }
    }
}

/// Turns a document into objects (or a skipped document) and what it says about layout.
fn add_document(
    out: &mut FileContents,
    doc: Node<'_>,
    file: FileId,
    default_namespace: &str,
    kustomization_file: bool,
) {
    out.documents += 1;
    if let Some(layout) = gitops::read(doc, kustomization_file) {
        out.layout.push(layout);
    }
    // kustomization files may omit apiVersion and kind; kustomize reads them all the same.
    let assumed = (kustomization_file && doc.get("kind").is_none())
        .then_some(("kustomize.config.k8s.io/v1beta1", "Kustomization"));
    // Documents that are not Kubernetes objects (other YAML, other programs' configuration
    // files) are counted, never linted.
    match Object::from_document_as(doc, file, default_namespace, assumed) {
        Ok(objects) => {
            if let [o] = objects.as_slice() {
                out.pins
                    .extend(versions::pins(doc, file, &o.api_version, &o.kind));
                out.cilium_settings.extend(cilium_config::settings(
                    doc,
                    file,
                    &o.api_version,
                    &o.kind,
                ));
            }
            out.objects.extend(objects)
        }
        Err(_) => out.skipped_documents += 1,
    }
}

/// An error at the very end of the file (an unclosed bracket) is shown on the last character
/// written, where there is something to underline.
fn visible(text: &str, index: &LineIndex, pos: Pos) -> Pos {
    let trimmed = text.trim_end().len();
    if (pos.byte as usize) < trimmed || trimmed == 0 {
        return pos;
    }
    let last = text[..trimmed]
        .char_indices()
        .next_back()
        .map(|(b, _)| b)
        .unwrap_or(0);
    index.pos_of_byte(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> FileContents {
        let source = SourceFile {
            path: "t.yaml".into(),
            kind: FileKind::Yaml,
            text: Arc::from(text),
        };
        parse(FileId(0), &source, true, "default")
    }

    #[test]
    fn crlf_positions_are_exact() {
        let text = "apiVersion: v1\r\nkind: Service\r\nmetadata:\r\n  name: web\r\n";
        let contents = parse_text(text);
        let o = &contents.objects[0];
        assert_eq!(o.name, "web");
        assert_eq!((o.name_span.start.line, o.name_span.start.col), (4, 9));
        let s = o.name_span;
        assert_eq!(&text[s.start.byte as usize..s.end.byte as usize], "web");
    }

    #[test]
    fn non_objects_are_counted_not_errors() {
        let contents = parse_text("replicaCount: 2\n---\n- a\n---\nplain\n");
        assert!(contents.yaml_error.is_none());
        assert_eq!(contents.skipped_documents, 3);
        assert!(contents.objects.is_empty());
    }

    #[test]
    fn binary_yaml_is_one_error() {
        let source = SourceFile {
            path: "t.yaml".into(),
            kind: FileKind::Yaml,
            text: Arc::from("\0\u{1}\u{2}"),
        };
        let contents = parse(FileId(0), &source, true, "default");
        assert!(
            contents
                .yaml_error
                .unwrap()
                .message
                .contains("not UTF-8 text")
        );
    }
}
