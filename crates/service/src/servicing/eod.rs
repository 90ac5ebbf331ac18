//! The daily close (日终, DESIGN.md §5).
//!
//! Steps of the close of business date D:
//! 1. prepare: the run of D and its partitions (loan-id ranges of active loans) are
//!    written once; a second process joining the close finds them;
//! 2. work: each worker claims a pending partition in its own transaction (on PostgreSQL
//!    `FOR UPDATE SKIP LOCKED`, so a worker that dies releases it), reads its loans in one
//!    query and the open installments of those with something falling due or passing grace
//!    in another, closes every loan (`loanbook_core::servicing::close_day`: accrual, due,
//!    overdue, penalty and compound interest, DPD, bucket, class, non-accrual, provision),
//!    writes the balances in multi-row updates, posts one summary entry per product, and
//!    marks the partition done — all in that one transaction, so a crash loses the
//!    partition's work whole and the next run does it again (no loan accrued twice).
//!    With the balances, the same transaction writes the post-loan step (DESIGN.md §5
//!    step 7, [`crate::collections::close`]): notices for reminders and overdue notices,
//!    collection cases opened, moved and closed, delinquency warnings, promises to pay
//!    judged, and an inspection for a loan whose class worsened;
//! 3. finish: once no partition is left, new collection cases are given to collectors,
//!    the portfolio snapshot is written, the run gets its report and the business date
//!    moves to D + 1.
//!
//! A loan refuses to be closed for a date other than the day after its last close, so a
//! repeated run changes nothing and missed dates are caught up in order (`--until`).

use std::collections::HashMap;
use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use loanbook_core::ledger::{LineDraft, Side, check_summary_entry};
use loanbook_core::money::{Currency, Money};
use loanbook_core::servicing::close::needs_installments;
use loanbook_core::servicing::postings::{advance_lines, close_lines};
use loanbook_core::servicing::{DayOutcome, OpenInstallment, ServicingTerms, close_day};
use loanbook_store::audit::timestamp;
use loanbook_store::ledger::{EntryRow, LineRow, insert_entry};
use loanbook_store::servicing::{self as store, BalanceRow, Partition};
use loanbook_store::{Tx, business_date};
use serde::{Deserialize, Serialize};

use super::{parse_rate, terms_of};
use crate::{Actor, App, Permission, ServiceError, record};

/// Loan ids per partition by default.
pub const DEFAULT_PARTITION_SIZE: i64 = 20_000;

/// The most dates one run catches up.
pub const MAX_CATCH_UP_DAYS: i64 = 3_700;

/// The most concurrent workers one process runs.
pub const MAX_WORKERS: usize = 64;

/// What one partition (and, summed, one close) did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseStats {
    /// Loans closed.
    pub loans: u64,
    /// Contractual interest accrued into income (minor units).
    pub interest_accrued_minor: i64,
    /// Interest accrued off book (non-accrual loans).
    pub interest_off_book_minor: i64,
    /// Penalty and compound interest accrued into income.
    pub penalty_accrued_minor: i64,
    /// Installments that fell due.
    pub fell_due: u64,
    /// Installments that became overdue.
    pub newly_overdue: u64,
    /// Principal moved to overdue.
    pub principal_to_overdue_minor: i64,
    /// Late fees charged.
    pub late_fees_minor: i64,
    /// Change of provisions.
    pub provision_delta_minor: i64,
    /// Loans whose class changed.
    pub class_changes: u64,
    /// The portfolio at the close, per (product, bucket, class).
    #[serde(default)]
    pub portfolio: Vec<PortfolioCell>,
    /// Notices, collection cases and promises (step 7).
    #[serde(default)]
    pub post_loan: crate::collections::close::StepStats,
}

/// One cell of the portfolio snapshot: the loans of a product in a bucket and class.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortfolioCell {
    /// Product code.
    pub product: String,
    /// Collection bucket.
    pub bucket: String,
    /// Five-tier class.
    pub class: String,
    /// Loans.
    pub loans: i64,
    /// Principal outstanding.
    pub principal_minor: i64,
    /// Overdue principal and interest.
    pub overdue_minor: i64,
    /// Provisions held.
    pub provision_minor: i64,
}

