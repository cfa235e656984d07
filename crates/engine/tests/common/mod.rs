//! Shared by the engine's end-to-end tests: running one journaled operation
//! in its own process (the `operation` example), so a test can kill it at a
//! step boundary and reconcile in another process.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `operation` example, built by `cargo test` beside the test binaries.
fn operation_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(Path::parent).unwrap();
    let bin = debug.join("examples/operation");
    assert!(
        bin.is_file(),
        "{} is missing: run the tests with `cargo test` (it builds examples)",
        bin.display()
    );
    bin
}

/// Runs `operation ARGS…`, killed at step boundary `abort_at` if given.
pub fn run(args: &[&str], abort_at: Option<u32>) -> std::process::Output {
    let mut cmd = Command::new(operation_bin());
    cmd.args(args);
    match abort_at {
        Some(n) => cmd.env("BERTH_TEST_ABORT_AT", n.to_string()),
        None => cmd.env_remove("BERTH_TEST_ABORT_AT"),
    };
    cmd.output().unwrap()
}
