//! Replays of real vendors' public shapes (VENDOR-SHAPES.md, "Public examples", and multi-page
//! fixtures built in their image) through wiremock vendors and the example profiles of
//! `harness/profiles/examples/`: the schema and pagination suites read them, the client maps
//! their records onto the expected canonical ones, and their webhook examples verify and map.
//!
//! Each fake vendor pages its fixture the way the vendor does (its parameter names, tokens,
//! envelopes, end markers and refusals), so the pagination suite's walks at several page sizes
//! and its bad-parameter probes meet the vendor's behaviour, not canned pages.
//!
//! Every test starts its own wiremock server (`MockServer::builder().start()`, not the pooled
//! `MockServer::start()`): a harness run's late requests (a teardown's delete) must never land in
//! the recorded requests of the next test handed the same pooled server.
//!
//! One binary, a file per subject: `support` (profiles, mounts, runs, row assertions), `pager`
//! (the list endpoints), a file per vendor (`eagle_eye`, `meraki`, `verkada`, `rhombus`,
//! `brivo`), `hooks` (the fake webhook-management APIs) and `webhook_apis` (the webhooks suite
//! against them).

#[path = "../common/mod.rs"]
mod common;

mod brivo;
mod eagle_eye;
mod hooks;
mod meraki;
mod pager;
mod rhombus;
mod support;
mod verkada;
mod webhook_apis;
