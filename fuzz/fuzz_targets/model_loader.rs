//! The model loader on arbitrary text: an error or a model that classifies without NaN.
#![no_main]

use std::path::Path;

use kzstance::persist::from_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(model) = from_json(text, Path::new("fuzz.json")) {
        let p = model.predict_probabilities("Astana abstained at the UN.");
        assert!(p.iter().all(|v| v.is_finite()));
    }
});
