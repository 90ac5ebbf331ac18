//! Decisions on the approval chain: approve, decline, return or counter-offer on the
//! current step; committee votes counted k of n; the applicant's answer to a
//! counter-offer; the queues of pending steps with their SLA clocks.
//!
//! Decisions: a step is decided by its role (loan officer, branch manager = `approver`,
//! committee member) or an admin, never by the application's creator, submitter or
//! investigator, nor by anyone who decided an earlier step (four-eyes); one vote per
//! person. A committee member votes approve or decline; a counter-offer is made on a
//! single-person step. An accepted counter-offer approves that step with the new terms
//! and the chain goes on with them; a rejected one declines the application.

use chrono::{DateTime, Utc};
use loanbook_core::approval::{
    CounterOffer, StepKind, StepOutcome, StepSpec, Vote, four_eyes, is_overdue, sla_due, tally,
};
use loanbook_core::money::{Currency, Money};
use loanbook_core::origination::ApplicationStatus;
use loanbook_store::applications as app_store;
use loanbook_store::audit::timestamp;
use loanbook_store::origination::{self as store, CounterOfferRow, DecisionRow, StepRow};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::step_to;
use crate::{Actor, App, Permission, ServiceError, Violation, record};

/// A decision as entered.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// approve, decline, return or counter_offer.
    pub decision: String,
    /// Why (required for decline, return and counter_offer).
    #[serde(default)]
    pub comment: String,
    /// Counter-offer: the amount offered, e.g. "80000.00".
    pub amount: Option<String>,
    /// Counter-offer: the term offered.
    pub term_months: Option<u32>,
    /// Counter-offer: the annual rate offered, e.g. "0.1200".
    pub rate: Option<String>,
}

/// A step as shown.
#[derive(Clone, Debug, Serialize)]
pub struct StepView {
    /// Step id.
    pub id: i64,
    /// Position in the chain.
    pub seq: i64,
    /// automatic, loan_officer, branch_manager or committee.
    pub kind: String,
    /// waiting, pending, approved, rejected, returned, counter_offered.
    pub status: String,
    /// Approvals needed (committee k).
    pub votes_required: i64,
    /// Members (committee n).
    pub voters: i64,
    /// SLA in hours from the start of the step.
    pub sla_hours: i64,
    /// When it started.
    pub started_at: Option<String>,
    /// When the SLA runs out.
    pub due_at: Option<String>,
    /// True when pending past its SLA.
    pub overdue: bool,
    /// When it was decided.
    pub completed_at: Option<String>,
    /// Its decisions and votes.
    pub decisions: Vec<DecisionView>,
}

/// A decision or vote as shown.
#[derive(Clone, Debug, Serialize)]
pub struct DecisionView {
    /// Who.
    pub decider: String,
    /// Their role.
    pub role: String,
    /// approve, decline, return, counter_offer.
    pub decision: String,
    /// Comment.
    pub comment: String,
    /// When.
    pub at: String,
}

/// A counter-offer as shown.
#[derive(Clone, Debug, Serialize)]
pub struct CounterOfferView {
    /// Id.
    pub id: i64,
    /// Amount offered.
    pub amount: Money,
    /// Term offered.
    pub term_months: i64,
    /// Rate offered.
    pub rate: String,
    /// offered, accepted or rejected.
    pub status: String,
    /// Who offered it.
    pub offered_by: String,
}

/// The approval chain of an application.
#[derive(Clone, Debug, Serialize)]
pub struct ApprovalView {
    /// Every step of the current routing, in order.
    pub required_steps: Vec<StepView>,
    /// The steps already decided.
    pub completed_steps: Vec<StepView>,
    /// The step waiting for a decision.
    pub current_step: Option<StepView>,
    /// The latest counter-offer.
    pub counter_offer: Option<CounterOfferView>,
}

