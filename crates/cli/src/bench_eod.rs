//! `loanbook bench eod`: one daily close of a synthetic portfolio, timed apart from its
//! set-up, beside a floor measured in the same run (the database's raw bulk update of the
//! same rows).
//!
//! Set-up (not timed): a fresh database (scratch SQLite, or the empty PostgreSQL database
//! given by `--postgres`), three products (annuity 12 months, equal principal 24 months,
//! interest-only 6 months), and `--loans` loans disbursed over the 60 days before the
//! business date, their state brought to the business date by the core's own close and
//! repayment functions in memory: 95% paid every installment on its due date, 5% never paid
//! (overdue, bearing penalty and compound interest). The bench database gets no opening
//! ledger entries (the close's own entries are posted as usual). Timed: `eod run` of the
//! business date with `--workers` workers; then the floor.

use std::time::Instant;

use chrono::{Duration, NaiveDate};
use clap::Args;
use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::{RepaymentMethod, ScheduleTerms, generate};
use loanbook_core::servicing::close::needs_installments;
use loanbook_core::servicing::repayment::apply_payment;
use loanbook_core::servicing::{
    InstallmentState, LoanAccount, OpenInstallment, ServicingTerms, close_day,
};
use loanbook_service::servicing::eod::{self, RunOptions};
use loanbook_service::servicing::repayments;
use loanbook_service::servicing::terms_of;
use loanbook_service::{Actor, App, admin, applications, customers, products};
use loanbook_store::crypto::Keys;
use loanbook_store::servicing::{BalanceRow, BulkLoan, bulk_insert, floor_update};
use loanbook_store::{Db, migrations};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::context::json;
use crate::error::CliError;

/// Arguments of `loanbook bench eod`.
#[derive(Debug, Args)]
pub struct EodArgs {
    /// Active loans in the portfolio.
    #[arg(long, default_value_t = 100_000)]
    loans: usize,
    /// Workers of the close in this process.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Loan ids per partition.
    #[arg(long, default_value_t = eod::DEFAULT_PARTITION_SIZE)]
    partition_size: i64,
    /// An empty PostgreSQL database to run on (default: a scratch SQLite file).
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// What a run measured.
#[derive(Debug, Serialize)]
struct Report {
    database: &'static str,
    loans: usize,
    late_loans: usize,
    workers: usize,
    partitions: u64,
    close_seconds: f64,
    loans_per_second: f64,
    floor_rows: u64,
    floor_seconds: f64,
    setup_seconds: f64,
    interest_accrued: String,
    penalty_accrued: String,
    newly_overdue: u64,
    fell_due: u64,
    notices: u64,
    cases_opened: u64,
    month_end_seconds: f64,
    /// Peak anonymous resident memory of this process during the close (its heap).
    close_peak_heap_mb: f64,
    /// Peak resident memory during the close, with the database pages SQLite maps.
    close_peak_rss_mb: f64,
}

/// The business date of the close the bench times.
fn bench_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default()
}

const PRODUCTS: [(&str, &str, u32); 3] = [
    ("B-ANNUITY", "annuity", 12),
    ("B-EQUAL", "equal_principal", 24),
    ("B-BULLET", "interest_only", 6),
];

/// A scratch database with the synthetic portfolio.
struct Portfolio {
    app: App,
    db: Db,
    _dir: tempfile::TempDir,
    late: usize,
    setup_seconds: f64,
    database: &'static str,
}

/// Builds the portfolio of `loans` loans (see the module docs) in a scratch directory.
async fn portfolio(loans: usize, postgres: Option<&str>) -> Result<Portfolio, CliError> {
    let started = Instant::now();
    let dir = tempfile::tempdir()
        .map_err(|e| CliError::Failed(format!("cannot make a scratch directory: {e}")))?;
    let (app, db, database) = open(dir.path(), postgres).await?;
    let late = build_book(&app, &db, loans).await?;
    Ok(Portfolio {
        app,
        db,
        _dir: dir,
        late,
        setup_seconds: started.elapsed().as_secs_f64(),
        database,
    })
}

/// A migrated database — the PostgreSQL one at `postgres`, else `bench.db` in `dir` —
/// and the application on it with its keys in `dir`.
pub(crate) async fn open(
    dir: &std::path::Path,
    postgres: Option<&str>,
) -> Result<(App, Db, &'static str), CliError> {
    let (url, database) = match postgres {
        Some(url) => (url.to_owned(), "postgres"),
        None => (
            format!("sqlite://{}", dir.join("bench.db").display()),
            "sqlite",
        ),
    };
    let db = Db::connect(&url).await?;
    migrations::migrate(&db).await?;
    let (keys, _) = Keys::load_or_create(dir)?;
    Ok((App::new(db.clone(), keys, dir), db, database))
}

