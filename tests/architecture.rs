//! The map of cilint's layers, and the test that keeps imports running one way: a module uses
//! only modules of its own layer or of layers below it. Every file under `src/` must be on the
//! map, so a new module is placed deliberately.

use std::path::{Path, PathBuf};

/// The layers from the ground up: each names the top-level modules of `src/` in it. This list is
/// the one place the architecture is written down; `src/lib.rs` draws the same picture.
const LAYERS: &[(&str, &[&str])] = &[
    // Files, positions, YAML with spans, `kubectl` commands, suppression comments.
    ("source", &["source"]),
    // Typed, read-only views of one object or document at a time.
    ("model", &["model"]),
    // Pure data: the parsed `.cilint.yaml`, findings and rule metadata.
    ("data", &["config", "diagnostic"]),
    // Paths to files, and files to objects; the stage clock.
    ("load", &["discover", "load", "floor", "timings"]),
    // Where each file is deployed: kustomize, Flux, Argo CD, clusters.
    ("layout", &["layout"]),
    // One world's index and its found / missing / unverifiable lookup.
    ("catalog", &["catalog"]),
    // What is derived from a whole Catalog and shared by rules.
    ("analysis", &["analysis"]),
    // One file per rule, and the registry.
    ("rules", &["rules"]),
    // Suppressions and configured severities applied to the rules' findings.
    ("suppress", &["suppress"]),
    // Renderers; `graph` draws a world's paths from its Catalog, analysis and findings; `fix`
    // turns the fixes of a report into file changes (`--fix`, `--diff`).
    ("report", &["report", "graph", "fix"]),
    // The pipeline (`lib.rs`), the incremental engine an editor's server drives, the server,
    // and the command line.
    ("pipeline", &["lib", "workspace", "server", "main", "cli"]),
];

/// A use of a module from a layer above the using file's.
#[derive(Debug, PartialEq)]
struct Violation {
    file: String,
    line: usize,
    from: &'static str,
    to: &'static str,
    target: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: layer `{}` may not reach layer `{}` (`crate::{}`)",
            self.file, self.line, self.from, self.to, self.target
        )
    }
}

/// The layer index and name of a top-level module (`lib` for items of the crate root).
fn layer_of(module: &str) -> Option<(usize, &'static str)> {
    LAYERS
        .iter()
        .enumerate()
        .find(|(_, (_, modules))| modules.contains(&module))
        .map(|(i, (name, _))| (i, *name))
}

/// The top-level module a file under `src/` belongs to, and its depth in the module tree
/// (`src/lib.rs` 0, `src/load.rs` and `src/load/mod.rs` 1, `src/load/terraform.rs` 2).
fn module_of(relative: &Path) -> (String, usize) {
    let parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let first = parts[0].trim_end_matches(".rs").to_string();
    let last = parts.last().unwrap();
    let depth = if parts.len() == 1 {
        usize::from(first != "lib" && first != "main")
    } else if last == "mod.rs" {
        parts.len() - 1
    } else {
        parts.len()
    };
    (first, depth)
}

/// The code of a Rust file with comments, strings and character literals blanked (newlines
/// kept), so only real paths remain, at their lines.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let prev_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if !prev_ident && raw_string_start(&chars, i).is_some() {
            let (hashes, open) = raw_string_start(&chars, i).unwrap();
            for _ in i..open + 1 {
                out.push(' ');
            }
            i = open + 1;
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|h| chars.get(i + h) == Some(&'#')) {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += hashes + 1;
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && next == Some('\\') {
            // An escaped character literal: `'\n'`, `'\''`, `'\u{1F600}'`.
            out.push_str("  ");
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                out.push(' ');
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            out.push_str("   ");
            i += 3;
        } else {
            // A lifetime's quote, or code.
            out.push(c);
            i += 1;
        }
    }
    out
}

/// At a raw string (`r"`, `r#"`, `br##"`), the number of `#` and the index of the opening quote.
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|&&c| c == '#').count();
    (chars.get(j + hashes) == Some(&'"')).then_some((hashes, j + hashes))
}

/// Every `crate::…` path in `code` (a `use` line, a group `use crate::{a, b::{c}}` or a path
/// inline in code): the top-level module each names, at its line. A `super::` chain that climbs
/// out of every module reaches the crate root, named `lib`.
fn crate_paths(code: &str, file_depth: usize) -> Vec<(usize, String)> {
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let line_at = |at: usize| code[..at].matches('\n').count() + 1;
    let mut found = Vec::new();
    // Inline `mod x {` blocks deepen `super::`; their brace depths, innermost last.
    let mut inline_mods: Vec<usize> = Vec::new();
    let mut braces = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(is_ident(bytes[i - 1]) || bytes[i - 1] == b'$');
        match bytes[i] {
            b'{' => {
                braces += 1;
                i += 1;
                continue;
            }
            b'}' => {
                if inline_mods.last() == Some(&braces) {
                    inline_mods.pop();
                }
                braces = braces.saturating_sub(1);
                i += 1;
                continue;
            }
            _ => {}
        }
        let rest = &code[i..];
        if starts_word && rest.starts_with("mod ") {
            let after = rest[4..].trim_start();
            let name_len = after.bytes().take_while(|&b| is_ident(b)).count();
            if after[name_len..].trim_start().starts_with('{') {
                inline_mods.push(braces + 1);
            }
        } else if starts_word && rest.starts_with("crate::") {
            let after = &rest["crate::".len()..];
            for name in first_segments(after) {
                found.push((line_at(i), name));
            }
            i += "crate::".len();
            continue;
        } else if starts_word && rest.starts_with("super::") {
            let mut climbs = 0;
            let mut tail = rest;
            while let Some(t) = tail.strip_prefix("super::") {
                climbs += 1;
                tail = t.trim_start();
            }
            if climbs >= file_depth + inline_mods.len() {
                found.push((line_at(i), "lib".to_string()));
            }
            i += climbs * "super::".len();
            continue;
        }
        i += 1;
    }
    found
}

