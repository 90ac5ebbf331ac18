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

fn date_col(r: &AnyRow, col: usize) -> Result<Option<NaiveDate>, StoreError> {
    let text: Option<String> = r.try_get(col)?;
    text.map(|t| parse_date(&t).ok_or_else(|| StoreError::Corrupt(format!("column {col} '{t}'"))))
        .transpose()
}

fn u32_col(r: &AnyRow, col: usize) -> Result<u32, StoreError> {
    let v: i64 = r.try_get(col)?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("column {col}: {v}")))
}

/// Reads a row of [`COLUMNS`] by position (the close reads millions of them).
fn balance_from(r: &AnyRow) -> Result<BalanceRow, StoreError> {
    let class: String = r.try_get(29)?;
    let i = |n: usize| r.try_get::<i64, _>(n);
    let account = LoanAccount {
        loan_id: i(0)?,
        principal_outstanding: i(6)?,
        due_principal: i(7)?,
        overdue_principal: i(8)?,
        interest_accrued: i(9)?,
        due_interest: i(10)?,
        overdue_interest: i(11)?,
        penalty_interest: i(12)?,
        penalty_micro: i(13)?,
        compound_interest: i(14)?,
        compound_micro: i(15)?,
        fees_due: i(16)?,
        advance_balance: i(17)?,
        interest_off_book: i(18)?,
        penalty_off_book: i(19)?,
        provision: i(20)?,
        period_accrued: i(21)?,
        period_interest: i(22)?,
        period_start: date_col(r, 23)?,
        next_due: date_col(r, 24)?,
        next_installment: u32_col(r, 25)?,
        due_since: date_col(r, 26)?,
        oldest_unpaid_due: date_col(r, 27)?,
        dpd: u32_col(r, 28)?,
        class: FiveTier::parse(&class)
            .ok_or_else(|| StoreError::Corrupt(format!("five_tier_class '{class}'")))?,
        class_override: r
            .try_get::<Option<String>, _>(30)?
            .map(|c| {
                FiveTier::parse(&c)
                    .ok_or_else(|| StoreError::Corrupt(format!("class_override '{c}'")))
            })
            .transpose()?,
        on_time_streak: u32_col(r, 31)?,
        non_accrual: i(32)? != 0,
        last_closed: date_col(r, 33)?.unwrap_or(NaiveDate::MIN),
    };
    Ok(BalanceRow {
        account,
        product_code: r.try_get(1)?,
        product_version: i(2)?,
        funding_source: r.try_get(3)?,
        annual_rate: r.try_get(4)?,
        active: i(5)? != 0,
        version: i(34)?,
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

/// The servicing rows of `loan_ids` inside `tx`, by loan id; with `lock` they are locked
/// for the transaction on PostgreSQL in loan-id order (so that two batches never wait on
/// each other in a circle). Ids without a row are left out.
///
/// # Errors
/// A database error.
pub async fn balances(
    tx: &mut Tx<'_>,
    loan_ids: &[i64],
    lock: bool,
    backend: Backend,
) -> Result<Vec<BalanceRow>, StoreError> {
    let suffix = if lock && backend == Backend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let mut out = Vec::with_capacity(loan_ids.len());
    for chunk in loan_ids.chunks(WRITE_CHUNK) {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM loan_balances WHERE loan_id IN ({}) ORDER BY loan_id{suffix}",
            id_list(chunk)
        ))
        .fetch_all(&mut **tx)
        .await?;
        for r in &rows {
            out.push(balance_from(r)?);
        }
    }
    Ok(out)
}

/// Loan ids as a SQL list literal (integers only).
fn id_list(ids: &[i64]) -> String {
    let mut list = String::with_capacity(ids.len() * 8);
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            list.push(',');
        }
        let _ = write!(list, "{id}");
    }
    list
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

