//! Spin's HTTP routing rules.
//!
//! A route is an exact path (`/about`), a path with `:name` segments (`/items/:id`), or a
//! prefix ending in `/...` that matches the prefix itself and everything below it. When
//! several routes match, the most specific wins: segment by segment, a literal beats a
//! `:name`, which beats the wildcard; where a route ends, an exact route beats a wildcard.
//! Of two identical routes, the later in the manifest wins (with a warning), as in Spin.

/// One route pattern of the manifest.
#[derive(Debug, Clone)]
struct RouteEntry {
    raw: String,
    segments: Vec<Segment>,
    wildcard: bool,
    component: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

impl Segment {
    /// Higher is more specific.
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 3,
            Segment::Param(_) => 2,
        }
    }
}

/// Why a route pattern is invalid.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("route {route:?} of component {component:?}: {reason}")]
pub struct RouteError {
    route: String,
    component: String,
    reason: String,
}

/// The public routes of an application.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<RouteEntry>,
}

/// The outcome of routing one request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub component: String,
    /// The route as written in the manifest, e.g. `/api/...`.
    pub raw_route: String,
    /// The path below a wildcard route (`spin-path-info`); empty for exact routes.
    pub path_info: String,
    /// Values of `:name` segments.
    pub params: Vec<(String, String)>,
}

impl RouteMatch {
    /// The match Spin uses for a chained request: the component sees the whole path as
    /// the path below a `/...` route.
    pub fn synthetic(component: &str, path: &str) -> Self {
        Self {
            component: component.to_string(),
            raw_route: "/...".into(),
            path_info: path.to_string(),
            params: Vec::new(),
        }
    }

    /// The route without its `/...` suffix (`spin-component-route`).
    pub fn component_route(&self) -> &str {
        self.raw_route
            .strip_suffix("/...")
            .unwrap_or(&self.raw_route)
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

impl Router {
    /// Builds a router from `(route, component)` pairs in manifest order.
    pub fn new<'a>(
        routes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, RouteError> {
        let mut router = Self::default();
        for (raw, component) in routes {
            let error = |reason: &str| RouteError {
                route: raw.to_string(),
                component: component.to_string(),
                reason: reason.to_string(),
            };
            let (base, wildcard) = match raw.strip_suffix("/...") {
                Some(base) => (base, true),
                None if raw == "/..." => ("", true),
                None => (raw, false),
            };
            if raw.contains('*') || (base.contains("...")) {
                return Err(error(
                    "'...' is allowed only as the final segment, after '/'",
                ));
            }
            let mut segments = Vec::new();
            for segment in split(base) {
                match segment.strip_prefix(':') {
                    Some("") => return Err(error("a ':' segment needs a name")),
                    Some(name) => segments.push(Segment::Param(name.to_string())),
                    None => segments.push(Segment::Literal(segment.to_string())),
                }
            }
            if let Some(existing) = router.routes.iter().position(|r| r.raw == raw) {
                let replaced = router.routes.remove(existing);
                tracing::warn!(
                    "duplicate route {raw:?}: component {component:?} replaces {:?}",
                    replaced.component
                );
            }
            router.routes.push(RouteEntry {
                raw: raw.to_string(),
                segments,
                wildcard,
                component: component.to_string(),
            });
        }
        Ok(router)
    }

    /// The public routes, as `(route, component, is_wildcard)`, in manifest order.
    pub fn routes(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.routes
            .iter()
            .map(|r| (r.raw.as_str(), r.component.as_str(), r.wildcard))
    }

    /// The most specific route matching `path` (without its query).
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let parts: Vec<&str> = split(path).collect();
        let mut best: Option<(&RouteEntry, Vec<u8>)> = None;
        for entry in &self.routes {
            if !entry.matches(&parts) {
                continue;
            }
            // An exact route ends with 1 and a wildcard with 0, so that `/a` beats `/a/...`
            // for the path `/a`, while a longer literal prefix still beats a shorter one.
            let mut score: Vec<u8> = entry.segments.iter().map(Segment::rank).collect();
            score.push(if entry.wildcard { 0 } else { 1 });
            if best.as_ref().is_none_or(|(_, s)| score >= *s) {
                best = Some((entry, score));
            }
        }
        let (entry, _) = best?;
        let params = entry
            .segments
            .iter()
            .zip(&parts)
            .filter_map(|(s, value)| match s {
                Segment::Param(name) => Some((name.clone(), value.to_string())),
                Segment::Literal(_) => None,
            })
            .collect();
        let path_info = if entry.wildcard {
            let rest = &parts[entry.segments.len()..];
            match (rest.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".into(),
                (false, trailing) => {
                    format!("/{}{}", rest.join("/"), if trailing { "/" } else { "" })
                }
            }
        } else {
            String::new()
        };
        Some(RouteMatch {
            component: entry.component.clone(),
            raw_route: entry.raw.clone(),
            path_info,
            params,
        })
    }
}

impl RouteEntry {
    fn matches(&self, parts: &[&str]) -> bool {
        let fits = if self.wildcard {
            parts.len() >= self.segments.len()
        } else {
            parts.len() == self.segments.len()
        };
        fits && self
            .segments
            .iter()
            .zip(parts)
            .all(|(segment, part)| match segment {
                Segment::Literal(text) => text == part,
                Segment::Param(_) => true,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        Router::new([
            ("/...", "fallback"),
            ("/api/...", "api"),
            ("/api/items/:id", "item"),
            ("/api/items/special", "special"),
            ("/api/items/:id/...", "item-sub"),
            ("/about", "about"),
            ("/:a/x", "param-first"),
        ])
        .unwrap()
    }

    fn component(path: &str) -> String {
        router().route(path).unwrap().component
    }

    #[test]
    fn most_specific_route_wins() {
        assert_eq!(component("/about"), "about");
        assert_eq!(component("/about/"), "about");
        assert_eq!(component("/about/more"), "fallback");
        assert_eq!(component("/api"), "api");
        assert_eq!(component("/api/orders/1"), "api");
        assert_eq!(component("/api/items/7"), "item");
        assert_eq!(component("/api/items/special"), "special");
        assert_eq!(component("/api/items/7/reviews"), "item-sub");
        assert_eq!(component("/api/x"), "api");
        assert_eq!(component("/other/x"), "param-first");
        assert_eq!(component("/"), "fallback");
    }

    #[test]
    fn path_info_and_params() {
        let m = router().route("/api/orders/1/").unwrap();
        assert_eq!(
            (
                m.raw_route.as_str(),
                m.path_info.as_str(),
                m.component_route()
            ),
            ("/api/...", "/orders/1/", "/api")
        );
        assert_eq!(router().route("/api").unwrap().path_info, "");
        assert_eq!(router().route("/api/").unwrap().path_info, "/");
        let m = router().route("/api/items/42/reviews").unwrap();
        assert_eq!(m.params, [("id".to_string(), "42".to_string())]);
        assert_eq!(m.path_info, "/reviews");
    }

    #[test]
    fn no_match_and_duplicates() {
        let r = Router::new([("/a", "one"), ("/a", "two")]).unwrap();
        assert_eq!(r.route("/a").unwrap().component, "two");
        assert!(r.route("/b").is_none());
        assert!(Router::new([("/a/.../b", "x")]).is_err());
        assert!(Router::new([("/a/:", "x")]).is_err());
    }
}
