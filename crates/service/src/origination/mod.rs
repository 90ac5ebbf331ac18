//! Origination after the pre-screen: the assessment, the approval chain (审批) with its
//! committee votes and counter-offers, the contract (借款合同) and the disbursement (放款).
//!
//! ```text
//! submit ─► pre-screen ─► preliminary assessment ─┬─ decline ─────────────► declined
//!                                                 ├─ straight-through ────► assessed ─► approved
//!                                                 └─ otherwise: waits pre_screened
//! investigation ─► investigating ─► final assessment ─► assessed ─┬─ decline ─► declined
//!                                                                 ├─ automatic ─► approved
//!                                                                 └─ in_review: step 1 … step n ─► approved
//! approved ─► contract (versioned) ─► both parties sign ─► contracted ─► tranche 1 ─► disbursed
//! ```

pub mod approval;
pub mod assessment;
pub mod contract;
pub mod disbursement;

use loanbook_core::approval::{SYSTEM_ACTOR, StepSpec};
use loanbook_core::origination::ApplicationStatus;
use loanbook_store::applications::{self as app_store, ApplicationRow};
use loanbook_store::origination::{self as store, StepRow};
use loanbook_store::{Tx, customer_records as records, score_models};

use crate::{Actor, ServiceError, record};
use assessment::Assessed;

/// Moves application `id` from `from` to `to` inside `tx`, refusing if it moved meanwhile.
pub(crate) async fn step_to(
    tx: &mut Tx<'_>,
    id: i64,
    from: ApplicationStatus,
    to: ApplicationStatus,
    actor: &str,
    note: &str,
    at: &str,
) -> Result<(), ServiceError> {
    if !from.can_move_to(to) {
        return Err(ServiceError::Conflict(format!(
            "application {id} is {from}; it cannot become {to}"
        )));
    }
    if !app_store::transition(tx, id, from.code(), to.code(), actor, note, None, at).await? {
        return Err(ServiceError::Conflict(format!(
            "application {id} changed meanwhile; reload it"
        )));
    }
    Ok(())
}

