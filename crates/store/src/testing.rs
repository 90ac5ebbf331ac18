//! The test fixture: a fresh, migrated database on SQLite and on PostgreSQL.
//!
//! [`databases`] returns one SQLite database in a temporary directory and, when a
//! PostgreSQL server can be had, one fresh PostgreSQL database:
//! - `LOANBOOK_TEST_PG_URL` names a server (`postgres://postgres@127.0.0.1:PORT/postgres`);
//!   every call creates its own database there (`scripts/test` starts one throw-away
//!   server for the whole run and sets it);
//! - otherwise, when the PostgreSQL server binaries are installed, the fixture starts a
//!   throw-away server itself (initdb into a temporary directory, a free port, as the
//!   `postgres` user when running as root) that stops when the test process ends;
//! - otherwise PostgreSQL is skipped, unless `LOANBOOK_REQUIRE_PG=1`, which makes a
//!   missing server a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;
use tokio::sync::OnceCell;

use crate::{Backend, Db, migrations};

/// A migrated test database and what keeps it alive.
pub struct TestDb {
    /// The database.
    pub db: Db,
    /// `sqlite` or `postgres`, for assertion messages.
    pub label: &'static str,
    /// A scratch directory for files (documents, key files), removed on drop.
    pub dir: tempfile::TempDir,
}

/// A fresh migrated SQLite database, and a fresh migrated PostgreSQL one when a server
/// can be had (see the module docs).
///
/// # Panics
/// When a database cannot be created, or PostgreSQL is required and missing.
pub async fn databases() -> Vec<TestDb> {
    let mut all = vec![sqlite().await];
    match postgres_admin_url().await {
        Some(admin) => all.push(postgres(&admin).await),
        None if std::env::var("LOANBOOK_REQUIRE_PG").as_deref() == Ok("1") => {
            panic!(
                "LOANBOOK_REQUIRE_PG=1 but no PostgreSQL: set LOANBOOK_TEST_PG_URL or install the server binaries"
            )
        }
        None => eprintln!("note: PostgreSQL not available, testing on SQLite only"),
    }
    all
}

/// A fresh migrated SQLite database in a temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("loanbook.db").display());
    let db = Db::connect(&url).await.expect("SQLite opens");
    migrations::migrate(&db)
        .await
        .expect("migrations apply on SQLite");
    TestDb {
        db,
        label: Backend::Sqlite.name(),
        dir,
    }
}

async fn postgres(admin_url: &str) -> TestDb {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "lbt_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros()
    );
    let mut admin = sqlx::postgres::PgConnection::connect(admin_url)
        .await
        .expect("the PostgreSQL test server accepts connections");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("CREATE DATABASE");
    let _ = admin.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    let db = Db::connect(&format!("{base}/{name}"))
        .await
        .expect("PostgreSQL opens");
    migrations::migrate(&db)
        .await
        .expect("migrations apply on PostgreSQL");
    TestDb {
        db,
        label: Backend::Postgres.name(),
        dir: tempfile::tempdir().expect("a temporary directory"),
    }
}

/// The admin URL of a PostgreSQL server for tests, starting one if needed.
async fn postgres_admin_url() -> Option<String> {
    if let Some(url) = std::env::var("LOANBOOK_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Some(url);
    }
    static SERVER: OnceCell<Option<String>> = OnceCell::const_new();
    SERVER
        .get_or_init(|| async {
            tokio::task::spawn_blocking(start_private_server)
                .await
                .ok()
                .flatten()
        })
        .await
        .clone()
}

/// The directory holding `initdb` and `postgres`, if installed.
pub fn postgres_bin_dir() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    candidates.sort();
    candidates.pop().or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .find(|p| p.join("initdb").is_file() && p.join("postgres").is_file())
        })
    })
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs `program args` as the `postgres` user when we are root (PostgreSQL refuses root).
fn as_server_user(program: &Path, root: bool) -> Command {
    if root {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// Starts a throw-away server for this test process; a watchdog stops it and removes its
/// directory when the process ends.
fn start_private_server() -> Option<String> {
    let bin = postgres_bin_dir()?;
    let root = running_as_root();
    let dir = std::env::temp_dir().join(format!("loanbook-pg-{}", std::process::id()));
    let data = dir.join("data");
    std::fs::create_dir_all(&dir).ok()?;
    if root {
        Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .ok()?;
    }
    let initdb = as_server_user(&bin.join("initdb"), root)
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-N",
            "-E",
            "UTF8",
            "--locale=C",
        ])
        .output()
        .ok()?;
    if !initdb.status.success() {
        eprintln!("initdb failed: {}", String::from_utf8_lossy(&initdb.stderr));
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let postgres = bin.join("postgres");
    let pg_ctl = bin.join("pg_ctl");
    let as_user = if root { "runuser -u postgres -- " } else { "" };
    let server = format!(
        "{as_user}{} -D {} -p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100",
        postgres.display(),
        data.display(),
        dir.display()
    );
    // The watchdog: start the server, wait while this test process lives, then stop it
    // (pg_ctl, because a signal to runuser would not reach the server).
    let script = format!(
        "{server} >{log} 2>&1 & while kill -0 {parent} 2>/dev/null; do sleep 0.5; done; {as_user}{pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; wait; rm -rf {dir}",
        log = dir.join("server.log").display(),
        parent = std::process::id(),
        pg_ctl = pg_ctl.display(),
        data = data.display(),
        dir = dir.display(),
    );
    // Detached from our stdio, so a test runner waiting for our output is not kept open.
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            std::thread::sleep(std::time::Duration::from_millis(200));
            return Some(url);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    eprintln!("the throw-away PostgreSQL did not start on port {port}");
    None
}

/// Runs raw SQL in a transaction — for tests that tamper with rows behind loanbook's back.
///
/// # Panics
/// When the statement fails.
pub async fn execute(tx: &mut crate::Tx<'_>, sql: &str) {
    sqlx::query(sql)
        .execute(&mut **tx)
        .await
        .expect("test SQL runs");
}

/// Every text and byte value of `tables`, concatenated — for tests proving that a
/// secret is not stored in clear.
///
/// # Panics
/// When a table cannot be read.
pub async fn dump_text(db: &Db, tables: &[&str]) -> String {
    use sqlx::{Column, Row, TypeInfo, ValueRef};
    let mut out = String::new();
    for table in tables {
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(db.pool())
            .await
            .expect("table readable");
        for row in &rows {
            for (i, column) in row.columns().iter().enumerate() {
                let raw = row.try_get_raw(i).expect("a value");
                if raw.is_null() {
                    continue;
                }
                let kind = column.type_info().name().to_ascii_uppercase();
                if let Ok(text) = row.try_get::<String, _>(i) {
                    out.push_str(&text);
                } else if let Ok(bytes) = row.try_get::<Vec<u8>, _>(i) {
                    out.push_str(&String::from_utf8_lossy(&bytes));
                } else if kind.contains("INT") {
                    out.push_str(
                        &row.try_get::<i64, _>(i)
                            .map(|v| v.to_string())
                            .unwrap_or_default(),
                    );
                }
                out.push('\u{1f}');
            }
        }
    }
    out
}

/// The one integer a query answers (e.g. a `COUNT(*)`) — for tests reading rows no
/// repository exposes.
///
/// # Panics
/// When the query fails.
pub async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(db.pool())
        .await
        .expect("test query runs")
}
