//! Sentence splitting: article text in, byte spans of sentences out.
//! Not tokenizing and not cleaning: every span points into the original text unchanged.
//!
//! Boundaries come from Unicode sentence segmentation (UAX #29), which already keeps
//! decimals ("10.6%"), figures ("2,000-plus") and closing quotes together. On top of it:
//! - every line break ends a sentence unless the line plainly runs on (it lacks final
//!   punctuation and the next line starts in lower case), so headings, bylines and photo
//!   credits stand alone while hard-wrapped paragraphs are rejoined;
//! - a break right after a known abbreviation ("Mr.", "Gen.", "Jan.", "U.S.") is undone.

use unicode_segmentation::UnicodeSegmentation;

/// A sentence as a half-open byte range `start..end` into the text it came from,
/// trimmed of surrounding white space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentenceSpan {
    pub start: usize,
    pub end: usize,
}

impl SentenceSpan {
    /// The sentence's text within `source`, the string the span was computed on.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.start..self.end]
    }
}

/// Titles and shortenings that are followed by a name or a number, never by a sentence end.
const TITLE_ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "cpt", "sgt", "adm", "gov",
    "sen", "rep", "rev", "st", "mt", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "no", "nos", "vs", "approx", "est", "fig", "vol", "pp", "jr",
    "sr", "dept", "univ", "cf", "e.g", "i.e",
];

/// Words that, after a dotted acronym such as "U.S.", signal a new sentence rather than
/// the rest of a name ("U.S. Treasury" continues, "U.S. The ministry" does not).
const SENTENCE_STARTERS: &[&str] = &[
    "the",
    "a",
    "an",
    "it",
    "its",
    "he",
    "she",
    "they",
    "we",
    "i",
    "you",
    "this",
    "that",
    "these",
    "those",
    "there",
    "but",
    "and",
    "or",
    "so",
    "yet",
    "in",
    "on",
    "at",
    "for",
    "however",
    "meanwhile",
    "still",
    "then",
    "what",
    "when",
    "while",
    "if",
    "as",
    "his",
    "her",
    "their",
    "our",
    "after",
    "since",
    "such",
    "some",
    "many",
    "most",
];

/// Splits `text` into sentences. Spans are in order, do not overlap, lie on character
/// boundaries, and together cover every non-white-space character of `text`.
pub fn split_sentences(text: &str) -> Vec<SentenceSpan> {
    let mut spans = Vec::new();
    for (line_start, line) in logical_lines(text) {
        split_line(text, line_start, line, &mut spans);
    }
    spans
}

/// Yields `(byte offset, text)` of each line, rejoining a hard-wrapped line with the next
/// when it does not end a sentence and the next begins in lower case.
fn logical_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest_start = 0;
    std::iter::from_fn(move || {
        if rest_start >= text.len() {
            return None;
        }
        let start = rest_start;
        let mut cursor = start;
        loop {
            let Some(offset) = text[cursor..].find('\n') else {
                rest_start = text.len();
                return Some((start, &text[start..]));
            };
            let newline = cursor + offset;
            let line = text[cursor..newline].trim_end();
            let next = &text[newline + 1..];
            let next_trimmed = next.trim_start_matches([' ', '\t', '\r']);
            let runs_on = !line.is_empty()
                && !line.ends_with(is_final_punctuation)
                && next_trimmed.chars().next().is_some_and(char::is_lowercase);
            if runs_on {
                cursor = newline + 1;
                continue;
            }
            rest_start = newline + 1;
            return Some((start, &text[start..newline]));
        }
    })
}

fn is_final_punctuation(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '…' | '"' | '\'' | '”' | '’' | '»' | ')' | ':' | ';'
    )
}

