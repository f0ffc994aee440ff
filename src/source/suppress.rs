//! `cilint-ignore` comments: which rules a comment suppresses, and on which lines.
//!
//! YAML and shell: `# cilint-ignore rule-a, rule-b -- reason`. Markdown: `<!-- cilint-ignore … -->`
//! outside code blocks, `# cilint-ignore …` inside them. A comment alone on its line covers the
//! next line (directives stacked on the lines between are skipped); a comment after code covers
//! its own line. An HTML comment right before a code block covers the whole block, since a fence
//! cannot hold an HTML comment.

use super::commands::{MarkdownPart, comment_start, markdown_parts, physical_lines};
use super::{FileKind, LineIndex, Span};

/// The word that starts a suppression comment.
pub const DIRECTIVE: &str = "cilint-ignore";
/// The annotation that suppresses findings about the object that carries it.
pub const ANNOTATION: &str = "cilint.io/ignore";
/// The id that stands for every rule.
pub const ALL: &str = "all";

/// A rule id (or `all`) a suppression comment names.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleName {
    pub id: String,
    pub span: Span,
}

/// One `cilint-ignore` comment.
#[derive(Clone, Debug, PartialEq)]
pub struct Suppression {
    pub rules: Vec<RuleName>,
    /// From `cilint-ignore` to its last rule id: where a comment that names no rule is reported.
    pub span: Span,
    /// The first and last 1-based line whose findings it covers.
    pub lines: (u32, u32),
}

