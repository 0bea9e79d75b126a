//! Synonym lexicon files: reading and checking the groups of words a tokenizer folds into
//! one term (`tokenize` does the folding). Not a thesaurus: the groups are what a model is
//! trained with, and they travel inside its model file.
//!
//! The file holds one group per line, its words separated by commas; the first word is the
//! one the others read as. Blank lines and lines starting with `#` are skipped:
//!
//! ```text
//! # courts
//! court, tribunal, courtroom
//! ```
//!
//! Words are compared as the tokenizer sees them (lower-cased, stemmed when the model
//! stems), so "offices" and "office" are the same entry, and no such term may be in two
//! groups.
//!
//! Before training, [`keep_rarer`] fits a lexicon to the training text: each group's most
//! frequent word becomes the one the others read as, and a word stays in the group only if
//! it is some times rarer than that word. Folding two words the data knows well ("talk" and
//! "discussion") would only blur two well-learned features; folding a rare one ("parley")
//! lends it the weight its common synonym earned, which is what a spun text needs.

use std::collections::HashMap;
use std::path::Path;

use rustc_hash::FxHashMap;
use unicode_segmentation::UnicodeSegmentation;

use crate::error::Error;
use crate::tokenize::{is_negator, Tokenizer, TokenizerParams, NUMBER_TERM};

/// Reads the lexicon at `path`, checked against the tokenizer `params` (their `synonyms`
/// are ignored), as the groups to put in [`TokenizerParams::synonyms`].
pub fn load(path: &Path, params: &TokenizerParams) -> Result<Vec<Vec<String>>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path, params)
}

/// Parses lexicon `text` (read from `path`, named in errors).
pub fn parse(text: &str, path: &Path, params: &TokenizerParams) -> Result<Vec<Vec<String>>, Error> {
    let tokenizer = Tokenizer::new(TokenizerParams {
        synonyms: Vec::new(),
        ..params.clone()
    });
    let bad = |line: usize, problem: String| Error::BadRecord {
        path: path.to_path_buf(),
        line: line as u64,
        problem,
    };
    let mut groups = Vec::new();
    // Term → the line of the group holding it.
    let mut line_of_term: HashMap<String, usize> = HashMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let raw = raw.trim();
        if raw.is_empty() || raw.starts_with('#') {
            continue;
        }
        let mut group: Vec<String> = Vec::new();
        let mut terms: Vec<String> = Vec::new();
        for entry in raw.split(',') {
            let word = entry.trim().to_lowercase();
            check_word(&word).map_err(|problem| bad(line, problem))?;
            let term = tokenizer.unfolded_term(&word);
            if is_negator(&term) {
                return Err(bad(
                    line,
                    format!("'{word}' opens a negation scope; it cannot stand for another word"),
                ));
            }
            if terms.contains(&term) {
                // "route, routes": the stemmer already folds them; nothing to add.
                continue;
            }
            if let Some(&other) = line_of_term.get(&term) {
                return Err(bad(
                    line,
                    format!("'{word}' (term '{term}') is already in the group on line {other}; a term belongs to one group"),
                ));
            }
            group.push(word);
            terms.push(term);
        }
        if terms.len() < 2 {
            return Err(bad(
                line,
                format!(
                    "the group folds nothing: its words all read as the term '{}'",
                    terms[0]
                ),
            ));
        }
        for term in terms {
            line_of_term.insert(term, line);
        }
        groups.push(group);
    }
    Ok(groups)
}

/// `groups` fitted to the training `texts`: in each group, the word whose term the texts
/// hold most often comes first (the first listed wins a tie), and another word stays only
/// if its term occurs at most `1 / ratio` times as often (a word the texts never hold always
/// stays; `ratio` 0 keeps every word). Groups left with one word are dropped. A negative
/// or non-finite `ratio` is an error.
pub fn keep_rarer<S: AsRef<str>>(
    groups: &[Vec<String>],
    texts: &[S],
    params: &TokenizerParams,
    ratio: f64,
) -> Result<Vec<Vec<String>>, Error> {
    if !(ratio >= 0.0 && ratio.is_finite()) {
        return Err(Error::InvalidParam {
            name: "synonym_ratio",
            value: ratio.to_string(),
            expected: "a finite number, 0 or more",
        });
    }
    let tokenizer = Tokenizer::new(TokenizerParams {
        synonyms: Vec::new(),
        ..params.clone()
    });
    // Words as written first, so each distinct spelling is lower-cased and stemmed once.
    let mut words: FxHashMap<&str, u64> = FxHashMap::default();
    for text in texts {
        for word in text.as_ref().unicode_words() {
            *words.entry(word).or_insert(0) += 1;
        }
    }
    let mut terms: FxHashMap<String, u64> = FxHashMap::default();
    for (word, count) in words {
        *terms.entry(tokenizer.unfolded_term(word)).or_insert(0) += count;
    }
    let count = |word: &String| {
        terms
            .get(&tokenizer.unfolded_term(word))
            .copied()
            .unwrap_or(0)
    };
    Ok(groups
        .iter()
        .filter_map(|group| {
            let first = group
                .iter()
                .enumerate()
                .max_by_key(|&(index, word)| (count(word), std::cmp::Reverse(index)))?
                .0;
            let most = count(&group[first]) as f64;
            let mut fitted = vec![group[first].clone()];
            fitted.extend(
                group
                    .iter()
                    .enumerate()
                    .filter(|&(index, word)| index != first && count(word) as f64 * ratio <= most)
                    .map(|(_, word)| word.clone()),
            );
            (fitted.len() >= 2).then_some(fitted)
        })
        .collect())
}

