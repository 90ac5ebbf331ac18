//! The rules evaluated on events and on demand: bureau delinquencies, income drop,
//! collateral loan-to-value, the watch list; and the monthly re-evaluation of the book.

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_core::post_loan::warnings::{Rule, Thresholds};
use loanbook_store::Tx;
use loanbook_store::audit::timestamp;
use loanbook_store::customers::CustomerRow;
use loanbook_store::warnings::{self as store, NewWarning, WatchRow};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{EVALUATE_PAGE, MAX_WATCH_ENTRIES, business_date_in, cny};
use crate::{Actor, App, Permission, ServiceError, Violation, record};

async fn raise(
    tx: &mut Tx<'_>,
    customer_id: i64,
    rule: Rule,
    detail: Value,
    at: &str,
) -> Result<Option<i64>, ServiceError> {
    let raised_on = business_date_in(tx).await?;
    let owner = store::officer_of(tx, customer_id, 0).await?;
    Ok(store::raise(
        tx,
        &NewWarning {
            customer_id,
            loan_id: 0,
            rule: rule.code().into(),
            severity: rule.severity().code().into(),
            owner,
            raised_on: raised_on.to_string(),
            detail: detail.to_string(),
            at: at.to_owned(),
        },
    )
    .await?)
}

/// The delinquencies of a bureau snapshot (`delinquencies_24m`).
fn delinquencies(report_json: &str) -> Option<i64> {
    serde_json::from_str::<Value>(report_json)
        .ok()?
        .get("delinquencies_24m")?
        .as_i64()
}

/// After credit report `report_id` of customer `customer_id` was stored: raises
/// `bureau_delinquency` when it is the newest report of its bureau and counts more
/// delinquencies than the one before. Returns the warning raised.
///
/// # Errors
/// A database error.
pub(crate) async fn bureau_report_added(
    tx: &mut Tx<'_>,
    customer_id: i64,
    report_id: i64,
    at: &str,
) -> Result<Option<i64>, ServiceError> {
    if !store::has_active_loan(tx, customer_id).await? {
        return Ok(None);
    }
    let Some(bureau) = store::report_bureau(tx, report_id).await? else {
        return Ok(None);
    };
    let reports = store::newest_reports(tx, customer_id, &bureau).await?;
    let [new, previous] = reports.as_slice() else {
        return Ok(None);
    };
    if new.id != report_id {
        return Ok(None); // an older report filed late is not a refresh
    }
    let (Some(now), Some(before)) = (
        delinquencies(&new.report_json),
        delinquencies(&previous.report_json),
    ) else {
        return Ok(None);
    };
    if now <= before {
        return Ok(None);
    }
    let detail = json!({
        "bureau": bureau,
        "report_id": new.id,
        "pulled_on": new.pulled_on,
        "delinquencies_24m": now,
        "previous_report_id": previous.id,
        "previous_pulled_on": previous.pulled_on,
        "previous_delinquencies_24m": before,
        "new_delinquencies": now - before,
    });
    raise(tx, customer_id, Rule::BureauDelinquency, detail, at).await
}

/// After a customer update from `before` to `after`: raises `income_drop` when the monthly
/// income or the annual revenue fell by at least the threshold. Returns the warning raised.
///
/// # Errors
/// A database error.
pub(crate) async fn income_changed(
    tx: &mut Tx<'_>,
    before: &CustomerRow,
    after: &CustomerRow,
    at: &str,
) -> Result<Option<i64>, ServiceError> {
    let thresholds = Thresholds::default();
    let fell = [
        (
            "monthly_income",
            before.monthly_income_minor,
            after.monthly_income_minor,
        ),
        (
            "annual_revenue",
            before.annual_revenue_minor,
            after.annual_revenue_minor,
        ),
    ]
    .into_iter()
    .find_map(|(field, b, a)| {
        let (b, a) = (b?, a?);
        thresholds.income_fall(b, a).map(|fall| (field, b, a, fall))
    });
    let Some((field, b, a, fall)) = fell else {
        return Ok(None);
    };
    if !store::has_active_loan(tx, after.id).await? {
        return Ok(None);
    }
    let detail = json!({
        "field": field,
        "before": cny(b),
        "after": cny(a),
        "fall": ratio(fall),
        "threshold": thresholds.income_drop.to_string(),
    });
    raise(tx, after.id, Rule::IncomeDrop, detail, at).await
}

