//! Patrons: one identity across every member of the consortium, logging in with card and PIN.

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::calendar::Date;
use crate::codes::{Barcode, Code};
use crate::ids::{BranchId, MemberId, PatronId};
use crate::org::parse_name;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patron {
    pub id: PatronId,
    pub cards: Vec<Barcode>,
    pub family_name: String,
    pub given_names: String,
    pub home_branch: BranchId,
    pub home_member: MemberId,
    pub patron_type: Code,
    pub expires_on: Date,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl Patron {
    pub fn display_name(&self) -> String {
        if self.given_names.is_empty() {
            self.family_name.clone()
        } else {
            format!("{} {}", self.given_names, self.family_name)
        }
    }

    pub fn is_expired_on(&self, today: Date) -> bool {
        self.expires_on < today
    }
}

/// A patron as typed or loaded, before validation. The home branch is given by its code; the
/// caller resolves it.
#[derive(Debug, Clone, Default)]
pub struct PatronInput {
    pub card: String,
    pub family_name: String,
    pub given_names: String,
    pub home_branch: String,
    pub patron_type: String,
    pub expires_on: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatronDraft {
    pub card: Barcode,
    pub family_name: String,
    pub given_names: String,
    pub home_branch: Code,
    pub patron_type: Code,
    pub expires_on: Date,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl PatronDraft {
    pub fn parse(input: &PatronInput) -> Result<PatronDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let card = Barcode::parse("card", &input.card)
            .map_err(|e| errors.push(e))
            .ok();
        let family_name = parse_name("family_name", &input.family_name)
            .map_err(|e| errors.push(e))
            .ok();
        let given_names = input.given_names.trim().to_string();
        if given_names.chars().count() > 200 {
            errors.push(FieldError::new(
                "given_names",
                "must be at most 200 characters",
            ));
        }
        let home_branch = Code::parse("home_branch", &input.home_branch)
            .map_err(|e| errors.push(e))
            .ok();
        let patron_type = Code::parse("patron_type", &input.patron_type)
            .map_err(|e| errors.push(e))
            .ok();
        let expires_on = Date::parse("expires_on", &input.expires_on)
            .map_err(|e| errors.push(e))
            .ok();
        let email = parse_optional(&input.email, |e| parse_email("email", e), &mut errors);
        let phone = parse_optional(&input.phone, |p| parse_phone("phone", p), &mut errors);
        match (card, family_name, home_branch, patron_type, expires_on) {
            (
                Some(card),
                Some(family_name),
                Some(home_branch),
                Some(patron_type),
                Some(expires_on),
            ) if errors.is_empty() => Ok(PatronDraft {
                card,
                family_name,
                given_names,
                home_branch,
                patron_type,
                expires_on,
                email,
                phone,
            }),
            _ => Err(errors),
        }
    }
}

fn parse_optional(
    raw: &str,
    parse: impl Fn(&str) -> Result<String, FieldError>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    parse(raw).map_err(|e| errors.push(e)).ok()
}

/// An email address good enough to send notices to: one `@`, a dot in the domain, no spaces.
pub fn parse_email(field: &str, raw: &str) -> Result<String, FieldError> {
    let raw = raw.trim();
    let bad = || FieldError::new(field, format!("{raw:?} is not an email address"));
    let (local, domain) = raw.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || raw.chars().any(|c| c.is_whitespace() || c.is_control())
        || domain.contains('@')
        || raw.len() > 254
    {
        return Err(bad());
    }
    Ok(raw.to_string())
}

/// A phone number: digits with optional `+`, spaces, dashes, dots and brackets; 6 to 20 digits.
pub fn parse_phone(field: &str, raw: &str) -> Result<String, FieldError> {
    let raw = raw.trim();
    let digits = raw.chars().filter(char::is_ascii_digit).count();
    let allowed = raw
        .chars()
        .all(|c| c.is_ascii_digit() || " +-.()".contains(c));
    if !allowed || !(6..=20).contains(&digits) {
        return Err(FieldError::new(
            field,
            format!("{raw:?} is not a phone number"),
        ));
    }
    Ok(raw.to_string())
}

/// A patron's PIN: 4 to 12 digits, as self-check kiosks and SIP2 accept.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    pub fn parse(field: &str, raw: &str) -> Result<Pin, FieldError> {
        if raw.len() < 4 || raw.len() > 12 || !raw.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(field, "must be 4 to 12 digits"));
        }
        Ok(Pin(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PatronInput {
        PatronInput {
            card: "29000000001".into(),
            family_name: "Rossi".into(),
            given_names: "Maria".into(),
            home_branch: "shire-cen".into(),
            patron_type: "adult".into(),
            expires_on: "2028-01-31".into(),
            email: "maria@example.org".into(),
            phone: "".into(),
        }
    }

    #[test]
    fn a_valid_patron_parses() {
        let draft = PatronDraft::parse(&input()).unwrap();
        assert_eq!(draft.home_branch.as_str(), "SHIRE-CEN");
        assert_eq!(draft.patron_type.as_str(), "ADULT");
        assert_eq!(draft.phone, None);
    }

    #[test]
    fn bad_patron_fields_are_all_named() {
        let bad = PatronInput {
            card: "".into(),
            expires_on: "31/01/2028".into(),
            email: "maria at example".into(),
            phone: "call me".into(),
            ..input()
        };
        let errors = PatronDraft::parse(&bad).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["card", "expires_on", "email", "phone"]);
    }

    #[test]
    fn emails_phones_and_pins() {
        for ok in ["a@b.co", "maria.rossi+lib@example.org"] {
            assert!(parse_email("email", ok).is_ok(), "{ok}");
        }
        for bad in ["a@b", "@b.co", "a b@c.de", "a@.de", "a@de.", "a@@b.de"] {
            assert!(parse_email("email", bad).is_err(), "{bad}");
        }
        assert!(parse_phone("phone", "+44 (0)117 496 0000").is_ok());
        assert!(parse_phone("phone", "12345").is_err());
        assert!(Pin::parse("pin", "1234").is_ok());
        assert!(Pin::parse("pin", "12a4").is_err());
        assert_eq!(
            format!("{:?}", Pin::parse("pin", "1234").unwrap()),
            "Pin(<redacted>)"
        );
    }

    #[test]
    fn expiry_is_inclusive() {
        let draft = PatronDraft::parse(&input()).unwrap();
        let patron = Patron {
            id: PatronId(1),
            cards: vec![draft.card],
            family_name: draft.family_name,
            given_names: draft.given_names,
            home_branch: BranchId(1),
            home_member: MemberId(1),
            patron_type: draft.patron_type,
            expires_on: draft.expires_on,
            email: None,
            phone: None,
        };
        assert!(!patron.is_expired_on(Date::parse("d", "2028-01-31").unwrap()));
        assert!(patron.is_expired_on(Date::parse("d", "2028-02-01").unwrap()));
        assert_eq!(patron.display_name(), "Maria Rossi");
    }
}
