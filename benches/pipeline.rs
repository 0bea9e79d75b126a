//! Micro-benchmarks of each classification stage on the example articles:
//! `cargo bench --bench pipeline`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kzstance::persist::load_default;
use kzstance::sentence::split_sentences;

fn articles() -> String {
    [
        "balancing-analysis",
        "independence-report",
        "kremlin-commentary",
        "mixed-feature",
    ]
    .iter()
    .map(|name| {
        std::fs::read_to_string(format!(
            "{}/data/articles/{name}.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    })
    .collect::<Vec<_>>()
    .join("\n\n")
}

fn stages(c: &mut Criterion) {
    let model = load_default().unwrap();
    let text = articles();
    let sentences: Vec<&str> = split_sentences(&text)
        .into_iter()
        .map(|s| s.text(&text))
        .collect();
    let rows: Vec<_> = sentences.iter().map(|s| model.vectorize(s)).collect();
    let mut group = c.benchmark_group("stages");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("split sentences", |b| b.iter(|| split_sentences(&text)));
    group.bench_function("tokenize and stem (string features)", |b| {
        b.iter(|| {
            sentences
                .iter()
                .map(|s| model.tokenizer().features(s).len())
                .sum::<usize>()
        })
    });
    group.bench_function("vectorize (cached lookups + TF-IDF)", |b| {
        b.iter(|| {
            sentences
                .iter()
                .map(|s| model.vectorize(s).len())
                .sum::<usize>()
        })
    });
    group.bench_function("features + one-pass scoring (the classify path)", |b| {
        b.iter(|| {
            sentences
                .iter()
                .map(|s| model.predict_probabilities(s)[0])
                .sum::<f64>()
        })
    });
    group.bench_function("predict from sparse rows (reference path)", |b| {
        b.iter(|| {
            rows.iter()
                .map(|r| model.classifier().probabilities(r)[0])
                .sum::<f64>()
        })
    });
    group.bench_function("classify articles end to end", |b| {
        b.iter(|| model.classify_article(&text).aggregate.sentences)
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
