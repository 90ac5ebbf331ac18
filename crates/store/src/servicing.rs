//! Servicing rows: the running balances of loans (`loan_balances`), their open
//! installments, and the bookkeeping of the daily close (`eod_runs`, `eod_partitions`,
//! `class_history`, `portfolio_snapshots`).
//!
//! The close reads and writes in large batches: one select per partition, one multi-row
//! `UPDATE … FROM (VALUES …)` per thousand loans. Values written that way are integers,
//! ISO dates and class codes rendered as SQL literals (no text from users).

use std::fmt::Write as _;

use chrono::NaiveDate;
use loanbook_core::delinquency::FiveTier;
use loanbook_core::servicing::{InstallmentState, LoanAccount, OpenInstallment};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, Db, StoreError, Tx};

/// A loan's servicing row: its account and what the close needs beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalanceRow {
    /// The running balances.
    pub account: LoanAccount,
    /// Product code.
    pub product_code: String,
    /// Product version.
    pub product_version: i64,
    /// Funding source (cash account of repayments).
    pub funding_source: String,
    /// Current annual rate (decimal text).
    pub annual_rate: String,
    /// Whether the loan is serviced by the close (disbursed, not closed or written off).
    pub active: bool,
    /// Optimistic-lock version.
    pub version: i64,
}

const COLUMNS: &str = "loan_id, product_code, product_version, funding_source, annual_rate, active, \
principal_outstanding_minor, due_principal_minor, overdue_principal_minor, interest_accrued_minor, \
due_interest_minor, overdue_interest_minor, penalty_interest_minor, penalty_micro, compound_interest_minor, \
compound_micro, fees_due_minor, advance_balance_minor, interest_off_book_minor, penalty_off_book_minor, \
provision_minor, period_accrued_minor, period_interest_minor, period_start, next_due, next_installment, \
due_since, oldest_unpaid_due, dpd, five_tier_class, class_override, on_time_streak, non_accrual, last_closed, version";

/// Parses `YYYY-MM-DD` quickly (the close parses millions of dates).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(
        i32::try_from(num(&b[0..4])?).ok()?,
        num(&b[5..7])?,
        num(&b[8..10])?,
    )
}

fn date_col(r: &AnyRow, col: &str) -> Result<Option<NaiveDate>, StoreError> {
    let text: Option<String> = r.try_get(col)?;
    text.map(|t| parse_date(&t).ok_or_else(|| StoreError::Corrupt(format!("{col} '{t}'"))))
        .transpose()
}

fn u32_col(r: &AnyRow, col: &str) -> Result<u32, StoreError> {
    let v: i64 = r.try_get(col)?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{col} {v}")))
}

fn balance_from(r: &AnyRow) -> Result<BalanceRow, StoreError> {
    let class: String = r.try_get("five_tier_class")?;
    let loan_id: i64 = r.try_get("loan_id")?;
    let account = LoanAccount {
        loan_id,
        principal_outstanding: r.try_get("principal_outstanding_minor")?,
        due_principal: r.try_get("due_principal_minor")?,
        overdue_principal: r.try_get("overdue_principal_minor")?,
        interest_accrued: r.try_get("interest_accrued_minor")?,
        due_interest: r.try_get("due_interest_minor")?,
        overdue_interest: r.try_get("overdue_interest_minor")?,
        penalty_interest: r.try_get("penalty_interest_minor")?,
        penalty_micro: r.try_get("penalty_micro")?,
        compound_interest: r.try_get("compound_interest_minor")?,
        compound_micro: r.try_get("compound_micro")?,
        fees_due: r.try_get("fees_due_minor")?,
        advance_balance: r.try_get("advance_balance_minor")?,
        interest_off_book: r.try_get("interest_off_book_minor")?,
        penalty_off_book: r.try_get("penalty_off_book_minor")?,
        provision: r.try_get("provision_minor")?,
        period_accrued: r.try_get("period_accrued_minor")?,
        period_interest: r.try_get("period_interest_minor")?,
        period_start: date_col(r, "period_start")?,
        next_due: date_col(r, "next_due")?,
        next_installment: u32_col(r, "next_installment")?,
        due_since: date_col(r, "due_since")?,
        oldest_unpaid_due: date_col(r, "oldest_unpaid_due")?,
        dpd: u32_col(r, "dpd")?,
        class: FiveTier::parse(&class)
            .ok_or_else(|| StoreError::Corrupt(format!("five_tier_class '{class}'")))?,
        class_override: r
            .try_get::<Option<String>, _>("class_override")?
            .map(|c| {
                FiveTier::parse(&c)
                    .ok_or_else(|| StoreError::Corrupt(format!("class_override '{c}'")))
            })
            .transpose()?,
        on_time_streak: u32_col(r, "on_time_streak")?,
        non_accrual: r.try_get::<i64, _>("non_accrual")? != 0,
        last_closed: date_col(r, "last_closed")?.unwrap_or(NaiveDate::MIN),
    };
    Ok(BalanceRow {
        account,
        product_code: r.try_get("product_code")?,
        product_version: r.try_get("product_version")?,
        funding_source: r.try_get("funding_source")?,
        annual_rate: r.try_get("annual_rate")?,
        active: r.try_get::<i64, _>("active")? != 0,
        version: r.try_get("version")?,
    })
}

