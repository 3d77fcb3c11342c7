//! Progress while a run goes: an indicatif bar when stderr is a terminal, plain lines otherwise
//! (CI logs), nothing when quiet. The runner tells it about each check; it is one consumer of
//! the run's events, like the report writers.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use suites::{CheckMeta, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressMode {
    /// A bar on a terminal, plain lines elsewhere.
    #[default]
    Auto,
    Plain,
    Quiet,
}

#[derive(Debug)]
pub enum Progress {
    Bar(ProgressBar),
    Plain { total: usize, done: usize },
    Quiet,
}

impl Progress {
    pub fn start(mode: ProgressMode, total: usize) -> Self {
        match mode {
            ProgressMode::Quiet => Self::Quiet,
            ProgressMode::Auto if std::io::stderr().is_terminal() => {
                let bar = ProgressBar::new(total as u64);
                let style = ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
                bar.set_style(style);
                Self::Bar(bar)
            }
            _ => Self::Plain { total, done: 0 },
        }
    }

    /// Declared vs discovered capabilities, once before the checks.
    pub fn capabilities(&mut self, capabilities: &crate::report::CapabilitiesReport) {
        for line in capabilities.lines() {
            match self {
                Self::Bar(bar) => bar.println(format!("capability {line}")),
                Self::Plain { .. } => eprintln!("capability {line}"),
                Self::Quiet => {}
            }
        }
    }

    pub fn check_started(&mut self, meta: &CheckMeta) {
        if let Self::Bar(bar) = self {
            bar.set_message(meta.id.to_owned());
        }
    }

    pub fn check_finished(&mut self, meta: &CheckMeta, status: Status, advisory: bool) {
        let label = if advisory { "ADVISORY" } else { status.as_str() };
        // A failure (advisories too) shows what the contract says, as every report does.
        let quotes: Vec<String> = if status == Status::Fail {
            crate::report::Quote::of(meta.requirements).iter().map(|q| format!("         {}", q.line())).collect()
        } else {
            Vec::new()
        };
        match self {
            Self::Bar(bar) => {
                if status != Status::Pass {
                    bar.println(format!("{label:>8} {}", meta.id));
                }
                for quote in &quotes {
                    bar.println(quote);
                }
                bar.inc(1);
            }
            Self::Plain { total, done } => {
                *done += 1;
                eprintln!("[{done}/{total}] {label:>8} {} ({})", meta.id, meta.level);
                for quote in &quotes {
                    eprintln!("{quote}");
                }
            }
            Self::Quiet => {}
        }
    }

    pub fn finish(&mut self) {
        if let Self::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
