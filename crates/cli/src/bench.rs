//! `loanbook bench origination`: submit-to-decision over HTTP on a scratch SQLite
//! database, beside a floor measured in the same run (a bare HTTP endpoint under the
//! same client and concurrency).
//!
//! Set-up (not timed): a fresh database in a temporary directory, the demo policy,
//! authority rules, scorecard and funding sources, a watch list, one customer per
//! application (distinct identity, phone, bank card and device, a recent clean bureau
//! report) and the draft applications. Timed: `POST /api/v1/applications/{id}/submit`
//! for every application by `concurrency` clients over loopback, each a new connection,
//! against the real server in the same process — the pre-screen, the assessment, the
//! routing and the straight-through approval, committed.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use loanbook_service::adapters::post_json;
use loanbook_service::auth::{self, NewUser};
use loanbook_service::{Actor, App, admin, aml, applications, customers, demo, products};
use loanbook_store::crypto::Keys;
use loanbook_store::{Db, migrations};
use serde::Serialize;

use crate::context::json;
use crate::error::CliError;

/// `loanbook bench …`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Submit-to-decision throughput and latency over HTTP (SQLite, scratch database).
    Origination(OriginationArgs),
    /// One daily close of a synthetic portfolio (mixed methods and products, 5% late),
    /// timed apart from the set-up, beside the database's raw bulk update of the same rows.
    Eod(crate::bench_eod::EodArgs),
    /// Durable repayments per second through the service (scratch SQLite or PostgreSQL).
    Repayments(crate::bench_eod::RepaymentArgs),
    /// A bench bank kept in a directory (loans, draft applications, users) for load
    /// tools that drive `loanbook serve` from outside (bench/http).
    Prepare(crate::bench_prepare::PrepareArgs),
}

/// Arguments of `loanbook bench origination`.
#[derive(Debug, Args)]
pub struct OriginationArgs {
    /// Applications to submit (each by its own customer).
    #[arg(long, default_value_t = 5_000)]
    applications: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Entries in the AML watch list.
    #[arg(long, default_value_t = 10_000)]
    watch_list: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// What a run measured.
#[derive(Debug, Serialize)]
struct Report {
    applications: usize,
    concurrency: usize,
    watch_list_entries: usize,
    approved: usize,
    other_outcomes: usize,
    seconds: f64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    floor_requests: usize,
    floor_per_second: f64,
    floor_p99_ms: f64,
    setup_seconds: f64,
}

fn failed(what: &str) -> impl Fn(loanbook_service::ServiceError) -> CliError + '_ {
    move |e| CliError::Failed(format!("bench set-up ({what}): {e}"))
}

