//! The report cache (issue 20; docs/reports.md "The report cache"): a report is a pure
//! function of its request, the rows it reads and the process's cost tables and
//! methodology, so a report computed once is served again until any of them changes.
//!
//! The key is the whole request (scope and its name, period, parameters, published or
//! internal mode, the disclosure threshold and minimum cohort in force, the reader's role
//! class, the comparison, and the date targets are pro-rated to), the versions of every
//! scope the report reads (`store::data_versions`, read on the connection the report is
//! read from, one indexed query), the methodology version and the cost tables. A write
//! bumps a version in its own transaction, so the next request after it commits (through
//! any instance) has a new key: a stale report is never served. Entries are never
//! invalidated by hand; old keys age out.
//!
//! Each instance keeps its own cache in memory, bounded by bytes (each entry weighs the
//! size of its JSON and the report it was made from), least recently used out first.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use crate::evaluation::report::Report;
use crate::store::data_versions::Versions;

/// `REPORT_CACHE_MB` unless set.
pub const DEFAULT_MEGABYTES: u64 = 256;

/// A cached report: the report and its JSON (the API's answer, made once).
#[derive(Debug)]
pub struct Cached {
    pub report: Report,
    /// `report.to_json()`, serialised.
    pub json: Vec<u8>,
    /// The figures' hash the report archive compares (made at the first download).
    archive_hash: std::sync::OnceLock<String>,
    /// Whether the report archive holds these figures for this request (`archived`).
    archived: Mutex<bool>,
    /// The report page's downloads with their sizes (`files`).
    files: Mutex<Option<Vec<FileSize>>>,
}

/// A download the report page offers: its format, its size in bytes, and a PDF's pages.
pub type FileSize = (crate::reports::Format, usize, Option<usize>);

impl Cached {
    pub fn new(report: Report) -> Self {
        let json = serde_json::to_vec(&report.to_json()).unwrap_or_default();
        Cached {
            report,
            json,
            archive_hash: std::sync::OnceLock::new(),
            archived: Mutex::new(false),
            files: Mutex::new(None),
        }
    }

    /// The report page's downloads with their sizes, listed by `list` (which renders
    /// every format, the PDF included) at the first view of the entry only; views that
    /// come meanwhile wait for that list rather than render it too.
    pub fn files<E>(
        &self,
        list: impl FnOnce() -> Result<Vec<FileSize>, E>,
    ) -> Result<Vec<FileSize>, E> {
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(files) = files.as_ref() {
            return Ok(files.clone());
        }
        let listed = list()?;
        *files = Some(listed.clone());
        Ok(listed)
    }

    /// Runs `archive` (which puts these figures in the report archive) unless it has
    /// already succeeded for this entry. The archive keeps every distinct set of figures
    /// given out, per scope, mode, audience and parameters, all of which follow from the
    /// entry's key, and it is never pruned: once an entry's figures are in it, they stay
    /// traceable, so later downloads of the entry skip the lookup (three reads each).
    /// Downloads of the entry that arrive while it is being archived wait for that, so
    /// that they do not archive it too.
    pub fn archived<E>(&self, archive: impl FnOnce() -> Result<(), E>) -> Result<(), E> {
        let mut archived = self.archived.lock().unwrap_or_else(|e| e.into_inner());
        if !*archived {
            archive()?;
            *archived = true;
        }
        Ok(())
    }

    /// `store::report_archive::figures_hash` of the report's JSON, made once.
    pub fn archive_hash(&self) -> &str {
        self.archive_hash
            .get_or_init(|| crate::store::report_archive::figures_hash(&self.report.to_json()))
    }

    /// What the entry is counted as against the cache's bound: its JSON, and as much
    /// again for the report's own values (an estimate: the report's maps and strings
    /// hold the same figures and names as its JSON).
    fn weight(&self) -> u64 {
        (self.json.len() as u64).saturating_mul(2).max(1)
    }
}

/// What identifies a report's figures.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The request, every field of it (`ReportRequest`'s debug form, with the date
    /// targets are pro-rated to filled in): a field added to requests is in the key
    /// without anyone remembering to add it.
    request: String,
    versions: Versions,
    methodology: &'static str,
    costs: u64,
}

/// Whether a report came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Hit,
    /// Computed for this request, and kept.
    Miss,
    /// Not held when asked for, but being computed for another request, whose report
    /// this one waited for and was given.
    Collapsed,
}