/// The servicing row of loan `loan_id`; with `lock` the row is locked for the
/// transaction on PostgreSQL (SQLite's writer holds the whole database already).
///
/// # Errors
/// A database error.
pub async fn balance(
    tx: &mut Tx<'_>,
    loan_id: i64,
    lock: bool,
    backend: Backend,
) -> Result<Option<BalanceRow>, StoreError> {
    let suffix = if lock && backend == Backend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM loan_balances WHERE loan_id = $1{suffix}"
    ))
    .bind(loan_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(balance_from).transpose()
}

/// The servicing row of loan `loan_id`, outside a transaction.
///
/// # Errors
/// A database error.
pub async fn balance_of(db: &Db, loan_id: i64) -> Result<Option<BalanceRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM loan_balances WHERE loan_id = $1"
    ))
    .bind(loan_id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(balance_from).transpose()
}

/// Active loans with ids in `lo..=hi` last closed on `last_closed`, by id.
///
/// # Errors
/// A database error.
pub async fn active_in_range(
    tx: &mut Tx<'_>,
    lo: i64,
    hi: i64,
    last_closed: NaiveDate,
) -> Result<Vec<BalanceRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM loan_balances WHERE loan_id BETWEEN $1 AND $2 AND active = 1 AND last_closed = $3 ORDER BY loan_id"
    ))
    .bind(lo)
    .bind(hi)
    .bind(last_closed.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(balance_from).collect()
}

/// Active loans in `lo..=hi` not last closed on `last_closed` (behind or ahead): the
/// close refuses to run over them.
///
/// # Errors
/// A database error.
pub async fn out_of_step(
    tx: &mut Tx<'_>,
    lo: i64,
    hi: i64,
    last_closed: NaiveDate,
) -> Result<Vec<(i64, Option<String>)>, StoreError> {
    let rows = sqlx::query(
        "SELECT loan_id, last_closed FROM loan_balances WHERE loan_id BETWEEN $1 AND $2 AND active = 1 AND (last_closed IS NULL OR last_closed <> $3) ORDER BY loan_id LIMIT 10",
    )
    .bind(lo)
    .bind(hi)
    .bind(last_closed.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("loan_id")?, r.try_get("last_closed")?)))
        .collect()
}

fn push_date(sql: &mut String, d: Option<NaiveDate>) {
    match d {
        Some(d) => {
            let _ = write!(sql, "'{d}'");
        }
        None => sql.push_str("NULL"),
    }
}

/// How many rows one multi-row statement writes.
const WRITE_CHUNK: usize = 1000;

