//! `kubectl` commands found in shell scripts, Markdown code blocks and YAML comments.
//!
//! Lines are joined across backslash continuations, shell prompts are skipped, and words are
//! split with their positions kept so findings can point at the exact word. Unquoting is done
//! by the `shlex` crate.

use std::ops::Range;

use super::{FileId, FileKind, LineIndex, Location, Span};

/// A word of a command, unquoted, with the span of its raw text.
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub text: String,
    pub span: Span,
}

/// What a command does, as far as rules care.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `kubectl label` or `kubectl annotate` of some resources.
    Label {
        annotate: bool,
        targets: Vec<ResourceArg>,
    },
    /// `kubectl create secret tls|generic|docker-registry NAME` or `create configmap NAME`.
    Create {
        kind: CreatedKind,
        name: Word,
    },
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreatedKind {
    SecretTls,
    SecretGeneric,
    SecretDockerRegistry,
    ConfigMap,
}

impl CreatedKind {
    pub fn kind(self) -> &'static str {
        match self {
            CreatedKind::ConfigMap => "ConfigMap",
            _ => "Secret",
        }
    }

    /// The Secret `type` kubectl gives the object.
    pub fn secret_type(self) -> Option<&'static str> {
        match self {
            CreatedKind::SecretTls => Some("kubernetes.io/tls"),
            CreatedKind::SecretGeneric => Some("Opaque"),
            CreatedKind::SecretDockerRegistry => Some("kubernetes.io/dockerconfigjson"),
            CreatedKind::ConfigMap => None,
        }
    }
}

/// A resource named on the command line: `service NAME` or `service/NAME`, with the resource
/// normalised to its singular lower-case form (`svc` and `services` become `service`).
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceArg {
    pub resource: String,
    pub name: Word,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// The whole command, from `kubectl` to its last word.
    pub location: Location,
    /// `-n`/`--namespace` value, if given.
    pub namespace: Option<Word>,
    pub action: Action,
}

/// Extracts the commands of one file.
pub fn extract(file: FileId, kind: FileKind, text: &str, index: &LineIndex) -> Vec<Command> {
    if !text.contains("kubectl") {
        return Vec::new();
    }
    let mut lines = Vec::new();
    let mut heredocs = Vec::new();
    match kind {
        FileKind::Shell => shell_lines(text, 0, text.len(), &mut lines, &mut heredocs),
        FileKind::Markdown => markdown_lines(text, &mut lines, &mut heredocs),
        FileKind::Yaml => {
            comment_lines(text, index, &mut lines);
            scalar_lines(text, &mut lines, &mut heredocs);
        }
        FileKind::Json | FileKind::Terraform => {}
    }
    let mut out: Vec<Command> = lines
        .iter()
        .flat_map(|l| parse_line(l, file, index))
        .collect();
    for range in heredocs {
        heredoc_objects(text, range, file, index, &mut out);
    }
    out
}

/// YAML values that are commands: a task runner's `cmds:` item (`- kubectl create …`), a
/// `run: kubectl …`, and the lines of a block scalar that start with `kubectl`. Only a value
/// that starts with the command counts, never prose that mentions it.
fn scalar_lines(text: &str, out: &mut Vec<Logical>, heredocs: &mut Vec<Range<usize>>) {
    // Only the lines holding the word are looked at: found with one searcher over the file.
    let mut next_line = 0;
    for at in memchr::memmem::find_iter(text.as_bytes(), b"kubectl") {
        if at < next_line {
            continue;
        }
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        next_line = end + 1;
        let line = text[start..end].trim_end_matches('\r');
        let Some(command_at) = (at - start <= line.len()).then_some(at - start) else {
            continue;
        };
        let before = line[..command_at].trim_start();
        let before = before.strip_prefix("- ").unwrap_or(before).trim();
        let key = before.strip_suffix(':').is_some_and(|k| {
            k.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        });
        if !(before.is_empty() || key || before == "-") {
            continue;
        }
        let command = line[command_at..].trim_end_matches(['"', '\'']);
        let mut logical = Logical::new();
        logical.push(command, at);
        out.push(logical);
        let Some(delim) = heredoc_delimiter(command) else {
            continue;
        };
        // The heredoc's body runs to the line that is its delimiter.
        let body = (end + 1).min(text.len());
        let close = physical_lines(text, body, text.len()).find(|(l, _)| l.trim() == delim);
        let body_end = close.map_or(text.len(), |(_, offset)| offset);
        heredocs.push(body..body_end);
        next_line = body_end;
    }
}

