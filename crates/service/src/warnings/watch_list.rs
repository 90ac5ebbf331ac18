//! The industry and region watch list (行业/区域预警名单).

use loanbook_store::audit::timestamp;
use loanbook_store::warnings::{self as store, WatchRow};
use serde::{Deserialize, Serialize};

use super::events::raise_entry;
use super::{MAX_NOTE_CHARS, MAX_WATCH_ENTRIES, WATCH_KINDS};
use crate::{Actor, App, Permission, ServiceError, Violation, record};

/// A watch-list entry as sent.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WatchInput {
    /// `industry` or `region` (a province, as customers record it, e.g. 广东省).
    #[serde(default)]
    pub kind: String,
    /// The industry or province.
    #[serde(default)]
    pub value: String,
    /// Why it is watched.
    #[serde(default)]
    pub reason: String,
}

/// A watch-list entry as shown.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct WatchView {
    pub id: i64,
    pub kind: String,
    pub value: String,
    pub reason: String,
    pub added_by: String,
    pub added_at: String,
    pub removed_by: Option<String>,
    pub removed_at: Option<String>,
}

impl From<WatchRow> for WatchView {
    fn from(w: WatchRow) -> WatchView {
        WatchView {
            id: w.id,
            kind: w.kind,
            value: w.value,
            reason: w.reason,
            added_by: w.added_by,
            added_at: w.added_at,
            removed_by: w.removed_by,
            removed_at: w.removed_at,
        }
    }
}

/// An entry added and the warnings it raised.
#[derive(Clone, Debug, Serialize)]
pub struct WatchAdded {
    /// The entry.
    pub entry: WatchView,
    /// `watch_list` warnings raised for the customers with an active loan there.
    pub warnings_raised: u64,
}

/// Puts an industry or region on the watch list and flags every customer with an active
/// loan there (`watch_list`).
///
/// # Errors
/// Forbidden without `policy:manage`; [`ServiceError::Invalid`] naming `kind`, `value` or
/// `reason`; a conflict when the entry is on the list already.
pub async fn add_watch(
    app: &App,
    actor: &Actor,
    input: &WatchInput,
) -> Result<WatchAdded, ServiceError> {
    actor.require(Permission::PolicyManage)?;
    let mut v = Vec::new();
    let kind = input.kind.trim();
    if !WATCH_KINDS.contains(&kind) {
        v.push(Violation::new(
            "kind",
            format!("'{kind}' is not industry or region"),
        ));
    }
    let value = input.value.trim();
    if value.is_empty() || value.chars().count() > 100 {
        v.push(Violation::new("value", "must be 1–100 characters"));
    }
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_NOTE_CHARS {
        v.push(Violation::new(
            "reason",
            format!("must be 1–{MAX_NOTE_CHARS} characters"),
        ));
    }
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    let today = app.business_date().await?.to_string();
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let mut row = WatchRow {
        kind: kind.into(),
        value: value.into(),
        reason: reason.into(),
        added_by: actor.username.clone(),
        added_at: at.clone(),
        ..WatchRow::default()
    };
    row.id = store::add_watch(&mut tx, &row).await?.ok_or_else(|| {
        ServiceError::Conflict(format!("the {kind} '{value}' is on the watch list already"))
    })?;
    let raised = raise_entry(&mut tx, &row, &today, &at).await?;
    let added = WatchAdded {
        entry: WatchView::from(row),
        warnings_raised: raised,
    };
    record(
        &mut tx,
        actor,
        "risk_watch_list.add",
        "risk_watch_list",
        &added.entry.id.to_string(),
        None,
        Some(serde_json::to_value(&added).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(added)
}

/// The watch list, with the removed entries when `removed`.
///
/// # Errors
/// Forbidden without `warning:manage`.
pub async fn watch_list(
    app: &App,
    actor: &Actor,
    removed: bool,
) -> Result<Vec<WatchView>, ServiceError> {
    actor.require(Permission::WarningManage)?;
    Ok(
        store::watch_list(app.db().pool(), removed, MAX_WATCH_ENTRIES)
            .await?
            .into_iter()
            .map(WatchView::from)
            .collect(),
    )
}

/// Takes entry `id` off the watch list (kept, stamped removed). Warnings it raised stay
/// open until closed by someone.
///
/// # Errors
/// Forbidden without `policy:manage`; not found; a conflict when removed already.
pub async fn remove_watch(app: &App, actor: &Actor, id: i64) -> Result<WatchView, ServiceError> {
    actor.require(Permission::PolicyManage)?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let before = store::watch(&mut *tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("watch-list entry {id}")))?;
    if !store::remove_watch(&mut tx, id, &actor.username, &at).await? {
        return Err(ServiceError::Conflict(format!(
            "watch-list entry {id} was removed already"
        )));
    }
    let after = store::watch(&mut *tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("watch-list entry {id}")))?;
    record(
        &mut tx,
        actor,
        "risk_watch_list.remove",
        "risk_watch_list",
        &id.to_string(),
        Some(serde_json::to_value(WatchView::from(before)).unwrap_or_default()),
        Some(serde_json::to_value(WatchView::from(after.clone())).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(WatchView::from(after))
}