/// Writes the balances of `rows` (optimistic on `version`, which each write bumps) and
/// returns how many were written; fewer than `rows.len()` means someone changed a loan
/// meanwhile.
///
/// # Errors
/// A database error.
pub async fn write_balances(tx: &mut Tx<'_>, rows: &[BalanceRow]) -> Result<u64, StoreError> {
    let mut written = 0;
    for chunk in rows.chunks(WRITE_CHUNK) {
        let mut sql = String::with_capacity(chunk.len() * 220 + 1200);
        sql.push_str(
            "UPDATE loan_balances SET principal_outstanding_minor = v.column3, due_principal_minor = v.column4, \
             overdue_principal_minor = v.column5, interest_accrued_minor = v.column6, due_interest_minor = v.column7, \
             overdue_interest_minor = v.column8, penalty_interest_minor = v.column9, penalty_micro = v.column10, \
             compound_interest_minor = v.column11, compound_micro = v.column12, fees_due_minor = v.column13, \
             advance_balance_minor = v.column14, interest_off_book_minor = v.column15, penalty_off_book_minor = v.column16, \
             provision_minor = v.column17, period_accrued_minor = v.column18, period_interest_minor = v.column19, \
             period_start = v.column20, next_due = v.column21, next_installment = v.column22, due_since = v.column23, \
             oldest_unpaid_due = v.column24, dpd = v.column25, five_tier_class = v.column26, on_time_streak = v.column27, \
             non_accrual = v.column28, last_closed = v.column29, active = v.column30, annual_rate = v.column31, \
             class_override = v.column32, version = loan_balances.version + 1 FROM (VALUES ",
        );
        for (n, row) in chunk.iter().enumerate() {
            let a = &row.account;
            if n > 0 {
                sql.push(',');
            }
            let _ = write!(
                sql,
                "({},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},",
                a.loan_id,
                row.version,
                a.principal_outstanding,
                a.due_principal,
                a.overdue_principal,
                a.interest_accrued,
                a.due_interest,
                a.overdue_interest,
                a.penalty_interest,
                a.penalty_micro,
                a.compound_interest,
                a.compound_micro,
                a.fees_due,
                a.advance_balance,
                a.interest_off_book,
                a.penalty_off_book,
                a.provision,
                a.period_accrued,
                a.period_interest,
            );
            push_date(&mut sql, a.period_start);
            sql.push(',');
            push_date(&mut sql, a.next_due);
            let _ = write!(sql, ",{},", a.next_installment);
            push_date(&mut sql, a.due_since);
            sql.push(',');
            push_date(&mut sql, a.oldest_unpaid_due);
            let _ = write!(
                sql,
                ",{},'{}',{},{},'{}',{},'{}',",
                a.dpd,
                a.class.code(),
                a.on_time_streak,
                i64::from(a.non_accrual),
                a.last_closed,
                i64::from(row.active),
                row.annual_rate.replace('\'', "''"),
            );
            match a.class_override {
                Some(c) => {
                    let _ = write!(sql, "'{}')", c.code());
                }
                None => sql.push_str("NULL)"),
            }
        }
        sql.push_str(
            ") AS v WHERE loan_balances.loan_id = v.column1 AND loan_balances.version = v.column2",
        );
        written += sqlx::query(&sql).execute(&mut **tx).await?.rows_affected();
    }
    Ok(written)
}

/// Creates the servicing row of a new loan (inactive, nothing owed).
///
/// # Errors
/// A database error.
pub async fn insert_balance(tx: &mut Tx<'_>, row: &BalanceRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO loan_balances (loan_id, product_code, product_version, funding_source, annual_rate) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(row.account.loan_id)
    .bind(&row.product_code)
    .bind(row.product_version)
    .bind(&row.funding_source)
    .bind(&row.annual_rate)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const INSTALLMENT_COLUMNS: &str = "loan_id, number, period_start, due_date, principal_minor, interest_minor, paid_principal_minor, paid_interest_minor, status, paid_on";

fn installment_from(r: &AnyRow) -> Result<(i64, OpenInstallment), StoreError> {
    let status: String = r.try_get("status")?;
    let due_date =
        date_col(r, "due_date")?.ok_or_else(|| StoreError::Corrupt("due_date".into()))?;
    Ok((
        r.try_get("loan_id")?,
        OpenInstallment {
            number: u32_col(r, "number")?,
            period_start: date_col(r, "period_start")?.unwrap_or(due_date),
            due_date,
            principal: r.try_get("principal_minor")?,
            interest: r.try_get("interest_minor")?,
            paid_principal: r.try_get("paid_principal_minor")?,
            paid_interest: r.try_get("paid_interest_minor")?,
            state: InstallmentState::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("installment status '{status}'")))?,
            paid_on: date_col(r, "paid_on")?,
        },
    ))
}