/// The fields of a packed servicing row, in order (all but the funding source).
const PACKED: [&str; 34] = [
    "loan_id",
    "product_code",
    "product_version",
    "annual_rate",
    "active",
    "principal_outstanding_minor",
    "due_principal_minor",
    "overdue_principal_minor",
    "interest_accrued_minor",
    "due_interest_minor",
    "overdue_interest_minor",
    "penalty_interest_minor",
    "penalty_micro",
    "compound_interest_minor",
    "compound_micro",
    "fees_due_minor",
    "advance_balance_minor",
    "interest_off_book_minor",
    "penalty_off_book_minor",
    "provision_minor",
    "period_accrued_minor",
    "period_interest_minor",
    "period_start",
    "next_due",
    "next_installment",
    "due_since",
    "oldest_unpaid_due",
    "dpd",
    "five_tier_class",
    "class_override",
    "on_time_streak",
    "non_accrual",
    "last_closed",
    "version",
];

const NULLABLE: [&str; 6] = [
    "period_start",
    "next_due",
    "due_since",
    "oldest_unpaid_due",
    "class_override",
    "last_closed",
];

/// The select that packs the rows of a range into one text: fields joined by `,`, rows by
/// `;` — one value to decode instead of 33 per loan (the close reads millions of rows, and
/// the driver's cost is per value). Every field is a number, an ISO date, a product code
/// (`[A-Z0-9_-]`), a decimal rate or a class code, so neither separator can occur in one.
fn packed_select(backend: Backend) -> String {
    let field = |c: &&str| {
        if NULLABLE.contains(c) {
            format!("COALESCE({c}, '')")
        } else {
            (*c).to_owned()
        }
    };
    let fields: Vec<String> = PACKED.iter().map(field).collect();
    let filter = "loan_id BETWEEN $1 AND $2 AND active = 1 AND last_closed = $3";
    match backend {
        Backend::Sqlite => format!(
            "SELECT group_concat(r, ';') FROM (SELECT {} AS r FROM loan_balances WHERE {filter} ORDER BY loan_id)",
            fields.join(" || ',' || ")
        ),
        Backend::Postgres => format!(
            "SELECT string_agg(concat_ws(',', {}), ';' ORDER BY loan_id) FROM loan_balances WHERE {filter}",
            fields.join(", ")
        ),
    }
}

fn unpack(row: &str) -> Result<BalanceRow, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("packed servicing row '{row}'"));
    let f: Vec<&str> = row.split(',').collect();
    if f.len() != PACKED.len() {
        return Err(corrupt());
    }
    let i = |n: usize| f[n].parse::<i64>().map_err(|_| corrupt());
    let u = |n: usize| f[n].parse::<u32>().map_err(|_| corrupt());
    let d = |n: usize| -> Result<Option<NaiveDate>, StoreError> {
        if f[n].is_empty() {
            Ok(None)
        } else {
            parse_date(f[n]).map(Some).ok_or_else(corrupt)
        }
    };
    let account = LoanAccount {
        loan_id: i(0)?,
        principal_outstanding: i(5)?,
        due_principal: i(6)?,
        overdue_principal: i(7)?,
        interest_accrued: i(8)?,
        due_interest: i(9)?,
        overdue_interest: i(10)?,
        penalty_interest: i(11)?,
        penalty_micro: i(12)?,
        compound_interest: i(13)?,
        compound_micro: i(14)?,
        fees_due: i(15)?,
        advance_balance: i(16)?,
        interest_off_book: i(17)?,
        penalty_off_book: i(18)?,
        provision: i(19)?,
        period_accrued: i(20)?,
        period_interest: i(21)?,
        period_start: d(22)?,
        next_due: d(23)?,
        next_installment: u(24)?,
        due_since: d(25)?,
        oldest_unpaid_due: d(26)?,
        dpd: u(27)?,
        class: FiveTier::parse(f[28]).ok_or_else(corrupt)?,
        class_override: if f[29].is_empty() {
            None
        } else {
            Some(FiveTier::parse(f[29]).ok_or_else(corrupt)?)
        },
        on_time_streak: u(30)?,
        non_accrual: i(31)? != 0,
        last_closed: d(32)?.unwrap_or(NaiveDate::MIN),
    };
    Ok(BalanceRow {
        account,
        product_code: f[1].to_owned(),
        product_version: i(2)?,
        funding_source: String::new(),
        annual_rate: f[3].to_owned(),
        active: i(4)? != 0,
        version: i(33)?,
    })
}

