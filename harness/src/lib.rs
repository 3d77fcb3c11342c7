//! The conformance harness: points at any vendor endpoint, runs the suites, receives the
//! vendor's webhooks and writes reports with evidence.
//!
//! `run` is the whole pipeline as a library call, so the CLI, the demo and the tests share it.

pub mod catalogue;
pub mod certificate;
pub mod cli;
pub mod client;
pub mod config;
pub mod credential;
pub mod deviations;
pub mod events;
pub mod exit;
pub mod har;
pub mod profile;
pub mod progress;
pub mod receiver;
pub mod report;
pub mod reporter;
pub mod runner;
pub mod setup;
pub mod trigger;

pub use config::VendorConfig;
pub use report::Verdict;
pub use runner::{CheckOutcome, RunOptions, RunSummary, run, run_with};
