//! Connecting to SQLite or PostgreSQL behind one pool.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::StoreError;

/// Which database a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file, WAL journal.
    Sqlite,
    /// PostgreSQL, for production and for scaling out.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A transaction on either database. It derefs to the connection, so repositories
/// write `&mut **tx`; on SQLite it also holds this process's write gate until it ends.
pub struct Tx<'a> {
    inner: sqlx::Transaction<'a, sqlx::Any>,
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// Audit records appended in this transaction, chained and written at commit in one
    /// batch (see [`crate::audit::append`]).
    pub(crate) audit: Vec<crate::audit::AuditRecord>,
    backend: Backend,
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tx")
    }
}

impl Tx<'_> {
    /// The database the transaction runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Commits.
    ///
    /// # Errors
    /// The database's.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let pending = std::mem::take(&mut self.audit);
        if !pending.is_empty() {
            crate::audit::flush(&mut self, pending).await?;
        }
        self.inner.commit().await
    }

    /// Rolls back.
    ///
    /// # Errors
    /// The database's.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &sqlx::AnyConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.inner
    }
}

/// A connection pool to the loanbook database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time: this process's writers queue here (in order,
    /// without sleeping) instead of in SQLite's busy handler, which backs off in sleeps
    /// of up to 100 ms. Other processes still meet the busy timeout.
    write_gate: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// When this process last refreshed the planner's statistics (SQLite): a pooled
    /// connection opened before that is closed when next acquired, since a SQLite
    /// connection reads the statistics only when it opens.
    stats_refreshed: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

/// How long a SQLite writer waits for another to finish before failing.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

impl Db {
    /// Opens `url`: `sqlite://PATH` (the file and its directory are created) or
    /// `postgres://…`. SQLite gets WAL, foreign keys and a busy timeout.
    ///
    /// # Errors
    /// An unsupported URL or a connection failure.
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let stats_refreshed: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>> =
            std::sync::Arc::default();
        let seen = stats_refreshed.clone();
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    // one writer at a time (the gate) and a few readers: more connections only
                    // multiply page caches that every commit invalidates
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(30))
                    .before_acquire(move |_, meta| {
                        let refreshed = seen.lock().ok().and_then(|t| *t);
                        let opened = std::time::Instant::now().checked_sub(meta.age);
                        let stale = matches!((refreshed, opened), (Some(r), Some(o)) if o < r);
                        Box::pin(async move { Ok(!stale) })
                    })
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                format!(
                                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA synchronous = FULL; PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA analysis_limit = 1000;"
                                )
                                .as_str(),
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await?
            }
        };
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        Ok(Db {
            pool,
            backend,
            write_gate: std::sync::Arc::default(),
            stats_refreshed,
        })
    }

    /// Refreshes the planner's statistics of the tables that grew or shrank a lot since
    /// they were last analysed. SQLite: `PRAGMA optimize` of every table, sampling at most 1,000 rows per
    /// index, so it takes milliseconds; without it a plan chosen when a table was nearly
    /// empty stays (a scan of every customer per application submitted, found by
    /// bench/http). A SQLite connection reads the statistics only when it opens, so the
    /// pool then replaces each connection opened before the refresh when it is next
    /// acquired. PostgreSQL's autovacuum does all this itself. Called after a close and
    /// after the customer, application and loan imports.
    ///
    /// # Errors
    /// A database error.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            // 0x10000: every table, not only those this connection has queried
            sqlx::query("PRAGMA optimize = 0x10002")
                .execute(&self.pool)
                .await?;
            if let Ok(mut at) = self.stats_refreshed.lock() {
                *at = Some(std::time::Instant::now());
            }
        }
        Ok(())
    }

    /// The pool, for queries outside a transaction.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers queue instead of failing mid-way.
    ///
    /// # Errors
    /// When the database cannot start one.
    pub async fn begin(&self) -> Result<Tx<'static>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => {
                let gate = self.write_gate.clone().lock_owned().await;
                Tx {
                    inner: self.pool.begin_with("BEGIN IMMEDIATE").await?,
                    _gate: Some(gate),
                    audit: Vec::new(),
                    backend: Backend::Sqlite,
                }
            }
            Backend::Postgres => Tx {
                inner: self.pool.begin().await?,
                _gate: None,
                audit: Vec::new(),
                backend: Backend::Postgres,
            },
        })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates the directory of a SQLite file and asks the driver to create the file.
