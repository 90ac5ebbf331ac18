//! Manual five-tier class overrides (人工调整五级分类).
//!
//! A risk officer may set a loan's class by hand, with a reason, through approval. The
//! override holds until days past due give a *worse* class (the close then downgrades the
//! loan and the override ends) or until it is removed; while it holds, the close neither
//! upgrades the loan (sustained performance does not count) nor moves it within the
//! override. An override better than the class the days past due give is refused: it would
//! end at the very next close.

use crate::delinquency::{FiveTier, classify};

/// Why an override cannot be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    /// The class asked is better than the days past due allow.
    #[error(
        "{asked} is better than {by_dpd}, which {dpd} days past due give: an override may not be better than the days past due give"
    )]
    BetterThanDpd {
        /// The class asked.
        asked: FiveTier,
        /// The class of the days past due.
        by_dpd: FiveTier,
        /// Days past due at the last close.
        dpd: u32,
    },
}

/// Checks that `asked` may override a loan `dpd` days past due.
///
/// # Errors
/// [`OverrideError::BetterThanDpd`] when `asked` is better than `FiveTier::by_dpd(dpd)`.
pub fn check_override(asked: FiveTier, dpd: u32) -> Result<(), OverrideError> {
    let by_dpd = FiveTier::by_dpd(dpd);
    if asked < by_dpd {
        return Err(OverrideError::BetterThanDpd { asked, by_dpd, dpd });
    }
    Ok(())
}

/// The class a close gives a loan and the override still holding after it.
///
/// Without an override this is [`classify`] (downgrades at once, upgrades one tier after
/// `upgrade_after` on-time installments). With one, the class is the override — unless the
/// days past due give a worse class, which ends the override.
pub fn class_at_close(
    previous: FiveTier,
    held: Option<FiveTier>,
    dpd: u32,
    on_time_streak: u32,
    upgrade_after: u32,
) -> (FiveTier, Option<FiveTier>) {
    match held {
        None => (classify(previous, dpd, on_time_streak, upgrade_after), None),
        Some(class) => {
            let by_dpd = FiveTier::by_dpd(dpd);
            if by_dpd > class {
                (by_dpd, None)
            } else {
                (class, Some(class))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FiveTier::*;

    #[test]
    fn an_override_stops_upgrades_until_the_days_past_due_are_worse() {
        // substandard by hand on a loan paying on time: ten on-time installments would
        // upgrade it without the override; with it the class stays
        assert_eq!(
            class_at_close(Substandard, Some(Substandard), 0, 10, 3),
            (Substandard, Some(Substandard))
        );
        // 120 days past due give substandard too: not worse, the override holds
        assert_eq!(
            class_at_close(Substandard, Some(Substandard), 120, 0, 3),
            (Substandard, Some(Substandard))
        );
        // 181 days give doubtful: the close downgrades and the override ends
        assert_eq!(
            class_at_close(Substandard, Some(Substandard), 181, 0, 3),
            (Doubtful, None)
        );
        // without an override, three on-time installments upgrade one tier
        assert_eq!(
            class_at_close(Substandard, None, 0, 3, 3),
            (SpecialMention, None)
        );
    }

    #[test]
    fn an_override_better_than_the_days_past_due_is_refused() {
        assert_eq!(check_override(Substandard, 10), Ok(()));
        assert_eq!(check_override(SpecialMention, 90), Ok(()));
        let err = check_override(Pass, 5).unwrap_err();
        assert_eq!(
            err.to_string(),
            "pass is better than special_mention, which 5 days past due give: an override may not be better than the days past due give"
        );
    }
}
