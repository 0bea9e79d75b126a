//! Fast feature lookup for classification: words in, vocabulary indices out, without
//! building n-gram strings. Terms of the vocabulary are interned to small ids; each word
//! seen in text is normalised once per thread and cached; n-grams are looked up as id
//! sequences. Gives exactly the features `Tokenizer::features` + `Tfidf::transform` give.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::FxHashMap;
use unicode_segmentation::UnicodeSegmentation;

use crate::tfidf::Tfidf;
use crate::tokenize::{is_negator, NegationScope, Tokenizer, NEGATED_PREFIX};

/// Cached words per thread before the cache is emptied, bounding memory on huge corpora.
const CACHE_LIMIT: usize = 500_000;

static NEXT_INDEX_ID: AtomicU64 = AtomicU64::new(1);

/// What the cache knows of a word: its term's id (or [`NO_TERM`] for a term in no
/// feature, plain or negated) and, in the top bit, whether it opens a negation's scope.
#[derive(Clone, Copy)]
struct WordTerm(u32);

/// Term id of a word whose term is in no feature.
const NO_TERM: u32 = u32::MAX >> 1;
const NEGATOR_BIT: u32 = 1 << 31;

impl WordTerm {
    fn new(term: Option<u32>, negator: bool) -> Self {
        let term = term.unwrap_or(NO_TERM);
        debug_assert!(term <= NO_TERM);
        WordTerm(term | if negator { NEGATOR_BIT } else { 0 })
    }

    fn term(self) -> Option<u32> {
        let term = self.0 & !NEGATOR_BIT;
        (term != NO_TERM).then_some(term)
    }

    fn is_negator(self) -> bool {
        self.0 & NEGATOR_BIT != 0
    }
}

/// Word as written → its [`WordTerm`]. Words are
/// keyed by their bytes packed little-endian into one integer, zero-padded (words never
/// contain NUL): up to 8 bytes (most running words) in a table of 16-byte entries small
/// enough to stay in the core's near caches, up to 16 bytes in a second table, longer
/// ones by their text. (One table of 32-byte entries for all short words was 11% slower.)
#[derive(Default)]
struct WordTerms {
    short: FxHashMap<u64, WordTerm>,
    medium: FxHashMap<u128, WordTerm>,
    long: FxHashMap<Box<str>, WordTerm>,
}

impl WordTerms {
    fn len(&self) -> usize {
        self.short.len() + self.medium.len() + self.long.len()
    }

    fn clear(&mut self) {
        self.short.clear();
        self.medium.clear();
        self.long.clear();
    }

    /// The cached [`WordTerm`] of the word `text[start..end]`, computing and caching it
    /// with `resolve` if new.
    #[inline]
    fn get_or_insert(
        &mut self,
        text: &str,
        start: usize,
        end: usize,
        resolve: impl FnOnce(&str) -> WordTerm,
    ) -> WordTerm {
        let resolve = || resolve(&text[start..end]);
        match pack_word(text.as_bytes(), start, end) {
            Some(key) if end - start <= 8 => *self.short.entry(key as u64).or_insert_with(resolve),
            Some(key) => *self.medium.entry(key).or_insert_with(resolve),
            None => {
                let word = &text[start..end];
                match self.long.get(word) {
                    Some(&term) => term,
                    None => {
                        let term = resolve();
                        self.long.insert(word.into(), term);
                        term
                    }
                }
            }
        }
    }
}

/// The bytes of `bytes[start..end]` packed little-endian into one integer, zero-padded,
/// or `None` when longer than 16 bytes. Reads the 16 bytes from `start` at once and masks
/// off what follows the word when the text is long enough, else copies byte by byte.
#[inline(always)]
fn pack_word(bytes: &[u8], start: usize, end: usize) -> Option<u128> {
    let len = end - start;
    if len > 16 {
        return None;
    }
    if let Some(chunk) = bytes.get(start..start + 16) {
        let whole = u128::from_le_bytes(chunk.try_into().expect("16 bytes"));
        // len >= 1: words are never empty; a shift by 128 would overflow.
        let mask = u128::MAX >> (8 * (16 - len));
        return Some(whole & mask);
    }
    let mut packed = [0u8; 16];
    packed[..len].copy_from_slice(&bytes[start..end]);
    Some(u128::from_le_bytes(packed))
}

