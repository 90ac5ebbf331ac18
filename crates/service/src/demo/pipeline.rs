//! Today's work in the demo bank: applications left at every stage of origination, so
//! that each role's queue has something in it when the console opens. A stage is
//! reached with the real decisions: an applicant the policy declines is tried again with
//! the next customer (at most twenty), so every stage ends up filled.

use chrono::NaiveDate;

use super::Dice;
use super::history::{Staff, apply, contract_and_disburse, decide_all, sign_contract, visit};
use crate::applications;
use crate::origination::approval::{self, DecisionInput};
use crate::{Actor, App, ServiceError};

/// Where an application of today's pipeline stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Created, not submitted.
    Draft,
    /// Submitted, waiting for the pre-loan investigation.
    PreScreened,
    /// Investigated: waits for the officer's decision.
    Investigated,
    /// The officer approved: waits for the branch manager.
    ForManager,
    /// The officer approved a large loan: waits for the committee's votes.
    ForCommittee,
    /// Approved: waits for its contract.
    Approved,
    /// Contracted and signed: waits for disbursement.
    Signed,
    /// Withdrawn by the customer.
    Withdrawn,
    /// Disbursed today.
    Disbursed,
}

/// Today's pipeline: (stage, how many).
const PIPELINE: [(Stage, usize); 9] = [
    (Stage::Draft, 2),
    (Stage::Withdrawn, 1),
    (Stage::Approved, 2),
    (Stage::Signed, 2),
    (Stage::Disbursed, 1),
    (Stage::PreScreened, 2),
    (Stage::Investigated, 2),
    (Stage::ForManager, 3),
    (Stage::ForCommittee, 2),
];

/// Leaves applications at every stage on the open business date; how many were taken
/// (declined attempts included).
///
/// # Errors
/// Any refusal of a service (a bug in the demo).
pub async fn today(
    app: &App,
    staff: &Staff,
    customers: &[i64],
    date: NaiveDate,
) -> Result<u32, ServiceError> {
    let mut dice = Dice(0x0DE5_70DA_2026_0002);
    let mut next = customers.iter().copied();
    let mut taken = 0;
    let mut i = 0;
    for (stage, count) in PIPELINE {
        for _ in 0..count {
            for _attempt in 0..20 {
                let Some(customer) = next.next() else {
                    return Ok(taken);
                };
                taken += 1;
                i += 1;
                if carry(app, staff, &mut dice, customer, i, stage, date).await? {
                    break;
                }
            }
        }
    }
    Ok(taken)
}

/// Borrowers' calls of today: an inquiry, a complaint and a request on some of the
/// loans, waiting for customer service.
///
/// # Errors
/// Any refusal of a service (a bug in the demo).
pub async fn tickets(app: &App, desk: &Actor) -> Result<u32, ServiceError> {
    use crate::tickets::{TicketInput, open};
    const CALLS: [(&str, &str, &str, &str); 5] = [
        (
            "inquiry",
            "phone",
            "提前还款需要多少钱 How much to repay early",
            "客户询问提前结清金额和手续费。",
        ),
        (
            "complaint",
            "phone",
            "催收电话太频繁 Too many collection calls",
            "客户称一天内接到多次电话，要求核查。",
        ),
        (
            "request",
            "app",
            "申请开具结清证明 Payoff certificate",
            "客户请求开具贷款结清证明。",
        ),
        (
            "inquiry",
            "counter",
            "还款日能否调整 Change the due day",
            "客户询问能否把还款日改到每月15日。",
        ),
        (
            "complaint",
            "email",
            "罚息计算有误 Penalty interest looks wrong",
            "客户认为上期罚息多收，请核对。",
        ),
    ];
    let loans = crate::loans::list(app, desk, None, None, Some(50)).await?;
    let mut opened = 0;
    for ((kind, channel, subject, description), loan) in CALLS.iter().zip(loans.iter().step_by(7)) {
        open(
            app,
            desk,
            &TicketInput {
                customer_id: loan.customer_id,
                loan_id: Some(loan.id),
                kind: (*kind).into(),
                channel: (*channel).into(),
                priority: (*kind == "complaint").then(|| "high".into()),
                subject: (*subject).into(),
                description: (*description).into(),
            },
        )
        .await?;
        opened += 1;
    }
    Ok(opened)
}

/// Takes one application as far as `stage`; false when a decision stopped it earlier.
async fn carry(
    app: &App,
    staff: &Staff,
    dice: &mut Dice,
    customer: i64,
    i: usize,
    stage: Stage,
    date: NaiveDate,
) -> Result<bool, ServiceError> {
    use Stage::*;
    let n = staff.officers.len();
    let (submitter, investigator, decider) = (
        &staff.officers[i % n],
        &staff.officers[(i + 1) % n],
        &staff.officers[(i + 2) % n],
    );
    // consumer loans for the stages after approval; business loans up to 200,000.00 go
    // to an officer and the branch manager, larger ones to the committee
    let asked = match stage {
        ForCommittee => ("SME", 250_000 + 10_000 * dice.below(20), 36),
        Approved | Signed | Disbursed | Draft | Withdrawn => {
            ("CONSUMER", 10_000 + 1_000 * dice.below(30), 12)
        }
        _ => ("SME", 100_000 + 10_000 * dice.below(9), 24),
    };
    let id = apply(app, submitter, dice, customer, date, Some(asked)).await?;
    match stage {
        Draft => return Ok(true),
        Withdrawn => {
            applications::withdraw(
                app,
                submitter,
                id,
                "客户另有安排 the customer changed plans",
            )
            .await?;
            return Ok(true);
        }
        _ => {}
    }
    let status = applications::submit(app, submitter, id).await?.status;
    if status == "pre_screened" {
        if stage == PreScreened {
            return Ok(true);
        }
        visit(app, investigator, id, date).await?;
    } else if status != "approved" {
        return Ok(false);
    }
    if matches!(stage, Approved | Signed | Disbursed) {
        decide_all(app, staff, decider, id, false).await?;
        if applications::get(app, decider, id).await?.status != "approved" {
            return Ok(false);
        }
        match stage {
            Signed => {
                sign_contract(app, &staff.operations, id).await?;
            }
            Disbursed => {
                contract_and_disburse(app, &staff.operations, id, dice).await?;
            }
            _ => {}
        }
        return Ok(true);
    }
    if status != "pre_screened" {
        return Ok(false);
    }
    if !waits_for(app, decider, id, "loan_officer").await? {
        return Ok(false);
    }
    if stage == Investigated {
        return Ok(true);
    }
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
    let next = if stage == ForManager {
        "branch_manager"
    } else {
        "committee"
    };
    let reached = waits_for(app, decider, id, next).await?;
    if !reached {
        // carried on by the chain: let it finish rather than leave it half way
        decide_all(app, staff, decider, id, false).await?;
    }
    Ok(reached)
}

/// Whether application `id` is in review with a pending step of `kind`.
async fn waits_for(app: &App, who: &Actor, id: i64, kind: &str) -> Result<bool, ServiceError> {
    let a = applications::get(app, who, id).await?;
    Ok(a.status == "in_review"
        && a.approval.as_ref().is_some_and(|x| {
            x.required_steps
                .iter()
                .any(|s| s.status == "pending" && s.kind == kind)
        }))
}
