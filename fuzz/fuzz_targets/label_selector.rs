//! Label selectors parsed from every document of arbitrary YAML, matched against fixed labels.
#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::label_selector(data));
