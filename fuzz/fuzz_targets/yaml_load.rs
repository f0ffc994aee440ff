//! The YAML loader on arbitrary bytes, decoded as `load::read` decodes a file.
#![no_main]

use cilint::source::LineIndex;
use cilint::source::yaml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let index = LineIndex::new(&text);
    let loaded = yaml::load(&text, &index);
    // Every span must stay inside the text: renderers slice the source with them.
    if let Some(error) = &loaded.error {
        assert!(error.pos.byte as usize <= text.len());
    }
    for doc in &loaded.documents {
        let span = doc.root().span();
        assert!(span.start.byte <= span.end.byte);
        assert!(span.end.byte as usize <= text.len());
    }
});
