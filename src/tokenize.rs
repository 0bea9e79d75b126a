//! Tokenizing: a sentence in, normalised terms with byte spans out, and the word n-gram
//! features built from them. Not weighting (that is `tfidf`) and not sentence splitting.
//!
//! Steps, in order: Unicode word segmentation (UAX #29), lower-casing, curly apostrophes
//! folded to straight ones, any word containing a digit folded to the single term `<num>`
//! (so "2,000" and "10.6" teach the same thing), then English Snowball stemming.

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

/// Longest word n-gram a model may use; longer runs add nothing but memory.
pub const MAX_NGRAM: usize = 8;

/// The term every number-bearing word becomes.
pub const NUMBER_TERM: &str = "<num>";

/// Stemming language, kept as our own type so the model file does not depend on the
/// stemming crate's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    English,
}

impl Language {
    fn algorithm(self) -> Algorithm {
        match self {
            Language::English => Algorithm::English,
        }
    }
}

/// Tokenizer settings; they are saved in the model file so classification tokenizes
/// exactly as training did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenizerParams {
    /// Stem words with the Snowball stemmer of `language`; defaults to `true`.
    pub stem: bool,
    /// Language of the stemmer; defaults to English.
    pub language: Language,
    /// Longest word n-gram used as a feature (1 = words only, at most [`MAX_NGRAM`]);
    /// defaults to `2`.
    pub ngram_max: usize,
}

impl Default for TokenizerParams {
    fn default() -> Self {
        TokenizerParams {
            stem: true,
            language: Language::English,
            ngram_max: 2,
        }
    }
}

/// A normalised word and the bytes of the sentence it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub term: String,
    pub start: usize,
    pub end: usize,
}

/// A ready-to-use tokenizer built from [`TokenizerParams`].
pub struct Tokenizer {
    params: TokenizerParams,
    stemmer: Option<Stemmer>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("params", &self.params)
            .finish()
    }
}

impl Clone for Tokenizer {
    fn clone(&self) -> Self {
        Tokenizer::new(self.params.clone())
    }
}

impl Tokenizer {
    pub fn new(params: TokenizerParams) -> Self {
        let stemmer = params
            .stem
            .then(|| Stemmer::create(params.language.algorithm()));
        Tokenizer { params, stemmer }
    }

    pub fn params(&self) -> &TokenizerParams {
        &self.params
    }

    /// The normalised term of one word as it appears in text.
    pub fn normalize(&self, word: &str) -> String {
        if word.chars().any(|c| c.is_numeric()) {
            return NUMBER_TERM.to_string();
        }
        let lower = word.to_lowercase().replace(['’', '‘', 'ʼ'], "'");
        match &self.stemmer {
            Some(stemmer) => stemmer.stem(&lower).into_owned(),
            None => lower,
        }
    }

    /// The words of `text` as terms with their byte spans.
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        text.unicode_word_indices()
            .map(|(start, word)| Token {
                term: self.normalize(word),
                start,
                end: start + word.len(),
            })
            .collect()
    }

    /// The n-gram features of `text`: every term, then every run of 2..=`ngram_max`
    /// consecutive terms joined by a space, in order of appearance.
    pub fn features(&self, text: &str) -> Vec<String> {
        let terms: Vec<String> = self.tokens(text).into_iter().map(|t| t.term).collect();
        ngrams(&terms, self.params.ngram_max)
    }
}

/// Word n-grams of lengths `1..=n_max` over `terms`, joined by single spaces.
pub fn ngrams(terms: &[String], n_max: usize) -> Vec<String> {
    let n_max = n_max.clamp(1, MAX_NGRAM);
    let mut features = Vec::with_capacity(terms.len() * n_max);
    for n in 1..=n_max {
        for window in terms.windows(n) {
            features.push(window.join(" "));
        }
    }
    features
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(tokenizer: &Tokenizer, text: &str) -> Vec<String> {
        tokenizer.tokens(text).into_iter().map(|t| t.term).collect()
    }

    #[test]
    fn lowercases_and_stems() {
        let tokenizer = Tokenizer::new(TokenizerParams::default());
        assert_eq!(
            terms(&tokenizer, "Sanctions were Imposed"),
            vec!["sanction", "were", "impos"]
        );
    }

    #[test]
    fn folds_curly_apostrophes_and_possessives() {
        let tokenizer = Tokenizer::new(TokenizerParams::default());
        assert_eq!(
            terms(&tokenizer, "Kazakhstan’s Kazakhstan's"),
            vec!["kazakhstan", "kazakhstan"]
        );
    }

    #[test]
    fn numbers_become_one_term() {
        let tokenizer = Tokenizer::new(TokenizerParams::default());
        assert_eq!(
            terms(&tokenizer, "10.6% of 2,000-plus"),
            vec![NUMBER_TERM, "of", NUMBER_TERM, "plus"]
        );
    }

    #[test]
    fn spans_cover_the_words() {
        let tokenizer = Tokenizer::new(TokenizerParams::default());
        let text = "“Astana refuses,” he said";
        let tokens = tokenizer.tokens(text);
        let words: Vec<&str> = tokens.iter().map(|t| &text[t.start..t.end]).collect();
        assert_eq!(words, vec!["Astana", "refuses", "he", "said"]);
    }

    #[test]
    fn without_stemming_words_are_only_lowercased() {
        let tokenizer = Tokenizer::new(TokenizerParams {
            stem: false,
            ..TokenizerParams::default()
        });
        assert_eq!(
            terms(&tokenizer, "Sanctions Imposed"),
            vec!["sanctions", "imposed"]
        );
    }

    #[test]
    fn builds_unigrams_then_bigrams() {
        let tokenizer = Tokenizer::new(TokenizerParams::default());
        assert_eq!(
            tokenizer.features("will not help"),
            vec!["will", "not", "help", "will not", "not help"]
        );
        let words_only = Tokenizer::new(TokenizerParams {
            ngram_max: 1,
            ..TokenizerParams::default()
        });
        assert_eq!(
            words_only.features("will not help"),
            vec!["will", "not", "help"]
        );
    }
}
