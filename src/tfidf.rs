//! TF-IDF weighting: n-gram features in, L2-normalised sparse vectors out.
//! The vocabulary and IDF are learned once, at fit time, and kept: transforming one
//! sentence later uses the training IDF, never statistics of the batch being transformed.
//!
//! Figures follow scikit-learn's `TfidfVectorizer(smooth_idf=True, norm="l2")`:
//! `idf = ln((1 + n) / (1 + df)) + 1`, tf is the raw count or `1 + ln(count)` when sublinear.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::error::{Error, Result};

/// A sparse row: `(feature index, value)` pairs sorted by index, no duplicates.
pub type SparseVector = Vec<(u32, f64)>;

/// Vectorizer settings.
#[derive(Debug, Clone, PartialEq)]
pub struct TfidfParams {
    /// Keep features that occur in at least this many training sentences; defaults to `1`.
    pub min_df: usize,
    /// Drop features that occur in more than this share of training sentences; defaults to `1.0`.
    pub max_df: f64,
    /// Keep only this many features, the most frequent in the training corpus (ties broken
    /// alphabetically); defaults to no cap.
    pub max_features: Option<usize>,
    /// Use `1 + ln(count)` instead of the raw count; defaults to `true`.
    pub sublinear_tf: bool,
}

impl Default for TfidfParams {
    fn default() -> Self {
        TfidfParams {
            min_df: 1,
            max_df: 1.0,
            max_features: None,
            sublinear_tf: true,
        }
    }
}

impl TfidfParams {
    fn check(&self) -> Result<()> {
        if self.min_df == 0 {
            return Err(Error::InvalidParam {
                name: "min_df",
                value: "0".into(),
                expected: "a whole number of at least 1",
            });
        }
        if !(self.max_df > 0.0 && self.max_df <= 1.0) {
            return Err(Error::InvalidParam {
                name: "max_df",
                value: self.max_df.to_string(),
                expected: "a share in (0, 1]",
            });
        }
        if self.max_features == Some(0) {
            return Err(Error::InvalidParam {
                name: "max_features",
                value: "0".into(),
                expected: "a whole number of at least 1",
            });
        }
        Ok(())
    }

    /// Learns the vocabulary and IDF from `documents`, each a list of features.
    pub fn fit<D: AsRef<[String]>>(&self, documents: &[D]) -> Result<Tfidf> {
        self.check()?;
        let n_documents = documents.len();
        let mut counts: FxHashMap<&str, (usize, usize)> = FxHashMap::default();
        for document in documents {
            let mut seen: Vec<&str> = document.as_ref().iter().map(String::as_str).collect();
            for feature in &seen {
                counts.entry(feature).or_default().1 += 1;
            }
            seen.sort_unstable();
            seen.dedup();
            for feature in seen {
                counts.entry(feature).or_default().0 += 1;
            }
        }
        let max_count = (self.max_df * n_documents as f64).floor() as usize;
        let mut kept: Vec<(&str, usize, usize)> = counts
            .into_iter()
            .filter(|&(_, (df, _))| df >= self.min_df && df <= max_count)
            .map(|(feature, (df, total))| (feature, df, total))
            .collect();
        if let Some(cap) = self.max_features {
            kept.sort_unstable_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(b.0)));
            kept.truncate(cap);
        }
        if kept.is_empty() {
            return Err(Error::EmptyVocabulary {
                min_df: self.min_df,
                max_df: self.max_df,
            });
        }
        kept.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let n = n_documents as f64;
        let (vocabulary, idf) = kept
            .into_iter()
            .map(|(feature, df, _)| {
                (
                    feature.to_string(),
                    ((1.0 + n) / (1.0 + df as f64)).ln() + 1.0,
                )
            })
            .unzip();
        Ok(Tfidf::new(vocabulary, idf, self.sublinear_tf))
    }
}

/// A fitted vectorizer: the vocabulary in sorted order and the IDF of each feature.
#[derive(Debug, Clone)]
pub struct Tfidf {
    vocabulary: Vec<String>,
    idf: Vec<f64>,
    sublinear_tf: bool,
    /// Feature → index, built on first use: classification never needs it.
    index: OnceLock<FxHashMap<String, u32>>,
}

