//! The double-entry journal: accounts, entries and their lines.

use sqlx::Row;

use crate::{Db, StoreError, Tx};

/// An account to seed.
#[derive(Clone, Debug)]
pub struct AccountRow {
    /// Code.
    pub code: String,
    /// English name.
    pub name_en: String,
    /// Chinese name.
    pub name_zh: String,
    /// Kind code.
    pub kind: String,
    /// `debit` or `credit`.
    pub normal_side: String,
}

/// Inserts the accounts that are missing.
///
/// # Errors
/// A database error.
pub async fn seed_accounts(tx: &mut Tx<'_>, accounts: &[AccountRow]) -> Result<(), StoreError> {
    for a in accounts {
        sqlx::query(
            "INSERT INTO gl_accounts (code, name_en, name_zh, kind, normal_side) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (code) DO NOTHING",
        )
        .bind(&a.code)
        .bind(&a.name_en)
        .bind(&a.name_zh)
        .bind(&a.kind)
        .bind(&a.normal_side)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A journal line as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRow {
    /// Account code.
    pub account_code: String,
    /// Loan, for loan-scoped accounts.
    pub loan_id: Option<i64>,
    /// Funding source, for cash lines.
    pub funding_source: Option<String>,
    /// Currency code.
    pub currency: String,
    /// Debit in minor units (0 on a credit line).
    pub debit_minor: i64,
    /// Credit in minor units (0 on a debit line).
    pub credit_minor: i64,
}

/// A journal entry as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryRow {
    /// Id.
    pub id: i64,
    /// Business date.
    pub business_date: String,
    /// When it was posted (UTC).
    pub posted_at: String,
    /// What it records.
    pub description: String,
    /// What produced it, e.g. `manual`, `disbursement`, `eod`.
    pub source: String,
    /// The entry it reverses.
    pub reverses_entry_id: Option<i64>,
    /// Who posted it.
    pub created_by: String,
    /// Its lines.
    pub lines: Vec<LineRow>,
}

/// Inserts an entry and its lines (already checked to balance); returns its id.
///
/// # Errors
/// A database error.
pub async fn insert_entry(tx: &mut Tx<'_>, entry: &EntryRow) -> Result<i64, StoreError> {
    let ids = insert_entries(tx, std::slice::from_ref(entry)).await?;
    ids.first()
        .copied()
        .ok_or_else(|| StoreError::Corrupt("an inserted entry returned no id".into()))
}

/// Entries per multi-row insert (6 parameters each).
const ENTRY_CHUNK: usize = 100;

/// Lines per multi-row insert (7 parameters each).
const LINE_CHUNK: usize = 100;

/// Inserts entries and their lines (each already checked to balance) in multi-row
/// statements; returns their ids in the order given (see [`crate::db::inserted_ids`]).
///
/// # Errors
/// A database error.
pub async fn insert_entries(tx: &mut Tx<'_>, entries: &[EntryRow]) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(entries.len());
    for chunk in entries.chunks(ENTRY_CHUNK) {
        let sql = format!(
            "INSERT INTO journal_entries (business_date, posted_at, description, source, reverses_entry_id, created_by) VALUES {} RETURNING id",
            crate::db::values_placeholders(tx.backend(), chunk.len(), 6)
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for e in chunk {
            q = q
                .bind(&e.business_date)
                .bind(&e.posted_at)
                .bind(&e.description)
                .bind(&e.source)
                .bind(e.reverses_entry_id)
                .bind(&e.created_by);
        }
        let got = q.fetch_all(&mut **tx).await?;
        ids.extend(crate::db::inserted_ids(got, chunk.len(), "entries")?);
    }
    let lines: Vec<(i64, &LineRow)> = entries
        .iter()
        .zip(&ids)
        .flat_map(|(e, id)| e.lines.iter().map(move |l| (*id, l)))
        .collect();
    for chunk in lines.chunks(LINE_CHUNK) {
        let sql = format!(
            "INSERT INTO journal_lines (entry_id, account_code, loan_id, funding_source, currency, debit_minor, credit_minor) VALUES {}",
            crate::db::values_placeholders(tx.backend(), chunk.len(), 7)
        );
        let mut q = sqlx::query(&sql);
        for (id, l) in chunk {
            q = q
                .bind(*id)
                .bind(&l.account_code)
                .bind(l.loan_id)
                .bind(&l.funding_source)
                .bind(&l.currency)
                .bind(l.debit_minor)
                .bind(l.credit_minor);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(ids)
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<EntryRow, StoreError> {
    Ok(EntryRow {
        id: row.try_get("id")?,
        business_date: row.try_get("business_date")?,
        posted_at: row.try_get("posted_at")?,
        description: row.try_get("description")?,
        source: row.try_get("source")?,
        reverses_entry_id: row.try_get("reverses_entry_id")?,
        created_by: row.try_get("created_by")?,
        lines: Vec::new(),
    })
}

async fn lines_of(db: &Db, entry_id: i64) -> Result<Vec<LineRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT account_code, loan_id, funding_source, currency, debit_minor, credit_minor FROM journal_lines WHERE entry_id = $1 ORDER BY id",
    )
    .bind(entry_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LineRow {
                account_code: r.try_get("account_code")?,
                loan_id: r.try_get("loan_id")?,
                funding_source: r.try_get("funding_source")?,
                currency: r.try_get("currency")?,
                debit_minor: r.try_get("debit_minor")?,
                credit_minor: r.try_get("credit_minor")?,
            })
        })
        .collect()
}

/// Entry `id` with its lines.
///
/// # Errors
/// A database error.
pub async fn entry(db: &Db, id: i64) -> Result<Option<EntryRow>, StoreError> {
    let row = sqlx::query(
        "SELECT id, business_date, posted_at, description, source, reverses_entry_id, created_by FROM journal_entries WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut entry = entry_from_row(&row)?;
    entry.lines = lines_of(db, id).await?;
    Ok(Some(entry))
}

/// The newest entries (with lines), below `before_id` when given.
///
/// # Errors
/// A database error.
pub async fn entries(
    db: &Db,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<EntryRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, business_date, posted_at, description, source, reverses_entry_id, created_by FROM journal_entries \
         WHERE id < $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(before_id.unwrap_or(i64::MAX))
    .bind(limit.clamp(1, 500))
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut e = entry_from_row(row)?;
        e.lines = lines_of(db, e.id).await?;
        out.push(e);
    }
    Ok(out)
}

/// Whether entry `id` has already been reversed.
///
/// # Errors
/// A database error.
pub async fn is_reversed(tx: &mut Tx<'_>, id: i64) -> Result<bool, StoreError> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM journal_entries WHERE reverses_entry_id = $1")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
    Ok(n > 0)
}

/// Σ debit and Σ credit of one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountTotals {
    /// Account code.
    pub code: String,
    /// English name.
    pub name_en: String,
    /// Chinese name.
    pub name_zh: String,
    /// Kind code.
    pub kind: String,
    /// `debit` or `credit`.
    pub normal_side: String,
    /// Σ debit (minor units).
    pub debit_minor: i64,
    /// Σ credit (minor units).
    pub credit_minor: i64,
}