/// The installments not yet paid of each loan in `loan_ids`: (loan id, installment), by
/// loan and number.
///
/// # Errors
/// A database error.
pub async fn open_installments(
    tx: &mut Tx<'_>,
    loan_ids: &[i64],
) -> Result<Vec<(i64, OpenInstallment)>, StoreError> {
    let mut out = Vec::new();
    for chunk in loan_ids.chunks(WRITE_CHUNK) {
        let mut list = String::with_capacity(chunk.len() * 8);
        for (n, id) in chunk.iter().enumerate() {
            if n > 0 {
                list.push(',');
            }
            let _ = write!(list, "{id}");
        }
        let rows = sqlx::query(&format!(
            "SELECT {INSTALLMENT_COLUMNS} FROM installments WHERE loan_id IN ({list}) AND status <> 'paid' ORDER BY loan_id, number"
        ))
        .fetch_all(&mut **tx)
        .await?;
        for r in &rows {
            out.push(installment_from(r)?);
        }
    }
    Ok(out)
}

/// Every installment of a loan, by number.
///
/// # Errors
/// A database error.
pub async fn all_installments<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    loan_id: i64,
) -> Result<Vec<OpenInstallment>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {INSTALLMENT_COLUMNS} FROM installments WHERE loan_id = $1 ORDER BY number"
    ))
    .bind(loan_id)
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| installment_from(r).map(|(_, i)| i))
        .collect()
}

/// Writes what servicing changed of installments (paid amounts, state, paid date, and for
/// a crystallised installment its amounts and due date).
///
/// # Errors
/// A database error.
pub async fn write_installments(
    tx: &mut Tx<'_>,
    rows: &[(i64, &OpenInstallment)],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(WRITE_CHUNK) {
        let mut sql = String::with_capacity(chunk.len() * 90 + 400);
        sql.push_str(
            "UPDATE installments SET paid_principal_minor = v.column3, paid_interest_minor = v.column4, status = v.column5, \
             paid_on = v.column6, principal_minor = v.column7, interest_minor = v.column8, total_minor = v.column7 + v.column8, \
             due_date = v.column9 FROM (VALUES ",
        );
        for (n, (loan_id, i)) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push(',');
            }
            let _ = write!(
                sql,
                "({loan_id},{},{},{},'{}',",
                i.number,
                i.paid_principal,
                i.paid_interest,
                i.state.code()
            );
            push_date(&mut sql, i.paid_on);
            let _ = write!(sql, ",{},{},'{}')", i.principal, i.interest, i.due_date);
        }
        sql.push_str(
            ") AS v WHERE installments.loan_id = v.column1 AND installments.number = v.column2",
        );
        sqlx::query(&sql).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Deletes the installments of a loan numbered from `from` on (their replacement follows).
