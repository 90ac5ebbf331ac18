//! The rows of a book migration: each checked field by field and, when every field is
//! good, its loan brought to the business date in memory by the core.

use std::collections::HashMap;

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_core::product::Product;
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::{RepaymentMethod, ScheduleTerms, generate};
use loanbook_core::servicing::migration::{Migrated, MigrationError, Repaid, bring_to_date};
use loanbook_core::servicing::{InstallmentState, OpenInstallment};
use loanbook_store::customers::{self as customers_store, CustomerRow};
use serde::Deserialize;

use super::{ImportOptions, MAX_TERM};
use crate::customers::{CustomerInput, check as check_customer};
use crate::input::{Sign, amount};
use crate::loans::MAX_EXTERNAL_ID_CHARS;
use crate::{App, ServiceError, Violation};

/// One row as read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Line {
    external_id: String,
    customer_name: String,
    id_number: String,
    phone: String,
    province: String,
    product_code: String,
    principal: String,
    annual_rate: String,
    term: String,
    method: String,
    disbursed_on: String,
    first_due: Option<String>,
    principal_repaid: Option<String>,
    interest_repaid: Option<String>,
    funding_source: Option<String>,
}

/// Who a row's borrower is.
#[derive(Clone, Copy, Debug)]
pub(super) enum Borrower {
    /// A customer on the books.
    Existing(i64),
    /// Index into the customers to create.
    New(usize),
}

/// A row checked and brought to the business date.
pub(super) struct Prepared {
    pub(super) row: usize,
    pub(super) external_id: String,
    pub(super) borrower: Borrower,
    pub(super) product_code: String,
    pub(super) product_version: i64,
    pub(super) terms: Terms,
    pub(super) migrated: Migrated,
}

/// What the rows share while they are checked.
pub(super) struct Lookups {
    pub(super) products: HashMap<String, Option<(i64, Product)>>,
    pub(super) funding_sources: Vec<String>,
    pub(super) by_id_number: HashMap<String, Borrower>,
    pub(super) new_customers: Vec<CustomerRow>,
    pub(super) external_ids: HashMap<String, usize>,
}

/// The loan's own terms, checked.
pub(super) struct Terms {
    pub(super) principal: Money,
    pub(super) annual_rate: AnnualRate,
    pub(super) term: u32,
    pub(super) method: RepaymentMethod,
    pub(super) disbursed_on: NaiveDate,
    pub(super) first_due: Option<NaiveDate>,
    pub(super) repaid: Repaid,
    pub(super) funding_source: String,
}

/// Checks one row; when every field is good, brings the loan to the business date.
#[allow(clippy::too_many_arguments)]
pub(super) async fn prepare(
    app: &App,
    tx: &mut loanbook_store::Tx<'_>,
    line: &Line,
    row: usize,
    business_date: NaiveDate,
    opts: &ImportOptions,
    look: &mut Lookups,
    v: &mut Vec<Violation>,
) -> Result<Option<Prepared>, ServiceError> {
    check_external_id(&line.external_id, look, v);
    let borrower = borrower(app, tx, line, business_date, look, v).await?;
    let product = product(app, &line.product_code, look, v).await?;
    let terms = check_terms(line, business_date, opts, &look.funding_sources, v);
    if !v.is_empty() {
        return Ok(None);
    }
    let (Some(borrower), Some((product_version, product)), Some(terms)) =
        (borrower, product, terms)
    else {
        return Ok(None);
    };
    let Some(migrated) = bring(&terms, &product, business_date, v) else {
        return Ok(None);
    };
    look.external_ids.insert(line.external_id.clone(), row);
    Ok(Some(Prepared {
        row,
        external_id: line.external_id.clone(),
        borrower,
        product_code: line.product_code.clone(),
        product_version,
        terms,
        migrated,
    }))
}

