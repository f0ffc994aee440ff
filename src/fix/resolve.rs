//! Turns what rules ask to change (a rename at a span, labels to add under a Gateway's
//! `spec.infrastructure.labels`) into text edits of the files as read. A fix whose text is not
//! what the rule saw (a `${VAR}`, a value kustomize patched in, a file changed since) is dropped:
//! no fix beats a wrong one.

use crate::diagnostic::{Edit, Finding};
use crate::model::gateway::MAX_INFRASTRUCTURE_LABELS;
use crate::source::yaml::{self, Node, yaml_scalar};
use crate::source::{LineIndex, Location, SourceFile, Span};

/// GEP-1762 reserves this prefix: such a label cannot be added under `spec.infrastructure`.
const RESERVED_PREFIX: &str = "gateway.networking.k8s.io/";

/// Resolves every finding's fix against the texts of `files`; a fix that cannot be resolved is
/// removed. Findings without a fix cost one check each.
pub fn resolve(findings: &mut [Finding], files: &mut [SourceFile]) {
    for f in findings.iter_mut() {
        let Some(fix) = &f.fix else { continue };
        if fix.resolved() {
            continue;
        }
        let edits: Option<Vec<Edit>> = fix.edits.iter().map(|e| resolve_edit(e, files)).collect();
        let Some(mut edits) = edits else {
            f.fix = None;
            continue;
        };
        let fix = f.fix.as_mut().expect("checked above");
        // A new file in a directory a kustomization lists is deployed only once listed.
        let created: Vec<String> = edits
            .iter()
            .filter_map(|e| match e {
                Edit::Create { path, .. } => Some(path.clone()),
                _ => None,
            })
            .collect();
        for path in created {
            match kustomization_of(&path, files) {
                Kustomization::None => {}
                Kustomization::Listed(edit) => {
                    fix.message
                        .push_str(" and list it in the kustomization's resources");
                    edits.push(edit);
                }
                Kustomization::ByHand(k) => fix
                    .message
                    .push_str(&format!("; then list it under `resources:` in {k}")),
            }
        }
        fix.edits = edits;
    }
}

/// Whether a new file's directory has a kustomization, and the edit that lists the file in it.
enum Kustomization {
    None,
    Listed(Edit),
    /// The kustomization's path: its `resources:` is not a block list cilint can append to.
    ByHand(String),
}

fn kustomization_of(path: &str, files: &mut [SourceFile]) -> Kustomization {
    let (dir, name) = match path.rfind('/') {
        Some(i) => (&path[..i + 1], &path[i + 1..]),
        None => ("", path),
    };
    let names = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
    let Some(k) = names
        .iter()
        .map(|n| format!("{dir}{n}"))
        .find(|k| std::path::Path::new(k).is_file())
    else {
        return Kustomization::None;
    };
    let by_hand = || Kustomization::ByHand(k.clone());
    let Some(i) = files.iter().position(|f| *f.path == *k) else {
        return by_hand();
    };
    if files[i].text.is_empty() {
        match std::fs::read_to_string(&k) {
            Ok(text) => files[i].text = text.into(),
            Err(_) => return by_hand(),
        }
    }
    let text = &files[i].text;
    match append_resource(text, name) {
        Some(at) => {
            let pos = LineIndex::new(text).pos_of_byte(at.0);
            Kustomization::Listed(Edit::Replace {
                location: Location {
                    file: crate::source::FileId(i as u32),
                    span: Span {
                        start: pos,
                        end: pos,
                    },
                },
                content: at.1,
            })
        }
        None => by_hand(),
    }
}

/// Where and what to insert to append `name` to a kustomization's block list `resources:`,
/// after its last item, at the items' indentation.
fn append_resource(text: &str, name: &str) -> Option<(usize, String)> {
    let index = LineIndex::new(text);
    let loaded = yaml::load(text, &index);
    let [doc] = loaded.documents.as_slice() else {
        return None;
    };
    let resources = doc.root().get("resources")?;
    let last = resources.as_seq().next_back()?;
    if resources.as_seq().any(|r| r.as_str() == Some(name)) {
        return None;
    }
    last.as_str()?;
    let start = last.span().start.byte as usize;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..start];
    // `  - item` (or `- item`): the dash and spaces are the whole prefix of a block item.
    let dash = prefix.trim_start_matches(' ');
    if !(dash.starts_with('-') && dash[1..].chars().all(|c| c == ' ')) {
        return None;
    }
    let end = last.span().end.byte as usize;
    let line_end = text[end..].find('\n').map(|i| end + i + 1)?;
    let rest = text[end..line_end].trim();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    Some((
        line_end,
        with_line_endings_of(text, format!("{prefix}{name}\n")),
    ))
}

