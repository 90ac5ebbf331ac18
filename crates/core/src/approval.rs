//! The approval chain (审批链): who must approve an application, in which order, by when.
//!
//! A lender's delegation of authority (授权) is a table of [`AuthorityRule`]s: by product,
//! amount and risk grade, the steps an application must pass. [`required_steps`] picks the
//! first matching rule by priority; the service creates one approval row per step and walks
//! them in order:
//!
//! ```text
//! in_review ─► step 1 ─► step 2 ─► … ─► step n approved ─► application approved
//!
//! each step:  pending ──vote──► tally ─┬─ approved ─► next step
//!               ▲                      ├─ rejected ─► application declined
//!               └──────────────────────┴─ pending (wait; the SLA clock runs)
//!             a vote passes may_decide (role) and four_eyes first; a voter counts once;
//!             an approver may instead make a counter-offer (amount / term / rate),
//!             checked against the product by CounterOffer::validate
//! ```
//!
//! - A step of kind [`StepKind::Automatic`] is decided at once by [`SYSTEM_ACTOR`]; if the
//!   credit policy *referred* the application, the automatic step becomes a loan officer's.
//! - A committee (审贷会) step is decided by [`tally`]: approved when `votes_required`
//!   members approve, rejected as soon as that can no longer happen.
//! - [`four_eyes()`] keeps the submitter, the creator, the investigators and anyone who
//!   already decided a step from deciding (again).
//! - Each step has an SLA in hours from the moment it started ([`sla_due`], [`is_overdue`]);
//!   the time is passed in, never read from a clock.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

mod authority;
mod counter_offer;
mod four_eyes;

pub use authority::{AuthorityError, AuthorityRule, AuthorityRules, MAX_RULES, required_steps};
pub use counter_offer::CounterOffer;
pub use four_eyes::{FourEyes, four_eyes};

/// The actor that decides automatic steps; exempt from the four-eyes rule.
pub const SYSTEM_ACTOR: &str = "system:auto";

/// The role code that may decide any step.
pub const ADMIN_ROLE: &str = "admin";

/// Most steps in one rule.
pub const MAX_STEPS: usize = 10;

/// Most members of a committee.
pub const MAX_VOTERS: u32 = 15;

/// The longest SLA of a step: 720 hours (30 days).
pub const MAX_SLA_HOURS: u32 = 720;

/// The SLA of the loan officer step that replaces an automatic one on referral.
pub const REFERRAL_SLA_HOURS: u32 = 24;

/// Who decides a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Decided at once by the system ([`SYSTEM_ACTOR`]).
    Automatic,
    /// A loan officer (信贷员 / 客户经理).
    LoanOfficer,
    /// A branch manager (支行行长 / 审批人).
    BranchManager,
    /// A credit committee (审贷会): `votes_required` of `voters` members.
    Committee,
}

impl StepKind {
    /// Every kind.
    pub const ALL: [StepKind; 4] = [
        StepKind::Automatic,
        StepKind::LoanOfficer,
        StepKind::BranchManager,
        StepKind::Committee,
    ];

    /// The code used in configuration and the database: `automatic`, `loan_officer`,
    /// `branch_manager`, `committee`.
    pub const fn code(self) -> &'static str {
        match self {
            StepKind::Automatic => "automatic",
            StepKind::LoanOfficer => "loan_officer",
            StepKind::BranchManager => "branch_manager",
            StepKind::Committee => "committee",
        }
    }

    /// The kind with `code`, if any.
    pub fn parse(code: &str) -> Option<StepKind> {
        StepKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The role whose members decide this step: `loan_officer`, `approver` (branch
    /// manager) or `committee_member`; `None` for automatic steps, which only the system
    /// decides.
    pub const fn role(self) -> Option<&'static str> {
        match self {
            StepKind::Automatic => None,
            StepKind::LoanOfficer => Some("loan_officer"),
            StepKind::BranchManager => Some("approver"),
            StepKind::Committee => Some("committee_member"),
        }
    }

    /// Whether a user with role `role_code` may decide a step of this kind: the step's
    /// [`role`](StepKind::role), or [`ADMIN_ROLE`], which may act on any step.
    ///
    /// The service enforces this (together with [`four_eyes()`]) before recording a decision.
    pub fn may_decide(self, role_code: &str) -> bool {
        role_code == ADMIN_ROLE || self.role() == Some(role_code)
    }
}

impl std::fmt::Display for StepKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// One step of the chain: who decides, how many votes, and the time allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Who decides.
    pub kind: StepKind,
    /// Approvals that approve the step (1 except for a committee).
    pub votes_required: u32,
    /// Members who vote (1 except for a committee).
    pub voters: u32,
    /// Hours allowed from the step's start (1..=720).
    pub sla_hours: u32,
}

impl StepSpec {
    /// A step decided by one person (or the system): one vote of one voter.
    pub const fn single(kind: StepKind, sla_hours: u32) -> StepSpec {
        StepSpec {
            kind,
            votes_required: 1,
            voters: 1,
            sla_hours,
        }
    }

    /// A committee step: `votes_required` approvals out of `voters` members.
    pub const fn committee(votes_required: u32, voters: u32, sla_hours: u32) -> StepSpec {
        StepSpec {
            kind: StepKind::Committee,
            votes_required,
            voters,
            sla_hours,
        }
    }
}

/// One member's vote on a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    /// The voter's user name.
    pub voter: String,
    /// True to approve, false to reject.
    pub approve: bool,
}

/// Where a step stands after its votes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum StepOutcome {
    /// Not decided yet.
    Pending {
        /// Approvals so far.
        approvals: u32,
        /// Rejections so far.
        rejections: u32,
        /// Approvals still needed.
        needed: u32,
    },
    /// Enough members approved.
    Approved,
    /// So many rejected that the required approvals can no longer be reached.
    Rejected,
}

/// Counts `votes` (in the order cast) on `step`.
///
/// Approved when approvals reach `votes_required`; rejected as soon as rejections exceed
/// `voters − votes_required`. A voter's first vote counts and later ones are ignored; the
/// step is decided by the vote that decides it, and votes after that are ignored too (at
/// most `voters` distinct votes are ever needed). Among at most `voters` distinct voters
/// the outcome does not depend on the order of the votes.
pub fn tally(step: &StepSpec, votes: &[Vote]) -> StepOutcome {
    let required = step.votes_required;
    let tolerated = step.voters.saturating_sub(required);
    let (mut approvals, mut rejections) = (0u32, 0u32);
    for (index, vote) in votes.iter().enumerate() {
        if votes[..index].iter().any(|v| v.voter == vote.voter) {
            continue;
        }
        if vote.approve {
            approvals += 1;
        } else {
            rejections += 1;
        }
        if approvals >= required {
            return StepOutcome::Approved;
        }
        if rejections > tolerated {
            return StepOutcome::Rejected;
        }
    }
    StepOutcome::Pending {
        approvals,
        rejections,
        needed: required.saturating_sub(approvals),
    }
}

/// When a step started at `started_at` with an SLA of `sla_hours` falls due. Saturates at
/// the latest representable time (unreachable with validated SLAs).
pub fn sla_due(started_at: DateTime<Utc>, sla_hours: u32) -> DateTime<Utc> {
    started_at
        .checked_add_signed(TimeDelta::hours(i64::from(sla_hours)))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Whether the step is overdue at `now`: strictly after its [`sla_due`] time.
pub fn is_overdue(started_at: DateTime<Utc>, sla_hours: u32, now: DateTime<Utc>) -> bool {
    now > sla_due(started_at, sla_hours)
}

#[cfg(test)]
mod tests;
