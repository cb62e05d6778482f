//! The reporter's on-disk spool: records the collector has not taken yet, in order.
//!
//! Each spooled batch is its own file, `<unix ms>-<counter>-<instance>.batch`, holding one
//! upload record (already stripped to metrics, tenant hashed if so configured) per JSON
//! line. A batch is written to a `.tmp` name, fsynced and renamed, so a crash never leaves
//! a half batch that looks whole; file names sort in spool order, across processes too.
//! Sending a batch first renames it to `.sending-<instance>` (a claim: of two processes
//! sharing the spool, only one wins the rename) and deletes it once the collector
//! answered 2xx. Records the producer had to spill itself (the in-memory queue was full)
//! go to `overflow-<instance>.open`, appended line by line and split into batches by the
//! worker. Claims and overflow files of processes that are gone (SIGKILL, crash) are taken
//! over by the next process that opens the spool.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Identifies one process's use of the spool: pid and start time, so a container that
/// restarts with the same pid is still told apart from its predecessor.
pub(crate) fn instance_id() -> String {
    format!("{}_{}", std::process::id(), crate::clock::unix_ms())
}

/// A claim or overflow file whose owner is not running any more. On Linux by `/proc`;
/// elsewhere, by the file not having been touched for 10 minutes.
fn owner_gone(instance: &str, mine: &str, path: &Path) -> bool {
    if instance == mine {
        return false;
    }
    let pid = instance.split('_').next().unwrap_or("");
    let same_pid_other_start = pid == std::process::id().to_string();
    if cfg!(target_os = "linux") && Path::new("/proc").is_dir() {
        return same_pid_other_start || !Path::new("/proc").join(pid).exists();
    }
    let age = fs::metadata(path).and_then(|m| m.modified()).ok().and_then(|t| SystemTime::now().duration_since(t).ok());
    age.is_some_and(|a| a > Duration::from_secs(600))
}

pub(crate) struct Spool {
    dir: PathBuf,
    instance: String,
    counter: u64,
    overflow: Option<File>,
    /// Records appended to the overflow file and not yet split into batches.
    overflow_records: u64,
}

/// A spooled batch claimed for sending.
pub(crate) struct Claimed {
    pub(crate) path: PathBuf,
    /// The batch's original name without extension: its stable batch id.
    pub(crate) id: String,
    pub(crate) lines: Vec<u8>,
    pub(crate) records: u64,
}

impl Spool {
    pub(crate) fn new(dir: PathBuf, instance: String) -> Self {
        Spool { dir, instance, counter: 0, overflow: None, overflow_records: 0 }
    }

