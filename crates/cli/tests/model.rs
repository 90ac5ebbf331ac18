//! `loanbook model` end to end on the German credit data.

#![allow(clippy::unwrap_used, clippy::float_arithmetic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn loanbook(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loanbook"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// The shared data sets: `LOANBOOK_SHARED_DATA`, else `../shared/data` beside the
/// repository, else the workplace's `/work/shared/data` (a clone elsewhere still finds them).
fn shared_data_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("LOANBOOK_SHARED_DATA") {
        return PathBuf::from(dir);
    }
    let beside: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "..",
        "shared",
        "data",
    ]
    .iter()
    .collect();
    if beside.is_dir() {
        return beside;
    }
    PathBuf::from("/work/shared/data")
}

fn german() -> String {
    let path = shared_data_dir().join("german_credit.csv");
    path.to_str().unwrap().to_owned()
}

#[test]
fn train_evaluate_and_score() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = german();
    let out = loanbook(
        d,
        &[
            "model", "train", "--data", &data, "--target", "default", "--folds", "5", "--out",
            "m.json", "--report", "r.html", "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["rows"], 1000);
    assert_eq!(summary["validation"], "5-fold cross-validation");
    assert!(summary["auc"].as_f64().unwrap() >= 0.78, "{summary}");
    let report = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(report.contains("<svg") && report.contains("ROC"));

    let out = loanbook(
        d,
        &[
            "model", "evaluate", "--model", "m.json", "--data", &data, "--target", "default",
            "--json",
        ],
    );
    let metrics: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(metrics["rows"], 1000);
    assert!(
        (metrics["gini"].as_f64().unwrap() - (2.0 * metrics["auc"].as_f64().unwrap() - 1.0)).abs()
            < 1e-12
    );

    let out = loanbook(
        d,
        &[
            "model", "score", "--model", "m.json", "--data", &data, "--out", "s.csv",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scored = std::fs::read_to_string(d.join("s.csv")).unwrap();
    let header = scored.lines().next().unwrap();
    assert!(
        header.ends_with(",score,probability,band,reasons"),
        "{header}"
    );
    assert_eq!(scored.lines().count(), 1001);
}

#[test]
fn bad_training_files_name_the_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("bad.csv"),
        "age,income,default\n30,5000,0\n41,abc,1\n",
    )
    .unwrap();
    let out = loanbook(
        d,
        &[
            "model", "train", "--data", "bad.csv", "--target", "default", "--out", "m.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: --data: row 3: column income: 'abc' is not a number (the column is numeric)"
    );
    std::fs::write(d.join("target.csv"), "age,default\n30,0\n41,maybe\n").unwrap();
    let out = loanbook(
        d,
        &[
            "model",
            "train",
            "--data",
            "target.csv",
            "--target",
            "default",
            "--out",
            "m.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("row 3: column default: 'maybe' is not a target value")
    );
    std::fs::write(d.join("empty.csv"), "age,default\n").unwrap();
    let out = loanbook(
        d,
        &[
            "model",
            "train",
            "--data",
            "empty.csv",
            "--target",
            "default",
            "--out",
            "m.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!d.join("m.json").exists());
}
