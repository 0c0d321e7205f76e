//! Finding, reading and describing the files the component serves.

/// A file's bytes and the content encoding they are stored in.
pub struct Found {
    pub bytes: Vec<u8>,
    pub encoding: Option<&'static str>,
}

/// Maps a request path to the file that answers it, or `None` for a path that tries to
/// leave the mounted folder.
pub fn resolve(path: &str) -> Option<String> {
    if path
        .split('/')
        .any(|segment| segment == ".." || segment.contains('\\'))
    {
        return None;
    }
    let path = if path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
        return Some(path);
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    // No extension: a client-side route of the single-page app.
    (!last.contains('.')).then(|| "/index.html".to_string())
}

/// Reads `path`, preferring a precompressed sibling the client accepts.
pub fn read(path: &str, accept_encoding: &str) -> Option<Found> {
    let accepts = |coding: &str| {
        accept_encoding.split(',').any(|c| {
            c.split(';')
                .next()
                .is_some_and(|name| name.trim() == coding)
        })
    };
    for (coding, suffix) in [("br", ".br"), ("gzip", ".gz")] {
        if accepts(coding) {
            if let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) {
                return Some(Found {
                    bytes,
                    encoding: Some(coding),
                });
            }
        }
    }
    std::fs::read(path).ok().map(|bytes| Found {
        bytes,
        encoding: None,
    })
}

/// FNV-1a over the content: stable across restarts, so ETags survive redeploys.
pub fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Caching policy by path.
pub fn cache_control(path: &str) -> &'static str {
    if path.ends_with("/index.html") {
        "no-cache"
    } else if path.starts_with("/assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    }
}

/// The content type of a file, by extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}
