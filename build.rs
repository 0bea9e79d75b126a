//! Splits the shipped model's three large arrays (vocabulary, IDF, weights) out of
//! `models/stance.json` into a binary file in `OUT_DIR`, leaving a small JSON head, so the
//! built-in model loads without parsing some 200,000 numbers from text at every start.
//! `persist::load_default` rebuilds the model from both parts; a unit test checks that it
//! equals the model parsed from the JSON, bit for bit. The JSON file stays the model.

use std::path::Path;

use serde_json::Value;

const SOURCE: &str = "models/stance.json";

fn main() {
    println!("cargo:rerun-if-changed={SOURCE}");
    println!("cargo:rerun-if-changed=build.rs");
    let text = std::fs::read_to_string(SOURCE).expect("models/stance.json is readable");
    let mut head: Value = serde_json::from_str(&text).expect("models/stance.json is JSON");
    let mut arrays = Vec::new();

    let vocabulary = take_array(&mut head, &["vectorizer", "vocabulary"]);
    push_len(&mut arrays, vocabulary.len());
    for term in &vocabulary {
        let term = term.as_str().expect("vocabulary entries are strings");
        push_len(&mut arrays, term.len());
        arrays.extend_from_slice(term.as_bytes());
    }
    let idf = take_array(&mut head, &["vectorizer", "idf"]);
    push_numbers(&mut arrays, &idf);
    let weights = take_array(&mut head, &["classifier", "weights"]);
    push_len(&mut arrays, weights.len());
    for row in &weights {
        push_numbers(&mut arrays, row.as_array().expect("weight rows are arrays"));
    }

    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out);
    std::fs::write(out.join("default-model-head.json"), head.to_string()).expect("write head");
    std::fs::write(out.join("default-model-arrays.bin"), arrays).expect("write arrays");
}

/// The array at `path` in `value`, leaving an empty array in its place.
fn take_array(value: &mut Value, path: &[&str]) -> Vec<Value> {
    let slot = path.iter().fold(value, |v, key| &mut v[*key]);
    match std::mem::replace(slot, Value::Array(Vec::new())) {
        Value::Array(items) => items,
        other => panic!("{} is not an array: {other}", path.join(".")),
    }
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&(len as u64).to_le_bytes());
}

/// A length, then each number as a little-endian f64 (exactly as serde_json parsed it).
fn push_numbers(out: &mut Vec<u8>, numbers: &[Value]) {
    push_len(out, numbers.len());
    for number in numbers {
        let number = number.as_f64().expect("model numbers are numbers");
        out.extend_from_slice(&number.to_le_bytes());
    }
}
