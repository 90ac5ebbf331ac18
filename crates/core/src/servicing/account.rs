//! The running state of one loan (its subledger) and of its open installments, and the
//! servicing terms of its product.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::delinquency::{Bucket, DEFAULT_UPGRADE_AFTER, FiveTier, ProvisionRates};
use crate::product::Component;
use crate::rounding::Rounding;
use crate::waterfall::{Stage, default_order};

/// Millionths of a minor unit per minor unit: the precision of the exact penalty and
/// compound interest kept between closes.
pub const MICRO_PER_MINOR: i64 = 1_000_000;

/// The running balances of a loan, in minor units. `principal_outstanding` is all principal
/// not yet repaid; `due_*` is due and within grace; `overdue_*` is past grace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanAccount {
    /// Loan id.
    pub loan_id: i64,
    /// Principal not yet repaid (not due, due and overdue).
    pub principal_outstanding: i64,
    /// Principal due and still within grace.
    pub due_principal: i64,
    /// Principal past due after grace (逾期本金).
    pub overdue_principal: i64,
    /// Contractual interest accrued and not yet due (the current period, to date).
    pub interest_accrued: i64,
    /// Interest due and still within grace.
    pub due_interest: i64,
    /// Interest past due after grace (欠息).
    pub overdue_interest: i64,
    /// Penalty interest owed (罚息), rounded.
    pub penalty_interest: i64,
    /// Penalty interest owed, exact, in millionths of a minor unit.
    pub penalty_micro: i64,
    /// Compound interest owed (复利), rounded.
    pub compound_interest: i64,
    /// Compound interest owed, exact, in millionths of a minor unit.
    pub compound_micro: i64,
    /// Fees owed.
    pub fees_due: i64,
    /// Paid ahead and held (溢缴款): applied at the next due date.
    pub advance_balance: i64,
    /// The part of the interest balances accrued while on non-accrual: owed by the borrower
    /// but not recognised as income (表外利息).
    pub interest_off_book: i64,
    /// The part of penalty and compound interest accrued while on non-accrual.
    pub penalty_off_book: i64,
    /// Loss provision held for this loan (拨备).
    pub provision: i64,
    /// The current period's interest accrued so far, rounded cumulative (not reduced by
    /// payments).
    pub period_accrued: i64,
    /// Scheduled interest of the current period (the next installment's interest).
    pub period_interest: i64,
    /// Start of the current accrual period; `None` after the last installment fell due.
    pub period_start: Option<NaiveDate>,
    /// Due date of the next installment not yet due; `None` after the last fell due.
    pub next_due: Option<NaiveDate>,
    /// Number of the next installment not yet due (0 when none).
    pub next_installment: u32,
    /// Due date of the oldest due installment still within grace.
    pub due_since: Option<NaiveDate>,
    /// Due date of the oldest installment not paid in full.
    pub oldest_unpaid_due: Option<NaiveDate>,
    /// Days past due at the last close.
    pub dpd: u32,
    /// Five-tier class at the last close.
    pub class: FiveTier,
    /// A manual class (set through approval) the close does not upgrade from; it ends
    /// when days past due give a worse class ([`super::class_override`]).
    pub class_override: Option<FiveTier>,
    /// Installments paid in full on time since the class last changed.
    pub on_time_streak: u32,
    /// Interest is no longer recognised as income (非应计, more than 90 days past due).
    pub non_accrual: bool,
    /// The last business date closed for this loan.
    pub last_closed: NaiveDate,
}

impl LoanAccount {
    /// A newly disbursed loan of `principal`, accruing from `start`, with its first
    /// installment: nothing owed yet, class pass, closed through the day before `start`
    /// (the close of `start` itself accrues day 0 of the first period).
    pub fn new(loan_id: i64, principal: i64, start: NaiveDate, first: &OpenInstallment) -> Self {
        LoanAccount {
            loan_id,
            principal_outstanding: principal,
            due_principal: 0,
            overdue_principal: 0,
            interest_accrued: 0,
            due_interest: 0,
            overdue_interest: 0,
            penalty_interest: 0,
            penalty_micro: 0,
            compound_interest: 0,
            compound_micro: 0,
            fees_due: 0,
            advance_balance: 0,
            interest_off_book: 0,
            penalty_off_book: 0,
            provision: 0,
            period_accrued: 0,
            period_interest: first.interest,
            period_start: Some(first.period_start),
            next_due: Some(first.due_date),
            next_installment: first.number,
            due_since: None,
            oldest_unpaid_due: None,
            dpd: 0,
            class: FiveTier::Pass,
            class_override: None,
            on_time_streak: 0,
            non_accrual: false,
            last_closed: start.pred_opt().unwrap_or(start),
        }
    }

