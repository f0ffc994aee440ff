//! Gateway API hostname matching between listeners and routes (GEP-718 wildcards).

/// Whether a listener hostname and a route hostname intersect. A leading `*.` matches one or
/// more labels: `*.example.com` matches `a.example.com` and `a.b.example.com`, never
/// `example.com`.
pub fn intersects(listener: &str, route: &str) -> bool {
    let (l, r) = (listener.to_ascii_lowercase(), route.to_ascii_lowercase());
    match (l.strip_prefix("*."), r.strip_prefix("*.")) {
        (None, None) => l == r,
        (Some(suffix), None) => wildcard_covers(suffix, &r),
        (None, Some(suffix)) => wildcard_covers(suffix, &l),
        // Two wildcards intersect when one suffix ends with the other.
        (Some(a), Some(b)) => a == b || wildcard_covers(a, b) || wildcard_covers(b, a),
    }
}

/// Whether `*.suffix` matches `host`: host ends with `.suffix` and has at least one more label.
fn wildcard_covers(suffix: &str, host: &str) -> bool {
    host.len() > suffix.len() + 1
        && host.ends_with(suffix)
        && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
}

/// Whether a route with `route_hostnames` can attach to a listener with `listener`: an empty side
/// matches anything.
pub fn listener_accepts(listener: Option<&str>, route_hostnames: &[&str]) -> bool {
    match listener {
        None => true,
        Some(l) => route_hostnames.is_empty() || route_hostnames.iter().any(|r| intersects(l, r)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_as_the_spec_defines_them() {
        assert!(intersects("*.example.com", "a.example.com"));
        assert!(intersects("*.example.com", "a.b.example.com"));
        assert!(!intersects("*.example.com", "example.com"));
        assert!(!intersects("*.example.com", "aexample.com"));
        assert!(!intersects("*.example.com", "test.example.net"));
        assert!(intersects("test.example.com", "*.example.com"));
        assert!(intersects("*.example.com", "*.example.com"));
        assert!(intersects("*.example.com", "*.a.example.com"));
        assert!(intersects("API.example.com", "api.example.com"));
        assert!(!intersects("a.example.com", "b.example.com"));
    }

    #[test]
    fn empty_sides_match() {
        assert!(listener_accepts(None, &["x.com"]));
        assert!(listener_accepts(Some("x.com"), &[]));
        assert!(!listener_accepts(Some("x.com"), &["y.com"]));
    }
}