/// The Secrets and ConfigMaps of a manifest written in a heredoc a `kubectl` line opens
/// (`kubectl apply -f - <<EOF`): each is made as a `kubectl create` would, named where its
/// `metadata.name` is written. Read line by line: `kind:` and `metadata:` at the document's
/// own indentation, `name:` and `namespace:` one level below `metadata:`.
fn heredoc_objects(
    text: &str,
    range: Range<usize>,
    file: FileId,
    index: &LineIndex,
    out: &mut Vec<Command>,
) {
    if range.start >= range.end.min(text.len()) {
        return;
    }
    struct Doc {
        kind: Option<CreatedKind>,
        name: Option<Word>,
        namespace: Option<Word>,
        start: usize,
    }
    let mut docs = vec![Doc {
        kind: None,
        name: None,
        namespace: None,
        start: range.start,
    }];
    let mut top: Option<usize> = None;
    let mut in_metadata = false;
    for (line, offset) in physical_lines(text, range.start, range.end.min(text.len())) {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed == "---" {
            docs.push(Doc {
                kind: None,
                name: None,
                namespace: None,
                start: offset,
            });
            in_metadata = false;
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let top_indent = *top.get_or_insert(indent);
        let doc = docs.last_mut().expect("one document at least");
        if indent == top_indent {
            in_metadata = trimmed.starts_with("metadata:");
            if let Some(kind) = trimmed.strip_prefix("kind:") {
                doc.kind = match kind.trim().trim_matches(['"', '\'']) {
                    "Secret" => Some(CreatedKind::SecretGeneric),
                    "ConfigMap" => Some(CreatedKind::ConfigMap),
                    _ => None,
                };
            }
            continue;
        }
        if !in_metadata {
            continue;
        }
        for (key, slot) in [("name:", &mut doc.name), ("namespace:", &mut doc.namespace)] {
            if let Some(value) = trimmed.strip_prefix(key) {
                let raw = value.trim();
                let word = raw.trim_matches(['"', '\'']);
                if word.is_empty() || slot.is_some() {
                    continue;
                }
                let start = offset + indent + key.len() + (value.len() - value.trim_start().len());
                let start = start + raw.find(word).unwrap_or(0);
                *slot = Some(Word {
                    text: word.to_string(),
                    span: index.span(start, start + word.len()),
                });
            }
        }
    }
    for d in docs {
        let (Some(kind), Some(name)) = (d.kind, d.name) else {
            continue;
        };
        out.push(Command {
            location: Location {
                file,
                span: index.span(d.start, name.span.end.byte as usize),
            },
            namespace: d.namespace,
            action: Action::Create { kind, name },
        });
    }
}

/// A logical line: its text and, for each byte, the byte offset in the file it came from.
struct Logical {
    text: String,
    map: Vec<u32>,
}

impl Logical {
    fn new() -> Self {
        Logical {
            text: String::new(),
            map: Vec::new(),
        }
    }

    fn push(&mut self, s: &str, file_offset: usize) {
        self.text.push_str(s);
        self.map
            .extend((0..s.len()).map(|i| (file_offset + i) as u32));
    }

    fn file_byte(&self, i: usize) -> usize {
        match self.map.get(i) {
            Some(&b) => b as usize,
            None => self.map.last().map(|&b| b as usize + 1).unwrap_or(0),
        }
    }
}

/// Physical lines of `text[start..end]` as `(line, offset)` without their line ending.
pub(crate) fn physical_lines(
    text: &str,
    start: usize,
    end: usize,
) -> impl Iterator<Item = (&str, usize)> {
    let mut offset = start;
    text[start..end].split_inclusive('\n').map(move |raw| {
        let here = offset;
        offset += raw.len();
        (raw.trim_end_matches(['\n', '\r']), here)
    })
}

/// Shell text: joins continuations and skips heredoc bodies.
fn shell_lines(
    text: &str,
    start: usize,
    end: usize,
    out: &mut Vec<Logical>,
    heredocs: &mut Vec<Range<usize>>,
) {
    let mut current: Option<Logical> = None;
    // The delimiter, and where the body starts when a `kubectl` line opened it.
    let mut heredoc: Option<(String, Option<usize>)> = None;
    for (line, offset) in physical_lines(text, start, end) {
        if let Some((delim, body)) = &heredoc {
            if line.trim() == delim {
                heredocs.extend(body.map(|b| b..offset));
                heredoc = None;
            }
            continue;
        }
        let (body, continued) = match line.strip_suffix('\\') {
            Some(b) => (b, true),
            None => (line, false),
        };
        let logical = current.get_or_insert_with(Logical::new);
        logical.push(body, offset);
        if continued {
            logical.push(" ", offset + body.len());
            continue;
        }
        let done = current.take().unwrap();
        let by_kubectl = done.text.contains("kubectl");
        heredoc = heredoc_delimiter(&done.text)
            .map(|d| (d, by_kubectl.then_some(offset + line.len() + 1)));
        if by_kubectl {
            out.push(done);
        }
    }
    if let Some(done) = current.filter(|l| l.text.contains("kubectl")) {
        out.push(done);
    }
}

/// The delimiter of a heredoc the line opens (`<<EOF`, `<<-'EOF'`, `<< "EOF"`).
fn heredoc_delimiter(line: &str) -> Option<String> {
    let at = line.find("<<")?;
    let rest = line[at + 2..].trim_start_matches('-').trim_start();
    if rest.starts_with('<') {
        return None; // a here-string, `<<<`
    }
    let word: String = rest
        .trim_start_matches(['\'', '"'])
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// Markdown: the contents of fenced and indented code blocks, read as shell.
fn markdown_lines(text: &str, out: &mut Vec<Logical>, heredocs: &mut Vec<Range<usize>>) {
    for part in markdown_parts(text) {
        if let MarkdownPart::Code(range) = part {
            shell_lines(text, range.start, range.end, out, heredocs);
        }
    }
}

/// The parts of a Markdown file that hold commands or directives, as byte ranges.
#[derive(Debug)]
pub(crate) enum MarkdownPart {
    /// A whole code block, fences included.
    CodeBlock(Range<usize>),
    /// Text inside the code block last announced.
    Code(Range<usize>),
    /// Raw HTML, a block or inline: where `<!-- … -->` comments are.
    Html(Range<usize>),
}

/// One walk over a Markdown file's events, in document order.
pub(crate) fn markdown_parts(text: &str) -> Vec<MarkdownPart> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut parts = Vec::new();
    let mut in_code = false;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_)) => {
                in_code = true;
                parts.push(MarkdownPart::CodeBlock(range));
            }
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Text(_) if in_code => parts.push(MarkdownPart::Code(range)),
            // A block's range covers all its lines, so a comment spanning lines stays whole.
            Event::Start(Tag::HtmlBlock) | Event::InlineHtml(_) => {
                parts.push(MarkdownPart::Html(range))
            }
            _ => {}
        }
    }
    parts
}

