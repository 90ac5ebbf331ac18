//! Book migration (存量迁移): a loan disbursed in another system is brought to the business
//! date by this engine itself, so it arrives exactly as if it had been serviced here.
//!
//! Steps, for a loan disbursed on `disbursed_on` and migrated on the open business date:
//! 1. the account opens on `disbursed_on` with the schedule built from it;
//! 2. every date from `disbursed_on` to the day before the business date is closed
//!    ([`close_day`]), in order: accrual, due, overdue, penalty, DPD, class, provision;
//! 3. the amounts the old system says were repaid are applied at the due dates, before
//!    the close of each: the installment's interest from what is left of
//!    `interest_repaid`, its principal from what is left of `principal_repaid`,
//!    installment by installment, until each amount is used up. An installment the
//!    amounts do not cover in full stays unpaid for the rest and falls overdue, with its
//!    penalty and compound interest, like any late installment.
//!
//! Repaid amounts beyond what fell due before the business date cannot be placed (a
//! prepayment would have changed the schedule) and are refused.

use chrono::NaiveDate;

use super::account::{LoanAccount, OpenInstallment, ServicingTerms};
use super::close::{CloseError, close_day, needs_installments};
use super::repayment::apply_payment;
use crate::product::Component;
use crate::waterfall::Stage;

/// The most days a migrated loan may reach back (about thirty years).
pub const MAX_MIGRATION_DAYS: i64 = 11_000;

/// What the old system says was repaid, in minor units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Repaid {
    /// Principal repaid.
    pub principal: i64,
    /// Contractual interest repaid.
    pub interest: i64,
}

/// Why a loan cannot be migrated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MigrationError {
    /// A close failed (a programmer error for a schedule built here).
    #[error(transparent)]
    Close(#[from] CloseError),
    /// A repaid amount is more than what fell due before the business date.
    #[error("{field}: {repaid} is more than the {what} due before the business date ({due})")]
    TooMuchRepaid {
        /// `principal_repaid` or `interest_repaid`.
        field: &'static str,
        /// `principal` or `interest`.
        what: &'static str,
        /// The amount given (minor units, shown as money).
        repaid: crate::money::Money,
        /// What fell due (minor units, shown as money).
        due: crate::money::Money,
    },
    /// The disbursement date is after the business date or too far back.
    #[error("disbursed_on: {0}")]
    Date(String),
}

/// A loan brought to the business date: its account closed through the day before, and
/// every installment of its schedule (paid ones included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migrated {
    /// The running balances.
    pub account: LoanAccount,
    /// The schedule with what was paid of each installment.
    pub installments: Vec<OpenInstallment>,
}

