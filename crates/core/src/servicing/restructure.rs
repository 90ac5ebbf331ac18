//! Restructuring (重组) a loan's schedule: extension (展期), rate change, a new repayment
//! method for the remaining periods, and a principal grace.
//!
//! Every kind keeps the current period as it is — its installment and the interest
//! accruing in it — and replaces the installments after it: from the current due date the
//! principal left after the current installment is scheduled again
//! ([`reschedule_after_current`]). No money moves, so a restructure posts nothing; the
//! replaced installments are kept as history by the caller.

use serde::Serialize;

use super::account::{LoanAccount, OpenInstallment};
use super::prepayment::{PrepaymentError, Reschedule, reschedule_after_current};
use crate::rate::AnnualRate;
use crate::schedule::{MAX_TERM, RepaymentMethod, ScheduleTerms};

/// What a restructure changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Restructure {
    /// 展期: add periods after the last installment.
    Extension {
        /// Periods added.
        extra_periods: u32,
    },
    /// A new annual rate from the next due date on.
    RateChange {
        /// The new annual rate.
        new_rate: AnnualRate,
    },
    /// A new repayment method for the remaining periods.
    PlanChange {
        /// The new method.
        method: RepaymentMethod,
    },
    /// The next `periods` periods after the current one pay interest only; the principal
    /// is then amortised over the rest.
    PrincipalGrace {
        /// Interest-only periods.
        periods: u32,
    },
}

impl Restructure {
    /// The kind's code: `extension`, `rate_change`, `plan_change`, `principal_grace`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Restructure::Extension { .. } => "extension",
            Restructure::RateChange { .. } => "rate_change",
            Restructure::PlanChange { .. } => "plan_change",
            Restructure::PrincipalGrace { .. } => "principal_grace",
        }
    }
}

/// The installments that replace those after the current one, for `change`.
/// `template` gives the loan's method, rate, frequency, day count and rounding.
///
/// # Errors
/// [`PrepaymentError::Schedule`] when every installment has fallen due, nothing follows
/// the current installment (and no periods are added), the method is unchanged, or the
/// new terms are invalid (the message names the schedule field: `term`,
/// `grace_principal`, …).
pub fn restructure(
    acct: &LoanAccount,
    installments: &[OpenInstallment],
    template: &ScheduleTerms,
    change: &Restructure,
) -> Result<Vec<OpenInstallment>, PrepaymentError> {
    let mut template = template.clone();
    let mut reschedule = Reschedule::default();
    match *change {
        Restructure::Extension { extra_periods } => {
            if extra_periods == 0 {
                return Err(PrepaymentError::Schedule(
                    "extra_periods: an extension adds at least one period".into(),
                ));
            }
            reschedule.extra_periods = extra_periods;
        }
        Restructure::RateChange { new_rate } => reschedule.new_rate = Some(new_rate),
        Restructure::PlanChange { method } => {
            if method == template.method {
                return Err(PrepaymentError::Schedule(format!(
                    "method: the loan is repaid by {method} already"
                )));
            }
            template.method = method;
        }
        Restructure::PrincipalGrace { periods } => {
            if periods == 0 {
                return Err(PrepaymentError::Schedule(
                    "grace_periods: a principal grace has at least one period".into(),
                ));
            }
            reschedule.grace_periods = periods;
        }
    }
    reschedule_after_current(acct, installments, &template, &reschedule)
}

