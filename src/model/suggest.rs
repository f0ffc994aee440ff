//! "Did you mean" suggestions by edit distance, and the `--namespace` that would make a
//! reference resolve.

use super::Object;

/// The candidate closest to `name`, if it is close enough to be a plausible typo or a partial
/// name (distance at most a third of the longer name, or one contains the other).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let d = strsim::levenshtein(name, c);
        let limit = (name.len().max(c.len()) / 3).max(2);
        let related = d <= limit || (name.len() >= 4 && (c.contains(name) || name.contains(c)));
        if related && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The one candidate related to `name` as [`closest`] judges (a typo away, or containing it or
/// contained in it); `None` when none or several are.
pub fn only_related<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut found = None;
    for c in candidates {
        if closest(name, [c]).is_some() {
            if found.is_some_and(|f| f != c) {
                return None;
            }
            found = Some(c);
        }
    }
    found
}

/// [`only_related`], when that one is a typo away (an edit distance of at most a third of the
/// longer name), not a name that only contains `name` or is contained in it: a "did you mean"
/// rename is fixed only when there is no choice to make.
pub fn only_close<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    only_related(name, candidates)
        .filter(|c| strsim::levenshtein(name, c) <= (name.len().max(c.len()) / 3).max(2))
}

/// The `--namespace` under which a reference would resolve, when it fails only because objects
/// without `metadata.namespace` landed in the namespace cilint was run with. `targets` are the
/// objects of the wanted name in other namespaces; `ref_namespace_written` says whether the
/// reference names its namespace.
pub fn namespace_flag<'a>(
    referrer: &'a Object,
    ref_namespace_written: bool,
    targets: &[&'a Object],
) -> Option<&'a str> {
    if ref_namespace_written {
        return None;
    }
    if !referrer.namespace_defaulted {
        // The target has no namespace of its own: run with the referrer's.
        return targets
            .iter()
            .any(|t| t.namespace_defaulted)
            .then_some(referrer.namespace.as_deref())
            .flatten();
    }
    // The referrer has none: run with the namespace the target names.
    targets
        .iter()
        .find(|t| !t.namespace_defaulted)
        .and_then(|t| t.namespace.as_deref())
}

/// The help sentence for [`namespace_flag`].
pub fn namespace_flag_help(namespace: &str) -> String {
    format!(
        "or, if the manifests without metadata.namespace are applied with `-n {namespace}`, run \
         cilint with `--namespace {namespace}`"
    )
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_typos_and_partial_names() {
        let names = ["cilium-gateway-cd-arp-gw", "cilium-gateway-cd-bgp-gw"];
        assert_eq!(
            closest("cilium-gateway-arp-gw", names),
            Some("cilium-gateway-cd-arp-gw")
        );
        assert_eq!(closest("reviews", ["reveiws", "ratings"]), Some("reveiws"));
        assert_eq!(closest("zzz", ["reviews"]), None);
    }

    #[test]
    fn only_close_refuses_a_choice() {
        use super::only_close;
        assert_eq!(
            only_close("arp-gw", ["cd-arp-gw", "zzz"]),
            Some("cd-arp-gw")
        );
        assert_eq!(only_close("arp-gw", ["cd-arp-gw", "ab-arp-gw"]), None);
        assert_eq!(only_close("arp-gw", ["zzz"]), None);
        // Containing the name is a hint for the help, not a typo to fix.
        assert_eq!(
            only_close("nonexistent", ["policy-nonexistent-ref-test"]),
            None
        );
        assert_eq!(only_close("tls-terminate", ["tls"]), None);
        assert_eq!(
            super::only_related("legacy", ["cilium-gateway-legacy"]),
            Some("cilium-gateway-legacy")
        );
    }
}
