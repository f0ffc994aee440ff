//! Flux `postBuild` variable substitution: `${VAR}`, `${VAR:=default}`, `${VAR:-default}`, and
//! `$${VAR}` for a literal `${VAR}`.

use std::collections::BTreeMap;

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