fn prepare_sqlite_url(url: &str) -> Result<String, StoreError> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let dir = Path::new(path)
        .parent()
        .filter(|d| path != ":memory:" && !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Io(format!(
                "cannot create the directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    let query = match query {
        Some(q) if q.contains("mode=") => q.to_owned(),
        Some(q) => format!("{q}&mode=rwc"),
        None => "mode=rwc".to_owned(),
    };
    Ok(format!("sqlite://{path}?{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Row;

    #[test]
    fn sqlite_urls_get_create_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/x.db");
        let url = prepare_sqlite_url(&format!("sqlite://{}", path.display())).unwrap();
        assert_eq!(url, format!("sqlite://{}?mode=rwc", path.display()));
        assert!(path.parent().unwrap().is_dir());
        assert_eq!(
            prepare_sqlite_url("sqlite::memory:").unwrap(),
            "sqlite://:memory:?mode=rwc"
        );
    }

    async fn plan(conn: &mut sqlx::pool::PoolConnection<sqlx::Any>) -> String {
        let sql = "EXPLAIN QUERY PLAN SELECT a.id FROM apps a JOIN people p ON p.id = a.person WHERE p.phone = 'x'";
        let rows = sqlx::query(sql).fetch_all(&mut **conn).await.unwrap();
        rows.iter()
            .map(|r| r.try_get::<String, _>(3).unwrap())
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// A plan chosen while a table was nearly empty is replaced once the table grew and
    /// the statistics were refreshed.
    #[tokio::test]
    async fn refreshed_statistics_replace_plans_made_for_an_empty_table() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let db = Db::connect(&url).await.unwrap();
        let mut other = db.pool().acquire().await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE people (id INTEGER PRIMARY KEY, phone TEXT); CREATE INDEX people_phone ON people (phone); \
             CREATE TABLE apps (id INTEGER PRIMARY KEY, person INTEGER); CREATE INDEX apps_person ON apps (person); \
             INSERT INTO people VALUES (1, 'a'); INSERT INTO apps VALUES (1, 1); ANALYZE;",
        )
        .execute(&mut *other)
        .await
        .unwrap();
        sqlx::raw_sql(
            "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 30000) \
             INSERT INTO people SELECT i, 'p' || i FROM n; \
             INSERT INTO apps SELECT id, id FROM people WHERE id > 1;",
        )
        .execute(&mut *other)
        .await
        .unwrap();
        assert!(
            plan(&mut other).await.contains("SCAN p"),
            "{}",
            plan(&mut other).await
        );
        db.refresh_statistics().await.unwrap();
        // the connection held through the refresh still has the old statistics; once
        // back in the pool it is replaced by one that reads the new ones
        assert!(plan(&mut other).await.contains("SCAN p"));
        drop(other);
        let mut again = db.pool().acquire().await.unwrap();
        let after = plan(&mut again).await;
        assert!(after.contains("SEARCH p USING"), "{after}");
    }

    #[tokio::test]
    async fn refuses_other_databases() {
        let err = Db::connect("mysql://localhost/x").await.unwrap_err();
        assert!(matches!(err, StoreError::UnsupportedUrl(_)));
    }
}

/// The `VALUES` placeholders of a multi-row insert: `($1, $2), ($3, $4)` for 2 rows of 2
/// columns on PostgreSQL; `(?, ?), (?, ?)` on SQLite, whose driver looks up the name of
/// every numbered parameter by a scan of all of them (a statement of 1,000 parameters
/// would pay a million comparisons), while plain `?` are numbered in order for free.
pub(crate) fn values_placeholders(backend: Backend, rows: usize, columns: usize) -> String {
    if backend == Backend::Sqlite {
        let row = format!("({})", vec!["?"; columns].join(", "));
        return vec![row; rows].join(", ");
    }
    let mut sql = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 1..=columns {
            if column > 1 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(row * columns + column).to_string());
        }
        sql.push(')');
    }
    sql
}

/// The ids a multi-row `INSERT … RETURNING id` of `rows` rows gave, in the order of its
/// rows: both databases assign them in that order, but neither promises the order in which
/// `RETURNING` lists them, so they are sorted.
pub(crate) fn inserted_ids(
    mut ids: Vec<i64>,
    rows: usize,
    what: &str,
) -> Result<Vec<i64>, StoreError> {
    if ids.len() != rows {
        return Err(StoreError::Corrupt(format!(
            "{rows} {what} inserted, {} ids returned",
            ids.len()
        )));
    }
    ids.sort_unstable();
    Ok(ids)
}

#[cfg(test)]
mod placeholder_tests {
    #[test]
    fn placeholders_number_every_row_and_column() {
        use super::Backend::{Postgres, Sqlite};
        assert_eq!(
            super::values_placeholders(Postgres, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(super::values_placeholders(Postgres, 1, 1), "($1)");
        assert_eq!(super::values_placeholders(Sqlite, 2, 2), "(?, ?), (?, ?)");
    }
}