///
/// # Errors
/// A database error.
pub async fn delete_installments_from(
    tx: &mut Tx<'_>,
    loan_id: i64,
    from: u32,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM installments WHERE loan_id = $1 AND number >= $2")
        .bind(loan_id)
        .bind(i64::from(from))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Inserts installments of a loan.
///
/// # Errors
/// A database error.
pub async fn insert_installments(
    tx: &mut Tx<'_>,
    loan_id: i64,
    rows: &[OpenInstallment],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(WRITE_CHUNK) {
        let mut sql = String::from(
            "INSERT INTO installments (loan_id, number, period_start, due_date, principal_minor, interest_minor, total_minor, balance_minor, paid_principal_minor, paid_interest_minor, status, paid_on) VALUES ",
        );
        for (n, i) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push(',');
            }
            let _ = write!(
                sql,
                "({loan_id},{},'{}','{}',{},{},{},0,{},{},'{}',",
                i.number,
                i.period_start,
                i.due_date,
                i.principal,
                i.interest,
                i.principal + i.interest,
                i.paid_principal,
                i.paid_interest,
                i.state.code()
            );
            push_date(&mut sql, i.paid_on);
            sql.push(')');
        }
        sqlx::query(&sql).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Copies the installments of a loan from `from` on into the history of restructure
/// `restructure_id`.
///
/// # Errors
/// A database error.
pub async fn archive_installments(
    tx: &mut Tx<'_>,
    loan_id: i64,
    from: u32,
    restructure_id: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO installment_history (loan_id, restructure_id, number, due_date, principal_minor, interest_minor, paid_principal_minor, paid_interest_minor, status) \
         SELECT loan_id, $3, number, due_date, principal_minor, interest_minor, paid_principal_minor, paid_interest_minor, status FROM installments WHERE loan_id = $1 AND number >= $2",
    )
    .bind(loan_id)
    .bind(i64::from(from))
    .bind(restructure_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A partition of a close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// Number within the date.
    pub partition_no: i64,
    /// Lowest loan id.
    pub lo_id: i64,
    /// Highest loan id.
    pub hi_id: i64,
}

/// The id range of active loans: (lowest, highest), if any.
///
/// # Errors
/// A database error.
pub async fn active_id_range(tx: &mut Tx<'_>) -> Result<Option<(i64, i64)>, StoreError> {
    let row = sqlx::query(
        "SELECT MIN(loan_id) AS lo, MAX(loan_id) AS hi FROM loan_balances WHERE active = 1",
    )
    .fetch_one(&mut **tx)
    .await?;
    let lo: Option<i64> = row.try_get("lo")?;
    let hi: Option<i64> = row.try_get("hi")?;
    Ok(lo.zip(hi))
}

/// The run of the close of `date`: its status, if it was started.
///
/// # Errors
/// A database error.
pub async fn run_status<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    date: NaiveDate,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT status FROM eod_runs WHERE business_date = $1")
            .bind(date.to_string())
            .fetch_optional(exec)
            .await?,
    )
}

/// Starts the run of `date` with `partitions` (nothing if another process started it).
///
/// # Errors
/// A database error.
pub async fn start_run(
    tx: &mut Tx<'_>,
    date: NaiveDate,
    partitions: &[Partition],
    at: &str,
) -> Result<(), StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO eod_runs (business_date, status, partitions, started_at) VALUES ($1, 'running', $2, $3) ON CONFLICT (business_date) DO NOTHING",
    )
    .bind(date.to_string())
    .bind(i64::try_from(partitions.len()).unwrap_or(i64::MAX))
    .bind(at)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(());
    }
    for chunk in partitions.chunks(WRITE_CHUNK) {
        let mut sql = String::from(
            "INSERT INTO eod_partitions (business_date, partition_no, lo_id, hi_id, status) VALUES ",
        );
        for (n, p) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push(',');
            }
            let _ = write!(
                sql,
                "('{date}',{},{},{},'pending')",
                p.partition_no, p.lo_id, p.hi_id
            );
        }
        sqlx::query(&sql).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Claims the first pending partition of `date` for this transaction; on PostgreSQL the
/// row stays locked (skipped by other workers) until the transaction ends, so a worker
/// that dies releases it.
///
/// # Errors
/// A database error.
pub async fn claim_partition(
    tx: &mut Tx<'_>,
    date: NaiveDate,
    backend: Backend,
) -> Result<Option<Partition>, StoreError> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let row = sqlx::query(&format!(
        "SELECT partition_no, lo_id, hi_id FROM eod_partitions WHERE business_date = $1 AND status = 'pending' ORDER BY partition_no LIMIT 1{lock}"
    ))
    .bind(date.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok(Partition {
            partition_no: r.try_get("partition_no")?,
            lo_id: r.try_get("lo_id")?,
            hi_id: r.try_get("hi_id")?,
        })
    })
    .transpose()
}

/// Marks a partition done with its statistics.
///
/// # Errors
/// A database error.
pub async fn finish_partition(
    tx: &mut Tx<'_>,
    date: NaiveDate,
    partition_no: i64,
    worker: &str,
    stats_json: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE eod_partitions SET status = 'done', worker = $1, stats_json = $2, finished_at = $3 WHERE business_date = $4 AND partition_no = $5",
    )
    .bind(worker)
    .bind(stats_json)
    .bind(at)
    .bind(date.to_string())
    .bind(partition_no)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Partitions of `date` not yet done.
