//! The access log: one JSON object per HTTP request and per event delivery in
//! `<state-dir>/logs/access.log`, each with its trace id, written by a background thread so
//! that requests never wait on the disk; echoed to the console as text or JSON
//! (`--log-format`).

use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::mpsc;

use serde::Serialize;

/// One HTTP request as the access log records it.
#[derive(Debug, Serialize)]
pub struct AccessRecord<'a> {
    /// Always `request`.
    pub kind: &'static str,
    /// Unix time in seconds.
    pub ts: f64,
    pub method: &'a str,
    pub path: &'a str,
    pub route: &'a str,
    pub component: &'a str,
    pub status: u16,
    pub duration_ms: f64,
    pub request_id: &'a str,
    /// The W3C trace id the request carried (the host starts a trace when it had none).
    pub trace_id: &'a str,
}

/// One Redis message delivered to one component.
#[derive(Debug, Serialize)]
pub struct EventRecord<'a> {
    /// Always `event`.
    pub kind: &'static str,
    pub ts: f64,
    pub component: &'a str,
    pub channel: &'a str,
    /// `handled` or `failed`.
    pub outcome: &'a str,
    pub duration_ms: f64,
    /// The message's `id`, when it is a JSON object with one (every Wasmart event is).
    pub event_id: Option<&'a str>,
    /// The trace id of the message's `traceparent`, when it has one.
    pub trace_id: Option<&'a str>,
}

/// A record's one-line human form, for `--log-format text`.
pub trait TextLine {
    fn text(&self) -> String;
}

impl TextLine for AccessRecord<'_> {
    fn text(&self) -> String {
        format!(
            "{} {} -> {} {} in {:.1} ms (request {}, trace {})",
            self.method,
            self.path,
            self.status,
            if self.component.is_empty() {
                "host"
            } else {
                self.component
            },
            self.duration_ms,
            self.request_id,
            self.trace_id
        )
    }
}

impl TextLine for EventRecord<'_> {
    fn text(&self) -> String {
        format!(
            "event {} on {} -> {} {} in {:.1} ms (trace {})",
            self.event_id.unwrap_or("-"),
            self.channel,
            self.component,
            self.outcome,
            self.duration_ms,
            self.trace_id.unwrap_or("-")
        )
    }
}

/// How records are echoed on the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per record.
    #[default]
    Text,
    /// The same JSON object as the access log file.
    Json,
}

/// The writer side of the access log.
#[derive(Clone)]
pub struct AccessLog {
    lines: mpsc::Sender<String>,
    console: Option<LogFormat>,
}

impl AccessLog {
    /// Appends to the file at `path` from a background thread, and echoes every record on
    /// stdout in `console` format (nothing when `None`).
    pub fn open(path: &Path, console: Option<LogFormat>) -> std::io::Result<Self> {
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
        Ok(Self { lines, console })
    }

    /// Records one request or event delivery.
    pub fn record(&self, record: &(impl Serialize + TextLine)) {
        let Ok(line) = serde_json::to_string(record) else {
            return;
        };
        match self.console {
            Some(LogFormat::Json) => println!("{line}"),
            Some(LogFormat::Text) => println!("{}", record.text()),
            None => {}
        }
        let _ = self.lines.send(line);
    }
}

/// Now, in Unix seconds.
pub fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_have_a_text_form() {
        let request = AccessRecord {
            kind: "request",
            ts: 0.0,
            method: "GET",
            path: "/api/v1/products",
            route: "/api/v1/...",
            component: "gateway",
            status: 200,
            duration_ms: 3.25,
            request_id: "r1",
            trace_id: "t1",
        };
        assert_eq!(
            request.text(),
            "GET /api/v1/products -> 200 gateway in 3.2 ms (request r1, trace t1)"
        );
        let event = EventRecord {
            kind: "event",
            ts: 0.0,
            component: "payments",
            channel: "wasmart.orders",
            outcome: "handled",
            duration_ms: 12.0,
            event_id: Some("e1"),
            trace_id: None,
        };
        assert_eq!(
            event.text(),
            "event e1 on wasmart.orders -> payments handled in 12.0 ms (trace -)"
        );
        let json: serde_json::Value = serde_json::to_value(&event).unwrap();
        assert_eq!(json["kind"], "event");
        assert_eq!(json["event_id"], "e1");
    }
}
