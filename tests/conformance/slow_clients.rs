//! Hostile clients for tests: many connections that hold on to a server by sending slowly, raw
//! exchanges carrying what a well-behaved client would not send, and uploads that do not stop.
//! (Also used by `components/hostile.rs`.)

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// How a slow connection misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slowness {
    /// Sends a `POST path` head announcing `Content-Length: 1000000`, then one body byte
    /// every `every`.
    Body { every: Duration },
    /// Sends part of a request head and nothing more.
    Head,
}

/// What became of one slow connection.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub slowness: Slowness,
    /// When the server closed it, counted from its connect; `None` when still open at the end.
    pub closed_after: Option<Duration>,
    /// The status line the server sent before closing, if any.
    pub answer: Option<String>,
}

/// Many slow connections, each driven by a task until the server closes it or `give_up`.
pub struct SlowClients {
    tasks: Vec<tokio::task::JoinHandle<Outcome>>,
    open: Arc<AtomicUsize>,
}

/// The loopback source address `n` of `sources` (127.0.0.2 and on), so that connections
/// count against several client addresses.
pub fn source_address(n: usize, sources: usize) -> Ipv4Addr {
    Ipv4Addr::new(
        127,
        0,
        (n % sources / 250) as u8,
        (2 + n % sources % 250) as u8,
    )
}

/// Connects to `server` from loopback address `from`.
pub async fn connect_from(server: SocketAddr, from: Ipv4Addr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.connect(server).await
}

impl SlowClients {
    /// Opens `count` connections to `server` (`path` for the body senders), alternating
    /// [`Slowness::Body`] and [`Slowness::Head`], from `sources` loopback addresses; each
    /// gives up after `give_up`. Returns once every connection is open.
    pub async fn open(
        server: SocketAddr,
        path: &str,
        count: usize,
        sources: usize,
        every: Duration,
        give_up: Duration,
    ) -> Self {
        let open = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::with_capacity(count);
        for n in 0..count {
            let slowness = if n % 2 == 0 {
                Slowness::Body { every }
            } else {
                Slowness::Head
            };
            let stream = connect_from(server, source_address(n, sources))
                .await
                .unwrap_or_else(|e| panic!("slow connection {n}: {e}"));
            open.fetch_add(1, Ordering::SeqCst);
            let head = match slowness {
                Slowness::Body { .. } => format!(
                    "POST {path} HTTP/1.1\r\nHost: shop.test\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{{"
                ),
                Slowness::Head => "GET / HTTP/1.1\r\nHost: shop.test\r\nX-Slow: ".to_owned(),
            };
            let open = open.clone();
            tasks.push(tokio::spawn(async move {
                let outcome = drive(stream, head, slowness, give_up).await;
                open.fetch_sub(1, Ordering::SeqCst);
                outcome
            }));
        }
        Self { tasks, open }
    }

    /// How many are open now.
    pub fn open_now(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Waits for every connection to be closed or given up.
    pub async fn outcomes(self) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(self.tasks.len());
        for task in self.tasks {
            outcomes.push(task.await.expect("a slow client panicked"));
        }
        outcomes
    }
}

/// Sends `head`, then (for a body sender) a byte every period, until the server closes.
async fn drive(
    mut stream: TcpStream,
    head: String,
    slowness: Slowness,
    give_up: Duration,
) -> Outcome {
    let started = Instant::now();
    let mut answer = Vec::new();
    let closed = |answer: &[u8]| Outcome {
        slowness,
        closed_after: Some(started.elapsed()),
        answer: String::from_utf8_lossy(answer)
            .lines()
            .next()
            .filter(|line| !line.is_empty())
            .map(str::to_owned),
    };
    if stream.write_all(head.as_bytes()).await.is_err() {
        return closed(&answer);
    }
    let period = match slowness {
        Slowness::Body { every } => every,
        Slowness::Head => give_up,
    };
    let mut buffer = [0u8; 1024];
    loop {
        tokio::select! {
            read = stream.read(&mut buffer) => match read {
                Ok(0) | Err(_) => return closed(&answer),
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            },
            () = tokio::time::sleep(period) => {
                if started.elapsed() >= give_up {
                    return Outcome { slowness, closed_after: None, answer: None };
                }
                if matches!(slowness, Slowness::Body { .. }) && stream.write_all(b" ").await.is_err() {
                    return closed(&answer);
                }
            }
        }
    }
}

/// Sends `request` as is on a new connection from 127.0.0.1 and reads until the server
/// closes (send `Connection: close`) or 10 s pass; returns the status and the whole answer.
pub async fn exchange(server: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(server).await.expect("connecting");
    stream.write_all(request).await.expect("sending");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer));
    let _ = read.await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    (status, text)
}

/// What became of an upload.
#[derive(Debug)]
pub struct Upload {
    /// Body bytes the client got into its socket before the server closed the connection.
    pub sent: u64,
    /// The server's answer (status line onwards), read until it closed.
    pub answer: String,
}

/// Sends `head` and then up to `total` body bytes (as is, or as chunks of a chunked body
/// when `chunked`), while reading the answer; stops sending when the server has answered
/// and closed, or after 30 s.
pub async fn upload(server: SocketAddr, head: &str, total: u64, chunked: bool) -> Upload {
    let stream = TcpStream::connect(server).await.expect("connecting");
    let (mut reader, mut writer) = stream.into_split();
    let answered = tokio::spawn(async move {
        let mut answer = Vec::new();
        let _ = reader.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).into_owned()
    });
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0u64;
    let deadline = Instant::now() + Duration::from_secs(30);
    let sending = async {
        writer.write_all(head.as_bytes()).await?;
        while sent < total && Instant::now() < deadline && !answered.is_finished() {
            if chunked {
                writer
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
            }
            writer.write_all(&chunk).await?;
            if chunked {
                writer.write_all(b"\r\n").await?;
            }
            sent += chunk.len() as u64;
        }
        std::io::Result::Ok(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(30), sending).await;
    drop(writer);
    let answer = tokio::time::timeout(Duration::from_secs(10), answered)
        .await
        .expect("the server never closed the upload")
        .expect("the reader panicked");
    Upload { sent, answer }
}

/// The size of the uploads the body-limit tests send: 200 MB.
pub const HUGE: u64 = 200 * 1024 * 1024;

/// Sends `POST path` with a [`HUGE`] body, declared by `Content-Length` or chunked, and
/// `extra_headers` (each ending in CRLF); checks that the server took in less than an
/// eighth of it (its limit plus kernel buffers) and returns its answer with a description
/// of the upload for assertion messages.
pub async fn huge_upload(
    server: SocketAddr,
    path: &str,
    chunked: bool,
    extra_headers: &str,
) -> (String, String) {
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {HUGE}")
    };
    let head =
        format!("POST {path} HTTP/1.1\r\nHost: shop.test\r\n{extra_headers}{framing}\r\n\r\n");
    let sent = upload(server, &head, HUGE, chunked).await;
    let what = format!("{path} (chunked: {chunked}): {}", sent.answer);
    assert!(
        sent.sent < HUGE / 8,
        "{what}: {} bytes were taken",
        sent.sent
    );
    (sent.answer, what)
}

/// Asserts that `answer` is a 413 problem.
pub fn assert_too_large(answer: &str, what: &str) {
    assert!(answer.starts_with("HTTP/1.1 413"), "{what}");
    assert!(answer.contains("application/problem+json"), "{what}");
}

/// This process's resident set size, in bytes (Linux).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("no VmRSS line");
    kib * 1024
}
