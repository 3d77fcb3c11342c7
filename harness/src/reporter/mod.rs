//! The consumers of the run's events ([`crate::events::Reporter`]): one file per output. A new
//! output format is one more file here, added to the list [`crate::runner`] dispatches to.

pub mod files;
pub mod live;
pub mod terminal;

pub use files::ReportFiles;
pub use live::LiveView;
pub use terminal::{ProgressMode, Terminal};
