//! The `harness` binary: parses the command line and hands over to `harness::cli`.

/// mimalloc, not glibc malloc: the receiver and the walk allocate per request (issue 18).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    harness::cli::main()
}