/// Active loans with ids in `lo..=hi` last closed on `last_closed`, by id — read packed
/// (one value per range; see [`packed_select`]). The funding source is not read (the close
/// does not need it) and comes back empty.
///
/// # Errors
/// A database error; a row that does not unpack.
pub async fn active_in_range<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    backend: Backend,
    lo: i64,
    hi: i64,
    last_closed: NaiveDate,
) -> Result<Vec<BalanceRow>, StoreError> {
    let packed: Option<String> = sqlx::query_scalar(&packed_select(backend))
        .bind(lo)
        .bind(hi)
        .bind(last_closed.to_string())
        .fetch_one(exec)
        .await?;
    let Some(packed) = packed.filter(|p| !p.is_empty()) else {
        return Ok(Vec::new());
    };
    let mut rows = packed
        .split(';')
        .map(unpack)
        .collect::<Result<Vec<_>, _>>()?;
    rows.sort_by_key(|r| r.account.loan_id);
    Ok(rows)
}

/// Active loans in `lo..=hi` not last closed on `last_closed` (behind or ahead): the
/// close refuses to run over them.
///
/// # Errors
/// A database error.
pub async fn out_of_step<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
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
    .fetch_all(exec)
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

/// Writes only what a day's accrual changes — interest accrued (on and off book), the
/// period's accrual, the provision and the last closed date — for rows where nothing else
/// changed (most loans on most days); optimistic on `version` like [`write_balances`].
///
/// # Errors
/// A database error.
pub async fn write_accruals(tx: &mut Tx<'_>, rows: &[&BalanceRow]) -> Result<u64, StoreError> {
    let mut written = 0;
    for chunk in rows.chunks(WRITE_CHUNK * 2) {
        let mut sql = String::with_capacity(chunk.len() * 64 + 400);
        sql.push_str(
            "UPDATE loan_balances SET interest_accrued_minor = v.column3, period_accrued_minor = v.column4, \
             interest_off_book_minor = v.column5, provision_minor = v.column6, last_closed = v.column7, \
             version = loan_balances.version + 1 FROM (VALUES ",
        );
        for (n, row) in chunk.iter().enumerate() {
            let a = &row.account;
            if n > 0 {
                sql.push(',');
            }
            let _ = write!(
                sql,
                "({},{},{},{},{},{},'{}')",
                a.loan_id,
                row.version,
                a.interest_accrued,
                a.period_accrued,
                a.interest_off_book,
                a.provision,
                a.last_closed
            );
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
    // INSTALLMENT_COLUMNS by position
    let status: String = r.try_get(8)?;
    let due_date = date_col(r, 3)?.ok_or_else(|| StoreError::Corrupt("due_date".into()))?;
    Ok((
        r.try_get(0)?,
        OpenInstallment {
            number: u32_col(r, 1)?,
            period_start: date_col(r, 2)?.unwrap_or(due_date),
            due_date,
            principal: r.try_get(4)?,
            interest: r.try_get(5)?,
            paid_principal: r.try_get(6)?,
            paid_interest: r.try_get(7)?,
            state: InstallmentState::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("installment status '{status}'")))?,
            paid_on: date_col(r, 9)?,
        },
    ))
}

/// The installments not yet paid of each loan in `loan_ids`: (loan id, installment), by
/// loan and number — read packed like [`active_in_range`].
///
/// # Errors
/// A database error; a row that does not unpack.
pub async fn open_installments(
    db: &Db,
    loan_ids: &[i64],
) -> Result<Vec<(i64, OpenInstallment)>, StoreError> {
    let mut out = Vec::new();
    for chunk in loan_ids.chunks(WRITE_CHUNK) {
        let from = format!(
            "installments WHERE loan_id IN ({}) AND status <> 'paid'",
            id_list(chunk)
        );
        let sql = packed_installments_sql(db.backend(), &from);
        let packed: Option<String> = sqlx::query_scalar(&sql).fetch_one(db.pool()).await?;
        unpack_installments(packed.as_deref(), &mut out)?;
    }
    out.sort_by_key(|(loan, i)| (*loan, i.number));
    Ok(out)
}

