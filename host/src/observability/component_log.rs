//! A component's stdout and stderr: each line goes to `<state-dir>/logs/<id>.log` and, when
//! enabled, to the console prefixed with the component id. Secret variable values are masked.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

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

    /// A stream for a guest's stdout or stderr.
    pub fn stream(self: &Arc<Self>) -> ComponentOutput {
        ComponentOutput(self.clone())
    }

    /// Records a message from the host about this component (a trap, a timeout).
    pub fn host_note(&self, message: &str) {
        self.write_line(format!("[host] {message}").as_bytes());
    }

    fn write_line(&self, line: &[u8]) {
        let mut text = String::from_utf8_lossy(line).into_owned();
        for secret in self.secrets.iter() {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), "****");
            }
        }
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(file, "{text}");
        if self.console {
            println!("[{}] {text}", self.id);
        }
    }
}

/// [`StdoutStream`] for one component; cheap to create per request.
pub struct ComponentOutput(Arc<ComponentLog>);

impl IsTerminal for ComponentOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for ComponentOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(LineWriter {
            log: self.0.clone(),
            pending: Vec::new(),
        })
    }
}

/// Splits a guest's writes into lines; a last unterminated line is written on drop.
struct LineWriter {
    log: Arc<ComponentLog>,
    pending: Vec<u8>,
}

impl LineWriter {
    fn write_complete_lines(&mut self) {
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.log
                .write_line(line.strip_suffix(b"\n").unwrap_or(&line));
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
            self.log.write_line(&rest);
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
        let mut out = Pin::from(log.stream().async_stream());
        out.write_all(b"pass=hunter2\npart").await.unwrap();
        out.write_all(b"ial").await.unwrap();
        drop(out);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "pass=****\npartial\n"
        );
    }
}
