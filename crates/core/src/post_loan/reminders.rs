//! Repayment reminders (还款提醒) and overdue notices (逾期通知) produced by the close.
//!
//! The close of business date D runs at night, so what it produces is delivered on D + 1
//! (after the quiet hours): a reminder three days before a due date is produced by the
//! close of the day before that, and so on.
//!
//! | kind | produced at the close of D when | delivered |
//! |---|---|---|
//! | `due_soon` (T-3) | the next due date is D + 1 + 3 | three days before the due date |
//! | `due_today` | the next due date is D + 1 | on the due date |
//! | `overdue` | days past due after the close are 1, 3, 7, 15 or 30, then every 30 | the next morning |

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::servicing::account::LoanAccount;

/// What a notice tells the borrower.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// An installment falls due in a few days (T-3).
    DueSoon,
    /// An installment falls due today.
    DueToday,
    /// The loan is overdue.
    Overdue,
    /// A promise to pay was broken.
    BrokenPromise,
    /// A settlement was approved: pay the agreed amount by the date.
    SettlementOffer,
}

impl NoticeKind {
    /// Every kind.
    pub const ALL: [NoticeKind; 5] = [
        NoticeKind::DueSoon,
        NoticeKind::DueToday,
        NoticeKind::Overdue,
        NoticeKind::BrokenPromise,
        NoticeKind::SettlementOffer,
    ];

    /// The code, e.g. `due_soon`.
    pub const fn code(self) -> &'static str {
        match self {
            NoticeKind::DueSoon => "due_soon",
            NoticeKind::DueToday => "due_today",
            NoticeKind::Overdue => "overdue",
            NoticeKind::BrokenPromise => "broken_promise",
            NoticeKind::SettlementOffer => "settlement_offer",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// When reminders go out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderRules {
    /// Days before a due date of the early reminder (T-n).
    pub days_before: u32,
    /// Days past due on which an overdue notice goes out.
    pub overdue_days: Vec<u32>,
    /// After the last of `overdue_days`, a notice every this many days (0: none).
    pub overdue_every: u32,
}

impl Default for ReminderRules {
    fn default() -> Self {
        ReminderRules {
            days_before: 3,
            overdue_days: vec![1, 3, 7, 15, 30],
            overdue_every: 30,
        }
    }
}

/// A notice the close produces for one loan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notice {
    /// What it says.
    pub kind: NoticeKind,
    /// The due date it is about (reminders), or the oldest unpaid due date (overdue).
    pub due_date: Option<NaiveDate>,
    /// Days past due after the close.
    pub dpd: u32,
}

impl ReminderRules {
    /// Whether an overdue notice goes out at `dpd` days past due.
    pub fn overdue_notice_at(&self, dpd: u32) -> bool {
        if dpd == 0 {
            return false;
        }
        if self.overdue_days.contains(&dpd) {
            return true;
        }
        let last = self.overdue_days.iter().copied().max().unwrap_or(0);
        self.overdue_every > 0 && dpd > last && (dpd - last).is_multiple_of(self.overdue_every)
    }

    /// The notices the close of `date` produces for a loan as it stands after the close
    /// (at most one reminder and one overdue notice).
    pub fn notices(&self, account: &LoanAccount, date: NaiveDate) -> Vec<Notice> {
        let mut out = Vec::new();
        let tomorrow = date + Duration::days(1);
        if let Some(due) = account.next_due {
            let kind = if due == tomorrow {
                Some(NoticeKind::DueToday)
            } else if due == tomorrow + Duration::days(i64::from(self.days_before)) {
                Some(NoticeKind::DueSoon)
            } else {
                None
            };
            if let Some(kind) = kind {
                out.push(Notice {
                    kind,
                    due_date: Some(due),
                    dpd: account.dpd,
                });
            }
        }
        if self.overdue_notice_at(account.dpd) {
            out.push(Notice {
                kind: NoticeKind::Overdue,
                due_date: account.oldest_unpaid_due,
                dpd: account.dpd,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn account(next_due: Option<NaiveDate>, dpd: u32) -> LoanAccount {
        let first = crate::servicing::account::OpenInstallment {
            number: 1,
            period_start: ymd(2026, 1, 1),
            due_date: ymd(2026, 2, 1),
            principal: 10_000,
            interest: 5_00,
            paid_principal: 0,
            paid_interest: 0,
            state: crate::servicing::account::InstallmentState::Pending,
            paid_on: None,
        };
        let mut a = LoanAccount::new(7, 10_000, ymd(2026, 1, 1), &first);
        a.next_due = next_due;
        a.dpd = dpd;
        a.oldest_unpaid_due = (dpd > 0).then(|| ymd(2026, 3, 1));
        a
    }

    #[test]
    fn the_close_of_the_day_before_tells_the_due_date_and_four_days_before_the_early_reminder() {
        let r = ReminderRules::default();
        let d = ymd(2026, 3, 14);
        let today = r.notices(&account(Some(ymd(2026, 3, 15)), 0), d);
        assert_eq!(
            today,
            [Notice {
                kind: NoticeKind::DueToday,
                due_date: Some(ymd(2026, 3, 15)),
                dpd: 0
            }]
        );
        let soon = r.notices(&account(Some(ymd(2026, 3, 18)), 0), d);
        assert_eq!(soon[0].kind, NoticeKind::DueSoon);
        assert!(r.notices(&account(Some(ymd(2026, 3, 17)), 0), d).is_empty());
        assert!(r.notices(&account(Some(ymd(2026, 3, 19)), 0), d).is_empty());
        assert!(r.notices(&account(None, 0), d).is_empty());
    }

    #[test]
    fn overdue_notices_go_out_on_the_listed_days_then_monthly() {
        let r = ReminderRules::default();
        let days: Vec<u32> = (0..=130).filter(|d| r.overdue_notice_at(*d)).collect();
        assert_eq!(days, [1, 3, 7, 15, 30, 60, 90, 120]);
        let n = r.notices(&account(Some(ymd(2026, 4, 1)), 7), ymd(2026, 3, 8));
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].kind, NoticeKind::Overdue);
        assert_eq!(n[0].due_date, Some(ymd(2026, 3, 1)));
        assert_eq!(n[0].dpd, 7);
    }

    #[test]
    fn no_monthly_repeat_when_switched_off() {
        let r = ReminderRules {
            overdue_every: 0,
            ..ReminderRules::default()
        };
        assert!(!r.overdue_notice_at(60));
        assert!(r.overdue_notice_at(30));
    }

    #[test]
    fn kinds_parse_back() {
        for k in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(k.code()), Some(k));
        }
        assert_eq!(NoticeKind::parse("spam"), None);
    }
}
