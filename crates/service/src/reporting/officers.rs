//! Officer performance (信贷员绩效): per loan officer — the user who created the
//! application (`applications.created_by`) — the applications submitted in a period and
//! what came of them, the loans disbursed in it, and the officer's serviced book now
//! with its PAR30 and NPL ratio. Loans booked without an application (imports) have no
//! officer and are left out.

use chrono::NaiveDate;
use loanbook_core::delinquency::{Bucket, FiveTier};
use loanbook_core::reporting::officers::{Activity, performance};
use loanbook_core::reporting::portfolio::Cell;
use loanbook_store::reporting as store;
use serde::Serialize;

use super::check_period;
use crate::collections::money;
use crate::{Actor, App, Permission, ServiceError};

/// One officer's line of the report.
#[derive(Clone, Debug, Serialize)]
pub struct OfficerView {
    /// The officer's username.
    pub officer: String,
    /// Applications submitted in the period (business date of the submission).
    pub submitted: i64,
    /// Of them, ever approved.
    pub approved: i64,
    /// Of them, ever declined.
    pub declined: i64,
    /// Approved ÷ (approved + declined).
    pub approval_rate: String,
    /// Loans that started in the period.
    pub loans_disbursed: i64,
    /// Amount disbursed on them.
    pub principal_disbursed: String,
    /// Serviced loans of the officer now.
    pub loans: i64,
    /// Their principal outstanding.
    pub principal_outstanding: String,
    /// PAR30 of the officer's book: principal more than 30 days past due ÷ principal.
    pub par30: String,
    /// NPL ratio of the officer's book: principal classed substandard or worse ÷ principal.
    pub npl_ratio: String,
}

/// Officer performance of a period.
#[derive(Clone, Debug, Serialize)]
pub struct OfficerPerformanceView {
    /// First business date.
    pub from: NaiveDate,
    /// Last business date.
    pub to: NaiveDate,
    /// The open business date: the books are as of the last close and the day's postings.
    pub business_date: NaiveDate,
    /// One line per officer, the largest book first.
    pub officers: Vec<OfficerView>,
}

/// Officer performance from `from` to `to` (business dates), with each officer's book
/// now; sorted by principal outstanding, largest first.
///
/// # Errors
/// Forbidden without `loan:read`; [`ServiceError::Invalid`] naming `to` when it is
/// before `from`.
pub async fn officer_performance(
    app: &App,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<OfficerPerformanceView, ServiceError> {
    actor.require(Permission::LoanRead)?;
    check_period(from, to)?;
    let (f, t) = (from.to_string(), to.to_string());
    let applications = store::officer_applications(app.db(), &f, &t).await?;
    let disbursements = store::officer_disbursements(app.db(), &f, &t).await?;
    let activity: Vec<Activity> = applications
        .into_iter()
        .map(|(officer, submitted, approved, declined)| Activity {
            officer,
            submitted,
            approved,
            declined,
            ..Activity::default()
        })
        .chain(
            disbursements
                .into_iter()
                .map(|(officer, loans, principal)| Activity {
                    officer,
                    loans_disbursed: loans,
                    principal_disbursed: principal,
                    ..Activity::default()
                }),
        )
        .collect();
    let book: Vec<(String, Cell)> = store::officer_book(app.db())
        .await?
        .into_iter()
        .filter_map(|c| {
            let cell = Cell {
                bucket: Bucket::of(u32::try_from(c.dpd).unwrap_or(0)),
                class: FiveTier::parse(&c.five_tier_class)?,
                loans: c.loans,
                principal: c.principal_minor,
                provision: c.provision_minor,
            };
            Some((c.officer, cell))
        })
        .collect();
    Ok(OfficerPerformanceView {
        from,
        to,
        business_date: app.business_date().await?,
        officers: performance(&activity, &book)
            .into_iter()
            .map(|o| OfficerView {
                officer: o.officer,
                submitted: o.submitted,
                approved: o.approved,
                declined: o.declined,
                approval_rate: o.approval_rate.to_string(),
                loans_disbursed: o.loans_disbursed,
                principal_disbursed: money(o.principal_disbursed),
                loans: o.loans,
                principal_outstanding: money(o.principal_outstanding),
                par30: o.par30.to_string(),
                npl_ratio: o.npl_ratio.to_string(),
            })
            .collect(),
    })
}