    fn entries(&self) -> io::Result<Vec<(String, PathBuf)>> {
        let mut out = Vec::new();
        match fs::read_dir(&self.dir) {
            Ok(rd) => {
                for e in rd {
                    let e = e?;
                    if let Some(name) = e.file_name().to_str() {
                        out.push((name.to_string(), e.path()));
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        out.sort();
        Ok(out)
    }

    /// Takes over what dead processes left (claims in flight, overflow files) and
    /// returns how many records wait in the spool.
    pub(crate) fn recover(&mut self) -> io::Result<u64> {
        for (name, path) in self.entries()? {
            if let Some((stem, owner)) = name.split_once(".sending-") {
                if owner_gone(owner, &self.instance, &path) {
                    fs::rename(&path, self.dir.join(format!("{stem}.batch")))?;
                }
            } else if let Some(owner) = name.strip_prefix("overflow-").and_then(|n| n.strip_suffix(".open")) {
                if owner_gone(owner, &self.instance, &path) {
                    self.split_into_batches(&path)?;
                }
            } else if let Some(owner) = name.strip_suffix(".tmp").and_then(|stem| stem.splitn(3, '-').nth(2)) {
                // A batch its writer died before syncing: never complete, never counted.
                if owner_gone(owner, &self.instance, &path) {
                    fs::remove_file(&path)?;
                }
            }
        }
        let mut records = 0;
        for (name, path) in self.entries()? {
            if name.ends_with(".batch") {
                records += count_lines(&path)?;
            }
        }
        Ok(records)
    }

    fn next_name(&mut self) -> String {
        self.counter += 1;
        format!("{:013}-{:010}-{}", crate::clock::unix_ms(), self.counter, self.instance)
    }

    /// Writes one batch (JSON lines) durably: temp file, fsync, rename.
    pub(crate) fn write_batch(&mut self, lines: &[u8]) -> io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let name = self.next_name();
        let tmp = self.dir.join(format!("{name}.tmp"));
        let mut f = File::create(&tmp)?;
        f.write_all(lines)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, self.dir.join(format!("{name}.batch")))
    }

    /// Appends one record line to this process's overflow file (the caller's thread, when
    /// the queue is full). Synced by [`Spool::seal_overflow`].
    pub(crate) fn append_overflow(&mut self, line: &[u8]) -> io::Result<()> {
        if self.overflow.is_none() {
            fs::create_dir_all(&self.dir)?;
            let path = self.overflow_path();
            self.overflow = Some(OpenOptions::new().create(true).append(true).open(path)?);
        }
        let f = self.overflow.as_mut().expect("opened above");
        if let Err(e) = f.write_all(line) {
            self.overflow = None;
            return Err(e);
        }
        self.overflow_records += 1;
        Ok(())
    }

    pub(crate) fn overflow_records(&self) -> u64 {
        self.overflow_records
    }

    fn overflow_path(&self) -> PathBuf {
        self.dir.join(format!("overflow-{}.open", self.instance))
    }

    /// Turns the overflow file into ordinary batches of up to `batch_size` records.
    pub(crate) fn seal_overflow(&mut self, batch_size: usize) -> io::Result<()> {
        let Some(f) = self.overflow.take() else { return Ok(()) };
        f.sync_all()?;
        drop(f);
        let path = self.overflow_path();
        self.split_into_batches_sized(&path, batch_size)?;
        self.overflow_records = 0;
        Ok(())
    }

    fn split_into_batches(&mut self, path: &Path) -> io::Result<()> {
        self.split_into_batches_sized(path, 1000)
    }

    fn split_into_batches_sized(&mut self, path: &Path, batch_size: usize) -> io::Result<()> {
        let reader = BufReader::new(File::open(path)?);
        let mut chunk = Vec::new();
        let mut n = 0;
        for line in reader.split(b'\n') {
            let line = line?;
            // A line cut by a crash mid-write is not valid JSON: skip it rather than
            // poison a batch the collector would refuse forever.
            if line.is_empty() || serde_json::from_slice::<serde::de::IgnoredAny>(&line).is_err() {
                continue;
            }
            chunk.extend_from_slice(&line);
            chunk.push(b'\n');
            n += 1;
            if n == batch_size.max(1) {
                self.write_batch(&chunk)?;
                chunk.clear();
                n = 0;
            }
        }
        if n > 0 {
            self.write_batch(&chunk)?;
        }
        fs::remove_file(path)
    }

    /// Claims the oldest batch for sending, if any (skipping ones another process took
    /// between listing and renaming).
    pub(crate) fn claim_oldest(&mut self) -> io::Result<Option<Claimed>> {
        for (name, path) in self.entries()? {
            let Some(id) = name.strip_suffix(".batch") else { continue };
            let claimed = self.dir.join(format!("{id}.sending-{}", self.instance));
            match fs::rename(&path, &claimed) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
            let lines = fs::read(&claimed)?;
            let records = lines.iter().filter(|&&b| b == b'\n').count() as u64;
            return Ok(Some(Claimed { path: claimed, id: id.to_string(), lines, records }));
        }
        Ok(None)
    }

    /// The collector took the batch.
    pub(crate) fn done(&mut self, c: &Claimed) -> io::Result<()> {
        fs::remove_file(&c.path)
    }

    /// Sending failed: the batch goes back, under its original name and place in order.
    pub(crate) fn unclaim(&mut self, c: &Claimed) -> io::Result<()> {
        fs::rename(&c.path, self.dir.join(format!("{}.batch", c.id)))
    }
}

fn count_lines(path: &Path) -> io::Result<u64> {
    Ok(fs::read(path)?.iter().filter(|&&b| b == b'\n').count() as u64)
}
