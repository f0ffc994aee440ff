//! ip-pool-invalid: a `CiliumLoadBalancerIPPool` block LB-IPAM cannot use (not a CIDR, a
//! start/stop that is not an address, stop before start, mixed families), or two pools whose
//! blocks overlap, of which Cilium marks the one created last `PoolConflict` and allocates
//! nothing from it (semantics.md §2).

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::{Category, Facts, Rule, RuleMeta};
use crate::diagnostic::{Finding, Severity};
use crate::model::cilium::{BlockProblem, IpBlock};
use crate::model::{Object, ObjectId, Spec};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "ip-pool-invalid",
    severity: Severity::Error,
    category: Category::Cilium,
    summary: "a CiliumLoadBalancerIPPool block is not a valid CIDR or address range, or overlaps \
              another pool's block",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// A readable block of an enabled pool, as an address interval.
struct Interval {
    first: IpAddr,
    last: IpAddr,
    pool: ObjectId,
    /// The pool's place in file order: the later of two overlapping pools is reported.
    pool_at: Location,
    block: Location,
    /// The block's index in `spec.blocks`.
    index: usize,
    text: String,
}

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let mut intervals = Vec::new();
    for &id in catalog.of_kind("cilium.io", "CiliumLoadBalancerIPPool") {
        let pool = catalog.object(id);
        let (Spec::LbIpPool(spec), Some(at)) = (&pool.spec, pool.location) else {
            continue;
        };
        // A patch cilint cannot apply may rewrite the blocks.
        if pool.unverifiable {
            continue;
        }
        for (i, block) in spec.blocks.iter().enumerate() {
            match &block.block {
                Ok(parsed) => {
                    // Whether Cilium checks a disabled pool for conflicts is not certain: quiet.
                    if !spec.disabled {
                        let (first, last) = parsed.bounds();
                        intervals.push(Interval {
                            first,
                            last,
                            pool: id,
                            pool_at: at,
                            block: Location {
                                file: at.file,
                                span: block.span,
                            },
                            index: i,
                            text: describe(parsed),
                        });
                    }
                }
                Err(problem) => {
                    if let Some(f) = invalid_block(catalog, pool, at, i, problem) {
                        out.push(f);
                    }
                }
            }
        }
    }
    intervals.sort_by_key(|a| (a.first, a.last, a.block));
    for (e, l) in overlaps(catalog, &intervals) {
        let (a, b) = (&intervals[e], &intervals[l]);
        out.push(overlap(
            catalog.object(a.pool),
            catalog.object(b.pool),
            a,
            b,
        ));
    }
}

/// The first overlapping pair of blocks of each pair of distinct pools, as (block of the
/// earlier pool in file order, block of the later pool), in file order of the pools. A sweep
/// over the intervals sorted by first address: a block is compared only with the blocks still
/// open where it starts. IPv4 addresses order before IPv6 ones, so families never meet.
fn overlaps(catalog: &Facts<'_>, intervals: &[Interval]) -> Vec<(usize, usize)> {
    let mut pairs: BTreeMap<(Location, Location), (usize, usize)> = BTreeMap::new();
    let mut open: Vec<usize> = Vec::new();
    for (i, current) in intervals.iter().enumerate() {
        open.retain(|&j| intervals[j].last >= current.first);
        for &j in &open {
            let other = &intervals[j];
            // The same pool written twice in one world is one object to the API server.
            if other.pool == current.pool
                || catalog.object(other.pool).name == catalog.object(current.pool).name
            {
                continue;
            }
            let (e, l) = if other.pool_at < current.pool_at {
                (j, i)
            } else {
                (i, j)
            };
            let key = (intervals[e].pool_at, intervals[l].pool_at);
            pairs.entry(key).or_insert((e, l));
        }
        open.push(i);
    }
    pairs.into_values().collect()
}

/// `10.0.0.0/24`, `10.0.0.10-10.0.0.20`, `10.0.0.7`.
fn describe(block: &IpBlock) -> String {
    match block {
        IpBlock::Cidr(net) => net.to_string(),
        IpBlock::Range(start, stop) if start == stop => start.to_string(),
        IpBlock::Range(start, stop) => format!("{start}-{stop}"),
    }
}