    /// Interest owed in every stage: accrued, due and overdue.
    pub fn interest_owed(&self) -> i64 {
        self.interest_accrued + self.due_interest + self.overdue_interest
    }

    /// The collection bucket of the last close.
    pub fn bucket(&self) -> Bucket {
        Bucket::of(self.dpd)
    }

    /// Nothing owed, nothing held and nothing left to fall due: the loan can close.
    pub fn is_settled(&self) -> bool {
        self.principal_outstanding == 0
            && self.interest_owed() == 0
            && self.penalty_interest == 0
            && self.compound_interest == 0
            && self.fees_due == 0
            && self.advance_balance == 0
    }

    /// Whether, since `before`, only a day's accrual changed: interest accrued (on and off
    /// book), the period's accrual, the provision and the last closed date. The close
    /// writes such accounts with a narrower update.
    pub fn only_accrual_changed(&self, before: &LoanAccount) -> bool {
        let same = LoanAccount {
            interest_accrued: before.interest_accrued,
            period_accrued: before.period_accrued,
            interest_off_book: before.interest_off_book,
            provision: before.provision,
            last_closed: before.last_closed,
            ..self.clone()
        };
        same == *before
    }

    /// Checks the invariants every stored account keeps (programmer errors, not input
    /// errors): no negative balance, the parts of principal and interest within their
    /// totals, the off-book parts within what is owed.
    ///
    /// # Errors
    /// The first broken invariant, in words.
    pub fn check(&self) -> Result<(), String> {
        let non_negative = [
            ("principal_outstanding", self.principal_outstanding),
            ("due_principal", self.due_principal),
            ("overdue_principal", self.overdue_principal),
            ("interest_accrued", self.interest_accrued),
            ("due_interest", self.due_interest),
            ("overdue_interest", self.overdue_interest),
            ("penalty_interest", self.penalty_interest),
            ("compound_interest", self.compound_interest),
            ("fees_due", self.fees_due),
            ("advance_balance", self.advance_balance),
            ("interest_off_book", self.interest_off_book),
            ("penalty_off_book", self.penalty_off_book),
            ("provision", self.provision),
        ];
        for (name, value) in non_negative {
            if value < 0 {
                return Err(format!(
                    "loan {}: {name} is negative ({value})",
                    self.loan_id
                ));
            }
        }
        if self.due_principal + self.overdue_principal > self.principal_outstanding {
            return Err(format!(
                "loan {}: due and overdue principal exceed the principal outstanding",
                self.loan_id
            ));
        }
        if self.interest_off_book > self.interest_owed() {
            return Err(format!(
                "loan {}: off-book interest exceeds interest owed",
                self.loan_id
            ));
        }
        if self.penalty_off_book > self.penalty_interest + self.compound_interest {
            return Err(format!(
                "loan {}: off-book penalty exceeds penalty owed",
                self.loan_id
            ));
        }
        Ok(())
    }
}

/// Where an installment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallmentState {
    /// Not yet due.
    Pending,
    /// Due, within grace.
    Due,
    /// Past due after grace.
    Overdue,
    /// Paid in full.
    Paid,
}

