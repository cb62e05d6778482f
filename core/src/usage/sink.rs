//! The JSONL sink: a background thread appends each record as one JSON line.
//!
//! `record()` only pushes onto an unbounded channel, so disk latency never reaches a
//! request. The writer flushes whenever the channel runs dry, so nothing sits in a
//! buffer while the ledger is idle; `flush()` waits for everything sent before it.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::record::UsageRecord;

enum Msg {
    Record(Box<UsageRecord>),
    Flush(Sender<()>),
}

pub(crate) struct JsonlSink {
    path: PathBuf,
    tx: Option<Sender<Msg>>,
    worker: Option<JoinHandle<()>>,
    errors: Arc<AtomicU64>,
}

/// Counts an I/O failure and logs it, at a falling rate so a full disk does not flood logs.
fn fail(errors: &AtomicU64, path: &Path, what: &str, err: &dyn std::fmt::Display) {
    let n = errors.fetch_add(1, Ordering::Relaxed) + 1;
    if n.is_power_of_two() {
        tracing::warn!(path = %path.display(), errors = n, "usage ledger: cannot {what}: {err}");
    }
}

fn open(path: &Path) -> std::io::Result<BufWriter<File>> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    Ok(BufWriter::new(OpenOptions::new().create(true).append(true).open(path)?))
}

struct Worker {
    path: PathBuf,
    out: Option<BufWriter<File>>,
    errors: Arc<AtomicU64>,
}

impl Worker {
    fn write(&mut self, rec: &UsageRecord) {
        if self.out.is_none() {
            match open(&self.path) {
                Ok(w) => self.out = Some(w),
                Err(e) => return fail(&self.errors, &self.path, "open the JSONL file (record lost)", &e),
            }
        }
        let Some(out) = self.out.as_mut() else { return };
        let res =
            serde_json::to_writer(&mut *out, rec).map_err(std::io::Error::from).and_then(|()| out.write_all(b"\n"));
        if let Err(e) = res {
            fail(&self.errors, &self.path, "write a record", &e);
            self.out = None; // reopen on the next record
        }
    }

    fn flush(&mut self) {
        if let Some(out) = self.out.as_mut() {
            if let Err(e) = out.flush() {
                fail(&self.errors, &self.path, "flush", &e);
                self.out = None;
            }
        }
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Record(rec) => self.write(&rec),
            Msg::Flush(ack) => {
                self.flush();
                let _ = ack.send(());
            }
        }
    }

    fn run(mut self, rx: Receiver<Msg>) {
        while let Ok(msg) = rx.recv() {
            self.handle(msg);
            while let Ok(msg) = rx.try_recv() {
                self.handle(msg);
            }
            self.flush();
        }
        // All senders gone: the ledger is being dropped; everything queued is written.
        self.flush();
    }
}

impl JsonlSink {
    pub(crate) fn spawn(path: PathBuf) -> Self {
        let errors = Arc::new(AtomicU64::new(0));
        // Open now so a bad path is reported when the ledger is built, not on first use.
        let out = match open(&path) {
            Ok(w) => Some(w),
            Err(e) => {
                fail(&errors, &path, "open the JSONL file", &e);
                None
            }
        };
        let (tx, rx) = mpsc::channel();
        let worker = Worker { path: path.clone(), out, errors: errors.clone() };
        let spawned = std::thread::Builder::new().name("kestrel-usage-jsonl".into()).spawn(move || worker.run(rx));
        match spawned {
            Ok(handle) => JsonlSink { path, tx: Some(tx), worker: Some(handle), errors },
            Err(e) => {
                fail(&errors, &path, "start the writer thread (JSONL disabled)", &e);
                JsonlSink { path, tx: None, worker: None, errors }
            }
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn send(&self, rec: UsageRecord) {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(Msg::Record(Box::new(rec))).is_ok());
        if !sent {
            fail(&self.errors, &self.path, "queue a record (writer not running)", &"record lost");
        }
    }

    /// Blocks until every record sent before this call is written and flushed.
    pub(crate) fn flush(&self) {
        let Some(tx) = self.tx.as_ref() else { return };
        let (ack_tx, ack_rx) = mpsc::channel();
        if tx.send(Msg::Flush(ack_tx)).is_ok() {
            let _ = ack_rx.recv();
        }
    }

    pub(crate) fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
}

impl Drop for JsonlSink {
    fn drop(&mut self) {
        drop(self.tx.take()); // the worker drains the queue, flushes and exits
        if let Some(handle) = self.worker.take() {
            let _ = handle.join();
        }
    }
}
