//! "Did you mean" suggestions by edit distance.

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
}