/// An external id: 1–100 characters, not all digits, not repeated in the file (the
/// loans booked are checked once for the whole file).
fn check_external_id(external_id: &str, look: &Lookups, v: &mut Vec<Violation>) {
    if external_id.is_empty() || external_id.chars().count() > MAX_EXTERNAL_ID_CHARS {
        v.push(Violation::new(
            "external_id",
            format!("must be 1–{MAX_EXTERNAL_ID_CHARS} characters"),
        ));
    } else if external_id.bytes().all(|b| b.is_ascii_digit()) {
        v.push(Violation::new(
            "external_id",
            format!("'{external_id}' must not be all digits (digits address a loan by its id)"),
        ));
    } else if let Some(first) = look.external_ids.get(external_id) {
        v.push(Violation::new(
            "external_id",
            format!("'{external_id}' repeats row {first}"),
        ));
    }
}

/// The loan's terms, dates, amounts repaid and funding source, every bad field named.
fn check_terms(
    line: &Line,
    business_date: NaiveDate,
    opts: &ImportOptions,
    funding_sources: &[String],
    v: &mut Vec<Violation>,
) -> Option<Terms> {
    let principal = amount(
        "principal",
        &line.principal,
        Currency::CNY,
        Sign::Positive,
        v,
    );
    let annual_rate = AnnualRate::parse(&line.annual_rate)
        .map_err(|e| v.push(Violation::new("annual_rate", e.to_string())))
        .ok();
    let term = match line.term.parse::<u32>() {
        Ok(t) if (1..=MAX_TERM).contains(&t) => Some(t),
        _ => {
            v.push(Violation::new(
                "term",
                format!(
                    "must be a whole number of periods in 1..={MAX_TERM} (got '{}')",
                    line.term
                ),
            ));
            None
        }
    };
    let method = RepaymentMethod::ALL
        .into_iter()
        .find(|m| m.code() == line.method);
    if method.is_none() {
        let codes: Vec<&str> = RepaymentMethod::ALL.iter().map(|m| m.code()).collect();
        v.push(Violation::new(
            "method",
            format!(
                "must be one of {} (got '{}')",
                codes.join(", "),
                line.method
            ),
        ));
    }
    let disbursed_on = date("disbursed_on", &line.disbursed_on, v);
    if let Some(d) = disbursed_on
        && d > business_date
    {
        v.push(Violation::new(
            "disbursed_on",
            format!("{d} is after the business date {business_date}"),
        ));
    }
    let first_due = present(&line.first_due).and_then(|t| date("first_due", t, v));
    if let (Some(first), Some(start)) = (first_due, disbursed_on)
        && first <= start
    {
        v.push(Violation::new(
            "first_due",
            format!("{first} must be after disbursed_on {start}"),
        ));
    }
    let repaid = |field: &str, text: &Option<String>, v: &mut Vec<Violation>| {
        present(text).map_or(Some(0), |t| {
            amount(field, t, Currency::CNY, Sign::NonNegative, v).map(|m| m.amount_minor())
        })
    };
    let principal_repaid = repaid("principal_repaid", &line.principal_repaid, v);
    let interest_repaid = repaid("interest_repaid", &line.interest_repaid, v);
    let funding_source = present(&line.funding_source)
        .map(str::to_owned)
        .or_else(|| opts.funding_source.clone());
    match &funding_source {
        None => v.push(Violation::new(
            "funding_source",
            "is required (no column value and no default given)",
        )),
        Some(code) if !funding_sources.contains(code) => v.push(Violation::new(
            "funding_source",
            format!("no funding source '{code}'"),
        )),
        Some(_) => {}
    }
    Some(Terms {
        principal: principal?,
        annual_rate: annual_rate?,
        term: term?,
        method: method?,
        disbursed_on: disbursed_on?,
        first_due,
        repaid: Repaid {
            principal: principal_repaid?,
            interest: interest_repaid?,
        },
        funding_source: funding_source?,
    })
}

