//! What both binaries (`mock-vendor serve` and `harness`) do as processes: stop on a signal, and
//! colour their logs only where a person reads them. Here because `harness` embeds the mock and so
//! depends on this crate; `contract` stays free of an async runtime.

use anyhow::Context as _;

/// Resolves on SIGINT or SIGTERM (Ctrl-C, CI cancellation, `timeout`). The handlers are installed
/// when this is called (not when the future is first polled), so a signal that comes just after
/// the process announced itself, or while a run sets up, is not lost.
pub fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt()).context("failed to listen for SIGINT")?;
        let mut term = signal(SignalKind::terminate()).context("failed to listen for SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// Colour the logs only on a terminal, and never when `NO_COLOR` is set to anything
/// (https://no-color.org): a redirected log must not fill with escape codes.
pub fn colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some("".into())), "an empty NO_COLOR does not count");
        assert!(!colour(true, Some("1".into())));
        assert!(!colour(false, None));
    }
}