///
/// # Errors
/// A database error.
pub async fn partitions_left<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    date: NaiveDate,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM eod_partitions WHERE business_date = $1 AND status <> 'done'",
    )
    .bind(date.to_string())
    .fetch_one(exec)
    .await?)
}

/// The statistics of every partition of `date`.
///
/// # Errors
/// A database error.
pub async fn partition_stats(tx: &mut Tx<'_>, date: NaiveDate) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT stats_json FROM eod_partitions WHERE business_date = $1 ORDER BY partition_no",
    )
    .bind(date.to_string())
    .fetch_all(&mut **tx)
    .await?)
}

/// Ends the run of `date` with its report.
///
/// # Errors
/// A database error.
pub async fn finish_run(
    tx: &mut Tx<'_>,
    date: NaiveDate,
    report_json: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE eod_runs SET status = 'done', report_json = $1, finished_at = $2 WHERE business_date = $3",
    )
    .bind(report_json)
    .bind(at)
    .bind(date.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A finished or running close: (date, status, started, finished, report).
pub type RunRow = (String, String, String, Option<String>, String);

/// The most recent closes, newest first.
///
/// # Errors
/// A database error.
pub async fn runs(db: &Db, limit: i64) -> Result<Vec<RunRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT business_date, status, started_at, finished_at, report_json FROM eod_runs ORDER BY business_date DESC LIMIT $1",
    )
    .bind(limit.clamp(1, 1000))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("business_date")?,
                r.try_get("status")?,
                r.try_get("started_at")?,
                r.try_get("finished_at")?,
                r.try_get("report_json")?,
            ))
        })
        .collect()
}

/// Records class changes: (loan, from, to, dpd).
///
/// # Errors
/// A database error.
pub async fn insert_class_changes(
    tx: &mut Tx<'_>,
    date: NaiveDate,
    changes: &[(i64, FiveTier, FiveTier, u32)],
    reason: &str,
    by: &str,
) -> Result<(), StoreError> {
    for chunk in changes.chunks(WRITE_CHUNK) {
        let mut sql = String::from(
            "INSERT INTO class_history (loan_id, business_date, from_class, to_class, dpd, reason, created_by) VALUES ",
        );
        for (n, (loan, from, to, dpd)) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push(',');
            }
            let _ = write!(
                sql,
                "({loan},'{date}','{}','{}',{dpd},'{}','{}')",
                from.code(),
                to.code(),
                reason.replace('\'', "''"),
                by.replace('\'', "''")
            );
        }
        sqlx::query(&sql).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Writes the portfolio snapshot of `date` from the loans' balances (one aggregate
/// query; replaces an earlier snapshot of the date).
///
/// # Errors
/// A database error.
pub async fn snapshot_portfolio(tx: &mut Tx<'_>, date: NaiveDate) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM portfolio_snapshots WHERE business_date = $1")
        .bind(date.to_string())
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO portfolio_snapshots (business_date, product_code, bucket, five_tier_class, loans, principal_minor, overdue_minor, provision_minor) \
         SELECT $1, product_code, CASE WHEN dpd = 0 THEN 'current' WHEN dpd <= 30 THEN 'M1' WHEN dpd <= 60 THEN 'M2' WHEN dpd <= 90 THEN 'M3' ELSE 'M4+' END AS bucket, \
         five_tier_class, COUNT(*), SUM(principal_outstanding_minor), SUM(overdue_principal_minor + overdue_interest_minor), SUM(provision_minor) \
         FROM loan_balances WHERE active = 1 GROUP BY product_code, 3, five_tier_class",
    )
    .bind(date.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Σ of a balance expression over all loans, for the ledger's control-account check.
///
/// # Errors
/// A database error.
pub async fn total_of(db: &Db, expression: &str) -> Result<i64, StoreError> {
    let total: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT CAST(SUM({expression}) AS BIGINT) FROM loan_balances"
    ))
    .fetch_one(db.pool())
    .await?;
    Ok(total.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_fast_and_strictly() {
        assert_eq!(
            parse_date("2026-02-28"),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("2026-2-28"), None);
        assert_eq!(parse_date("2026-0a-28"), None);
    }
}
