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
//!
//! **One spool per destination.** Applications on one host (one OS user) may report to
//! different collectors with different keys. Each destination (collector URL and report
//! key) has a directory of its own under the spool root, named by a keyed hash of both
//! (never the key itself), and every batch and overflow file starts with a header line
//! naming that hash. A reporter only reads its own directory, and uploads a batch only
//! when the header names its own destination; anything else stays where it is for its
//! own reporter. Directories are created `0700` and files `0600` (Unix), and a spool
//! directory that another user owns, or that others may write to, is refused.

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

/// The destination a spool serves: a keyed hash of the collector URL and the report key,
/// so the directory name says nothing about either.
pub(crate) fn destination(url: &str, key: Option<&str>) -> String {
    let mut h = blake3::Hasher::new_derive_key("kestrel usage spool destination 2026 v1");
    h.update(url.as_bytes());
    h.update(&[0]);
    h.update(key.unwrap_or("").as_bytes());
    h.finalize().to_hex()[..32].to_string()
}

/// The first line of every spool file: whose records these are.
#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    kestrel_spool: u32,
    dest: String,
}

fn header_line(dest: &str) -> Vec<u8> {
    let mut line = serde_json::to_vec(&Header { kestrel_spool: 1, dest: dest.to_string() }).expect("serializes");
    line.push(b'\n');
    line
}

/// Splits a spool file into its header's destination and the record lines after it.
fn split_header(bytes: &[u8]) -> (Option<String>, &[u8]) {
    let end = bytes.iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| i + 1);
    match serde_json::from_slice::<Header>(&bytes[..end]) {
        Ok(h) => (Some(h.dest), &bytes[end..]),
        Err(_) => (None, bytes),
    }
}

/// Creates `dir` (and missing parents) readable by the owner only.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Opens a spool file for writing, readable by the owner only.
fn private_file(path: &Path, append: bool) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create(true);
    if append {
        o.append(true);
    } else {
        o.truncate(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
}

/// Refuses a spool directory another user owns, or that others may write to (`root`) or
/// read (`own`: the destination's directory, which holds records). Missing is fine: it
/// is created private.
pub(crate) fn check_private(dir: &Path, own: bool) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = match fs::metadata(dir) {
            Ok(m) => m,
            // Missing: created private. Unreadable: writing will fail too, and the records
            // count as dropped, as with any spool that cannot be written.
            Err(_) => return Ok(()),
        };
        // SAFETY: getuid has no preconditions and cannot fail.
        let me = unsafe { libc::getuid() };
        if meta.uid() != me {
            return Err(format!(
                "the usage spool {} belongs to another user (uid {}); set report.spool_dir to a directory of your own",
                dir.display(),
                meta.uid()
            ));
        }
        let open = if own { meta.mode() & 0o077 } else { meta.mode() & 0o022 };
        if open != 0 {
            return Err(format!(
                "the usage spool {} is open to other users (mode {:o}); run `chmod 700 {}` or set report.spool_dir",
                dir.display(),
                meta.mode() & 0o777,
                dir.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, own);
    Ok(())
}

pub(crate) struct Spool {
    dir: PathBuf,
    /// The destination this spool's records are for (see [`destination`]).
    dest: String,
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
    pub(crate) fn new(dir: PathBuf, dest: String, instance: String) -> Self {
        Spool { dir, dest, instance, counter: 0, overflow: None, overflow_records: 0 }
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
                match split_header(&fs::read(&path)?) {
                    (Some(dest), lines) if dest == self.dest => records += count_lines(lines),
                    _ => {
                        tracing::warn!(file = %path.display(), "usage spool: a batch for another destination is left alone")
                    }
                }
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
        create_private_dir(&self.dir)?;
        let name = self.next_name();
        let tmp = self.dir.join(format!("{name}.tmp"));
        let mut f = private_file(&tmp, false)?;
        f.write_all(&header_line(&self.dest))?;
        f.write_all(lines)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, self.dir.join(format!("{name}.batch")))
    }

    /// Appends one record line to this process's overflow file (the caller's thread, when
    /// the queue is full). Synced by [`Spool::seal_overflow`].
    pub(crate) fn append_overflow(&mut self, line: &[u8]) -> io::Result<()> {
        if self.overflow.is_none() {
            create_private_dir(&self.dir)?;
            let mut f = private_file(&self.overflow_path(), true)?;
            if f.metadata()?.len() == 0 {
                f.write_all(&header_line(&self.dest))?;
            }
            self.overflow = Some(f);
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
        let mut reader = BufReader::new(File::open(path)?);
        let mut first = Vec::new();
        reader.read_until(b'\n', &mut first)?;
        if split_header(&first).0.as_deref() != Some(self.dest.as_str()) {
            tracing::warn!(file = %path.display(), "usage spool: overflow for another destination is left alone");
            return Ok(());
        }
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
            let bytes = fs::read(&claimed)?;
            let (dest, lines) = split_header(&bytes);
            if dest.as_deref() != Some(self.dest.as_str()) {
                // Never uploaded anywhere but where it was meant to go: put it back.
                fs::rename(&claimed, &path)?;
                tracing::warn!(file = %path.display(), "usage spool: a batch for another destination is left alone");
                continue;
            }
            let lines = lines.to_vec();
            let records = count_lines(&lines);
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

fn count_lines(lines: &[u8]) -> u64 {
    lines.iter().filter(|&&b| b == b'\n').count() as u64
}
