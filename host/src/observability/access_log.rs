//! The access log: one JSON object per request in `<state-dir>/logs/access.log`, written by a
//! background thread so that requests never wait on the disk.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::mpsc;

use serde::Serialize;

/// One request as the access log records it.
#[derive(Debug, Serialize)]
pub struct AccessRecord<'a> {
    /// Unix time in seconds.
    pub ts: f64,
    pub method: &'a str,
    pub path: &'a str,
    pub route: &'a str,
    pub component: &'a str,
    pub status: u16,
    pub duration_ms: f64,
    pub request_id: &'a str,
}

/// The writer side of the access log.
#[derive(Clone)]
pub struct AccessLog {
    lines: mpsc::Sender<String>,
}

impl AccessLog {
    /// Appends to the file at `path` from a background thread.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let (lines, receiver) = mpsc::channel::<String>();
        std::thread::Builder::new()
            .name("access-log".into())
            .spawn(move || {
                let mut out = BufWriter::new(file);
                while let Ok(line) = receiver.recv() {
                    let _ = writeln!(out, "{line}");
                    while let Ok(more) = receiver.try_recv() {
                        let _ = writeln!(out, "{more}");
                    }
                    let _ = out.flush();
                }
            })?;
        Ok(Self { lines })
    }

    /// Records one request.
    pub fn record(&self, record: &AccessRecord<'_>) {
        if let Ok(line) = serde_json::to_string(record) {
            tracing::debug!(target: "access", "{line}");
            let _ = self.lines.send(line);
        }
    }
}
