//! `loanbook schedule` end to end: the binary, its output and its exit codes.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn loanbook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loanbook"))
        .args(args)
        .env_remove("LOANBOOK_DATABASE_URL")
        .output()
        .expect("the loanbook binary runs")
}

const ISSUE_CASE: [&str; 11] = [
    "schedule",
    "--principal",
    "100000",
    "--annual-rate",
    "0.0435",
    "--term",
    "12",
    "--method",
    "annuity",
    "--start",
    "2026-01-31",
];

fn json(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = loanbook(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

#[test]
fn json_matches_the_contract() {
    let v = json(&ISSUE_CASE);
    assert_eq!(v["principal"], "100000.00");
    assert_eq!(v["annual_rate"], "0.0435");
    assert_eq!(v["method"], "annuity");
    assert_eq!(v["term"], 12);
    let installments = v["installments"].as_array().unwrap();
    assert_eq!(installments.len(), 12);
    let first = &installments[0];
    assert_eq!(first["number"], 1);
    assert_eq!(first["due_date"], "2026-02-28");
    assert_eq!(first["principal"], "8168.49");
    assert_eq!(first["interest"], "362.50");
    assert_eq!(first["total"], "8530.99");
    assert_eq!(first["balance"], "91831.51");
    assert_eq!(installments[1]["due_date"], "2026-03-31");
    assert_eq!(installments[11]["balance"], "0.00");
    assert_eq!(v["total_principal"], "100000.00");
    assert_eq!(v["total_interest"], "2371.90");
    assert_eq!(v["total_payment"], "102371.90");
    assert_eq!(v["apr"], "0.043500");
    assert!(v.get("legal_cap").is_none());
}

#[test]
fn database_url_is_accepted_before_the_subcommand() {
    let mut args = vec!["--database-url", "sqlite://./elsewhere.db"];
    args.extend_from_slice(&ISSUE_CASE);
    let v = json(&args);
    assert_eq!(v["total_interest"], "2371.90");
}

#[test]
fn table_is_readable() {
    let out = loanbook(&ISSUE_CASE);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("annuity (等额本息): 100000.00 CNY at 4.35% a year"),
        "{text}"
    );
    assert!(
        text.contains(
            "   1  2026-02-28         8168.49        362.50         8530.99          91831.51"
        ),
        "{text}"
    );
    assert!(text.contains("APR (IRR method): 0.043500"), "{text}");
    assert!(out.stderr.is_empty());
}

#[test]
fn legal_cap_reports_the_excess() {
    // 12000 at 24% flat over 12 months: 1000 + 12000 × 0.24 / 12 = 1240.00 a month;
    // APR = 12 × IRR(12000; 12 × 1240) = 0.417031…, 0.057031 above a 36% cap
    let mut args = ISSUE_CASE.to_vec();
    args[2] = "12000";
    args[4] = "0.24";
    args[8] = "flat";
    args.extend_from_slice(&["--legal-cap", "0.36"]);
    let v = json(&args);
    assert_eq!(v["installments"][0]["total"], "1240.00");
    let cap = &v["legal_cap"];
    assert_eq!(cap["cap"], "0.36");
    assert_eq!(cap["exceeds"], true);
    assert_eq!(v["apr"], "0.417031");
    assert_eq!(cap["apr"], "0.417031");
    assert_eq!(cap["excess"], "0.057031");
}

#[test]
fn calendar_moves_due_dates() {
    let calendar: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "data",
        "calendars",
        "CN-2026.json",
    ]
    .iter()
    .collect();
    let mut args = ISSUE_CASE.to_vec();
    args[10] = "2026-01-01";
    let calendar = calendar.to_str().unwrap().to_owned();
    args.extend_from_slice(&["--calendar", &calendar]);
    let v = json(&args);
    let installments = v["installments"].as_array().unwrap();
    // 2026-02-01 is a Sunday → Monday 2026-02-02
    assert_eq!(installments[0]["period_end"], "2026-02-01");
    assert_eq!(installments[0]["due_date"], "2026-02-02");
    // 2026-10-01 is National Day → the next business day after the holiday week, 2026-10-08
    assert_eq!(installments[8]["period_end"], "2026-10-01");
    assert_eq!(installments[8]["due_date"], "2026-10-08");
    // interest does not move with the dates
    assert_eq!(v["total_interest"], "2371.90");
}

/// Runs the issue case with `extra` and expects exit 2, one stderr line naming
/// `argument`, and an empty stdout.
fn refused(extra: &[&str], argument: &str) {
    let mut args = ISSUE_CASE.to_vec();
    args.extend_from_slice(extra);
    let out = loanbook(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{extra:?} wrote to stdout");
    assert_eq!(stderr.lines().count(), 1, "{extra:?}: {stderr}");
    assert!(
        stderr.starts_with(&format!("error: {argument}: ")),
        "{extra:?}: {stderr}"
    );
}

#[test]
fn bad_input_exits_2_with_one_line() {
    refused(&["--principal", "0"], "--principal");
    refused(&["--principal", "-100"], "--principal");
    refused(&["--principal", "12.345"], "--principal");
    refused(&["--term", "0"], "--term");
    refused(&["--term", "481"], "--term");
    refused(&["--annual-rate", "-0.01"], "--annual-rate");
    refused(&["--annual-rate", "1"], "--annual-rate");
    refused(&["--annual-rate", "4.35%"], "--annual-rate");
    refused(&["--method", "balloon"], "--method");
    refused(&["--start", "2026-02-30"], "--start");
    refused(&["--first-due", "2026-13-01"], "--first-due");
    refused(&["--first-due", "2026-01-15"], "--first-due");
    refused(
        &["--method", "bullet", "--first-due", "2026-02-15"],
        "--first-due",
    );
    refused(
        &["--method", "bullet", "--grace-principal", "1"],
        "--grace-principal",
    );
    refused(&["--grace-principal", "12"], "--grace-principal");
    refused(
        &["--method", "interest-only", "--installment-multiple", "10"],
        "--installment-multiple",
    );
    refused(&["--installment-multiple", "0"], "--installment-multiple");
    refused(
        &["--method", "flat", "--day-count", "act/360"],
        "--day-count",
    );
    refused(&["--frequency", "daily"], "--frequency");
    refused(&["--upfront-fee", "100000"], "--upfront-fee");
    refused(&["--legal-cap", "24%"], "--legal-cap");
    refused(&["--calendar", "/does/not/exist.json"], "--calendar");
    refused(&["--surprise"], "--surprise");
}

#[test]
fn missing_arguments_are_named() {
    let out = loanbook(&["schedule", "--principal", "1000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        "error: --annual-rate, --term, --method, --start: is required"
    );
}
