//! The `harness` binary: parses the command line and hands over to `harness::cli`.

fn main() -> std::process::ExitCode {
    harness::cli::main()
}
