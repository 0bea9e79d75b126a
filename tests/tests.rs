//! All integration tests, compiled into one binary. Each runs the real `kzstance`
//! executable in a fresh directory, as a user would.

mod util;

mod classify;
mod data_quality;
mod evaluate;
mod explain;
mod hostile;
mod inspect;
mod properties;
mod report;
mod train;