/// Initialises the bank at the bench date and writes `loans` synthetic loans (ids 1 to
/// `loans`) of one customer; returns how many are late.
pub(crate) async fn build_book(app: &App, db: &Db, loans: usize) -> Result<usize, CliError> {
    let app = app.clone();
    let date = bench_date();
    let fail = |what: &'static str| {
        move |e: loanbook_service::ServiceError| {
            CliError::Failed(format!("bench set-up ({what}): {e}"))
        }
    };
    admin::initialise(&app, date, "admin", "Bench-admin-2026")
        .await
        .map_err(fail("init"))?;
    let actor = Actor::system();
    let mut terms = Vec::new();
    for (code, method, term) in PRODUCTS {
        let product = serde_json::json!({
            "code": code, "name": code, "currency": "CNY",
            "amount_min": "1000", "amount_max": "1000000", "term_min_months": 1, "term_max_months": 36,
            "rate_min": "0.01", "rate_max": "0.24", "methods": [method],
            "grace_days": 0, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up"
        });
        let v = products::add(&app, &actor, &product)
            .await
            .map_err(fail("product"))?;
        let p = loanbook_service::products::parse_product(&v.product).map_err(fail("product"))?;
        terms.push((code, method, term, terms_of(&p, Decimal::ZERO)));
    }
    applications::create_funding_source(
        &app,
        &actor,
        &applications::FundingSourceInput {
            code: "BENCH".into(),
            name: "bench funds".into(),
            currency: None,
            limit: "1000000000000.00".into(),
        },
    )
    .await
    .map_err(fail("funding source"))?;
    let customer = customers::create(
        &app,
        &actor,
        &customers::CustomerInput {
            kind: "individual".into(),
            name: "基准客户".into(),
            id_number: Some(loanbook_service::demo::resident_id("11010119850312", 1)),
            phone: Some("13800138000".into()),
            province: Some("广东省".into()),
            ..customers::CustomerInput::default()
        },
    )
    .await
    .map_err(fail("customer"))?
    .id;

    let at = loanbook_store::audit::timestamp(chrono::Utc::now());
    let mut late = 0;
    let batch = 5_000;
    let mut next_id = 1i64;
    let total = i64::try_from(loans).unwrap_or(i64::MAX);
    while next_id <= total {
        let last = (next_id + batch - 1).min(total);
        let mut chunk = Vec::with_capacity(5_000);
        for id in next_id..=last {
            let (loan, is_late) = synthetic_loan(id, customer, &mut terms, date)?;
            late += usize::from(is_late);
            chunk.push(loan);
        }
        let mut tx = db.begin().await?;
        bulk_insert(&mut tx, &chunk, &at).await?;
        tx.commit()
            .await
            .map_err(loanbook_store::StoreError::from)?;
        next_id = last + 1;
    }
    sqlx_analyze(db).await?;
    Ok(late)
}

/// Runs `bench eod`.
pub async fn run(args: &EodArgs) -> Result<String, CliError> {
    if args.loans == 0 {
        return Err(CliError::usage("--loans", "must be at least 1"));
    }
    let Portfolio {
        app,
        db,
        _dir,
        late,
        setup_seconds,
        database,
    } = portfolio(args.loans, args.postgres.as_deref()).await?;
    let actor = Actor::system();
    let opts = RunOptions {
        workers: args.workers,
        partition_size: args.partition_size,
        ..RunOptions::default()
    };
    let memory = MemorySampler::start();
    let clock = Instant::now();
    let reports = eod::run(&app, &actor, &opts, &|_, _, _| {}).await?;
    let close_seconds = clock.elapsed().as_secs_f64();
    let (close_peak_heap_mb, close_peak_rss_mb) = memory.stop();
    let report = reports
        .first()
        .ok_or_else(|| CliError::Failed("the close reported nothing".into()))?;

    let clock = Instant::now();
    let mut tx = db.begin().await?;
    let floor_rows = floor_update(&mut tx).await?;
    tx.commit()
        .await
        .map_err(loanbook_store::StoreError::from)?;
    let floor_seconds = clock.elapsed().as_secs_f64();

    // what the close of a month's last day adds: the book kept at the month end
    let clock = Instant::now();
    let mut tx = db.begin().await?;
    loanbook_store::reporting::write_month_end(&mut tx, "2026-11").await?;
    tx.commit()
        .await
        .map_err(loanbook_store::StoreError::from)?;
    let month_end_seconds = clock.elapsed().as_secs_f64();

    let out = Report {
        database,
        loans: args.loans,
        late_loans: late,
        workers: args.workers,
        partitions: report.partitions,
        close_seconds,
        loans_per_second: per_second(report.loans, close_seconds),
        floor_rows,
        floor_seconds,
        setup_seconds,
        interest_accrued: report.interest_accrued.to_string(),
        penalty_accrued: report.penalty_accrued.to_string(),
        newly_overdue: report.newly_overdue,
        fell_due: report.fell_due,
        notices: report.post_loan.notices,
        cases_opened: report.post_loan.cases_opened,
        month_end_seconds,
        close_peak_heap_mb,
        close_peak_rss_mb,
    };
    if args.json {
        return json(&out);
    }
    Ok(format!(
        "{database}: closed {} loans ({} late) in {:.2}s ({:.0} loans/s) with {} worker(s), {} partitions; floor (one bulk UPDATE of {} rows) {:.2}s; set-up {:.1}s\n\
         accrued interest {}, penalty {}, {} installments fell due, {} newly overdue; {} notices, {} collection cases opened; a month end adds {:.2}s; peak memory of the close {:.0} MiB heap, {:.0} MiB resident\n",
        out.loans,
        out.late_loans,
        out.close_seconds,
        out.loans_per_second,
        out.workers,
        out.partitions,
        out.floor_rows,
        out.floor_seconds,
        out.setup_seconds,
        out.interest_accrued,
        out.penalty_accrued,
        out.fell_due,
        out.newly_overdue,
        out.notices,
        out.cases_opened,
        out.month_end_seconds,
        out.close_peak_heap_mb,
        out.close_peak_rss_mb
    ))
}

