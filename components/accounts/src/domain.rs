//! Account values that parse: email, password, name, address, and the requests built on them.

use serde::Deserialize;
use service_kit::events::Address;
use service_kit::{FieldError, Problem};

/// A normalized (trimmed, lower-case) email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, String> {
        let email = text.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.contains(char::is_whitespace)
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && local.len() <= 64 && !domain.contains('@')
                    && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'));
        if valid {
            Ok(Self(email))
        } else {
            Err("must be an email address like name@example.com".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a new password: 10 to 128 characters, not only whitespace.
pub fn check_password(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if !(10..=128).contains(&length) {
        return Err("must be 10 to 128 characters".to_owned());
    }
    if password.trim().is_empty() {
        return Err("must not be only whitespace".to_owned());
    }
    Ok(())
}

fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if (1..=100).contains(&name.chars().count()) {
        Ok(name.to_owned())
    } else {
        Err("must be 1 to 100 characters".to_owned())
    }
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
pub struct NewAccount {
    pub email: Email,
    pub password: String,
    pub name: String,
}

impl Registration {
    pub fn validate(self) -> Result<NewAccount, Problem> {
        let mut errors = Vec::new();
        let email = Email::parse(&self.email).map_err(|m| errors.push(FieldError::new("email", m)));
        if let Err(message) = check_password(&self.password) {
            errors.push(FieldError::new("password", message));
        }
        let name = check_name(&self.name).map_err(|m| errors.push(FieldError::new("name", m)));
        match (email, name) {
            (Ok(email), Ok(name)) if errors.is_empty() => Ok(NewAccount {
                email,
                password: self.password,
                name,
            }),
            _ => Err(Problem::validation(errors)),
        }
    }
}

/// `POST /sessions`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// `PATCH /me`: fields left out stay as they are; `shipping_address: null` removes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub shipping_address: Option<Option<Address>>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Address>>, D::Error> {
    Option::<Address>::deserialize(d).map(Some)
}

impl ProfileChange {
    /// Trims and checks every field given.
    pub fn validate(mut self) -> Result<Self, Problem> {
        let mut errors = Vec::new();
        if let Some(name) = &self.name {
            match check_name(name) {
                Ok(name) => self.name = Some(name),
                Err(message) => errors.push(FieldError::new("name", message)),
            }
        }
        if let Some(Some(address)) = &mut self.shipping_address {
            errors.extend(address.check("shipping_address"));
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(Problem::validation(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_normalize_and_reject() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@@b.c",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_length() {
        assert!(check_password("short").is_err());
        assert!(check_password("          ").is_err());
        assert!(check_password("long enough pass").is_ok());
    }
}
