//! The terminal: a ticking progress line on stderr that says what the run waits for (an
//! indicatif bar when stderr is a terminal, plain `[n/N]` lines otherwise, for CI logs), and at
//! the end, on stdout, the verdict, the counts, every failing check with its one-line reason and
//! the report's path. Colour only on a terminal and never under `NO_COLOR`.

use std::io::{IsTerminal, Write as _};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use suites::Status;

use crate::events::{EventKind, Reporter, RunEvent};
use crate::report::{CheckReport, Report, Verdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressMode {
    /// A bar on a terminal, plain lines elsewhere.
    #[default]
    Auto,
    Plain,
    Quiet,
}

#[derive(Debug)]
enum Display {
    /// Created at `RunStarted`, when the number of checks is known.
    Bar(Option<ProgressBar>),
    Plain,
    Quiet,
}

/// The terminal reporter.
#[derive(Debug)]
pub struct Terminal {
    display: Display,
    /// Colour on stderr (the progress) and on stdout (the end summary), decided apart: one may be
    /// piped while the other is a terminal.
    colour_err: bool,
    colour_out: bool,
    /// The running check, which a wait or a delivery is shown under.
    current: String,
    /// What the running check waits for: the bar keeps saying it while deliveries arrive.
    waiting: String,
    /// Checks finished so far (the `n` of `[n/N]`).
    done: usize,
}

/// ANSI colours, hand-written: four of them do not need a crate.
#[derive(Debug, Clone, Copy)]
enum Paint {
    Red,
    Green,
    Yellow,
    Magenta,
    Bold,
}

fn paint(on: bool, paint: Paint, s: &str) -> String {
    if !on {
        return s.to_owned();
    }
    let code = match paint {
        Paint::Red => "31",
        Paint::Green => "32",
        Paint::Yellow => "33",
        Paint::Magenta => "35",
        Paint::Bold => "1",
    };
    format!("\x1b[{code}m{s}\x1b[0m")
}

/// `FAIL`, `ADVISORY`, `ERROR`... as a row shows it, and its colour.
fn label(row: &CheckReport) -> (&'static str, Paint) {
    match row.status {
        Status::Fail if row.advisory => ("ADVISORY", Paint::Yellow),
        Status::Fail => ("FAIL", Paint::Red),
        Status::Error => ("ERROR", Paint::Magenta),
        Status::Skip => ("SKIP", Paint::Bold),
        Status::Pass => ("PASS", Paint::Green),
        Status::Waived => ("WAIVED", Paint::Yellow),
    }
}

/// The colour rule both binaries share.
pub use mock_vendor::process::colour;

impl Terminal {
    /// `mode` as asked, colour where the streams are terminals and `NO_COLOR` is unset.
    pub fn new(mode: ProgressMode) -> Self {
        let no_color = || std::env::var_os("NO_COLOR");
        let colour_err = colour(std::io::stderr().is_terminal(), no_color());
        let colour_out = colour(std::io::stdout().is_terminal(), no_color());
        let display = match mode {
            ProgressMode::Quiet => Display::Quiet,
            ProgressMode::Auto if std::io::stderr().is_terminal() => Display::Bar(None),
            _ => Display::Plain,
        };
        Self { display, colour_err, colour_out, current: String::new(), waiting: String::new(), done: 0 }
    }

    fn println(&self, line: &str) {
        match &self.display {
            Display::Bar(Some(bar)) => bar.println(line),
            Display::Bar(None) | Display::Plain => eprintln!("{line}"),
            Display::Quiet => {}
        }
    }

    fn check_finished(&mut self, row: &CheckReport, done: usize, total: usize) {
        let (label, colour) = label(row);
        // A failure (advisories too) shows what the contract says, as every report does.
        let quotes: Vec<String> = row.contract.iter().map(|q| format!("         {}", q.line())).collect();
        match &self.display {
            Display::Bar(Some(bar)) => {
                if row.status != Status::Pass {
                    bar.println(format!("{} {}", paint(self.colour_err, colour, &format!("{label:>8}")), row.id));
                }
                for quote in &quotes {
                    bar.println(quote);
                }
                bar.inc(1);
            }
            Display::Plain => {
                eprintln!("[{done}/{total}] {label:>8} {} ({})", row.id, row.level);
                for quote in &quotes {
                    eprintln!("{quote}");
                }
            }
            Display::Bar(None) | Display::Quiet => {}
        }
    }

    fn finished(&mut self, report: &Report, report_dir: &std::path::Path) {
        if let Display::Bar(Some(bar)) = &self.display {
            bar.finish_and_clear();
        }
        if matches!(self.display, Display::Quiet) {
            return;
        }
        let text = end_summary(report, &report_dir.join("report.html"), self.colour_out);
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}

impl Reporter for Terminal {
    fn event(&mut self, event: &RunEvent) -> anyhow::Result<()> {
        match &event.kind {
            EventKind::RunStarted { checks, capabilities, .. } => {
                if let Display::Bar(slot) = &mut self.display {
                    let bar = ProgressBar::new(checks.len() as u64);
                    let style = ProgressStyle::with_template("{spinner} [{bar:20}] {pos}/{len} {elapsed} {wide_msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> ");
                    bar.set_style(style);
                    // The spinner and the elapsed time move while a check waits for the vendor.
                    bar.enable_steady_tick(Duration::from_millis(120));
                    *slot = Some(bar);
                }
                for line in capabilities.lines() {
                    self.println(&format!("capability {line}"));
                }
            }
            EventKind::CheckStarted { meta, .. } => {
                self.current = meta.id.to_owned();
                self.waiting.clear();
                if let Display::Bar(Some(bar)) = &self.display {
                    bar.set_message(meta.id.to_owned());
                }
            }
            EventKind::Waiting { what, within } => {
                let line = format!("waiting for {what} (up to {} s)", within.as_secs_f64().ceil() as u64);
                self.waiting = line.clone();
                match &self.display {
                    Display::Bar(Some(bar)) => bar.set_message(format!("{}: {line}", self.current)),
                    // A CI log says why it sits still too.
                    Display::Plain => eprintln!("         {}: {line}", self.current),
                    Display::Bar(None) | Display::Quiet => {}
                }
            }
            EventKind::DeliveryReceived(seen) => {
                // On the bar only: a run takes hundreds of deliveries, too many for a CI log.
                if let Display::Bar(Some(bar)) = &self.display {
                    let line = seen.line();
                    let line = match &seen.verified {
                        Ok(()) => line,
                        Err(_) => paint(self.colour_err, Paint::Yellow, &line),
                    };
                    let waiting = if self.waiting.is_empty() { String::new() } else { format!("{}; ", self.waiting) };
                    bar.set_message(format!("{}: {waiting}last {line}", self.current));
                }
            }
            EventKind::ReceiverAnswering { answer, within } => {
                // On the bar only, beside the wait it explains; the waits say enough in a CI log.
                if let Display::Bar(Some(bar)) = &self.display {
                    bar.set_message(format!(
                        "{}: the receiver answers {answer} for {:.1} s; {}",
                        self.current,
                        within.as_secs_f64(),
                        self.waiting
                    ));
                }
            }
            EventKind::CheckFinished { total, row, .. } => {
                self.done += 1;
                self.check_finished(row, self.done, *total);
            }
            EventKind::RunFinished { report, report_dir } => self.finished(report, report_dir),
        }
        Ok(())
    }
}

/// The end of a run as the terminal shows it: the verdict, the counts, every FAIL, advisory,
/// ERROR and incomplete-making SKIP with its one-line reason (the first line of its message) and the requirements it cites,
/// then the report's path.
pub fn end_summary(report: &Report, report_html: &std::path::Path, colour: bool) -> String {
    let c = &report.counts;
    let verdict_colour = match report.verdict {
        Verdict::Conformant => Paint::Green,
        Verdict::ConformantWithAdvisories | Verdict::ConformantWithDeviations => Paint::Yellow,
        Verdict::NotConformant => Paint::Red,
        Verdict::Incomplete => Paint::Magenta,
    };
    let mut out = format!("{}\n", paint(colour, verdict_colour, &report.headline()));
    out.push_str(&format!("{}\n", c.sentence()));
    // The checks not reached by an interrupted run are one line, not dozens.
    let not_reached = |r: &CheckReport| report.interrupted && r.message == INTERRUPTED;
    let failing: Vec<&CheckReport> = report.checks().filter(|r| shown_at_the_end(r) && !not_reached(r)).collect();
    let width = failing.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let skipped = report.checks().filter(|r| not_reached(r)).count();
    if skipped > 0 {
        out.push_str(&format!("  {skipped} checks {INTERRUPTED}\n"));
    }
    for row in failing {
        let (label, colour_of) = label(row);
        let reason = one_line(&row.message);
        let cites =
            if row.requirements.is_empty() { String::new() } else { format!(" [{}]", row.requirements.join(", ")) };
        out.push_str(&format!(
            "  {} {:width$}  {reason}{cites}\n",
            paint(colour, colour_of, &format!("{label:<8}")),
            row.id,
        ));
    }
    // A deviation that waived nothing this run (stale, expired, not covering, unused) is for a
    // person to act on: one line each.
    for applied in report.deviations.iter().filter(|a| a.effect != crate::deviations::Effect::Waived) {
        out.push_str(&format!("  deviation {}: {}\n", applied.deviation.check, applied.note()));
    }
    out.push_str(&format!("report: {}\n", report_html.display()));
    out
}

/// What the runner says of a check an interrupted run did not reach.
const INTERRUPTED: &str = "not run: the run was interrupted";

/// A row the end of a run names: a FAIL (advisories too), an ERROR, or a SKIP that leaves the
/// verdict incomplete (an applicable MUST check): what a reader has to act on.
pub fn shown_at_the_end(row: &CheckReport) -> bool {
    match row.status {
        // A waived FAIL is never hidden: the deviation is named with it.
        Status::Fail | Status::Error | Status::Waived => true,
        Status::Skip => row.applicable && row.level == suites::Level::Must,
        Status::Pass => false,
    }
}

/// The first line of a message, cut to [`REASON_CHARS`]: the report holds the rest.
fn one_line(message: &str) -> String {
    let first = message.lines().next().unwrap_or_default();
    match first.char_indices().nth(REASON_CHARS) {
        Some((at, _)) => format!("{}…", &first[..at]),
        None => first.to_owned(),
    }
}

/// How much of a failing check's reason the end of a run shows.
const REASON_CHARS: usize = 160;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_one_line_cut_on_a_character() {
        assert_eq!(one_line("short\nmore"), "short");
        let long = "é".repeat(REASON_CHARS + 5);
        let cut = one_line(&long);
        assert_eq!(cut.chars().count(), REASON_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    fn report(rows: Vec<CheckReport>, interrupted: bool) -> Report {
        crate::report::example(rows, interrupted)
    }

    #[test]
    fn the_end_names_what_a_reader_acts_on_and_one_line_for_what_an_interrupt_left() {
        use suites::{Level, Outcome};
        let metas: Vec<&suites::CheckMeta> = suites::catalogue().iter().filter(|m| m.level == Level::Must).collect();
        let should = suites::catalogue().iter().find(|m| m.level == Level::Should).unwrap();
        let rows = vec![
            CheckReport::new(metas[0], Outcome::pass("fine"), true, 1),
            CheckReport::new(metas[1], Outcome::fail("no `type`\nmore detail"), true, 1),
            CheckReport::new(metas[2], Outcome::error("connection refused"), true, 1),
            CheckReport::new(should, Outcome::fail("no `Retry-After`"), true, 1),
            CheckReport::new(metas[3], Outcome::skip("no trigger"), true, 1),
            CheckReport::new(metas[4], Outcome::skip("not declared"), false, 1),
            CheckReport::new(metas[5], Outcome::skip(INTERRUPTED), true, 0),
            CheckReport::new(metas[6], Outcome::skip(INTERRUPTED), true, 0),
        ];
        let text = end_summary(&report(rows.clone(), true), std::path::Path::new("r/report.html"), false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "NOT CONFORMANT (interrupted: partial report)");
        assert_eq!(lines[1], "8 checks: 1 passed, 1 failed, 1 advisories, 4 skipped, 1 errors");
        assert_eq!(lines[2], "  2 checks not run: the run was interrupted");
        let named: Vec<(&str, &str)> = lines[3..7]
            .iter()
            .map(|l| (l.split_whitespace().next().unwrap(), l.split_whitespace().nth(1).unwrap()))
            .collect();
        let ids = |i: usize| rows[i].id.as_str();
        assert_eq!(named, [("FAIL", ids(1)), ("ERROR", ids(2)), ("ADVISORY", ids(3)), ("SKIP", ids(4))]);
        assert!(lines[3].contains("no `type`") && !lines[3].contains("more detail"), "{}", lines[3]);
        assert_eq!(lines[7], "report: r/report.html");
        assert_eq!(lines.len(), 8);
        assert!(!text.contains('\x1b'));

        // Not interrupted: the same message is a skip like any other.
        let text = end_summary(&report(rows, false), std::path::Path::new("r/report.html"), true);
        assert!(!text.contains("checks not run"), "{text}");
        assert!(text.contains("\x1b[31mFAIL"), "{text}");
    }

    #[test]
    fn colour_is_painted_only_when_asked() {
        assert_eq!(paint(false, Paint::Red, "FAIL"), "FAIL");
        assert_eq!(paint(true, Paint::Red, "FAIL"), "\x1b[31mFAIL\x1b[0m");
    }
}
