//! Whether Go's `regexp.Compile` (RE2 syntax, `regexp/syntax` with the Perl flags) accepts a
//! pattern, judged with the `regex` crate's parser and the documented differences between the
//! two syntaxes (https://pkg.go.dev/regexp/syntax and https://docs.rs/regex/latest/regex/#syntax).
//!
//! A pattern both refuse, or only Go refuses, is `Rejected`. A pattern Go compiles but reads
//! differently from the `regex` crate (Go takes `\<` or `[a&&b]` literally) is `ReadDifferently`.
//! A pattern only the `regex` crate refuses, or one whose reading is uncertain (`\Q…\E`, octal
//! escapes, Unicode class names), is left alone: nothing is said about it.

use regex_syntax::ast::{self, Ast, ClassSetItem, ErrorKind, Visitor};

/// What Go's regexp makes of a pattern, when that is worth saying.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GoRegexp {
    /// `regexp.Compile` returns an error: the sentence says why.
    Rejected(String),
    /// Go compiles it but reads the construct (quoted) literally or otherwise differently.
    ReadDifferently(String),
}

/// Go's limit on `{n,m}` counts (`regexp/syntax`: "invalid repeat count" above 1000).
const GO_MAX_REPEAT: u32 = 1000;

pub fn check(pattern: &str) -> Option<GoRegexp> {
    // Go quotes `\Q…\E` literally; the regex crate has no such syntax, so its reading is off.
    if pattern.contains("\\Q") {
        return None;
    }
    match ast::parse::Parser::new().parse(pattern) {
        Ok(tree) => ast::visit(&tree, Walk { pattern }).err(),
        Err(e) => rejected_by_both(pattern, &e).map(GoRegexp::Rejected),
    }
}

/// The regex crate's errors Go's parser also raises, as Go would word them; `None` for errors
/// Go may not share (Go reads `[[]` as a class holding `[`, `a{2` as literal text, `\0` as an
/// octal escape, `\b{x}` as `\b` and literal text, and allows duplicate flags).
fn rejected_by_both(pattern: &str, e: &ast::Error) -> Option<String> {
    let at = &pattern[e.span().start.offset..e.span().end.offset.min(pattern.len())];
    let why = match e.kind() {
        ErrorKind::ClassRangeInvalid => format!("invalid character class range `{at}`"),
        ErrorKind::ClassUnclosed => {
            // Go takes a `[` inside a class literally, so `[[]` is a class there.
            if pattern.matches('[').count() > 1 {
                return None;
            }
            "missing closing `]`".to_string()
        }
        ErrorKind::RepetitionCountInvalid => format!("invalid repeat count `{at}`"),
        ErrorKind::RepetitionMissing => {
            let op: String = pattern[e.span().start.offset..].chars().take(1).collect();
            format!("missing argument to repetition operator `{op}`")
        }
        ErrorKind::EscapeHexEmpty
        | ErrorKind::EscapeHexInvalid
        | ErrorKind::EscapeHexInvalidDigit => format!("invalid escape sequence `{at}`"),
        ErrorKind::EscapeUnexpectedEof => "trailing backslash at end of expression".to_string(),
        ErrorKind::EscapeUnrecognized => {
            // Go knows `\Q`, `\E` and octal escapes; the regex crate does not.
            let escaped = at.trim_start_matches('\\');
            if escaped.starts_with(|c: char| matches!(c, 'Q' | 'E') || c.is_ascii_digit()) {
                return None;
            }
            format!("invalid escape sequence `{at}`")
        }
        ErrorKind::FlagDanglingNegation
        | ErrorKind::FlagRepeatedNegation { .. }
        | ErrorKind::FlagUnexpectedEof
        | ErrorKind::FlagUnrecognized
        | ErrorKind::UnsupportedLookAround => {
            format!("invalid or unsupported Perl syntax `{at}`")
        }
        ErrorKind::GroupNameDuplicate { .. } => format!("duplicate capture group name `{at}`"),
        ErrorKind::GroupNameEmpty | ErrorKind::GroupNameUnexpectedEof => {
            format!("invalid named capture `{at}`")
        }
        ErrorKind::GroupUnclosed => "missing closing `)`".to_string(),
        ErrorKind::GroupUnopened => "unexpected `)`".to_string(),
        _ => return None,
    };
    Some(why)
}