fn reasons_note(assessed: &Assessed) -> String {
    assessed
        .decision
        .reasons
        .iter()
        .map(|r| r.code.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The moves of an application inside one use case, written at the end as one update
/// and one insert of events (see [`app_store::transition_path`]).
#[derive(Debug)]
pub(crate) struct Path {
    from: ApplicationStatus,
    now: ApplicationStatus,
    moves: Vec<app_store::Move>,
    approved: Option<(i64, i64, String)>,
}

impl Path {
    /// A path starting from `from`.
    pub fn new(from: ApplicationStatus) -> Path {
        Path {
            from,
            now: from,
            moves: Vec::new(),
            approved: None,
        }
    }

    /// Records the approved terms with the path: amount (minor units), term, rate.
    pub fn approve_terms(&mut self, amount_minor: i64, term_months: i64, rate: &str) {
        self.approved = Some((amount_minor, term_months, rate.to_owned()));
    }

    /// The approved terms set on this path.
    pub fn approved_terms(&self) -> Option<&(i64, i64, String)> {
        self.approved.as_ref()
    }

    /// Where the path has got to.
    pub fn status(&self) -> ApplicationStatus {
        self.now
    }

    /// Adds the move to `to`, if the state machine allows it.
    pub fn push(
        &mut self,
        id: i64,
        to: ApplicationStatus,
        actor: &str,
        note: &str,
    ) -> Result<(), ServiceError> {
        if !self.now.can_move_to(to) {
            return Err(ServiceError::Conflict(format!(
                "application {id} is {}; it cannot become {to}",
                self.now
            )));
        }
        self.moves.push(app_store::Move {
            to: to.code().into(),
            actor: actor.into(),
            note: note.into(),
        });
        self.now = to;
        Ok(())
    }

    /// Writes the path, refusing if the application moved meanwhile.
    pub async fn run(
        self,
        tx: &mut Tx<'_>,
        id: i64,
        submitted_by: Option<&str>,
        prescreen_json: Option<&str>,
        at: &str,
    ) -> Result<(), ServiceError> {
        if !app_store::transition_path(
            tx,
            id,
            self.from.code(),
            &self.moves,
            submitted_by,
            prescreen_json,
            self.approved.as_ref().map(|(a, t, r)| (*a, *t, r.as_str())),
            at,
        )
        .await?
        {
            return Err(ServiceError::Conflict(format!(
                "application {id} changed meanwhile; reload it"
            )));
        }
        Ok(())
    }
}

/// Stores an assessment and adds to `path` the moves it decides: declined, approved
/// straight through, routed into review (final stage), or none — waiting for the
/// investigation (preliminary stage). Returns the status reached and the approval steps
/// written (if routed).
pub(crate) async fn apply_assessment(
    tx: &mut Tx<'_>,
    actor: &Actor,
    a: &ApplicationRow,
    path: &mut Path,
    assessed: &Assessed,
    at: &str,
) -> Result<(ApplicationStatus, Vec<StepRow>), ServiceError> {
    store::insert_checks(tx, &assessed.checks).await?;
    store::put_assessment(tx, &assessed.row).await?;
    if let Some(report) = &assessed.new_report {
        let id = records::insert_credit_report(tx, report).await?;
        crate::warnings::bureau_report_added(tx, report.customer_id, id, at).await?;
    }
    let scored_on = at.get(..10).unwrap_or(at);
    for (model_id, score, decided) in &assessed.scores {
        score_models::insert_score(
            tx,
            *model_id,
            scored_on,
            &a.id.to_string(),
            *score,
            *decided,
        )
        .await?;
    }
    let preliminary = assessed.row.stage == "preliminary";
    let system = SYSTEM_ACTOR;
    let decline = assessed.decision.outcome == loanbook_risk::decision::Outcome::Decline;
    let mut steps = Vec::new();
    if decline {
        let note = format!("declined: {}", reasons_note(assessed));
        path.push(a.id, ApplicationStatus::Declined, system, &note)?;
    } else if assessed.straight_through(a.amount_minor) {
        path.push(a.id, ApplicationStatus::Assessed, system, "assessed")?;
        steps = insert_routing(
            tx,
            a.id,
            assessed.row.assessment_no,
            &assessed.steps,
            at,
            true,
        )
        .await?;
        let rate = assessed.row.offered_rate.clone().unwrap_or_default();
        path.approve_terms(a.amount_minor, a.term_months, &rate);
        path.push(
            a.id,
            ApplicationStatus::Approved,
            system,
            "approved automatically (straight-through)",
        )?;
    } else if !preliminary {
        path.push(a.id, ApplicationStatus::Assessed, system, "assessed")?;
        steps = insert_routing(
            tx,
            a.id,
            assessed.row.assessment_no,
            &assessed.steps,
            at,
            false,
        )
        .await?;
        let kinds: Vec<&str> = assessed.steps.iter().map(|s| s.kind.code()).collect();
        path.push(
            a.id,
            ApplicationStatus::InReview,
            system,
            &format!("in review: {}", kinds.join(" → ")),
        )?;
    }
    let status = path.status();
    record(
        tx,
        actor,
        "application.assessed",
        "application",
        &a.id.to_string(),
        None,
        Some(serde_json::json!({
            "stage": assessed.row.stage,
            "assessment_no": assessed.row.assessment_no,
            "decision": assessed.row.decision,
            "score": assessed.row.score,
            "risk_grade": assessed.row.risk_grade,
            "status": status.code(),
        })),
    )
    .await?;
    Ok((status, steps))
}

/// Writes the approval steps of a new routing; the first is pending (or, for a
/// straight-through approval, the single automatic step is approved at once).
/// The routing is numbered by the assessment that made it (at most one each).
async fn insert_routing(
    tx: &mut Tx<'_>,
    application_id: i64,
    routing_no: i64,
    steps: &[StepSpec],
    at: &str,
    automatic: bool,
) -> Result<Vec<StepRow>, ServiceError> {
    let rows: Vec<StepRow> = steps
        .iter()
        .zip(1i64..)
        .map(|(s, seq)| StepRow {
            application_id,
            routing_no,
            seq,
            kind: s.kind.code().into(),
            votes_required: i64::from(s.votes_required),
            voters: i64::from(s.voters),
            sla_hours: i64::from(s.sla_hours),
            status: if automatic {
                "approved".into()
            } else if seq == 1 {
                "pending".into()
            } else {
                "waiting".into()
            },
            started_at: (automatic || seq == 1).then(|| at.to_owned()),
            completed_at: automatic.then(|| at.to_owned()),
            ..StepRow::default()
        })
        .collect();
    Ok(store::insert_steps(tx, &rows).await?)
}

#[cfg(test)]
mod tests;
