//! One in-memory file through the whole pipeline, as standard input, and every renderer.
#![no_main]

use cilint::report::{self, Format, Style};
use cilint::{Options, lint};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = Options {
        stdin: Some(String::from_utf8_lossy(data).into_owned()),
        // Keeps the unverified references in the report so the renderers list them too.
        show_unverified: true,
        ..Options::default()
    };
    let report = lint(&["-".into()], &options);
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        report::render(&report, format, Style::default());
    }
});
