//! Collections (催收): the strategy that moves a case through its stages, assignment of
//! cases to collectors, promises to pay, settlements and agency commission.
//!
//! A case opens when a loan first closes a day past due, in the queue of its bucket
//! (M1, M2, M3, M4+). Its stage follows the days past due under the strategy
//! (reminders → phone queue → field visit → legal) and never moves back while the case
//! is open; a broken promise to pay moves it one stage up at once. Placement with an
//! external agency is a decision of the collections manager (stage `agency`). The case
//! closes when the loan is no longer past due (paid up, settled, paid off or written off).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::delinquency::Bucket;
use crate::rounding::Rounding;

/// Where a case stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Automatic reminders only (SMS, e-mail).
    Reminder,
    /// Phone calls from the collector's queue.
    Phone,
    /// Field visits.
    Field,
    /// Legal action.
    Legal,
    /// Placed with an external agency.
    Agency,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 5] = [
        Stage::Reminder,
        Stage::Phone,
        Stage::Field,
        Stage::Legal,
        Stage::Agency,
    ];

    /// The code, e.g. `phone`.
    pub const fn code(self) -> &'static str {
        match self {
            Stage::Reminder => "reminder",
            Stage::Phone => "phone",
            Stage::Field => "field",
            Stage::Legal => "legal",
            Stage::Agency => "agency",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The next stage up (a broken promise); legal and agency stay where they are.
    pub const fn escalated(self) -> Stage {
        match self {
            Stage::Reminder => Stage::Phone,
            Stage::Phone => Stage::Field,
            Stage::Field | Stage::Legal => Stage::Legal,
            Stage::Agency => Stage::Agency,
        }
    }
}

/// How new and re-queued cases find a collector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// The collector of the queue with the fewest open cases.
    Workload,
    /// The collectors of the queue in turn.
    RoundRobin,
    /// A collector of the queue in the borrower's region (fewest open cases among them),
    /// else by workload.
    Region,
}

impl Assignment {
    /// The code.
    pub const fn code(self) -> &'static str {
        match self {
            Assignment::Workload => "workload",
            Assignment::RoundRobin => "round_robin",
            Assignment::Region => "region",
        }
    }
}

/// One step of the strategy: from this many days past due, this stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Days past due from which the step applies.
    pub from_dpd: u32,
    /// The stage.
    pub stage: Stage,
}

/// The collection strategy (催收策略).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strategy {
    /// Steps by days past due, ascending.
    pub steps: Vec<Step>,
    /// How cases are assigned.
    pub assignment: Assignment,
}

impl Default for Strategy {
    /// Reminders for the first three days, then calls (M1 and M2), a field visit from 46
    /// days, legal action beyond 90.
    fn default() -> Self {
        let step = |from_dpd, stage| Step { from_dpd, stage };
        Strategy {
            steps: vec![
                step(1, Stage::Reminder),
                step(4, Stage::Phone),
                step(46, Stage::Field),
                step(91, Stage::Legal),
            ],
            assignment: Assignment::Workload,
        }
    }
}

/// Why a strategy is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StrategyError {
    /// No steps, or the first does not start at 1 day past due.
    #[error("the first step must start at 1 day past due")]
    FirstStep,
    /// Steps out of order.
    #[error("steps must have increasing from_dpd and stages that do not go back (step {0})")]
    Order(usize),
    /// Agency placement is a decision, not a step.
    #[error("agency is not a step: placement with an agency is decided per case")]
    AgencyStep,
}

impl Strategy {
    /// Checks the steps: the first from 1 day past due, ascending days and stages.
    ///
    /// # Errors
    /// [`StrategyError`].
    pub fn check(&self) -> Result<(), StrategyError> {
        if self.steps.first().map(|s| s.from_dpd) != Some(1) {
            return Err(StrategyError::FirstStep);
        }
        for (i, w) in self.steps.windows(2).enumerate() {
            if w[1].from_dpd <= w[0].from_dpd || w[1].stage < w[0].stage {
                return Err(StrategyError::Order(i + 1));
            }
        }
        if self.steps.iter().any(|s| s.stage == Stage::Agency) {
            return Err(StrategyError::AgencyStep);
        }
        Ok(())
    }

    /// The stage the strategy gives at `dpd` days past due.
    pub fn stage_for(&self, dpd: u32) -> Stage {
        self.steps
            .iter()
            .take_while(|s| s.from_dpd <= dpd)
            .last()
            .map_or(Stage::Reminder, |s| s.stage)
    }

