//! Inputs the fuzzers in `fuzz/` found, replayed through the targets' own checks
//! (`fuzz/checks.rs`) so they stay fixed in `cargo test`.

#[path = "../fuzz/checks.rs"]
mod checks;

/// Each crash input as libFuzzer saved it (in `tests/fuzz-regressions/`), with what was wrong.
macro_rules! crash {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("fuzz-regressions/", $name)).as_slice(),
        )
    };
}
const CRASHES: &[(&str, &[u8])] = &[
    // yaml_load: a text ending without a newline inside a mapping gave the implicit null value
    // a position at the start of the last line, so the mapping's span ended before it began.
    crash!("crash-42be31f6b993cf401d546b0b92a999be4505eec4"),
    // yaml_load: saphyr counts a lone CR as a line break and the line index did not, so spans
    // after one landed on the wrong line and a document's span ended before it began.
    crash!("crash-a3e18ab572d54b919e5e39b15d31f46e1dbbb339"),
    // yaml_oracle: saphyr put an error one column past the end of a line holding a byte-order
    // mark, so the error's column and byte disagreed.
    crash!("crash-ed971ec74f5e73cce95f1df55b719f3fdb2be2a6"),
    // yaml_oracle: `{?,?,? }` holds three `?` keys for saphyr, so cilint refused a duplicate key,
    // and three empty keys for libyaml, so kubectl applies it.
    crash!("crash-9c03e1204659c968898421c6deed8aa6bfc1eaa4"),
    // yaml_oracle: a block mapping whose last value is an alias ended where the anchored node
    // ends, lines before the mapping starts.
    crash!("crash-b201d47e7df72b1f3147a7d33b1c1ffa80b1f100"),
];

/// Every input goes through every target: a crash in one stage is worth checking in the others.
#[test]
fn fuzz_crashes_stay_fixed() {
    for (name, data) in CRASHES {
        for (target, run) in [
            ("yaml_load", checks::yaml_load as fn(&[u8])),
            ("commands", checks::commands),
            ("label_selector", checks::label_selector),
            ("pipeline", checks::pipeline),
            ("yaml_oracle", checks::yaml_oracle),
        ] {
            let outcome = std::panic::catch_unwind(|| run(data));
            assert!(outcome.is_ok(), "{name} crashes the {target} target again");
        }
    }
}