/// Totals of every account, by code (accounts without lines show zeros).
///
/// # Errors
/// A database error.
pub async fn account_totals(db: &Db) -> Result<Vec<AccountTotals>, StoreError> {
    let rows = sqlx::query(
        "SELECT a.code, a.name_en, a.name_zh, a.kind, a.normal_side, \
                CAST(COALESCE(SUM(l.debit_minor), 0) AS BIGINT) AS debit_minor, \
                CAST(COALESCE(SUM(l.credit_minor), 0) AS BIGINT) AS credit_minor \
         FROM gl_accounts a LEFT JOIN journal_lines l ON l.account_code = a.code \
         GROUP BY a.code, a.name_en, a.name_zh, a.kind, a.normal_side ORDER BY a.code",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AccountTotals {
                code: r.try_get("code")?,
                name_en: r.try_get("name_en")?,
                name_zh: r.try_get("name_zh")?,
                kind: r.try_get("kind")?,
                normal_side: r.try_get("normal_side")?,
                debit_minor: r.try_get("debit_minor")?,
                credit_minor: r.try_get("credit_minor")?,
            })
        })
        .collect()
}

/// The first entry whose lines do not balance: (id, Σ debit, Σ credit).
///
/// # Errors
/// A database error.
pub async fn first_unbalanced_entry(db: &Db) -> Result<Option<(i64, i64, i64)>, StoreError> {
    let row = sqlx::query(
        "SELECT e.id, CAST(COALESCE(SUM(l.debit_minor), 0) AS BIGINT) AS d, CAST(COALESCE(SUM(l.credit_minor), 0) AS BIGINT) AS c \
         FROM journal_entries e LEFT JOIN journal_lines l ON l.entry_id = e.id \
         GROUP BY e.id HAVING COALESCE(SUM(l.debit_minor), 0) <> COALESCE(SUM(l.credit_minor), 0) OR COUNT(l.id) < 2 \
         ORDER BY e.id LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("d")?, r.try_get("c")?)))
        .transpose()
}

/// The first line on one of `loan_scoped` accounts without a loan, outside the summary
/// entries of the daily close (source `eod`): (entry id, account).
///
/// # Errors
/// A database error.
pub async fn first_unscoped_line(
    db: &Db,
    loan_scoped: &[&str],
) -> Result<Option<(i64, String)>, StoreError> {
    for code in loan_scoped {
        let row = sqlx::query(
            "SELECT l.entry_id, l.account_code FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id \
             WHERE l.account_code = $1 AND l.loan_id IS NULL AND e.source <> 'eod' ORDER BY l.id LIMIT 1",
        )
        .bind(*code)
        .fetch_optional(db.pool())
        .await?;
        if let Some(r) = row {
            return Ok(Some((r.try_get("entry_id")?, r.try_get("account_code")?)));
        }
    }
    Ok(None)
}

/// Which per-loan balance a subledger reconciliation compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubledgerBalance {
    /// Principal outstanding against loans receivable (1301 normal + 1302 overdue).
    Principal,
}

/// The first loan whose running balance differs from its GL lines:
/// (loan id, balance on the loan, balance in the GL).
///
/// # Errors
/// A database error.
pub async fn first_subledger_difference(
    db: &Db,
    which: SubledgerBalance,
) -> Result<Option<(i64, i64, i64)>, StoreError> {
    let (column, accounts) = match which {
        SubledgerBalance::Principal => ("principal_outstanding_minor", "'1301', '1302'"),
    };
    let row = sqlx::query(&format!(
        "SELECT l.loan_id AS id, l.{column} AS book, CAST(COALESCE(g.bal, 0) AS BIGINT) AS gl FROM loan_balances l \
         LEFT JOIN (SELECT loan_id, SUM(debit_minor - credit_minor) AS bal FROM journal_lines \
                    WHERE account_code IN ({accounts}) AND loan_id IS NOT NULL GROUP BY loan_id) g ON g.loan_id = l.loan_id \
         WHERE l.{column} <> COALESCE(g.bal, 0) ORDER BY l.loan_id LIMIT 1"
    ))
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("book")?, r.try_get("gl")?)))
        .transpose()
}
