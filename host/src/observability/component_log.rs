//! A component's stdout and stderr: each line goes to `<state-dir>/logs/<id>.log` and, when
//! enabled, to the console prefixed with the component id. Secret variable values are masked.
//!
//! Every line is prefixed with the [`Correlation`] of the invocation that wrote it — the
//! request id and trace id of a request, the event id and trace id of a delivery — so that
//! a line of the access log leads to the component's lines about it.
//!
//! A line is kept up to [`MAX_LINE_BYTES`]; the rest of a longer one is dropped (and the line
//! marked), so a guest writing without newlines cannot grow the host's buffer.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// The longest line kept, in bytes.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// What ends a line cut at [`MAX_LINE_BYTES`].
const TRUNCATED: &str = " [line truncated]";

/// Which invocation a line belongs to, as the prefix of its lines: `[req=<id> trace=<id>] `
/// for a request, `[event=<id> trace=<id>] ` for an event delivery (ids unknown are left
/// out; empty when none is known).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Correlation(Arc<str>);

impl Correlation {
    /// The lines of the request `request_id` in trace `trace_id`.
    pub fn request(request_id: Option<&str>, trace_id: Option<&str>) -> Self {
        Self::from_fields(&[("req", request_id), ("trace", trace_id)])
    }

    /// The lines of delivering event `event_id` (of trace `trace_id`).
    pub fn event(event_id: Option<&str>, trace_id: Option<&str>) -> Self {
        Self::from_fields(&[("event", event_id), ("trace", trace_id)])
    }

    fn from_fields(fields: &[(&str, Option<&str>)]) -> Self {
        let known: Vec<String> = fields
            .iter()
            .filter_map(|(name, value)| value.map(|value| format!("{name}={value}")))
            .collect();
        if known.is_empty() {
            return Self::default();
        }
        Self(Arc::from(format!("[{}] ", known.join(" "))))
    }

    /// The prefix of the invocation's lines.
    pub fn prefix(&self) -> &str {
        &self.0
    }
}

/// The shared destination of one component's output.
pub struct ComponentLog {
    id: String,
    file: Mutex<File>,
    console: bool,
    secrets: Arc<[String]>,
}

impl ComponentLog {
    /// Appends to `path`; echoes to the console when `console` is set.
    pub fn open(
        id: &str,
        path: &Path,
        console: bool,
        secrets: Arc<[String]>,
    ) -> std::io::Result<Arc<Self>> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Arc::new(Self {
            id: id.to_string(),
            file: Mutex::new(file),
            console,
            secrets,
        }))
    }

    /// A stream for a guest's stdout or stderr in the invocation `correlation` names.
    pub fn stream(self: &Arc<Self>, correlation: &Correlation) -> ComponentOutput {
        ComponentOutput {
            log: self.clone(),
            correlation: correlation.clone(),
        }
    }

    /// Records a message from the host about an invocation of this component (a trap, a
    /// timeout).
    pub fn host_note(&self, correlation: &Correlation, message: &str) {
        self.write_line(correlation, format!("[host] {message}").as_bytes());
    }

    fn write_line(&self, correlation: &Correlation, line: &[u8]) {
        let mut text = String::from_utf8_lossy(line).into_owned();
        for secret in self.secrets.iter() {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), "****");
            }
        }
        if text.len() > MAX_LINE_BYTES {
            self.truncate(&mut text);
        }
        let prefix = correlation.prefix();
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(file, "{prefix}{text}");
        if self.console {
            println!("[{}] {prefix}{text}", self.id);
        }
    }
}

impl ComponentLog {
    /// Cuts `text` (already masked) to [`MAX_LINE_BYTES`], without ending on the start of a
    /// secret the cut split, and marks it.
    fn truncate(&self, text: &mut String) {
        let mut end = MAX_LINE_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        for secret in self.secrets.iter() {
            let split = (1..secret.len())
                .rev()
                .filter(|k| secret.is_char_boundary(*k))
                .find(|k| text.ends_with(&secret[..*k]));
            if let Some(k) = split {
                text.truncate(text.len() - k);
            }
        }
        text.push_str(TRUNCATED);
    }
}

/// [`StdoutStream`] for one invocation of a component; cheap to create per request.
pub struct ComponentOutput {
    log: Arc<ComponentLog>,
    correlation: Correlation,
}

impl IsTerminal for ComponentOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for ComponentOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(LineWriter {
            log: self.log.clone(),
            correlation: self.correlation.clone(),
            pending: Vec::new(),
            discarding: false,
        })
    }
}

/// Splits a guest's writes into lines; a last unterminated line is written on drop.
struct LineWriter {
    log: Arc<ComponentLog>,
    correlation: Correlation,
    pending: Vec<u8>,
    /// Set after an overlong line was written cut: its rest is dropped up to its newline.
    discarding: bool,
}

impl LineWriter {
    fn write_complete_lines(&mut self) {
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            if std::mem::take(&mut self.discarding) {
                continue;
            }
            self.log
                .write_line(&self.correlation, line.strip_suffix(b"\n").unwrap_or(&line));
        }
        if self.discarding {
            self.pending.clear();
        } else if self.pending.len() > MAX_LINE_BYTES {
            let line = std::mem::take(&mut self.pending);
            self.log.write_line(&self.correlation, &line);
            self.discarding = true;
        }
    }
}

impl AsyncWrite for LineWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.pending.extend_from_slice(buf);
        self.write_complete_lines();
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.log.write_line(&self.correlation, &rest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn writes_whole_lines_and_masks_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.log");
        let log =
            ComponentLog::open("c", &path, false, Arc::from(vec!["hunter2".to_string()])).unwrap();
        let mut out = Pin::from(log.stream(&Correlation::default()).async_stream());
        out.write_all(b"pass=hunter2\npart").await.unwrap();
        out.write_all(b"ial").await.unwrap();
        drop(out);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "pass=****\npartial\n"
        );
    }

    #[tokio::test]
    async fn an_endless_line_is_cut_and_not_buffered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.log");
        let log =
            ComponentLog::open("c", &path, false, Arc::from(vec!["hunter2".to_string()])).unwrap();
        let mut out = Pin::from(log.stream(&Correlation::default()).async_stream());
        let mut chunk = vec![b'x'; 4096 - 3];
        chunk.extend_from_slice(b"hun");
        for _ in 0..1000 {
            out.write_all(&chunk).await.unwrap();
        }
        out.write_all(b"ter2 end\nnext\n").await.unwrap();
        drop(out);
        let written = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines.len(), 2, "{}", &written[..200]);
        assert!(lines[0].len() <= MAX_LINE_BYTES + TRUNCATED.len());
        assert!(lines[0].ends_with(TRUNCATED));
        let kept = lines[0].strip_suffix(TRUNCATED).unwrap();
        assert!(kept.ends_with('x'), "a cut secret's start is not kept");
        assert_eq!(lines[1], "next");
    }

    #[tokio::test]
    async fn lines_carry_the_ids_of_their_invocation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.log");
        let log = ComponentLog::open("c", &path, false, Arc::from(Vec::new())).unwrap();
        let request = Correlation::request(Some("r1"), Some("t1"));
        let mut out = Pin::from(log.stream(&request).async_stream());
        out.write_all(b"internal error: boom\n").await.unwrap();
        drop(out);
        log.host_note(&Correlation::event(Some("e1"), None), "request failed");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[req=r1 trace=t1] internal error: boom\n[event=e1] [host] request failed\n"
        );
    }
}
