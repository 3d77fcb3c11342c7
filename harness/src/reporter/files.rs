//! The report files (`report.json`, `junit.xml`, `report.html`, `summary.md`, `evidence/`) as a
//! reporter: written once, when the run finishes, and `<out>/latest` pointed at them.

use std::path::PathBuf;

use crate::events::{EventKind, Reporter, RunEvent};
use crate::report::point_latest;

/// Writes every report file at `RunFinished`.
#[derive(Debug)]
pub struct ReportFiles {
    /// Where `latest` lives (the run directories' parent).
    out_dir: PathBuf,
}

impl ReportFiles {
    pub fn new(out_dir: PathBuf) -> Self {
        Self { out_dir }
    }
}

impl Reporter for ReportFiles {
    fn event(&mut self, event: &RunEvent) -> anyhow::Result<()> {
        if let EventKind::RunFinished { report, report_dir } = &event.kind {
            report.write_all(report_dir)?;
            point_latest(&self.out_dir, &report.run_id)?;
        }
        Ok(())
    }
}