    /// A case's stage after a close: the strategy's stage at `dpd`, never back from
    /// `current`.
    pub fn next_stage(&self, current: Stage, dpd: u32) -> Stage {
        current.max(self.stage_for(dpd))
    }
}

/// The queue of a case: the bucket of its days past due.
pub fn queue_for(dpd: u32) -> &'static str {
    Bucket::of(dpd.max(1)).code()
}

/// A collector who could take a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Login name.
    pub username: String,
    /// Region the collector covers (province), if any.
    pub region: Option<String>,
    /// Open cases now.
    pub open_cases: u32,
    /// Most open cases the collector takes.
    pub max_open_cases: u32,
}

/// Picks the collector for a case among `candidates` (the active collectors of its
/// queue, in a stable order); `last` is the collector who got the previous case of the
/// queue (round robin). Full collectors are skipped; `None` when all are full.
pub fn choose<'a>(
    method: Assignment,
    candidates: &'a [Candidate],
    region: Option<&str>,
    last: Option<&str>,
) -> Option<&'a Candidate> {
    let open: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.open_cases < c.max_open_cases)
        .collect();
    let least = |list: &[&'a Candidate]| list.iter().copied().min_by_key(|c| c.open_cases);
    match method {
        Assignment::Workload => least(&open),
        Assignment::RoundRobin => {
            let after = last
                .and_then(|l| open.iter().position(|c| c.username.as_str() > l))
                .unwrap_or(0);
            open.get(after).copied()
        }
        Assignment::Region => {
            let local: Vec<&Candidate> = open
                .iter()
                .copied()
                .filter(|c| c.region.is_some() && c.region.as_deref() == region)
                .collect();
            least(&local).or_else(|| least(&open))
        }
    }
}

/// How a promise to pay ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromiseStatus {
    /// Waiting for its date.
    Open,
    /// Paid in full by the date.
    Kept,
    /// Not paid in full by the date.
    Broken,
    /// Withdrawn (a new promise or the case closed).
    Cancelled,
}

impl PromiseStatus {
    /// The code.
    pub const fn code(self) -> &'static str {
        match self {
            PromiseStatus::Open => "open",
            PromiseStatus::Kept => "kept",
            PromiseStatus::Broken => "broken",
            PromiseStatus::Cancelled => "cancelled",
        }
    }
}

/// Judges an open promise at the close of `date`: kept as soon as `paid` (received since
/// the promise was made) reaches the amount; broken when its date has closed without it;
/// still open otherwise.
pub fn judge_promise(
    promised: NaiveDate,
    amount: i64,
    paid: i64,
    date: NaiveDate,
) -> PromiseStatus {
    if paid >= amount {
        PromiseStatus::Kept
    } else if date >= promised {
        PromiseStatus::Broken
    } else {
        PromiseStatus::Open
    }
}

/// Why a promise to pay is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PromiseError {
    /// Not a positive amount.
    #[error("amount must be more than zero")]
    Amount,
    /// More than is owed.
    #[error("amount {amount} is more than the {owed} owed")]
    MoreThanOwed {
        /// Promised (minor units).
        amount: i64,
        /// Owed (minor units).
        owed: i64,
    },
    /// The date is past or too far away.
    #[error("promised_date must be from {from} to {to}")]
    Date {
        /// Earliest.
        from: NaiveDate,
        /// Latest.
        to: NaiveDate,
    },
}

/// The longest a promise may run (days after the business date).
pub const MAX_PROMISE_DAYS: i64 = 30;

/// Checks a promise made on `today` to pay `amount` by `promised` on a loan owing `owed`.
///
/// # Errors
/// [`PromiseError`].
pub fn check_promise(
    today: NaiveDate,
    promised: NaiveDate,
    amount: i64,
    owed: i64,
) -> Result<(), PromiseError> {
    if amount <= 0 {
        return Err(PromiseError::Amount);
    }
    if amount > owed {
        return Err(PromiseError::MoreThanOwed { amount, owed });
    }
    let to = today + chrono::Duration::days(MAX_PROMISE_DAYS);
    if promised < today || promised > to {
        return Err(PromiseError::Date { from: today, to });
    }
    Ok(())
}

