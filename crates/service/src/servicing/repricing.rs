//! LPR floating rates: converting a loan's pricing base to the LPR (an approved
//! `lpr_conversion` restructure) and repricing floating loans in the daily close.
//!
//! Steps of [`reprice_due`] for business date D (the close of D calls it first):
//! 1. select active floating loans whose next repricing date is on or before D, by id,
//!    in batches of [`REPRICE_BATCH`] per transaction (locked on PostgreSQL);
//! 2. for each, find the latest LPR of its tenor published on or before its repricing
//!    date (none yet: the loan waits for a later close) and add the spread;
//! 3. move the next repricing date past D by the loan's rule (January 1, or the
//!    anniversary of its start);
//! 4. when the rate changes and a period follows the current one, reschedule like a rate
//!    change (the current period keeps its interest), archiving the old installments
//!    under an applied `lpr_repricing` restructure by `eod`.

use std::collections::HashMap;

use chrono::NaiveDate;
use loanbook_core::servicing::lpr::{LprTenor, RepricingRule, floating_rate, latest_on};
use loanbook_core::servicing::restructure::Restructure;
use loanbook_store::Tx;
use loanbook_store::audit::timestamp;
use loanbook_store::loans as loans_store;
use loanbook_store::restructuring::{self as rstore, FloatingRow, RequestRow};
use loanbook_store::servicing::{self as store, BalanceRow};
use rust_decimal::Decimal;
use serde::Serialize;

use super::load_locked;
use super::restructure::{TABLE, plan, record_transaction, write_plan};
use crate::{Actor, App, Role, ServiceError, record};

/// The published rates by tenor: (effective date, rate).
type Published = HashMap<LprTenor, Vec<(NaiveDate, Decimal)>>;

/// Every published rate, by tenor (the table is small: two tenors, one rate a month).
async fn published_all(tx: &mut Tx<'_>) -> Result<Published, ServiceError> {
    let mut out = Published::new();
    for r in rstore::lpr_rates(&mut **tx).await? {
        let parsed = LprTenor::parse(&r.tenor)
            .zip(store::parse_date(&r.effective_date).zip(r.rate.parse::<Decimal>().ok()));
        if let Some((tenor, rate)) = parsed {
            out.entry(tenor).or_default().push(rate);
        }
    }
    Ok(out)
}

/// The spread of an LPR conversion: as given, or the current rate less the latest LPR
/// (the rate is then unchanged at conversion).
pub(super) async fn conversion_spread(
    tx: &mut Tx<'_>,
    row: &BalanceRow,
    tenor: LprTenor,
    spread: Option<Decimal>,
    business_date: NaiveDate,
) -> Result<Decimal, ServiceError> {
    if let Some(s) = spread {
        return Ok(s);
    }
    let published = published_all(tx).await?;
    let of_tenor = published.get(&tenor).map_or(&[][..], Vec::as_slice);
    let (_, lpr) = latest_on(of_tenor, business_date).ok_or_else(|| {
        ServiceError::invalid(
            "rate_spread",
            format!(
                "no {} LPR is published on or before {business_date}: give the spread, or import the LPR first",
                tenor.code()
            ),
        )
    })?;
    Ok((super::parse_rate(&row.annual_rate)? - lpr).normalize())
}

/// Makes the loan's rate float on the LPR from its next repricing date.
pub(super) async fn convert(
    tx: &mut Tx<'_>,
    app: &App,
    actor: &Actor,
    row: &BalanceRow,
    (tenor, spread, rule): (LprTenor, Option<Decimal>, RepricingRule),
    restructure_id: i64,
) -> Result<serde_json::Value, ServiceError> {
    let loan_id = row.account.loan_id;
    let business_date = app.business_date().await?;
    let spread = conversion_spread(tx, row, tenor, spread, business_date).await?;
    let loan = loans_store::loan(&mut **tx, loan_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan {loan_id}")))?;
    let start = store::parse_date(&loan.start_date)
        .ok_or_else(|| ServiceError::Conflict(format!("loan {loan_id}: start date")))?;
    let next = rule
        .next_after(start, business_date)
        .ok_or_else(|| ServiceError::Conflict("no repricing date in range".into()))?;
    rstore::set_floating(
        tx,
        &FloatingRow {
            loan_id,
            lpr_tenor: tenor.code().into(),
            rate_spread: spread.to_string(),
            repricing_rule: rule.code().into(),
            next_repricing: next.to_string(),
            start_date: loan.start_date.clone(),
        },
    )
    .await?;
    let result = serde_json::json!({
        "kind": "lpr_conversion",
        "lpr_tenor": tenor.code(),
        "rate_spread": spread.to_string(),
        "repricing_rule": rule.code(),
        "next_repricing": next.to_string(),
        "annual_rate": row.annual_rate,
    });
    record_transaction(
        tx,
        app,
        actor,
        loan_id,
        restructure_id,
        business_date,
        &result,
    )
    .await?;
    Ok(result)
}

/// What [`reprice_due`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RepricingReport {
    /// Loans whose rate changed (schedule replaced after the current period).
    pub repriced: u64,
    /// Loans due whose rate came out the same, or with nothing left to reschedule.
    pub unchanged: u64,
    /// Loans left for a later close: no LPR of their tenor published yet, or a rate out
    /// of range (logged).
    pub skipped: u64,
}