/// Brings loan `loan_id` of `principal_minor`, disbursed on `disbursed_on` with
/// `schedule`, to the open business date `business_date`, applying `repaid` at the due
/// dates (module docs).
///
/// # Errors
/// [`MigrationError::TooMuchRepaid`] for an amount that cannot be placed;
/// [`MigrationError::Date`] for a disbursement after the business date or more than
/// [`MAX_MIGRATION_DAYS`] before it.
pub fn bring_to_date(
    loan_id: i64,
    principal_minor: i64,
    disbursed_on: NaiveDate,
    schedule: Vec<OpenInstallment>,
    business_date: NaiveDate,
    repaid: Repaid,
    terms: &ServicingTerms,
) -> Result<Migrated, MigrationError> {
    let days = (business_date - disbursed_on).num_days();
    if days < 0 {
        return Err(MigrationError::Date(format!(
            "{disbursed_on} is after the business date {business_date}"
        )));
    }
    if days > MAX_MIGRATION_DAYS {
        return Err(MigrationError::Date(format!(
            "{disbursed_on} is more than {MAX_MIGRATION_DAYS} days before the business date {business_date}"
        )));
    }
    let money = |minor| crate::money::Money::from_minor(minor, crate::money::Currency::CNY);
    let fell_due = schedule.iter().filter(|i| i.due_date < business_date);
    let (due_principal, due_interest) =
        fell_due.fold((0, 0), |(p, r), i| (p + i.principal, r + i.interest));
    for (field, what, given, due) in [
        (
            "principal_repaid",
            "principal",
            repaid.principal,
            due_principal,
        ),
        ("interest_repaid", "interest", repaid.interest, due_interest),
    ] {
        if given > due {
            return Err(MigrationError::TooMuchRepaid {
                field,
                what,
                repaid: money(given),
                due: money(due),
            });
        }
    }
    let Some(first) = schedule.first() else {
        return Err(MigrationError::Date("the schedule is empty".into()));
    };
    let mut account = LoanAccount::new(loan_id, principal_minor, disbursed_on, first);
    let mut inst = schedule;
    let mut left = repaid;
    let interest_only = with_order(terms, Component::Interest);
    let principal_only = with_order(terms, Component::Principal);
    let mut date = disbursed_on;
    while date < business_date {
        if let Some(i) = inst.iter().find(|i| i.due_date == date) {
            let (interest, principal) = (
                left.interest.min(i.interest),
                left.principal.min(i.principal),
            );
            for (amount, only) in [(interest, &interest_only), (principal, &principal_only)] {
                if amount > 0 {
                    apply_payment(&mut account, &mut inst, amount, date, only)?;
                }
            }
            left.interest -= interest;
            left.principal -= principal;
        }
        if needs_installments(&account, date, terms.grace_days) {
            close_day(&mut account, &mut inst, terms, date)?;
        } else {
            close_day(&mut account, &mut [], terms, date)?;
        }
        date = date.succ_opt().unwrap_or(date);
    }
    debug_assert_eq!(left, Repaid::default(), "every repaid amount was placed");
    Ok(Migrated {
        account,
        installments: inst,
    })
}