fn parse_time(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn step_view(s: &StepRow, decisions: &[DecisionRow], now: DateTime<Utc>) -> StepView {
    let sla = u32::try_from(s.sla_hours).unwrap_or(0);
    let started = s.started_at.as_deref().and_then(parse_time);
    StepView {
        id: s.id,
        seq: s.seq,
        kind: s.kind.clone(),
        status: s.status.clone(),
        votes_required: s.votes_required,
        voters: s.voters,
        sla_hours: s.sla_hours,
        started_at: s.started_at.clone(),
        due_at: started.map(|t| timestamp(sla_due(t, sla))),
        overdue: s.status == "pending" && started.is_some_and(|t| is_overdue(t, sla, now)),
        completed_at: s.completed_at.clone(),
        decisions: decisions
            .iter()
            .filter(|d| d.step_id == s.id)
            .map(|d| DecisionView {
                decider: d.decider.clone(),
                role: d.role.clone(),
                decision: d.decision.clone(),
                comment: d.comment.clone(),
                at: d.created_at.clone(),
            })
            .collect(),
    }
}

/// The approval chain of application `id` (none before it is routed).
pub(crate) async fn view(app: &App, id: i64) -> Result<Option<ApprovalView>, ServiceError> {
    let steps = store::steps(app.db().pool(), id).await?;
    if steps.is_empty() {
        return Ok(None);
    }
    let decisions = store::decisions(app.db().pool(), id).await?;
    let offers = store::counter_offers(app.db().pool(), id).await?;
    Ok(view_from(&steps, &decisions, &offers, app.now()))
}

/// The approval chain as shown, from its rows (none without steps).
pub(crate) fn view_from(
    steps: &[StepRow],
    decisions: &[DecisionRow],
    offers: &[CounterOfferRow],
    now: DateTime<Utc>,
) -> Option<ApprovalView> {
    if steps.is_empty() {
        return None;
    }
    let views: Vec<StepView> = steps.iter().map(|s| step_view(s, decisions, now)).collect();
    Some(ApprovalView {
        completed_steps: views
            .iter()
            .filter(|s| s.status != "pending" && s.status != "waiting")
            .cloned()
            .collect(),
        current_step: views
            .iter()
            .find(|s| s.status == "pending" || s.status == "counter_offered")
            .cloned(),
        required_steps: views,
        counter_offer: offers.first().map(|c| CounterOfferView {
            id: c.id,
            amount: Money::from_minor(c.amount_minor, Currency::CNY),
            term_months: c.term_months,
            rate: c.rate.clone(),
            status: c.status.clone(),
            offered_by: c.offered_by.clone(),
        }),
    })
}

fn spec(s: &StepRow) -> Result<StepSpec, ServiceError> {
    Ok(StepSpec {
        kind: StepKind::parse(&s.kind)
            .ok_or_else(|| ServiceError::Conflict(format!("step {} has kind {}", s.id, s.kind)))?,
        votes_required: u32::try_from(s.votes_required).unwrap_or(1),
        voters: u32::try_from(s.voters).unwrap_or(1),
        sla_hours: u32::try_from(s.sla_hours).unwrap_or(24),
    })
}

/// Approves step `current` and starts the next one, or approves the application with
/// the terms now in force when it was the last.
async fn advance(
    tx: &mut loanbook_store::Tx<'_>,
    actor: &Actor,
    a: &app_store::ApplicationRow,
    steps: &[StepRow],
    current: &StepRow,
    from_step_status: &str,
    at: &str,
) -> Result<ApplicationStatus, ServiceError> {
    if !store::set_step_status(tx, current.id, from_step_status, "approved", at).await? {
        return Err(ServiceError::Conflict(format!(
            "step {} of application {} changed meanwhile; reload it",
            current.seq, a.id
        )));
    }
    if let Some(next) = steps.iter().find(|s| s.seq == current.seq + 1) {
        store::set_step_status(tx, next.id, "waiting", "pending", at).await?;
        return Ok(ApplicationStatus::InReview);
    }
    // the last step: approve with the terms in force
    let assessment = store::assessment(&mut **tx, a.id).await?;
    let rate = a
        .approved_rate
        .clone()
        .or_else(|| assessment.and_then(|x| x.offered_rate))
        .unwrap_or_default();
    let amount = a.approved_amount_minor.unwrap_or(a.amount_minor);
    let term = a.approved_term_months.unwrap_or(a.term_months);
    store::set_approved_terms(tx, a.id, amount, term, &rate).await?;
    step_to(
        tx,
        a.id,
        ApplicationStatus::InReview,
        ApplicationStatus::Approved,
        &actor.username,
        &format!(
            "approved: {} for {term} months at {rate}",
            Money::from_minor(amount, Currency::CNY)
        ),
        at,
    )
    .await?;
    Ok(ApplicationStatus::Approved)
}

/// Records `input` on the current step of application `id` and moves the chain on.
///
/// # Errors
/// Forbidden without `application:decide`; refused by the step's role or four-eyes
/// (403); not found; not in review (409); invalid input or counter-offer terms (422).
#[allow(clippy::too_many_lines)]
pub async fn decide(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &DecisionInput,
) -> Result<ApplicationStatus, ServiceError> {
    actor.require(Permission::ApplicationDecide)?;
    let decision = input.decision.as_str();
    if !["approve", "decline", "return", "counter_offer"].contains(&decision) {
        return Err(ServiceError::invalid(
            "decision",
            "must be one of approve, decline, return, counter_offer",
        ));
    }
    if decision != "approve" && input.comment.trim().is_empty() {
        return Err(ServiceError::invalid(
            "comment",
            format!("is required to {}", decision.replace('_', " ")),
        ));
    }
    if input.comment.chars().count() > 2000 {
        return Err(ServiceError::invalid(
            "comment",
            "must be at most 2000 characters",
        ));
    }
    let a = app_store::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("application {id}")))?;
    if a.status != ApplicationStatus::InReview.code() {
        return Err(ServiceError::Conflict(format!(
            "application {id} is {}; only an application in review is decided",
            a.status
        )));
    }
    let steps = store::steps(app.db().pool(), id).await?;
    let current = steps
        .iter()
        .find(|s| s.status == "pending")
        .ok_or_else(|| {
            ServiceError::Conflict(format!(
                "application {id} has no step waiting for a decision (a counter-offer is open)"
            ))
        })?
        .clone();
    let step = spec(&current)?;
    if !step.kind.may_decide(actor.role.code()) {
        return Err(ServiceError::Refused {
            rule: "step_role",
            detail: format!(
                "the {} step is decided by the role {}, not {}",
                step.kind.code(),
                step.kind.role().unwrap_or("system"),
                actor.role.code()
            ),
        });
    }
    let decisions = store::decisions(app.db().pool(), id).await?;
    let routing_ids: Vec<i64> = steps.iter().map(|s| s.id).collect();
    let earlier: Vec<String> = decisions
        .iter()
        .filter(|d| routing_ids.contains(&d.step_id))
        .map(|d| d.decider.clone())
        .collect();
    let investigators = app_store::investigators(app.db().pool(), id).await?;
    four_eyes(
        &actor.username,
        a.submitted_by.as_deref(),
        &a.created_by,
        &investigators,
        &earlier,
    )
    .map_err(|e| ServiceError::Refused {
        rule: "four_eyes",
        detail: e.to_string(),
    })?;
    let committee = step.kind == StepKind::Committee;
    if committee && (decision == "counter_offer" || decision == "return") {
        return Err(ServiceError::invalid(
            "decision",
            "a committee member votes approve or decline",
        ));
    }
    let mut offer = None;
    if decision == "counter_offer" {
        offer = Some(counter_offer_terms(app, &a, input).await?);
    }
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let row = DecisionRow {
        application_id: id,
        step_id: current.id,
        decider: actor.username.clone(),
        role: actor.role.code().into(),
        decision: decision.into(),
        comment: input.comment.trim().into(),
        details_json: offer
            .as_ref()
            .map_or_else(|| "{}".into(), |o: &CounterOfferRow| {
                serde_json::json!({"amount_minor": o.amount_minor, "term_months": o.term_months, "rate": o.rate}).to_string()
            }),
        created_at: at.clone(),
    };
    match store::insert_decision(&mut tx, &row).await {
        Ok(()) => {}
        Err(e) if e.is_unique_violation() => {
            return Err(ServiceError::Refused {
                rule: "four_eyes",
                detail: format!("{} already voted on this step", actor.username),
            });
        }
        Err(e) => return Err(e.into()),
    }
    let status = match (decision, committee) {
        ("approve" | "decline", true) => {
            let mut votes: Vec<Vote> = decisions
                .iter()
                .filter(|d| d.step_id == current.id)
                .map(|d| Vote {
                    voter: d.decider.clone(),
                    approve: d.decision == "approve",
                })
                .collect();
            votes.push(Vote {
                voter: actor.username.clone(),
                approve: decision == "approve",
            });
            match tally(&step, &votes) {
                StepOutcome::Approved => {
                    advance(&mut tx, actor, &a, &steps, &current, "pending", &at).await?
                }
                StepOutcome::Rejected => {
                    store::set_step_status(&mut tx, current.id, "pending", "rejected", &at).await?;
                    step_to(
                        &mut tx,
                        id,
                        ApplicationStatus::InReview,
                        ApplicationStatus::Declined,
                        &actor.username,
                        "declined by the credit committee",
                        &at,
                    )
                    .await?;
                    ApplicationStatus::Declined
                }
                StepOutcome::Pending { .. } => ApplicationStatus::InReview,
            }
        }
        ("approve", false) => advance(&mut tx, actor, &a, &steps, &current, "pending", &at).await?,
        ("decline", false) => {
            store::set_step_status(&mut tx, current.id, "pending", "rejected", &at).await?;
            step_to(
                &mut tx,
                id,
                ApplicationStatus::InReview,
                ApplicationStatus::Declined,
                &actor.username,
                &format!("declined: {}", input.comment.trim()),
                &at,
            )
            .await?;
            ApplicationStatus::Declined
        }
        ("return", _) => {
            store::set_step_status(&mut tx, current.id, "pending", "returned", &at).await?;
            step_to(
                &mut tx,
                id,
                ApplicationStatus::InReview,
                ApplicationStatus::Returned,
                &actor.username,
                &format!("returned: {}", input.comment.trim()),
                &at,
            )
            .await?;
            ApplicationStatus::Returned
        }
        _ => {
            let mut o = offer.ok_or_else(|| ServiceError::Conflict("no counter-offer".into()))?;
            o.step_id = current.id;
            o.created_at = at.clone();
            o.offered_by = actor.username.clone();
            store::insert_counter_offer(&mut tx, &o).await?;
            store::set_step_status(&mut tx, current.id, "pending", "counter_offered", &at).await?;
            ApplicationStatus::InReview
        }
    };
    record(
        &mut tx,
        actor,
        &format!("application.decision.{decision}"),
        "application",
        &id.to_string(),
        Some(serde_json::json!({"step": current.seq, "kind": current.kind})),
        Some(serde_json::json!({"decision": decision, "comment": input.comment.trim(), "status": status.code()})),
    )
    .await?;
    tx.commit().await?;
    Ok(status)
}