/// YAML: comments, joined across continuation lines that are comments too.
fn comment_lines(text: &str, index: &LineIndex, out: &mut Vec<Logical>) {
    let mut current: Option<Logical> = None;
    for line_no in 1..=index.line_count() {
        let (start, end) = index.line_range(line_no);
        let line = text[start..end].trim_end_matches('\r');
        let Some(hash) = comment_start(line) else {
            if let Some(done) = current.take() {
                out.push(done);
            }
            continue;
        };
        let body_start = start + hash + 1;
        let body = &line[hash + 1..];
        if current.is_none() && !body.contains("kubectl") {
            continue;
        }
        let (body, continued) = match body.strip_suffix('\\') {
            Some(b) => (b, true),
            None => (body, false),
        };
        let logical = current.get_or_insert_with(Logical::new);
        logical.push(body, body_start);
        if continued {
            logical.push(" ", body_start + body.len());
        } else {
            out.push(current.take().unwrap());
        }
    }
    if let Some(done) = current {
        out.push(done);
    }
}

/// Byte index of the `#` that starts a comment on a YAML or shell line, outside quotes.
pub(crate) fn comment_start(line: &str) -> Option<usize> {
    // Most lines have no `#` at all: memchr finds that faster than the walk below.
    memchr::memchr(b'#', line.as_bytes())?;
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev.is_whitespace() => return Some(i),
            _ => {}
        }
        prev = c;
    }
    None
}

/// A token of a logical line: a word (raw byte range) or a command separator.
enum Token {
    Word { start: usize, end: usize },
    Separator,
}

