//! Machine-readable results: the JSON, JSONL and CSV shapes that scripts rely on.
//! Not the human table (the binary draws that) and not classification itself.

use std::io::Write;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::model::{ArticlePrediction, Model};

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

/// Writes one article as a single JSON line.
pub fn write_jsonl_line(out: &mut impl Write, record: &ArticleRecord) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, record)?;
    out.write_all(b"\n")
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
