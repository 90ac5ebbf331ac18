//! AML screening (反洗钱): importable, versioned watch lists and screening of customers by
//! exact ID number (keyed hash) and fuzzy name.
//!
//! Decisions: each import replaces the list with a new version (the old ones stay for
//! replaying past decisions); ID numbers on the list are stored only as keyed hashes and
//! masked forms; the name threshold is 0.9 Jaro–Winkler on normalised names.

use loanbook_risk::aml::{DEFAULT_THRESHOLD, WatchEntry, normalise_name, screen};
use loanbook_store::audit::timestamp;
use loanbook_store::crypto::mask;
use loanbook_store::customers;
use loanbook_store::watch_list::{self, EntryRow};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, Permission, ServiceError, Violation, record};

/// Most entries one import takes.
pub const MAX_ENTRIES: usize = 200_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvEntry {
    list: String,
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    reason: String,
}

/// Imports a watch list from CSV (`list,name,id_number,reason`; `id_number` may be empty),
/// all or nothing; returns the new version.
///
/// # Errors
/// Forbidden without `watchlist:manage`; [`ServiceError::Invalid`] with every bad row.
pub async fn import_csv(
    app: &App,
    actor: &Actor,
    data: &[u8],
    source: &str,
) -> Result<(i64, usize), ServiceError> {
    actor.require(Permission::WatchListManage)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(data);
    let mut violations = Vec::new();
    let mut entries = Vec::new();
    for (index, record) in reader.deserialize::<CsvEntry>().enumerate() {
        let row = index + 2;
        if index >= MAX_ENTRIES {
            violations.push(
                Violation::new("csv", format!("more than {MAX_ENTRIES} entries")).at_row(row),
            );
            break;
        }
        let e = match record {
            Ok(e) => e,
            Err(err) => {
                violations.push(Violation::new("csv", err.to_string()).at_row(row));
                continue;
            }
        };
        if e.list.is_empty() {
            violations.push(Violation::new("list", "is required").at_row(row));
        }
        let normalised = normalise_name(&e.name);
        if normalised.is_empty() {
            violations.push(Violation::new("name", "is required").at_row(row));
        }
        let id = e.id_number.trim().to_ascii_uppercase();
        entries.push(EntryRow {
            id: 0,
            list_name: e.list,
            name: e.name.trim().to_owned(),
            name_normalised: normalised,
            id_number_hash: (!id.is_empty()).then(|| app.keys().lookup_hash("id_number", &id)),
            id_number_masked: (!id.is_empty()).then(|| mask(&id, 4, 4)),
            reason: e.reason,
        });
    }
    if entries.is_empty() && violations.is_empty() {
        violations.push(Violation::new("csv", "the file has no entries").at_row(1));
    }
    if !violations.is_empty() {
        return Err(ServiceError::Invalid(violations));
    }
    let mut tx = app.db().begin().await?;
    let version = watch_list::import(
        &mut tx,
        &entries,
        &actor.username,
        &timestamp(app.now()),
        source,
    )
    .await?;
    record(
        &mut tx,
        actor,
        "watchlist.import",
        "watch_list",
        &version.to_string(),
        None,
        Some(serde_json::json!({"entries": entries.len(), "source": source})),
    )
    .await?;
    tx.commit().await?;
    Ok((version, entries.len()))
}

/// A hit as shown.
#[derive(Clone, Debug, Serialize)]
pub struct HitView {
    /// List name.
    pub list: String,
    /// The name on the list.
    pub name: String,
    /// The list's ID number, masked.
    pub id_number: Option<String>,
    /// Why the person is listed.
    pub reason: String,
    /// `id_number` or `name`.
    pub on: String,
    /// Name similarity, 0–1, four decimals.
    pub similarity: String,
}

/// A screening result.
#[derive(Clone, Debug, Serialize)]
pub struct Screening {
    /// The watch-list version screened against (0: no list imported).
    pub version: i64,
    /// Hits, strongest first.
    pub hits: Vec<HitView>,
}

