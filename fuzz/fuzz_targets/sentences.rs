//! Sentence splitting and tokenizing on arbitrary bytes: no panic, well-formed spans, and
//! the fast word path (sixteen bytes at a time) finding exactly UAX #29's words.
#![no_main]

use kzstance::sentence::split_sentences;
use kzstance::tokenize::{Tokenizer, TokenizerParams};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut previous_end = 0;
    for span in split_sentences(&text) {
        assert!(previous_end <= span.start && span.start < span.end);
        assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        previous_end = span.end;
    }
    let _ = Tokenizer::new(TokenizerParams::default()).features(&text);
    if let Some(ranges) = kzstance::features::simple_words(&text) {
        use unicode_segmentation::UnicodeSegmentation;
        let fast: Vec<&str> = ranges.into_iter().map(|(a, b)| &text[a..b]).collect();
        let full: Vec<&str> = text.unicode_words().collect();
        assert_eq!(fast, full);
    }
});
