//! Duplicate patron detection: how alike a new registration is to an existing patron, as a score
//! with reasons, so registration can warn staff before a second record for one person is made.
//!
//! Each fact that matches adds weight. No single fact is enough — many people share a name, and a
//! family often shares an email address or a phone — but any two are: a name with a date of
//! birth, or an email with a date of birth (someone who changed their name). The weights still
//! rank candidates, strongest first. Staff see the reasons and may register anyway.

use serde::{Deserialize, Serialize};

use crate::calendar::Date;
use crate::patron::name_key;

/// The facts about a person that duplicate detection compares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityFacts {
    pub family_name: String,
    pub given_names: String,
    pub email: Option<String>,
    /// Phone and SMS numbers; any one equal to any other counts.
    pub phones: Vec<String>,
    pub date_of_birth: Option<Date>,
}

/// Why two records look like the same person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    SameName,
    SameEmail,
    SamePhone,
    SameDateOfBirth,
}

impl DuplicateReason {
    pub fn weight(self) -> u32 {
        match self {
            DuplicateReason::SameName => 40,
            DuplicateReason::SameEmail => 45,
            DuplicateReason::SamePhone => 35,
            DuplicateReason::SameDateOfBirth => 25,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DuplicateReason::SameName => "same name",
            DuplicateReason::SameEmail => "same email",
            DuplicateReason::SamePhone => "same phone number",
            DuplicateReason::SameDateOfBirth => "same date of birth",
        }
    }
}

/// A score of 60 or more is worth a warning: any two matching facts reach it, no single one does.
pub const LIKELY_DUPLICATE: u32 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateScore {
    pub score: u32,
    pub reasons: Vec<DuplicateReason>,
}

impl DuplicateScore {
    pub fn is_likely(&self) -> bool {
        self.score >= LIKELY_DUPLICATE
    }
}

/// The digits of a phone number, without a leading international or trunk prefix difference:
/// the last nine digits, which is enough to tell numbers apart and ignores `+44` versus `0`.
pub fn phone_key(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 6 {
        return None;
    }
    let skip = digits.len().saturating_sub(9);
    Some(digits.chars().skip(skip).collect())
}

