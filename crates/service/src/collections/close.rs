//! Step 7 of the daily close (DESIGN.md §5): reminders and overdue notices, warnings
//! from delinquency, collection cases opened, moved and closed, promises to pay judged —
//! per partition, in the partition's own transaction, so a crash loses them with the
//! partition's balances and the rerun writes them once. After the last partition the
//! close gives new cases to collectors ([`assign_new`]).
//!
//! Per loan, from its state before and after the close of D:
//! - notices by [`ReminderRules`] (T-3, due day, overdue days 1, 3, 7, 15, 30, then every
//!   30);
//! - DPD ≥ 1 and no open case: a case at the strategy's stage for the DPD, in the queue of
//!   its bucket; an open case follows the loan's DPD (stage never goes back);
//! - DPD 0 again: its case closes `cured` and the `past_due` warning closes;
//! - newly delinquent (DPD 0 → ≥ 1): a `past_due` warning, or `first_payment_default`
//!   when the first installment is the one unpaid;
//! - a loan no longer serviced (paid off, written off) closes its case `loan_closed`;
//! - each open promise: kept once what was paid since it was made reaches the amount,
//!   broken when its date closed without that — the case escalates one stage, a
//!   `broken_promise` warning and notice follow.

use std::collections::HashMap;

use chrono::NaiveDate;
use loanbook_core::post_loan::collections::{
    PromiseStatus, Stage, Strategy, choose, judge_promise, queue_for,
};
use loanbook_core::post_loan::reminders::{NoticeKind, ReminderRules};
use loanbook_core::servicing::account::LoanAccount;
use loanbook_store::collections::{
    self as store, CaseState, Delinquent, NoticeRow, OpenCase, OpenPromise,
};
use loanbook_store::{Tx, servicing::parse_date};

use crate::ServiceError;

/// What the close's post-loan step read for a partition before closing it.
pub(crate) struct Inputs {
    cases: HashMap<i64, OpenCase>,
    promises: Vec<OpenPromise>,
    strategy: Strategy,
    rules: ReminderRules,
}

/// Reads the open cases and promises of loans `lo..=hi` and the strategy.
pub(crate) async fn read(
    db: &loanbook_store::Db,
    lo: i64,
    hi: i64,
) -> Result<Inputs, ServiceError> {
    let pool = db.pool();
    let cases = store::open_cases_in_range(pool, lo, hi)
        .await?
        .into_iter()
        .map(|c| (c.loan_id, c))
        .collect();
    let promises = store::open_promises_in_range(pool, lo, hi).await?;
    let strategy = super::strategy_from(store::strategy(pool).await?.as_deref());
    Ok(Inputs {
        cases,
        promises,
        strategy,
        rules: ReminderRules::default(),
    })
}

/// What the step writes for a partition.
#[derive(Default)]
pub(crate) struct Steps {
    notices: Vec<NoticeRow>,
    opened: Vec<CaseState>,
    moved: Vec<CaseState>,
    cured: Vec<i64>,
    cured_loans: Vec<i64>,
    gone: Vec<i64>,
    delinquent: Vec<Delinquent>,
    promises: Vec<(i64, &'static str, i64)>,
    escalations: Vec<(i64, String)>,
    /// Counts for the close's report.
    pub(crate) stats: StepStats,
}

/// Counts of the step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StepStats {
    /// Notices written for borrowers.
    pub notices: u64,
    /// Collection cases opened.
    pub cases_opened: u64,
    /// Collection cases closed (cured or loan closed).
    pub cases_closed: u64,
    /// Promises to pay broken.
    pub promises_broken: u64,
    /// Promises to pay kept.
    pub promises_kept: u64,
}

impl StepStats {
    /// Adds `o`.
    pub fn add(&mut self, o: &StepStats) {
        self.notices += o.notices;
        self.cases_opened += o.cases_opened;
        self.cases_closed += o.cases_closed;
        self.promises_broken += o.promises_broken;
        self.promises_kept += o.promises_kept;
    }
}

fn overdue(a: &LoanAccount) -> i64 {
    a.overdue_principal + a.overdue_interest + a.penalty_interest + a.compound_interest
}

impl Steps {
    /// The step for one loan closed on `date` from `before` to `after`.
    pub(crate) fn loan(
        &mut self,
        inputs: &Inputs,
        before: &LoanAccount,
        after: &LoanAccount,
        date: NaiveDate,
    ) {
        let loan_id = after.loan_id;
        for n in inputs.rules.notices(after, date) {
            self.notices.push(NoticeRow {
                loan_id,
                kind: n.kind.code().into(),
                due_date: n.due_date.map(|d| d.to_string()),
                dpd: i64::from(n.dpd),
            });
        }
        let dpd = after.dpd;
        let case = inputs.cases.get(&loan_id);
        if dpd >= 1 {
            let target = inputs.strategy.stage_for(dpd);
            let state = |id, stage: Stage| CaseState {
                id,
                stage: stage.code().into(),
                queue: queue_for(dpd).into(),
                dpd: i64::from(dpd),
                overdue_minor: overdue(after),
            };
            match case {
                None => self.opened.push(state(loan_id, target)),
                Some(c) => {
                    let current = Stage::parse(&c.stage).unwrap_or(Stage::Reminder);
                    self.moved
                        .push(state(c.id, inputs.strategy.next_stage(current, dpd)));
                }
            }
            if before.dpd == 0 {
                self.delinquent.push(Delinquent {
                    loan_id,
                    oldest_unpaid_due: after
                        .oldest_unpaid_due
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    dpd: i64::from(dpd),
                });
            }
        } else {
            if let Some(c) = case
                && c.dpd > 0
            {
                self.cured.push(c.id);
            }
            if before.dpd > 0 {
                self.cured_loans.push(loan_id);
            }
        }
    }