/// The loan's schedule from `disbursed_on`, brought to the business date by the core; a
/// loan repaid in full is refused.
fn bring(
    t: &Terms,
    product: &Product,
    business_date: NaiveDate,
    v: &mut Vec<Violation>,
) -> Option<Migrated> {
    let mut terms =
        ScheduleTerms::new(t.principal, t.annual_rate, t.term, t.method, t.disbursed_on);
    terms.frequency = product.frequency;
    terms.day_count = product.day_count;
    terms.rounding = product.rounding;
    terms.first_due = t.first_due;
    let schedule = generate(&terms)
        .map_err(|e| v.push(Violation::new(e.field, e.rule)))
        .ok()?;
    let installments: Vec<OpenInstallment> = schedule
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
    let servicing = super::super::terms_of(product, t.annual_rate.as_decimal());
    let migrated = bring_to_date(
        0,
        t.principal.amount_minor(),
        t.disbursed_on,
        installments,
        business_date,
        t.repaid,
        &servicing,
    )
    .map_err(|e| v.push(migration_violation(&e)))
    .ok()?;
    if migrated.account.is_settled() && migrated.account.next_due.is_none() {
        v.push(Violation::new(
            "principal_repaid",
            "the loan is repaid in full: only active loans are migrated",
        ));
        return None;
    }
    Some(migrated)
}

fn migration_violation(e: &MigrationError) -> Violation {
    match e {
        MigrationError::TooMuchRepaid {
            field,
            what,
            repaid,
            due,
        } => Violation::new(
            *field,
            format!("{repaid} is more than the {what} due before the business date ({due})"),
        ),
        MigrationError::Date(rule) => Violation::new("disbursed_on", rule.clone()),
        MigrationError::Close(c) => Violation::new("csv", c.to_string()),
    }
}

fn present(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

fn date(field: &str, text: &str, v: &mut Vec<Violation>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| {
            v.push(Violation::new(
                field,
                format!("'{text}' is not a date (YYYY-MM-DD)"),
            ));
        })
        .ok()
}

/// The row's borrower: a customer with the ID number, one created earlier in the file,
/// or a new one (checked as any customer).
async fn borrower(
    app: &App,
    tx: &mut loanbook_store::Tx<'_>,
    line: &Line,
    as_of: NaiveDate,
    look: &mut Lookups,
    v: &mut Vec<Violation>,
) -> Result<Option<Borrower>, ServiceError> {
    let input = CustomerInput {
        kind: "individual".into(),
        name: line.customer_name.clone(),
        id_number: Some(line.id_number.clone()),
        phone: Some(line.phone.clone()),
        province: Some(line.province.clone()),
        ..CustomerInput::default()
    };
    let (checked, found) = check_customer(app, &input, as_of);
    let bad = !found.is_empty();
    v.extend(found.into_iter().map(|mut x| {
        if x.field == "name" {
            x.field = "customer_name".into();
        }
        x
    }));
    let Some(hash) = checked.row.id_number_hash.clone() else {
        return Ok(None);
    };
    if let Some(b) = look.by_id_number.get(&hash) {
        return Ok(Some(*b));
    }
    let b = match customers_store::find_by_hash(&mut **tx, "id_number_hash", &hash)
        .await?
        .first()
    {
        Some((id, _)) => Borrower::Existing(*id),
        None if bad => return Ok(None),
        None => {
            look.new_customers.push(checked.row);
            Borrower::New(look.new_customers.len() - 1)
        }
    };
    look.by_id_number.insert(hash, b);
    Ok(Some(b))
}

/// The latest version of product `code` (cached).
async fn product(
    app: &App,
    code: &str,
    look: &mut Lookups,
    v: &mut Vec<Violation>,
) -> Result<Option<(i64, Product)>, ServiceError> {
    if !look.products.contains_key(code) {
        let found = match loanbook_store::products::get(app.db(), code, None).await? {
            Some(row) => Some((
                row.version,
                crate::products::load_version(app, &row.code, row.version).await?,
            )),
            None => None,
        };
        look.products.insert(code.to_owned(), found);
    }
    let found = look.products.get(code).cloned().flatten();
    if found.is_none() {
        v.push(Violation::new(
            "product_code",
            format!("no product '{code}'"),
        ));
    }
    Ok(found)
}