/// Adds `cell` into `cells` (summing a cell with the same product, bucket and class).
fn add_cell(cells: &mut Vec<PortfolioCell>, cell: &PortfolioCell) {
    match cells
        .iter_mut()
        .find(|c| c.product == cell.product && c.bucket == cell.bucket && c.class == cell.class)
    {
        Some(c) => {
            c.loans += cell.loans;
            c.principal_minor += cell.principal_minor;
            c.overdue_minor += cell.overdue_minor;
            c.provision_minor += cell.provision_minor;
        }
        None => cells.push(cell.clone()),
    }
}

impl CloseStats {
    fn add(&mut self, o: &CloseStats) {
        self.loans += o.loans;
        self.interest_accrued_minor += o.interest_accrued_minor;
        self.interest_off_book_minor += o.interest_off_book_minor;
        self.penalty_accrued_minor += o.penalty_accrued_minor;
        self.fell_due += o.fell_due;
        self.newly_overdue += o.newly_overdue;
        self.principal_to_overdue_minor += o.principal_to_overdue_minor;
        self.late_fees_minor += o.late_fees_minor;
        self.provision_delta_minor += o.provision_delta_minor;
        self.class_changes += o.class_changes;
        self.post_loan.add(&o.post_loan);
        for cell in &o.portfolio {
            add_cell(&mut self.portfolio, cell);
        }
    }

    fn add_outcome(&mut self, o: &DayOutcome) {
        self.loans += 1;
        self.interest_accrued_minor += o.interest_accrued;
        self.interest_off_book_minor += o.interest_off_book;
        self.penalty_accrued_minor += o.penalty_accrued + o.compound_accrued;
        self.fell_due += u64::from(o.fell_due);
        self.newly_overdue += u64::from(o.newly_overdue);
        self.principal_to_overdue_minor += o.principal_to_overdue;
        self.late_fees_minor += o.late_fees;
        self.provision_delta_minor += o.provision_delta;
        self.class_changes += u64::from(o.class_change.is_some());
    }
}

/// The end report of the close of one date.
#[derive(Clone, Debug, Serialize)]
pub struct CloseReport {
    /// The business date closed.
    pub business_date: NaiveDate,
    /// The business date now open.
    pub next_business_date: NaiveDate,
    /// Partitions the loans were split into.
    pub partitions: u64,
    /// Loans closed.
    pub loans: u64,
    /// Interest accrued into income.
    pub interest_accrued: Money,
    /// Penalty and compound interest accrued into income.
    pub penalty_accrued: Money,
    /// Installments that fell due.
    pub fell_due: u64,
    /// Installments newly overdue.
    pub newly_overdue: u64,
    /// Class changes.
    pub class_changes: u64,
    /// Change of provisions.
    pub provision_delta: Money,
    /// Wall-clock milliseconds of this process's part of the close.
    pub duration_ms: u64,
    /// Whether this run found the date already closed (nothing changed).
    pub already_closed: bool,
    /// Notices, collection cases and promises (step 7).
    pub post_loan: crate::collections::close::StepStats,
}

/// How to run the close.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Close every date up to and including this one (default: the open business date).
    pub until: Option<NaiveDate>,
    /// Concurrent workers in this process (partitions are shared with other processes).
    pub workers: usize,
    /// Loan ids per partition.
    pub partition_size: i64,
    /// Name of this process in the partition records.
    pub worker_name: String,
    /// Seconds a claim on a partition holds: a worker that died loses its partitions to the
    /// others after this (a live one writes a partition in well under a second).
    pub lease_seconds: i64,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            until: None,
            workers: 2,
            partition_size: DEFAULT_PARTITION_SIZE,
            worker_name: format!("pid-{}", std::process::id()),
            lease_seconds: DEFAULT_LEASE_SECONDS,
        }
    }
}

/// Progress of a close: (date, partitions done by this process, partitions in all).
pub type Progress<'a> = &'a (dyn Fn(NaiveDate, u64, u64) + Sync);