impl Tfidf {
    /// Rebuilds a vectorizer from saved parts; the caller checks the lengths agree.
    pub fn new(vocabulary: Vec<String>, idf: Vec<f64>, sublinear_tf: bool) -> Tfidf {
        Tfidf {
            vocabulary,
            idf,
            sublinear_tf,
            index: OnceLock::new(),
        }
    }

    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }

    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    pub fn sublinear_tf(&self) -> bool {
        self.sublinear_tf
    }

    pub fn len(&self) -> usize {
        self.vocabulary.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vocabulary.is_empty()
    }

    /// The index of a feature, if it is in the vocabulary.
    pub fn feature_index(&self, feature: &str) -> Option<u32> {
        self.index
            .get_or_init(|| {
                self.vocabulary
                    .iter()
                    .enumerate()
                    .map(|(i, feature)| (feature.clone(), i as u32))
                    .collect()
            })
            .get(feature)
            .copied()
    }

    /// The TF-IDF vector of one document's features.
    pub fn transform(&self, features: &[String]) -> SparseVector {
        let ids: Vec<u32> = features
            .iter()
            .filter_map(|f| self.feature_index(f))
            .collect();
        self.transform_ids(ids)
    }

    /// The TF-IDF vector from the vocabulary indices of a document's known features
    /// (repeats allowed, any order).
    pub fn transform_ids(&self, mut ids: Vec<u32>) -> SparseVector {
        ids.sort_unstable();
        let mut row: SparseVector = Vec::with_capacity(ids.len());
        for id in ids {
            match row.last_mut() {
                Some((last, count)) if *last == id => *count += 1.0,
                _ => row.push((id, 1.0)),
            }
        }
        let mut norm = 0.0;
        for (id, value) in row.iter_mut() {
            // ln(1) = 0 exactly, so single occurrences skip the logarithm.
            let tf = if self.sublinear_tf && *value != 1.0 {
                1.0 + value.ln()
            } else {
                *value
            };
            *value = tf * self.idf[*id as usize];
            norm += *value * *value;
        }
        if norm > 0.0 {
            let norm = norm.sqrt();
            for (_, value) in row.iter_mut() {
                *value /= norm;
            }
        }
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(texts: &[&str]) -> Vec<Vec<String>> {
        texts
            .iter()
            .map(|t| t.split_whitespace().map(String::from).collect())
            .collect()
    }

    #[test]
    fn learns_sorted_vocabulary_and_smooth_idf() {
        let corpus = docs(&["a b", "a c", "a"]);
        let tfidf = TfidfParams::default().fit(&corpus).unwrap();
        assert_eq!(tfidf.vocabulary(), &["a", "b", "c"]);
        // n = 3: idf(a) = ln(4/4) + 1 = 1, idf(b) = idf(c) = ln(4/2) + 1.
        let expected_rare = (2.0f64).ln() + 1.0;
        assert!((tfidf.idf()[0] - 1.0).abs() < 1e-12);
        assert!((tfidf.idf()[1] - expected_rare).abs() < 1e-12);
        assert!((tfidf.idf()[2] - expected_rare).abs() < 1e-12);
    }

    #[test]
    fn transform_matches_hand_computed_values() {
        let corpus = docs(&["a b", "a c", "a"]);
        let tfidf = TfidfParams {
            sublinear_tf: false,
            ..TfidfParams::default()
        }
        .fit(&corpus)
        .unwrap();
        // "a a b": tf(a) = 2, tf(b) = 1 -> [2 * 1, 1 * 1.6931...] / norm.
        let rare = (2.0f64).ln() + 1.0;
        let norm = (4.0 + rare * rare).sqrt();
        let row = tfidf.transform(&docs(&["a a b z"])[0]);
        assert_eq!(row.len(), 2);
        assert_eq!(row[0].0, 0);
        assert!((row[0].1 - 2.0 / norm).abs() < 1e-12);
        assert_eq!(row[1].0, 1);
        assert!((row[1].1 - rare / norm).abs() < 1e-12);
    }

    #[test]
    fn sublinear_tf_uses_one_plus_log() {
        let corpus = docs(&["a b", "a c", "a"]);
        let tfidf = TfidfParams::default().fit(&corpus).unwrap();
        let rare = (2.0f64).ln() + 1.0;
        let tf_a = 1.0 + (2.0f64).ln();
        let norm = (tf_a * tf_a + rare * rare).sqrt();
        let row = tfidf.transform(&docs(&["a a b"])[0]);
        assert!((row[0].1 - tf_a / norm).abs() < 1e-12);
        assert!((row[1].1 - rare / norm).abs() < 1e-12);
    }

    #[test]
    fn min_df_max_df_and_max_features_filter() {
        let corpus = docs(&["a b", "a c", "a b d"]);
        let min2 = TfidfParams {
            min_df: 2,
            ..TfidfParams::default()
        };
        assert_eq!(min2.fit(&corpus).unwrap().vocabulary(), &["a", "b"]);
        let max_half = TfidfParams {
            max_df: 0.7,
            ..TfidfParams::default()
        };
        assert_eq!(
            max_half.fit(&corpus).unwrap().vocabulary(),
            &["b", "c", "d"]
        );
        let top2 = TfidfParams {
            max_features: Some(2),
            ..TfidfParams::default()
        };
        assert_eq!(top2.fit(&corpus).unwrap().vocabulary(), &["a", "b"]);
    }

    #[test]
    fn unknown_features_give_an_empty_row() {
        let tfidf = TfidfParams::default().fit(&docs(&["a"])).unwrap();
        assert!(tfidf.transform(&docs(&["x y"])[0]).is_empty());
    }

    #[test]
    fn rejects_bad_settings_and_empty_vocabularies() {
        let corpus = docs(&["a"]);
        assert!(TfidfParams {
            min_df: 0,
            ..TfidfParams::default()
        }
        .fit(&corpus)
        .is_err());
        assert!(matches!(
            TfidfParams {
                min_df: 5,
                ..TfidfParams::default()
            }
            .fit(&corpus),
            Err(Error::EmptyVocabulary { .. })
        ));
    }
}