impl InstallmentState {
    /// The code stored and shown: `pending`, `due`, `overdue`, `paid`.
    pub const fn code(self) -> &'static str {
        match self {
            InstallmentState::Pending => "pending",
            InstallmentState::Due => "due",
            InstallmentState::Overdue => "overdue",
            InstallmentState::Paid => "paid",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<InstallmentState> {
        [
            InstallmentState::Pending,
            InstallmentState::Due,
            InstallmentState::Overdue,
            InstallmentState::Paid,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// An installment not yet paid in full, as servicing sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenInstallment {
    /// Number in the schedule, from 1.
    pub number: u32,
    /// Start of its interest period.
    pub period_start: NaiveDate,
    /// Due date.
    pub due_date: NaiveDate,
    /// Scheduled principal.
    pub principal: i64,
    /// Scheduled interest.
    pub interest: i64,
    /// Principal paid so far.
    pub paid_principal: i64,
    /// Interest paid so far.
    pub paid_interest: i64,
    /// Where it stands.
    pub state: InstallmentState,
    /// When it was paid in full.
    pub paid_on: Option<NaiveDate>,
}

impl OpenInstallment {
    /// Principal still unpaid.
    pub fn unpaid_principal(&self) -> i64 {
        self.principal - self.paid_principal
    }

    /// Interest still unpaid.
    pub fn unpaid_interest(&self) -> i64 {
        self.interest - self.paid_interest
    }
}

/// The servicing rules of a loan's product version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServicingTerms {
    /// Contract annual rate (the base of penalty and compound interest).
    pub annual_rate: Decimal,
    /// Days after a due date within which payment is on time.
    pub grace_days: u32,
    /// Penalty rate = contract rate × this (default 1.5).
    pub penalty_multiplier: Decimal,
    /// Whether overdue interest bears compound interest.
    pub compound_interest: bool,
    /// Fee charged once when an installment becomes overdue (minor units).
    pub late_fee: i64,
    /// On-time installments needed before the class improves by one tier.
    pub upgrade_after: u32,
    /// Provision rate per class.
    pub provision_rates: ProvisionRates,
    /// Rounding of every posted amount.
    pub rounding: Rounding,
    /// The allocation order of payments.
    pub order: Vec<(Stage, Component)>,
}

impl ServicingTerms {
    /// The defaults of the servicing issue at `annual_rate`: no grace, penalty ×1.5,
    /// compound interest, no late fee, upgrades after three on-time installments, provisions
    /// 1/2/25/50/100%, half-up, the default waterfall.
    pub fn defaults(annual_rate: Decimal) -> Self {
        ServicingTerms {
            annual_rate,
            grace_days: 0,
            penalty_multiplier: Decimal::new(15, 1),
            compound_interest: true,
            late_fee: 0,
            upgrade_after: DEFAULT_UPGRADE_AFTER,
            provision_rates: ProvisionRates::default(),
            rounding: Rounding::HalfUp,
            order: default_order(),
        }
    }
}

/// The waterfall of a product's component order: penalty, compound and fees from either
/// bucket (overdue first), interest and principal overdue before current — in the relative
/// order the product gives.
pub fn order_of(components: &[Component]) -> Vec<(Stage, Component)> {
    let costs: Vec<(Stage, Component)> = components
        .iter()
        .filter(|c| !matches!(c, Component::Interest | Component::Principal))
        .map(|&c| (Stage::Any, c))
        .collect();
    let core: Vec<Component> = components
        .iter()
        .copied()
        .filter(|c| matches!(c, Component::Interest | Component::Principal))
        .collect();
    let mut order = costs;
    for stage in [Stage::Overdue, Stage::Current] {
        order.extend(core.iter().map(|&c| (stage, c)));
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_component_order_gives_the_default_waterfall() {
        assert_eq!(
            order_of(&Component::DEFAULT_ORDER)[3..],
            default_order()[3..]
        );
        assert_eq!(order_of(&Component::DEFAULT_ORDER).len(), 7);
    }

    #[test]
    fn only_accrual_changes_are_told_apart() {
        let first = OpenInstallment {
            number: 1,
            period_start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            due_date: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            principal: 100,
            interest: 10,
            paid_principal: 0,
            paid_interest: 0,
            state: InstallmentState::Pending,
            paid_on: None,
        };
        let before = LoanAccount::new(1, 1000, first.period_start, &first);
        let mut after = before.clone();
        after.interest_accrued += 3;
        after.period_accrued += 3;
        after.last_closed = first.period_start;
        assert!(after.only_accrual_changed(&before));
        after.dpd = 1;
        assert!(!after.only_accrual_changed(&before));
    }

    #[test]
    fn installment_states_round_trip() {
        for s in ["pending", "due", "overdue", "paid"] {
            assert_eq!(InstallmentState::parse(s).unwrap().code(), s);
        }
        assert_eq!(InstallmentState::parse("late"), None);
    }
}