fn resolve_edit(edit: &Edit, files: &[SourceFile]) -> Option<Edit> {
    let text = |l: &Location| -> Option<&str> {
        let t = &files.get(l.file.0 as usize)?.text;
        (!t.is_empty()).then_some(&**t)
    };
    match edit {
        Edit::Replace { .. } | Edit::Create { .. } => Some(edit.clone()),
        Edit::Rename { location, old, new } => {
            rename(text(location)?, *location, old, new).map(|content| Edit::Replace {
                location: *location,
                content,
            })
        }
        Edit::InsertAfter {
            location,
            text: add,
        } => {
            let t = text(location)?;
            t.get(location.span.start.byte as usize..location.span.end.byte as usize)?;
            // Right after a word as written, not inside its quotes.
            let next = t[location.span.end.byte as usize..].chars().next();
            if next.is_some_and(|c| !c.is_whitespace()) {
                return None;
            }
            Some(Edit::Replace {
                location: Location {
                    file: location.file,
                    span: Span {
                        start: location.span.end,
                        end: location.span.end,
                    },
                },
                content: add.clone(),
            })
        }
        Edit::CreateBeside {
            beside,
            name,
            content,
        } => {
            let file = files.get(beside.file.0 as usize)?;
            if &*file.path == crate::discover::STDIN_DISPLAY
                || &*file.path == crate::discover::STDIN
                || name.contains(['/', '\\'])
            {
                return None;
            }
            let path = match file.path.rfind('/') {
                Some(i) => format!("{}/{name}", &file.path[..i]),
                None => name.clone(),
            };
            Some(Edit::Create {
                path,
                content: content.clone(),
            })
        }
        Edit::AddInfrastructureLabels { name, labels } => {
            let t = text(name)?;
            let (at, content) = infrastructure_labels(t, name.span.start.byte as usize, labels)?;
            let pos = LineIndex::new(t).pos_of_byte(at);
            Some(Edit::Replace {
                location: Location {
                    file: name.file,
                    span: Span {
                        start: pos,
                        end: pos,
                    },
                },
                content,
            })
        }
    }
}

/// The new text of the value at `location`, written as `old` was: plain, or in the same quotes.
fn rename(text: &str, location: Location, old: &str, new: &str) -> Option<String> {
    let written = text.get(location.span.start.byte as usize..location.span.end.byte as usize)?;
    if written == old {
        return plain_is_safe(new).then(|| new.to_string());
    }
    if written == format!("\"{old}\"") && !new.contains(['"', '\\']) {
        return Some(format!("\"{new}\""));
    }
    if written == format!("'{old}'") && !new.contains('\'') {
        return Some(format!("'{new}'"));
    }
    None
}

/// Whether `new` can stand where a plain word or scalar stood: Kubernetes names, ports and
/// section names are; anything with YAML or shell syntax in it is not written by a fix.
fn plain_is_safe(new: &str) -> bool {
    !new.is_empty()
        && new
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// Where to insert, and what, to add `labels` under `spec.infrastructure.labels` of the document
/// holding byte `name_at`: before the first key of the deepest of `spec`, `infrastructure`,
/// `labels` that exists, at its indentation, with the file's indentation step for what is new.
/// `None` when the result would not be plain block YAML or would break the 8-label limit.
fn infrastructure_labels(
    text: &str,
    name_at: usize,
    labels: &[(String, String)],
) -> Option<(usize, String)> {
    // Only the Gateway's document is parsed again: a file may hold thousands of objects.
    let (start, end) = document_around(text, name_at)?;
    let (at, content) = labels_in_document(&text[start..end], name_at - start, labels)?;
    Some((start + at, content))
}

/// The byte range of the YAML document holding `at`: between the `---` lines around it.
fn document_around(text: &str, at: usize) -> Option<(usize, usize)> {
    let is_marker = |line: &str| {
        line.strip_prefix("---")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
    };
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let next = offset + line.len();
        if is_marker(line.trim_end_matches('\n')) {
            if offset > at {
                return Some((start, offset));
            }
            start = next;
        }
        offset = next;
    }
    (start <= at).then_some((start, text.len()))
}

