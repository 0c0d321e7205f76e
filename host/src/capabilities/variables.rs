//! `fermyon:spin/variables`: application variables resolved once at start-up from, in order of
//! precedence, `--variable name=value`, `SPIN_VARIABLE_<NAME>` and the manifest default;
//! each component sees only the variables its manifest declares, rendered from templates.

use std::collections::BTreeMap;

use wasmtime::component::{HasData, Linker};

use crate::manifest::template::is_variable_name;
use crate::manifest::{Template, VariableDecl};

/// Bindings of `fermyon:spin/variables@2.0.0` (see `build.rs`).
#[allow(missing_docs, clippy::all)]
mod bindings {
    include!(concat!(env!("OUT_DIR"), "/variables.rs"));
}

use bindings::fermyon::spin2_0_0::variables::{self as wit, Error};

/// Why application variables could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum VariablesError {
    #[error(
        "variable {name:?} is required but has no value: pass `--variable {name}=VALUE` or set {env}"
    )]
    Required { name: String, env: String },
    #[error("`--variable {0}`: there is no such variable in [variables]")]
    Unknown(String),
}

/// The value of every application variable that has one, plus which values are secret.
#[derive(Debug, Clone, Default)]
pub struct ResolvedVariables {
    values: BTreeMap<String, String>,
    secrets: Vec<String>,
}

/// The environment variable that provides application variable `name`.
pub fn env_name(name: &str) -> String {
    format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase())
}

impl ResolvedVariables {
    /// Resolves `declared` from `overrides` (CLI), then `env`, then defaults. As in Spin
    /// (3.5 and later), a required variable without a value stops start-up even when no
    /// selected component reads it.
    pub fn resolve(
        declared: &BTreeMap<String, VariableDecl>,
        overrides: &[(String, String)],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, VariablesError> {
        if let Some((unknown, _)) = overrides.iter().find(|(n, _)| !declared.contains_key(n)) {
            return Err(VariablesError::Unknown(unknown.clone()));
        }
        let mut resolved = Self::default();
        for (name, decl) in declared {
            let value = overrides
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .or_else(|| env(&env_name(name)))
                .or_else(|| decl.default.clone());
            match value {
                Some(value) => {
                    if decl.secret && !value.is_empty() {
                        resolved.secrets.push(value.clone());
                    }
                    resolved.values.insert(name.clone(), value);
                }
                None if decl.required => {
                    return Err(VariablesError::Required {
                        name: name.clone(),
                        env: env_name(name),
                    })
                }
                None => {}
            }
        }
        Ok(resolved)
    }

    /// Renders a template; the error names a referenced variable that has no value.
    pub fn render(&self, template: &Template) -> Result<String, VariablesError> {
        template
            .render(&self.values)
            .map_err(|name| VariablesError::Required {
                env: env_name(&name),
                name,
            })
    }

    /// The values of secret variables, to keep them out of logs.
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }
}

/// The variables one component reads: those its manifest declares, rendered at start-up.
pub type VariableGrants = BTreeMap<String, String>;

/// What `variables.get` of one invocation sees: the component's variables.
pub struct VariablesView<'a> {
    pub grants: &'a VariableGrants,
}

/// Links `fermyon:spin/variables` to the store data `T`, reached through `view`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> VariablesView<'_>,
) -> wasmtime::Result<()> {
    bindings::Variables::add_to_linker::<T, HasVariables>(linker, view)
}

/// [`HasData`] marker whose data is a [`VariablesView`].
struct HasVariables;

impl HasData for HasVariables {
    type Data<'a> = VariablesView<'a>;
}

impl wit::Host for VariablesView<'_> {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, Error>> {
        if !is_variable_name(&name) {
            return Ok(Err(Error::InvalidName(name)));
        }
        Ok(match self.grants.get(&name) {
            Some(value) => Ok(value.clone()),
            None => Err(Error::Undefined(format!("no variable named {name:?}"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared() -> BTreeMap<String, VariableDecl> {
        BTreeMap::from([
            (
                "region".into(),
                VariableDecl {
                    default: Some("eu".into()),
                    required: false,
                    secret: false,
                },
            ),
            (
                "api_key".into(),
                VariableDecl {
                    default: None,
                    required: true,
                    secret: true,
                },
            ),
        ])
    }

    #[test]
    fn precedence_is_cli_then_env_then_default() {
        let env = |k: &str| (k == "SPIN_VARIABLE_API_KEY").then(|| "from-env".to_string());
        let r = ResolvedVariables::resolve(&declared(), &[], env).unwrap();
        assert_eq!(
            r.render(&Template::parse("{{ api_key }}/{{ region }}").unwrap())
                .unwrap(),
            "from-env/eu"
        );
        assert_eq!(r.secrets(), ["from-env"]);
        let cli = [("api_key".to_string(), "from-cli".to_string())];
        let r = ResolvedVariables::resolve(&declared(), &cli, env).unwrap();
        assert_eq!(
            r.render(&Template::parse("{{ api_key }}").unwrap())
                .unwrap(),
            "from-cli"
        );
    }

    #[test]
    fn missing_required_and_unknown_overrides_fail() {
        let err = ResolvedVariables::resolve(&declared(), &[], |_| None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("api_key") && err.contains("SPIN_VARIABLE_API_KEY"),
            "{err}"
        );
        let err = ResolvedVariables::resolve(&declared(), &[("nope".into(), "1".into())], |_| None)
            .unwrap_err();
        assert!(matches!(err, VariablesError::Unknown(n) if n == "nope"));
    }
}
