//! Codes that staff type and scanners read: member and branch codes, patron types, card barcodes.
//!
//! Each is a newtype built by a parse function that says exactly what is wrong with bad input.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::FieldError;

/// A short code naming a member or a branch (`SHIRE`, `SHIRE-CEN`): 1 to 32 characters, letters,
/// digits, `-` and `_`; stored upper-case so that `shire` and `SHIRE` are the same member.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Code(String);

impl Code {
    pub fn parse(field: &str, raw: &str) -> Result<Code, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(field, "is required"));
        }
        if trimmed.chars().count() > 32 {
            return Err(FieldError::new(field, "must be at most 32 characters"));
        }
        if let Some(bad) = trimmed
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(FieldError::new(
                field,
                format!("may contain only letters, digits, '-' and '_' (found {bad:?})"),
            ));
        }
        Ok(Code(trimmed.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Code {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Code::parse("code", &value)
    }
}

impl From<Code> for String {
    fn from(code: Code) -> String {
        code.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A barcode as printed on a patron card or an item: 1 to 64 printable ASCII characters without
/// spaces. Case is kept, because some members print lower-case prefixes and scanners send them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Barcode(String);

impl Barcode {
    pub fn parse(field: &str, raw: &str) -> Result<Barcode, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(field, "is required"));
        }
        if trimmed.len() > 64 {
            return Err(FieldError::new(field, "must be at most 64 characters"));
        }
        if let Some(bad) = trimmed.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(FieldError::new(
                field,
                format!("may contain only printable ASCII without spaces (found {bad:?})"),
            ));
        }
        Ok(Barcode(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Barcode {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Barcode::parse("barcode", &value)
    }
}

impl From<Barcode> for String {
    fn from(barcode: Barcode) -> String {
        barcode.0
    }
}

impl fmt::Display for Barcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_code(raw: &str, expected: Result<&str, &str>) {
        let got = Code::parse("code", raw);
        match (got, expected) {
            (Ok(code), Ok(want)) => assert_eq!(code.as_str(), want),
            (Err(err), Err(want)) => assert!(err.reason.contains(want), "{err} vs {want}"),
            (got, want) => panic!("{raw:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn codes() {
        check_code("shire", Ok("SHIRE"));
        check_code("  BR-1_a ", Ok("BR-1_A"));
        check_code("", Err("is required"));
        check_code("   ", Err("is required"));
        check_code("a b", Err("found ' '"));
        check_code("café", Err("found 'é'"));
        check_code(&"X".repeat(33), Err("at most 32"));
        check_code(&"X".repeat(32), Ok(&"X".repeat(32)));
    }

    #[test]
    fn barcodes() {
        assert_eq!(
            Barcode::parse("card", " 99999395390 ").unwrap().as_str(),
            "99999395390"
        );
        assert_eq!(
            Barcode::parse("card", "conc4000036").unwrap().as_str(),
            "conc4000036"
        );
        let err = Barcode::parse("card", "12 34").unwrap_err();
        assert_eq!(err.field, "card");
        assert!(Barcode::parse("card", "").is_err());
        assert!(Barcode::parse("card", &"1".repeat(65)).is_err());
    }
}