/// How alike `new` is to `existing`.
pub fn duplicate_score(new: &IdentityFacts, existing: &IdentityFacts) -> DuplicateScore {
    let mut reasons = Vec::new();
    // The same key the store narrows candidates by, so every patron scored the same name here
    // is among the candidates it returns.
    let name = name_key(&new.family_name, &new.given_names);
    if !name.is_empty() && name == name_key(&existing.family_name, &existing.given_names) {
        reasons.push(DuplicateReason::SameName);
    }
    let email = |e: &Option<String>| e.as_ref().map(|e| e.trim().to_lowercase());
    if email(&new.email).is_some() && email(&new.email) == email(&existing.email) {
        reasons.push(DuplicateReason::SameEmail);
    }
    let new_phones: Vec<String> = new.phones.iter().filter_map(|p| phone_key(p)).collect();
    if existing
        .phones
        .iter()
        .filter_map(|p| phone_key(p))
        .any(|p| new_phones.contains(&p))
    {
        reasons.push(DuplicateReason::SamePhone);
    }
    if new.date_of_birth.is_some() && new.date_of_birth == existing.date_of_birth {
        reasons.push(DuplicateReason::SameDateOfBirth);
    }
    DuplicateScore {
        score: reasons.iter().map(|r| r.weight()).sum(),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(name: &str, email: &str, phone: &str, born: &str) -> IdentityFacts {
        let (family, given) = name.split_once(',').unwrap_or((name, ""));
        IdentityFacts {
            family_name: family.into(),
            given_names: given.into(),
            email: (!email.is_empty()).then(|| email.to_string()),
            phones: (!phone.is_empty())
                .then(|| phone.to_string())
                .into_iter()
                .collect(),
            date_of_birth: (!born.is_empty()).then(|| Date::parse("d", born).unwrap()),
        }
    }

    fn check(
        new: IdentityFacts,
        existing: IdentityFacts,
        expected: &[DuplicateReason],
        likely: bool,
    ) {
        let score = duplicate_score(&new, &existing);
        assert_eq!(score.reasons, expected, "{new:?} vs {existing:?}");
        assert_eq!(
            score.is_likely(),
            likely,
            "{new:?} vs {existing:?}: {}",
            score.score
        );
    }

    #[test]
    fn scores_follow_the_documented_weights() {
        use DuplicateReason::*;
        let maria = facts(
            "Rossi, Maria",
            "maria@example.org",
            "+44 117 496 0000",
            "1980-02-29",
        );
        // Identical in every fact.
        check(
            maria.clone(),
            maria.clone(),
            &[SameName, SameEmail, SamePhone, SameDateOfBirth],
            true,
        );
        // Case, accents and punctuation in names do not matter; the phone's prefix does not either.
        check(
            facts("ROSSÍ,  maria", "", "0117-496-0000", ""),
            maria.clone(),
            &[SameName, SamePhone],
            true,
        );
        // One person registered with and without accents, apostrophes or hyphens has one name.
        check(
            facts("Muller, Jurgen", "", "", "1975-06-01"),
            facts("Müller, Jürgen", "", "", "1975-06-01"),
            &[SameName, SameDateOfBirth],
            true,
        );
        check(
            facts("oconnor smith jones, siobhan", "", "", ""),
            facts("O'Connor Smith-Jones, Siobhán", "", "", ""),
            &[SameName],
            false,
        );
        // A name alone is not enough: many people share one.
        check(
            facts("Rossi, Maria", "", "", ""),
            maria.clone(),
            &[SameName],
            false,
        );
        check(
            facts("Rossi, Maria", "", "", "1980-02-29"),
            maria.clone(),
            &[SameName, SameDateOfBirth],
            true,
        );
        check(
            facts("Rossi, Maria", "MARIA@example.org ", "", ""),
            maria.clone(),
            &[SameName, SameEmail],
            true,
        );
        // Someone who changed their name is still caught by email and date of birth.
        check(
            facts("Bianchi, Maria", "maria@example.org", "", "1980-02-29"),
            maria.clone(),
            &[SameEmail, SameDateOfBirth],
            true,
        );
        // Email or phone alone (a family sharing them) is not; with a date of birth it is.
        check(
            facts("Rossi, Luca", "maria@example.org", "", ""),
            maria.clone(),
            &[SameEmail],
            false,
        );
        check(
            facts("Rossi, Luca", "", "01174960000", ""),
            maria.clone(),
            &[SamePhone],
            false,
        );
        check(
            facts("Verdi, Anna", "", "01174960000", "1980-02-29"),
            maria.clone(),
            &[SamePhone, SameDateOfBirth],
            true,
        );
        // Nothing in common; empty facts never match empty facts.
        check(
            facts("Verdi, Anna", "anna@example.org", "", ""),
            maria,
            &[],
            false,
        );
        check(
            facts("Verdi, Anna", "", "", ""),
            facts("Neri, Ugo", "", "", ""),
            &[],
            false,
        );
    }

    #[test]
    fn any_two_facts_and_no_single_fact_reach_the_threshold() {
        use DuplicateReason::*;
        let all = [SameName, SameEmail, SamePhone, SameDateOfBirth];
        for a in all {
            assert!(a.weight() < LIKELY_DUPLICATE, "{a:?}");
            for b in all.iter().filter(|b| **b != a) {
                assert!(a.weight() + b.weight() >= LIKELY_DUPLICATE, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn phones_normalise() {
        assert_eq!(
            phone_key("+44 (0)117 496 0000").as_deref(),
            Some("174960000")
        );
        assert_eq!(phone_key("0117 496 0000").as_deref(), Some("174960000"));
        assert_eq!(phone_key("12345"), None);
    }
}