/// Splits one logical line into sentences and appends their spans.
fn split_line(text: &str, line_start: usize, line: &str, spans: &mut Vec<SentenceSpan>) {
    let mut pending: Option<SentenceSpan> = None;
    for (offset, piece) in sentence_pieces(line) {
        let Some(span) = trimmed_span(line_start + offset, piece) else {
            continue;
        };
        // Newlines inside a rejoined line are not sentence ends: glue UAX #29's line-break
        // boundaries back together when the piece before lacks final punctuation.
        pending = match pending {
            Some(previous) if should_join(text, previous, span) => Some(SentenceSpan {
                start: previous.start,
                end: span.end,
            }),
            Some(previous) => {
                spans.push(previous);
                Some(span)
            }
            None => Some(span),
        };
    }
    spans.extend(pending);
}

/// UAX #29 sentence pieces of `line` as `(offset, piece)`. Segmenting every character
/// is the slowest step of classification, so lines made only of characters whose
/// sentence-break class is known (ASCII letters, digits and punctuation, letters of any
/// script, quotes and dashes) are segmented only around their '.', '!' and '?': each
/// candidate is decided by UAX #29 on a window from the word before it to the first
/// letter after it, which holds all the context the rules look at. Other lines get the
/// full algorithm. A property test checks both ways agree.
pub fn sentence_pieces(line: &str) -> Vec<(usize, &str)> {
    if !has_only_simple_characters(line) {
        return line.split_sentence_bound_indices().collect();
    }
    let bytes = line.as_bytes();
    let mut bounds = vec![0];
    let mut i = 0;
    while i < bytes.len() {
        let Some(next) = memchr::memchr3(b'.', b'!', b'?', &bytes[i..]) else {
            break;
        };
        i += next;
        // UAX #29 looks at most one character left of a terminator; starting at the word
        // before (or 32 characters back in a very long word) keeps every window short.
        let last_bound = *bounds.last().unwrap_or(&0);
        if i < last_bound {
            // An earlier window already decided this terminator.
            i += 1;
            continue;
        }
        // The common case needs no window: a lone terminator, spaces, then a capital
        // letter is always a boundary before the capital (rules SB8 and SB11).
        if let Some(capital) = capital_after_spaces(bytes, i) {
            bounds.push(capital);
            i = capital;
            continue;
        }
        // Nor do the two next most common: terminators, closing quotes or brackets and
        // spaces to the end of the line (only the line's end is a boundary, SB9–SB11);
        // a lone terminator, closers, spaces and a capital (a boundary before the capital).
        if only_closers_to_end(bytes, i + 1) {
            break;
        }
        let closers = closers_after(bytes, i + 1);
        if closers > i + 1 {
            if let Some(capital) = capital_after_spaces(bytes, closers - 1) {
                bounds.push(capital);
                i = capital;
                continue;
            }
        }
        let mut window_start = last_bound;
        for (p, c) in line[last_bound..i].char_indices().rev().take(32) {
            window_start = last_bound + p;
            if c.is_whitespace() {
                window_start += c.len_utf8();
                break;
            }
        }
        // Past the run of terminators, then closers, spaces and figures through the next
        // word (UAX #29 looks past figures for a lower-case letter), or up to and including
        // the next terminator: the look-ahead of rule SB8 stops there, and so must the window,
        // or a line of terminators without letters ('. . . .') costs a scan to the end of
        // the line for each of them.
        let mut end = i;
        while end < bytes.len() && is_terminator(bytes[end]) {
            end += 1;
        }
        while end < bytes.len() {
            if is_terminator(bytes[end]) {
                end += 1;
                break;
            }
            if line[end..].starts_with(char::is_alphabetic) {
                while end < bytes.len() && line[end..].starts_with(char::is_alphanumeric) {
                    end += line[end..].chars().next().map_or(1, char::len_utf8);
                }
                break;
            }
            end += line[end..].chars().next().map_or(1, char::len_utf8);
        }
        let window = &line[window_start..end];
        for (offset, _) in window.split_sentence_bound_indices().skip(1) {
            let bound = window_start + offset;
            if bound > i && bound > *bounds.last().unwrap_or(&0) {
                bounds.push(bound);
            }
        }
        // Skip the rest of this terminator run; the window covered it.
        i += 1;
        while i < bytes.len() && is_terminator(bytes[i]) {
            i += 1;
        }
    }
    bounds.push(line.len());
    bounds.dedup();
    bounds
        .windows(2)
        .map(|w| (w[0], &line[w[0]..w[1]]))
        .collect()
}

