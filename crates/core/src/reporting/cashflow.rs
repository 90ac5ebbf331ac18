//! The cash-flow projection (现金流预测): what the schedules of the book still expect to
//! receive, by calendar month — principal and interest not yet paid of every installment
//! not yet due or overdue (overdue amounts are expected in the current month).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// An installment still expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// Due date.
    pub due_date: NaiveDate,
    /// Principal not yet paid.
    pub principal: i64,
    /// Interest not yet paid.
    pub interest: i64,
    /// Installments the row stands for (1 for one installment; more for a row summed by
    /// the database).
    pub installments: usize,
}

/// Expected inflows of one month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// Principal expected.
    pub principal: i64,
    /// Interest expected.
    pub interest: i64,
    /// Installments.
    pub installments: usize,
}

/// Expected inflows by month from the month of `today` on, for `months` months; overdue
/// installments count in the first month, installments after the horizon are left out.
pub fn projection(expected: &[Expected], today: NaiveDate, months: u32) -> Vec<Month> {
    let start = today.year() * 12 + today.month0() as i32;
    let mut out: Vec<Month> = (0..months as i32)
        .map(|n| {
            let m = start + n;
            Month {
                month: format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1),
                principal: 0,
                interest: 0,
                installments: 0,
            }
        })
        .collect();
    for e in expected {
        let m = (e.due_date.year() * 12 + e.due_date.month0() as i32 - start).max(0);
        if let Some(slot) = usize::try_from(m).ok().and_then(|m| out.get_mut(m)) {
            slot.principal += e.principal;
            slot.interest += e.interest;
            slot.installments += e.installments;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installments_land_in_their_month_and_arrears_in_the_first() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let e = |due, principal, interest| Expected {
            due_date: due,
            principal,
            interest,
            installments: 1,
        };
        let p = projection(
            &[
                e(d(2026, 11, 23), 100, 10),
                e(d(2026, 12, 23), 200, 20),
                e(d(2027, 1, 23), 300, 30),
                e(d(2027, 2, 23), 400, 40),
            ],
            d(2026, 12, 3),
            2,
        );
        assert_eq!(p.len(), 2);
        assert_eq!(
            (
                p[0].month.as_str(),
                p[0].principal,
                p[0].interest,
                p[0].installments
            ),
            ("2026-12", 300, 30, 2)
        );
        assert_eq!(
            (p[1].month.as_str(), p[1].principal, p[1].interest),
            ("2027-01", 300, 30)
        );
    }
}