async fn counter_offer_terms(
    app: &App,
    a: &app_store::ApplicationRow,
    input: &DecisionInput,
) -> Result<CounterOfferRow, ServiceError> {
    let product = crate::products::load_version(app, &a.product_code, a.product_version).await?;
    let mut v = Vec::new();
    let requested_amount = a.approved_amount_minor.unwrap_or(a.amount_minor);
    let requested_term =
        u32::try_from(a.approved_term_months.unwrap_or(a.term_months)).unwrap_or(0);
    let assessment = store::assessment(app.db().pool(), a.id).await?;
    let requested_rate = a
        .approved_rate
        .clone()
        .or_else(|| assessment.and_then(|x| x.offered_rate))
        .and_then(|r| r.parse::<Decimal>().ok());
    let amount = match input.amount.as_deref() {
        Some(t) => crate::input::amount(
            "amount",
            t,
            product.currency,
            crate::input::Sign::Positive,
            &mut v,
        )
        .map(|m| m.amount_minor()),
        None => Some(requested_amount),
    };
    let rate = match input.rate.as_deref() {
        Some(t) => match t.parse::<Decimal>() {
            Ok(r) => Some(r),
            Err(_) => {
                v.push(Violation::new(
                    "rate",
                    format!("'{t}' is not a decimal such as 0.12"),
                ));
                None
            }
        },
        None => None,
    };
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    let offer = CounterOffer {
        amount_minor: amount.unwrap_or(requested_amount),
        term_months: input.term_months.unwrap_or(requested_term),
        rate,
    };
    offer
        .validate(&product, a.amount_minor, requested_term, requested_rate)
        .map_err(|problems| {
            ServiceError::Invalid(
                problems
                    .into_iter()
                    .map(|(field, rule)| {
                        Violation::new(
                            if field == "amount_minor" {
                                "amount"
                            } else {
                                field
                            },
                            rule,
                        )
                    })
                    .collect(),
            )
        })?;
    Ok(CounterOfferRow {
        application_id: a.id,
        amount_minor: offer.amount_minor,
        term_months: i64::from(offer.term_months),
        rate: offer
            .rate
            .or(requested_rate)
            .map(|r| r.to_string())
            .unwrap_or_default(),
        status: "offered".into(),
        offered_by: String::new(),
        ..CounterOfferRow::default()
    })
}

