//! Tokenizing: a sentence in, normalised terms with byte spans out, and the word n-gram
//! features built from them. Not weighting (that is `tfidf`) and not sentence splitting.
//!
//! Steps, in order: Unicode word segmentation (UAX #29), lower-casing, curly apostrophes
//! folded to straight ones, any word containing a digit folded to the single term `<num>`
//! (so "2,000" and "10.6" teach the same thing), then English Snowball stemming. Last,
//! the few words after a negation ("not", "never", "without", "doesn't", …), up to the next
//! punctuation, become negated terms: "will not help Russia" gives "will not ¬help ¬russia",
//! so "help" in a denial teaches something other than "help" in a statement. Between
//! stemming and negation, a model with a synonym lexicon folds every word of a group into
//! the term of the group's first word ("tribunal" reads as "court"), so that a
//! synonym-spun rewrite keeps the terms of its original; `synonyms` reads lexicon files.

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

/// Longest word n-gram a model may use; longer runs add nothing but memory.
pub const MAX_NGRAM: usize = 8;

/// The term every number-bearing word becomes.
pub const NUMBER_TERM: &str = "<num>";

/// What a term inside a negation's scope starts with ("¬help"). Word segmentation never
/// puts it inside a word, so a negated term never collides with a plain one.
pub const NEGATED_PREFIX: char = '¬';

/// Negation scope words when a model file does not say (files written before the setting
/// existed): none.
fn no_negation() -> usize {
    0
}

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
    /// How many words after a negation become negated terms (the scope also ends at
    /// punctuation); 0 turns negation marking off. Defaults to `8`.
    #[serde(default = "no_negation")]
    pub negation_words: usize,
    /// Synonym groups: every word of a group reads as the term of its first word. Written
    /// by `synonyms::load`, which checks that no term is in two groups; empty (the
    /// default) folds nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<Vec<String>>,
}

