//! The console in headless Chromium, driven through chromedriver: a demo bank with three
//! months of history, every demo user logging in to their home queues, and the main
//! journeys — an approver deciding an application, operations recording a repayment and
//! running the close, a collector working a case, every report with its charts and
//! exports, and the language toggle kept on the user record. Screenshots go to
//! `$LOANBOOK_SCREENSHOTS` (default `target/screenshots`).
//!
//! Skipped when chromedriver is not installed, unless `LOANBOOK_REQUIRE_BROWSER=1`
//! (CI), which makes a missing browser a failure. Runs on SQLite only: the console calls
//! the same service functions whose tests run on both databases.

#![allow(clippy::unwrap_used)]

#[path = "common/webdriver.rs"]
mod webdriver;

use std::path::PathBuf;

use chrono::NaiveDate;
use loanbook_service::collections::cases::{self, CaseQuery};
use loanbook_service::origination::approval;
use loanbook_service::{Actor, App, admin, auth, demo, loans};
use loanbook_store::crypto::Keys;
use webdriver::{Browser, http};

fn screenshots() -> PathBuf {
    let dir = std::env::var_os("LOANBOOK_SCREENSHOTS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs blocking browser work without stalling the server on the same runtime.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

fn log_in(b: &Browser, base: &str, user: &str, password: &str) {
    b.open(&format!("{base}/"));
    b.fill("#username", user);
    b.fill("#password", password);
    b.click("#login");
    wait_for_path(b, "/home");
}

/// Waits until the browser shows a page whose URL ends with `path` (a form's redirect
/// may still be on its way when a click returns).
fn wait_for_path(b: &Browser, path: &str) {
    for _ in 0..100 {
        if b.url().ends_with(path) && b.source().contains("</main>") {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("never reached {path}: {}", b.url());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_works_the_console_in_chromium() {
    let Some(browser) = blocking(Browser::start) else {
        assert!(
            std::env::var("LOANBOOK_REQUIRE_BROWSER").is_err(),
            "LOANBOOK_REQUIRE_BROWSER is set but chromedriver is not installed"
        );
        eprintln!("chromedriver is not installed: the browser test is skipped");
        return;
    };
    let t = loanbook_store::testing::sqlite().await;
    let app = App::new(t.db.clone(), Keys::from_master(&[7u8; 32]), t.dir.path());
    let start = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    admin::initialise(&app, start, "admin", "Password-2026")
        .await
        .unwrap();
    let until = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let report = demo::seed(&app, 600, Some(until), &|_| {}).await.unwrap();
    let history = report.history.clone().unwrap();
    assert_eq!(history.days_closed, 92);
    assert!(history.loans > 20 && history.repayments > 20, "{history:?}");
    assert_eq!(report.tickets, 5);
    // today's pipeline left work at every stage
    let system = Actor::system();
    for status in [
        "draft",
        "pre_screened",
        "in_review",
        "approved",
        "contracted",
        "withdrawn",
    ] {
        let found = loanbook_service::applications::list(
            &app,
            &system,
            Some(status),
            None,
            None,
            Some(500),
        )
        .await
        .unwrap();
        assert!(!found.is_empty(), "no application is {status}");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(loanbook_web::serve_on(listener, app.clone()));
    let base = format!("http://127.0.0.1:{port}");
    let shots = screenshots();
    let password = |user: &str| {
        report
            .users
            .iter()
            .find(|(u, _, _)| u == user)
            .map(|(_, _, p)| p.clone())
            .unwrap()
    };

    // every demo user logs in and sees their home
    for (user, role, pass) in &report.users {
        blocking(|| {
            log_in(&browser, &base, user, pass);
            let html = browser.source();
            assert!(html.contains("id=\"queues\""), "{user}: no queues");
            browser.screenshot(&shots.join(format!("home-{role}-{user}.png")));
            browser.click("#logout");
        });
    }

    // the approver decides an application waiting for the branch manager
    let waiting = approval::queue(&app, &system, Some("branch_manager"), false)
        .await
        .unwrap();
    let id = waiting
        .first()
        .expect("the demo leaves work for the manager")
        .application_id;
    blocking(|| {
        log_in(&browser, &base, "approver", &password("approver"));
        assert!(
            browser.source().contains(&format!("/applications/{id}")),
            "not in the approver's queue"
        );
        browser.open(&format!("{base}/applications/{id}"));
        browser.fill("input[name=comment]", "同意，收入稳定");
        browser.screenshot(&shots.join("workbench-approver.png"));
        browser.click("form[action$='/decide'] button[type=submit]");
        wait_for_path(&browser, &format!("/applications/{id}"));
    });
    // the form's post may still be on its way when the click returns
    let mut decided = loanbook_service::applications::get(&app, &system, id)
        .await
        .unwrap();
    for _ in 0..50 {
        if decided.status != "in_review" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        decided = loanbook_service::applications::get(&app, &system, id)
            .await
            .unwrap();
    }
    assert_eq!(decided.status, "approved", "{:?}", decided.approval);

    // operations records a repayment on the loan page and runs the close
    let loan = loans::list(&app, &system, None, None, Some(500))
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.status == "active")
        .unwrap();
    let before = loans::transactions(&app, &system, loan.id)
        .await
        .unwrap()
        .len();
    let open = app.business_date().await.unwrap();
    blocking(|| {
        browser.click("#logout");
        log_in(&browser, &base, "operations", &password("operations"));
        browser.open(&format!("{base}/loans/{}", loan.id));
        browser.fill("#repay input[name=amount]", "100.00");
        browser.click("#repay button[type=submit]");
        wait_for_path(&browser, &format!("/loans/{}", loan.id));
        browser.screenshot(&shots.join("loan-after-repayment.png"));
        browser.open(&format!("{base}/eod"));
        browser.click("#run-close button[type=submit]");
    });
    let mut after = loans::transactions(&app, &system, loan.id).await.unwrap();
    for _ in 0..50 {
        if after.len() > before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        after = loans::transactions(&app, &system, loan.id).await.unwrap();
    }
    assert_eq!(after.len(), before + 1);
    assert_eq!(after.last().unwrap().kind, "repayment");
    assert_eq!(after.last().unwrap().amount.to_string(), "100.00");
    let mut advanced = false;
    for _ in 0..100 {
        if app.business_date().await.unwrap() == open.succ_opt().unwrap() {
            advanced = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(advanced, "the close run from the console did not finish");
    blocking(|| {
        browser.open(&format!("{base}/eod"));
        assert!(
            browser
                .source()
                .contains(&open.succ_opt().unwrap().to_string())
        );
        browser.screenshot(&shots.join("eod-panel.png"));
        browser.click("#logout");
    });

    // the collector works a case: a note in the action log
    let collector = auth::authenticate(
        &app,
        &auth::login(&app, "collector", &password("collector"))
            .await
            .unwrap()
            .token,
    )
    .await
    .unwrap();
    let case = cases::list(&app, &collector, &CaseQuery::default())
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("the demo's late payers have open cases");
    let actions_before = cases::get(&app, &collector, case.id)
        .await
        .unwrap()
        .actions
        .len();
    blocking(|| {
        log_in(&browser, &base, "collector", &password("collector"));
        browser.open(&format!("{base}/collections/{}", case.id));
        browser.fill("#log-action input[name=note]", "客户称月底前还款");
        browser.click("#log-action button[type=submit]");
        wait_for_path(&browser, &format!("/collections/{}", case.id));
        browser.screenshot(&shots.join("collection-case.png"));
        browser.click("#logout");
    });
    let mut actions = cases::get(&app, &collector, case.id).await.unwrap().actions;
    for _ in 0..50 {
        if actions.len() > actions_before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        actions = cases::get(&app, &collector, case.id).await.unwrap().actions;
    }
    assert_eq!(actions.len(), actions_before + 1);
    assert_eq!(actions.last().unwrap().note, "客户称月底前还款");

    // every report opens with its charts; the exports are real CSV and XLSX
    let cookie = blocking(|| {
        log_in(&browser, &base, "approver", &password("approver"));
        for name in [
            "portfolio",
            "approvals",
            "vintages",
            "roll-rates",
            "collections",
            "cash-flow",
            "officers",
            "models",
            "monthly",
            "risk",
        ] {
            browser.open(&format!("{base}/reports/{name}"));
            // a loaded machine may hand back the page before it is complete
            wait_for_path(&browser, &format!("/reports/{name}"));
            let html = browser.source();
            browser.screenshot(&shots.join(format!("report-{name}.png")));
            assert!(!html.contains("role=\"alert\""), "{name}: {html}");
            if name != "roll-rates" {
                let head: String = html.chars().take(4000).collect();
                assert!(html.contains("<svg"), "{name} has no chart: {head}");
            }
        }
        format!("lb_session={}", browser.cookie("lb_session"))
    });
    let (status, csv) = blocking(|| {
        http(
            port,
            "GET",
            "/reports/portfolio?format=csv",
            None,
            Some(&cookie),
        )
    });
    assert_eq!(status, 200);
    assert!(csv.starts_with("\u{feff}".as_bytes()), "no BOM");
    let (status, xlsx) = blocking(|| {
        http(
            port,
            "GET",
            "/reports/risk?format=xlsx",
            None,
            Some(&cookie),
        )
    });
    assert_eq!(status, 200);
    assert!(xlsx.starts_with(b"PK\x03\x04"), "not a zip");

    // the administrator adds a funding source and a user from the forms; a bad limit is
    // refused naming the field, and nothing is added
    blocking(|| {
        browser.click("#logout");
        log_in(&browser, &base, "admin", "Password-2026");
        browser.open(&format!("{base}/configuration"));
        browser.fill("#funding-form input[name=code]", "BANK-B");
        browser.fill("#funding-form input[name=name]", "合作银行B");
        browser.fill("#funding-form input[name=limit]", "lots");
        browser.click("#funding-form button[type=submit]");
        let mut html = browser.source();
        for _ in 0..50 {
            if html.contains("role=\"alert\"") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            html = browser.source();
        }
        assert!(
            html.contains("limit"),
            "the refusal does not name the field: {html}"
        );
        browser.open(&format!("{base}/configuration"));
        browser.fill("#funding-form input[name=code]", "BANK-B");
        browser.fill("#funding-form input[name=name]", "合作银行B");
        browser.fill("#funding-form input[name=limit]", "1000000.00");
        browser.click("#funding-form button[type=submit]");
        wait_for_path(&browser, "/configuration");
        browser.screenshot(&shots.join("configuration.png"));
        browser.open(&format!("{base}/users"));
        browser.fill("#user-form input[name=username]", "sun.officer");
        browser.fill("#user-form input[name=display_name]", "孙信贷");
        browser.fill("#user-form input[name=password]", "Sun-Officer-2026!");
        browser.click("#user-form button[type=submit]");
        wait_for_path(&browser, "/users");
        browser.screenshot(&shots.join("users.png"));
        browser.open(&format!("{base}/audit?entity=user"));
        browser.screenshot(&shots.join("audit.png"));
        browser.click("#logout");
        log_in(&browser, &base, "approver", &password("approver"));
    });
    let mut sources = loanbook_service::applications::funding_sources(&app, &system)
        .await
        .unwrap();
    for _ in 0..50 {
        if sources.iter().any(|f| f.code == "BANK-B") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        sources = loanbook_service::applications::funding_sources(&app, &system)
            .await
            .unwrap();
    }
    let bank_b = sources.iter().find(|f| f.code == "BANK-B").unwrap();
    assert_eq!(bank_b.limit.to_string(), "1000000.00");
    assert!(
        auth::list_users(&app, &system)
            .await
            .unwrap()
            .iter()
            .any(|u| u.username == "sun.officer")
    );

    // the language follows the user
    blocking(|| {
        browser.open(&format!("{base}/home"));
        browser.click("#language");
        let mut html = browser.source();
        for _ in 0..50 {
            if html.contains("lang=\"en\"") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            html = browser.source();
        }
        assert!(
            html.contains("lang=\"en\"") && html.contains("My work"),
            "not English"
        );
        browser.screenshot(&shots.join("home-approver-en.png"));
    });
    let approver = auth::authenticate(
        &app,
        &auth::login(&app, "approver", &password("approver"))
            .await
            .unwrap()
            .token,
    )
    .await
    .unwrap();
    assert_eq!(auth::language(&app, &approver).await.unwrap(), "en");
}
