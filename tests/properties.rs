//! Property tests on arbitrary Unicode: splitting and tokenizing never panic, spans are
//! well-formed and cover the text, and the shipped model never emits NaN.

use std::sync::OnceLock;

use kzstance::persist::load_default;
use kzstance::sentence::split_sentences;
use kzstance::tokenize::{Tokenizer, TokenizerParams};
use kzstance::Model;
use proptest::prelude::*;

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| load_default().unwrap())
}

/// Text mixing article-like pieces with arbitrary Unicode.
fn messy_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("U.S. ".to_string()),
        Just("Mr. ".to_string()),
        Just("10.6% ".to_string()),
        Just("“Quote.” ".to_string()),
        Just("\n\n".to_string()),
        Just("\r\n".to_string()),
        Just(". ".to_string()),
        Just("Astana abstained. ".to_string()),
        "[a-zA-Z ]{0,12}",
        any::<String>(),
        "\\PC{0,8}",
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn sentence_spans_are_ordered_disjoint_on_boundaries_and_cover_the_text(text in messy_text()) {
        let spans = split_sentences(&text);
        let mut covered = vec![false; text.len()];
        let mut previous_end = 0;
        for span in &spans {
            prop_assert!(span.start < span.end, "empty span {:?}", span);
            prop_assert!(span.start >= previous_end, "overlap at {:?}", span);
            prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            previous_end = span.end;
            for flag in &mut covered[span.start..span.end] {
                *flag = true;
            }
        }
        for (offset, c) in text.char_indices() {
            if !c.is_whitespace() {
                prop_assert!(covered[offset], "{c:?} at byte {offset} is in no sentence");
            }
        }
    }

    #[test]
    fn tokens_lie_on_char_boundaries_in_order(text in messy_text()) {
        let tokenizer = Tokenizer::new(TokenizerParams::default());
        let tokens = tokenizer.tokens(&text);
        let mut previous_end = 0;
        for token in &tokens {
            prop_assert!(token.start >= previous_end && token.start < token.end);
            prop_assert!(text.is_char_boundary(token.start) && text.is_char_boundary(token.end));
            prop_assert!(!token.term.is_empty());
            previous_end = token.end;
        }
        let _ = tokenizer.features(&text);
    }

    #[test]
    fn classify_never_emits_nan_and_probabilities_sum_to_one(text in messy_text()) {
        let article = model().classify_article(&text);
        for sentence in &article.sentences {
            let sum: f64 = sentence.probabilities.iter().sum();
            prop_assert!(sentence.probabilities.iter().all(|p| p.is_finite() && *p >= 0.0));
            prop_assert!((sum - 1.0).abs() < 1e-9, "sum {sum}");
        }
        let aggregate = &article.aggregate;
        prop_assert!(aggregate.shares.iter().chain(&aggregate.mean_probabilities).all(|v| v.is_finite()));
        if let Some(stance) = aggregate.stance_index {
            prop_assert!((-1.0..=1.0).contains(&stance));
        }
    }
}

/// Lines of ASCII text with many terminators, figures, quotes and case changes.
fn punctuated_line() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(". ".to_string()),
        Just(".".to_string()),
        Just("?! ".to_string()),
        Just("... ".to_string()),
        Just("” ".to_string()),
        Just("“".to_string()),
        Just(") ".to_string()),
        Just("’s ".to_string()),
        Just(" — ".to_string()),
        // Characters outside the fast path's classes (the line takes full segmentation)
        // and simple non-ASCII ones, so the line screen meets both.
        Just("\u{2028}".to_string()),
        Just("😀 ".to_string()),
        Just("\t".to_string()),
        Just("é".to_string()),
        "[A-Z][a-z]{0,6}",
        "[a-z]{1,6}",
        "[0-9]{1,3}(\\.[0-9])?",
        "[ ]{1,2}",
        "[A-Z]\\.",
    ];
    proptest::collection::vec(piece, 0..30).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn fast_sentence_pieces_agree_with_full_uax29(line in punctuated_line()) {
        use unicode_segmentation::UnicodeSegmentation;
        let full: Vec<(usize, &str)> = line.split_sentence_bound_indices().collect();
        prop_assert_eq!(kzstance::sentence::sentence_pieces(&line), full);
    }
}

/// The fast word path finds exactly the words of UAX #29 in `text`, which holds only
/// characters it knows.
fn fast_words_agree(text: &str) -> Result<(), TestCaseError> {
    use unicode_segmentation::UnicodeSegmentation;
    let fast: Vec<&str> = kzstance::features::simple_words(text)
        .expect("only characters the fast path knows")
        .into_iter()
        .map(|(a, b)| &text[a..b])
        .collect();
    let full: Vec<&str> = text.unicode_words().collect();
    prop_assert_eq!(fast, full);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn fast_word_ranges_agree_with_unicode_words(text in "[a-zA-Z0-9_:.,;' \\-!?()\"$%‘’“”«»–—…éçšžÖКазақ]{0,40}") {
        fast_words_agree(&text)?;
    }

    #[test]
    fn long_words_across_sixteen_byte_chunks_agree_with_unicode_words(text in "([a-zA-Z0-9]{1,40}[ .,'’:;_-]{1,2}){0,8}[a-z0-9]{0,20}") {
        fast_words_agree(&text)?;
    }

    #[test]
    fn fast_ascii_word_ranges_agree_with_unicode_words(text in "[a-zA-Z0-9_:.,;' \\-!?()\"$%\t]{0,40}") {
        // ASCII is always handled.
        fast_words_agree(&text)?;
    }
}

/// Sentences dense in negations, clause marks and words of the shipped vocabulary.
fn negated_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("not ".to_string()),
        Just("never ".to_string()),
        Just("don’t ".to_string()),
        Just("without ".to_string()),
        Just("no ".to_string()),
        Just(", ".to_string()),
        Just(". ".to_string()),
        Just(" — ".to_string()),
        Just("-".to_string()),
        Just("“".to_string()),
        Just("help ".to_string()),
        Just("Russia ".to_string()),
        Just("evade ".to_string()),
        Just("sanctions ".to_string()),
        Just("recognise ".to_string()),
        Just("Crimea ".to_string()),
        Just("Kazakhstan ".to_string()),
        Just("✈ ".to_string()),
        "[a-zA-Z ]{0,12}",
    ];
    proptest::collection::vec(piece, 0..30).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn fast_features_agree_with_the_string_path_under_negation(text in negated_text()) {
        let model = model();
        let slow = model.tfidf().transform(&model.tokenizer().features(&text));
        prop_assert_eq!(model.vectorize(&text), slow);
    }
}