/// `terms` whose waterfall pays only the due (current) `component`.
fn with_order(terms: &ServicingTerms, component: Component) -> ServicingTerms {
    ServicingTerms {
        order: vec![(Stage::Current, component)],
        ..terms.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delinquency::FiveTier;
    use crate::rate::AnnualRate;
    use crate::schedule::{RepaymentMethod, ScheduleTerms, generate};
    use crate::servicing::InstallmentState;
    use crate::test_support::cny;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn schedule(start: NaiveDate) -> Vec<OpenInstallment> {
        // 12,000.00 at 12% over 12 months: 1,066.19 a month, first interest 120.00
        let t = ScheduleTerms::new(
            cny("12000"),
            AnnualRate::parse("0.12").unwrap(),
            12,
            RepaymentMethod::Annuity,
            start,
        );
        generate(&t)
            .unwrap()
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
            .collect()
    }

    #[test]
    fn an_on_time_payer_arrives_current_with_the_current_period_accrued() {
        let s = schedule(d(2026, 8, 23));
        let terms = ServicingTerms::defaults(crate::test_support::dec("0.12"));
        // three installments due Sep 23, Oct 23, Nov 23; migrated on Nov 23: two fell due
        let repaid = Repaid {
            principal: s[0].principal + s[1].principal,
            interest: s[0].interest + s[1].interest,
        };
        let m = bring_to_date(
            1,
            1_200_000,
            d(2026, 8, 23),
            s.clone(),
            d(2026, 11, 23),
            repaid,
            &terms,
        )
        .unwrap();
        let a = &m.account;
        assert_eq!(a.last_closed, d(2026, 11, 22));
        assert_eq!((a.dpd, a.class), (0, FiveTier::Pass));
        assert_eq!(a.principal_outstanding, 1_200_000 - repaid.principal);
        assert_eq!(a.overdue_principal + a.due_principal, 0);
        // the third period Oct 23 → Nov 23 (31 days) accrued for 30 days
        assert_eq!(a.interest_accrued, (s[2].interest * 30 + 15) / 31);
        assert_eq!(m.installments[1].state, InstallmentState::Paid);
    }

    proptest::proptest! {
        #[test]
        fn repaid_amounts_are_placed_and_the_account_keeps_its_invariants(
            principal in 100_000i64..10_000_000,
            term in 3u32..36,
            days_back in 0i64..1200,
            share_p in 0u32..=100,
            share_i in 0u32..=100,
        ) {
            let business = d(2026, 11, 23);
            let start = business - chrono::Duration::days(days_back);
            let t = ScheduleTerms::new(
                crate::money::Money::from_minor(principal, crate::money::Currency::CNY),
                AnnualRate::parse("0.12").unwrap(),
                term,
                RepaymentMethod::EqualPrincipal,
                start,
            );
            let s: Vec<OpenInstallment> = generate(&t).unwrap().installments().iter().map(|i| OpenInstallment {
                number: i.number, period_start: i.period_start, due_date: i.due_date,
                principal: i.principal.amount_minor(), interest: i.interest.amount_minor(),
                paid_principal: 0, paid_interest: 0, state: InstallmentState::Pending, paid_on: None,
            }).collect();
            let (due_p, due_i) = s.iter().filter(|i| i.due_date < business)
                .fold((0, 0), |(p, r), i| (p + i.principal, r + i.interest));
            let repaid = Repaid {
                principal: due_p * i64::from(share_p) / 100,
                interest: due_i * i64::from(share_i) / 100,
            };
            let terms = ServicingTerms::defaults(crate::test_support::dec("0.12"));
            let m = bring_to_date(1, principal, start, s, business, repaid, &terms).unwrap();
            let a = &m.account;
            proptest::prop_assert_eq!(a.check(), Ok(()));
            proptest::prop_assert_eq!(a.principal_outstanding, principal - repaid.principal);
            let paid_i: i64 = m.installments.iter().map(|i| i.paid_interest).sum();
            proptest::prop_assert_eq!(paid_i, repaid.interest);
            proptest::prop_assert_eq!(a.last_closed, business.pred_opt().unwrap());
            // the opening entry balances and carries the loan's balances on its accounts
            let lines = crate::servicing::postings::opening_lines(1, a);
            proptest::prop_assert_eq!(crate::ledger::check_entry(&lines), Ok(()));
            let on = |code: &str| -> i64 {
                lines.iter().filter(|l| l.account == code).map(|l| match l.side {
                    crate::ledger::Side::Debit => l.amount_minor,
                    crate::ledger::Side::Credit => -l.amount_minor,
                }).sum()
            };
            proptest::prop_assert_eq!(on("1301") + on("1302"), a.principal_outstanding);
            proptest::prop_assert_eq!(on("1311"), a.interest_owed() - a.interest_off_book);
            proptest::prop_assert_eq!(on("1304"), -a.provision);
            if repaid.principal == due_p && repaid.interest == due_i {
                proptest::prop_assert_eq!(a.dpd, 0, "paid in full on time");
                proptest::prop_assert_eq!(a.penalty_interest + a.compound_interest, 0);
            }
        }
    }

    #[test]
    fn a_short_payer_is_overdue_from_the_first_installment_not_covered() {
        let s = schedule(d(2026, 8, 23));
        let terms = ServicingTerms::defaults(crate::test_support::dec("0.12"));
        // only the first installment paid: the second (due Oct 23) is 30 days late
        let repaid = Repaid {
            principal: s[0].principal,
            interest: s[0].interest,
        };
        let m = bring_to_date(
            1,
            1_200_000,
            d(2026, 8, 23),
            s.clone(),
            d(2026, 11, 23),
            repaid,
            &terms,
        )
        .unwrap();
        let a = &m.account;
        assert_eq!(a.dpd, 30);
        assert_eq!(a.class, FiveTier::SpecialMention);
        assert_eq!(
            (a.overdue_principal, a.overdue_interest),
            (s[1].principal, s[1].interest)
        );
        assert!(a.penalty_interest > 0 && a.compound_interest > 0);
        let too_much = Repaid {
            principal: 1_200_000,
            interest: 0,
        };
        let err = bring_to_date(
            1,
            1_200_000,
            d(2026, 8, 23),
            s,
            d(2026, 11, 23),
            too_much,
            &terms,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("principal_repaid: 12000.00 is more than"),
            "{err}"
        );
    }
}
