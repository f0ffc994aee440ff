//! Stage 2: read and parse one file into objects and commands. Runs in parallel, one call per
//! file; a file that fails to load becomes a finding for that file and the run goes on.

use std::sync::Arc;

use crate::catalog::FileContents;
use crate::discover::{Candidate, STDIN, STDIN_DISPLAY};
use crate::layout::gitops;
use crate::layout::substitute::Vars;
use crate::model::{NotAnObject, Object};
use crate::source::yaml::{self, Node, Value, YamlError};
use crate::source::{FileId, FileKind, LineIndex, Pos, SourceFile, commands, suppress};

/// Reads a candidate's bytes into text. Invalid UTF-8 is replaced so positions still work; for
/// YAML it is also an error, since kubectl would refuse the file.
pub fn read(candidate: &Candidate, stdin: Option<&str>) -> Result<(SourceFile, bool), String> {
    let (display, bytes) = if candidate.path == STDIN {
        (
            STDIN_DISPLAY.to_string(),
            stdin.unwrap_or_default().as_bytes().to_vec(),
        )
    } else {
        let bytes = std::fs::read(&candidate.path).map_err(|e| e.to_string())?;
        (candidate.path.clone(), bytes)
    };
    let (text, valid) = match String::from_utf8(bytes) {
        Ok(s) => (s, true),
        Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), false),
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text);
    Ok((
        SourceFile {
            path: display,
            kind: candidate.kind,
            text: Arc::from(text),
        },
        valid,
    ))
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
    let text: &str = &source.text;
    let index = LineIndex::new(text);
    let mut out = FileContents {
        commands: commands::extract(file, source.kind, text, &index),
        suppressions: suppress::extract(source.kind, text, &index),
        ..Default::default()
    };
    if !matches!(source.kind, FileKind::Yaml | FileKind::Json) {
        return out;
    }
    if !valid_utf8 || text.contains('\0') {
        out.yaml_error = Some(YamlError {
            pos: Pos {
                line: 1,
                col: 1,
                byte: 0,
            },
            message: "the file is binary or not UTF-8 text".into(),
        });
        return out;
    }
    let substitute = |s: &str| vars.and_then(|v| v.apply(s));
    let loaded = yaml::load_with(
        text,
        &index,
        vars.map(|_| &substitute as yaml::Substitute<'_>),
    );
    out.yaml_error = loaded.error.map(|mut e| {
        e.pos = visible(text, &index, e.pos);
        e
    });
    out.documents = loaded.documents.len();
    let kustomization_file = gitops::is_kustomization_file(&source.path);
    for doc in &loaded.documents {
        if let Some(layout) = gitops::read(doc, kustomization_file) {
            out.layout.push(layout);
        }
        // kustomization files may omit apiVersion and kind; kustomize reads them all the same.
        let typed;
        let doc = if kustomization_file && doc.get("kind").is_none() {
            typed = with_kustomization_kind(doc);
            &typed
        } else {
            doc
        };
        match Object::from_document(doc, file, default_namespace) {
            Ok(objects) => out.objects.extend(objects),
            Err(NotAnObject::NotKubernetes) => out.skipped_documents += 1,
        }
    }
    out
}

/// A kustomization document with the `apiVersion` and `kind` kustomize assumes.
fn with_kustomization_kind(doc: &Node) -> Node {
    let mut doc = doc.clone();
    if let Value::Map(entries) = &mut doc.value {
        let scalar = |s: &str| Node {
            span: doc.span,
            value: Value::Str(s.into()),
        };
        entries.push((
            scalar("apiVersion"),
            scalar("kustomize.config.k8s.io/v1beta1"),
        ));
        entries.push((scalar("kind"), scalar("Kustomization")));
    }
    doc
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
