//! The four-eyes rule (双人复核 / 审贷分离): nobody approves their own work.

use super::SYSTEM_ACTOR;

/// Why the four-eyes rule (双人复核 / 审贷分离) stops an actor from deciding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FourEyes {
    /// The actor submitted or created the application.
    #[error("four-eyes: {actor} {act} application and may not approve it")]
    Submitter {
        /// The actor.
        actor: String,
        /// `submitted` or `created`.
        act: &'static str,
    },
    /// The actor investigated the application (审贷分离).
    #[error("four-eyes: {actor} investigated application and may not approve it")]
    Investigator {
        /// The actor.
        actor: String,
    },
    /// The actor already decided an earlier step or voted on this one.
    #[error(
        "four-eyes: {actor} already decided an earlier step or voted on this one and may not approve it"
    )]
    AlreadyDecided {
        /// The actor.
        actor: String,
    },
}

/// Checks that `actor` may decide a step of an application: not its submitter or creator,
/// not one of its investigators, and not someone who decided an earlier step or already
/// voted on this one (`earlier_deciders`). [`SYSTEM_ACTOR`] is exempt.
///
/// # Errors
/// The first [`FourEyes`] rule broken, in the order above.
pub fn four_eyes(
    actor: &str,
    submitted_by: Option<&str>,
    created_by: &str,
    investigators: &[String],
    earlier_deciders: &[String],
) -> Result<(), FourEyes> {
    if actor == SYSTEM_ACTOR {
        return Ok(());
    }
    let owned = || actor.to_owned();
    if submitted_by == Some(actor) {
        return Err(FourEyes::Submitter {
            actor: owned(),
            act: "submitted",
        });
    }
    if created_by == actor {
        return Err(FourEyes::Submitter {
            actor: owned(),
            act: "created",
        });
    }
    if investigators.iter().any(|i| i == actor) {
        return Err(FourEyes::Investigator { actor: owned() });
    }
    if earlier_deciders.iter().any(|d| d == actor) {
        return Err(FourEyes::AlreadyDecided { actor: owned() });
    }
    Ok(())
}