/// Walks a tree the regex crate accepted, stopping at the first construct Go refuses or reads
/// differently.
struct Walk<'p> {
    pattern: &'p str,
}

impl Walk<'_> {
    fn text(&self, span: &ast::Span) -> &str {
        &self.pattern[span.start.offset..span.end.offset]
    }
}

impl Visitor for Walk<'_> {
    type Output = ();
    type Err = GoRegexp;

    fn finish(self) -> Result<(), GoRegexp> {
        Ok(())
    }

    fn visit_pre(&mut self, node: &Ast) -> Result<(), GoRegexp> {
        let rejected = |what: String| Err(GoRegexp::Rejected(what));
        let differently = |what: String| Err(GoRegexp::ReadDifferently(what));
        match node {
            Ast::Flags(f) => flags(&f.flags, self),
            Ast::Group(g) => match &g.kind {
                ast::GroupKind::NonCapturing(f) => flags(f, self),
                ast::GroupKind::CaptureName { name, .. }
                    if !name
                        .name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    rejected(format!(
                        "invalid named capture `{}`: Go allows only letters, digits and `_`",
                        name.name
                    ))
                }
                _ => Ok(()),
            },
            Ast::Literal(l) => literal(l, self),
            Ast::Repetition(r) => {
                if let Ast::Repetition(_) = *r.ast {
                    return rejected(format!(
                        "invalid nested repetition operator `{}`",
                        self.text(&r.op.span)
                    ));
                }
                let ast::RepetitionKind::Range(range) = &r.op.kind else {
                    return Ok(());
                };
                let (ast::RepetitionRange::Exactly(n)
                | ast::RepetitionRange::AtLeast(n)
                | ast::RepetitionRange::Bounded(_, n)) = *range;
                let op = self.text(&r.op.span);
                if n > GO_MAX_REPEAT {
                    return rejected(format!(
                        "invalid repeat count `{op}`: Go allows at most {GO_MAX_REPEAT}"
                    ));
                }
                Ok(())
            }
            Ast::Assertion(a) => {
                use ast::AssertionKind::*;
                match a.kind {
                    WordBoundaryStart
                    | WordBoundaryEnd
                    | WordBoundaryStartAngle
                    | WordBoundaryEndAngle
                    | WordBoundaryStartHalf
                    | WordBoundaryEndHalf => differently(format!(
                        "`{}` is not a word boundary in Go: Go reads it as literal text",
                        self.text(&a.span)
                    )),
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    fn visit_class_set_item_pre(&mut self, item: &ClassSetItem) -> Result<(), GoRegexp> {
        match item {
            ClassSetItem::Bracketed(b) => Err(GoRegexp::ReadDifferently(format!(
                "the nested class `{}` is not a class in Go: Go reads its `[` as a character \
                 and ends the class at the first `]`",
                self.text(&b.span)
            ))),
            ClassSetItem::Literal(l) => literal(l, self),
            ClassSetItem::Range(r) => literal(&r.start, self).and_then(|()| literal(&r.end, self)),
            _ => Ok(()),
        }
    }

    fn visit_class_set_binary_op_pre(
        &mut self,
        op: &ast::ClassSetBinaryOp,
    ) -> Result<(), GoRegexp> {
        let symbol = match op.kind {
            ast::ClassSetBinaryOpKind::Intersection => "&&",
            ast::ClassSetBinaryOpKind::Difference => "--",
            ast::ClassSetBinaryOpKind::SymmetricDifference => "~~",
        };
        Err(GoRegexp::ReadDifferently(format!(
            "Go has no class set operations: `{symbol}` in `{}` is two literal characters there",
            self.text(&op.span)
        )))
    }
}

/// Go knows the flags `i`, `m`, `s` and `U` only.
fn flags(f: &ast::Flags, walk: &Walk<'_>) -> Result<(), GoRegexp> {
    for item in &f.items {
        if let ast::FlagsItemKind::Flag(
            ast::Flag::Unicode | ast::Flag::CRLF | ast::Flag::IgnoreWhitespace,
        ) = item.kind
        {
            return Err(GoRegexp::Rejected(format!(
                "invalid or unsupported Perl syntax: Go has no flag `{}`, only i, m, s and U",
                walk.text(&item.span)
            )));
        }
    }
    Ok(())
}

/// Go has `\x7F` and `\x{10FFFF}` but no `\u` or `\U` escapes.
fn literal(l: &ast::Literal, walk: &Walk<'_>) -> Result<(), GoRegexp> {
    use ast::HexLiteralKind::{UnicodeLong, UnicodeShort};
    match l.kind {
        ast::LiteralKind::HexFixed(UnicodeShort | UnicodeLong)
        | ast::LiteralKind::HexBrace(UnicodeShort | UnicodeLong) => Err(GoRegexp::Rejected(
            format!("invalid escape sequence `{}`", walk.text(&l.span)),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(p: &str) -> bool {
        matches!(check(p), Some(GoRegexp::Rejected(_)))
    }

    fn differently(p: &str) -> bool {
        matches!(check(p), Some(GoRegexp::ReadDifferently(_)))
    }

    #[test]
    fn real_interface_patterns_pass() {
        for p in [
            "^eth[0-9]+",
            "^enp.*",
            "^eno1$",
            "^(eth|ens|enp)[0-9a-z]+$",
            "bond0",
            "^vlan\\.?[0-9]+",
            "(?i)^ETH0$",
            "^enp[0-9]s[0-9]{1,3}$",
            "(?P<nic>eth)[0-9]",
            // Go 1.22+ (every supported Cilium) accepts `(?<name>…)`.
            "(?<nic>eth)[0-9]",
            "[[:alnum:]]+",
            "\\x{65}th0",
            "\\d+",
            "a{1000}",
            // Escaped punctuation is itself in both.
            "eth\\-0",
            // Duplicate flags are allowed in Go.
            "(?ii)eth",
        ] {
            assert_eq!(check(p), None, "{p}");
        }
    }

    #[test]
    fn what_both_refuse() {
        for p in [
            "eth[0-9",
            "(eth",
            "eth)",
            "*eth",
            "*.30",
            "[9-0]",
            "a{3,2}",
            "eth\\",
            "\\y",
            "\\xZZ",
            "(?=eth)",
            "(?<!x)eth",
            "(?z)eth",
            "(?i-)eth",
            "(?P<>eth)",
            "(?P<a>x)(?P<a>y)",
        ] {
            assert!(rejected(p), "{p}");
        }
    }

    #[test]
    fn what_only_go_refuses() {
        for p in [
            "(?x)eth 0",
            "(?u)eth",
            "(?R)eth",
            "(?-u:eth)",
            "\\u0065th0",
            "\\U00000065th0",
            "\\u{65}th0",
            "a{1001}",
            "a{2,1001}",
            "(?P<a.b>eth)",
            "eth0**",
            "eth+*",
            "a{2}{3}",
        ] {
            assert!(rejected(p), "{p}: {:?}", check(p));
        }
    }

    #[test]
    fn what_go_reads_differently() {
        for p in [
            "\\<eth",
            "eth0\\>",
            "\\b{start}eth",
            "eth\\b{end}",
            "\\b{start-half}eth",
            "[a-z&&[^x]]",
            "[0-9--5]",
            "[a-z~~m]",
            "[[a-z]]",
        ] {
            assert!(differently(p), "{p}: {:?}", check(p));
        }
    }

    #[test]
    fn what_only_the_regex_crate_refuses_is_left_alone() {
        // Go: a class holding `[`; `\Q…\E` quoting; literal `{`; octal; `\b` + text;
        // a name starting with a digit.
        for p in [
            "[[]",
            "\\Q.*\\E",
            "a{2",
            "a{}",
            "\\0",
            "\\12",
            "\\b{x}",
            "(?P<1a>x)",
            "a{,3}",
        ] {
            assert_eq!(check(p), None, "{p}");
        }
    }
}