fn labels_in_document(
    text: &str,
    name_at: usize,
    labels: &[(String, String)],
) -> Option<(usize, String)> {
    if labels.is_empty() || labels.iter().any(|(k, _)| k.starts_with(RESERVED_PREFIX)) {
        return None;
    }
    let index = LineIndex::new(text);
    let loaded = yaml::load(text, &index);
    let doc = loaded.documents.iter().map(|d| d.root()).find(|root| {
        let s = root.span();
        s.start.byte as usize <= name_at && name_at < s.end.byte as usize
    })?;
    if doc.get("kind").and_then(Node::as_str) != Some("Gateway") {
        return None;
    }
    // Only labels the document itself writes: labels an overlay adds (a kustomize `labels:`, a
    // patch) are not the base's to copy, as every other overlay would get them too.
    let written = doc.at(&["metadata", "labels"])?;
    if !labels
        .iter()
        .all(|(k, v)| written.get(k).and_then(Node::as_str) == Some(v.as_str()))
    {
        return None;
    }
    let (spec_key, spec) = doc.get_entry("spec")?;
    let infra = spec.get_entry("infrastructure");
    let existing = infra.and_then(|(_, i)| i.get_entry("labels"));
    if let Some((_, l)) = existing {
        let count = l.as_map().count();
        if !l.is_map() && !l.is_null() {
            return None;
        }
        if l.as_map()
            .any(|(k, _)| labels.iter().any(|(n, _)| k.as_str() == Some(n)))
        {
            return None;
        }
        if count + labels.len() > MAX_INFRASTRUCTURE_LABELS {
            return None;
        }
    } else if labels.len() > MAX_INFRASTRUCTURE_LABELS {
        return None;
    }
    // The deepest mapping there is, and how many levels are still to be written below it.
    let (parent_key, mapping, missing): (Node<'_>, Node<'_>, &[&str]) = match (infra, existing) {
        (Some((_, _)), Some((lk, l))) => (lk, l, &[]),
        (Some((ik, i)), None) => (ik, i, &["labels"]),
        (None, _) => (spec_key, spec, &["infrastructure", "labels"]),
    };
    let (first_key, _) = mapping.as_map().next()?;
    let key_start = first_key.span().start;
    let line_start = text[..key_start.byte as usize]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let indent = &text[line_start..key_start.byte as usize];
    // A block mapping's first key starts its line; a flow mapping (`{a: b}`) is left alone.
    if !indent.chars().all(|c| c == ' ') {
        return None;
    }
    let step = (key_start.col as usize).checked_sub(parent_key.span().start.col as usize)?;
    if step == 0 {
        return None;
    }
    let mut out = String::new();
    let mut depth = indent.len();
    for key in missing {
        out.push_str(&format!("{}{key}:\n", " ".repeat(depth)));
        depth += step;
    }
    for (k, v) in labels {
        out.push_str(&format!(
            "{}{}: {}\n",
            " ".repeat(depth),
            yaml_key(k)?,
            yaml_scalar(v)
        ));
    }
    Some((line_start, with_line_endings_of(text, out)))
}

/// `lines` with the file's line endings: CRLF when the file has them.
fn with_line_endings_of(text: &str, lines: String) -> String {
    if text.contains("\r\n") {
        lines.replace('\n', "\r\n")
    } else {
        lines
    }
}