/// '.', '!' or '?': the terminators the fast path looks for.
fn is_terminator(byte: u8) -> bool {
    matches!(byte, b'.' | b'!' | b'?')
}

/// Whether every character of `line` has a sentence-break class the fast path knows
/// ([`has_simple_sentence_class`]). Eight bytes are checked at once for control characters
/// and the lead bytes of non-ASCII characters; only chunks holding one are looked at byte
/// by byte, and only lead bytes are decoded.
fn has_only_simple_characters(line: &str) -> bool {
    let bytes = line.as_bytes();
    let simple_at = |i: usize| match bytes[i] {
        b'\t' | b' '..=b'~' => true,
        0x80..=0xBF => true, // continuation byte, checked with its lead byte
        0xC0.. => line[i..]
            .chars()
            .next()
            .is_some_and(has_simple_sentence_class),
        _ => false,
    };
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        if may_hold_control_or_lead_byte(x) && !(i..i + 8).all(simple_at) {
            return false;
        }
        i += 8;
    }
    (i..bytes.len()).all(simple_at)
}

/// Whether any of the eight bytes of `x` is below 0x20, equal to 0x7f or 0xC0 and above
/// (the lead byte of a non-ASCII character). Never false when one is; may be true when
/// none is, so a `true` is checked byte by byte.
fn may_hold_control_or_lead_byte(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A byte below 0x20 borrows into its own high bit (its high bit being clear); one
    // equal to 0x7f becomes zero when xored and borrows in the same way.
    let below_space = x.wrapping_sub(ONES * 0x20) & !x;
    let delete = (x ^ (ONES * 0x7f)).wrapping_sub(ONES) & !(x ^ (ONES * 0x7f));
    // Lead bytes have their two top bits set.
    let lead = x & (x << 1);
    (below_space | delete | lead) & HIGHS != 0
}

/// The position of the ASCII capital in "<terminator> <spaces> <capital>" at `i`, when the
/// terminator stands alone (not part of a run like "?!" or "...").
fn capital_after_spaces(bytes: &[u8], i: usize) -> Option<usize> {
    if bytes.get(i + 1) != Some(&b' ') {
        return None;
    }
    let mut j = i + 1;
    while bytes.get(j) == Some(&b' ') {
        j += 1;
    }
    bytes.get(j)?.is_ascii_uppercase().then_some(j)
}

/// Where the run of ASCII closing quotes and brackets, or curly closing quotes, starting
/// at `i` ends (`i` when there is none).
fn closers_after(bytes: &[u8], mut i: usize) -> usize {
    loop {
        match bytes.get(i..) {
            Some([b'"' | b'\'' | b')', ..]) => i += 1,
            // ’ (U+2019), ” (U+201D): closing quotes, Sentence_Break=Close.
            Some([0xE2, 0x80, 0x99 | 0x9D, ..]) => i += 3,
            _ => return i,
        }
    }
}

/// Whether `bytes[i..]` is terminators and closing quotes or brackets (ASCII or ’ and
/// ”), then only spaces and tabs: no boundary but the end (a closer after a space would
/// start a new piece).
fn only_closers_to_end(bytes: &[u8], mut i: usize) -> bool {
    loop {
        match bytes.get(i..) {
            Some([b'.' | b'!' | b'?' | b'"' | b'\'' | b')', ..]) => i += 1,
            Some([0xE2, 0x80, 0x99 | 0x9D, ..]) => i += 3,
            Some(rest) => return rest.iter().all(|&b| b == b' ' || b == b'\t'),
            None => return true,
        }
    }
}

