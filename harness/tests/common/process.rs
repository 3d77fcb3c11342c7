//! A binary under test as a long-running process: its stderr lines as they come (to wait for
//! "listening on", READY, the first check), its stdout read in the background (a full pipe never
//! blocks it), a signal as Ctrl-C or CI cancellation sends one, and a kill if a failed assertion
//! unwinds, so no process is ever left behind.

use std::io::{BufRead as _, Read as _};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running process; see the module docs.
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    stdout: Option<JoinHandle<String>>,
    /// Every stderr line read so far.
    pub seen: Vec<String>,
}

impl Running {
    /// Starts `command` with stdout and stderr piped.
    pub fn start(mut command: Command) -> Self {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the process starts");
        let mut out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            text
        });
        let err = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self { child, lines, stdout: Some(stdout), seen: Vec::new() }
    }

    /// The harness binary with `args`, logs plain.
    pub fn harness(args: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_harness"));
        command.args(args).env("NO_COLOR", "1").env_remove("RUST_LOG");
        Self::start(command)
    }

    /// Waits up to `within` for a stderr line `wanted` accepts, and returns it; panics with what
    /// was seen when none comes.
    pub fn wait_for_line(&mut self, within: Duration, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!("no such line within {within:?}; stderr so far:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Sends `signal` (`INT`, `TERM`) to the process.
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill").args([&format!("-{signal}"), &self.child.id().to_string()]).status().unwrap();
        assert!(sent.success(), "kill -{signal}");
    }

    /// Waits up to `within` for the process to end: its exit status, stdout, and all of stderr.
    pub fn finish(mut self, within: Duration) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the process did not end within {within:?}");
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout = self.stdout.take().map(|t| t.join().unwrap()).unwrap_or_default();
        // The reader thread ends with the pipe: every line is in the channel now.
        self.seen.extend(std::iter::from_fn(|| self.lines.recv_timeout(Duration::from_secs(5)).ok()));
        (status, stdout, self.seen.join("\n"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
