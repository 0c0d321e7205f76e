//! Identifiers: random UUIDs behind one newtype per kind of thing, so an order id can never
//! be passed where a product id is expected.

/// Declares `pub struct $name(String)` holding a lower-case hyphenated UUID, with `new()`,
/// `parse()`, `as_str()`, `Display` and serde (deserializing validates).
#[macro_export]
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// A new random id.
            pub fn new() -> Self {
                Self($crate::ids::random_uuid())
            }

            /// Parses a UUID (any case); `None` if `text` is not one.
            pub fn parse(text: &str) -> Option<Self> {
                $crate::ids::normalize_uuid(text).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text).ok_or_else(|| format!("`{text}` is not a valid id"))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// A random (v4) UUID, lower-case and hyphenated.
pub fn random_uuid() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// `text` as a lower-case hyphenated UUID, if it is one.
pub fn normalize_uuid(text: &str) -> Option<String> {
    uuid::Uuid::parse_str(text)
        .ok()
        .map(|id| id.hyphenated().to_string())
}

id_type!(
    /// A user account (issued by accounts).
    UserId
);
id_type!(
    /// A product in the catalog.
    ProductId
);
id_type!(
    /// An order.
    OrderId
);
id_type!(
    /// An integration event.
    EventId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_normalize() {
        let id = OrderId::new();
        assert_eq!(
            OrderId::parse(&id.as_str().to_uppercase()),
            Some(id.clone())
        );
        assert!(OrderId::parse("42").is_none());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<OrderId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<OrderId>("\"nope\"").is_err());
    }
}
