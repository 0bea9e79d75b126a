//! The labeled-CSV loader on arbitrary bytes: an error or rows, never a panic.
#![no_main]

use std::io::Write;

use kzstance::data::load_labeled_csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(data).unwrap();
    if let Ok(rows) = load_labeled_csv(file.path(), "text", "label") {
        assert_eq!(rows.texts.len(), rows.labels.len());
        assert!(rows.texts.iter().all(|t| !t.is_empty()));
    }
});
