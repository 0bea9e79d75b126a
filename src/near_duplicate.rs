//! Finding near-duplicate word sets (Jaccard similarity at `NEAR_DUPLICATE_JACCARD`)
//! without comparing every pair, by prefix filtering: when every set lists its words in
//! one shared order, two sets with similarity at least t share a word among the first
//! |A| − ⌈t·|A|⌉ + 1 words of each. With the rarest words first, those prefixes are
//! mostly rare words, so only a few pairs per set are ever compared in full. The answer
//! is the same as comparing every pair.

use rustc_hash::FxHashMap;

use crate::suggest::{jaccard, NEAR_DUPLICATE_JACCARD};

/// For each set of `sets`, the index of another set of `sets` that is a near-duplicate of
/// it, if there is one. Sets are sorted unique word hashes, as `suggest::word_set` gives.
pub fn within(sets: &[Vec<u64>]) -> Vec<Option<usize>> {
    let index = PrefixIndex::new(sets, sets);
    sets.iter()
        .enumerate()
        .map(|(i, set)| index.find(set, Some(i)))
        .collect()
}

/// For each set of `queries`, the index of a set of `targets` that is a near-duplicate
/// of it, if there is one.
pub fn across(queries: &[Vec<u64>], targets: &[Vec<u64>]) -> Vec<Option<usize>> {
    let index = PrefixIndex::new(targets, queries);
    queries.iter().map(|set| index.find(set, None)).collect()
}

/// How many leading words of a set of `len` words must hold a shared word, at least.
/// Rounding can only lengthen it, which costs comparisons, never answers.
fn prefix_len(len: usize) -> usize {
    let must_share = (NEAR_DUPLICATE_JACCARD * len as f64 - 1e-9).ceil().max(0.0) as usize;
    (len - must_share.min(len) + 1).min(len)
}

struct PrefixIndex<'a> {
    targets: &'a [Vec<u64>],
    /// How many indexed and looked-up sets hold each word: the shared order is rarest
    /// first, ties by hash.
    frequency: FxHashMap<u64, u32>,
    /// Word → the targets that hold it in their prefix.
    postings: FxHashMap<u64, Vec<usize>>,
    /// Targets with no words at all: near-duplicates of every other empty set.
    empty: Vec<usize>,
}

impl<'a> PrefixIndex<'a> {
    /// `queries` are the sets that will be looked up, so that their words are ranked too
    /// (when they are the targets themselves, counting them twice keeps the same order).
    fn new(targets: &'a [Vec<u64>], queries: &[Vec<u64>]) -> Self {
        let mut frequency: FxHashMap<u64, u32> = FxHashMap::default();
        for word in targets.iter().chain(queries).flatten() {
            *frequency.entry(*word).or_default() += 1;
        }
        let mut index = PrefixIndex {
            targets,
            frequency,
            postings: FxHashMap::default(),
            empty: Vec::new(),
        };
        for (t, set) in targets.iter().enumerate() {
            if set.is_empty() {
                index.empty.push(t);
            }
            for word in index.prefix(set) {
                index.postings.entry(word).or_default().push(t);
            }
        }
        index
    }

    fn prefix(&self, set: &[u64]) -> Vec<u64> {
        let mut ordered = set.to_vec();
        ordered.sort_unstable_by_key(|w| (self.frequency[w], *w));
        ordered.truncate(prefix_len(set.len()));
        ordered
    }

    fn find(&self, set: &[u64], skip: Option<usize>) -> Option<usize> {
        if set.is_empty() {
            return self.empty.iter().copied().find(|&t| Some(t) != skip);
        }
        let mut candidates: Vec<usize> = self
            .prefix(set)
            .iter()
            .filter_map(|word| self.postings.get(word))
            .flatten()
            .copied()
            .filter(|&t| Some(t) != skip)
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .find(|&t| jaccard(set, &self.targets[t]) >= NEAR_DUPLICATE_JACCARD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::word_set;

    /// Every pair compared, the definition the index must agree with.
    fn brute_force(queries: &[Vec<u64>], targets: &[Vec<u64>], same: bool) -> Vec<bool> {
        queries
            .iter()
            .enumerate()
            .map(|(i, q)| {
                targets
                    .iter()
                    .enumerate()
                    .any(|(j, t)| !(same && i == j) && jaccard(q, t) >= NEAR_DUPLICATE_JACCARD)
            })
            .collect()
    }

    fn sets(texts: &[&str]) -> Vec<Vec<u64>> {
        texts.iter().map(|t| word_set(t)).collect()
    }

    #[test]
    fn prefix_lengths_keep_every_possible_shared_word() {
        // At 0.8, 5 words need 4 shared (prefix 2), 10 need 8 (prefix 3), 1 needs 1.
        assert_eq!(prefix_len(1), 1);
        assert_eq!(prefix_len(5), 2);
        assert_eq!(prefix_len(10), 3);
        assert_eq!(prefix_len(11), 3);
    }

    #[test]
    fn agrees_with_comparing_every_pair() {
        let texts = sets(&[
            "Astana will not help Moscow evade sanctions",
            "astana will NOT help moscow evade sanctions",
            "Astana will help Moscow evade sanctions",
            "Astana will help Moscow evade the sanctions now",
            "Kazakhstan abstained at the United Nations",
            "Kazakhstan abstained again at the United Nations",
            "Photo: Reuters",
            "Photo: AFP",
            "—",
            "…",
            "The talks were held on Monday in Astana",
        ]);
        let found: Vec<bool> = within(&texts).iter().map(Option::is_some).collect();
        assert_eq!(found, brute_force(&texts, &texts, true));
        assert!(found[0] && found[1] && found[8] && !found[6] && !found[10]);
        for (i, twin) in within(&texts).iter().enumerate() {
            if let Some(j) = twin {
                assert!(*j != i && jaccard(&texts[i], &texts[*j]) >= NEAR_DUPLICATE_JACCARD);
            }
        }
        let queries = sets(&[
            "Astana will not help Moscow",
            "Kazakhstan abstained at the UN",
        ]);
        let targets = sets(&["Astana will not help Moscow!", "Nothing alike here at all"]);
        let found: Vec<bool> = across(&queries, &targets)
            .iter()
            .map(Option::is_some)
            .collect();
        assert_eq!(found, brute_force(&queries, &targets, false));
        assert_eq!(found, vec![true, false]);
    }

    #[test]
    fn agrees_with_comparing_every_pair_on_many_overlapping_sets() {
        // Sets of 1 to 12 words drawn from 20, so that many pairs sit near the threshold.
        let mut state: u64 = 42;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        let random_sets: Vec<Vec<u64>> = (0..400)
            .map(|_| {
                let len = 1 + next() % 12;
                let mut set: Vec<u64> = (0..len).map(|_| next() % 20).collect();
                set.sort_unstable();
                set.dedup();
                set
            })
            .collect();
        let (queries, targets) = random_sets.split_at(150);
        let found: Vec<bool> = within(&random_sets).iter().map(Option::is_some).collect();
        let expected = brute_force(&random_sets, &random_sets, true);
        assert_eq!(found, expected);
        assert!(
            expected.iter().filter(|&&x| x).count() > 20,
            "too few twins to test"
        );
        let found: Vec<bool> = across(queries, targets)
            .iter()
            .map(Option::is_some)
            .collect();
        assert_eq!(found, brute_force(queries, targets, false));
    }
}
