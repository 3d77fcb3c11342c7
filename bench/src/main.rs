//! `bench`: the figures of issues 8 and 18, each printed with its baseline, ratio and target.
//!
//! Sections: inventory serving under `wrk` (mock vs an axum baseline vs Prism; one page, and 2,000
//! distinct pages per shape), the webhook pipeline's capacity (to saturation, at 1 and 1,000
//! webhooks, against `wrk` on a trivial handler) and an outage, scale (`synthetic:10000000`: start,
//! RSS, the harness's walk against a plain reqwest loop's), the demo's wall time, a full run
//! against a remote-like vendor (20 ms per answer), and the criterion micro-benchmarks.
//! BENCHMARKS.md records a run.

mod demo;
mod micro;
mod remote;
mod scale;
mod serving;
mod util;
mod walk;
mod webhooks;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

/// The allocator the mock vendor's and the harness's binaries use, so what is measured here is
/// what they run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "bench", about = "Benchmarks of the mock vendor and the harness (issues 8 and 18)")]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Cmd {
    /// The harness's streaming walk of every site (run by the scale section in a child process,
    /// so its memory is the walk's alone); prints a JSON line.
    Walk {
        #[arg(long)]
        credentials: PathBuf,
        #[arg(long, default_value_t = contract::MAX_PER_PAGE)]
        per_page: u64,
        /// The baseline instead: a plain reqwest loop over the same pages (mint, send, read).
        #[arg(long)]
        raw: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Section {
    Serving,
    Webhooks,
    Scale,
    Demo,
    /// A full `harness run` against the demo fleet on loopback and with 20 ms per answer.
    Remote,
    Micro,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Run only these sections (repeatable); default: all.
    #[arg(long = "only", value_enum)]
    only: Vec<Section>,
    /// Shorter runs (wrk 5 s, webhook probes 2 s and one 5 s confirmation, outage run 10 s, a
    /// fleet of 200,000, criterion 2 s per bench): a smoke test, not figures.
    #[arg(long)]
    quick: bool,
    /// The serving section's shapes (repeatable); default: all three. The one-page figure and
    /// Prism are measured with `canonical`.
    #[arg(long)]
    shape: Vec<mock_vendor::Shape>,
    /// wrk connections (each with its own token) and threads.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Webhook events offered per second in the outage run (the capacity runs search their own).
    #[arg(long, default_value_t = 10_000)]
    rate: u64,
    /// Webhooks (one receiver each, on its own loopback address) of the second capacity search.
    #[arg(long, default_value_t = 1_000)]
    webhooks: usize,
    /// Devices in the scale section's synthetic fleet [default: 10000000, 200000 with --quick].
    #[arg(long)]
    fleet: Option<u64>,
    /// Page size of the scale section's walk.
    #[arg(long, default_value_t = contract::MAX_PER_PAGE)]
    per_page: u64,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if let Some(Cmd::Walk { credentials, per_page, raw }) = cli.command {
        let report = if raw {
            rt.block_on(walk::raw(&credentials, per_page))?
        } else {
            rt.block_on(scale::walk(&credentials, per_page))?
        };
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    let args = cli.run;
    let wants = |s: Section| args.only.is_empty() || args.only.contains(&s);
    println!("machine: {}", machine());
    let mut summary: Vec<String> = Vec::new();
    let mut report = |lines: Vec<String>| {
        for line in &lines {
            println!("{line}");
        }
        summary.extend(lines);
    };

    if wants(Section::Serving) {
        eprintln!("== inventory serving");
        let load = serving::Load {
            threads: args.threads,
            connections: args.connections,
            seconds: if args.quick { 5 } else { 10 },
        };
        let shapes = if args.shape.is_empty() { mock_vendor::Shape::ALL } else { &args.shape[..] };
        // Cold figures: three interleaved rounds of 5 s per server (one with --quick).
        let (load, rounds) = if args.quick { (load, 1) } else { (serving::Load { seconds: 5, ..load }, 3) };
        match serving::run(&rt, load, &util::target_dir().join("bench-tools"), shapes, rounds) {
            Ok(r) => report(r.lines()),
            Err(e) => report(vec![format!("inventory serving: not measured: {e:#}")]),
        }
    }
    if wants(Section::Webhooks) {
        eprintln!("== webhook pipeline");
        let load = serving::Load {
            threads: args.threads,
            connections: args.connections,
            seconds: if args.quick { 5 } else { 10 },
        };
        let scripts = tempfile::tempdir()?;
        let baseline = match webhooks::baseline(&rt, load, scripts.path()) {
            Ok((r, bodies)) => {
                report(vec![format!(
                    "webhook baseline: wrk -t{} -c{} -d{}s POSTing {bodies} signed event bodies (as the mock signs them) to a trivial axum handler (reads the body, answers 200): {r}",
                    load.threads, load.connections, load.seconds
                )]);
                Some(r)
            }
            Err(e) => {
                report(vec![format!("webhook baseline: not measured: {e:#}")]);
                None
            }
        };
        let search = if args.quick { webhooks::Search::quick() } else { webhooks::Search::full() };
        for hooks in [1, args.webhooks] {
            eprintln!("-- capacity at {hooks} webhook(s)");
            match rt.block_on(webhooks::capacity(hooks, search)) {
                Ok(c) => report(c.lines(baseline.as_ref())),
                Err(e) => report(vec![format!("webhook capacity ({hooks} webhooks): not measured: {e:#}")]),
            }
        }
        let seconds = if args.quick { 10 } else { 20 };
        match rt.block_on(webhooks::outage(args.rate, seconds, Duration::from_secs(5))) {
            Ok(line) => report(vec![line]),
            Err(e) => report(vec![format!("webhook pipeline with an outage: not measured: {e:#}")]),
        }
    }
    if wants(Section::Scale) {
        eprintln!("== scale");
        let fleet = args.fleet.unwrap_or(if args.quick { 200_000 } else { 10_000_000 });
        match scale::run(fleet, args.per_page) {
            Ok(r) => report(r.lines()),
            Err(e) => report(vec![format!("scale: not measured: {e:#}")]),
        }
    }
    if wants(Section::Demo) {
        eprintln!("== demo");
        match demo::run() {
            Ok(r) => report(r.lines()),
            Err(e) => report(vec![format!("demo: not measured: {e:#}")]),
        }
    }
    if wants(Section::Remote) {
        eprintln!("== remote-like vendor ({} ms per answer)", remote::DELAY.as_millis());
        match rt.block_on(remote::run()) {
            Ok(r) => report(r.lines()),
            Err(e) => report(vec![format!("remote: not measured: {e:#}")]),
        }
    }
    if wants(Section::Micro) {
        eprintln!("== micro (criterion)");
        match micro::run(args.quick) {
            Ok(found) => {
                report(found.iter().map(|(name, ns)| format!("micro {name}: {}", micro::human(*ns))).collect())
            }
            Err(e) => report(vec![format!("micro: not measured: {e:#}")]),
        }
    }
    println!("\n== summary");
    for line in &summary {
        println!("{line}");
    }
    Ok(())
}

/// Cores, CPU model, memory and kernel, for BENCHMARKS.md.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().map(|l| l.trim_start_matches("MemTotal:").trim().to_owned()))
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cores} cores ({model}), {mem} memory, Linux {}", kernel.trim())
}