/// Floating loans repriced per transaction.
pub const REPRICE_BATCH: i64 = 200;

/// Reprices every floating loan due on or before `date` (the close of `date` calls it
/// first): rate = latest LPR of its tenor on or before its repricing date + spread, from
/// the next due date on; the next repricing date follows the loan's rule. Idempotent: a
/// repriced loan's next date moves past `date`.
///
/// # Errors
/// A database error; a loan whose stored terms do not parse.
pub async fn reprice_due(app: &App, date: NaiveDate) -> Result<RepricingReport, ServiceError> {
    let actor = Actor {
        user_id: 0,
        username: "eod".into(),
        role: Role::Admin,
        request_id: None,
    };
    let mut report = RepricingReport::default();
    let mut rates: Option<Published> = None;
    let mut after = 0;
    loop {
        let mut tx = app.db().begin().await?;
        let due = rstore::repricing_due(
            &mut tx,
            &date.to_string(),
            after,
            REPRICE_BATCH,
            app.db().backend(),
        )
        .await?;
        let Some(last) = due.last() else {
            tx.rollback().await?;
            break;
        };
        after = last.loan_id;
        if rates.is_none() {
            rates = Some(published_all(&mut tx).await?);
        }
        let rates = rates
            .as_ref()
            .ok_or_else(|| ServiceError::Conflict("LPR".into()))?;
        for f in &due {
            reprice_one(&mut tx, app, &actor, f, (date, rates), &mut report).await?;
        }
        tx.commit().await?;
    }
    Ok(report)
}

async fn reprice_one(
    tx: &mut Tx<'_>,
    app: &App,
    actor: &Actor,
    f: &FloatingRow,
    (date, rates): (NaiveDate, &Published),
    report: &mut RepricingReport,
) -> Result<(), ServiceError> {
    let loan_id = f.loan_id;
    let corrupt = |what: &str| ServiceError::Conflict(format!("loan {loan_id}: stored {what}"));
    let tenor = LprTenor::parse(&f.lpr_tenor).ok_or_else(|| corrupt("lpr_tenor"))?;
    let rule = RepricingRule::parse(&f.repricing_rule).ok_or_else(|| corrupt("repricing_rule"))?;
    let spread: Decimal = f.rate_spread.parse().map_err(|_| corrupt("rate_spread"))?;
    let on = store::parse_date(&f.next_repricing).ok_or_else(|| corrupt("next_repricing"))?;
    let start = store::parse_date(&f.start_date).ok_or_else(|| corrupt("start_date"))?;
    let of_tenor = rates.get(&tenor).map_or(&[][..], Vec::as_slice);
    let Some((published_on, lpr)) = latest_on(of_tenor, on) else {
        tracing::warn!(loan_id, tenor = tenor.code(), %on, "no LPR published: repricing waits");
        report.skipped += 1;
        return Ok(());
    };
    let new_rate = match floating_rate(lpr, spread) {
        Ok(rate) => rate,
        Err(e) => {
            tracing::warn!(loan_id, %e, "floating rate out of range: repricing waits");
            report.skipped += 1;
            return Ok(());
        }
    };
    let next = rule
        .next_after(start, date)
        .ok_or_else(|| corrupt("repricing date"))?;
    rstore::set_next_repricing(tx, loan_id, &next.to_string()).await?;
    let (mut row, product, _) = load_locked(tx, app, loan_id).await?;
    if super::parse_rate(&row.annual_rate)? == new_rate.as_decimal() {
        report.unchanged += 1;
        return Ok(());
    }
    let change = Restructure::RateChange { new_rate };
    let p = match plan(tx, app, &row, &product, &change).await {
        Ok(p) => p,
        // every installment has fallen due, or the current one is the last
        Err(ServiceError::Invalid(_)) => {
            report.unchanged += 1;
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let request = serde_json::json!({
        "kind": "lpr_repricing",
        "lpr_tenor": tenor.code(),
        "lpr": lpr.to_string(),
        "lpr_effective_date": published_on.to_string(),
        "rate_spread": spread.to_string(),
        "repricing_date": on.to_string(),
        "new_rate": new_rate.to_string(),
    });
    let at = timestamp(app.now());
    let id = rstore::insert_request(
        tx,
        TABLE,
        &RequestRow {
            loan_id,
            kind: "lpr_repricing".into(),
            status: "applied".into(),
            request_json: request.to_string(),
            reason: format!("LPR repricing on {on}"),
            requested_by: actor.username.clone(),
            requested_at: at.clone(),
            decided_by: Some(actor.username.clone()),
            decided_at: Some(at),
            applied_on: Some(date.to_string()),
            result_json: "{}".into(),
            ..RequestRow::default()
        },
    )
    .await?;
    let before = row.account.clone();
    let result = write_plan(tx, app, actor, &mut row, &p, id, date).await?;
    loans_store::update_texts(
        tx,
        "UPDATE restructures SET result_json = $1 WHERE id = $2",
        &[&result.to_string()],
        id,
    )
    .await?;
    record(
        tx,
        actor,
        "loan.lpr_repricing",
        "loan",
        &loan_id.to_string(),
        Some(serde_json::to_value(&before).unwrap_or_default()),
        Some(result),
    )
    .await?;
    report.repriced += 1;
    Ok(())
}
