//! Today's work in the demo bank: applications left at every stage of origination, so
//! that each role's queue has something in it when the console opens.

use chrono::NaiveDate;

use super::Dice;
use super::history::{Staff, apply, contract_and_disburse, decide_all, sign_contract};
use crate::applications;
use crate::investigation::{self, InvestigationInput};
use crate::origination::approval::{self, DecisionInput};
use crate::{App, ServiceError};

/// How far an application of today's pipeline is carried.
#[derive(Clone, Copy, Debug)]
enum Stage {
    /// Created, not submitted.
    Draft,
    /// Submitted; its route decides where it stops (automatic approval, investigation).
    Submitted,
    /// Investigated: waits for the officer's decision.
    Investigated,
    /// The officer approved: waits for the manager or the committee.
    OfficerApproved,
    /// One committee vote in.
    OneVote,
    /// Approved and contracted, waits for disbursement.
    Signed,
    /// Withdrawn by the customer.
    Withdrawn,
    /// Disbursed today.
    Disbursed,
}

/// Leaves applications at every stage on the open business date; how many were taken.
///
/// # Errors
/// Any refusal of a service (a bug in the demo).
pub async fn today(
    app: &App,
    staff: &Staff,
    customers: &[i64],
    date: NaiveDate,
) -> Result<u32, ServiceError> {
    use Stage::*;
    let stages = [
        Draft,
        Draft,
        Submitted,
        Submitted,
        Submitted,
        Submitted,
        Investigated,
        Investigated,
        Investigated,
        OfficerApproved,
        OfficerApproved,
        OneVote,
        Signed,
        Signed,
        Withdrawn,
        Disbursed,
    ];
    let mut dice = Dice(0x0DE5_70DA_2026_0002);
    let mut taken = 0;
    for (i, (&stage, &customer)) in stages.iter().zip(customers).enumerate() {
        let n = staff.officers.len();
        let (submitter, investigator, decider) = (
            &staff.officers[i % n],
            &staff.officers[(i + 1) % n],
            &staff.officers[(i + 2) % n],
        );
        let id = apply(app, submitter, &mut dice, customer, date).await?;
        taken += 1;
        if matches!(stage, Draft) {
            continue;
        }
        if matches!(stage, Withdrawn) {
            applications::withdraw(
                app,
                submitter,
                id,
                "客户另有安排 the customer changed plans",
            )
            .await?;
            continue;
        }
        let status = applications::submit(app, submitter, id).await?.status;
        if matches!(stage, Submitted) || status != "pre_screened" && status != "approved" {
            continue;
        }
        if status == "pre_screened" {
            investigation::investigate(
                app,
                investigator,
                id,
                &InvestigationInput {
                    visited_on: date.to_string(),
                    visit_summary: "上门核实：经营场所属实 visit: premises confirmed".into(),
                    existing_monthly_debt: Some("0".into()),
                    ..InvestigationInput::default()
                },
            )
            .await?;
        }
        if matches!(stage, Investigated) {
            continue;
        }
        if applications::get(app, decider, id).await?.status == "in_review" {
            approval::decide(
                app,
                decider,
                id,
                &DecisionInput {
                    decision: "approve".into(),
                    comment: "同意 agreed".into(),
                    ..DecisionInput::default()
                },
            )
            .await?;
        }
        if matches!(stage, OfficerApproved) {
            continue;
        }
        let a = applications::get(app, decider, id).await?;
        if matches!(stage, OneVote) {
            if a.status == "in_review" {
                approval::decide(
                    app,
                    &staff.committee[0],
                    id,
                    &DecisionInput {
                        decision: "approve".into(),
                        comment: "同意 agreed".into(),
                        ..DecisionInput::default()
                    },
                )
                .await
                .ok();
            }
            continue;
        }
        decide_all(app, staff, decider, id, false).await?;
        if applications::get(app, decider, id).await?.status != "approved" {
            continue;
        }
        match stage {
            Signed => {
                sign_contract(app, &staff.operations, id).await?;
            }
            _ => {
                contract_and_disburse(app, &staff.operations, id, &mut dice).await?;
            }
        }
    }
    Ok(taken)
}
