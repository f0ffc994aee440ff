//! The `kubectl` command extractor on arbitrary text, read as each kind of file.
#![no_main]

use cilint::source::commands;
use cilint::source::{FileId, FileKind, LineIndex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let index = LineIndex::new(&text);
    for kind in [
        FileKind::Yaml,
        FileKind::Json,
        FileKind::Shell,
        FileKind::Markdown,
    ] {
        for command in commands::extract(FileId(0), kind, &text, &index) {
            let span = command.location.span;
            assert!(span.start.byte <= span.end.byte);
            assert!(span.end.byte as usize <= text.len());
        }
    }
});
