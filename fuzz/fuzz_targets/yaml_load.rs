//! The YAML loader on arbitrary bytes, decoded as `load::read` decodes a file.
#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::yaml_load(data));
