//! The interest periods of a schedule: their dates and their year fractions.

use chrono::NaiveDate;

use super::{RepaymentMethod, ScheduleError, ScheduleTerms};
use crate::date::{DayCount, Frequency};

/// A year fraction kept as an exact ratio: months / 12 or days / 360 or days / 365.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fraction {
    pub numerator: i64,
    pub denominator: i64,
}

/// One interest period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The fraction of a year this period's interest is charged for.
    pub accrual: Fraction,
    /// A regular period's fraction: what the installment is sized on.
    pub nominal: Fraction,
    /// True for a first period made longer or shorter by a first due date.
    pub broken: bool,
}

/// The regular period's fraction of a year: months / 12 for month-based frequencies;
/// for week-based ones 1 / 52 or 1 / 26 under 30/360 (every regular period is exactly
/// one period's share of the year) and 7 or 14 days / (360 or 365) under ACT.
pub(crate) fn nominal_fraction(frequency: Frequency, day_count: DayCount) -> Fraction {
    match (frequency.months(), frequency.days(), day_count) {
        (Some(months), _, _) => Fraction {
            numerator: i64::from(months),
            denominator: 12,
        },
        (None, _, DayCount::Thirty360) => Fraction {
            numerator: 1,
            denominator: i64::from(frequency.periods_per_year()),
        },
        (None, days, day_count) => Fraction {
            numerator: i64::from(days.unwrap_or(7)),
            denominator: i64::from(day_count.year_days()),
        },
    }
}

fn actual_days(start: NaiveDate, end: NaiveDate, day_count: DayCount) -> Fraction {
    Fraction {
        numerator: (end - start).num_days(),
        denominator: i64::from(day_count.year_days()),
    }
}

fn out_of_range() -> ScheduleError {
    ScheduleError::new(
        "start",
        "the schedule runs past the last date loanbook supports",
    )
}

/// Builds the periods of `terms` (already validated).
pub(crate) fn build(terms: &ScheduleTerms) -> Result<Vec<Period>, ScheduleError> {
    let frequency = terms.frequency;
    let nominal = nominal_fraction(frequency, terms.day_count);
    if terms.method == RepaymentMethod::Bullet {
        let term = i32::try_from(terms.term).map_err(|_| out_of_range())?;
        let end = frequency
            .nth_date(terms.start, term)
            .ok_or_else(out_of_range)?;
        let accrual = match terms.day_count {
            DayCount::Thirty360 => Fraction {
                numerator: nominal.numerator * i64::from(terms.term),
                denominator: nominal.denominator,
            },
            day_count => actual_days(terms.start, end, day_count),
        };
        return Ok(vec![Period {
            start: terms.start,
            end,
            accrual,
            nominal: accrual,
            broken: false,
        }]);
    }
    let (anchor, offset) = first_due_anchor(terms)?;
    let mut periods = Vec::with_capacity(terms.term as usize);
    let mut start = terms.start;
    for k in 1..=terms.term as i32 {
        let end = frequency
            .nth_date(anchor, k - offset)
            .ok_or_else(out_of_range)?;
        let broken = k == 1 && offset == 1;
        let accrual = match terms.day_count {
            DayCount::Thirty360 if !broken => nominal,
            // A broken period earns actual days / 360 (the Chinese bank convention), or
            // / 365 when the product counts ACT/365F.
            DayCount::Thirty360 => actual_days(start, end, DayCount::Act360),
            day_count => actual_days(start, end, day_count),
        };
        periods.push(Period {
            start,
            end,
            accrual,
            nominal,
            broken,
        });
        start = end;
    }
    Ok(periods)
}

/// The date due dates are counted from and the offset of the first one: `(start, 0)`
/// for regular schedules, `(first_due, 1)` when a first due date breaks the first period.
fn first_due_anchor(terms: &ScheduleTerms) -> Result<(NaiveDate, i32), ScheduleError> {
    let Some(first_due) = terms.first_due else {
        return Ok((terms.start, 0));
    };
    let frequency = terms.frequency;
    let regular = frequency
        .nth_date(terms.start, 1)
        .ok_or_else(out_of_range)?;
    let latest = frequency
        .nth_date(terms.start, 2)
        .ok_or_else(out_of_range)?;
    if first_due <= terms.start {
        return Err(ScheduleError::new(
            "first_due",
            format!(
                "must be after the start date {} (got {first_due})",
                terms.start
            ),
        ));
    }
    if first_due > latest {
        return Err(ScheduleError::new(
            "first_due",
            format!(
                "must be at most two periods after the start date, on or before {latest} (got {first_due})"
            ),
        ));
    }
    if first_due == regular {
        Ok((terms.start, 0))
    } else {
        Ok((first_due, 1))
    }
}
