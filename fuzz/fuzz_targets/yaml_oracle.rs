//! cilint's YAML loader against libyaml, the parser kubectl's YAML library ports.
#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::yaml_oracle(data));