thread_local! {
    /// The word cache of this thread, for the index whose id is stored alongside.
    static WORD_CACHE: RefCell<(u64, WordTerms, Vec<Option<u32>>)> =
        RefCell::new((0, WordTerms::default(), Vec::new()));
}

/// The vocabulary compiled into id lookups.
#[derive(Debug, Clone)]
pub struct FeatureIndex {
    id: u64,
    terms: FxHashMap<String, u32>,
    /// Feature index of each term as a unigram.
    unigrams: Vec<Option<u32>>,
    /// Term id of each term's negated form ("¬help" for "help"), where some feature holds it.
    negated: Vec<Option<u32>>,
    /// Feature index of each bigram by its two term ids packed in one key.
    bigrams: FxHashMap<u64, u32>,
    /// Feature index of each longer n-gram by its term ids.
    ngrams: FxHashMap<Box<[u32]>, u32>,
    ngram_max: usize,
}

impl FeatureIndex {
    pub fn new(tfidf: &Tfidf, ngram_max: usize) -> FeatureIndex {
        // Sized up front: growing the tables as they fill was a tenth of start-up.
        let features = tfidf.vocabulary().len();
        let mut terms: FxHashMap<String, u32> =
            FxHashMap::with_capacity_and_hasher(features / 4, Default::default());
        let mut bigrams: FxHashMap<u64, u32> =
            FxHashMap::with_capacity_and_hasher(features, Default::default());
        let mut ngrams: FxHashMap<Box<[u32]>, u32> = FxHashMap::default();
        let mut unigram_features: Vec<(u32, u32)> = Vec::new();
        for (feature_id, feature) in tfidf.vocabulary().iter().enumerate() {
            let ids: Vec<u32> = feature
                .split(' ')
                .map(|term| intern(&mut terms, term))
                .collect();
            if ids.len() == 1 {
                unigram_features.push((ids[0], feature_id as u32));
            } else if ids.len() == 2 {
                bigrams.insert(pair_key(ids[0], ids[1]), feature_id as u32);
            } else {
                ngrams.insert(ids.into_boxed_slice(), feature_id as u32);
            }
        }
        // A word is looked up by its plain term, so the plain form of every negated term
        // needs an id even when no feature holds it.
        let negated_terms: Vec<(String, u32)> = terms
            .iter()
            .filter_map(|(term, &id)| {
                let plain = term.strip_prefix(NEGATED_PREFIX)?;
                Some((plain.to_string(), id))
            })
            .collect();
        let mut negated_of_plain = Vec::with_capacity(negated_terms.len());
        for (plain, negated_id) in negated_terms {
            negated_of_plain.push((intern(&mut terms, &plain), negated_id));
        }
        let mut unigrams = vec![None; terms.len()];
        for (term, feature) in unigram_features {
            unigrams[term as usize] = Some(feature);
        }
        let mut negated = vec![None; terms.len()];
        for (plain, negated_id) in negated_of_plain {
            negated[plain as usize] = Some(negated_id);
        }
        FeatureIndex {
            id: NEXT_INDEX_ID.fetch_add(1, Ordering::Relaxed),
            terms,
            unigrams,
            negated,
            bigrams,
            ngrams,
            ngram_max: ngram_max.clamp(1, crate::tokenize::MAX_NGRAM),
        }
    }