/// The first segment of each path after `crate::`: `a::b` gives `a`; `{a, b::{c}, d}` gives
/// `a`, `b`, `d`. A segment that is no module (`crate::Report`) is an item of the crate root.
fn first_segments(after: &str) -> Vec<String> {
    let after = after.trim_start();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    if !after.starts_with('{') {
        return vec![ident(after)];
    }
    let mut names = Vec::new();
    let mut depth = 0;
    let mut expecting = true;
    for (at, c) in after.char_indices() {
        match c {
            '{' => {
                depth += 1;
                expecting = depth == 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expecting = true,
            c if expecting && depth == 1 && (c.is_alphanumeric() || c == '_') => {
                names.push(ident(&after[at..]));
                expecting = false;
            }
            _ => {}
        }
    }
    names
}

/// The module a `crate::` segment names, for the map: modules by name, anything else the root.
fn target_module(segment: &str) -> &str {
    if layer_of(segment).is_some() && segment != "main" && segment != "cli" {
        segment
    } else {
        "lib"
    }
}

/// The violations in one file, given as a path relative to `src/` and its text.
fn check_file(relative: &Path, text: &str) -> Result<Vec<Violation>, String> {
    let (module, depth) = module_of(relative);
    let display = format!("src/{}", relative.display());
    let Some((from, from_name)) = layer_of(&module) else {
        return Err(format!(
            "{display}: module `{module}` is on no layer: add it to LAYERS in tests/architecture.rs"
        ));
    };
    let mut violations = Vec::new();
    for (line, segment) in crate_paths(&code_only(text), depth) {
        let target = target_module(&segment);
        let (to, to_name) = layer_of(target).expect("lib is on the map");
        if to > from {
            violations.push(Violation {
                file: display.clone(),
                line,
                from: from_name,
                to: to_name,
                target: segment,
            });
        }
    }
    Ok(violations)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn imports_run_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "src/ holds the crate's files");
    let mut problems = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        match check_file(path.strip_prefix(&src).unwrap(), &text) {
            Ok(v) => problems.extend(v.iter().map(ToString::to_string)),
            Err(e) => problems.push(e),
        }
    }
    assert!(
        problems.is_empty(),
        "imports that run up the layers:\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_use_of_a_higher_layer_is_named_with_its_file_and_line() {
    let text = "//! Config.\n\
                use crate::diagnostic::Severity;\n\
                use crate::{model::suggest::closest, rules::{self, RULES}};\n\
                fn f() { let _ = crate::catalog::Lookup::Missing; }\n";
    let found = check_file(Path::new("config.rs"), text).unwrap();
    let lines: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "src/config.rs:3: layer `data` may not reach layer `rules` (`crate::rules`)",
            "src/config.rs:4: layer `data` may not reach layer `catalog` (`crate::catalog`)",
        ]
    );
}

#[test]
fn comments_and_strings_are_not_imports() {
    let text = "// use crate::rules;\n\
                /* crate::report /* nested */ crate::rules */\n\
                const A: &str = \"crate::rules\";\n\
                const B: &str = r#\"crate::catalog \"quoted\"\"#;\n\
                fn f<'a>(x: &'a str) -> char { let _ = '\"'; 'x' }\n\
                use crate::source::Span;\n";
    assert_eq!(check_file(Path::new("model/route.rs"), text), Ok(vec![]));
}

#[test]
fn the_crate_root_is_the_top_layer() {
    let text = "use crate::Report;\nuse super::Options;\n";
    let found = check_file(Path::new("report/json.rs"), text).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].to, "pipeline");
    // `super::` leaving `src/catalog.rs` reaches the root; inside its `mod tests` it does not.
    let text = "mod tests {\n    use super::*;\n}\nuse super::lint;\n";
    let found = check_file(Path::new("catalog.rs"), text).unwrap();
    assert_eq!(found.iter().map(|v| v.line).collect::<Vec<_>>(), [4]);
}

#[test]
fn a_file_on_no_layer_is_named() {
    let e = check_file(Path::new("cache/mod.rs"), "").unwrap_err();
    assert!(
        e.contains("src/cache/mod.rs") && e.contains("on no layer"),
        "{e}"
    );
}