    /// After every loan of the partition: cases of loans no longer serviced, and the
    /// promises judged at the close of `date`.
    pub(crate) fn finish(&mut self, inputs: &Inputs, serviced: &[i64], date: NaiveDate) {
        let serviced: std::collections::HashSet<i64> = serviced.iter().copied().collect();
        for c in inputs.cases.values() {
            if !serviced.contains(&c.loan_id) {
                self.gone.push(c.id);
            }
        }
        for p in &inputs.promises {
            let Some(promised) = parse_date(&p.promised_date) else {
                continue;
            };
            match judge_promise(promised, p.amount_minor, p.paid_minor, date) {
                PromiseStatus::Kept => {
                    self.promises.push((p.id, "kept", p.paid_minor));
                    self.stats.promises_kept += 1;
                }
                PromiseStatus::Broken => {
                    self.promises.push((p.id, "broken", p.paid_minor));
                    self.stats.promises_broken += 1;
                    let stage = inputs
                        .cases
                        .get(&p.loan_id)
                        .and_then(|c| Stage::parse(&c.stage))
                        .unwrap_or(Stage::Phone)
                        .escalated();
                    // the case's move today must not undo the escalation, nor it the move
                    let mut stage = stage;
                    for m in self.moved.iter_mut().filter(|m| m.id == p.case_id) {
                        stage = stage.max(Stage::parse(&m.stage).unwrap_or(stage));
                        m.stage = stage.code().into();
                    }
                    self.escalations.push((p.case_id, stage.code().into()));
                    self.notices.push(NoticeRow {
                        loan_id: p.loan_id,
                        kind: NoticeKind::BrokenPromise.code().into(),
                        due_date: Some(p.promised_date.clone()),
                        dpd: 0,
                    });
                }
                PromiseStatus::Open | PromiseStatus::Cancelled => {}
            }
        }
        self.stats.notices = self.notices.len() as u64;
        self.stats.cases_opened = self.opened.len() as u64;
        self.stats.cases_closed = (self.cured.len() + self.gone.len()) as u64;
    }

    /// Writes the step inside the partition's transaction.
    pub(crate) async fn write(
        &self,
        tx: &mut Tx<'_>,
        date: NaiveDate,
        at: &str,
    ) -> Result<(), ServiceError> {
        let day = date.to_string();
        store::insert_notices(tx, &self.notices, &day, at).await?;
        store::open_cases(tx, &self.opened, &day, at).await?;
        store::move_cases(tx, &self.moved, at).await?;
        store::close_cases(tx, &self.cured, &day, "cured", at).await?;
        store::close_cases(tx, &self.gone, &day, "loan_closed", at).await?;
        store::raise_delinquency_warnings(tx, &self.delinquent, &day, at).await?;
        store::close_cured_warnings(tx, &self.cured_loans, at).await?;
        store::resolve_promises(tx, &self.promises, &day).await?;
        for (case, stage) in &self.escalations {
            store::escalate_case(tx, *case, stage, &day, at).await?;
        }
        Ok(())
    }
}

/// Gives every open case nobody holds to a collector of its queue, by the strategy's
/// method; cases no collector can take stay unassigned (the queue shows them).
/// Returns the cases assigned.
pub(crate) async fn assign_new(tx: &mut Tx<'_>, at: &str) -> Result<u64, ServiceError> {
    let cases = store::unassigned(tx).await?;
    if cases.is_empty() {
        return Ok(0);
    }
    let strategy = super::strategy_from(store::strategy(&mut **tx).await?.as_deref());
    let mut collectors = store::collectors(tx).await?;
    let mut last: HashMap<String, Option<String>> = HashMap::new();
    let mut assigned = 0;
    for case in cases {
        let candidates: Vec<loanbook_core::post_loan::collections::Candidate> = collectors
            .iter()
            .filter(|c| c.active && c.queues.split(',').any(|q| q.trim() == case.queue))
            .map(|c| loanbook_core::post_loan::collections::Candidate {
                username: c.username.clone(),
                region: c.region.clone(),
                open_cases: u32::try_from(c.open_cases).unwrap_or(u32::MAX),
                max_open_cases: u32::try_from(c.max_open_cases).unwrap_or(0),
            })
            .collect();
        if candidates.is_empty() {
            continue;
        }
        if !last.contains_key(&case.queue) {
            let l = store::last_assignee(tx, &case.queue).await?;
            last.insert(case.queue.clone(), l);
        }
        let previous = last.get(&case.queue).cloned().flatten();
        let Some(pick) = choose(
            strategy.assignment,
            &candidates,
            case.region.as_deref(),
            previous.as_deref(),
        ) else {
            continue;
        };
        let name = pick.username.clone();
        if store::assign(tx, case.id, &name, at).await? {
            assigned += 1;
            if let Some(c) = collectors.iter_mut().find(|c| c.username == name) {
                c.open_cases += 1;
            }
            last.insert(case.queue.clone(), Some(name));
        }
    }
    Ok(assigned)
}