/// A label key as a plain YAML key; label keys never need quotes, anything else is refused.
fn yaml_key(key: &str) -> Option<&str> {
    key.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/'))
        .then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(text: &str, labels: &[(&str, &str)]) -> Option<String> {
        let labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let name_at = text.find("name:").unwrap();
        let (at, content) = infrastructure_labels(text, name_at, &labels)?;
        let mut out = text.to_string();
        out.insert_str(at, &content);
        Some(out)
    }

    const GW: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: gw\n  labels:\n    arp: enable\n";

    #[test]
    fn creates_infrastructure_in_the_files_indentation() {
        let two = format!("{GW}spec:\n  gatewayClassName: cilium\n");
        assert_eq!(
            add(&two, &[("arp", "enable")]).unwrap(),
            format!(
                "{GW}spec:\n  infrastructure:\n    labels:\n      arp: enable\n  gatewayClassName: cilium\n"
            )
        );
        let four = format!("{GW}spec:\n    gatewayClassName: cilium\n");
        assert_eq!(
            add(&four, &[("arp", "enable")]).unwrap(),
            format!(
                "{GW}spec:\n    infrastructure:\n        labels:\n            arp: enable\n    gatewayClassName: cilium\n"
            )
        );
    }

    #[test]
    fn copies_only_labels_the_document_writes_and_keeps_crlf() {
        let text = format!("{GW}spec:\n  gatewayClassName: cilium\n");
        assert_eq!(add(&text, &[("zone", "dmz")]), None);
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(
            add(&crlf, &[("arp", "enable")]).unwrap(),
            format!("{GW}spec:\n  infrastructure:\n    labels:\n      arp: enable\n  gatewayClassName: cilium\n")
                .replace('\n', "\r\n")
        );
    }

    #[test]
    fn finds_the_gateway_among_other_documents() {
        let other = "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec: {}\n";
        let gw = format!("{GW}spec:\n  gatewayClassName: cilium\n");
        let text = format!("{other}---\n{gw}--- # next\n{other}");
        let at = text.find("name: gw").unwrap();
        let (insert, content) =
            infrastructure_labels(&text, at, &[("arp".into(), "enable".into())]).unwrap();
        assert_eq!(&text[insert..insert + 18], "  gatewayClassName");
        assert_eq!(
            content,
            "  infrastructure:\n    labels:\n      arp: enable\n"
        );
        assert_eq!(
            document_around(&text, at),
            Some((other.len() + 4, other.len() + 4 + gw.len()))
        );
    }

    #[test]
    fn adds_to_existing_labels_within_the_limit() {
        let text = format!("{GW}spec:\n  infrastructure:\n    labels:\n      a: b\n");
        assert_eq!(
            add(&text, &[("arp", "enable")]).unwrap(),
            format!("{GW}spec:\n  infrastructure:\n    labels:\n      arp: enable\n      a: b\n")
        );
        let full: String = (0..8).map(|i| format!("      l{i}: v\n")).collect();
        let text = format!("{GW}spec:\n  infrastructure:\n    labels:\n{full}");
        assert_eq!(add(&text, &[("arp", "enable")]), None);
    }

    #[test]
    fn leaves_flow_maps_and_reserved_keys_alone() {
        let flow = format!("{GW}spec:\n  infrastructure:\n    labels: {{a: b}}\n");
        assert_eq!(add(&flow, &[("arp", "enable")]), None);
        let flow_spec = format!("{GW}spec: {{gatewayClassName: cilium}}\n");
        assert_eq!(add(&flow_spec, &[("arp", "enable")]), None);
        let text = format!("{GW}spec:\n  gatewayClassName: cilium\n");
        assert_eq!(add(&text, &[("gateway.networking.k8s.io/x", "y")]), None);
    }

    #[test]
    fn renames_keep_quotes_and_refuse_what_changed() {
        let text = "name: \"web\"\nport: web\n";
        let at = |start: usize, end: usize| {
            let index = LineIndex::new(text);
            Location {
                file: crate::source::FileId(0),
                span: Span {
                    start: index.pos_of_byte(start),
                    end: index.pos_of_byte(end),
                },
            }
        };
        assert_eq!(
            rename(text, at(6, 11), "web", "www"),
            Some("\"www\"".into())
        );
        assert_eq!(rename(text, at(18, 21), "web", "www"), Some("www".into()));
        assert_eq!(rename(text, at(18, 21), "api", "www"), None);
        assert_eq!(rename(text, at(18, 21), "web", "a: b"), None);
    }
}
