//! Flux `postBuild` variable substitution: `${VAR}`, `${VAR:=default}`, `${VAR:-default}`, and
//! `$${VAR}` for a literal `${VAR}`.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::ObjectRef;
use crate::source::{Location, Span};

/// The variables a Flux Kustomization substitutes. A variable without a value here stays a
/// placeholder: it may come from a Secret cilint does not read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vars(pub BTreeMap<String, String>);

impl Vars {
    /// `text` with every variable it knows substituted; `None` when nothing changed.
    pub fn apply(&self, text: &str) -> Option<String> {
        if !text.contains("${") {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        let mut changed = false;
        while let Some(at) = rest.find("${") {
            // `$${` escapes a placeholder: keep `${…}` as written, minus one `$`.
            if at > 0 && rest.as_bytes()[at - 1] == b'$' {
                out.push_str(&rest[..at - 1]);
                out.push_str("${");
                rest = &rest[at + 2..];
                changed = true;
                continue;
            }
            out.push_str(&rest[..at]);
            let Some(len) = rest[at..].find('}') else {
                break;
            };
            let inner = &rest[at + 2..at + len];
            let (name, default) = match inner.find([':']) {
                Some(i) if inner[i..].starts_with(":=") || inner[i..].starts_with(":-") => {
                    (&inner[..i], Some(&inner[i + 2..]))
                }
                _ => (inner, None),
            };
            match self.0.get(name).map(String::as_str).or(default) {
                Some(value) if is_var_name(name) => {
                    out.push_str(value);
                    changed = true;
                }
                _ => out.push_str(&rest[at..at + len + 1]),
            }
            rest = &rest[at + len + 1..];
        }
        out.push_str(rest);
        changed.then_some(out)
    }
}

/// A Flux Kustomization whose post-build substitution cilint sees whole: it certainly runs (some
/// variable is defined), and every source is read (inline `substitute`, ConfigMaps in the tree;
/// no Secret). A variable outside `defined` is replaced by an empty string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Closed {
    pub defined: BTreeSet<String>,
    pub kustomization: FluxRef,
}

/// A Flux Kustomization: `namespace/name`, and where its name is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FluxRef {
    pub name: String,
    pub location: Location,
}

/// A `${VAR}` that no source of the Flux Kustomization deploying its file defines.
#[derive(Clone, Debug, PartialEq)]
pub struct Undefined {
    pub name: String,
    /// The `${…}` itself.
    pub span: Span,
    pub kustomization: FluxRef,
    /// The object it is written in.
    pub object: Option<ObjectRef>,
    /// The variables the Kustomization does define, for "did you mean".
    pub defined: std::sync::Arc<Closed>,
}

/// The variables of `text` that Flux's envsubst reads without a default (`${VAR}`, `${#VAR}`,
/// `${VAR^^}`, `${VAR:0:3}`, `${VAR/a/b}`, …) and that `defined` does not hold: `(byte offset,
/// byte length, name)` of each `${…}`. `$$` is a literal `$` (`$${VAR}` stays `${VAR}`); a
/// default (`${VAR:=x}`, `${VAR=x}`, `${VAR:-x}`, and `:?`/`:+`, which Flux also parses) defines
/// it; a `${` Flux cannot parse fails the whole Kustomization instead, and is left alone.
/// Follows fluxcd/pkg envsubst's parser (parse/parse.go, parse/scan.go).
pub fn undefined_in<'t>(
    text: &'t str,
    defined: &dyn Fn(&str) -> bool,
) -> Vec<(usize, usize, &'t str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        match b[i + 1] {
            b'$' => {
                i += 2;
                continue;
            }
            b'{' => {}
            _ => {
                i += 1;
                continue;
            }
        }
        let start = i;
        let length = b.get(i + 2) == Some(&b'#');
        let name_start = i + 2 + usize::from(length);
        let name_end = name_start
            + b[name_start..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
        let Some(close) = closing(b, i + 2) else {
            break;
        };
        let name = &text[name_start..name_end];
        let next = b.get(name_end).copied();
        let after = b.get(name_end + 1).copied();
        let reads = match next {
            _ if name.is_empty() => false,
            Some(b'}') => true,
            // A length takes nothing else.
            _ if length => false,
            Some(b':') if matches!(after, Some(b'=' | b'-' | b'?' | b'+')) => false,
            Some(b'=') => false,
            Some(b':' | b',' | b'^' | b'/' | b'#' | b'%') => true,
            _ => false,
        };
        if reads && !defined(name) {
            out.push((start, close + 1 - start, name));
        }
        i = close + 1;
    }
    out
}

/// The `}` closing the `${` whose contents start at `from`, nested `${…}` included.
fn closing(b: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_var_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        Vars(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn undefined(text: &str) -> Vec<&str> {
        let known = ["DOMAIN"];
        undefined_in(text, &|n| known.contains(&n))
            .into_iter()
            .map(|(at, len, name)| {
                assert_eq!(&text[at..at + 2], "${");
                assert_eq!(&text[at + len - 1..at + len], "}");
                name
            })
            .collect()
    }

    #[test]
    fn what_nothing_defines() {
        assert_eq!(undefined("a.${DOMAIN} ${HOST}"), ["HOST"]);
        assert_eq!(undefined("${1}:9100"), ["1"]);
        assert_eq!(
            undefined("${#LEN} ${UP^^} ${SUB:0:3} ${R/a/b} ${T%.*}"),
            ["LEN", "UP", "SUB", "R", "T"]
        );
        // Escaped, defaulted, or not Flux's syntax at all.
        assert!(undefined("$${HOST} $$HOST $HOST").is_empty());
        assert!(undefined("${HOST:=x} ${HOST=x} ${HOST:-x} ${HOST:-${OTHER}}").is_empty());
        assert!(undefined("${} ${-x} ${HOST-x} ${unclosed").is_empty());
        // `$$` then a variable: a literal `$` and the variable.
        assert_eq!(undefined("$$${HOST}"), ["HOST"]);
        let text = "x: ${A}";
        assert_eq!(undefined_in(text, &|_| false), [(3, 4, "A")]);
    }

    #[test]
    fn every_form() {
        let v = vars(&[("DOMAIN", "example.com"), ("CLUSTER", "home")]);
        assert_eq!(v.apply("app.${DOMAIN}").as_deref(), Some("app.example.com"));
        assert_eq!(v.apply("${CLUSTER:=lab}-gw").as_deref(), Some("home-gw"));
        assert_eq!(v.apply("${MISSING:=lab}-gw").as_deref(), Some("lab-gw"));
        assert_eq!(v.apply("${MISSING:-x}").as_deref(), Some("x"));
        assert_eq!(v.apply("${SECRET_DOMAIN}"), None);
        assert_eq!(v.apply("$${DOMAIN}").as_deref(), Some("${DOMAIN}"));
        assert_eq!(v.apply("plain"), None);
        assert_eq!(v.apply("${unclosed"), None);
        assert_eq!(
            v.apply("${DOMAIN} and ${SECRET}").as_deref(),
            Some("example.com and ${SECRET}")
        );
    }
}