/// Runs the close of the open business date, or of every date through `opts.until`.
///
/// # Errors
/// Forbidden without `eod:run`; [`ServiceError::Invalid`] for an `until` before the open
/// business date or too far ahead; a conflict when a loan is out of step.
pub async fn run(
    app: &App,
    actor: &Actor,
    opts: &RunOptions,
    progress: Progress<'_>,
) -> Result<Vec<CloseReport>, ServiceError> {
    actor.require(Permission::EodRun)?;
    let open = app.business_date().await?;
    let until = opts.until.unwrap_or(open);
    if until < open.pred_opt().unwrap_or(open) {
        return Err(ServiceError::invalid(
            "until",
            format!("{until} is before the open business date {open}"),
        ));
    }
    if (until - open).num_days() > MAX_CATCH_UP_DAYS {
        return Err(ServiceError::invalid(
            "until",
            format!("at most {MAX_CATCH_UP_DAYS} days are closed in one run (got {until})"),
        ));
    }
    let mut reports = Vec::new();
    if until < open {
        // the date asked was closed already: a re-run changes nothing
        reports.push(already_closed(until, open));
        return Ok(reports);
    }
    loop {
        let date = app.business_date().await?;
        if date > until {
            break;
        }
        reports.push(close_date(app, actor, date, opts, progress).await?);
    }
    app.db().refresh_statistics().await?;
    Ok(reports)
}

fn already_closed(date: NaiveDate, open: NaiveDate) -> CloseReport {
    CloseReport {
        business_date: date,
        next_business_date: open,
        partitions: 0,
        loans: 0,
        interest_accrued: Money::zero(Currency::CNY),
        penalty_accrued: Money::zero(Currency::CNY),
        fell_due: 0,
        newly_overdue: 0,
        class_changes: 0,
        provision_delta: Money::zero(Currency::CNY),
        duration_ms: 0,
        already_closed: true,
        post_loan: crate::collections::close::StepStats::default(),
    }
}