/// Characters whose UAX #29 sentence-break class is certain without a table look-up:
/// not a terminator unless it is '.', '!' or '?', and not a separator.
fn has_simple_sentence_class(c: char) -> bool {
    if c.is_ascii() {
        return c == ' ' || c == '\t' || c.is_ascii_graphic();
    }
    c.is_alphabetic()
        || matches!(
            c,
            '‘' | '’'
                | '“'
                | '”'
                | '«'
                | '»'
                | '–'
                | '—'
                | '\u{a0}'
                | '°'
                | '€'
                | '£'
                | '№'
                | '·'
        )
}

fn trimmed_span(start: usize, piece: &str) -> Option<SentenceSpan> {
    let leading = piece.len() - piece.trim_start().len();
    let trimmed = piece.trim();
    (!trimmed.is_empty()).then(|| SentenceSpan {
        start: start + leading,
        end: start + leading + trimmed.len(),
    })
}

/// Whether the boundary between `previous` and `next` is a false one.
fn should_join(text: &str, previous: SentenceSpan, next: SentenceSpan) -> bool {
    let before = previous.text(text);
    let after = next.text(text);
    if !before.ends_with(is_final_punctuation) {
        return true;
    }
    let Some(stem) = before.strip_suffix('.') else {
        return false;
    };
    let last_word = stem
        .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '“' || c == '"')
        .next()
        .unwrap_or("");
    let lower = last_word.to_lowercase();
    if TITLE_ABBREVIATIONS.contains(&lower.as_str()) {
        return true;
    }
    if is_initial_or_acronym(last_word) {
        let next_word: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        return !SENTENCE_STARTERS.contains(&next_word.as_str());
    }
    false
}