impl Outcome {
    /// The `Cache-Status` header's value (RFC 9211).
    pub fn header(self) -> &'static str {
        match self {
            Outcome::Hit => "outcomes; hit",
            Outcome::Miss => "outcomes; fwd=miss; stored",
            Outcome::Collapsed => "outcomes; fwd=miss; collapsed",
        }
    }
}

/// How long a request waits for another's computation of its report before computing it
/// itself (a computation stuck on the database does not hold every reader with it).
const WAIT_AT_MOST: std::time::Duration = std::time::Duration::from_secs(30);

/// A report being computed: the requests for it wait for `done`.
#[derive(Default)]
struct Flight {
    /// `None` while computing; then `Some` of the report, or of `None` if computing it
    /// failed (each waiter then computes it itself and reports its own error).
    done: Mutex<Option<Option<Arc<Cached>>>>,
    ready: std::sync::Condvar,
}

/// The request computing a report. However it ends (a report, an error, a panic), it
/// takes the report's flight off the list and wakes the requests waiting for it.
struct Leading<'a> {
    cache: &'a ReportCache,
    key: Key,
    flight: Arc<Flight>,
    report: Option<Arc<Cached>>,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        self.cache
            .computing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
        *self.flight.done.lock().unwrap_or_else(|e| e.into_inner()) = Some(self.report.take());
        self.flight.ready.notify_all();
    }
}

/// Least recently used entries of `V`, at most `limit` bytes by `weigh`.
struct Lru<V> {
    entries: lru::LruCache<Key, V>,
    bytes: u64,
    limit: u64,
    weigh: fn(&V) -> u64,
    hits: u64,
    misses: u64,
}

impl<V: Clone> Lru<V> {
    fn new(limit: u64, weigh: fn(&V) -> u64) -> Self {
        Lru {
            entries: lru::LruCache::unbounded(),
            bytes: 0,
            limit,
            weigh,
            hits: 0,
            misses: 0,
        }
    }

    fn get(&mut self, key: &Key) -> Option<V> {
        let found = self.entries.get(key).cloned();
        match found {
            Some(_) => self.hits += 1,
            None => self.misses += 1,
        }
        found
    }

    /// Keeps `value` (unless it alone is over the bound), then drops the least recently
    /// used entries until the cache is within its bound.
    fn put(&mut self, key: Key, value: V) {
        let weight = (self.weigh)(&value);
        if weight > self.limit {
            return;
        }
        if let Some(old) = self.entries.put(key, value) {
            self.bytes -= (self.weigh)(&old);
        }
        self.bytes += weight;
        while self.bytes > self.limit {
            match self.entries.pop_lru() {
                Some((_, old)) => self.bytes -= (self.weigh)(&old),
                None => break,
            }
        }
    }

    #[cfg(test)]
    fn stats(&self) -> Stats {
        Stats {
            entries: self.entries.len(),
            bytes: self.bytes,
            limit: self.limit,
            hits: self.hits,
            misses: self.misses,
        }
    }
}

/// A bounded, least-recently-used cache of reports, shared by an instance's workers.
pub struct ReportCache {
    inner: Mutex<Lru<Arc<Cached>>>,
    /// Reports being computed, by key (`get_or_compute`).
    computing: Mutex<std::collections::HashMap<Key, Arc<Flight>>>,
    /// `REPORT_CACHE_MB=0`: every request computes its own report.
    off: bool,
    costs: u64,
}

/// What an `Lru` holds (its tests read it).
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stats {
    entries: usize,
    bytes: u64,
    limit: u64,
    hits: u64,
    misses: u64,
}

impl ReportCache {
    /// A cache of at most `megabytes` MiB (0 turns it off), for reports computed with
    /// `costs` (its debug form, hashed: the tables are read once at start-up, so this
    /// only keeps a cache from ever outliving them).
    pub fn new(megabytes: u64, costs: &crate::evaluation::cost::CostTables) -> Self {
        let mut h = DefaultHasher::new();
        format!("{costs:?}").hash(&mut h);
        ReportCache {
            inner: Mutex::new(Lru::new(
                megabytes.saturating_mul(1024 * 1024),
                |c: &Arc<Cached>| c.weight(),
            )),
            computing: Mutex::default(),
            off: megabytes == 0,
            costs: h.finish(),
        }
    }

