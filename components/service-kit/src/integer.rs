//! Integers in JSON bodies as JSON Schema defines them: a number with no fractional part,
//! so `82.0` is the integer 82, as the public contract (`type: integer`) promises.

use serde::{de::Error, Deserialize, Deserializer};

/// Deserializes an integer field that also accepts a whole number written with a fraction
/// (`82.0`); use with `#[serde(deserialize_with = "service_kit::integer::whole")]`.
pub fn whole<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    let number = serde_json::Number::deserialize(deserializer)?;
    let out_of_range = || D::Error::custom(format!("{number} is out of range"));
    if let Some(value) = number.as_u64() {
        return T::try_from(value).map_err(|_| out_of_range());
    }
    if let Some(value) = number.as_i64() {
        return T::try_from(value).map_err(|_| out_of_range());
    }
    match number.as_f64() {
        // Whole and within i64: exact for every integer a client can mean (|x| < 2^63).
        Some(value) if value.fract() == 0.0 && value.abs() < 9.2e18 => {
            T::try_from(value as i64).map_err(|_| out_of_range())
        }
        _ => Err(D::Error::custom(format!(
            "invalid type: {number} is not an integer"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::whole")]
        n: u32,
    }

    fn parse(json: &str) -> Result<u32, String> {
        serde_json::from_str::<Body>(json)
            .map(|b| b.n)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_parse_with_or_without_a_fraction() {
        assert_eq!(parse(r#"{"n": 82}"#), Ok(82));
        assert_eq!(parse(r#"{"n": 82.0}"#), Ok(82));
        assert_eq!(parse(r#"{"n": 8.2e1}"#), Ok(82));
    }

    #[test]
    fn fractions_strings_and_out_of_range_values_are_refused() {
        assert!(parse(r#"{"n": 82.5}"#)
            .unwrap_err()
            .contains("not an integer"));
        assert!(parse(r#"{"n": "82"}"#).is_err());
        assert!(parse(r#"{"n": -1}"#).unwrap_err().contains("out of range"));
        assert!(parse(r#"{"n": 1e300}"#)
            .unwrap_err()
            .contains("not an integer"));
    }
}
