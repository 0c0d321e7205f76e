//! `{{ name }}` template expressions, as Spin allows them in component variables, allowed
//! outbound hosts and Redis addresses.

use std::collections::BTreeMap;

/// A string split into literal text and references to application variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(String),
}

/// Why a template could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("unclosed '{{{{' in {0:?}")]
    Unclosed(String),
    #[error("{name:?} in {template:?} is not a valid variable name (lowercase letters, digits and '_', starting with a letter)")]
    BadName { template: String, name: String },
}

impl Template {
    /// Parses `text`, checking that every reference is a valid variable name.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| TemplateError::Unclosed(text.to_string()))?;
            let name = after[..end].trim();
            if !is_variable_name(name) {
                return Err(TemplateError::BadName {
                    template: text.to_string(),
                    name: name.to_string(),
                });
            }
            parts.push(Part::Variable(name.to_string()));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Self { parts })
    }

    /// The variables the template refers to.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Variable(name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Expands the template; `None` names the first variable that has no value.
    pub fn render(&self, values: &BTreeMap<String, String>) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Variable(name) => out.push_str(values.get(name).ok_or_else(|| name.clone())?),
            }
        }
        Ok(out)
    }
}

/// Spin's rule for variable names: lowercase ASCII letters, digits and `_`, starting with a
/// letter, with no `__`.
pub fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.contains("__")
        && !name.ends_with('_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_literals_and_variables() {
        let t = Template::parse("redis://{{ host }}:{{port}}/x").unwrap();
        assert_eq!(t.references().collect::<Vec<_>>(), ["host", "port"]);
        let values = BTreeMap::from([
            ("host".to_string(), "127.0.0.1".to_string()),
            ("port".to_string(), "6379".to_string()),
        ]);
        assert_eq!(t.render(&values).unwrap(), "redis://127.0.0.1:6379/x");
        assert_eq!(t.render(&BTreeMap::new()).unwrap_err(), "host");
    }

    #[test]
    fn rejects_bad_templates() {
        assert!(matches!(
            Template::parse("{{ a"),
            Err(TemplateError::Unclosed(_))
        ));
        assert!(matches!(
            Template::parse("{{ Bad }}"),
            Err(TemplateError::BadName { .. })
        ));
        assert!(
            !is_variable_name("1a") && !is_variable_name("a__b") && is_variable_name("api_key2")
        );
    }
}
