//! Running the loanbook binary in a test directory.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `loanbook args…` in `dir`, without the caller's loanbook environment.
pub fn loanbook(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loanbook"))
        .current_dir(dir)
        .args(args)
        .env_remove("LOANBOOK_DATABASE_URL")
        .env_remove("LOANBOOK_DATA_DIR")
        .env_remove("LOANBOOK_MASTER_KEY")
        .output()
        .expect("the loanbook binary runs")
}

/// Runs it and returns stdout, failing the test on a non-zero exit.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = loanbook(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
