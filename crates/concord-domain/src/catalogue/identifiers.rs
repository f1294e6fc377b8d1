//! Standard identifiers as found in real records (ISBN, ISSN, LCCN, OCLC numbers), normalised so
//! that two records for the same book compare equal however their exports wrote them.

use concord_marc::Record;
use serde::{Deserialize, Serialize};

/// The kinds of identifier the de-duplicator matches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    Oclc,
    Lccn,
    Isbn,
    Issn,
}

impl IdentifierKind {
    pub const ALL: [IdentifierKind; 4] = [
        IdentifierKind::Oclc,
        IdentifierKind::Lccn,
        IdentifierKind::Isbn,
        IdentifierKind::Issn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::Oclc => "oclc",
            IdentifierKind::Lccn => "lccn",
            IdentifierKind::Isbn => "isbn",
            IdentifierKind::Issn => "issn",
        }
    }

    pub fn parse(raw: &str) -> Option<IdentifierKind> {
        IdentifierKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
    }
}

/// One normalised identifier of a record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Identifier {
    pub kind: IdentifierKind,
    pub value: String,
}

/// The ISBN in its ISBN-13 form (digits only), from text such as `0-679-45004-1 (pbk.)`,
/// `978-0679450047` or `067945004x : $25.00`. `None` when the check digit is wrong or the text
/// holds no ISBN: a wrong identifier must never merge two different books.
pub fn normalize_isbn(raw: &str) -> Option<String> {
    let candidate: String = raw
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '-' | 'x' | 'X' | ' '))
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match candidate.len() {
        10 => isbn10_to_13(&candidate),
        13 if isbn13_check_ok(&candidate) => Some(candidate),
        _ => None,
    }
}

fn digit(c: char) -> Option<u32> {
    c.to_digit(10)
}

/// The ISBN-13 of a valid ISBN-10 (digits and a final check `X`).
pub fn isbn10_to_13(isbn10: &str) -> Option<String> {
    let chars: Vec<char> = isbn10.chars().collect();
    if chars.len() != 10 {
        return None;
    }
    let mut sum = 0;
    for (position, c) in chars.iter().enumerate() {
        let value = match (position, c) {
            (9, 'X') => 10,
            (_, c) => digit(*c)?,
        };
        sum += value * (10 - position as u32);
    }
    if sum % 11 != 0 {
        return None;
    }
    let body: String = std::iter::once("978")
        .chain(std::iter::once(isbn10.get(..9)?))
        .collect();
    Some(format!("{body}{}", isbn13_check_digit(&body)?))
}

/// The ISBN-10 of an ISBN-13 in the 978 range (others have none).
pub fn isbn13_to_10(isbn13: &str) -> Option<String> {
    if !isbn13.starts_with("978") || !isbn13_check_ok(isbn13) {
        return None;
    }
    let body = isbn13.get(3..12)?;
    let mut sum = 0;
    for (position, c) in body.chars().enumerate() {
        sum += digit(c)? * (10 - position as u32);
    }
    let check = (11 - sum % 11) % 11;
    let check = if check == 10 {
        'X'
    } else {
        char::from_digit(check, 10)?
    };
    Some(format!("{body}{check}"))
}

fn isbn13_check_digit(first12: &str) -> Option<char> {
    let mut sum = 0;
    for (position, c) in first12.chars().enumerate() {
        sum += digit(c)? * if position % 2 == 0 { 1 } else { 3 };
    }
    char::from_digit((10 - sum % 10) % 10, 10)
}

fn isbn13_check_ok(isbn13: &str) -> bool {
    isbn13.len() == 13
        && isbn13.chars().all(|c| c.is_ascii_digit())
        && isbn13
            .get(..12)
            .and_then(isbn13_check_digit)
            .is_some_and(|check| isbn13.ends_with(check))
}

/// The ISSN as `NNNN-NNNC`, checked.
pub fn normalize_issn(raw: &str) -> Option<String> {
    let compact: String = raw
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '-' | 'x' | 'X' | ' '))
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if compact.len() != 8 {
        return None;
    }
    let mut sum = 0;
    for (position, c) in compact.chars().enumerate() {
        let value = match (position, c) {
            (7, 'X') => 10,
            (_, c) => digit(c)?,
        };
        sum += value * (8 - position as u32);
    }
    if sum % 11 != 0 {
        return None;
    }
    Some(format!("{}-{}", compact.get(..4)?, compact.get(4..)?))
}

/// The LCCN normalised by the Library of Congress rules
/// (<https://www.loc.gov/marc/lccn-namespace.html>): blanks removed, anything after a slash
/// dropped, and a hyphenated serial part left-padded with zeros to six digits.
pub fn normalize_lccn(raw: &str) -> Option<String> {
    let without_blanks: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let before_slash = without_blanks.split('/').next().unwrap_or_default();
    let normalised = match before_slash.split_once('-') {
        Some((prefix, serial))
            if !serial.is_empty() && serial.chars().all(|c| c.is_ascii_digit()) =>
        {
            if serial.len() > 6 {
                return None;
            }
            format!("{prefix}{serial:0>6}")
        }
        Some(_) => return None,
        None => before_slash.to_string(),
    };
    let normalised = normalised.to_ascii_lowercase();
    let digits_tail = normalised
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .count();
    let prefix_length = normalised.len() - digits_tail;
    let valid = digits_tail >= 8
        && prefix_length <= 3
        && normalised
            .chars()
            .take(prefix_length)
            .all(|c| c.is_ascii_lowercase());
    valid.then_some(normalised)
}

