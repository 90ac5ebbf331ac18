//! The loan prime rate table (贷款市场报价利率, LPR): import of published rates and the
//! list. Floating loans reprice on it ([`super::restructure::reprice_due`]).
//!
//! Published rates are facts: a rate already stored for a tenor and date is never
//! changed — importing it again with the same rate is a no-op, with another rate an error.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use loanbook_core::rate::AnnualRate;
use loanbook_core::servicing::lpr::LprTenor;
use loanbook_store::restructuring::{self as store, LprRow};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, Permission, ServiceError, Violation, record};

/// The most rows one import takes.
pub const MAX_LPR_ROWS: usize = 10_000;

/// A published rate as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LprView {
    /// `1y` or `5y`.
    pub tenor: String,
    /// Effective date.
    pub effective_date: String,
    /// Rate, e.g. `"0.0350"`.
    pub rate: String,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LprImport {
    /// Rates added.
    pub added: u64,
    /// Rates already stored with the same value.
    pub unchanged: u64,
}

/// The columns of an LPR file, in order.
const LPR_COLUMNS: [&str; 3] = ["tenor", "effective_date", "rate"];

#[derive(Deserialize)]
struct CsvRow {
    tenor: String,
    effective_date: String,
    rate: String,
}

/// Imports published rates from CSV (`tenor,effective_date,rate`, e.g.
/// `5y,2026-12-22,0.0330`), all or nothing: every bad row is reported.
///
/// # Errors
/// Forbidden without `product:write`; [`ServiceError::Invalid`] listing each bad row
/// (a tenor other than 1y/5y, a date not YYYY-MM-DD, a rate not in [0, 1), a row twice,
/// a rate that differs from the one stored).
pub async fn import_csv(app: &App, actor: &Actor, data: &[u8]) -> Result<LprImport, ServiceError> {
    actor.require(Permission::ProductWrite)?;
    let stored: BTreeMap<(String, String), String> = store::lpr_rates(app.db().pool())
        .await?
        .into_iter()
        .map(|r| ((r.tenor, r.effective_date), r.rate))
        .collect();
    // a spreadsheet's byte-order mark is not part of the first column's name
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(data);
    let header = reader
        .headers()
        .map_err(|e| ServiceError::invalid("csv", format!("the header cannot be read: {e}")))?;
    if !header.iter().eq(LPR_COLUMNS) {
        return Err(ServiceError::invalid(
            "csv",
            format!(
                "the header must be {} (got '{}')",
                LPR_COLUMNS.join(","),
                header.iter().collect::<Vec<_>>().join(",")
            ),
        ));
    }
    let mut violations = Vec::new();
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    let mut unchanged = 0;
    for (index, record) in reader.deserialize::<CsvRow>().enumerate() {
        let row_number = index + 2;
        if index >= MAX_LPR_ROWS {
            violations.push(
                Violation::new(
                    "csv",
                    format!("more than {MAX_LPR_ROWS} rows: split the file"),
                )
                .at_row(row_number),
            );
            break;
        }
        let r = match record {
            Ok(r) => r,
            Err(e) => {
                violations.push(Violation::new("csv", e.to_string()).at_row(row_number));
                continue;
            }
        };
        let at = |v: Violation| v.at_row(row_number);
        let tenor = LprTenor::parse(&r.tenor);
        if tenor.is_none() {
            violations.push(at(Violation::new(
                "tenor",
                format!("must be 1y or 5y (got '{}')", r.tenor),
            )));
        }
        let date = NaiveDate::parse_from_str(&r.effective_date, "%Y-%m-%d").ok();
        if date.is_none() {
            violations.push(at(Violation::new(
                "effective_date",
                format!("'{}' is not a date (YYYY-MM-DD)", r.effective_date),
            )));
        }
        let rate = match AnnualRate::parse(&r.rate) {
            Ok(rate) if rate.as_decimal().is_zero() => {
                violations.push(at(Violation::new("rate", "must be greater than 0")));
                None
            }
            Ok(rate) => Some(rate),
            Err(e) => {
                violations.push(at(Violation::new("rate", e.to_string())));
                None
            }
        };
        let (Some(tenor), Some(date), Some(rate)) = (tenor, date, rate) else {
            continue;
        };
        let key = (tenor.code().to_owned(), date.to_string());
        if !seen.insert(key.clone()) {
            violations.push(at(Violation::new(
                "effective_date",
                format!("{} {date} is in the file twice", tenor.code()),
            )));
            continue;
        }
        match stored.get(&key) {
            Some(old) if old.parse().ok() == Some(rate.as_decimal()) => unchanged += 1,
            Some(old) => violations.push(at(Violation::new(
                "rate",
                format!(
                    "{} {date} is stored as {old}: a published rate is not changed (got {rate})",
                    tenor.code()
                ),
            ))),
            None => rows.push(LprRow {
                tenor: key.0,
                effective_date: key.1,
                rate: rate.to_string(),
            }),
        }
    }
    if rows.is_empty() && unchanged == 0 && violations.is_empty() {
        violations.push(Violation::new("csv", "has no rates after its header"));
    }
    if !violations.is_empty() {
        return Err(ServiceError::Invalid(violations));
    }
    let mut tx = app.db().begin().await?;
    let added = store::insert_lpr(&mut tx, &rows).await?;
    let result = LprImport { added, unchanged };
    record(
        &mut tx,
        actor,
        "lpr.import",
        "lpr_rates",
        "",
        None,
        Some(serde_json::json!({"added": added, "unchanged": unchanged, "rates": rows.iter().map(|r| format!("{} {} {}", r.tenor, r.effective_date, r.rate)).collect::<Vec<_>>()})),
    )
    .await?;
    tx.commit().await?;
    Ok(result)
}

/// Published rates, of one tenor or both, newest first within each tenor.
///
/// # Errors
/// Forbidden without `product:read`; [`ServiceError::Invalid`] naming `tenor`.
pub async fn list(
    app: &App,
    actor: &Actor,
    tenor: Option<&str>,
) -> Result<Vec<LprView>, ServiceError> {
    actor.require(Permission::ProductRead)?;
    if let Some(t) = tenor
        && LprTenor::parse(t).is_none()
    {
        return Err(ServiceError::invalid(
            "tenor",
            format!("must be 1y or 5y (got '{t}')"),
        ));
    }
    Ok(store::lpr_rates(app.db().pool())
        .await?
        .into_iter()
        .filter(|r| tenor.is_none_or(|t| r.tenor == t))
        .map(|r| LprView {
            tenor: r.tenor,
            effective_date: r.effective_date,
            rate: r.rate,
        })
        .collect())
}
