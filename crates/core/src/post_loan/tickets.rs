//! Customer-service tickets (客户服务工单): what kind a ticket is, how urgent, and by
//! when it must be resolved (the SLA).
//!
//! The SLA clock runs in wall-clock hours from the moment the ticket is opened, not in
//! business days: a complaint left over a weekend is still late. Decision (the issue
//! left the hours open): the hours below follow common practice of consumer-credit
//! regulators, who expect complaints answered within days and urgent ones within a day.
//!
//! | kind | normal | high |
//! |---|---|---|
//! | inquiry (咨询) | 24 h | 8 h |
//! | complaint (投诉) | 48 h | 24 h |
//! | request (申请, e.g. a statement or a certificate of payoff) | 72 h | 24 h |

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// What the customer wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketKind {
    /// A question (咨询).
    Inquiry,
    /// A complaint (投诉).
    Complaint,
    /// A request for a document or a service (申请).
    Request,
}

impl TicketKind {
    /// Every kind.
    pub const ALL: [TicketKind; 3] = [
        TicketKind::Inquiry,
        TicketKind::Complaint,
        TicketKind::Request,
    ];

    /// The code.
    pub const fn code(self) -> &'static str {
        match self {
            TicketKind::Inquiry => "inquiry",
            TicketKind::Complaint => "complaint",
            TicketKind::Request => "request",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<TicketKind> {
        TicketKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// How urgent a ticket is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// The usual pace.
    Normal,
    /// Urgent: a vulnerable customer, a regulator's referral, money at stake.
    High,
}

impl Priority {
    /// The code.
    pub const fn code(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::High => "high",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Priority> {
        match code {
            "normal" => Some(Priority::Normal),
            "high" => Some(Priority::High),
            _ => None,
        }
    }
}

/// Where a ticket stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Opened, nobody working on it yet.
    Open,
    /// Assigned and being worked.
    InProgress,
    /// Answered; the customer may rate it.
    Resolved,
    /// Finished (rated, or closed without a rating).
    Closed,
}

impl TicketStatus {
    /// The code.
    pub const fn code(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::InProgress => "in_progress",
            TicketStatus::Resolved => "resolved",
            TicketStatus::Closed => "closed",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<TicketStatus> {
        [
            TicketStatus::Open,
            TicketStatus::InProgress,
            TicketStatus::Resolved,
            TicketStatus::Closed,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    /// True while the SLA clock runs.
    pub const fn is_pending(self) -> bool {
        matches!(self, TicketStatus::Open | TicketStatus::InProgress)
    }
}

/// Hours from opening to resolution.
pub const fn sla_hours(kind: TicketKind, priority: Priority) -> i64 {
    match (kind, priority) {
        (TicketKind::Inquiry, Priority::Normal) => 24,
        (TicketKind::Inquiry, Priority::High) => 8,
        (TicketKind::Complaint, Priority::Normal) => 48,
        (TicketKind::Complaint, Priority::High) => 24,
        (TicketKind::Request, Priority::Normal) => 72,
        (TicketKind::Request, Priority::High) => 24,
    }
}

/// When a ticket opened at `opened` must be resolved.
pub fn sla_due(kind: TicketKind, priority: Priority, opened: DateTime<Utc>) -> DateTime<Utc> {
    opened + Duration::hours(sla_hours(kind, priority))
}

/// True when a ticket still pending at `now` has passed its due time.
pub fn is_breached(status: TicketStatus, due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    status.is_pending() && now > due
}

/// Checks a satisfaction rating: 1 (very dissatisfied) to 5 (very satisfied).
pub fn check_rating(rating: i64) -> Result<u8, &'static str> {
    u8::try_from(rating)
        .ok()
        .filter(|r| (1..=5).contains(r))
        .ok_or("must be a whole number from 1 to 5")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap()
    }

    #[test]
    fn complaints_are_due_in_two_days_or_one_when_urgent() {
        let opened = at(9);
        assert_eq!(
            sla_due(TicketKind::Complaint, Priority::Normal, opened),
            Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap()
        );
        assert_eq!(
            sla_due(TicketKind::Complaint, Priority::High, opened),
            Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap()
        );
        assert_eq!(sla_hours(TicketKind::Inquiry, Priority::High), 8);
        assert_eq!(sla_hours(TicketKind::Request, Priority::Normal), 72);
    }

    #[test]
    fn only_a_pending_ticket_past_its_due_time_is_breached() {
        let due = at(12);
        assert!(!is_breached(TicketStatus::Open, due, at(12)));
        assert!(is_breached(TicketStatus::Open, due, at(13)));
        assert!(is_breached(TicketStatus::InProgress, due, at(13)));
        assert!(!is_breached(TicketStatus::Resolved, due, at(13)));
        assert!(!is_breached(TicketStatus::Closed, due, at(23)));
    }

    #[test]
    fn codes_round_trip_and_ratings_are_one_to_five() {
        for kind in TicketKind::ALL {
            assert_eq!(TicketKind::parse(kind.code()), Some(kind));
        }
        assert_eq!(
            TicketStatus::parse("in_progress"),
            Some(TicketStatus::InProgress)
        );
        assert_eq!(Priority::parse("urgent"), None);
        assert_eq!(check_rating(5), Ok(5));
        assert_eq!(check_rating(1), Ok(1));
        assert!(check_rating(0).is_err());
        assert!(check_rating(6).is_err());
        assert!(check_rating(-3).is_err());
    }
}