/// Why a settlement offer is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettlementError {
    /// Not less than owed, or not positive.
    #[error("amount must be more than zero and less than the {owed} owed (got {amount})")]
    Amount {
        /// Offered (minor units).
        amount: i64,
        /// Owed (minor units).
        owed: i64,
    },
    /// The discount is beyond what may be granted.
    #[error("the discount of {discount} is more than {max_percent}% of the {owed} owed")]
    Discount {
        /// Discount (minor units).
        discount: i64,
        /// Owed.
        owed: i64,
        /// The most, in percent.
        max_percent: u32,
    },
    /// The date to pay by is past or too far away.
    #[error("pay_by must be from {from} to {to}")]
    PayBy {
        /// Earliest.
        from: NaiveDate,
        /// Latest.
        to: NaiveDate,
    },
}

/// The largest discount a settlement may give, as a percentage of what is owed.
pub const MAX_SETTLEMENT_DISCOUNT_PERCENT: u32 = 50;

/// Checks a settlement offer of `amount` against `owed` (everything the borrower owes),
/// to be paid between `today` and 60 days later; returns the discount.
///
/// # Errors
/// [`SettlementError`].
pub fn check_settlement(
    today: NaiveDate,
    pay_by: NaiveDate,
    amount: i64,
    owed: i64,
) -> Result<i64, SettlementError> {
    if amount <= 0 || amount >= owed {
        return Err(SettlementError::Amount { amount, owed });
    }
    let discount = owed - amount;
    if i128::from(discount) * 100 > i128::from(owed) * i128::from(MAX_SETTLEMENT_DISCOUNT_PERCENT) {
        return Err(SettlementError::Discount {
            discount,
            owed,
            max_percent: MAX_SETTLEMENT_DISCOUNT_PERCENT,
        });
    }
    let to = today + chrono::Duration::days(60);
    if pay_by < today || pay_by > to {
        return Err(SettlementError::PayBy { from: today, to });
    }
    Ok(discount)
}