/// The OCLC number of a 035 $a, from `(OCoLC)ocm01234567`, `(OCoLC)ocn123456789`,
/// `(OCoLC)on1234567890` or `(OCoLC)1234`; leading zeros dropped. Other systems' numbers
/// (`(Sirsi) a353305`) are not OCLC numbers.
pub fn normalize_oclc(raw: &str) -> Option<String> {
    let rest = raw.trim().strip_prefix("(OCoLC)")?.trim();
    let rest = ["ocm", "ocn", "on"]
        .iter()
        .find_map(|prefix| rest.strip_prefix(prefix))
        .unwrap_or(rest)
        .trim();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() != rest.len() {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// Every identifier of a record, normalised, de-duplicated, in a stable order. Cancelled and
/// invalid numbers ($z) are ignored.
pub fn identifiers(record: &Record) -> Vec<Identifier> {
    let mut found = Vec::new();
    let mut add = |kind, value: Option<String>| {
        if let Some(value) = value {
            found.push(Identifier { kind, value });
        }
    };
    for field in record.fields("035") {
        for value in field.subfields('a') {
            add(IdentifierKind::Oclc, normalize_oclc(value));
        }
    }
    for field in record.fields("010") {
        for value in field.subfields('a') {
            add(IdentifierKind::Lccn, normalize_lccn(value));
        }
    }
    for field in record.fields("020") {
        for value in field.subfields('a') {
            add(IdentifierKind::Isbn, normalize_isbn(value));
        }
    }
    for field in record.fields("022") {
        for value in field.subfields('a') {
            add(IdentifierKind::Issn, normalize_issn(value));
        }
    }
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(normalise: fn(&str) -> Option<String>, cases: &[(&str, Option<&str>)]) {
        for (input, expected) in cases {
            assert_eq!(
                normalise(input).as_deref(),
                *expected,
                "normalising {input:?}"
            );
        }
    }

    #[test]
    fn isbns_become_isbn13() {
        check(
            normalize_isbn,
            &[
                ("0679450041", Some("9780679450047")),
                ("0-679-45004-1 (pbk.)", Some("9780679450047")),
                ("978-0-679-45004-7", Some("9780679450047")),
                ("0863693180", Some("9780863693182")),
                ("080442957x : $12.00", Some("9780804429573")),
                ("0679450042", None),
                ("9780679450048", None),
                ("", None),
                ("रु. 1.50", None),
            ],
        );
    }

    #[test]
    fn isbn13_converts_back_to_isbn10_in_the_978_range_only() {
        assert_eq!(isbn13_to_10("9780679450047").as_deref(), Some("0679450041"));
        assert_eq!(isbn13_to_10("9780804429573").as_deref(), Some("080442957X"));
        assert_eq!(isbn13_to_10("9791032300824"), None);
    }

    #[test]
    fn issns_are_checked_and_hyphenated() {
        check(
            normalize_issn,
            &[
                ("0012-5768", Some("0012-5768")),
                ("1494-9393", Some("1494-9393")),
                ("1494-9394", None),
                ("0317-8471", Some("0317-8471")),
                ("0378-5955", Some("0378-5955")),
                ("2434-561X", Some("2434-561X")),
                ("12", None),
            ],
        );
    }

    #[test]
    fn lccns_follow_the_library_of_congress_rules() {
        // The examples of https://www.loc.gov/marc/lccn-namespace.html
        check(
            normalize_lccn,
            &[
                ("n78-890351", Some("n78890351")),
                ("n78-89035", Some("n78089035")),
                ("n 78890351 ", Some("n78890351")),
                (" 85000002 ", Some("85000002")),
                ("85-2 ", Some("85000002")),
                ("2001-000002", Some("2001000002")),
                ("75-425165//r75", Some("75425165")),
                (" 79139101 /AC/r932", Some("79139101")),
                ("   20004418", Some("20004418")),
                ("66-17874", Some("66017874")),
                ("abc", None),
            ],
        );
    }

    #[test]
    fn oclc_numbers_come_only_from_oclc_prefixes() {
        check(
            normalize_oclc,
            &[
                ("(OCoLC)ocm01234567", Some("1234567")),
                ("(OCoLC)ocn123456789", Some("123456789")),
                ("(OCoLC)on1234567890", Some("1234567890")),
                ("(OCoLC)15629", Some("15629")),
                ("(Sirsi) a353305", None),
                ("(OCoLC)ocm", None),
                ("(OCoLC)12ab", None),
            ],
        );
    }
}
