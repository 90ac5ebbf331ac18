//! The LPR table and the loan operations from the command line on a fresh SQLite
//! database: an all-or-nothing import, the list, and refusals with their exit codes.

#![allow(clippy::unwrap_used)]

mod common;
use common::{loanbook, ok};

#[test]
fn lpr_import_list_and_refused_loan_operations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "init",
            "--admin-password",
            "Admin-2026-pass",
            "--business-date",
            "2026-11-23",
        ],
    );
    std::fs::write(
        d.join("bad.csv"),
        "tenor,effective_date,rate\n3y,2026-10-20,0.035\n5y,2026-10-20,0.035\n",
    )
    .unwrap();
    let bad = loanbook(d, &["lpr", "import", "--csv", "bad.csv"]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("row 2: tenor: must be 1y or 5y"),
        "{stderr}"
    );
    assert_eq!(ok(d, &["lpr", "list"]), "", "nothing was imported");
    std::fs::write(
        d.join("lpr.csv"),
        "tenor,effective_date,rate\n5y,2026-10-20,0.0350\n5y,2026-12-22,0.0330\n1y,2026-10-20,0.0300\n",
    )
    .unwrap();
    assert_eq!(
        ok(d, &["lpr", "import", "--csv", "lpr.csv"]),
        "imported lpr.csv: 3 rates added, 0 already stored\n"
    );
    assert_eq!(
        ok(d, &["lpr", "list", "--tenor", "5y"]),
        "5y  2026-12-22 0.033\n5y  2026-10-20 0.035\n"
    );
    let listed: serde_json::Value =
        serde_json::from_str(&ok(d, &["lpr", "list", "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3);
    // an unknown kind names the flag (exit 2); an unknown loan or request exits 1
    let kind = loanbook(
        d,
        &[
            "loan",
            "restructure",
            "request",
            "--loan",
            "1",
            "--kind",
            "haircut",
            "--reason",
            "x",
        ],
    );
    assert_eq!(kind.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&kind.stderr).contains("--kind"));
    let missing = loanbook(d, &["loan", "write-off", "approve", "7"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("write-off 7 not found"));
    assert_eq!(ok(d, &["loan", "tasks"]), "");
}