    /// Vocabulary indices of every feature occurrence in `text` (repeats kept).
    pub fn feature_ids(&self, tokenizer: &Tokenizer, text: &str) -> Vec<u32> {
        WORD_CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.0 != self.id || cache.1.len() > CACHE_LIMIT {
                cache.0 = self.id;
                cache.1.clear();
            }
            let (_, words, term_ids) = &mut *cache;
            // The term ids of the words (negated where a negation's scope covers them), in a
            // buffer kept between calls.
            term_ids.clear();
            // The negation scope and where the previous word ended.
            let mut state = (tokenizer.negation_scope(), 0);
            let mut term_of = |(scope, previous_end): &mut (NegationScope, usize),
                               start: usize,
                               end: usize| {
                let word = words.get_or_insert(text, start, end, |word| {
                    let term = tokenizer.normalize(word);
                    WordTerm::new(self.terms.get(&term).copied(), is_negator(&term))
                });
                let negated = scope.step(&text.as_bytes()[*previous_end..start], word.is_negator());
                *previous_end = end;
                let term = word.term();
                if negated {
                    term.and_then(|t| self.negated[t as usize])
                } else {
                    term
                }
            };
            let fast = scan_words(text, |start, end| {
                term_ids.push(term_of(&mut state, start, end))
            });
            if !fast {
                // A character the fast path does not know: segment the whole text anew.
                term_ids.clear();
                state = (tokenizer.negation_scope(), 0);
                term_ids.extend(
                    text.unicode_word_indices()
                        .map(|(start, word)| term_of(&mut state, start, start + word.len())),
                );
            }
            let mut ids = Vec::with_capacity(term_ids.len() * self.ngram_max);
            ids.extend(
                term_ids
                    .iter()
                    .filter_map(|t| t.and_then(|t| self.unigrams[t as usize])),
            );
            if self.ngram_max >= 2 {
                for pair in term_ids.windows(2) {
                    if let [Some(a), Some(b)] = pair {
                        if let Some(&id) = self.bigrams.get(&pair_key(*a, *b)) {
                            ids.push(id);
                        }
                    }
                }
            }
            let mut window: Vec<u32> = Vec::new();
            for n in 3..=self.ngram_max {
                for run in term_ids.windows(n) {
                    window.clear();
                    if run.iter().all(|t| t.map(|t| window.push(t)).is_some()) {
                        if let Some(&id) = self.ngrams.get(window.as_slice()) {
                            ids.push(id);
                        }
                    }
                }
            }
            ids
        })
    }
}

/// The id of `term` in `terms`, adding it if new (only a new term is copied).
fn intern(terms: &mut FxHashMap<String, u32>, term: &str) -> u32 {
    match terms.get(term) {
        Some(&id) => id,
        None => {
            let id = terms.len() as u32;
            terms.insert(term.to_string(), id);
            id
        }
    }
}

fn pair_key(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// Word character classes of UAX #29 that `simple_words` knows without a table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WordClass {
    Letter,
    Digit,
    Underscore,
    /// ':' joins letters (MidLetter).
    MidLetter,
    /// '.', '\'', '‘' and '’' join letters or digits (MidNumLet).
    MidNumLet,
    /// ',' and ';' join digits (MidNum).
    MidNum,
    /// Anything that never joins a word: spaces, other punctuation, symbols.
    Other,
}

/// The class of `c`, or `None` when it is outside the characters handled here.
fn word_class(c: char) -> Option<WordClass> {
    Some(match c {
        'a'..='z' | 'A'..='Z' => WordClass::Letter,
        '0'..='9' => WordClass::Digit,
        '_' => WordClass::Underscore,
        ':' => WordClass::MidLetter,
        '.' | '\'' | '‘' | '’' => WordClass::MidNumLet,
        ',' | ';' => WordClass::MidNum,
        ' ' | '!' | '"' | '#' | '$' | '%' | '&' | '(' | ')' | '*' | '+' | '-' | '/' | '<' | '='
        | '>' | '?' | '@' | '[' | '\\' | ']' | '^' | '`' | '{' | '|' | '}' | '~' => {
            WordClass::Other
        }
        '“' | '”' | '«' | '»' | '–' | '—' | '…' | '\u{a0}' | '°' | '€' | '£' | '№' => {
            WordClass::Other
        }
        // Latin and Cyrillic letters (combining marks excluded).
        '\u{c0}'..='\u{24f}' if c.is_alphabetic() => WordClass::Letter,
        '\u{400}'..='\u{481}' | '\u{48a}'..='\u{52f}' => WordClass::Letter,
        _ => return None,
    })
}

/// Byte ranges of the words of `text`, exactly as `unicode_words` (UAX #29 word
/// segmentation, keeping segments with a letter or digit) finds them, but without its
/// table look-ups; `None` when the text holds a character this fast path does not know.
/// Letters, digits and '_' join; ':' and the MidNumLet marks join two letters; ',', ';'
/// and the MidNumLet marks join two digits.
pub fn simple_words(text: &str) -> Option<Vec<(usize, usize)>> {
    let mut words = Vec::with_capacity(text.len() / 5);
    scan_words(text, |start, end| words.push((start, end))).then_some(words)
}