/// Why `word` cannot be a lexicon entry, if it cannot.
fn check_word(word: &str) -> Result<(), String> {
    if word.is_empty() {
        return Err("an empty word (two commas in a row, or a comma at an end)".to_string());
    }
    if word.chars().any(char::is_numeric) {
        return Err(format!(
            "'{word}' holds a digit; every such word is already the term {NUMBER_TERM}"
        ));
    }
    let mut words = word.unicode_words();
    if words.next() != Some(word) || words.next().is_some() {
        return Err(format!(
            "'{word}' is not one word as the tokenizer splits text; list single words"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Vec<Vec<String>>, String> {
        parse(text, Path::new("syn.txt"), &TokenizerParams::default()).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_groups_skipping_comments_and_blank_lines() {
        let groups = parse_text("# courts\n\nCourt, tribunal , courtroom\nhelp,assist\n").unwrap();
        assert_eq!(
            groups,
            vec![
                vec!["court", "tribunal", "courtroom"],
                vec!["help", "assist"]
            ]
        );
    }

    #[test]
    fn drops_words_the_stemmer_already_folds() {
        let groups = parse_text("route, routes, path\n").unwrap();
        assert_eq!(groups, vec![vec!["route", "path"]]);
    }

    #[test]
    fn a_term_in_two_groups_names_both_lines() {
        let error = parse_text("help, assist\n# x\naid, assists\n").unwrap_err();
        assert_eq!(
            error,
            "syn.txt: line 3: 'assists' (term 'assist') is already in the group on line 1; a term belongs to one group"
        );
    }

    #[test]
    fn rejects_what_cannot_be_folded() {
        let cases = [
            ("help, , aid\n", "line 1: an empty word"),
            ("g7, group\n", "line 1: 'g7' holds a digit"),
            ("help out, assist\n", "line 1: 'help out' is not one word"),
            ("pro-russian, loyal\n", "'pro-russian' is not one word"),
            ("not, never\n", "'not' opens a negation scope"),
            (
                "routes, route\n",
                "the group folds nothing: its words all read as the term 'rout'",
            ),
            ("alone\n", "the group folds nothing"),
        ];
        for (text, expected) in cases {
            let error = parse_text(text).unwrap_err();
            assert!(error.contains(expected), "{text:?} gave {error}");
        }
    }

    #[test]
    fn fitting_puts_the_commonest_word_first_and_keeps_only_rarer_ones() {
        let groups = parse_text("talk, discussion, parley\nhelp, assist\nsay, state\n").unwrap();
        let texts = [
            "Talks and more talks; a discussion of the talks.",
            "The discussion was a discussion.",
            "It states it, they stated it, the state. He says, she says, they say it helps.",
        ];
        let fitted = keep_rarer(&groups, &texts, &TokenizerParams::default(), 2.0).unwrap();
        // "discussion" (3) is not half as rare as "talk" (4): only the unseen "parley" folds.
        // "say" (3) and "state" (3) tie: the first listed leads and "state" is not rarer.
        assert_eq!(fitted, vec![vec!["talk", "parley"], vec!["help", "assist"]]);
        let everything = keep_rarer(&groups, &texts, &TokenizerParams::default(), 0.0).unwrap();
        assert_eq!(
            everything,
            vec![
                vec!["talk", "discussion", "parley"],
                vec!["help", "assist"],
                vec!["say", "state"]
            ]
        );
        let commonest_first = keep_rarer(
            &groups,
            &["discussion discussion talk"],
            &TokenizerParams::default(),
            2.0,
        )
        .unwrap();
        assert_eq!(commonest_first[0], vec!["discussion", "talk", "parley"]);
    }

    #[test]
    fn a_missing_file_is_named() {
        let error = load(
            Path::new("/nonexistent/syn.txt"),
            &TokenizerParams::default(),
        )
        .unwrap_err();
        assert!(error.to_string().contains("/nonexistent/syn.txt"));
    }
}
