//! Account values that parse (email, password, display name, shipping address), and the
//! request bodies built on them. Each request validates every field and names each bad one.

use serde::Deserialize;
use service_kit::events::Address;
use service_kit::http::Query;
use service_kit::FieldError;

use crate::countries;

/// The longest email address accepted (RFC 5321 path limit).
const MAX_EMAIL: usize = 254;

/// A syntactically sane email address, normalized: trimmed of ASCII whitespace and
/// lower-case. `docs/openapi.yaml` (`Registration.email`) states the same rules as patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses `text`: one `@`, a dot-atom local part of at most 64 characters, a domain of at
    /// least two labels (letters, digits, inner hyphens) ending in a non-numeric label.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.chars().count() > MAX_EMAIL {
            return Err(format!("must be at most {MAX_EMAIL} characters"));
        }
        let email = text.trim_ascii().to_ascii_lowercase();
        let valid = match email.split_once('@') {
            Some((local, domain)) => is_local_part(local) && is_domain(domain),
            None => false,
        };
        if valid {
            Ok(Self(email))
        } else {
            Err("must be an email address like name@example.com".to_owned())
        }
    }

    /// The normalized address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_local_part(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";
    (1..=64).contains(&local.len())
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c))
        })
}

fn is_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

/// A new password: 10 to 128 characters, not only whitespace. Never printed.
pub struct Password(String);

impl Password {
    /// Checks a password chosen at registration (or given as `admin_password`).
    pub fn parse(text: &str) -> Result<Self, String> {
        if !(10..=128).contains(&text.chars().count()) {
            return Err("must be 10 to 128 characters".to_owned());
        }
        if text.trim().is_empty() {
            return Err("must not be only whitespace".to_owned());
        }
        Ok(Self(text.to_owned()))
    }

    /// The password itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// A display name: as sent, 1 to 100 characters, not all whitespace, no control characters
/// (the public schema's bounds, `pattern` and `not`); kept trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trims and checks `text`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let name = text.trim();
        if name.is_empty() || text.chars().count() > 100 {
            return Err("must be 1 to 100 characters".to_owned());
        }
        if name.chars().any(char::is_control) {
            return Err("must not contain control characters".to_owned());
        }
        Ok(Self(name.to_owned()))
    }

    /// The trimmed name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trims and checks every field of a shipping address, naming each bad one under `prefix`;
/// the country must be an assigned ISO 3166-1 alpha-2 code in upper case.
pub fn check_address(address: &mut Address, prefix: &str) -> Vec<FieldError> {
    let mut errors = address.check(prefix);
    let country_field = format!("{prefix}.country");
    if !errors.iter().any(|e| e.field == country_field) && !countries::is_assigned(&address.country)
    {
        errors.push(FieldError::new(
            country_field,
            "must be an assigned ISO 3166-1 alpha-2 code such as GB",
        ));
    }
    errors
}

/// Collects `field`'s error (if any) into `errors` and passes its value on.
fn field<T>(errors: &mut Vec<FieldError>, field: &str, parsed: Result<T, String>) -> Option<T> {
    parsed
        .map_err(|message| errors.push(FieldError::new(field, message)))
        .ok()
}

/// `POST /accounts`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub name: String,
}

/// A registration that passed validation.
#[derive(Debug)]
pub struct NewAccount {
    pub email: Email,
    pub password: Password,
    pub name: DisplayName,
}

impl Registration {
    /// Checks every field, naming each bad one.
    pub fn validate(self) -> Result<NewAccount, Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = field(&mut errors, "email", Email::parse(&self.email));
        let password = field(&mut errors, "password", Password::parse(&self.password));
        let name = field(&mut errors, "name", DisplayName::parse(&self.name));
        match (email, password, name) {
            (Some(email), Some(password), Some(name)) => Ok(NewAccount {
                email,
                password,
                name,
            }),
            _ => Err(errors),
        }
    }
}

/// `POST /sessions`: checked against the stored hash only, never against the rules for new
/// passwords, so a sign-in tells nothing about them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// `PATCH /me`: fields left out stay as they are; `"shipping_address": null` removes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub shipping_address: Option<Option<Address>>,
}

/// `Some(value)` for a field that is present, even if `null`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Address>>, D::Error> {
    Option::<Address>::deserialize(d).map(Some)
}