#[allow(clippy::cast_precision_loss, clippy::float_arithmetic)]
pub(crate) fn per_second(n: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        n as f64 / seconds
    } else {
        0.0
    }
}

/// Samples this process's resident memory every 20 ms until stopped (Linux
/// `/proc/self/status`), keeping the peak of the anonymous part (the heap: what the
/// process itself holds) and of the whole (with the pages of the database file SQLite
/// maps, which are the kernel's page cache).
pub(crate) struct MemorySampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<(u64, u64)>,
}

impl MemorySampler {
    pub(crate) fn start() -> MemorySampler {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let (mut anon, mut total) = (0u64, 0u64);
            loop {
                let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
                let kb = |key: &str| {
                    status
                        .lines()
                        .find_map(|l| l.strip_prefix(key))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                        .unwrap_or(0)
                };
                anon = anon.max(kb("RssAnon:"));
                total = total.max(kb("VmRSS:"));
                if flag.load(std::sync::atomic::Ordering::Relaxed) {
                    return (anon, total);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        });
        MemorySampler { stop, thread }
    }

    /// Stops sampling; the peaks in MiB: (anonymous, whole).
    #[allow(clippy::cast_precision_loss, clippy::float_arithmetic)]
    pub(crate) fn stop(self) -> (f64, f64) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (anon, total) = self.thread.join().unwrap_or((0, 0));
        (anon as f64 / 1024.0, total as f64 / 1024.0)
    }
}

pub(crate) async fn sqlx_analyze(db: &Db) -> Result<(), CliError> {
    loanbook_store::servicing::analyze(db).await?;
    Ok(())
}

/// Loan `id`: its product, amount, rate and start from its id; its state at the close of
/// the day before `date` from the core's own functions.
fn synthetic_loan(
    id: i64,
    customer: i64,
    products: &mut [(&'static str, &'static str, u32, ServicingTerms)],
    date: NaiveDate,
) -> Result<(BulkLoan, bool), CliError> {
    let k = usize::try_from(id).unwrap_or(0);
    let (code, method_code, term, terms) = &mut products[k % 3];
    let method = RepaymentMethod::ALL
        .into_iter()
        .find(|m| m.code() == *method_code)
        .unwrap_or(RepaymentMethod::Annuity);
    let principal = Money::from_minor(1_000_000 + (id % 190) * 100_000, Currency::CNY);
    let rate_text = format!("0.{:04}", 600 + (id % 12) * 100);
    let rate = AnnualRate::parse(&rate_text).map_err(|e| CliError::Failed(e.to_string()))?;
    let start = date - Duration::days(1 + (id % 60));
    let schedule = generate(&ScheduleTerms::new(principal, rate, *term, method, start))
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let mut inst: Vec<OpenInstallment> = schedule
        .installments()
        .iter()
        .map(|i| OpenInstallment {
            number: i.number,
            period_start: i.period_start,
            due_date: i.due_date,
            principal: i.principal.amount_minor(),
            interest: i.interest.amount_minor(),
            paid_principal: 0,
            paid_interest: 0,
            state: InstallmentState::Pending,
            paid_on: None,
        })
        .collect();
    // one loan in twenty never pays, spread over the start dates
    let late = id % 20 == (id / 20) % 20;
    terms.annual_rate = rate.as_decimal();
    let mut acct = LoanAccount::new(id, principal.amount_minor(), start, &inst[0]);
    let mut day = start;
    while day < date {
        if !late && acct.next_due == Some(day) {
            let due = inst
                .iter()
                .find(|i| i.due_date == day)
                .map_or(0, |i| i.principal + i.interest);
            apply_payment(&mut acct, &mut inst, due, day, terms)
                .map_err(|e| CliError::Failed(e.to_string()))?;
        }
        if needs_installments(&acct, day, terms.grace_days) {
            close_day(&mut acct, &mut inst, terms, day)
        } else {
            close_day(&mut acct, &mut [], terms, day)
        }
        .map_err(|e| CliError::Failed(e.to_string()))?;
        day += Duration::days(1);
    }
    Ok((
        BulkLoan {
            balance: BalanceRow {
                account: acct,
                product_code: (*code).into(),
                product_version: 1,
                funding_source: "BENCH".into(),
                annual_rate: rate_text,
                active: true,
                version: 1,
            },
            customer_id: customer,
            method: method.code().into(),
            term: i64::from(*term),
            principal_minor: principal.amount_minor(),
            start,
            installments: inst,
        },
        late,
    ))
}