/// Runs a bench command.
pub async fn run(command: &BenchCommand) -> Result<String, CliError> {
    let args = match command {
        BenchCommand::Origination(args) => args,
        BenchCommand::Eod(args) => return crate::bench_eod::run(args).await,
        BenchCommand::Repayments(args) => return crate::bench_eod::repayments(args).await,
        BenchCommand::Prepare(args) => return crate::bench_prepare::run(args).await,
    };
    if args.applications == 0 || args.concurrency == 0 {
        return Err(CliError::usage(
            "--applications",
            "and --concurrency must be at least 1",
        ));
    }
    let started = Instant::now();
    let dir = tempfile::tempdir()
        .map_err(|e| CliError::Failed(format!("cannot make a scratch directory: {e}")))?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::connect(&url).await?;
    migrations::migrate(&db).await?;
    let (keys, _) = Keys::load_or_create(dir.path())?;
    let app = App::new(db, keys, dir.path());
    let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
    admin::initialise(&app, date, "admin", "Bench-admin-2026")
        .await
        .map_err(failed("init"))?;
    let mut ids = set_up(&app, args.applications + 1, args.watch_list).await?;
    // one submission before the clock starts loads the caches (the watch-list index,
    // the policy, the scorecard) as a running server has them
    let warm_up = ids.remove(0);
    applications::submit(&app, &Actor::system(), warm_up)
        .await
        .map_err(failed("warm-up"))?;
    let setup_seconds = started.elapsed().as_secs_f64();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| CliError::Failed(format!("cannot bind: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Failed(e.to_string()))?;
    tokio::spawn(loanbook_web::serve_on(listener, app.clone()));
    let token = auth::login(&app, "bench.officer", "Bench-officer-2026")
        .await
        .map_err(failed("login"))?
        .token;

    // the floor: the same clients and requests answered by the router alone (POST
    // /healthz is refused with 405 before any handler runs)
    let floor_urls: Vec<String> = (0..args.applications.min(5_000))
        .map(|_| format!("http://{addr}/healthz"))
        .collect();
    let (floor_seconds, floor_latencies, _) =
        drive(&floor_urls, args.concurrency, &token, false).await?;
    let urls: Vec<String> = ids
        .iter()
        .map(|id| format!("http://{addr}/api/v1/applications/{id}/submit"))
        .collect();
    let (seconds, latencies, bodies) = drive(&urls, args.concurrency, &token, true).await?;
    let approved = bodies.iter().filter(|s| s.as_str() == "approved").count();
    let report = Report {
        applications: ids.len(),
        concurrency: args.concurrency,
        watch_list_entries: args.watch_list,
        approved,
        other_outcomes: ids.len() - approved,
        seconds,
        per_second: rate(ids.len(), seconds),
        p50_ms: percentile(&latencies, 50),
        p99_ms: percentile(&latencies, 99),
        floor_requests: floor_urls.len(),
        floor_per_second: rate(floor_urls.len(), floor_seconds),
        floor_p99_ms: percentile(&floor_latencies, 99),
        setup_seconds,
    };
    if args.json {
        return json(&report);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "submit-to-decision over HTTP, SQLite, {} applications, {} clients, watch list {}",
        report.applications, report.concurrency, report.watch_list_entries
    );
    let _ = writeln!(
        out,
        "  {:.0} decisions/s in {:.2} s — p50 {:.2} ms, p99 {:.2} ms; {} approved, {} other",
        report.per_second,
        report.seconds,
        report.p50_ms,
        report.p99_ms,
        approved,
        report.other_outcomes
    );
    let _ = writeln!(
        out,
        "  floor (POST /healthz → 405 from the router, same clients): {:.0} requests/s, p99 {:.2} ms",
        report.floor_per_second, report.floor_p99_ms
    );
    let _ = writeln!(out, "  set-up {:.1} s (not timed)", report.setup_seconds);
    Ok(out)
}

#[allow(clippy::cast_precision_loss, clippy::float_arithmetic)]
fn rate(n: usize, seconds: f64) -> f64 {
    n as f64 / seconds.max(1e-9)
}

#[allow(clippy::cast_precision_loss, clippy::float_arithmetic)]
fn percentile(sorted: &[Duration], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() * p).div_ceil(100)).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

/// Posts to every url with `concurrency` clients; returns the seconds, the sorted
/// latencies and each answer's `status` field.
async fn drive(
    urls: &[String],
    concurrency: usize,
    token: &str,
    strict: bool,
) -> Result<(f64, Vec<Duration>, Vec<String>), CliError> {
    let urls = Arc::new(urls.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let auth = format!("Bearer {token}");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (urls, next, auth) = (urls.clone(), next.clone(), auth.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(url) = urls.get(i) else { break };
                let t = Instant::now();
                let answer = post_json(
                    url,
                    &[("Authorization", auth.as_str())],
                    &serde_json::json!({}),
                    Duration::from_secs(30),
                )
                .await;
                let elapsed = t.elapsed();
                let status = match answer {
                    Ok((code, body)) if code < 300 => {
                        body["status"].as_str().unwrap_or("ok").to_owned()
                    }
                    Ok((code, body)) => format!("http {code}: {}", body["detail"]),
                    Err(e) => format!("error: {e}"),
                };
                seen.push((elapsed, status));
            }
            seen
        }));
    }
    let mut latencies = Vec::with_capacity(urls.len());
    let mut statuses = Vec::with_capacity(urls.len());
    for t in tasks {
        for (elapsed, status) in t.await.map_err(|e| CliError::Failed(e.to_string()))? {
            latencies.push(elapsed);
            statuses.push(status);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    if let Some(bad) = statuses
        .iter()
        .find(|s| s.starts_with("error") || (strict && s.starts_with("http ")))
    {
        return Err(CliError::Failed(format!("a request failed: {bad}")));
    }
    Ok((seconds, latencies, statuses))
}

/// The product, policy, users, watch list, customers with bureau reports and the draft
/// applications; returns the application ids.
pub(crate) async fn set_up(
    app: &App,
    count: usize,
    watch_list: usize,
) -> Result<Vec<i64>, CliError> {
    let system = Actor::system();
    let product = serde_json::json!({
        "code": "CONSUMER", "name": "个人消费贷", "currency": "CNY",
        "amount_min": "1000", "amount_max": "500000", "term_min_months": 3, "term_max_months": 36,
        "rate_min": "0.06", "rate_max": "0.24", "methods": ["annuity"],
        "grace_days": 3, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up",
        "fees": {"origination_rate": "0.01"}
    });
    products::add(app, &system, &product)
        .await
        .map_err(failed("product"))?;
    demo::seed_origination(app)
        .await
        .map_err(failed("origination"))?;
    auth::add_user(
        app,
        &system,
        &NewUser {
            username: "bench.officer".into(),
            display_name: "bench".into(),
            role: "loan_officer".into(),
            password: "Bench-officer-2026".into(),
        },
    )
    .await
    .map_err(failed("user"))?;
    // a watch list of made-up names (none of the applicants)
    let mut list = String::from("list,name,id_number,reason\n");
    for i in 0..watch_list {
        let _ = writeln!(list, "BENCH,Listed Person {i:06} Zq,,bench entry");
    }
    aml::import_csv(app, &system, list.as_bytes(), "bench")
        .await
        .map_err(failed("watch list"))?;
    let mut ids = Vec::with_capacity(count);
    let mut seq = 0usize;
    while ids.len() < count {
        let batch = (count - ids.len()).min(5_000);
        let mut people = String::from(
            "kind,name,id_number,uscc,phone,province,city,address,employer,monthly_income,legal_representative,industry\n",
        );
        let mut numbers = Vec::with_capacity(batch);
        for _ in 0..batch {
            let n = id_number(seq);
            let _ = writeln!(
                people,
                "individual,测试{seq},{n},,1{}{:09},广东省,深圳市,南山区{seq}号,某公司,40000,,",
                3 + seq % 7,
                seq
            );
            numbers.push((seq, n));
            seq += 1;
        }
        customers::import_csv(app, &system, people.as_bytes())
            .await
            .map_err(failed("customers"))?;
        let mut drafts = String::from(
            "id_number,product_code,amount,term_months,method,purpose,channel,device_id,bank_card\n",
        );
        for (s, n) in &numbers {
            let _ = writeln!(
                drafts,
                "{n},CONSUMER,20000,12,annuity,car_used,app,bench-device-{s},{}",
                card(*s)
            );
        }
        let made = applications::import_csv(app, &system, drafts.as_bytes())
            .await
            .map_err(failed("applications"))?;
        clean_reports(app, &made).await?;
        ids.extend(made);
    }
    Ok(ids)
}

/// A recent clean bureau report for each applicant, so every one takes the
/// straight-through path.
async fn clean_reports(app: &App, application_ids: &[i64]) -> Result<(), CliError> {
    let report = serde_json::json!({
        "checking_account": "none", "credit_history": "critical_account", "savings": "ge_1000",
        "employment_since": "4_to_7y", "property": "real_estate", "housing": "own",
        "other_installment_plans": "none", "personal_status_sex": "male_single",
        "installment_rate_pct": 1, "delinquencies_24m": 0, "total_debt": "0.00"
    })
    .to_string();
    let mut tx = app.db().begin().await?;
    for id in application_ids {
        let a = loanbook_store::applications::get(&mut *tx, *id)
            .await?
            .ok_or_else(|| CliError::Failed(format!("application {id} vanished")))?;
        loanbook_store::customer_records::insert_credit_report(
            &mut tx,
            &loanbook_store::customer_records::CreditReportRow {
                id: 0,
                customer_id: a.customer_id,
                bureau: "bench".into(),
                pulled_on: "2026-11-20".into(),
                report_json: report.clone(),
                created_at: "2026-11-23T00:00:00Z".into(),
            },
        )
        .await?;
    }
    tx.commit()
        .await
        .map_err(|e| CliError::Failed(format!("bench set-up: {e}")))?;
    Ok(())
}

/// A valid resident ID number for bench applicant `seq` (born 1975-01-01 plus a day per
/// 999 applicants).
fn id_number(seq: usize) -> String {
    let birth = NaiveDate::from_ymd_opt(1975, 1, 1).unwrap_or_default()
        + chrono::Days::new((seq / 999) as u64);
    demo::resident_id(
        &format!("440305{}", birth.format("%Y%m%d")),
        (seq % 999 + 1) as u64,
    )
}

/// A Luhn-valid bank card for bench applicant `seq`.
fn card(seq: usize) -> String {
    demo::bank_card(seq as u64)
}