fn tokenize(s: &str) -> Vec<Token> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'#' {
            break;
        } else if matches!(c, b';' | b'&' | b'|' | b'(' | b')' | b'`') {
            out.push(Token::Separator);
            i += 1;
        } else {
            let start = i;
            let (mut single, mut double) = (false, false);
            while i < b.len() {
                let c = b[i];
                if single {
                    single = c != b'\'';
                } else if double {
                    if c == b'\\' {
                        i += 1;
                    } else {
                        double = c != b'"';
                    }
                } else if c == b'\\' {
                    i += 1;
                } else if c == b'\'' {
                    single = true;
                } else if c == b'"' {
                    double = true;
                } else if c.is_ascii_whitespace()
                    || matches!(c, b';' | b'&' | b'|' | b')' | b'`')
                    || (c == b'$' && b.get(i + 1) == Some(&b'('))
                {
                    break;
                }
                i += 1;
            }
            let end = i.min(b.len());
            if end > start {
                out.push(Token::Word { start, end });
            } else {
                i += 1;
            }
        }
    }
    out
}

/// Unquotes a raw shell word.
fn unquote(raw: &str) -> String {
    match shlex::split(raw) {
        Some(words) => words.into_iter().next().unwrap_or_default(),
        None => raw.trim_matches(['\'', '"']).to_string(),
    }
}

/// Words that may stand before `kubectl` on a line: prompts, `sudo`, variable assignments.
fn is_prefix_word(w: &str) -> bool {
    matches!(
        w,
        "$" | "#" | "%" | ">" | "sudo" | "command" | "exec" | "time" | "k3s" | "microk8s"
    ) || w.ends_with('$')
        || w.ends_with('#')
        || w.ends_with('>')
        || w.contains('@')
        || w.starts_with('~')
        || w.starts_with('[')
        || (w.contains('=') && !w.starts_with('-'))
}

fn is_kubectl(w: &str) -> bool {
    w == "kubectl" || w.ends_with("/kubectl")
}

fn parse_line(line: &Logical, file: FileId, index: &LineIndex) -> Vec<Command> {
    let tokens = tokenize(&line.text);
    let mut out = Vec::new();
    let mut segment: Vec<Word> = Vec::new();
    let mut flush = |segment: &mut Vec<Word>| {
        if let Some(cmd) = command_of(segment, file) {
            out.push(cmd);
        }
        segment.clear();
    };
    for t in tokens {
        match t {
            Token::Separator => flush(&mut segment),
            Token::Word { start, end } => {
                let span = index.span(line.file_byte(start), line.file_byte(end - 1) + 1);
                segment.push(Word {
                    text: unquote(&line.text[start..end]),
                    span,
                });
            }
        }
    }
    flush(&mut segment);
    out
}

/// Flags whose value is the next word when not written as `--flag=value`.
fn flag_takes_value(flag: &str) -> bool {
    matches!(
        flag,
        "-n" | "--namespace"
            | "--context"
            | "--cluster"
            | "--user"
            | "--kubeconfig"
            | "-s"
            | "--server"
            | "--token"
            | "-l"
            | "--selector"
            | "-o"
            | "--output"
            | "-f"
            | "--filename"
            | "-k"
            | "--kustomize"
            | "-c"
            | "--container"
            | "--cert"
            | "--key"
            | "--from-literal"
            | "--from-file"
            | "--from-env-file"
            | "--type"
            | "--field-selector"
            | "--resource-version"
            | "--field-manager"
            | "--template"
            | "-p"
            | "--patch"
            | "--docker-server"
            | "--docker-username"
            | "--docker-password"
            | "--docker-email"
            | "--image"
            | "--port"
            | "--replicas"
            | "--timeout"
            | "--for"
            | "-L"
            | "--label-columns"
            | "--as"
            | "--as-group"
            | "--request-timeout"
            | "-v"
    )
}

fn command_of(words: &[Word], file: FileId) -> Option<Command> {
    let k = words.iter().position(|w| is_kubectl(&w.text))?;
    if !words[..k].iter().all(|w| is_prefix_word(&w.text)) {
        return None;
    }
    let words = &words[k..];
    let mut namespace = None;
    let mut positional: Vec<&Word> = Vec::new();
    let mut i = 1;
    while i < words.len() {
        let w = &words[i];
        let t = w.text.as_str();
        if t == "--" {
            positional.extend(&words[i + 1..]);
            break;
        }
        if t.len() > 1 && t.starts_with('-') {
            let (name, inline) = if t.starts_with("--") {
                match t.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (t, None),
                }
            } else {
                // A short flag may carry its value: `-nprod`, `-n=prod`.
                let split = t.char_indices().nth(2).map(|(b, _)| b).unwrap_or(t.len());
                let rest = &t[split..];
                (
                    &t[..split],
                    (!rest.is_empty()).then(|| rest.strip_prefix('=').unwrap_or(rest)),
                )
            };
            let value = match inline {
                Some(v) => Some(word_suffix(w, t.len() - v.len())),
                None if flag_takes_value(name) => {
                    i += 1;
                    words.get(i).cloned()
                }
                None => None,
            };
            if name == "-n" || name == "--namespace" {
                namespace = value;
            }
            i += 1;
            continue;
        }
        positional.push(w);
        i += 1;
    }
    let last = words.last()?;
    let location = Location {
        file,
        span: Span {
            start: words[0].span.start,
            end: last.span.end,
        },
    };
    Some(Command {
        location,
        namespace,
        action: action_of(&positional),
    })
}