/// "J" (an initial) or "U.S" / "U.N" / "E.U" (dotted capitals).
fn is_initial_or_acronym(word: &str) -> bool {
    let mut letters = 0;
    let mut previous_was_letter = false;
    for c in word.chars() {
        if c.is_uppercase() && !previous_was_letter {
            letters += 1;
            previous_was_letter = true;
        } else if c == '.' && previous_was_letter {
            previous_was_letter = false;
        } else {
            return false;
        }
    }
    letters >= 1 && previous_was_letter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eight_byte_screen_never_misses_a_control_or_lead_byte() {
        for byte in 0..=255u8 {
            for at in 0..8 {
                let mut chunk = [b'a'; 8];
                chunk[at] = byte;
                let x = u64::from_le_bytes(chunk);
                if byte < 0x20 || byte == 0x7f || byte >= 0xc0 {
                    assert!(may_hold_control_or_lead_byte(x), "byte {byte:#x} at {at}");
                } else {
                    assert!(!may_hold_control_or_lead_byte(x), "byte {byte:#x} at {at}");
                }
            }
        }
    }

    #[test]
    fn simple_character_check_agrees_with_a_character_loop() {
        let by_characters = |line: &str| {
            line.chars()
                .all(|c| c != '\u{7f}' && (c >= ' ' || c == '\t'))
                && line.chars().all(has_simple_sentence_class)
        };
        let base: String = (' '..='~').collect();
        for inserted in [
            "", "\t", "\n", "\u{1f}", "\u{7f}", "é", "—", "“", "\u{2028}", "中", "😀",
        ] {
            for at in [0, 5, 7, 8, 63, 90, base.len()] {
                let line = format!("{}{inserted}{}", &base[..at], &base[at..]);
                assert_eq!(
                    has_only_simple_characters(&line),
                    by_characters(&line),
                    "{inserted:?} at {at}"
                );
            }
        }
        assert!(has_only_simple_characters(""));
        assert!(has_only_simple_characters("Mr. Tokayev said so."));
        assert!(has_only_simple_characters("«Астана» — “quoted”, 10.6%"));
        assert!(!has_only_simple_characters("a line\u{2028}separator"));
    }

    fn sentences(text: &str) -> Vec<&str> {
        split_sentences(text)
            .into_iter()
            .map(|s| s.text(text))
            .collect()
    }

    #[test]
    fn splits_plain_sentences() {
        assert_eq!(
            sentences("Astana abstained. Moscow was displeased! Was it?"),
            vec!["Astana abstained.", "Moscow was displeased!", "Was it?"]
        );
    }

    #[test]
    fn keeps_abbreviations_inside_a_sentence() {
        assert_eq!(
            sentences(
                "Mr. Tokayev met Gen. Ivanov on Jan. 5 in Astana. The U.S. Treasury watched."
            ),
            vec![
                "Mr. Tokayev met Gen. Ivanov on Jan. 5 in Astana.",
                "The U.S. Treasury watched."
            ]
        );
        assert_eq!(
            sentences("The envoy visited the U.S. The ministry said nothing."),
            vec!["The envoy visited the U.S.", "The ministry said nothing."]
        );
    }

    #[test]
    fn keeps_figures_and_decimals_together() {
        assert_eq!(
            sentences("Exports rose 10.6% to $21.6 million. The 2,000-plus troops left."),
            vec![
                "Exports rose 10.6% to $21.6 million.",
                "The 2,000-plus troops left."
            ]
        );
    }

    #[test]
    fn closing_quotes_stay_with_their_sentence() {
        assert_eq!(
            sentences("“We will not help,” he said. “Never.” She agreed."),
            vec!["“We will not help,” he said.", "“Never.”", "She agreed."]
        );
    }

    #[test]
    fn lines_without_final_punctuation_stand_alone() {
        let text =
            "The price of friendship\n\nBy Aigerim Sadykova\nPhoto: Reuters\nThe talks ended.";
        assert_eq!(
            sentences(text),
            vec![
                "The price of friendship",
                "By Aigerim Sadykova",
                "Photo: Reuters",
                "The talks ended."
            ]
        );
    }

    #[test]
    fn hard_wrapped_lines_are_rejoined() {
        let text =
            "Kazakhstan will not help Russia\nevade sanctions, the official said.\nNext one.";
        assert_eq!(
            sentences(text),
            vec![
                "Kazakhstan will not help Russia\nevade sanctions, the official said.",
                "Next one."
            ]
        );
    }

    #[test]
    fn spans_point_into_the_original_text() {
        let text = "  First one.\r\n\r\n  Second one.  ";
        let spans = split_sentences(text);
        assert_eq!(
            spans,
            vec![
                SentenceSpan { start: 2, end: 12 },
                SentenceSpan { start: 18, end: 29 }
            ]
        );
    }

    #[test]
    fn fast_pieces_match_full_segmentation() {
        for line in [
            "Mr. Tokayev met Gen. Ivanov on Jan. 5. The U.S. Treasury watched... Then what?! “Never.” (Done.) end",
            "It rose 10.6% to $21.6 million. e.g. this. 3.14 is pi. A.B.C. Dd. ok. OK.Next",
            "“We will not help,” he said. ‘Never.’ She agreed. Tokayev’s aides — quietly — left.",
            "... ?! . Word", "a.b. c", "Hello.World. Foo", ". . .",
            "etc. 5 apples. No. 5 Is here. v. 2. x",
            "He left.” Then she came.’ And “so.” ok.) Done.\" Yes.' No.)” Fin.”  ",
            "End.  ", "End?!” ", "End.)x", "Q.” a", "Q.’’ B", "Q. ” B", "Q.\t B", "A.”\tB",
        ] {
            let full: Vec<(usize, &str)> = line.split_sentence_bound_indices().collect();
            assert_eq!(sentence_pieces(line), full, "{line}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn fast_pieces_match_full_segmentation_on_random_lines(
            line in "[A-Za-z0-9 .!?,;:\"')(\t”’“‘—]{0,40}"
        ) {
            let full: Vec<(usize, &str)> = line.split_sentence_bound_indices().collect();
            proptest::prop_assert_eq!(sentence_pieces(&line), full);
        }
    }

    #[test]
    fn empty_and_blank_text_has_no_sentences() {
        assert!(split_sentences("").is_empty());
        assert!(split_sentences(" \n\t\n ").is_empty());
    }
}