/// Arguments of `loanbook bench repayments`.
#[derive(Debug, Args)]
pub struct RepaymentArgs {
    /// Active loans in the portfolio.
    #[arg(long, default_value_t = 20_000)]
    loans: usize,
    /// Repayments to post.
    #[arg(long, default_value_t = 20_000)]
    count: usize,
    /// Concurrent posters.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// An empty PostgreSQL database to run on (default: a scratch SQLite file).
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// What a repayment run measured.
#[derive(Debug, Serialize)]
struct RepaymentReport {
    database: &'static str,
    loans: usize,
    repayments: usize,
    concurrency: usize,
    seconds: f64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    setup_seconds: f64,
}

/// Runs `bench repayments`: each a committed transaction through the service (idempotency
/// key, waterfall, balances, installments, per-loan journal entry, loan transaction,
/// audit record), spread over the loans.
pub async fn repayments(args: &RepaymentArgs) -> Result<String, CliError> {
    if args.loans == 0 || args.count == 0 || args.concurrency == 0 {
        return Err(CliError::usage(
            "--loans",
            "--count and --concurrency must be at least 1",
        ));
    }
    let p = portfolio(args.loans, args.postgres.as_deref()).await?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let clock = Instant::now();
    let poster = |_n: usize| {
        let app = &p.app;
        let next = &next;
        async move {
            let actor = Actor::system();
            let mut latencies = Vec::new();
            loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if k >= args.count {
                    break;
                }
                let loan = i64::try_from(k % args.loans).unwrap_or(0) + 1;
                let input = repayments::RepaymentInput {
                    amount: "100.00".into(),
                    reference: Some(format!("bench-{k}")),
                    ..repayments::RepaymentInput::default()
                };
                let started = Instant::now();
                repayments::repay(app, &actor, loan, &input, Some(&format!("bench-{k}")))
                    .await
                    .map_err(|e| CliError::Failed(format!("repayment {k}: {e}")))?;
                latencies.push(started.elapsed());
            }
            Ok::<_, CliError>(latencies)
        }
    };
    let tasks: Vec<_> = (0..args.concurrency).map(poster).collect();
    let mut latencies = Vec::new();
    for result in eod_join(tasks).await {
        latencies.extend(result?);
    }
    let seconds = clock.elapsed().as_secs_f64();
    latencies.sort();
    let pick = |q: usize| {
        latencies
            .get(latencies.len() * q / 100)
            .map_or(0.0, |d| millis(*d))
    };
    let out = RepaymentReport {
        database: p.database,
        loans: args.loans,
        repayments: args.count,
        concurrency: args.concurrency,
        seconds,
        per_second: per_second(u64::try_from(args.count).unwrap_or(0), seconds),
        p50_ms: pick(50),
        p99_ms: pick(99),
        setup_seconds: p.setup_seconds,
    };
    if args.json {
        return json(&out);
    }
    Ok(format!(
        "{}: {} repayments over {} loans by {} posters in {:.2}s: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms (set-up {:.1}s)\n",
        out.database,
        out.repayments,
        out.loans,
        out.concurrency,
        out.seconds,
        out.per_second,
        out.p50_ms,
        out.p99_ms,
        out.setup_seconds
    ))
}

#[allow(clippy::float_arithmetic)]
fn millis(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs futures concurrently on this task and collects their results.
async fn eod_join<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let handles: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut out = Vec::new();
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut left = false;
        for slot in &mut pending {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        out.push(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => left = true,
                }
            }
        }
        if left {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out
}
