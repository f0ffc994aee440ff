//! Template syntax in a YAML file: the `{{ … }}` and `{% … %}` of Go templates (Helm), Jinja
//! (cookiecutter, copier, Ansible, makejinja) and the like, written where YAML reads it as syntax
//! rather than inside a string. Such a file is a template, not a manifest: it is what a tool
//! renders into manifests, and it is counted as a template instead of linted.

pub use crate::source::has_template_syntax as may_hold_template_syntax;
use crate::source::yaml::Node;

/// The openings of template tags: Go template and Jinja expressions, Jinja statements and
/// comments.
const OPENINGS: [&str; 3] = ["{{", "{%", "{#"];

/// Whether a parsed document holds an unquoted `{{ … }}`: YAML reads `name: {{ .name }}` as a
/// flow mapping whose key is itself a mapping. Kubernetes objects never have a mapping or a
/// sequence as a key (JSON cannot write one, so kubectl refuses it), so such a key is a template
/// placeholder, not a mistake in an object.
pub fn has_collection_key(node: Node<'_>) -> bool {
    node.as_map()
        .any(|(k, v)| (!k.is_null() && k.as_str().is_none()) || has_collection_key(v))
        || node.as_seq().any(has_collection_key)
}

/// Whether `text` holds a template tag outside quoted strings, block scalars and comments: in a
/// file that does not parse, that is why it does not.
pub fn has_unquoted_tag(text: &str) -> bool {
    // The indentation of the line that opened a block scalar (`key: |`): more indented lines
    // are its text.
    let mut block_indent: Option<usize> = None;
    // The quote of a quoted scalar left open at the end of a line: quoted scalars may span lines.
    let mut open_quote: Option<u8> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(parent) = block_indent {
            if line.trim().is_empty() || indent > parent {
                continue;
            }
            block_indent = None;
        }
        let (tag, quote, last) = scan_line(line, open_quote);
        if tag {
            return true;
        }
        open_quote = quote;
        if quote.is_none() && opens_block_scalar(last) {
            block_indent = Some(indent);
        }
    }
    false
}

/// Scans one line from inside `quote` (if a quoted scalar continues onto it): whether a tag
/// opens outside quotes, the quote still open at its end, and its last token outside comments.
fn scan_line(line: &str, mut quote: Option<u8>) -> (bool, Option<u8>, &str) {
    let bytes = line.as_bytes();
    let mut end = bytes.len();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(b'\'') if b == b'\'' => {
                // `''` is an escaped quote inside a single-quoted scalar.
                if bytes.get(i + 1) == Some(&b'\'') {
                    i += 1;
                } else {
                    quote = None;
                }
            }
            Some(b'"') if b == b'\\' => i += 1,
            Some(b'"') if b == b'"' => quote = None,
            Some(_) => {}
            None => {
                let at_token_start =
                    i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'[' | b'{' | b',' | b':');
                if (b == b'\'' || b == b'"') && at_token_start {
                    quote = Some(b);
                } else if b == b'#' && (i == 0 || matches!(bytes[i - 1], b' ' | b'\t')) {
                    end = i;
                    break;
                } else if OPENINGS
                    .iter()
                    .any(|o| bytes[i..].starts_with(o.as_bytes()))
                {
                    return (true, None, "");
                }
            }
        }
        i += 1;
    }
    (false, quote, line[..end].trim_end())
}

/// Whether a line (without its comment) ends with a block scalar indicator: `|`, `>`, with
/// optional chomping and indentation indicators (`|-`, `>+`, `|2-`).
fn opens_block_scalar(line: &str) -> bool {
    let trimmed = line.trim_end_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit());
    let Some(before) = trimmed
        .strip_suffix('|')
        .or_else(|| trimmed.strip_suffix('>'))
    else {
        return false;
    };
    before.is_empty() || before.ends_with(' ') || before.ends_with('\t')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::LineIndex;
    use crate::source::yaml;

    fn collection_key(text: &str) -> bool {
        let index = LineIndex::new(text);
        let loaded = yaml::load(text, &index);
        assert!(loaded.error.is_none(), "{text} parses: {:?}", loaded.error);
        loaded
            .documents
            .iter()
            .any(|d| has_collection_key(d.root()))
    }

    #[test]
    fn unquoted_placeholders_that_parse_are_collection_keys() {
        assert!(collection_key("metadata:\n  name: {{ .name }}\n"));
        assert!(collection_key(
            "spec:\n  ports:\n  - port: {{ cookiecutter.port }}\n"
        ));
        assert!(!collection_key("metadata:\n  name: \"{{ .name }}\"\n"));
        assert!(!collection_key("metadata:\n  labels: {app: web}\n"));
        assert!(!collection_key("data:\n  tpl: |\n    {{ .x }}\n"));
    }

    #[test]
    fn a_fast_scan_finds_the_openings() {
        assert!(may_hold_template_syntax("a: {{ x }}"));
        assert!(may_hold_template_syntax("{% if x %}"));
        assert!(!may_hold_template_syntax(
            "identity: {}\nmap: {a: {b: c}}\n"
        ));
        assert!(!may_hold_template_syntax("ends with {"));
    }

    #[test]
    fn tags_outside_strings() {
        assert!(has_unquoted_tag(
            "{{- if .Values.enabled }}\nkind: Service\n"
        ));
        assert!(has_unquoted_tag("metadata:\n  name: {{ name }}\n"));
        assert!(has_unquoted_tag(
            "{% if ingress %}\nkind: Ingress\n{% endif %}\n"
        ));
        assert!(has_unquoted_tag("name: it's {{ x }}\n"));
        assert!(has_unquoted_tag("a: \"multi\n  line\" {{ x }}\n"));
        // In strings, block scalars and comments, braces are text.
        assert!(!has_unquoted_tag("name: \"{{ .name }}\"\n"));
        assert!(!has_unquoted_tag("name: '{{ .name }}-web'\n"));
        assert!(!has_unquoted_tag("a: 'it''s {{ x }}'\n"));
        assert!(!has_unquoted_tag("a: \"esc \\\" {{ x }}\"\n"));
        assert!(!has_unquoted_tag("a: b # {{ not a tag }}\n"));
        assert!(!has_unquoted_tag(
            "data:\n  alert.tmpl: |-\n    {{ define \"x\" }}\n\n    {{ end }}\nnext: 1\n"
        ));
        assert!(!has_unquoted_tag(
            "args:\n- >\n  {{ folded }}\nkind: ConfigMap\n"
        ));
        // After the block scalar ends, syntax counts again.
        assert!(has_unquoted_tag("a: |\n  text\nb: {{ x }}\n"));
        // Text that is not ASCII is scanned byte by byte, never cut inside a character.
        assert!(has_unquoted_tag("é: ü{{ x }}\n"));
        assert!(!has_unquoted_tag("é: 'ü{{ x }}'\n"));
    }
}
