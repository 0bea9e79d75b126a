//! All integration tests, compiled into one binary. Each runs the real `kzstance`
//! executable in a fresh directory, as a user would, except `scikit_learn`, which checks
//! the library's figures against the reference implementation's.

mod util;

mod classify;
mod data_quality;
mod evaluate;
mod explain;
mod hostile;
mod inspect;
mod properties;
mod readme;
mod report;
mod scikit_learn;
mod train;