/// The installments of each loan in `loan_ids` from its oldest not paid in full on (later
/// ones paid ahead included), inside `tx`: (loan id, installment), by loan and number —
/// read packed like [`open_installments`]. A loan paid up has none.
///
/// # Errors
/// A database error; a row that does not unpack.
pub async fn installments_from_first_open(
    tx: &mut Tx<'_>,
    loan_ids: &[i64],
) -> Result<Vec<(i64, OpenInstallment)>, StoreError> {
    let mut out = Vec::new();
    for chunk in loan_ids.chunks(WRITE_CHUNK) {
        // the first open number of every loan found once and joined (a subquery per row,
        // or an IN over the join, leads PostgreSQL's planner to scan the whole table)
        let from = format!(
            "installments JOIN (SELECT loan_id AS l, MIN(number) AS f FROM installments \
             WHERE loan_id IN ({list}) AND status <> 'paid' GROUP BY loan_id) o \
             ON installments.loan_id = o.l AND installments.number >= o.f",
            list = id_list(chunk)
        );
        let packed: Option<String> =
            sqlx::query_scalar(&packed_installments_sql(tx.backend(), &from))
                .fetch_one(&mut **tx)
                .await?;
        unpack_installments(packed.as_deref(), &mut out)?;
    }
    out.sort_by_key(|(loan, i)| (*loan, i.number));
    Ok(out)
}

/// The packed select of the installments of `from` (a `FROM` clause naming the table
/// `installments`): one text value, rows split by `;`, fields by `,` (dates, integers and
/// status codes only).
fn packed_installments_sql(backend: Backend, from: &str) -> String {
    let fields = [
        "loan_id",
        "number",
        "COALESCE(period_start, '')",
        "due_date",
        "principal_minor",
        "interest_minor",
        "paid_principal_minor",
        "paid_interest_minor",
        "status",
        "COALESCE(paid_on, '')",
    ];
    match backend {
        Backend::Sqlite => format!(
            "SELECT group_concat(r, ';') FROM (SELECT {} AS r FROM {from})",
            fields.join(" || ',' || ")
        ),
        Backend::Postgres => format!(
            "SELECT string_agg(concat_ws(',', {}), ';') FROM {from}",
            fields.join(", ")
        ),
    }
}

/// Appends the installments of a packed read (see [`packed_installments_sql`]) to `out`.
fn unpack_installments(
    packed: Option<&str>,
    out: &mut Vec<(i64, OpenInstallment)>,
) -> Result<(), StoreError> {
    for row in packed
        .into_iter()
        .flat_map(|p| p.split(';'))
        .filter(|r| !r.is_empty())
    {
        out.push(unpack_installment(row)?);
    }
    Ok(())
}

fn unpack_installment(row: &str) -> Result<(i64, OpenInstallment), StoreError> {
    let corrupt = || StoreError::Corrupt(format!("packed installment '{row}'"));
    let f: Vec<&str> = row.split(',').collect();
    if f.len() != 10 {
        return Err(corrupt());
    }
    let i = |n: usize| f[n].parse::<i64>().map_err(|_| corrupt());
    let d = |n: usize| parse_date(f[n]);
    let due_date = d(3).ok_or_else(corrupt)?;
    Ok((
        i(0)?,
        OpenInstallment {
            number: f[1].parse().map_err(|_| corrupt())?,
            period_start: d(2).unwrap_or(due_date),
            due_date,
            principal: i(4)?,
            interest: i(5)?,
            paid_principal: i(6)?,
            paid_interest: i(7)?,
            state: InstallmentState::parse(f[8]).ok_or_else(corrupt)?,
            paid_on: d(9),
        },
    ))
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

/// Claims the first partition of `date` that is pending, or claimed by a worker whose
/// lease ran out before `expired_before` (a worker that died), for `worker` until it
/// finishes; the claim commits with `tx`. On PostgreSQL the candidate row is locked with
/// `SKIP LOCKED`, so two workers never claim the same partition.
///
/// # Errors
/// A database error.
pub async fn claim_partition(
    tx: &mut Tx<'_>,
    date: NaiveDate,
    worker: &str,
    now: &str,
    expired_before: &str,
    backend: Backend,
) -> Result<Option<Partition>, StoreError> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let row = sqlx::query(&format!(
        "SELECT partition_no, lo_id, hi_id FROM eod_partitions WHERE business_date = $1 \
         AND (status = 'pending' OR (status = 'claimed' AND claimed_at < $2)) ORDER BY partition_no LIMIT 1{lock}"
    ))
    .bind(date.to_string())
    .bind(expired_before)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let p = Partition {
        partition_no: r.try_get("partition_no")?,
        lo_id: r.try_get("lo_id")?,
        hi_id: r.try_get("hi_id")?,
    };
    sqlx::query(
        "UPDATE eod_partitions SET status = 'claimed', worker = $1, claimed_at = $2 WHERE business_date = $3 AND partition_no = $4",
    )
    .bind(worker)
    .bind(now)
    .bind(date.to_string())
    .bind(p.partition_no)
    .execute(&mut **tx)
    .await?;
    Ok(Some(p))
}

