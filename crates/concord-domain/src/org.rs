//! The consortium's shape: member library systems, their branding, and their branches.
//!
//! Input arrives as plain strings (from a form, JSON or a TOML file) in the `*Input` structs; the
//! `parse` functions turn it into drafts the store can save, or into every field error at once.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::FieldError;
use crate::calendar::{Date, Weekday, WeeklyHours};
use crate::codes::Code;
use crate::ids::{BranchId, MemberId};

/// What sort of library a member is; policies and statistics differ by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberKind {
    Public,
    Academic,
    School,
    Special,
}

impl MemberKind {
    pub const ALL: [MemberKind; 4] = [
        MemberKind::Public,
        MemberKind::Academic,
        MemberKind::School,
        MemberKind::Special,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberKind::Public => "public",
            MemberKind::Academic => "academic",
            MemberKind::School => "school",
            MemberKind::Special => "special",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<MemberKind, FieldError> {
        let wanted = raw.trim().to_ascii_lowercase();
        MemberKind::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    format!(
                        "{raw:?} is not a kind of library (public, academic, school or special)"
                    ),
                )
            })
    }
}

impl fmt::Display for MemberKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A brand colour, `#rrggbb`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Colour(String);

impl Colour {
    pub fn parse(field: &str, raw: &str) -> Result<Colour, FieldError> {
        let raw = raw.trim();
        let hex = raw.strip_prefix('#').unwrap_or(raw);
        if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(Colour(format!("#{}", hex.to_ascii_lowercase())))
        } else {
            Err(FieldError::new(
                field,
                format!("{raw:?} is not a colour like #1a5276"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Black or white, whichever reads better on this colour (WCAG relative luminance).
    pub fn contrasting_text(&self) -> &'static str {
        let channel = |i: usize| {
            let v = self
                .0
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or(0);
            let c = f64::from(v) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
        // Contrast with white is (1.05)/(L+0.05); with black (L+0.05)/0.05. Pick the larger.
        if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 {
            "#ffffff"
        } else {
            "#000000"
        }
    }
}

/// How a member presents itself in its own catalogue view and notices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branding {
    pub display_name: String,
    pub colour: Colour,
    pub logo_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: MemberId,
    pub code: Code,
    pub name: String,
    pub kind: MemberKind,
    pub branding: Branding,
}

/// A day a branch is closed although its week says open (a holiday, a closure order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedDate {
    pub date: Date,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branch {
    pub id: BranchId,
    pub member_id: MemberId,
    pub code: Code,
    pub name: String,
    pub address: String,
    pub opening_hours: WeeklyHours,
    pub closed_dates: Vec<ClosedDate>,
    pub is_pickup_location: bool,
    pub has_curbside: bool,
}

/// A member as typed or loaded, before validation.
#[derive(Debug, Clone, Default)]
pub struct MemberInput {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub display_name: Option<String>,
    pub colour: Option<String>,
    pub logo_url: Option<String>,
}

/// A validated member, ready to be created or to replace an existing one's details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDraft {
    pub code: Code,
    pub name: String,
    pub kind: MemberKind,
    pub branding: Branding,
}

/// The default brand colour for members that have not chosen one: a dark teal with AA contrast.
pub const DEFAULT_COLOUR: &str = "#1f5f6b";

impl MemberDraft {
    pub fn parse(input: &MemberInput) -> Result<MemberDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let code = Code::parse("code", &input.code)
            .map_err(|e| errors.push(e))
            .ok();
        let name = parse_name("name", &input.name)
            .map_err(|e| errors.push(e))
            .ok();
        let kind = MemberKind::parse("kind", &input.kind)
            .map_err(|e| errors.push(e))
            .ok();
        let display_name = match input.display_name.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() => parse_name("display_name", d)
                .map_err(|e| errors.push(e))
                .ok(),
            _ => name.clone(),
        };
        let colour = match input.colour.as_deref().map(str::trim) {
            Some(c) if !c.is_empty() => Colour::parse("colour", c).map_err(|e| errors.push(e)).ok(),
            _ => Some(Colour(DEFAULT_COLOUR.to_string())),
        };
        let logo_url = match input.logo_url.as_deref().map(str::trim) {
            Some(u) if !u.is_empty() => parse_url("logo_url", u).map_err(|e| errors.push(e)).ok(),
            _ => None,
        };
        match (code, name, kind, display_name, colour) {
            (Some(code), Some(name), Some(kind), Some(display_name), Some(colour))
                if errors.is_empty() =>
            {
                Ok(MemberDraft {
                    code,
                    name,
                    kind,
                    branding: Branding {
                        display_name,
                        colour,
                        logo_url,
                    },
                })
            }
            _ => Err(errors),
        }
    }
}

