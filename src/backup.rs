//! Online backup and restore of a SQLite database (`outcomes backup` / `outcomes restore`).
//!
//! A backup is `VACUUM INTO` a temporary file beside the destination: one read
//! transaction, so it is a consistent snapshot of every committed write while the service
//! goes on writing (WAL mode lets the one writer work beside readers). The copy is then
//! checked (`PRAGMA integrity_check`, the audit hash chain, the migrations table), synced
//! and only then given its name, so a file with the backup's name is always a whole,
//! checked backup. A restore checks the backup the same way, copies it (again with
//! `VACUUM INTO`) beside the target, syncs it and links it to the target's name, which
//! fails if anything is there: a restore never overwrites a database.
//!
//! PostgreSQL is backed up with its own tools (`pg_dump`, `pg_restore`); see
//! docs/operations.md.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{Connection, RunQueryDsl, SqliteConnection};

use crate::db::{DatabaseUrl, DbConn};

/// What is printed for `outcomes backup` on PostgreSQL.
pub const POSTGRES_BACKUP: &str = "on PostgreSQL, back up with pg_dump while the service runs: \
    pg_dump --format=custom --file=FILE \"$DATABASE_URL\" (see docs/operations.md, \
    'Backups and restores')";

/// What is printed for `outcomes restore` on PostgreSQL.
pub const POSTGRES_RESTORE: &str = "on PostgreSQL, restore with pg_restore into a new, empty \
    database: createdb NEW && pg_restore --dbname=NEW FILE (see docs/operations.md, \
    'Backups and restores')";

/// What a checked database file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Audit events in the chain (all verified).
    pub events: u64,
    /// The hash of the newest audit event, to compare with one recorded elsewhere.
    pub head: String,
    /// The newest migration applied.
    pub schema_version: String,
}

#[derive(diesel::QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    value: String,
}

fn path_text(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .with_context(|| format!("{} is not a valid UTF-8 path", path.display()))
}

/// Opens a SQLite file that must exist (never creates one).
fn open_existing(path: &Path) -> anyhow::Result<SqliteConnection> {
    if !path.is_file() {
        bail!("there is no database file at {}", path.display());
    }
    let mut conn = SqliteConnection::establish(path_text(path)?)
        .with_context(|| format!("opening {}", path.display()))?;
    conn.batch_execute("PRAGMA busy_timeout = 10000;")?;
    Ok(conn)
}

/// Checks a SQLite file: the integrity check passes, it is an Outcomes database (it has
/// applied migrations) and its audit trail verifies.
pub fn check(path: &Path) -> anyhow::Result<Checked> {
    let conn = open_existing(path)?;
    let mut conn = DbConn::Sqlite(conn);
    let integrity: Vec<TextRow> =
        diesel::sql_query("SELECT integrity_check AS value FROM pragma_integrity_check")
            .load(&mut conn)
            .with_context(|| format!("checking {}", path.display()))?;
    let problems: Vec<&str> = integrity
        .iter()
        .map(|r| r.value.as_str())
        .filter(|v| *v != "ok")
        .collect();
    if !problems.is_empty() {
        bail!(
            "{} fails the integrity check: {}",
            path.display(),
            problems.join("; ")
        );
    }
    let version: Vec<TextRow> = diesel::sql_query(
        "SELECT version AS value FROM __diesel_schema_migrations ORDER BY version DESC LIMIT 1",
    )
    .load(&mut conn)
    .map_err(|_| anyhow::anyhow!("{} is not an Outcomes database", path.display()))?;
    let Some(version) = version.into_iter().next() else {
        bail!("{} is not an Outcomes database", path.display());
    };
    let v = crate::store::audit::verify(&mut conn)?;
    if let Some(problem) = v.problem {
        bail!("the audit trail of {} is broken: {problem}", path.display());
    }
    Ok(Checked {
        events: v.events,
        head: v.head,
        schema_version: version.value,
    })
}

/// A temporary name beside `path` (same folder, so the final rename or link is atomic).
fn partial_beside(path: &Path, what: &str) -> anyhow::Result<PathBuf> {
    let name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?
        .to_string_lossy()
        .into_owned();
    Ok(path.with_file_name(format!(".{name}.{what}-{}", std::process::id())))
}

fn sync_file(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("syncing {}", path.display()))
}

fn sync_folder_of(path: &Path) {
    // Makes the new name durable; not every platform can open a folder, which is fine.
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from("."),
    };
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// `VACUUM INTO` from `source` (an open connection) into the new file `into`.
fn vacuum_into(source: &mut SqliteConnection, into: &Path) -> anyhow::Result<()> {
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(path_text(into)?)
        .execute(source)
        .with_context(|| format!("copying the database to {}", into.display()))?;
    Ok(())
}

/// Removes a temporary file on every exit path.
struct Partial(PathBuf);

impl Drop for Partial {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
}

/// `outcomes backup FILE` on SQLite: a consistent copy of the live database in `dest`,
/// which must not exist yet.
pub fn backup_sqlite(url: &DatabaseUrl, dest: &Path) -> anyhow::Result<Checked> {
    let Some(source) = url.sqlite_path() else {
        bail!("{POSTGRES_BACKUP}");
    };
    if dest.exists() {
        bail!(
            "{} already exists: name a new file (a backup never overwrites one)",
            dest.display()
        );
    }
    let mut conn = open_existing(source)?;
    let partial = Partial(partial_beside(dest, "partial")?);
    let _ = std::fs::remove_file(&partial.0);
    vacuum_into(&mut conn, &partial.0)?;
    drop(conn);
    let checked = check(&partial.0)?;
    sync_file(&partial.0)?;
    // A hard link gives the backup its name only if nothing has taken the name meanwhile.
    std::fs::hard_link(&partial.0, dest)
        .with_context(|| format!("naming the backup {}", dest.display()))?;
    sync_folder_of(dest);
    Ok(checked)
}

/// `outcomes restore BACKUP` on SQLite: checks the backup and copies it to the database
/// file the settings name, which must not exist (nor its `-wal` and `-shm` files).
pub fn restore_sqlite(url: &DatabaseUrl, backup: &Path) -> anyhow::Result<Checked> {
    let Some(target) = url.sqlite_path() else {
        bail!("{POSTGRES_RESTORE}");
    };
    for suffix in ["", "-wal", "-shm"] {
        let mut p = target.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        if p.exists() {
            bail!(
                "{} exists: a restore never overwrites a database. Stop the service, move the \
                 database file (and its -wal and -shm files) aside, keep them until the restored \
                 database is checked, and run the restore again",
                p.display()
            );
        }
    }
    let checked = check(backup)?;
    url.prepare()?;
    let partial = Partial(partial_beside(target, "restoring")?);
    let _ = std::fs::remove_file(&partial.0);
    let mut conn = open_existing(backup)?;
    vacuum_into(&mut conn, &partial.0)?;
    drop(conn);
    let restored = check(&partial.0)?;
    if restored != checked {
        bail!("the copy of the backup differs from the backup; nothing was restored");
    }
    sync_file(&partial.0)?;
    std::fs::hard_link(&partial.0, target)
        .with_context(|| format!("restoring to {}", target.display()))?;
    sync_folder_of(target);
    Ok(checked)
}