/// A customer's loan-to-value and the warning raised for it, if any.
#[derive(Clone, Debug, Serialize)]
pub struct LtvView {
    /// The customer.
    pub customer_id: i64,
    /// Principal outstanding on its active loans.
    pub outstanding: Money,
    /// Value of its collateral not released.
    pub valuation: Money,
    /// outstanding / valuation, 4 places.
    pub ltv: String,
    /// Above the threshold?
    pub breach: bool,
    /// The warning raised now (none when not breached, or one is open).
    pub warning_id: Option<i64>,
}

fn ltv_text(e: &store::Exposure) -> String {
    if e.valuation_minor <= 0 {
        return "—".into();
    }
    ratio(Decimal::from(e.outstanding_minor) / Decimal::from(e.valuation_minor))
}

/// A ratio shown to 4 places, rounded half-up (`0.8500`).
fn ratio(r: Decimal) -> String {
    format!(
        "{:.4}",
        r.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
    )
}

fn ltv_warning(e: &store::Exposure, t: &Thresholds) -> Option<Value> {
    let ltv = t.ltv_breach(e.outstanding_minor, e.valuation_minor)?;
    Some(json!({
        "outstanding": cny(e.outstanding_minor),
        "valuation": cny(e.valuation_minor),
        "collaterals": e.collaterals,
        "ltv": ratio(ltv),
        "max_ltv": t.max_ltv.to_string(),
    }))
}

/// Evaluates customer `customer_id`'s loan-to-value; raises `collateral_ltv` above the
/// threshold. `None` for a customer without an active loan or collateral.
async fn ltv_of(
    tx: &mut Tx<'_>,
    customer_id: i64,
    at: &str,
) -> Result<Option<LtvView>, ServiceError> {
    let t = Thresholds::default();
    let Some(e) = store::exposures(&mut **tx, customer_id, 0, 1).await?.pop() else {
        return Ok(None);
    };
    let warning_id = match ltv_warning(&e, &t) {
        Some(detail) => raise(tx, customer_id, Rule::CollateralLtv, detail, at).await?,
        None => None,
    };
    Ok(Some(LtvView {
        customer_id,
        outstanding: cny(e.outstanding_minor),
        valuation: cny(e.valuation_minor),
        ltv: ltv_text(&e),
        breach: t
            .ltv_breach(e.outstanding_minor, e.valuation_minor)
            .is_some(),
        warning_id,
    }))
}

fn watch_detail(w: &WatchRow) -> Value {
    json!({"kind": w.kind, "value": w.value, "entry_id": w.id, "reason": w.reason})
}

/// Raises `watch_list` on customer `customer_id` (with an active loan) when its industry
/// or province is on the watch list. Returns how many were raised (0 or 1).
///
/// # Errors
/// A database error.
pub(crate) async fn flag_watched_borrower(
    tx: &mut Tx<'_>,
    customer_id: i64,
    at: &str,
) -> Result<u64, ServiceError> {
    let Some(entry) = store::watched_for(tx, customer_id)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(0);
    };
    let raised_on = business_date_in(tx).await?.to_string();
    Ok(store::raise_watched(
        tx,
        &entry.kind,
        &entry.value,
        customer_id,
        Rule::WatchList.severity().code(),
        &raised_on,
        &watch_detail(&entry).to_string(),
        at,
    )
    .await?)
}

