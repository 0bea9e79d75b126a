//! Machine-readable results: the JSON, JSONL and CSV shapes that scripts rely on.
//! Not the human table (the binary draws that) and not classification itself.

use std::io::Write;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::model::{ArticlePrediction, Model};
use crate::summary::GroupSummary;

/// Per-label numbers, serialized as a JSON object in the model's label order.
pub struct LabelMap<'a> {
    labels: &'a [String],
    values: &'a [f64],
}

impl<'a> LabelMap<'a> {
    pub fn new(labels: &'a [String], values: &'a [f64]) -> Self {
        LabelMap { labels, values }
    }

    /// The numbers, in label order.
    pub fn values(&self) -> &[f64] {
        self.values
    }
}

impl Serialize for LabelMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.labels.len()))?;
        for (label, value) in self.labels.iter().zip(self.values) {
            map.serialize_entry(label, value)?;
        }
        map.end()
    }
}

/// One article as scripts see it.
#[derive(Serialize)]
pub struct ArticleRecord<'a> {
    pub source: &'a str,
    pub sentences: Vec<SentenceRecord<'a>>,
    pub aggregate: AggregateRecord<'a>,
}

#[derive(Serialize)]
pub struct SentenceRecord<'a> {
    pub index: usize,
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
    pub label: &'a str,
    pub probabilities: LabelMap<'a>,
}

#[derive(Serialize)]
pub struct AggregateRecord<'a> {
    pub sentences: usize,
    pub shares: LabelMap<'a>,
    pub mean_probabilities: LabelMap<'a>,
    pub stance_index: Option<f64>,
    pub label: Option<&'a str>,
}

impl<'a> ArticleRecord<'a> {
    /// Pairs a prediction with the text it was made on and the model's label names.
    pub fn new(
        model: &'a Model,
        source: &'a str,
        text: &'a str,
        prediction: &'a ArticlePrediction,
    ) -> Self {
        let labels = model.labels();
        ArticleRecord {
            source,
            sentences: prediction
                .sentences
                .iter()
                .map(|s| SentenceRecord {
                    index: s.index,
                    start: s.start,
                    end: s.end,
                    text: &text[s.start..s.end],
                    label: &labels[s.label],
                    probabilities: LabelMap::new(labels, &s.probabilities),
                })
                .collect(),
            aggregate: AggregateRecord {
                sentences: prediction.aggregate.sentences,
                shares: LabelMap::new(labels, &prediction.aggregate.shares),
                mean_probabilities: LabelMap::new(labels, &prediction.aggregate.mean_probabilities),
                stance_index: prediction.aggregate.stance_index,
                label: prediction.aggregate.label.map(|l| labels[l].as_str()),
            },
        }
    }
}

/// Writes one article as a single JSON line: exactly the bytes `serde_json` writes for the
/// record, then a newline. The hot path of `classify`: strings that need no escaping (nearly
/// all sentences) are copied whole instead of going through serde_json's byte-by-byte
/// escaping, and the record's fixed shape is written without serde's per-field calls.
pub fn write_jsonl_line(out: &mut Vec<u8>, record: &ArticleRecord) -> std::io::Result<()> {
    // Every label map of the record has the same keys: render them once.
    let keys = label_keys(record.aggregate.shares.labels)?;
    out.extend_from_slice(b"{\"source\":");
    write_str(out, record.source)?;
    out.extend_from_slice(b",\"sentences\":[");
    for (i, sentence) in record.sentences.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"index\":");
        write_number(out, sentence.index)?;
        out.extend_from_slice(b",\"start\":");
        write_number(out, sentence.start)?;
        out.extend_from_slice(b",\"end\":");
        write_number(out, sentence.end)?;
        out.extend_from_slice(b",\"text\":");
        write_str(out, sentence.text)?;
        out.extend_from_slice(b",\"label\":");
        write_str(out, sentence.label)?;
        out.extend_from_slice(b",\"probabilities\":");
        write_label_map(out, &keys, &sentence.probabilities)?;
        out.push(b'}');
    }
    let aggregate = &record.aggregate;
    out.extend_from_slice(b"],\"aggregate\":{\"sentences\":");
    write_number(out, aggregate.sentences)?;
    out.extend_from_slice(b",\"shares\":");
    write_label_map(out, &keys, &aggregate.shares)?;
    out.extend_from_slice(b",\"mean_probabilities\":");
    write_label_map(out, &keys, &aggregate.mean_probabilities)?;
    out.extend_from_slice(b",\"stance_index\":");
    write_number(out, aggregate.stance_index)?;
    out.extend_from_slice(b",\"label\":");
    match aggregate.label {
        Some(label) => write_str(out, label)?,
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b"}}\n");
    Ok(())
}

/// A JSON string: copied between quotes when nothing in it needs escaping, else written
/// by serde_json.
fn write_str(out: &mut Vec<u8>, text: &str) -> std::io::Result<()> {
    if needs_escape(text.as_bytes()) {
        serde_json::to_writer(&mut *out, text)?;
    } else {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    }
    Ok(())
}

/// Whether any byte is one JSON escapes: a control character, '"' or '\\'. Checked 16
/// bytes at a time without branching inside a block, which the compiler vectorises.
fn needs_escape(bytes: &[u8]) -> bool {
    let special = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let mut blocks = bytes.chunks_exact(16);
    for block in &mut blocks {
        if block.iter().fold(false, |any, &b| any | special(b)) {
            return true;
        }
    }
    blocks.remainder().iter().any(|&b| special(b))
}

/// A number (or `null`), formatted by serde_json.
fn write_number(out: &mut Vec<u8>, value: impl Serialize) -> std::io::Result<()> {
    Ok(serde_json::to_writer(out, &value)?)
}