impl Default for TokenizerParams {
    fn default() -> Self {
        TokenizerParams {
            stem: true,
            language: Language::English,
            ngram_max: 2,
            negation_words: 8,
            synonyms: Vec::new(),
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
    /// Term of a synonym → term of its group's first word.
    folded: FxHashMap<String, String>,
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
        let mut tokenizer = Tokenizer {
            params,
            stemmer,
            folded: FxHashMap::default(),
        };
        tokenizer.folded = tokenizer.fold_table();
        tokenizer
    }

    /// Term of a synonym → term of its group's first word: first the words as listed, then
    /// the terms of their regular inflections that the stemmer does not bring back to the
    /// word's own term ("rebuffed" stems to "rebuf", "rebuff" to "rebuff"), unless a listed
    /// word already has that term. A term in two groups (only in a file not written by
    /// `synonyms::load`) keeps its first group.
    fn fold_table(&self) -> FxHashMap<String, String> {
        let groups: Vec<(String, &[String])> = self
            .params
            .synonyms
            .iter()
            .filter_map(|group| Some((self.unfolded_term(group.first()?), group.as_slice())))
            .collect();
        let mut folded: FxHashMap<String, String> = FxHashMap::default();
        for (target, words) in &groups {
            for word in words.iter() {
                let term = self.unfolded_term(word);
                folded.entry(term).or_insert_with(|| target.clone());
            }
        }
        for (target, words) in &groups {
            for word in words.iter() {
                for form in inflections(word) {
                    let term = self.unfolded_term(&form);
                    folded.entry(term).or_insert_with(|| target.clone());
                }
            }
        }
        folded.retain(|term, target| term != target);
        folded
    }

    pub fn params(&self) -> &TokenizerParams {
        &self.params
    }

    /// The normalised term of one word as it appears in text.
    pub fn normalize(&self, word: &str) -> String {
        let term = self.unfolded_term(word);
        match self.folded.get(&term) {
            Some(target) => target.clone(),
            None => term,
        }
    }

    /// The term of a word before synonym folding: lower-cased and stemmed (or `<num>`).
    pub fn unfolded_term(&self, word: &str) -> String {
        if word.chars().any(|c| c.is_numeric()) {
            return NUMBER_TERM.to_string();
        }
        let lower = word.to_lowercase().replace(['’', '‘', 'ʼ'], "'");
        match &self.stemmer {
            Some(stemmer) => stemmer.stem(&lower).into_owned(),
            None => lower,
        }
    }

    /// A fresh negation scope for one sentence, with this tokenizer's setting.
    pub fn negation_scope(&self) -> NegationScope {
        NegationScope::new(self.params.negation_words)
    }

    /// The words of `text` as terms with their byte spans; terms inside a negation's scope
    /// carry [`NEGATED_PREFIX`].
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        let mut scope = self.negation_scope();
        let mut previous_end = 0;
        text.unicode_word_indices()
            .map(|(start, word)| {
                let term = self.normalize(word);
                let negated = scope.step(&text.as_bytes()[previous_end..start], is_negator(&term));
                previous_end = start + word.len();
                Token {
                    term: if negated {
                        format!("{NEGATED_PREFIX}{term}")
                    } else {
                        term
                    },
                    start,
                    end: start + word.len(),
                }
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

/// The regular inflections of an English word ("rebuff" → "rebuffs", "rebuffed",
/// "rebuffing"; "deny" → "denies", "denied"; "ban" → "banned"), spelled as text has them,
/// with a few misspellings ("refuseing") that no text holds and so do no harm. ("hop" gets
/// no "hopes", which would be another word's term.)
fn inflections(word: &str) -> Vec<String> {
    let mut forms = vec![
        format!("{word}s"),
        format!("{word}ed"),
        format!("{word}ing"),
    ];
    if ["s", "x", "z", "ch", "sh", "o"]
        .iter()
        .any(|end| word.ends_with(end))
    {
        forms.push(format!("{word}es"));
    }
    if let Some(stem) = word.strip_suffix('e') {
        forms.push(format!("{word}d"));
        forms.push(format!("{stem}ing"));
    }
    if let Some(stem) = word.strip_suffix('y') {
        forms.push(format!("{stem}ies"));
        forms.push(format!("{stem}ied"));
    }
    if let Some(last) = word.chars().last().filter(|c| !"aeiouwxy".contains(*c)) {
        forms.push(format!("{word}{last}ed"));
        forms.push(format!("{word}{last}ing"));
    }
    forms
}

/// Whether a normalised term opens a negation's scope: "not", "no", "never", "without",
/// "neither", "nor", "none", "cannot" and the contractions ending in "n't". (Stemming leaves
/// all of them as they are.)
pub fn is_negator(term: &str) -> bool {
    matches!(
        term,
        "not" | "no" | "never" | "without" | "neither" | "nor" | "none" | "cannot"
    ) || term.ends_with("n't")
}

/// Whether the text between two words ends a negation's scope: it holds a clause or
/// sentence mark (, ; : . ! ? brackets, dashes, an ellipsis). Hyphens, quotes and spaces
/// do not end it. Reads bytes: the three marks beyond ASCII are all E2 80 xx in UTF-8.
#[inline]
fn ends_scope(gap: &[u8]) -> bool {
    gap.iter().enumerate().any(|(i, &b)| {
        matches!(
            b,
            b',' | b';' | b':' | b'.' | b'!' | b'?' | b'(' | b')' | b'[' | b']'
        ) || (b == 0xE2
            // U+2013 en dash, U+2014 em dash, U+2026 ellipsis.
            && matches!(gap.get(i + 1..i + 3), Some([0x80, 0x93 | 0x94 | 0xA6])))
    })
}

/// Which words of a sentence lie in a negation's scope: the `words` words after a negator,
/// cut short by punctuation; a negator inside a scope starts a new one.
#[derive(Debug, Clone)]
pub struct NegationScope {
    words: usize,
    left: usize,
}

impl NegationScope {
    /// A scope of `words` words (0: nothing is ever negated).
    pub fn new(words: usize) -> Self {
        NegationScope { words, left: 0 }
    }

    /// Steps to the next word: `gap` is the text between it and the previous word (or the
    /// start of the sentence), as bytes; `negator` says whether the word opens a scope.
    /// Returns whether the word itself is negated.
    #[inline(always)]
    pub fn step(&mut self, gap: &[u8], negator: bool) -> bool {
        if self.left > 0 && ends_scope(gap) {
            self.left = 0;
        }
        let negated = self.left > 0;
        if negated {
            self.left -= 1;
        }
        if negator {
            self.left = self.words;
        }
        negated
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

    fn with_negation(words: usize) -> Tokenizer {
        Tokenizer::new(TokenizerParams {
            negation_words: words,
            ..TokenizerParams::default()
        })
    }

    fn without_negation() -> Tokenizer {
        with_negation(0)
    }

    #[test]
    fn negation_marks_the_next_words_up_to_punctuation() {
        let tokenizer = with_negation(3);
        assert_eq!(
            terms(&tokenizer, "Astana will not help Russia evade sanctions"),
            vec!["astana", "will", "not", "¬help", "¬russia", "¬evad", "sanction"]
        );
        assert_eq!(
            terms(&tokenizer, "It never agreed, and Moscow knows"),
            vec!["it", "never", "¬agre", "and", "moscow", "know"]
        );
        assert_eq!(
            terms(&tokenizer, "Banks don’t comply — yet"),
            vec!["bank", "don't", "¬compli", "yet"]
        );
        // A hyphen or a quotation mark does not end the scope; a second negator restarts it.
        assert_eq!(
            terms(&tokenizer, "no Russian-led “union” without"),
            vec!["no", "¬russian", "¬led", "¬union", "without"]
        );
        assert_eq!(
            terms(&tokenizer, "not a word, not never any"),
            vec!["not", "¬a", "¬word", "not", "¬never", "¬ani"]
        );
        assert_eq!(
            terms(&without_negation(), "will not help"),
            vec!["will", "not", "help"]
        );
        assert_eq!(
            terms(&with_negation(1), "will not help Russia"),
            vec!["will", "not", "¬help", "russia"]
        );
    }

    #[test]
    fn negated_spans_are_the_words_spans() {
        let tokenizer = Tokenizer::new(TokenizerParams::default());
        let text = "did not sign";
        let tokens = tokenizer.tokens(text);
        assert_eq!(tokens[2].term, "¬sign");
        assert_eq!(&text[tokens[2].start..tokens[2].end], "sign");
    }

    #[test]
    fn synonyms_read_as_their_groups_first_word() {
        let tokenizer = Tokenizer::new(TokenizerParams {
            synonyms: vec![
                vec!["court".into(), "tribunal".into(), "courtroom".into()],
                vec!["help".into(), "assist".into()],
            ],
            ..TokenizerParams::default()
        });
        assert_eq!(
            terms(&tokenizer, "Tribunals will not assist the courts"),
            vec!["court", "will", "not", "¬help", "¬the", "¬court"]
        );
        assert_eq!(tokenizer.unfolded_term("Tribunals"), "tribun");
        // Inflections the stemmer does not bring back to the listed word's term fold too.
        let spun = Tokenizer::new(TokenizerParams {
            synonyms: vec![vec!["refuse".into(), "rebuff".into()]],
            ..TokenizerParams::default()
        });
        assert_eq!(spun.unfolded_term("rebuffed"), "rebuf");
        assert_eq!(terms(&spun, "rebuffed rebuffs rebuff"), vec!["refus"; 3]);
        // Without the lexicon nothing is folded.
        assert_eq!(
            terms(&Tokenizer::new(TokenizerParams::default()), "tribunal"),
            vec!["tribun"]
        );
    }

    #[test]
    fn builds_unigrams_then_bigrams() {
        let tokenizer = without_negation();
        assert_eq!(
            tokenizer.features("will not help"),
            vec!["will", "not", "help", "will not", "not help"]
        );
        let words_only = Tokenizer::new(TokenizerParams {
            ngram_max: 1,
            negation_words: 0,
            ..TokenizerParams::default()
        });
        assert_eq!(
            words_only.features("will not help"),
            vec!["will", "not", "help"]
        );
        assert_eq!(
            Tokenizer::new(TokenizerParams::default()).features("will not help"),
            vec!["will", "not", "¬help", "will not", "not ¬help"]
        );
    }
}