/// Calls `word(start, end)` for each word of `text` as [`simple_words`] finds them and
/// returns `true`; stops and returns `false` at the first character the fast path does
/// not know (words already reported stay reported).
pub fn scan_words(text: &str, mut word: impl FnMut(usize, usize)) -> bool {
    use WordClass::*;
    let bytes = text.as_bytes();
    let is_word = |c: WordClass| matches!(c, Letter | Digit | Underscore);
    let mut i = 0;
    while i < bytes.len() {
        // Runs of ASCII spaces and punctuation between words.
        let b = bytes[i];
        if b < 0x80 && !is_word(ASCII_CLASSES[b as usize]) {
            i += 1;
            continue;
        }
        let Some((class, len)) = class_at(text, i) else {
            return false;
        };
        if !is_word(class) {
            i += len;
            continue;
        }
        let start = i;
        let mut has_alphanumeric = class != Underscore;
        let mut current = class;
        let mut end = i + len;
        while end < bytes.len() {
            // Runs of ASCII letters and digits inside a word, without the general step.
            let run = ascii_alphanumeric_run(bytes, end);
            if run > 0 {
                end += run;
                has_alphanumeric = true;
                current = ASCII_CLASSES[bytes[end - 1] as usize];
                continue;
            }
            let Some((next, next_len)) = class_at(text, end) else {
                return false;
            };
            if is_word(next) {
                has_alphanumeric |= next != Underscore;
                current = next;
                end += next_len;
                continue;
            }
            let joins_letters = current == Letter && matches!(next, MidLetter | MidNumLet);
            let joins_digits = current == Digit && matches!(next, MidNum | MidNumLet);
            if !(joins_letters || joins_digits) || end + next_len >= bytes.len() {
                break;
            }
            let Some((after, after_len)) = class_at(text, end + next_len) else {
                return false;
            };
            if after != current {
                break;
            }
            end += next_len + after_len;
        }
        if has_alphanumeric {
            word(start, end);
        }
        i = end;
    }
    true
}

/// The class and byte length of the character of `text` at byte `i` (ASCII without
/// decoding); `None` past the end or for a character the fast path does not know.
#[inline(always)]
fn class_at(text: &str, i: usize) -> Option<(WordClass, usize)> {
    let b = *text.as_bytes().get(i)?;
    if b < 0x80 {
        return Some((ASCII_CLASSES[b as usize], 1));
    }
    let c = text[i..].chars().next()?;
    Some((word_class(c)?, c.len_utf8()))
}

/// How many bytes from `bytes[at]` on are ASCII letters or digits. Sixteen bytes are
/// classified at once where the text is long enough: finding the end of a run from a mask
/// instead of a branch per byte saves a mispredicted branch at the end of nearly every
/// word (11% of classify's time on one thread).
#[inline(always)]
fn ascii_alphanumeric_run(bytes: &[u8], at: usize) -> usize {
    let mut end = at;
    while let Some(chunk) = bytes.get(end..end + 16) {
        let run = alphanumeric_mask(chunk.try_into().expect("16 bytes")).trailing_ones();
        end += run as usize;
        if run < 16 {
            return end - at;
        }
    }
    end - at
        + bytes[end..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count()
}

/// Bit i set when byte i of `chunk` is an ASCII letter or digit, by SSE2 comparisons
/// (part of every x86_64 processor).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn alphanumeric_mask(chunk: &[u8; 16]) -> u16 {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is always available on x86_64; the unaligned load reads the 16 bytes
    // of `chunk`.
    unsafe {
        let bytes = _mm_loadu_si128(chunk.as_ptr().cast());
        // Bytes of 0x80 and above are negative as signed bytes, so they fall in no range.
        let folded = _mm_or_si128(bytes, _mm_set1_epi8(0x20));
        let letter = _mm_and_si128(
            _mm_cmpgt_epi8(folded, _mm_set1_epi8(b'a' as i8 - 1)),
            _mm_cmplt_epi8(folded, _mm_set1_epi8(b'z' as i8 + 1)),
        );
        let digit = _mm_and_si128(
            _mm_cmpgt_epi8(bytes, _mm_set1_epi8(b'0' as i8 - 1)),
            _mm_cmplt_epi8(bytes, _mm_set1_epi8(b'9' as i8 + 1)),
        );
        _mm_movemask_epi8(_mm_or_si128(letter, digit)) as u16
    }
}