/// A collateral's new appraisal.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RevaluationInput {
    /// The appraised value, e.g. "880000.00".
    #[serde(default)]
    pub valuation: String,
    /// Appraisal date (YYYY-MM-DD), not after the business date.
    #[serde(default)]
    pub valued_on: String,
}

/// A revaluation and what it did to the customer's loan-to-value.
#[derive(Clone, Debug, Serialize)]
pub struct RevaluationView {
    /// The collateral.
    pub collateral_id: i64,
    /// Its customer.
    pub customer_id: i64,
    /// The value before.
    pub previous_valuation: Money,
    /// The value now.
    pub valuation: Money,
    /// Appraisal date.
    pub valued_on: String,
    /// The customer's loan-to-value now (none without an active loan).
    pub ltv: Option<LtvView>,
}

/// Revalues a collateral and evaluates its customer's loan-to-value (`collateral_ltv`).
///
/// # Errors
/// Forbidden without `customer:write`; [`ServiceError::Invalid`] naming `valuation` or
/// `valued_on`; not found.
pub async fn revalue_collateral(
    app: &App,
    actor: &Actor,
    collateral_id: i64,
    input: &RevaluationInput,
) -> Result<RevaluationView, ServiceError> {
    actor.require(Permission::CustomerWrite)?;
    let today = app.business_date().await?;
    let mut v = Vec::new();
    let valuation = crate::input::amount(
        "valuation",
        &input.valuation,
        Currency::CNY,
        crate::input::Sign::Positive,
        &mut v,
    );
    match NaiveDate::parse_from_str(input.valued_on.trim(), "%Y-%m-%d") {
        Ok(d) if d > today => v.push(Violation::new(
            "valued_on",
            format!("{d} is after the business date {today}"),
        )),
        Ok(_) => {}
        Err(_) => v.push(Violation::new(
            "valued_on",
            format!("'{}' is not a date (YYYY-MM-DD)", input.valued_on.trim()),
        )),
    }
    let (Some(valuation), true) = (valuation, v.is_empty()) else {
        return Err(ServiceError::Invalid(v));
    };
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let (customer_id, before, before_on) = store::revalue_collateral(
        &mut tx,
        collateral_id,
        valuation.amount_minor(),
        input.valued_on.trim(),
    )
    .await?
    .ok_or_else(|| ServiceError::NotFound(format!("collateral {collateral_id}")))?;
    let ltv = ltv_of(&mut tx, customer_id, &at).await?;
    let view = RevaluationView {
        collateral_id,
        customer_id,
        previous_valuation: cny(before),
        valuation,
        valued_on: input.valued_on.trim().to_owned(),
        ltv,
    };
    record(
        &mut tx,
        actor,
        "collateral.revalue",
        "customer",
        &customer_id.to_string(),
        Some(json!({"collateral": collateral_id, "valuation": cny(before), "valued_on": before_on})),
        Some(json!({"collateral": collateral_id, "valuation": valuation, "valued_on": view.valued_on, "ltv": view.ltv})),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// What an evaluation checked and raised.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EvaluationView {
    /// Customers with collateral and an active loan whose loan-to-value was computed.
    pub customers_checked: u64,
    /// `collateral_ltv` warnings raised.
    pub collateral_ltv_raised: u64,
    /// `watch_list` warnings raised.
    pub watch_list_raised: u64,
    /// The customer's loan-to-value, when one customer was evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ltv: Option<LtvView>,
}

/// Evaluates the loan-to-value and watch-list rules for one customer, or for the whole
/// book ([`evaluate_all`]) when `customer_id` is none.
///
/// # Errors
/// Forbidden without `warning:manage`; not found (customer).
pub async fn evaluate(
    app: &App,
    actor: &Actor,
    customer_id: Option<i64>,
) -> Result<EvaluationView, ServiceError> {
    let Some(customer_id) = customer_id else {
        return evaluate_all(app, actor).await;
    };
    actor.require(Permission::WarningManage)?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    loanbook_store::customers::get(&mut *tx, customer_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("customer {customer_id}")))?;
    let ltv = ltv_of(&mut tx, customer_id, &at).await?;
    let view = EvaluationView {
        customers_checked: u64::from(ltv.is_some()),
        collateral_ltv_raised: u64::from(ltv.as_ref().is_some_and(|l| l.warning_id.is_some())),
        watch_list_raised: flag_watched_borrower(&mut tx, customer_id, &at).await?,
        ltv,
    };
    record(
        &mut tx,
        actor,
        "warning.evaluate",
        "customer",
        &customer_id.to_string(),
        None,
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Re-runs the loan-to-value and watch-list rules over the whole book (the monthly job):
/// 1. customers with collateral and an active loan, 500 per transaction, by id: each
///    above the threshold gets `collateral_ltv` unless one is open;
/// 2. every entry on the watch list flags the customers with an active loan in its
///    industry or region (one statement per entry);
/// 3. an audit record with the counts.
///
/// # Errors
/// Forbidden without `warning:manage`; a database error (pages committed stay).
pub async fn evaluate_all(app: &App, actor: &Actor) -> Result<EvaluationView, ServiceError> {
    actor.require(Permission::WarningManage)?;
    let t = Thresholds::default();
    let today = app.business_date().await?.to_string();
    let at = timestamp(app.now());
    let mut view = EvaluationView::default();
    let mut after = 0;
    loop {
        let mut tx = app.db().begin().await?;
        let page = store::exposures(&mut *tx, 0, after, EVALUATE_PAGE).await?;
        let Some(last) = page.last() else {
            tx.rollback().await?;
            break;
        };
        after = last.customer_id;
        view.customers_checked += page.len() as u64;
        let breached: Vec<(i64, Value)> = page
            .iter()
            .filter_map(|e| ltv_warning(e, &t).map(|d| (e.customer_id, d)))
            .collect();
        let ids: Vec<i64> = breached.iter().map(|(c, _)| *c).collect();
        let officers = store::officers_of(&mut tx, &ids).await?;
        let rows: Vec<NewWarning> = breached
            .into_iter()
            .map(|(customer_id, detail)| NewWarning {
                customer_id,
                loan_id: 0,
                rule: Rule::CollateralLtv.code().into(),
                severity: Rule::CollateralLtv.severity().code().into(),
                owner: officers
                    .iter()
                    .find(|(c, _)| *c == customer_id)
                    .map(|(_, o)| o.clone()),
                raised_on: today.clone(),
                detail: detail.to_string(),
                at: at.clone(),
            })
            .collect();
        view.collateral_ltv_raised += store::raise_many(&mut tx, &rows).await?;
        tx.commit().await?;
        if (page.len() as i64) < EVALUATE_PAGE {
            break;
        }
    }
    let mut tx = app.db().begin().await?;
    for entry in store::watch_list(&mut *tx, false, MAX_WATCH_ENTRIES).await? {
        view.watch_list_raised += raise_entry(&mut tx, &entry, &today, &at).await?;
    }
    record(
        &mut tx,
        actor,
        "warning.evaluate_all",
        "warning",
        "book",
        None,
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

pub(super) async fn raise_entry(
    tx: &mut Tx<'_>,
    entry: &WatchRow,
    raised_on: &str,
    at: &str,
) -> Result<u64, ServiceError> {
    Ok(store::raise_watched(
        tx,
        &entry.kind,
        &entry.value,
        0,
        Rule::WatchList.severity().code(),
        raised_on,
        &watch_detail(entry).to_string(),
        at,
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delinquencies_come_from_the_snapshot() {
        assert_eq!(delinquencies(r#"{"delinquencies_24m": 2}"#), Some(2));
        assert_eq!(delinquencies(r#"{"score": 600}"#), None);
        assert_eq!(delinquencies("not json"), None);
    }
}