/// A profile change that passed validation.
#[derive(Debug, Default)]
pub struct ProfileChange {
    pub name: Option<DisplayName>,
    /// `Some(None)` removes the address.
    pub shipping_address: Option<Option<Address>>,
}

impl ProfileChange {
    /// Whether the change changes nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.shipping_address.is_none()
    }
}

impl ProfilePatch {
    /// Trims and checks every field given, naming each bad one.
    pub fn validate(self) -> Result<ProfileChange, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = match &self.name {
            Some(name) => field(&mut errors, "name", DisplayName::parse(name)),
            None => None,
        };
        let mut shipping_address = self.shipping_address;
        if let Some(Some(address)) = &mut shipping_address {
            errors.extend(check_address(address, "shipping_address"));
        }
        if errors.is_empty() {
            Ok(ProfileChange {
                name,
                shipping_address,
            })
        } else {
            Err(errors)
        }
    }
}

/// A page of a listing: `?page=` (from 1, default 1) and `?page_size=` (1 to 100, default
/// 20).
#[derive(Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub page_size: u32,
}

impl PageRequest {
    /// Reads `page` and `page_size`, naming each bad one.
    pub fn parse(query: &Query) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let page = query
            .parse_opt("page", "an integer from 1 to 100000", |text| {
                text.parse::<u32>()
                    .ok()
                    .filter(|page| (1..=100_000).contains(page))
            })
            .map_err(|error| errors.push(error))
            .ok()
            .flatten();
        let page_size = query
            .parse_opt("page_size", "an integer from 1 to 100", |text| {
                text.parse::<u32>()
                    .ok()
                    .filter(|size| (1..=100).contains(size))
            })
            .map_err(|error| errors.push(error))
            .ok()
            .flatten();
        if errors.is_empty() {
            Ok(Self {
                page: page.unwrap_or(1),
                page_size: page_size.unwrap_or(20),
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_normalize() {
        let email = Email::parse(" Ada.King+shop@Example.CO.uk ").unwrap();
        assert_eq!(email.as_str(), "ada.king+shop@example.co.uk");
    }

    #[test]
    fn emails_reject_bad_syntax() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        let too_long = format!(
            "{}@{}.com",
            "a".repeat(60),
            vec!["b".repeat(60); 4].join(".")
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@@b.co",
            "a@b@c.co",
            ".ada@example.com",
            "ada.@example.com",
            "ad..a@example.com",
            "ada@-example.com",
            "ada@example-.com",
            "ada@example..com",
            "ada@.example.com",
            "ada@example.com.",
            "ada@127.0.0.1",
            "ada(comment)@example.com",
            "ädä@example.com",
            &long_local,
            &too_long,
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        let limit = format!(
            "{}@{}.{}.com",
            "a".repeat(64),
            "b".repeat(63),
            "c".repeat(60)
        );
        assert!(limit.len() <= 254);
        assert!(Email::parse(&limit).is_ok());
    }

    #[test]
    fn passwords_need_length_and_substance() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("          ").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert!(Password::parse("long enough pass").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("secret secret").unwrap()),
            "Password(..)"
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"n".repeat(101)).is_err());
        assert!(DisplayName::parse("Ada\u{0}").is_err());
    }

    #[test]
    fn registrations_name_every_bad_field() {
        let errors = Registration {
            email: "nope".into(),
            password: "short".into(),
            name: " ".into(),
        }
        .validate()
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "password", "name"]);
    }

    #[test]
    fn pages_default_and_reject() {
        let page = PageRequest::parse(&Query::parse("")).unwrap();
        assert_eq!((page.page, page.page_size), (1, 20));
        let page = PageRequest::parse(&Query::parse("page=3&page_size=100")).unwrap();
        assert_eq!((page.page, page.page_size), (3, 100));
        let errors = PageRequest::parse(&Query::parse("page=0&page_size=101")).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["page", "page_size"]);
    }

    #[test]
    fn addresses_need_an_assigned_country() {
        let mut address = Address {
            name: " Ada ".into(),
            line1: "1 Way".into(),
            line2: None,
            city: "London".into(),
            postal_code: "N1".into(),
            country: "XX".into(),
        };
        let errors = check_address(&mut address, "shipping_address");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "shipping_address.country");
        assert_eq!(address.name, "Ada");
        address.country = "GB".into();
        assert!(check_address(&mut address, "shipping_address").is_empty());
        address.country = "gb".into();
        assert_eq!(check_address(&mut address, "shipping_address").len(), 1);
    }
}