/// Bit i set when byte i of `chunk` is an ASCII letter or digit.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn alphanumeric_mask(chunk: &[u8; 16]) -> u16 {
    chunk.iter().enumerate().fold(0, |mask, (i, b)| {
        mask | (u16::from(b.is_ascii_alphanumeric()) << i)
    })
}

/// The word class of every ASCII byte.
static ASCII_CLASSES: [WordClass; 128] = {
    let mut table = [WordClass::Other; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = ascii_class(b as u8);
        b += 1;
    }
    table
};

/// The word class of an ASCII byte: every ASCII character has a known class.
const fn ascii_class(b: u8) -> WordClass {
    match b {
        b'a'..=b'z' | b'A'..=b'Z' => WordClass::Letter,
        b'0'..=b'9' => WordClass::Digit,
        b'_' => WordClass::Underscore,
        b':' => WordClass::MidLetter,
        b'.' | b'\'' => WordClass::MidNumLet,
        b',' | b';' => WordClass::MidNum,
        _ => WordClass::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::TokenizerParams;

    #[test]
    fn negated_terms_are_found_even_when_their_plain_form_is_in_no_feature() {
        // "zzz" occurs only negated in this vocabulary; "moscow" only plain.
        let vocabulary: Vec<String> = ["moscow", "not", "not ¬zzz", "¬moscow", "¬zzz"]
            .map(String::from)
            .to_vec();
        let tfidf = Tfidf::new(vocabulary, vec![1.0; 5], true);
        let index = FeatureIndex::new(&tfidf, 2);
        let tokenizer = Tokenizer::new(TokenizerParams::default());
        for text in [
            "not zzz moscow",
            "zzz, not moscow zzz",
            "Moscow: not zzz. Zzz not, moscow",
            "✈ not zzz moscow",
        ] {
            let mut fast = index.feature_ids(&tokenizer, text);
            fast.sort_unstable();
            let mut slow: Vec<u32> = tokenizer
                .features(text)
                .iter()
                .filter_map(|f| tfidf.feature_index(f))
                .collect();
            slow.sort_unstable();
            assert_eq!(fast, slow, "{text}");
        }
        let ids = index.feature_ids(&tokenizer, "not zzz moscow");
        let names: Vec<&str> = ids
            .iter()
            .map(|&i| tfidf.vocabulary()[i as usize].as_str())
            .collect();
        assert_eq!(names, vec!["not", "¬zzz", "¬moscow", "not ¬zzz"]);
    }

    #[test]
    fn the_chunk_mask_marks_exactly_the_ascii_letters_and_digits() {
        for byte in 0..=255u8 {
            for position in [0, 7, 15] {
                let mut chunk = [b' '; 16];
                chunk[position] = byte;
                let expected = u16::from(byte.is_ascii_alphanumeric()) << position;
                assert_eq!(alphanumeric_mask(&chunk), expected, "byte {byte:#04x}");
            }
        }
    }

    #[test]
    fn alphanumeric_runs_end_where_the_byte_by_byte_count_ends() {
        let texts = [
            "word".to_string(),
            "a bc".to_string(),
            "Kazakhstan's".to_string(),
            "x".repeat(15) + " tail",
            "x".repeat(16) + " tail",
            "y".repeat(40) + "z",
            "abc".repeat(7) + "é and more text after it",
            "123,456.7 and 10.6% of it".to_string(),
            "snake_case and dash-word and 2,000-plus".to_string(),
        ];
        for text in texts {
            let bytes = text.as_bytes();
            for at in 0..bytes.len() {
                let expected = bytes[at..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric())
                    .count();
                assert_eq!(
                    ascii_alphanumeric_run(bytes, at),
                    expected,
                    "{text:?} at {at}"
                );
            }
        }
    }
}