/// Marks a partition done with its statistics, if `worker` still holds its claim; false
/// when the claim was lost (its lease ran out and another worker took it).
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
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE eod_partitions SET status = 'done', stats_json = $1, finished_at = $2 \
         WHERE business_date = $3 AND partition_no = $4 AND status = 'claimed' AND worker = $5",
    )
    .bind(stats_json)
    .bind(at)
    .bind(date.to_string())
    .bind(partition_no)
    .bind(worker)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
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

/// One cell of a portfolio snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct SnapshotCell {
    pub product_code: String,
    pub bucket: String,
    pub five_tier_class: String,
    pub loans: i64,
    pub principal_minor: i64,
    pub overdue_minor: i64,
    pub provision_minor: i64,
}

/// Writes the portfolio snapshot of `date` (replacing an earlier one of the date).
///
/// # Errors
/// A database error.
pub async fn write_snapshot(
    tx: &mut Tx<'_>,
    date: NaiveDate,
    cells: &[SnapshotCell],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM portfolio_snapshots WHERE business_date = $1")
        .bind(date.to_string())
        .execute(&mut **tx)
        .await?;
    for c in cells {
        sqlx::query(
            "INSERT INTO portfolio_snapshots (business_date, product_code, bucket, five_tier_class, loans, principal_minor, overdue_minor, provision_minor) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(date.to_string())
        .bind(&c.product_code)
        .bind(&c.bucket)
        .bind(&c.five_tier_class)
        .bind(c.loans)
        .bind(c.principal_minor)
        .bind(c.overdue_minor)
        .bind(c.provision_minor)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The portfolio snapshot of `date`.
///
/// # Errors
/// A database error.
pub async fn snapshot(db: &Db, date: NaiveDate) -> Result<Vec<SnapshotCell>, StoreError> {
    let rows = sqlx::query(
        "SELECT product_code, bucket, five_tier_class, loans, principal_minor, overdue_minor, provision_minor \
         FROM portfolio_snapshots WHERE business_date = $1 ORDER BY product_code, bucket, five_tier_class",
    )
    .bind(date.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SnapshotCell {
                product_code: r.try_get(0)?,
                bucket: r.try_get(1)?,
                five_tier_class: r.try_get(2)?,
                loans: r.try_get(3)?,
                principal_minor: r.try_get(4)?,
                overdue_minor: r.try_get(5)?,
                provision_minor: r.try_get(6)?,
            })
        })
        .collect()
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
    fn packed_rows_unpack_and_refuse_garbage() {
        let row = "7,B-ANNUITY,1,0.0435,1,100,0,0,5,0,0,0,0,0,0,0,0,0,0,1,5,362,2026-01-31,2026-02-28,1,,,0,pass,,0,0,2026-02-04,3";
        let b = unpack(row).unwrap();
        assert_eq!(
            (b.account.loan_id, b.account.period_interest, b.version),
            (7, 362, 3)
        );
        assert_eq!(b.account.due_since, None);
        assert_eq!(b.account.next_due, NaiveDate::from_ymd_opt(2026, 2, 28));
        assert!(unpack("7,B,1").is_err());
        assert!(unpack(&row.replace("pass", "great")).is_err());
    }

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

/// A loan booked in bulk (benchmarks and migrations): the loan's terms, its servicing row
/// and its installments.
#[derive(Clone, Debug)]
pub struct BulkLoan {
    /// The servicing row (its `account.loan_id` is the loan's id).
    pub balance: BalanceRow,
    /// Customer.
    pub customer_id: i64,
    /// Repayment method code.
    pub method: String,
    /// Term in periods.
    pub term: i64,
    /// Principal lent.
    pub principal_minor: i64,
    /// Disbursement date.
    pub start: NaiveDate,
    /// Installments.
    pub installments: Vec<OpenInstallment>,
}

fn quote(text: &str) -> String {
    text.replace('\'', "''")
}

/// Inserts loans with explicit ids, their servicing rows and installments in multi-row
/// statements (no ledger entries: the caller posts what it needs).
///
/// # Errors
/// A database error.
pub async fn bulk_insert(tx: &mut Tx<'_>, loans: &[BulkLoan], at: &str) -> Result<(), StoreError> {
    for chunk in loans.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO loans (id, customer_id, product_code, product_version, currency, contract_amount_minor, disbursed_minor, annual_rate, term_months, method, start_date, first_due_date, maturity_date, funding_source, status, created_at, updated_at, region) VALUES ",
        );
        for (n, l) in chunk.iter().enumerate() {
            let b = &l.balance;
            let first = l.installments.first().map_or(l.start, |i| i.due_date);
            let last = l.installments.last().map_or(l.start, |i| i.due_date);
            if n > 0 {
                sql.push(',');
            }
            let _ = write!(
                sql,
                "({},{},'{}',{},'CNY',{},{},'{}',{},'{}','{}','{}','{}','{}','active','{at}','{at}',(SELECT province FROM customers WHERE id = {}))",
                b.account.loan_id,
                l.customer_id,
                quote(&b.product_code),
                b.product_version,
                l.principal_minor,
                l.principal_minor,
                quote(&b.annual_rate),
                l.term,
                quote(&l.method),
                l.start,
                first,
                last,
                quote(&b.funding_source),
                l.customer_id,
            );
        }
        sqlx::query(&sql).execute(&mut **tx).await?;
        let mut sql = String::from(
            "INSERT INTO loan_balances (loan_id, product_code, product_version, funding_source, annual_rate) VALUES ",
        );
        for (n, l) in chunk.iter().enumerate() {
            let b = &l.balance;
            if n > 0 {
                sql.push(',');
            }
            let _ = write!(
                sql,
                "({},'{}',{},'{}','{}')",
                b.account.loan_id,
                quote(&b.product_code),
                b.product_version,
                quote(&b.funding_source),
                quote(&b.annual_rate)
            );
        }
        sqlx::query(&sql).execute(&mut **tx).await?;
        let rows: Vec<BalanceRow> = chunk.iter().map(|l| l.balance.clone()).collect();
        write_balances(tx, &rows).await?;
        let mut sql = String::from(
            "INSERT INTO installments (loan_id, number, period_start, due_date, principal_minor, interest_minor, total_minor, balance_minor, paid_principal_minor, paid_interest_minor, status, paid_on) VALUES ",
        );
        let mut first = true;
        for l in chunk {
            for i in &l.installments {
                if !first {
                    sql.push(',');
                }
                first = false;
                let _ = write!(
                    sql,
                    "({},{},'{}','{}',{},{},{},0,{},{},'{}',",
                    l.balance.account.loan_id,
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
        }
        if !first {
            sqlx::query(&sql).execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// The raw bulk update of every servicing row (`version = version + 1`): the floor a close
/// of the same rows is measured against. Returns the rows updated.
///
/// # Errors
/// A database error.
pub async fn floor_update(tx: &mut Tx<'_>) -> Result<u64, StoreError> {
    Ok(
        sqlx::query("UPDATE loan_balances SET version = version + 1, dpd = dpd + 0")
            .execute(&mut **tx)
            .await?
            .rows_affected(),
    )
}

/// Refreshes the planner's statistics after a bulk load (PostgreSQL `ANALYZE`, SQLite
/// `ANALYZE`).
///
/// # Errors
/// A database error.
pub async fn analyze(db: &Db) -> Result<(), StoreError> {
    sqlx::query("ANALYZE").execute(db.pool()).await?;
    Ok(())
}

/// The partitions of the close of `business_date`: (done, all).
///
/// # Errors
/// A database error.
pub async fn partition_progress(db: &Db, business_date: &str) -> Result<(i64, i64), StoreError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END), 0) AS BIGINT), COUNT(*) \
         FROM eod_partitions WHERE business_date = $1",
    )
    .bind(business_date)
    .fetch_one(db.pool())
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}