/// Each label as a JSON object key: the quoted string and a colon.
fn label_keys(labels: &[String]) -> std::io::Result<Vec<Vec<u8>>> {
    labels
        .iter()
        .map(|label| {
            let mut key = Vec::with_capacity(label.len() + 3);
            write_str(&mut key, label)?;
            key.push(b':');
            Ok(key)
        })
        .collect()
}

/// Per-label numbers as a JSON object, as `LabelMap`'s `Serialize` writes them, with the
/// keys of [`label_keys`].
fn write_label_map(out: &mut Vec<u8>, keys: &[Vec<u8>], map: &LabelMap) -> std::io::Result<()> {
    out.push(b'{');
    for (i, (key, value)) in keys.iter().zip(map.values).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(key);
        write_number(out, value)?;
    }
    out.push(b'}');
    Ok(())
}

/// The CSV header for per-sentence rows: fixed columns, then one probability per label.
pub fn csv_header(model: &Model) -> Vec<String> {
    let mut header: Vec<String> = ["source", "index", "start", "end", "text", "label"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(model.labels().iter().map(|l| format!("p_{l}")));
    header
}

/// Writes an article's sentences as CSV rows (quotes and newlines escaped by the csv crate).
pub fn write_csv_rows<W: Write>(
    writer: &mut csv::Writer<W>,
    record: &ArticleRecord,
) -> csv::Result<()> {
    for sentence in &record.sentences {
        let mut row = vec![
            record.source.to_string(),
            sentence.index.to_string(),
            sentence.start.to_string(),
            sentence.end.to_string(),
            sentence.text.to_string(),
            sentence.label.to_string(),
        ];
        row.extend(sentence.probabilities.values.iter().map(|p| p.to_string()));
        writer.write_record(&row)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn serde_line(record: &ArticleRecord) -> Vec<u8> {
        let mut line = serde_json::to_vec(record).unwrap();
        line.push(b'\n');
        line
    }

    fn fast_line(record: &ArticleRecord) -> Vec<u8> {
        let mut line = Vec::new();
        write_jsonl_line(&mut line, record).unwrap();
        line
    }

    #[test]
    fn jsonl_line_is_what_serde_json_writes() {
        let model = crate::persist::load_default().unwrap();
        for (source, text) in [
            ("plain.txt", "Astana refuses. Moscow insists on the union."),
            // Quotes, a backslash, a tab, a control character, curly quotes and Cyrillic.
            (
                "esc\"aped\\name\t.txt",
                "He said \"no\" \\ twice.\tThen\u{1} “Қазақстан” said «нет».",
            ),
            // No sentences: no stance index and no label.
            ("empty", "   "),
            // A string longer than one 16-byte block whose only escape is in the tail.
            (
                "tail",
                "Kazakhstan will not help Russia evade sanctions\u{7}",
            ),
        ] {
            let prediction = model.classify_article(text);
            let record = ArticleRecord::new(&model, source, text, &prediction);
            assert_eq!(
                String::from_utf8(fast_line(&record)).unwrap(),
                String::from_utf8(serde_line(&record)).unwrap()
            );
        }
    }

    proptest! {
        #[test]
        fn escape_check_agrees_with_the_definition(text in "\\PC{0,40}|[\"\\\\a-z\\x00-\\x1f]{0,40}") {
            let expected = text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\');
            prop_assert_eq!(needs_escape(text.as_bytes()), expected);
            let mut fast = Vec::new();
            write_str(&mut fast, &text).unwrap();
            prop_assert_eq!(fast, serde_json::to_vec(&text).unwrap());
        }
    }
}

/// A group of articles' summary (`classify --summary`) as scripts see it.
#[derive(Serialize)]
pub struct SummaryRecord<'a> {
    /// The INPUT, or the value of `--group-field`.
    pub group: &'a str,
    pub articles: usize,
    pub sentences: usize,
    pub mean_shares: LabelMap<'a>,
    pub stance_index: Option<f64>,
    /// `[low, high]`, the 95% interval of the mean stance index.
    pub stance_interval: Option<(f64, f64)>,
    /// The standard deviation of the articles' stance indices.
    pub stance_sd: Option<f64>,
}

impl<'a> SummaryRecord<'a> {
    pub fn new(model: &'a Model, summary: &'a GroupSummary) -> Self {
        SummaryRecord {
            group: &summary.group,
            articles: summary.articles,
            sentences: summary.sentences,
            mean_shares: LabelMap::new(model.labels(), &summary.mean_shares),
            stance_index: summary.stance_index,
            stance_interval: summary.stance_interval,
            stance_sd: summary.stance_sd,
        }
    }
}

/// The CSV header of `classify --summary --format csv`.
pub fn summary_csv_header(model: &Model) -> Vec<String> {
    let mut header: Vec<String> = [
        "group",
        "articles",
        "sentences",
        "stance_index",
        "stance_low",
        "stance_high",
        "stance_sd",
    ]
    .map(String::from)
    .to_vec();
    header.extend(model.labels().iter().map(|label| format!("share_{label}")));
    header
}

/// One CSV row of `classify --summary --format csv`, in the order of [`summary_csv_header`];
/// a missing figure is an empty field.
pub fn summary_csv_row(summary: &GroupSummary) -> Vec<String> {
    let figure = |value: Option<f64>| value.map_or(String::new(), |v| v.to_string());
    let mut row = vec![
        summary.group.clone(),
        summary.articles.to_string(),
        summary.sentences.to_string(),
        figure(summary.stance_index),
        figure(summary.stance_interval.map(|(low, _)| low)),
        figure(summary.stance_interval.map(|(_, high)| high)),
        figure(summary.stance_sd),
    ];
    row.extend(summary.mean_shares.iter().map(f64::to_string));
    row
}