/// Screens customer `id` against the current watch list.
///
/// # Errors
/// Forbidden without `customer:read`; not found.
pub async fn screen_customer(app: &App, actor: &Actor, id: i64) -> Result<Screening, ServiceError> {
    actor.require(Permission::CustomerRead)?;
    let customer = customers::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("customer {id}")))?;
    let (version, entries) = watch_list::current(app.db()).await?;
    let candidates: Vec<WatchEntry> = entries
        .iter()
        .map(|e| WatchEntry {
            id: e.id,
            name: e.name_normalised.clone(),
            id_number_hash: e.id_number_hash.clone(),
        })
        .collect();
    let hits = screen(
        &customer.name,
        customer.id_number_hash.as_deref(),
        &candidates,
        DEFAULT_THRESHOLD,
    )
    .into_iter()
    .filter_map(|h| {
        entries
            .iter()
            .find(|e| e.id == h.entry_id)
            .map(|e| HitView {
                list: e.list_name.clone(),
                name: e.name.clone(),
                id_number: e.id_number_masked.clone(),
                reason: e.reason.clone(),
                on: h.on.to_owned(),
                similarity: format!("{:.4}", h.similarity),
            })
    })
    .collect();
    Ok(Screening { version, hits })
}

/// An imported watch-list version.
#[derive(Clone, Debug, Serialize)]
pub struct ListVersion {
    /// Version.
    pub version: i64,
    /// Who imported it.
    pub imported_by: String,
    /// When.
    pub imported_at: String,
    /// How many entries.
    pub entries: i64,
    /// Where it came from.
    pub source: String,
}

/// Every imported version, newest first (the newest is screened against).
///
/// # Errors
/// Forbidden without `application:read`.
pub async fn versions(app: &App, actor: &Actor) -> Result<Vec<ListVersion>, ServiceError> {
    actor.require(Permission::ApplicationRead)?;
    Ok(watch_list::versions(app.db())
        .await?
        .into_iter()
        .map(
            |(version, imported_by, imported_at, entries, source)| ListVersion {
                version,
                imported_by,
                imported_at,
                entries,
                source,
            },
        )
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::{self as customer_service, CustomerInput};
    use crate::test_support::apps;

    #[tokio::test]
    async fn import_and_screen() {
        for (app, admin, t) in apps().await {
            let c = customer_service::create(
                &app,
                &admin,
                &CustomerInput {
                    kind: "individual".into(),
                    name: "王伟".into(),
                    id_number: Some("110101199003078515".into()),
                    phone: Some("13800138000".into()),
                    ..CustomerInput::default()
                },
            )
            .await
            .unwrap();
            assert_eq!(
                screen_customer(&app, &admin, c.id).await.unwrap().version,
                0,
                "{}",
                t.label
            );
            let bad = "list,name,id_number,reason\nPBOC,,,x\n,Someone,,y\n";
            let Err(ServiceError::Invalid(v)) =
                import_csv(&app, &admin, bad.as_bytes(), "test").await
            else {
                panic!()
            };
            assert_eq!(
                v.iter()
                    .map(|v| (v.row, v.field.as_str()))
                    .collect::<Vec<_>>(),
                [(Some(2), "name"), (Some(3), "list")]
            );
            let list = "list,name,id_number,reason\nPBOC,某人,110101199003078515,涉嫌洗钱\nUN,Zhang Sanfeng,,sanctions\n";
            assert_eq!(
                import_csv(&app, &admin, list.as_bytes(), "test")
                    .await
                    .unwrap(),
                (1, 2)
            );
            let s = screen_customer(&app, &admin, c.id).await.unwrap();
            assert_eq!(s.version, 1);
            assert_eq!(s.hits.len(), 1);
            assert_eq!(
                (s.hits[0].on.as_str(), s.hits[0].id_number.as_deref()),
                ("id_number", Some("1101**********8515"))
            );
            let dump = loanbook_store::testing::dump_text(app.db(), &["watch_list_entries"]).await;
            assert!(
                !dump.contains("110101199003078515"),
                "the listed ID number is stored in clear"
            );
            // only compliance and admin import lists
            let officer = Actor {
                user_id: 2,
                username: "o".into(),
                role: crate::Role::LoanOfficer,
                request_id: None,
            };
            assert!(matches!(
                import_csv(&app, &officer, list.as_bytes(), "x").await,
                Err(ServiceError::Forbidden { .. })
            ));
        }
    }
}