/// The part of a word after its first `skip` raw characters (for `--namespace=prod`). Only exact
/// when the word is unquoted, which flags nearly always are.
fn word_suffix(w: &Word, skip: usize) -> Word {
    let mut span = w.span;
    if span.len_bytes() == w.text.len() && w.text.is_ascii() {
        span.start.byte += skip as u32;
        span.start.col += skip as u32;
    }
    Word {
        text: w.text.get(skip..).unwrap_or_default().to_string(),
        span,
    }
}

fn normalise_resource(r: &str) -> String {
    let lower = r.to_ascii_lowercase();
    // `service.v1.`, `services.` and other fully qualified forms keep only the resource.
    let base = lower.split('.').next().unwrap_or_default();
    match base {
        "svc" | "services" => "service".into(),
        "gateways" | "gtw" => "gateway".into(),
        "secrets" => "secret".into(),
        "configmaps" | "cm" => "configmap".into(),
        "deployments" | "deploy" => "deployment".into(),
        "pods" | "po" => "pod".into(),
        "namespaces" | "ns" => "namespace".into(),
        other => other.to_string(),
    }
}

fn action_of(positional: &[&Word]) -> Action {
    let Some(verb) = positional.first() else {
        return Action::Other;
    };
    match verb.text.as_str() {
        "label" | "annotate" => Action::Label {
            annotate: verb.text == "annotate",
            targets: resource_args(&positional[1..]),
        },
        "create" => {
            let (kind, name) = match positional.get(1).map(|w| w.text.as_str()) {
                Some("secret") => match positional.get(2).map(|w| w.text.as_str()) {
                    Some("tls") => (CreatedKind::SecretTls, positional.get(3)),
                    Some("generic") => (CreatedKind::SecretGeneric, positional.get(3)),
                    Some("docker-registry") => {
                        (CreatedKind::SecretDockerRegistry, positional.get(3))
                    }
                    _ => return Action::Other,
                },
                Some("configmap" | "cm") => (CreatedKind::ConfigMap, positional.get(2)),
                _ => return Action::Other,
            };
            match name {
                Some(name) => Action::Create {
                    kind,
                    name: (*name).clone(),
                },
                None => Action::Other,
            }
        }
        _ => Action::Other,
    }
}