/// The rule ids of a list, separated by commas or spaces and ended by an optional `-- reason`,
/// with their byte offsets in `list`.
pub fn rule_ids(list: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    // A trailing separator flushes the last word.
    for (i, c) in list.char_indices().chain([(list.len(), ' ')]) {
        if c == ',' || c.is_whitespace() {
            if let Some(s) = start.take() {
                let word = &list[s..i];
                if word.starts_with("--") {
                    break;
                }
                out.push((s, word));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    out
}

/// A directive found in a comment, before its target lines are known.
struct Found {
    rules: Vec<RuleName>,
    span: Span,
    /// The line the comment ends on.
    line: u32,
    /// Nothing but the comment is on its line(s).
    alone: bool,
}

/// Extracts the suppression comments of one file.
pub fn extract(kind: FileKind, text: &str, index: &LineIndex) -> Vec<Suppression> {
    if !text.contains(DIRECTIVE) {
        return Vec::new();
    }
    let mut found = Vec::new();
    // Line ranges of Markdown code blocks, fences included.
    let mut blocks = Vec::new();
    match kind {
        FileKind::Yaml | FileKind::Shell => hash_comments(text, 0, text.len(), index, &mut found),
        FileKind::Markdown => {
            for part in markdown_parts(text) {
                match part {
                    MarkdownPart::CodeBlock(r) => blocks.push((
                        index.pos_of_byte(r.start).line,
                        index.pos_of_byte(r.end.saturating_sub(1)).line,
                    )),
                    MarkdownPart::Code(r) => hash_comments(text, r.start, r.end, index, &mut found),
                    MarkdownPart::Html(r) => html_comments(text, r.start, r.end, index, &mut found),
                }
            }
        }
        FileKind::Json | FileKind::Terraform => {}
    }
    let alone_lines: Vec<u32> = found.iter().filter(|f| f.alone).map(|f| f.line).collect();
    found
        .into_iter()
        .map(|f| {
            let lines = if f.alone {
                let mut next = f.line + 1;
                while alone_lines.contains(&next) {
                    next += 1;
                }
                blocks
                    .iter()
                    .find(|b| b.0 == next)
                    .copied()
                    .unwrap_or((next, next))
            } else {
                (f.line, f.line)
            };
            Suppression {
                rules: f.rules,
                span: f.span,
                lines,
            }
        })
        .collect()
}

/// `#` comments of the lines in `text[start..end]`. A directive may follow other comment text
/// (`# kubectl label … # cilint-ignore …`), so every `#` that starts a word is tried.
fn hash_comments(text: &str, start: usize, end: usize, index: &LineIndex, out: &mut Vec<Found>) {
    for (line, offset) in physical_lines(text, start, end) {
        let Some(hash) = comment_start(line) else {
            continue;
        };
        let mut prev = ' ';
        for (i, c) in line[hash..].char_indices() {
            let at = hash + i;
            if c == '#' && prev.is_whitespace() {
                let body = at + 1;
                if let Some(f) = directive(&line[body..], offset + body, index) {
                    out.push(Found {
                        alone: line[..at].trim().is_empty(),
                        ..f
                    });
                    break;
                }
            }
            prev = c;
        }
    }
}

/// `<!-- … -->` comments in raw HTML at `text[start..end]`.
fn html_comments(text: &str, start: usize, end: usize, index: &LineIndex, out: &mut Vec<Found>) {
    let mut from = start;
    while let Some(open) = text[from..end].find("<!--").map(|i| from + i + 4) {
        let close = text[open..end].find("-->").map_or(end, |i| open + i);
        if let Some(f) = directive(&text[open..close], open, index) {
            let line_start = text[..open - 4].rfind('\n').map_or(0, |i| i + 1);
            let after = close + 3.min(end - close);
            let line_end = text[after..].find('\n').map_or(text.len(), |i| after + i);
            out.push(Found {
                alone: text[line_start..open - 4].trim().is_empty()
                    && text[after..line_end].trim().is_empty(),
                line: index.pos_of_byte(close).line,
                ..f
            });
        }
        from = close;
    }
}

/// The directive a comment's text holds, if it is one; `offset` is the text's byte offset in the
/// file. `line` is the line the directive starts on.
fn directive(body: &str, offset: usize, index: &LineIndex) -> Option<Found> {
    let lead = body.len() - body.trim_start().len();
    let rest = body[lead..].strip_prefix(DIRECTIVE)?;
    if rest.chars().next().is_some_and(|c| !c.is_whitespace()) {
        return None; // `cilint-ignored`, `cilint-ignore:`
    }
    let list_at = offset + lead + DIRECTIVE.len();
    let rules: Vec<RuleName> = rule_ids(rest)
        .into_iter()
        .map(|(i, id)| RuleName {
            id: id.to_string(),
            span: index.span(list_at + i, list_at + i + id.len()),
        })
        .collect();
    let end = rules.last().map_or(list_at, |r| r.span.end.byte as usize);
    let span = index.span(offset + lead, end);
    Some(Found {
        rules,
        span,
        line: span.start.line,
        alone: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extract_text(kind: FileKind, text: &str) -> Vec<Suppression> {
        extract(kind, text, &LineIndex::new(text))
    }

    /// Each suppression as its covered lines and rule ids.
    fn summary(kind: FileKind, text: &str) -> Vec<((u32, u32), Vec<String>)> {
        extract_text(kind, text)
            .into_iter()
            .map(|s| (s.lines, s.rules.into_iter().map(|r| r.id).collect()))
            .collect()
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn lists_split_on_commas_and_spaces_and_stop_at_the_reason() {
        assert_eq!(
            rule_ids("a, b c,d -- created by the chart, later"),
            vec![(0, "a"), (3, "b"), (5, "c"), (7, "d")]
        );
        assert_eq!(rule_ids(" all"), vec![(1, "all")]);
        assert_eq!(rule_ids("a --reason"), vec![(0, "a")]);
        assert!(rule_ids(" -- only a reason").is_empty());
    }

    #[test]
    fn yaml_comment_alone_covers_the_next_line_trailing_its_own() {
        let text = "spec:\n  # cilint-ignore backend-not-found -- made by the chart\n  \
                    name: a\n  port: 80 # cilint-ignore backend-port-mismatch, all\n";
        assert_eq!(
            summary(FileKind::Yaml, text),
            vec![
                ((3, 3), ids(&["backend-not-found"])),
                ((4, 4), ids(&["backend-port-mismatch", "all"])),
            ]
        );
    }

    #[test]
    fn spans_point_at_each_rule_id() {
        let text = "x: 1\n# cilint-ignore a-rule,  b-rule\n";
        let s = &extract_text(FileKind::Yaml, text)[0];
        let at = |span: Span| &text[span.start.byte as usize..span.end.byte as usize];
        assert_eq!(at(s.rules[0].span), "a-rule");
        assert_eq!(at(s.rules[1].span), "b-rule");
        assert_eq!(
            (s.rules[1].span.start.line, s.rules[1].span.start.col),
            (2, 26)
        );
        assert_eq!(at(s.span), "cilint-ignore a-rule,  b-rule");
    }

    #[test]
    fn stacked_directives_cover_the_same_line() {
        let text = "# cilint-ignore a\n# cilint-ignore b\nname: x\n";
        assert_eq!(
            summary(FileKind::Yaml, text),
            vec![((3, 3), ids(&["a"])), ((3, 3), ids(&["b"]))]
        );
    }

    #[test]
    fn not_directives() {
        let text = "a: \"# cilint-ignore x\"\nb: c#cilint-ignore y\n# see cilint-ignore z\n\
                    # cilint-ignored q\n# cilint-ignore: w\n";
        assert!(extract_text(FileKind::Yaml, text).is_empty());
        assert!(extract_text(FileKind::Json, "{\"a\": \"# cilint-ignore x\"}").is_empty());
    }

    #[test]
    fn a_directive_may_follow_a_commented_command() {
        let text = "#   kubectl label svc/x a=b # cilint-ignore label-command-unknown-gateway\n";
        assert_eq!(
            summary(FileKind::Yaml, text),
            vec![((1, 1), ids(&["label-command-unknown-gateway"]))]
        );
    }

    #[test]
    fn empty_directive_is_kept_with_no_rules() {
        let s = &extract_text(FileKind::Shell, "# cilint-ignore\nkubectl get pods\n")[0];
        assert!(s.rules.is_empty());
        assert_eq!(s.lines, (2, 2));
        assert_eq!((s.span.start.col, s.span.end.col), (3, 16));
    }

    #[test]
    fn shell_comments() {
        let text = "#!/bin/sh\n# cilint-ignore label-command-unknown-gateway\n\
                    kubectl label svc/x a=b\nkubectl label svc/y a=b  # cilint-ignore all\n";
        assert_eq!(
            summary(FileKind::Shell, text),
            vec![
                ((3, 3), ids(&["label-command-unknown-gateway"])),
                ((4, 4), ids(&["all"])),
            ]
        );
    }

    #[test]
    fn markdown_html_comments_and_fence_comments() {
        let text = "# Title\n\n\
                    <!-- cilint-ignore label-command-unknown-gateway -- example only -->\n\
                    ```console\n$ kubectl label svc/x a=b\n$ kubectl label svc/y a=b\n```\n\n\
                    ```sh\n# cilint-ignore all\nkubectl label svc/z a=b\n```\n\n\
                    Prose <!-- cilint-ignore a -->, and `<!-- cilint-ignore b -->` in code.\n\n\
                    <!--\ncilint-ignore c\n-->\nnext\n";
        assert_eq!(
            summary(FileKind::Markdown, text),
            vec![
                ((4, 7), ids(&["label-command-unknown-gateway"])),
                ((11, 11), ids(&["all"])),
                ((14, 14), ids(&["a"])),
                ((19, 19), ids(&["c"])),
            ]
        );
    }

    #[test]
    fn markdown_prose_hash_is_not_a_comment() {
        let text = "Write # cilint-ignore x in YAML.\n";
        assert!(extract_text(FileKind::Markdown, text).is_empty());
    }
}