/// The most periods a loan may be extended in all (《贷款通则》第十二条): a short-term loan
/// (up to one year) by its original term, a medium-term loan (up to five years) by half of
/// it, a long-term loan by three years. `original_periods` and the answer count periods
/// of a frequency with `periods_per_year` periods a year.
pub fn extension_limit(original_periods: u32, periods_per_year: u32) -> u32 {
    let limit = if original_periods <= periods_per_year {
        original_periods
    } else if original_periods <= 5 * periods_per_year {
        original_periods / 2
    } else {
        3 * periods_per_year
    };
    limit.min(MAX_TERM)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::money::{Currency, Money};
    use crate::schedule::generate;
    use crate::servicing::account::{InstallmentState, ServicingTerms};
    use crate::servicing::close::close_day;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// A loan from 2026-01-10 closed through 2026-01-20 (in its first period).
    fn loan(
        principal: &str,
        rate: &str,
        term: u32,
        method: RepaymentMethod,
    ) -> (LoanAccount, Vec<OpenInstallment>, ScheduleTerms) {
        let t = ScheduleTerms::new(
            Money::parse(principal, Currency::CNY).unwrap(),
            AnnualRate::parse(rate).unwrap(),
            term,
            method,
            d(2026, 1, 10),
        );
        let mut inst: Vec<OpenInstallment> = generate(&t)
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
            .collect();
        let mut acct = LoanAccount::new(1, t.principal.amount_minor(), t.start, &inst[0]);
        let terms = ServicingTerms::defaults(t.annual_rate.as_decimal());
        let mut day = t.start;
        while day <= d(2026, 1, 20) {
            close_day(&mut acct, &mut inst, &terms, day).unwrap();
            day = day.succ_opt().unwrap();
        }
        (acct, inst, t)
    }

    #[test]
    fn an_extension_spreads_the_principal_left_over_more_periods() {
        let (acct, inst, t) = loan("60000", "0.06", 6, RepaymentMethod::EqualPrincipal);
        let change = Restructure::Extension { extra_periods: 6 };
        let new = restructure(&acct, &inst, &t, &change).unwrap();
        // installment 1 (10,000.00 + 300.00, due Feb 10) stays; 50,000.00 over 5 + 6 periods
        assert_eq!(new.len(), 11);
        assert_eq!((new[0].number, new[0].due_date), (2, d(2026, 3, 10)));
        // 50,000.00 / 11 = 4,545.4545 → 4,545.45; the last takes 50,000.00 − 10 × 4,545.45
        assert_eq!(new[0].principal, 454_545);
        assert_eq!(new[10].principal, 454_550);
        assert_eq!(new[10].due_date, d(2027, 1, 10));
        // 50,000.00 × 6% / 12 = 250.00
        assert_eq!(new[0].interest, 25_000);
    }

    #[test]
    fn a_rate_change_applies_from_the_next_due_date() {
        let (acct, inst, t) = loan("12000", "0.12", 12, RepaymentMethod::Annuity);
        // installment 1: 12,000.00 × 1% = 120.00 interest, 1,066.19 − 120.00 = 946.19
        // principal; 11,053.81 is left for the 11 periods after it
        assert_eq!((inst[0].interest, inst[0].principal), (12_000, 94_619));
        let change = Restructure::RateChange {
            new_rate: AnnualRate::parse("0.06").unwrap(),
        };
        let new = restructure(&acct, &inst, &t, &change).unwrap();
        assert_eq!(new.len(), 11);
        // 11,053.81 × 0.005 / (1 − 1.005^−11) = 1,035.2892 → 1,035.29;
        // interest 11,053.81 × 0.005 = 55.269 → 55.27, principal 1,035.29 − 55.27 = 980.02
        assert_eq!(new[0].interest, 5_527);
        assert_eq!(new[0].principal, 98_002);
        assert_eq!(new.iter().map(|i| i.principal).sum::<i64>(), 1_105_381);
    }

    #[test]
    fn a_plan_change_repays_the_rest_by_the_new_method() {
        let (acct, inst, t) = loan("12000", "0.12", 12, RepaymentMethod::Annuity);
        let change = Restructure::PlanChange {
            method: RepaymentMethod::EqualPrincipal,
        };
        let new = restructure(&acct, &inst, &t, &change).unwrap();
        // 11,053.81 / 11 = 1,004.891 → 1,004.89 a period; interest 11,053.81 × 1% = 110.54
        assert_eq!((new[0].principal, new[0].interest), (100_489, 11_054));
        // the second: (11,053.81 − 1,004.89) × 1% = 100.4892 → 100.49
        assert_eq!(new[1].interest, 10_049);
        let same = Restructure::PlanChange {
            method: RepaymentMethod::Annuity,
        };
        assert!(restructure(&acct, &inst, &t, &same).is_err());
    }

    #[test]
    fn a_principal_grace_pays_interest_only_then_amortises() {
        let (acct, inst, t) = loan("120000", "0.06", 12, RepaymentMethod::EqualPrincipal);
        let change = Restructure::PrincipalGrace { periods: 3 };
        let new = restructure(&acct, &inst, &t, &change).unwrap();
        // 110,000.00 after installment 1: installments 2–4 pay 110,000.00 × 0.5% = 550.00
        for i in &new[..3] {
            assert_eq!((i.principal, i.interest), (0, 55_000), "{}", i.number);
        }
        // then 110,000.00 / 8 = 13,750.00 a period; installment 6 pays interest on
        // 96,250.00 × 0.5% = 481.25
        assert_eq!((new[3].principal, new[3].interest), (1_375_000, 55_000));
        assert_eq!(new[4].interest, 48_125);
        assert_eq!(new.len(), 11);
        // a grace as long as what is left is refused by the schedule
        let all = Restructure::PrincipalGrace { periods: 11 };
        let err = restructure(&acct, &inst, &t, &all).unwrap_err();
        assert!(err.to_string().contains("grace_principal"), "{err}");
    }

    #[test]
    fn extensions_are_limited_by_the_original_term() {
        // short-term: by the original term; medium-term: half; long-term: three years
        assert_eq!(extension_limit(6, 12), 6);
        assert_eq!(extension_limit(12, 12), 12);
        assert_eq!(extension_limit(13, 12), 6);
        assert_eq!(extension_limit(36, 12), 18);
        assert_eq!(extension_limit(60, 12), 30);
        assert_eq!(extension_limit(120, 12), 36);
        // quarterly: 8 quarters are two years, medium-term: 4 quarters
        assert_eq!(extension_limit(8, 4), 4);
    }

    #[test]
    fn a_restructure_shows_as_json_with_its_kind() {
        let change = Restructure::RateChange {
            new_rate: AnnualRate::parse("0.0415").unwrap(),
        };
        let json = serde_json::to_string(&change).unwrap();
        assert_eq!(json, r#"{"kind":"rate_change","new_rate":"0.0415"}"#);
        assert_eq!(change.kind(), "rate_change");
    }
}