/// A branch as typed or loaded, before validation. Opening hours are per weekday in the compact
/// form `"09:00-12:30, 13:30-17:00"` or `"closed"`; a missing day is closed.
#[derive(Debug, Clone, Default)]
pub struct BranchInput {
    pub code: String,
    pub name: String,
    pub address: String,
    pub opening_hours: Vec<(String, String)>,
    pub closed_dates: Vec<(String, String)>,
    pub is_pickup_location: bool,
    pub has_curbside: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchDraft {
    pub code: Code,
    pub name: String,
    pub address: String,
    pub opening_hours: WeeklyHours,
    pub closed_dates: Vec<ClosedDate>,
    pub is_pickup_location: bool,
    pub has_curbside: bool,
}

impl BranchDraft {
    pub fn parse(input: &BranchInput) -> Result<BranchDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let code = Code::parse("code", &input.code)
            .map_err(|e| errors.push(e))
            .ok();
        let name = parse_name("name", &input.name)
            .map_err(|e| errors.push(e))
            .ok();
        let address = input.address.trim().to_string();
        if address.chars().count() > 500 {
            errors.push(FieldError::new("address", "must be at most 500 characters"));
        }
        let mut days: [(Weekday, Vec<_>); 7] = Weekday::ALL.map(|w| (w, Vec::new()));
        for (day, text) in &input.opening_hours {
            let field = format!("opening_hours.{}", day.trim().to_ascii_lowercase());
            let Some(slot) = days
                .iter_mut()
                .find(|(w, _)| w.key().eq_ignore_ascii_case(day.trim()))
            else {
                errors.push(FieldError::new(
                    field,
                    "is not a day of the week (monday ... sunday)",
                ));
                continue;
            };
            match WeeklyHours::parse_day(&field, text) {
                Ok(periods) => slot.1 = periods,
                Err(e) => errors.push(e),
            }
        }
        let opening_hours = WeeklyHours::new(days).map_err(|e| errors.push(e)).ok();
        let mut closed_dates: Vec<ClosedDate> = Vec::new();
        for (index, (date, reason)) in input.closed_dates.iter().enumerate() {
            match Date::parse(&format!("closed_dates[{index}].date"), date) {
                Ok(date) if closed_dates.iter().any(|c| c.date == date) => {
                    errors.push(FieldError::new(
                        format!("closed_dates[{index}].date"),
                        format!("{date} is listed twice"),
                    ))
                }
                Ok(date) => closed_dates.push(ClosedDate {
                    date,
                    reason: reason.trim().to_string(),
                }),
                Err(e) => errors.push(e),
            }
        }
        closed_dates.sort_by_key(|c| c.date);
        match (code, name, opening_hours) {
            (Some(code), Some(name), Some(opening_hours)) if errors.is_empty() => Ok(BranchDraft {
                code,
                name,
                address,
                opening_hours,
                closed_dates,
                is_pickup_location: input.is_pickup_location,
                has_curbside: input.has_curbside,
            }),
            _ => Err(errors),
        }
    }
}

/// A person's or place's name: trimmed, 1 to 200 characters, no control characters.
pub fn parse_name(field: &str, raw: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if trimmed.chars().count() > 200 {
        return Err(FieldError::new(field, "must be at most 200 characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_string())
}

/// A web address for a logo: `https://…`, `http://…` or a path on this server (`/static/…`).
pub fn parse_url(field: &str, raw: &str) -> Result<String, FieldError> {
    let ok_scheme =
        raw.starts_with("https://") || raw.starts_with("http://") || raw.starts_with('/');
    if !ok_scheme
        || raw
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>')
    {
        return Err(FieldError::new(
            field,
            format!("{raw:?} is not a web address (https://… or /path)"),
        ));
    }
    Ok(raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(code: &str, name: &str, kind: &str, colour: Option<&str>) -> MemberInput {
        MemberInput {
            code: code.into(),
            name: name.into(),
            kind: kind.into(),
            colour: colour.map(Into::into),
            ..MemberInput::default()
        }
    }

    #[test]
    fn a_valid_member_gets_default_branding() {
        let draft =
            MemberDraft::parse(&member("shire", "Shire Library System", "Public", None)).unwrap();
        assert_eq!(draft.code.as_str(), "SHIRE");
        assert_eq!(draft.kind, MemberKind::Public);
        assert_eq!(draft.branding.display_name, "Shire Library System");
        assert_eq!(draft.branding.colour.as_str(), DEFAULT_COLOUR);
    }

    #[test]
    fn every_bad_field_of_a_member_is_reported_at_once() {
        let errors = MemberDraft::parse(&member("", " ", "museum", Some("blue"))).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["code", "name", "kind", "colour"]);
        assert!(
            errors[2]
                .reason
                .contains("public, academic, school or special")
        );
    }

    #[test]
    fn colours_normalise_and_pick_readable_text() {
        assert_eq!(Colour::parse("c", "1A5276").unwrap().as_str(), "#1a5276");
        assert_eq!(
            Colour::parse("c", "#1a5276").unwrap().contrasting_text(),
            "#ffffff"
        );
        assert_eq!(
            Colour::parse("c", "#f7dc6f").unwrap().contrasting_text(),
            "#000000"
        );
        assert!(Colour::parse("c", "#12345").is_err());
    }

    #[test]
    fn branches_parse_hours_and_closed_dates() {
        let input = BranchInput {
            code: "shire-cen".into(),
            name: "Shire Central".into(),
            address: "1 Bag End".into(),
            opening_hours: vec![
                ("Monday".into(), "09:00-17:00".into()),
                ("saturday".into(), "10:00-13:00".into()),
            ],
            closed_dates: vec![
                ("2026-12-26".into(), "Boxing Day".into()),
                ("2026-12-25".into(), "Christmas".into()),
            ],
            is_pickup_location: true,
            has_curbside: false,
        };
        let draft = BranchDraft::parse(&input).unwrap();
        assert_eq!(draft.code.as_str(), "SHIRE-CEN");
        assert!(draft.opening_hours.is_open_on(Weekday::Monday));
        assert!(!draft.opening_hours.is_open_on(Weekday::Tuesday));
        assert_eq!(draft.closed_dates[0].reason, "Christmas");

        let bad = BranchInput {
            opening_hours: vec![("funday".into(), "09:00-17:00".into())],
            closed_dates: vec![("2026-02-30".into(), String::new())],
            ..input
        };
        let errors = BranchDraft::parse(&bad).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["opening_hours.funday", "closed_dates[0].date"]);
    }
}
