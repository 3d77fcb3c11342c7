//! Progress while a run goes: now the terminal reporter ([`crate::reporter::terminal`]), one
//! consumer of the run's events like the report files. Kept so `harness::progress::ProgressMode`
//! still names the display mode.

pub use crate::reporter::terminal::{ProgressMode, Terminal};