/// `TYPE NAME…` or `TYPE/NAME…`, stopping at `key=value` / `key-` arguments.
fn resource_args(args: &[&Word]) -> Vec<ResourceArg> {
    let is_label_arg = |t: &str| t.contains('=') || t.ends_with('-');
    let mut out = Vec::new();
    let Some(first) = args.first() else {
        return out;
    };
    if first.text.contains('/') {
        for w in args
            .iter()
            .take_while(|w| w.text.contains('/') && !is_label_arg(&w.text))
        {
            let (resource, name) = w.text.split_once('/').unwrap();
            let mut name_word = word_suffix(w, resource.len() + 1);
            name_word.text = name.to_string();
            out.push(ResourceArg {
                resource: normalise_resource(resource),
                name: name_word,
            });
        }
    } else {
        let resource = normalise_resource(&first.text);
        for w in args[1..].iter().take_while(|w| !is_label_arg(&w.text)) {
            out.push(ResourceArg {
                resource: resource.clone(),
                name: (*w).clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(kind: FileKind, text: &str) -> Vec<Command> {
        extract(FileId(0), kind, text, &LineIndex::new(text))
    }

    fn target(cmd: &Command) -> (&str, &str) {
        match &cmd.action {
            Action::Label { targets, .. } => (&targets[0].resource, &targets[0].name.text),
            other => panic!("not a label command: {other:?}"),
        }
    }

    #[test]
    fn label_with_namespace_anywhere() {
        for text in [
            "kubectl -n prod label service cilium-gateway-arp-gw a=b\n",
            "kubectl label svc/cilium-gateway-arp-gw a=b --namespace prod\n",
            "kubectl label --namespace=prod services cilium-gateway-arp-gw a=b\n",
            "kubectl label -nprod service \"cilium-gateway-arp-gw\" a=b\n",
        ] {
            let cmds = commands(FileKind::Shell, text);
            assert_eq!(cmds.len(), 1, "{text}");
            assert_eq!(cmds[0].namespace.as_ref().unwrap().text, "prod", "{text}");
            assert_eq!(
                target(&cmds[0]),
                ("service", "cilium-gateway-arp-gw"),
                "{text}"
            );
        }
    }

    #[test]
    fn name_span_points_at_the_name() {
        let text = "set -e\nkubectl label svc/cilium-gateway-x a=b\n";
        let cmds = commands(FileKind::Shell, text);
        let Action::Label { targets, .. } = &cmds[0].action else {
            panic!()
        };
        let s = targets[0].name.span;
        assert_eq!(
            &text[s.start.byte as usize..s.end.byte as usize],
            "cilium-gateway-x"
        );
        assert_eq!((s.start.line, s.start.col), (2, 19));
    }

    #[test]
    fn prompts_and_continuations() {
        let text = "mdh@fedora1:~/gitwork/x $ kubectl create secret tls -n prod \\\n\
                    api-secrettls --cert=/a.pem \\\n--key=/b.pem\nsecret/x created\n";
        let cmds = commands(FileKind::Shell, text);
        assert_eq!(cmds.len(), 1);
        let Action::Create { kind, name } = &cmds[0].action else {
            panic!("{:?}", cmds[0].action)
        };
        assert_eq!(*kind, CreatedKind::SecretTls);
        assert_eq!(name.text, "api-secrettls");
        assert_eq!(name.span.start.line, 2);
        assert_eq!(cmds[0].namespace.as_ref().unwrap().text, "prod");
    }

    #[test]
    fn markdown_fences_and_yaml_comments() {
        let md = "Run:\n\n```console\n$ kubectl label service cilium-gateway-a x=y\n```\n\n\
                  kubectl label service not-in-a-fence x=y\n";
        let cmds = commands(FileKind::Markdown, md);
        assert_eq!(cmds.len(), 1);
        assert_eq!(target(&cmds[0]).1, "cilium-gateway-a");
        let yaml = "metadata:\n  name: gw # kubectl label svc cilium-gateway-gw a=b\n# kubectl -n prod \\\n#   label service cilium-gateway-b c=d\n";
        let cmds = commands(FileKind::Yaml, yaml);
        assert_eq!(cmds.len(), 2);
        assert_eq!(target(&cmds[1]).1, "cilium-gateway-b");
        assert_eq!(cmds[1].namespace.as_ref().unwrap().text, "prod");
    }

    #[test]
    fn task_runner_commands_and_heredoc_manifests_create_objects() {
        let text = "tasks:\n  secrets:\n    cmds:\n    - kubectl create secret generic ssh-key --from-file=id=id -n home\n    - |\n      kubectl apply -f - << EOF\n      apiVersion: v1\n      kind: Secret\n      metadata:\n        name: ha-secrets\n        namespace: home\n      stringData: {a: b}\n      EOF\n    desc: use kubectl create secret generic prose -n home\n";
        let cmds = commands(FileKind::Yaml, text);
        let made: Vec<(&str, Option<&str>)> = cmds
            .iter()
            .filter_map(|c| match &c.action {
                Action::Create { name, .. } => Some((
                    name.text.as_str(),
                    c.namespace.as_ref().map(|n| n.text.as_str()),
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            made,
            [("ssh-key", Some("home")), ("ha-secrets", Some("home"))]
        );
        let name = match &cmds.last().unwrap().action {
            Action::Create { name, .. } => name,
            _ => unreachable!(),
        };
        assert_eq!((name.span.start.line, name.span.start.col), (10, 15));
    }

    #[test]
    fn prose_and_heredocs_are_not_commands() {
        let text = "echo use kubectl label svc foo a=b\ncat <<EOF\nkubectl label svc x a=b\nEOF\nkubectl create configmap cfg --from-literal=a=b && kubectl label svc y a=b\n";
        let cmds = commands(FileKind::Shell, text);
        assert_eq!(cmds.len(), 2);
        assert!(
            matches!(&cmds[0].action, Action::Create { kind: CreatedKind::ConfigMap, name } if name.text == "cfg")
        );
        assert_eq!(target(&cmds[1]).1, "y");
    }
}