fn invalid_block(
    catalog: &Facts<'_>,
    pool: &Object,
    at: Location,
    index: usize,
    problem: &BlockProblem,
) -> Option<Finding> {
    let (value, what, label, help) = match problem {
        BlockProblem::Placeholder | BlockProblem::Unreadable => return None,
        BlockProblem::NotCidr(v) => (
            v,
            format!(
                "`cidr: {}` is not a CIDR (an address and a prefix length)",
                v.value
            ),
            "not a CIDR",
            "write the block as `cidr: <address>/<prefix>`, e.g. `cidr: 192.168.10.64/27`, or as \
             a range with `start` and `stop`"
                .to_string(),
        ),
        BlockProblem::NotAddress(field, v) => (
            v,
            format!("`{field}: {}` is not an IP address", v.value),
            "not an IP address",
            format!(
                "write one plain IP address in `{field}` (no prefix length, no port), e.g. \
                 `{field}: 192.168.10.64`; for a prefix use `cidr`"
            ),
        ),
        BlockProblem::StopBeforeStart(v) => (
            v,
            format!(
                "`stop: {}` is a lower address than `start`, so the range holds no address",
                v.value
            ),
            "stop before start",
            "swap `start` and `stop`: `start` is the first address of the range, `stop` the last"
                .to_string(),
        ),
        BlockProblem::MixedFamilies(v) => (
            v,
            format!(
                "`stop: {}` is not of the family of `start` (one range is IPv4 or IPv6, not both)",
                v.value
            ),
            "mixed families",
            "split the block into one IPv4 range and one IPv6 range (a pool may hold both)"
                .to_string(),
        ),
    };
    let location = Location {
        file: at.file,
        span: value.span,
    };
    if catalog.in_unverifiable(location) {
        return None;
    }
    Some(
        Finding::new(
            &META,
            location,
            format!(
                "CiliumLoadBalancerIPPool {}: block {} {what}: LB-IPAM cannot take addresses from \
                 it",
                pool.name,
                index + 1
            ),
        )
        .object(pool)
        .field(format!("spec.blocks[{index}]"))
        .label(label)
        .help(help),
    )
}

fn overlap(earlier: &Object, later: &Object, a: &Interval, b: &Interval) -> Finding {
    Finding::new(
        &META,
        b.block,
        format!(
            "CiliumLoadBalancerIPPool {}: block `{}` overlaps block `{}` of pool {}: Cilium marks \
             whichever of the two is created last as conflicting, and that pool gives no Service \
             an address",
            later.name, b.text, a.text, earlier.name
        ),
    )
    .object(later)
    .field(format!("spec.blocks[{}]", b.index))
    .label("overlaps another pool")
    .condition("cilium.io/PoolConflict=True/cidr_overlap")
    .help(format!(
        "give each pool its own addresses: shrink or move one of the blocks so `{}` and `{}` \
         share no address",
        b.text, a.text
    ))
    .related(
        Some(a.block),
        format!("overlapping block `{}` of pool {}", a.text, earlier.name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(name: &str, blocks: &str, extra: &str) -> String {
        format!(
            "---\napiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n\
             metadata: {{name: {name}}}\nspec:\n  blocks: {blocks}\n{extra}"
        )
    }

    fn findings(yaml: &str) -> Vec<Finding> {
        crate::rules::findings_in(check, yaml)
    }

    #[test]
    fn overlapping_pools_give_one_finding_at_the_later() {
        let yaml = format!(
            "{}{}{}",
            pool("home", "[{cidr: 192.168.10.0/24}]", ""),
            pool(
                "iot",
                "[{start: 192.168.10.200, stop: 192.168.10.210}, {cidr: 192.168.10.128/25}]",
                ""
            ),
            pool("v6", "[{cidr: \"2001:db8::/64\"}]", ""),
        );
        let found = findings(&yaml);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.starts_with(
                "CiliumLoadBalancerIPPool iot: block `192.168.10.128/25` overlaps block \
             `192.168.10.0/24` of pool home"
            ),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].related.len(), 1);
    }

    #[test]
    fn adjacent_disabled_and_placeholder_blocks_are_quiet() {
        let yaml = format!(
            "{}{}{}{}",
            pool("a", "[{cidr: 10.0.0.0/25}]", ""),
            pool("b", "[{start: 10.0.0.128, stop: 10.0.0.255}]", ""),
            pool("old", "[{cidr: 10.0.0.0/24}]", "  disabled: true\n"),
            pool("flux", "[{cidr: \"${LB_CIDR}\"}]", ""),
        );
        assert!(findings(&yaml).is_empty());
    }

    #[test]
    fn unreadable_blocks_are_reported_at_the_value() {
        let yaml = pool(
            "home",
            "[{cidr: 192.168.10.64}, {start: 192.168.10.10, stop: 192.168.10.1}]",
            "",
        );
        let found = findings(&yaml);
        assert_eq!(found.len(), 2);
        assert!(
            found[0]
                .message
                .contains("`cidr: 192.168.10.64` is not a CIDR")
        );
        assert!(found[1].message.contains("lower address than `start`"));
    }
}