/// The applicant's answer to the open counter-offer of application `id`, recorded by
/// the loan officer: accepted (the step is approved with the new terms and the chain goes
/// on) or rejected (the application is declined).
///
/// # Errors
/// Forbidden without `application:write`; no open counter-offer (409).
pub async fn answer_counter_offer(
    app: &App,
    actor: &Actor,
    id: i64,
    accept: bool,
) -> Result<ApplicationStatus, ServiceError> {
    actor.require(Permission::ApplicationWrite)?;
    let a = app_store::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("application {id}")))?;
    let offers = store::counter_offers(app.db().pool(), id).await?;
    let offer = offers
        .first()
        .filter(|o| o.status == "offered")
        .ok_or_else(|| {
            ServiceError::Conflict(format!("application {id} has no open counter-offer"))
        })?
        .clone();
    let steps = store::steps(app.db().pool(), id).await?;
    let current = steps
        .iter()
        .find(|s| s.id == offer.step_id && s.status == "counter_offered")
        .ok_or_else(|| {
            ServiceError::Conflict(format!("application {id} changed meanwhile; reload it"))
        })?
        .clone();
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let answer = if accept { "accepted" } else { "rejected" };
    if !store::respond_counter_offer(&mut tx, offer.id, answer, &actor.username, &at).await? {
        return Err(ServiceError::Conflict(format!(
            "the counter-offer on application {id} was answered meanwhile"
        )));
    }
    let status = if accept {
        store::set_approved_terms(
            &mut tx,
            id,
            offer.amount_minor,
            offer.term_months,
            &offer.rate,
        )
        .await?;
        let mut a = a.clone();
        a.approved_amount_minor = Some(offer.amount_minor);
        a.approved_term_months = Some(offer.term_months);
        a.approved_rate = Some(offer.rate.clone());
        advance(&mut tx, actor, &a, &steps, &current, "counter_offered", &at).await?
    } else {
        store::set_step_status(&mut tx, current.id, "counter_offered", "rejected", &at).await?;
        step_to(
            &mut tx,
            id,
            ApplicationStatus::InReview,
            ApplicationStatus::Declined,
            &actor.username,
            "the applicant rejected the counter-offer",
            &at,
        )
        .await?;
        ApplicationStatus::Declined
    };
    record(
        &mut tx,
        actor,
        &format!("application.counter_offer.{answer}"),
        "application",
        &id.to_string(),
        None,
        Some(serde_json::json!({"offer": offer.id, "status": status.code()})),
    )
    .await?;
    tx.commit().await?;
    Ok(status)
}

/// A pending step in a queue.
#[derive(Clone, Debug, Serialize)]
pub struct QueueItem {
    /// The application.
    pub application_id: i64,
    /// The step.
    pub step: StepView,
}

/// Pending steps (optionally of one kind, optionally only the overdue), oldest first:
/// the approval work queues.
///
/// # Errors
/// Forbidden without `application:read`.
pub async fn queue(
    app: &App,
    actor: &Actor,
    kind: Option<&str>,
    overdue_only: bool,
) -> Result<Vec<QueueItem>, ServiceError> {
    actor.require(Permission::ApplicationRead)?;
    let now = app.now();
    Ok(store::pending_steps(app.db(), kind, 500)
        .await?
        .iter()
        .map(|s| QueueItem {
            application_id: s.application_id,
            step: step_view(s, &[], now),
        })
        .filter(|q| !overdue_only || q.step.overdue)
        .collect())
}