    /// The key of `request` (its debug form) over `versions`.
    pub fn key(&self, request: String, versions: Versions) -> Key {
        Key {
            request,
            versions,
            methodology: crate::evaluation::METHODOLOGY_VERSION,
            costs: self.costs,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru<Arc<Cached>>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The report of `key`, computing it with `compute` when it is not held. Requests
    /// for a report that another request is computing wait for that one (the first
    /// request of a scrutiny morning is computed once, not once per reader who asked
    /// while it was being computed); if it fails, or takes longer than 30 seconds, each
    /// computes the report itself. A request holds one connection while it waits, and the
    /// computing request takes any second connection only when one is free, so waiting
    /// cannot starve it. With the cache off every request computes its own report.
    pub fn get_or_compute<E>(
        &self,
        key: Key,
        compute: impl FnOnce() -> Result<Report, E>,
    ) -> Result<(Arc<Cached>, Outcome), E> {
        if self.off {
            return Ok((Arc::new(Cached::new(compute()?)), Outcome::Miss));
        }
        if let Some(found) = self.lock().get(&key) {
            return Ok((found, Outcome::Hit));
        }
        let mut computing = self.computing.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(flight) = computing.get(&key).cloned() {
            drop(computing);
            let done = flight.done.lock().unwrap_or_else(|e| e.into_inner());
            let (done, _) = flight
                .ready
                .wait_timeout_while(done, WAIT_AT_MOST, |done| done.is_none())
                .unwrap_or_else(|e| e.into_inner());
            if let Some(Some(report)) = done.as_ref() {
                return Ok((report.clone(), Outcome::Collapsed));
            }
            drop(done);
            let cached = Arc::new(Cached::new(compute()?));
            self.lock().put(key, cached.clone());
            return Ok((cached, Outcome::Miss));
        }
        let flight = Arc::new(Flight::default());
        computing.insert(key.clone(), flight.clone());
        drop(computing);
        let mut leading = Leading {
            cache: self,
            key,
            flight,
            report: None,
        };
        // Kept by a request that finished between the lookup above and now.
        if let Some(found) = self.lock().get(&leading.key) {
            leading.report = Some(found.clone());
            return Ok((found, Outcome::Hit));
        }
        let cached = Arc::new(Cached::new(compute()?));
        self.lock().put(leading.key.clone(), cached.clone());
        leading.report = Some(cached.clone());
        Ok((cached, Outcome::Miss))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(request: &str, version: i64) -> Key {
        Key {
            request: request.into(),
            versions: Versions(vec![("programme:1".into(), version)]),
            methodology: "test",
            costs: 0,
        }
    }

    #[test]
    fn a_bumped_version_is_another_key() {
        let mut lru: Lru<String> = Lru::new(100, |v| v.len() as u64);
        lru.put(key("a", 1), "report a at 1".into());
        assert_eq!(lru.get(&key("a", 1)).as_deref(), Some("report a at 1"));
        assert_eq!(lru.get(&key("a", 2)), None, "a write bumped the version");
        assert_eq!(lru.get(&key("b", 1)), None, "another request");
        assert_eq!((lru.stats().hits, lru.stats().misses), (1, 2));
    }

    #[test]
    fn the_least_recently_used_go_first_and_the_bound_holds() {
        // Each entry weighs 10 bytes; 35 bytes hold three.
        let mut lru: Lru<String> = Lru::new(35, |v| v.len() as u64);
        for (i, name) in ["a", "b", "c"].into_iter().enumerate() {
            lru.put(key(name, 1), format!("{i:0>10}"));
        }
        assert_eq!(lru.stats().bytes, 30);
        // "a" is used, so "b" is now the least recently used and goes for "d".
        assert!(lru.get(&key("a", 1)).is_some());
        lru.put(key("d", 1), "0123456789".into());
        assert!(lru.get(&key("b", 1)).is_none());
        assert!(lru.get(&key("a", 1)).is_some());
        assert!(lru.get(&key("c", 1)).is_some());
        assert_eq!((lru.stats().entries, lru.stats().bytes), (3, 30));
        // An entry over the bound by itself is not kept, and drops nothing.
        lru.put(key("huge", 1), "x".repeat(36));
        assert!(lru.get(&key("huge", 1)).is_none());
        assert_eq!(lru.stats().entries, 3);
        // Replacing an entry counts its new weight only.
        lru.put(key("a", 1), "01234".into());
        assert_eq!(lru.stats().bytes, 25);
    }
}
