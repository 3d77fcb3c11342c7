//! The process's exit codes (README "Exit codes"), defined once: the commands return them and
//! [`crate::report::Verdict::exit_code`] maps a verdict onto them.

/// Conformant (advisories allowed unless `--strict`).
pub const OK: i32 = 0;
/// Not conformant (or advisories under `--strict`); a regression in `report diff`; a signature
/// that does not verify in `verify`.
pub const NOT_CONFORMANT: i32 = 1;
/// Incomplete, or a harness/configuration error.
pub const INCOMPLETE_OR_ERROR: i32 = 2;
/// Interrupted (a partial report is still written).
pub const INTERRUPTED: i32 = 130;
/// Stdout's reader went away (`| head`): the code a shell gives SIGPIPE.
pub const CLOSED_STDOUT: i32 = 141;