/// The commission an agency earns on `recovered` at `rate` (e.g. 0.15), rounded half up
/// to the minor unit.
pub fn commission(recovered: i64, rate: Decimal) -> i64 {
    Rounding::HalfUp
        .round(Decimal::from(recovered) * rate, 0)
        .to_i64()
        .unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::Strategy;
    use super::*;
    use proptest::prelude::*;

    fn ymd(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, d).unwrap()
    }

    fn c(name: &str, region: Option<&str>, open: u32) -> Candidate {
        Candidate {
            username: name.into(),
            region: region.map(Into::into),
            open_cases: open,
            max_open_cases: 10,
        }
    }

    #[test]
    fn the_default_strategy_moves_by_days_past_due() {
        let s = Strategy::default();
        s.check().unwrap();
        let stages: Vec<_> = [1, 3, 4, 30, 45, 46, 90, 91, 400]
            .map(|d| s.stage_for(d).code())
            .to_vec();
        assert_eq!(
            stages,
            [
                "reminder", "reminder", "phone", "phone", "phone", "field", "field", "legal",
                "legal"
            ]
        );
        // never back: a field case whose loan is paid down to 10 days stays in the field
        assert_eq!(s.next_stage(Stage::Field, 10), Stage::Field);
        assert_eq!(s.next_stage(Stage::Reminder, 10), Stage::Phone);
    }

    #[test]
    fn a_broken_promise_moves_one_stage_up() {
        assert_eq!(Stage::Reminder.escalated(), Stage::Phone);
        assert_eq!(Stage::Phone.escalated(), Stage::Field);
        assert_eq!(Stage::Field.escalated(), Stage::Legal);
        assert_eq!(Stage::Legal.escalated(), Stage::Legal);
        assert_eq!(Stage::Agency.escalated(), Stage::Agency);
    }

    #[test]
    fn queues_are_buckets() {
        assert_eq!(queue_for(1), "M1");
        assert_eq!(queue_for(30), "M1");
        assert_eq!(queue_for(31), "M2");
        assert_eq!(queue_for(91), "M4+");
    }

    #[test]
    fn strategies_are_checked() {
        let mut s = Strategy::default();
        s.steps[0].from_dpd = 2;
        assert_eq!(s.check(), Err(StrategyError::FirstStep));
        let mut s = Strategy::default();
        s.steps.swap(1, 2);
        assert_eq!(s.check(), Err(StrategyError::Order(2)));
        let mut s = Strategy::default();
        s.steps.push(Step {
            from_dpd: 200,
            stage: Stage::Agency,
        });
        assert_eq!(s.check(), Err(StrategyError::AgencyStep));
    }

    #[test]
    fn assignment_by_workload_round_robin_and_region() {
        let list = [
            c("ann", Some("江苏"), 5),
            c("bob", None, 2),
            c("cat", Some("浙江"), 7),
            c("dan", Some("浙江"), 10),
        ];
        let name = |x: Option<&Candidate>| x.map(|c| c.username.clone());
        assert_eq!(
            name(choose(Assignment::Workload, &list, None, None)),
            Some("bob".into())
        );
        assert_eq!(
            name(choose(Assignment::RoundRobin, &list, None, Some("ann"))),
            Some("bob".into())
        );
        assert_eq!(
            name(choose(Assignment::RoundRobin, &list, None, Some("cat"))),
            Some("ann".into()),
            "dan is full: wraps around"
        );
        assert_eq!(
            name(choose(Assignment::Region, &list, Some("浙江"), None)),
            Some("cat".into())
        );
        assert_eq!(
            name(choose(Assignment::Region, &list, Some("广东"), None)),
            Some("bob".into())
        );
        let full = [c("dan", None, 10)];
        assert_eq!(choose(Assignment::Workload, &full, None, None), None);
    }

    #[test]
    fn promises_are_kept_broken_or_open() {
        assert_eq!(
            judge_promise(ymd(10), 500, 500, ymd(8)),
            PromiseStatus::Kept
        );
        assert_eq!(
            judge_promise(ymd(10), 500, 499, ymd(9)),
            PromiseStatus::Open
        );
        assert_eq!(
            judge_promise(ymd(10), 500, 499, ymd(10)),
            PromiseStatus::Broken
        );
        assert_eq!(check_promise(ymd(1), ymd(5), 100, 200), Ok(()));
        assert_eq!(
            check_promise(ymd(1), ymd(5), 0, 200),
            Err(PromiseError::Amount)
        );
        assert!(matches!(
            check_promise(ymd(1), ymd(5), 300, 200),
            Err(PromiseError::MoreThanOwed { .. })
        ));
        assert!(matches!(
            check_promise(ymd(2), ymd(1), 100, 200),
            Err(PromiseError::Date { .. })
        ));
        let far = ymd(1) + chrono::Duration::days(31);
        assert!(check_promise(ymd(1), far, 100, 200).is_err());
    }

    #[test]
    fn settlements_need_a_discount_within_the_limit() {
        assert_eq!(check_settlement(ymd(1), ymd(20), 700, 1000), Ok(300));
        assert_eq!(check_settlement(ymd(1), ymd(20), 500, 1000), Ok(500));
        assert!(matches!(
            check_settlement(ymd(1), ymd(20), 499, 1000),
            Err(SettlementError::Discount { .. })
        ));
        assert!(matches!(
            check_settlement(ymd(1), ymd(20), 1000, 1000),
            Err(SettlementError::Amount { .. })
        ));
        assert!(matches!(
            check_settlement(ymd(10), ymd(9), 700, 1000),
            Err(SettlementError::PayBy { .. })
        ));
    }

    #[test]
    fn commission_rounds_half_up() {
        let rate = Decimal::new(15, 2);
        assert_eq!(commission(10_003, rate), 1_500);
        assert_eq!(commission(10_010, rate), 1_502);
    }

    proptest! {
        /// The stage never goes back and always is a stage of the strategy or above it.
        #[test]
        fn stages_only_go_up(dpds in proptest::collection::vec(0u32..400, 1..40)) {
            let s = Strategy::default();
            let mut stage = Stage::Reminder;
            for d in dpds {
                let next = s.next_stage(stage, d);
                prop_assert!(next >= stage);
                prop_assert!(next >= s.stage_for(d));
                stage = next;
            }
        }

        /// Workload assignment picks someone with the fewest open cases who is not full.
        #[test]
        fn workload_picks_a_least_loaded_collector(loads in proptest::collection::vec(0u32..12, 1..8)) {
            let list: Vec<Candidate> = loads.iter().enumerate()
                .map(|(i, l)| c(&format!("c{i}"), None, *l)).collect();
            match choose(Assignment::Workload, &list, None, None) {
                Some(x) => {
                    prop_assert!(x.open_cases < 10);
                    prop_assert!(list.iter().filter(|c| c.open_cases < 10).all(|c| c.open_cases >= x.open_cases));
                }
                None => prop_assert!(list.iter().all(|c| c.open_cases >= 10)),
            }
        }
    }
}