async fn close_date(
    app: &App,
    actor: &Actor,
    date: NaiveDate,
    opts: &RunOptions,
    progress: Progress<'_>,
) -> Result<CloseReport, ServiceError> {
    let started = Instant::now();
    super::restructure::reprice_due(app, date).await?;
    let total = prepare(app, date, opts.partition_size).await?;
    let done = std::sync::atomic::AtomicU64::new(0);
    let worker = |n: usize| {
        let name = format!("{}/{n}", opts.worker_name);
        let done = &done;
        async move {
            while process_one(app, date, &name, opts.lease_seconds).await? {
                let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(date, d, total);
            }
            Ok::<(), ServiceError>(())
        }
    };
    // work until nothing is left; partitions held by other processes are waited for, and
    // taken over when their claims lapse (a worker that died)
    let mut waits = 0u32;
    loop {
        let workers: Vec<_> = (0..opts.workers.clamp(1, MAX_WORKERS))
            .map(worker)
            .collect();
        for result in futures_join_all(workers).await {
            result?;
        }
        if store::partitions_left(app.db().pool(), date).await? == 0 {
            break;
        }
        waits += 1;
        if waits > 36_000 {
            return Err(ServiceError::Conflict(format!(
                "the close of {date} is still running elsewhere after an hour"
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    finish(app, actor, date, total, started).await
}

/// Runs futures concurrently on this task and collects their results in order.
async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in pinned.iter_mut().zip(results.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

/// Writes the run of `date` and its partitions unless they exist; returns the partitions.
async fn prepare(app: &App, date: NaiveDate, size: i64) -> Result<u64, ServiceError> {
    let mut tx = app.db().begin().await?;
    if store::run_status(&mut *tx, date).await?.is_none() {
        let size = size.clamp(1, 10_000_000);
        let mut partitions = Vec::new();
        if let Some((lo, hi)) = store::active_id_range(&mut tx).await? {
            let mut start = lo;
            while start <= hi {
                let end = start.saturating_add(size - 1).min(hi);
                partitions.push(Partition {
                    partition_no: i64::try_from(partitions.len()).unwrap_or(i64::MAX) + 1,
                    lo_id: start,
                    hi_id: end,
                });
                start = end.saturating_add(1);
            }
        }
        store::start_run(&mut tx, date, &partitions, &timestamp(app.now())).await?;
    }
    let total = store::partitions_left(&mut *tx, date).await?;
    tx.commit()
        .await
        .map_err(loanbook_store::StoreError::from)?;
    Ok(u64::try_from(total).unwrap_or(0))
}

/// A fault hook for the crash tests: `LOANBOOK_FAULT=eod-partition:N` aborts the process
/// in the middle of the N-th partition it processes (after its writes, before commit).
fn fault_point(count: u64) {
    if let Ok(spec) = std::env::var("LOANBOOK_FAULT")
        && let Some(n) = spec.strip_prefix("eod-partition:")
        && n.parse::<u64>().ok() == Some(count)
    {
        eprintln!("LOANBOOK_FAULT: aborting in partition {count}");
        std::process::abort();
    }
}

static PROCESSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How long a claim on a partition holds by default (see [`RunOptions::lease_seconds`]).
pub const DEFAULT_LEASE_SECONDS: i64 = 10;

/// Claims and closes one partition; false when none is left to claim.
///
/// The claim commits on its own; the loans are then read and closed outside any write
/// transaction (so on SQLite another worker's read overlaps this one's write), and written
/// in one transaction that checks every loan's version and the claim: a loan changed
/// meanwhile (a repayment) makes the partition run again; a lost claim rolls it back.
async fn process_one(
    app: &App,
    date: NaiveDate,
    worker: &str,
    lease_seconds: i64,
) -> Result<bool, ServiceError> {
    let now = app.now();
    let expired = now - chrono::Duration::seconds(lease_seconds.clamp(0, 3600));
    let mut tx = app.db().begin().await?;
    let claimed = store::claim_partition(
        &mut tx,
        date,
        worker,
        &timestamp(now),
        &timestamp(expired),
        app.db().backend(),
    )
    .await?;
    tx.commit()
        .await
        .map_err(loanbook_store::StoreError::from)?;
    let Some(p) = claimed else {
        return Ok(false);
    };
    for _attempt in 0..5 {
        let Some(work) = close_partition(app, date, &p).await? else {
            return Ok(true);
        };
        let mut tx = app.db().begin().await?;
        if write_partition(&mut tx, app, date, &p, &work).await? {
            let json = serde_json::to_string(&work.stats).unwrap_or_default();
            let at = timestamp(app.now());
            if !store::finish_partition(&mut tx, date, p.partition_no, worker, &json, &at).await? {
                tx.rollback()
                    .await
                    .map_err(loanbook_store::StoreError::from)?;
                return Ok(true);
            }
            fault_point(PROCESSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
            tx.commit()
                .await
                .map_err(loanbook_store::StoreError::from)?;
            return Ok(true);
        }
        // a repayment changed a loan meanwhile: read and close the partition again
        tx.rollback()
            .await
            .map_err(loanbook_store::StoreError::from)?;
    }
    Err(ServiceError::Conflict(format!(
        "the close of {date} kept meeting concurrent changes; run it again"
    )))
}

/// A partition closed in memory, to be written.
struct ClosedPartition {
    rows: Vec<BalanceRow>,
    quiet: Vec<bool>,
    changed: Vec<(i64, OpenInstallment)>,
    class_changes: Vec<(
        i64,
        loanbook_core::delinquency::FiveTier,
        loanbook_core::delinquency::FiveTier,
        u32,
    )>,
    advances: Vec<(i64, loanbook_core::servicing::repayment::PaymentSplit)>,
    per_product: Vec<(String, DayOutcome)>,
    steps: crate::collections::close::Steps,
    stats: CloseStats,
}

/// Reads the loans of one partition (outside any transaction) and closes each in memory.
async fn close_partition(
    app: &App,
    date: NaiveDate,
    p: &Partition,
) -> Result<Option<ClosedPartition>, ServiceError> {
    let previous = date.pred_opt().unwrap_or(date);
    let clock = Instant::now();
    let pool = app.db().pool();
    let mut rows =
        store::active_in_range(pool, app.db().backend(), p.lo_id, p.hi_id, previous).await?;
    let read = clock.elapsed();
    let out_of_step = store::out_of_step(pool, p.lo_id, p.hi_id, previous).await?;
    let today = date.to_string();
    if out_of_step
        .iter()
        .all(|(_, last)| last.as_deref() == Some(today.as_str()))
        && !out_of_step.is_empty()
    {
        // another worker closed this partition (its claim had lapsed): nothing to do
        return Ok(None);
    }
    if let Some((loan, last)) = out_of_step
        .iter()
        .find(|(_, last)| last.as_deref() != Some(today.as_str()))
    {
        return Err(ServiceError::Conflict(format!(
            "loan {loan} was last closed on {} but the close of {date} needs {previous}",
            last.as_deref().unwrap_or("(never)")
        )));
    }
    let mut terms: HashMap<(String, i64), ServicingTerms> = HashMap::new();
    for r in &rows {
        let key = (r.product_code.clone(), r.product_version);
        if let std::collections::hash_map::Entry::Vacant(slot) = terms.entry(key) {
            let product =
                crate::products::load_version(app, &r.product_code, r.product_version).await?;
            slot.insert(terms_of(&product, parse_rate(&r.annual_rate)?));
        }
    }
    let grace = |r: &BalanceRow| {
        terms
            .get(&(r.product_code.clone(), r.product_version))
            .map_or(0, |t| t.grace_days)
    };
    let event_ids: Vec<i64> = rows
        .iter()
        .filter(|r| needs_installments(&r.account, date, grace(r)))
        .map(|r| r.account.loan_id)
        .collect();
    let mut open: HashMap<i64, Vec<OpenInstallment>> = HashMap::new();
    for (loan, i) in store::open_installments(app.db(), &event_ids).await? {
        open.entry(loan).or_default().push(i);
    }
    let post_loan = crate::collections::close::read(app.db(), p.lo_id, p.hi_id).await?;
    let mut steps = crate::collections::close::Steps::default();
    let loaded = clock.elapsed();

    let mut stats = CloseStats::default();
    let mut per_product: HashMap<String, DayOutcome> = HashMap::new();
    let mut class_changes = Vec::new();
    let mut changed: Vec<(i64, OpenInstallment)> = Vec::new();
    let mut advances = Vec::new();
    let mut rate_text = String::new();
    let mut rate = rust_decimal::Decimal::ZERO;
    let mut quiet = Vec::with_capacity(rows.len());
    let mut key = (String::new(), 0);
    for r in &mut rows {
        let before = r.account.clone();
        key.0.clone_from(&r.product_code);
        key.1 = r.product_version;
        let t = terms
            .get_mut(&key)
            .ok_or_else(|| ServiceError::Conflict("product terms missing".into()))?;
        if r.annual_rate != rate_text {
            rate = parse_rate(&r.annual_rate)?;
            rate_text.clone_from(&r.annual_rate);
        }
        t.annual_rate = rate;
        let loan_id = r.account.loan_id;
        let inst = open.get_mut(&loan_id).map_or(&mut [][..], |v| &mut v[..]);
        let out = close_day(&mut r.account, inst, t, date)
            .map_err(|e| ServiceError::Conflict(e.to_string()))?;
        if out.installments_changed {
            changed.extend(inst.iter().map(|i| (loan_id, i.clone())));
        }
        if let Some((from, to)) = out.class_change {
            class_changes.push((loan_id, from, to, r.account.dpd));
        }
        if out.advance_applied.total() > 0 {
            advances.push((loan_id, out.advance_applied.clone()));
        }
        quiet.push(r.account.only_accrual_changed(&before));
        steps.loan(&post_loan, &before, &r.account, date);
        stats.add_outcome(&out);
        let a = &r.account;
        add_cell(
            &mut stats.portfolio,
            &PortfolioCell {
                product: r.product_code.clone(),
                bucket: a.bucket().code().into(),
                class: a.class.code().into(),
                loans: 1,
                principal_minor: a.principal_outstanding,
                overdue_minor: a.overdue_principal + a.overdue_interest,
                provision_minor: a.provision,
            },
        );
        match per_product.get_mut(&r.product_code) {
            Some(total) => total.add(&out),
            None => {
                let mut total = DayOutcome::default();
                total.add(&out);
                per_product.insert(r.product_code.clone(), total);
            }
        }
    }
    let serviced: Vec<i64> = rows.iter().map(|r| r.account.loan_id).collect();
    steps.finish(&post_loan, &serviced, date);
    stats.post_loan = steps.stats;
    let mut per_product: Vec<(String, DayOutcome)> = per_product.into_iter().collect();
    per_product.sort_by(|a, b| a.0.cmp(&b.0));
    tracing::debug!(
        partition = p.partition_no,
        loans = rows.len(),
        events = event_ids.len(),
        read_ms = read.as_millis(),
        installments_ms = (loaded - read).as_millis(),
        compute_ms = (clock.elapsed() - loaded).as_millis(),
        "closed a partition in memory"
    );
    Ok(Some(ClosedPartition {
        rows,
        quiet,
        changed,
        class_changes,
        advances,
        per_product,
        steps,
        stats,
    }))
}

/// Writes a partition closed in memory inside `tx`; false when a loan changed meanwhile.
async fn write_partition(
    tx: &mut Tx<'_>,
    app: &App,
    date: NaiveDate,
    p: &Partition,
    w: &ClosedPartition,
) -> Result<bool, ServiceError> {
    let clock = Instant::now();
    let (narrow, full): (Vec<_>, Vec<_>) = w.rows.iter().zip(&w.quiet).partition(|(_, q)| **q);
    let narrow: Vec<&BalanceRow> = narrow.into_iter().map(|(r, _)| r).collect();
    let full: Vec<BalanceRow> = full.into_iter().map(|(r, _)| r.clone()).collect();
    let written =
        store::write_accruals(tx, &narrow).await? + store::write_balances(tx, &full).await?;
    if written != w.rows.len() as u64 {
        return Ok(false);
    }
    let refs: Vec<(i64, &OpenInstallment)> = w.changed.iter().map(|(l, i)| (*l, i)).collect();
    store::write_installments(tx, &refs).await?;
    store::insert_class_changes(tx, date, &w.class_changes, "daily close", "eod").await?;
    w.steps.write(tx, date, &timestamp(app.now())).await?;
    let worsened: Vec<_> = w
        .class_changes
        .iter()
        .filter(|(_, from, to, _)| to > from)
        .map(|(loan, from, to, _)| (*loan, *from, *to))
        .collect();
    crate::inspections::after_class_changes(tx, date, &worsened).await?;
    for (product, total) in &w.per_product {
        let lines = close_lines(total);
        let description = format!(
            "daily close {date}, product {product}, partition {}",
            p.partition_no
        );
        post_summary(tx, app, date, &description, &lines).await?;
    }
    for (loan, split) in &w.advances {
        let description = format!("daily close {date}: advance applied to loan {loan}");
        post_summary(tx, app, date, &description, &advance_lines(*loan, split)).await?;
    }
    tracing::debug!(
        partition = p.partition_no,
        write_ms = clock.elapsed().as_millis(),
        "wrote a partition"
    );
    Ok(true)
}

/// Posts a summary entry of the close for `date` (source `eod`).
async fn post_summary(
    tx: &mut Tx<'_>,
    app: &App,
    date: NaiveDate,
    description: &str,
    lines: &[LineDraft],
) -> Result<(), ServiceError> {
    if lines.is_empty() {
        return Ok(());
    }
    check_summary_entry(lines)
        .map_err(|e| ServiceError::Conflict(format!("{description}: {e}")))?;
    let row = EntryRow {
        id: 0,
        business_date: date.to_string(),
        posted_at: timestamp(app.now()),
        description: description.to_owned(),
        source: "eod".into(),
        reverses_entry_id: None,
        created_by: "eod".into(),
        lines: lines
            .iter()
            .map(|l| LineRow {
                account_code: l.account.clone(),
                loan_id: l.loan_id,
                funding_source: l.funding_source.clone(),
                currency: Currency::CNY.code().into(),
                debit_minor: if l.side == Side::Debit {
                    l.amount_minor
                } else {
                    0
                },
                credit_minor: if l.side == Side::Credit {
                    l.amount_minor
                } else {
                    0
                },
            })
            .collect(),
    };
    insert_entry(tx, &row).await?;
    Ok(())
}

/// Writes the snapshot and the report and opens the next business date (once, whichever
/// process gets here first).
async fn finish(
    app: &App,
    actor: &Actor,
    date: NaiveDate,
    partitions: u64,
    started: Instant,
) -> Result<CloseReport, ServiceError> {
    let next = date.succ_opt().unwrap_or(date);
    let mut tx = app.db().begin().await?;
    let mut stats = CloseStats::default();
    for json in store::partition_stats(&mut tx, date).await? {
        if let Ok(s) = serde_json::from_str::<CloseStats>(&json) {
            stats.add(&s);
        }
    }
    let cny = |m| Money::from_minor(m, Currency::CNY);
    let report = CloseReport {
        business_date: date,
        next_business_date: next,
        partitions,
        loans: stats.loans,
        interest_accrued: cny(stats.interest_accrued_minor),
        penalty_accrued: cny(stats.penalty_accrued_minor),
        fell_due: stats.fell_due,
        newly_overdue: stats.newly_overdue,
        class_changes: stats.class_changes,
        provision_delta: cny(stats.provision_delta_minor),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        already_closed: false,
        post_loan: stats.post_loan,
    };
    if store::run_status(&mut *tx, date).await?.as_deref() == Some("done") {
        tx.rollback()
            .await
            .map_err(loanbook_store::StoreError::from)?;
        return Ok(report);
    }
    let cells: Vec<store::SnapshotCell> = stats
        .portfolio
        .iter()
        .map(|c| store::SnapshotCell {
            product_code: c.product.clone(),
            bucket: c.bucket.clone(),
            five_tier_class: c.class.clone(),
            loans: c.loans,
            principal_minor: c.principal_minor,
            overdue_minor: c.overdue_minor,
            provision_minor: c.provision_minor,
        })
        .collect();
    store::write_snapshot(&mut tx, date, &cells).await?;
    let at = timestamp(app.now());
    let assigned = crate::collections::close::assign_new(&mut tx, &at).await?;
    // the last day of a month: the book at the month end, for roll rates and vintages
    if next.month() != date.month() {
        let month = date.format("%Y-%m").to_string();
        loanbook_store::reporting::write_month_end(&mut tx, &month).await?;
    }
    tracing::debug!(%date, assigned, "collection cases assigned");
    let summary = CloseStats {
        portfolio: Vec::new(),
        ..stats.clone()
    };
    let json = serde_json::to_string(&summary).unwrap_or_default();
    store::finish_run(&mut tx, date, &json, &at).await?;
    if !business_date::advance(&mut tx, date, next, &at).await? {
        return Err(ServiceError::Conflict(format!(
            "the business date moved while closing {date}"
        )));
    }
    record(
        &mut tx,
        actor,
        "eod.close",
        "business_date",
        &date.to_string(),
        None,
        Some(serde_json::to_value(&summary).unwrap_or_default()),
    )
    .await?;
    tx.commit()
        .await
        .map_err(loanbook_store::StoreError::from)?;
    Ok(report)
}

/// The last date a scheduled close should have closed by `now` (local wall-clock time of
/// the lender) when the close runs daily at `at`: today once `at` has passed, else
/// yesterday; `None` when the open business date is already past it (nothing to do).
/// Missed days (a server that was down) are caught up in one run.
pub fn scheduled_through(
    business_date: NaiveDate,
    now: chrono::NaiveDateTime,
    at: chrono::NaiveTime,
) -> Option<NaiveDate> {
    let today = now.date();
    let through = if now.time() >= at {
        today
    } else {
        today.pred_opt()?
    };
    (business_date <= through).then_some(through)
}

/// The most recent closes: (date, status, started, finished, report).
///
/// # Errors
/// Forbidden without `loan:read`.
pub async fn history(
    app: &App,
    actor: &Actor,
    limit: i64,
) -> Result<Vec<serde_json::Value>, ServiceError> {
    actor.require(Permission::LoanRead)?;
    Ok(store::runs(app.db(), limit)
        .await?
        .into_iter()
        .map(|(date, status, started, finished, report)| {
            serde_json::json!({
                "business_date": date,
                "status": status,
                "started_at": started,
                "finished_at": finished,
                "report": serde_json::from_str::<serde_json::Value>(&report).unwrap_or_default(),
            })
        })
        .collect())
}

/// The progress of the close of the open business date: (date, partitions done, all
/// partitions; 0 of 0 before it starts).
///
/// # Errors
/// Forbidden without `loan:read`.
pub async fn progress(app: &App, actor: &Actor) -> Result<(NaiveDate, i64, i64), ServiceError> {
    actor.require(Permission::LoanRead)?;
    let open = app.business_date().await?;
    let (done, all) = store::partition_progress(app.db(), &open.to_string()).await?;
    Ok((open, done, all))
}

#[cfg(test)]
mod schedule_tests {
    use super::*;

    fn at(d: u32, h: u32, m: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, d)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn the_scheduled_close_runs_after_its_time_and_catches_up() {
        let time = chrono::NaiveTime::from_hms_opt(23, 30, 0).unwrap();
        let dec = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        // business date Dec 2: not before 23:30 on Dec 2
        assert_eq!(scheduled_through(dec(2), at(2, 23, 29), time), None);
        assert_eq!(scheduled_through(dec(2), at(2, 23, 30), time), Some(dec(2)));
        // already closed: Dec 3 is open until 23:30 on Dec 3
        assert_eq!(scheduled_through(dec(3), at(3, 9, 0), time), None);
        // the server was down for two days: Dec 2 and 3 closed at once on Dec 4 morning
        assert_eq!(scheduled_through(dec(2), at(4, 8, 0), time), Some(dec(3)));
    }
}
