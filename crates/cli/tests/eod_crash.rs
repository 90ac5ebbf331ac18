//! Crash test of the daily close: the close run by the binary is stopped at chosen and at
//! random points — aborted by the fault hook in the middle of a partition (after its
//! writes, before its commit), or killed with SIGKILL after a random delay — and run again.
//! The end state must equal, loan by loan and account by account, that of the same book
//! closed without interruption: no loan accrued twice, none skipped, the ledger balanced.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::RepaymentMethod;
use loanbook_service::servicing::book::{BookLoanInput, book_loan};
use loanbook_service::servicing::eod::{RunOptions, run};
use loanbook_service::servicing::repayments::{RepaymentInput, repay};
use loanbook_service::{Actor, App, admin, applications, customers, ledger, products};
use loanbook_store::crypto::Keys;
use loanbook_store::{Db, migrations};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A book of 24 loans on a fresh SQLite database in `dir` (where the binary looks), with
/// closes and payments over its first five weeks: the same in every directory.
async fn book(dir: &Path) -> App {
    let data = dir.join("loanbook-data");
    let db = Db::connect(&format!("sqlite://{}", data.join("loanbook.db").display()))
        .await
        .unwrap();
    migrations::migrate(&db).await.unwrap();
    let (keys, _) = Keys::load_or_create(&data).unwrap();
    let app = App::new(db, keys, &data);
    admin::initialise(&app, d(2026, 11, 23), "admin", "Admin-2026-pass")
        .await
        .unwrap();
    let actor = Actor::system();
    let product = serde_json::json!({
        "code": "CRASH", "name": "crash test", "currency": "CNY",
        "amount_min": "1000", "amount_max": "1000000", "term_min_months": 1, "term_max_months": 36,
        "rate_min": "0.01", "rate_max": "0.24", "methods": ["annuity", "equal_principal"],
        "grace_days": 2, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up",
        "fees": {"late_fee": "20.00"}
    });
    products::add(&app, &actor, &product).await.unwrap();
    applications::create_funding_source(
        &app,
        &actor,
        &applications::FundingSourceInput {
            code: "OWN".into(),
            name: "own".into(),
            currency: None,
            limit: "100000000.00".into(),
        },
    )
    .await
    .unwrap();
    let customer = customers::create(
        &app,
        &actor,
        &customers::CustomerInput {
            kind: "individual".into(),
            name: "王五".into(),
            id_number: Some(loanbook_service::demo::resident_id("11010119850312", 9)),
            phone: Some("13800138009".into()),
            province: Some("广东省".into()),
            ..customers::CustomerInput::default()
        },
    )
    .await
    .unwrap()
    .id;
    let mut loans = Vec::new();
    for day in 0..4 {
        for k in 0..6u32 {
            let id = book_loan(
                &app,
                &actor,
                &BookLoanInput {
                    external_id: None,
                    customer_id: customer,
                    product_code: "CRASH".into(),
                    principal: Money::from_minor(1_000_000 + i64::from(k) * 777_700, Currency::CNY),
                    annual_rate: AnnualRate::parse(&format!("0.{:02}", 6 + k * 2)).unwrap(),
                    term: 3 + k,
                    method: if k % 2 == 0 {
                        RepaymentMethod::Annuity
                    } else {
                        RepaymentMethod::EqualPrincipal
                    },
                    funding_source: "OWN".into(),
                },
            )
            .await
            .unwrap();
            loans.push(id);
        }
        let next = d(2026, 11, 23 + day);
        run(
            &app,
            &actor,
            &RunOptions {
                until: Some(next),
                ..RunOptions::default()
            },
            &|_, _, _| {},
        )
        .await
        .unwrap();
    }
    // some pay ahead, some part, the rest never
    for (n, id) in loans.iter().enumerate().filter(|(n, _)| n % 3 == 0) {
        let input = RepaymentInput {
            amount: format!("{}", 500 + n * 10),
            ..RepaymentInput::default()
        };
        repay(&app, &actor, *id, &input, None).await.unwrap();
    }
    app
}

/// Every loan's servicing row (without its version) and every account's totals.
async fn state(app: &App) -> (Vec<String>, String) {
    let actor = Actor::system();
    let mut loans = Vec::new();
    for id in 1..=24 {
        let view = loanbook_service::loans::get(app, &actor, id).await.unwrap();
        loans.push(serde_json::to_string(&view.servicing).unwrap());
    }
    let tb = ledger::trial_balance(app, &actor).await.unwrap();
    let accounts: Vec<String> = tb
        .accounts
        .iter()
        .map(|a| format!("{} {} {}", a.code, a.debit, a.credit))
        .collect();
    (loans, accounts.join("\n"))
}

fn eod(dir: &Path, until: &str, fault: Option<&str>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_loanbook"));
    c.current_dir(dir)
        .args([
            "eod",
            "run",
            "--until",
            until,
            "--partition-size",
            "4",
            "--workers",
            "2",
            "--lease-seconds",
            "1",
            "--json",
        ])
        .env_remove("LOANBOOK_DATABASE_URL")
        .env_remove("LOANBOOK_DATA_DIR")
        .env_remove("LOANBOOK_FAULT");
    if let Some(f) = fault {
        c.env("LOANBOOK_FAULT", f);
    }
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_stopped_anywhere_and_run_again_ends_as_if_never_stopped() {
    let until = "2027-01-10";
    // the control: the same book closed without interruption
    let control_dir = tempfile::tempdir().unwrap();
    let control = book(control_dir.path()).await;
    control.db().close().await;
    let out = eod(control_dir.path(), until, None).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let control = book_reopen(control_dir.path()).await;
    let expected = state(&control).await;

    let dir = tempfile::tempdir().unwrap();
    let app = book(dir.path()).await;
    app.db().close().await;
    // aborted mid-partition by the fault hook: the 3rd, then the 17th partition of a run
    for fault in ["eod-partition:3", "eod-partition:17"] {
        let out = eod(dir.path(), until, Some(fault)).output().unwrap();
        assert!(
            !out.status.success(),
            "{fault}: the run should have been stopped"
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("LOANBOOK_FAULT"));
    }
    // killed at random moments
    let mut seed = u64::from(std::process::id());
    for _ in 0..3 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let delay = 20 + (seed >> 33) % 300;
        let mut child = eod(dir.path(), until, None).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
    }
    let out = eod(dir.path(), until, None).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let app = book_reopen(dir.path()).await;
    let got = state(&app).await;
    assert_eq!(got.1, expected.1, "every account's totals");
    for (n, (a, b)) in got.0.iter().zip(&expected.0).enumerate() {
        assert_eq!(a, b, "loan {}", n + 1);
    }
    let check = ledger::check(&app, &Actor::system()).await.unwrap();
    assert!(check.is_ok(), "{check:?}");
    assert_eq!(
        app.business_date().await.unwrap(),
        d(2027, 1, 11),
        "every date closed once"
    );
    let audit = common::ok(dir.path(), &["audit", "verify"]);
    assert!(audit.contains("ok") || audit.contains("intact"), "{audit}");
}

async fn book_reopen(dir: &Path) -> App {
    let data = dir.join("loanbook-data");
    let db = Db::connect(&format!("sqlite://{}", data.join("loanbook.db").display()))
        .await
        .unwrap();
    let keys = Keys::load(&data).unwrap();
    App::new(db, keys, &data)
}
