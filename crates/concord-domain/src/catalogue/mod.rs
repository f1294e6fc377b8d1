//! The shared catalogue's rules: item status, what a bib is called (title, author, year), the
//! de-duplication key and rule order, holdings mappings, the MARC editor's line format, and call
//! numbers in shelf order.
//!
//! **Invariant:** bibs are shared by the whole consortium; items belong to exactly one member.
//! De-duplication never merges on an identifier whose check digit fails.

pub mod holdings;
pub mod identifiers;
pub mod lines;
pub mod shelf;
pub mod versions;

use concord_marc::{DataField, Record};
use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::circulation::blocks;
use crate::codes::Code;
use crate::ids::MemberId;
pub use identifiers::{Identifier, IdentifierKind};

/// Where an item is in its life. Stored as its `as_str` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Available,
    OnLoan,
    InTransit,
    OnHoldShelf,
    Lost,
    Missing,
    ClaimedReturned,
    Damaged,
    Withdrawn,
    /// Reference and other items not for loan.
    NotForLoan,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 10] = [
        ItemStatus::Available,
        ItemStatus::OnLoan,
        ItemStatus::InTransit,
        ItemStatus::OnHoldShelf,
        ItemStatus::Lost,
        ItemStatus::Missing,
        ItemStatus::ClaimedReturned,
        ItemStatus::Damaged,
        ItemStatus::Withdrawn,
        ItemStatus::NotForLoan,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Available => "available",
            ItemStatus::OnLoan => "on_loan",
            ItemStatus::InTransit => "in_transit",
            ItemStatus::OnHoldShelf => "on_hold_shelf",
            ItemStatus::Lost => "lost",
            ItemStatus::Missing => "missing",
            ItemStatus::ClaimedReturned => "claimed_returned",
            ItemStatus::Damaged => "damaged",
            ItemStatus::Withdrawn => "withdrawn",
            ItemStatus::NotForLoan => "not_for_loan",
        }
    }

    /// Parses the stored or typed form; `reference` is accepted for `not_for_loan`.
    pub fn parse(field: &str, raw: &str) -> Result<ItemStatus, crate::FieldError> {
        let wanted = raw.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        if wanted == "reference" {
            return Ok(ItemStatus::NotForLoan);
        }
        ItemStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == wanted)
            .ok_or_else(|| crate::FieldError::new(field, format!("{raw:?} is not an item status")))
    }

    /// What the circulation rules need to know of this status. Statuses circulation has no
    /// word of its own for are "not for loan" to it: such an item cannot be lent.
    pub fn for_circulation(self) -> blocks::ItemStatus {
        match self {
            ItemStatus::Available => blocks::ItemStatus::Available,
            ItemStatus::OnLoan => blocks::ItemStatus::OnLoan,
            ItemStatus::Lost => blocks::ItemStatus::Lost,
            ItemStatus::ClaimedReturned => blocks::ItemStatus::ClaimedReturned,
            ItemStatus::InTransit
            | ItemStatus::OnHoldShelf
            | ItemStatus::Missing
            | ItemStatus::Damaged
            | ItemStatus::Withdrawn
            | ItemStatus::NotForLoan => blocks::ItemStatus::NotForLoan,
        }
    }
}

/// What a bib is called on lists and result pages, taken from its MARC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BibSummary {
    pub record_type: char,
    pub bibliographic_level: char,
    pub title: String,
    pub author: String,
    pub publication_year: Option<i32>,
}

fn joined_subfields(record: &Record, tag: &str, codes: &[char]) -> String {
    record
        .field(tag)
        .map(|field| {
            field
                .subfields
                .iter()
                .filter(|subfield| codes.contains(&subfield.code))
                .map(|subfield| subfield.value.trim())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// Drops the ISBD punctuation cataloguers end elements with (` /`, ` :`, `.`).
pub fn trim_isbd(text: &str) -> String {
    text.trim()
        .trim_end_matches([' ', '/', ':', ';', ',', '.', '='])
        .trim()
        .to_string()
}

/// The title, main author and year of a record.
pub fn summarise(record: &Record) -> BibSummary {
    let title = trim_isbd(&joined_subfields(record, "245", &['a', 'b', 'n', 'p']));
    let author = ["100", "110", "111"]
        .iter()
        .map(|tag| trim_isbd(&joined_subfields(record, tag, &['a', 'b', 'c', 'd', 'q'])))
        .find(|author| !author.is_empty())
        .unwrap_or_default();
    BibSummary {
        record_type: record.record_type(),
        bibliographic_level: record.bibliographic_level(),
        title,
        author,
        publication_year: publication_year(record),
    }
}

/// The year from 008/07-10 when it is four digits, else the first four-digit run in 264/260 $c.
pub fn publication_year(record: &Record) -> Option<i32> {
    let from_008 = record
        .control("008")
        .and_then(|value| value.get(7..11))
        .filter(|year| year.chars().all(|c| c.is_ascii_digit()))
        .and_then(|year| year.parse().ok());
    from_008.or_else(|| {
        ["264", "260"].iter().find_map(|tag| {
            record
                .fields(tag)
                .flat_map(|f| f.subfields('c'))
                .find_map(|date| {
                    let digits: Vec<char> = date.chars().collect();
                    digits.windows(4).find_map(|window| {
                        window
                            .iter()
                            .all(char::is_ascii_digit)
                            .then(|| window.iter().collect::<String>().parse().ok())
                            .flatten()
                    })
                })
        })
    })
}

/// Lower-case letters and digits of `text`, words separated by one space; accents and letter
/// forms folded ([`crate::text::fold`]) so that "Médecine", "MEDECINE" and "Medecine" compare
/// equal. The marks that spell words in their script ([`crate::text::is_spelling_mark`]: a
/// Devanagari virama, a Thai vowel sign) stay within their word.
pub fn normalise_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in crate::text::fold(text).chars() {
        if c.is_alphanumeric() || crate::text::is_spelling_mark(c) {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        } else if c.is_whitespace() || c.is_ascii_punctuation() {
            pending_space = true;
        }
    }
    out
}

/// The shelving locations each member keeps out of other members' views (a staff collection,
/// local history): every item there is shown, counted and found only in its own member's view,
/// as an item marked hidden is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HiddenLocations(std::collections::HashSet<(MemberId, Code)>);

impl HiddenLocations {
    pub fn new(pairs: impl IntoIterator<Item = (MemberId, Code)>) -> HiddenLocations {
        HiddenLocations(pairs.into_iter().collect())
    }

    /// Whether other members see an item of `member` at `location` that is itself marked
    /// hidden (`item_hidden`) or not.
    pub fn item_visible_outside_member(
        &self,
        member: MemberId,
        location: Option<&Code>,
        item_hidden: bool,
    ) -> bool {
        !item_hidden
            && location.is_none_or(|location| !self.0.contains(&(member, location.clone())))
    }
}

/// Shelving location codes, one per item of `codes`, sorted without repeats; every one that is
/// not a code is reported.
pub fn location_codes<'a>(
    field: &str,
    codes: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Code>, Vec<FieldError>> {
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for code in codes {
        match Code::parse(field, code) {
            Ok(code) => parsed.push(code),
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    parsed.sort();
    parsed.dedup();
    Ok(parsed)
}

/// The longest name of a shelving location, in characters.
pub const LOCATION_NAME_MAX: usize = 80;

/// What each shelving location of a member is called, from `(code, name)` pairs as staff typed
/// them, sorted by code: names trimmed, a pair with no name left out (the code is then shown as
/// it is); every code that is not one, name too long or with control characters, and code named
/// twice differently is reported under `field`.
pub fn location_names<'a>(
    field: &str,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<(Code, String)>, Vec<FieldError>> {
    let mut named: Vec<(Code, String)> = Vec::new();
    let mut errors = Vec::new();
    for (code, name) in pairs {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        let code = match Code::parse(field, code) {
            Ok(code) => code,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        if name.chars().count() > LOCATION_NAME_MAX {
            errors.push(FieldError::new(
                field,
                format!("the name of {code} is longer than {LOCATION_NAME_MAX} characters"),
            ));
        } else if name.chars().any(char::is_control) {
            errors.push(FieldError::new(
                field,
                format!("the name of {code} has a line break or another control character"),
            ));
        } else if let Some((_, earlier)) = named.iter().find(|(known, _)| *known == code) {
            if earlier != name {
                errors.push(FieldError::new(
                    field,
                    format!("{code} is named twice: \"{earlier}\" and \"{name}\""),
                ));
            }
        } else {
            named.push((code, name.to_owned()));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    named.sort();
    Ok(named)
}

/// The codes of a list typed in one field, separated by commas, spaces or new lines.
pub fn split_code_list(text: &str) -> Vec<&str> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .collect()
}

/// The leading characters a title field's nonfiling indicator says to pass over when it files
/// ("The hobbit" with 4 files as "hobbit"): MARC 21 keeps them in the second indicator of 222,
/// 240, 242, 243, 245, 440 and 830, in the first of 130, 630, 730 and 740; other fields (a 246
/// among them) have none.
pub fn nonfiling_characters(field: &DataField) -> usize {
    let indicator = match field.tag.as_str() {
        "222" | "240" | "242" | "243" | "245" | "440" | "830" => field.indicator2,
        "130" | "630" | "730" | "740" => field.indicator1,
        _ => return 0,
    };
    indicator.to_digit(10).unwrap_or(0) as usize
}

/// The title as catalogues file it, normalised: 245 $a $b $n $p without the non-filing characters
/// its second indicator counts ("The hobbit" files as "hobbit"), through [`normalise_words`].
/// Empty without a title.
pub fn filing_title_key(record: &Record) -> String {
    let Some(field) = record.field("245") else {
        return String::new();
    };
    let skip = nonfiling_characters(field);
    let raw_title: String = field
        .subfields
        .iter()
        .filter(|subfield| matches!(subfield.code, 'a' | 'b' | 'n' | 'p'))
        .map(|subfield| subfield.value.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    normalise_words(raw_title.get(skip..).unwrap_or(&raw_title))
}

/// The keys of a record stored as ISO 2709, worked out again when the way keys are made
/// changes: its filing-title key ([`filing_title_key`]; `title` normalised when the record cannot
/// be read or has no 245) and, when the record can be read, its match key (`Some(None)`: readable
/// but without a title).
pub fn keys_of_stored(marc: &[u8], title: &str) -> (String, Option<Option<String>>) {
    match concord_marc::read_iso2709(marc).next() {
        Some(Ok(record)) => {
            let title_key = if record.field("245").is_some() {
                filing_title_key(&record)
            } else {
                normalise_words(title)
            };
            (title_key, Some(match_key(&record)))
        }
        _ => (normalise_words(title), None),
    }
}

/// Leading words that are articles in the catalogue's main languages: a staff member looking a
/// title up, or a patron typing in the search box, may type them ("the hob") where the record
/// files without them.
const ARTICLES: [&str; 24] = [
    "the", "a", "an", "le", "la", "les", "l", "un", "une", "der", "die", "das", "den", "ein",
    "eine", "el", "los", "las", "il", "lo", "gli", "i", "uno", "una",
];

/// The filing-title keys to look a typed title up by: the typed text normalised, and the same
/// without a leading article, so that "the hob" and "hobbit" both find "The hobbit" (which
/// files as "hobbit") and "die hard" still finds "Die hard" (which files as itself).
pub fn title_lookup_keys(typed: &str) -> Vec<String> {
    let key = normalise_words(typed);
    let mut keys = Vec::new();
    if let Some(rest) = without_leading_article(&key) {
        keys.push(rest.to_owned());
    }
    if !key.is_empty() {
        keys.push(key);
    }
    keys
}

/// A normalised title key without its first word, when that word is one of [`ARTICLES`] and
/// words follow it ("the hob" → "hob").
pub fn without_leading_article(key: &str) -> Option<&str> {
    key.split_once(' ')
        .filter(|(first, rest)| ARTICLES.contains(first) && !rest.is_empty())
        .map(|(_, rest)| rest)
}

/// The normalised title/author/date/format key used when no identifier matches:
/// `title|author surname|year|leader 06-07`. Non-filing characters (245 second indicator) are
/// skipped so that "The hobbit" and "Hobbit" agree. `None` without a title: a record with no
/// title must never merge on a key.
pub fn match_key(record: &Record) -> Option<String> {
    let title = filing_title_key(record);
    if title.is_empty() {
        return None;
    }
    let author = ["100", "110", "111"]
        .iter()
        .find_map(|tag| record.field(tag).and_then(|f| f.subfield('a')))
        .map(normalise_words)
        .and_then(|author| author.split(' ').next().map(str::to_string))
        .unwrap_or_default();
    let year = publication_year(record)
        .map(|y| y.to_string())
        .unwrap_or_default();
    Some(format!(
        "{title}|{author}|{year}|{}{}",
        record.record_type(),
        record.bibliographic_level()
    ))
}

/// Which rule matched a record to an existing bib.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchRule {
    Oclc,
    Lccn,
    Isbn,
    Issn,
    MatchKey,
}

impl MatchRule {
    pub const ALL: [MatchRule; 5] = [
        MatchRule::Oclc,
        MatchRule::Lccn,
        MatchRule::Isbn,
        MatchRule::Issn,
        MatchRule::MatchKey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MatchRule::Oclc => "oclc",
            MatchRule::Lccn => "lccn",
            MatchRule::Isbn => "isbn",
            MatchRule::Issn => "issn",
            MatchRule::MatchKey => "match_key",
        }
    }

    pub fn parse(raw: &str) -> Option<MatchRule> {
        MatchRule::ALL.into_iter().find(|rule| rule.as_str() == raw)
    }

    fn for_identifier(kind: IdentifierKind) -> MatchRule {
        match kind {
            IdentifierKind::Oclc => MatchRule::Oclc,
            IdentifierKind::Lccn => MatchRule::Lccn,
            IdentifierKind::Isbn => MatchRule::Isbn,
            IdentifierKind::Issn => MatchRule::Issn,
        }
    }
}

/// One look-up the importer makes to find an existing bib.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    Identifier(Identifier),
    MatchKey(String),
}

/// The look-ups to make, in the order that decides a match: exact identifiers first (OCLC, LCCN,
/// ISBN, ISSN — most to least specific), then the match key. The first look-up that finds a bib
/// wins, and its rule is recorded with the merge.
pub fn match_probes(identifiers: &[Identifier], key: Option<&str>) -> Vec<(MatchRule, Probe)> {
    let mut probes: Vec<(MatchRule, Probe)> = Vec::new();
    for kind in IdentifierKind::ALL {
        for identifier in identifiers.iter().filter(|i| i.kind == kind) {
            probes.push((
                MatchRule::for_identifier(kind),
                Probe::Identifier(identifier.clone()),
            ));
        }
    }
    if let Some(key) = key {
        probes.push((MatchRule::MatchKey, Probe::MatchKey(key.to_string())));
    }
    probes
}

/// The first probe that found a bib, given what each probe found (in probe order).
pub fn first_match<T: Copy>(found: &[(MatchRule, Option<T>)]) -> Option<(MatchRule, T)> {
    found
        .iter()
        .find_map(|(rule, bib)| bib.map(|bib| (*rule, bib)))
}

// Test tables are written inline as nested tuples, which reads better than named aliases here.
#[allow(clippy::type_complexity)]
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_names_are_trimmed_sorted_and_checked() {
        let named = location_names(
            "names",
            [
                ("REF", " Reference "),
                ("FIC", "Adult fiction"),
                ("LH", ""),
                ("FIC", "Adult fiction"),
            ],
        )
        .unwrap();
        let codes: Vec<(&str, &str)> = named
            .iter()
            .map(|(code, name)| (code.as_str(), name.as_str()))
            .collect();
        // An empty name leaves the code unnamed; the same pair twice is one.
        assert_eq!(codes, [("FIC", "Adult fiction"), ("REF", "Reference")]);

        let long = "x".repeat(LOCATION_NAME_MAX + 1);
        let errors = location_names(
            "names",
            [
                ("not a code", "Stacks"),
                ("FIC", "Adult fiction"),
                ("FIC", "Fiction"),
                ("ATTIC", long.as_str()),
                ("LH", "Local\nhistory"),
            ],
        )
        .unwrap_err();
        let reasons: Vec<&str> = errors.iter().map(|e| e.reason.as_str()).collect();
        assert_eq!(errors.len(), 4, "{reasons:?}");
        assert!(errors.iter().all(|e| e.field == "names"));
        assert!(
            reasons.iter().any(|r| r.contains("FIC is named twice")),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("ATTIC is longer than 80")),
            "{reasons:?}"
        );
        assert!(
            reasons.iter().any(|r| r.contains("LH has a line break")),
            "{reasons:?}"
        );
        // At most 80 characters, of any script.
        let eighty = "é".repeat(LOCATION_NAME_MAX);
        assert!(location_names("names", [("ATTIC", eighty.as_str())]).is_ok());
    }

    use concord_marc::{DataField, Leader, Tag};

    #[test]
    fn each_title_field_keeps_its_nonfiling_count_in_its_own_indicator() {
        let field =
            |tag: &str, i1: char, i2: char| DataField::new(Tag::parse(tag).unwrap(), i1, i2);
        assert_eq!(nonfiling_characters(&field("245", '1', '4')), 4);
        assert_eq!(nonfiling_characters(&field("240", '1', '2')), 2);
        assert_eq!(nonfiling_characters(&field("830", ' ', '4')), 4);
        assert_eq!(nonfiling_characters(&field("130", '4', ' ')), 4);
        assert_eq!(nonfiling_characters(&field("740", '2', '2')), 2);
        // A 246's indicators say what kind of title it is, never how it files.
        assert_eq!(nonfiling_characters(&field("246", '3', '1')), 0);
        assert_eq!(nonfiling_characters(&field("245", '1', ' ')), 0);
    }

    fn record(fields: &[(&str, char, char, &[(char, &str)])], control_008: Option<&str>) -> Record {
        let mut record = Record::new(Leader::new(b'a', b'm'));
        if let Some(value) = control_008 {
            record.push_control(Tag::parse("008").unwrap(), value);
        }
        for (tag, i1, i2, subfields) in fields {
            let mut field = DataField::new(Tag::parse(tag).unwrap(), *i1, *i2);
            for (code, value) in *subfields {
                field = field.with_subfield(*code, *value);
            }
            record.push_data(field);
        }
        record
    }

    #[test]
    fn statuses_round_trip_and_map_to_circulation() {
        for status in ItemStatus::ALL {
            assert_eq!(ItemStatus::parse("s", status.as_str()), Ok(status));
        }
        assert_eq!(
            ItemStatus::parse("s", "Reference"),
            Ok(ItemStatus::NotForLoan)
        );
        assert_eq!(ItemStatus::parse("s", "on loan"), Ok(ItemStatus::OnLoan));
        assert!(ItemStatus::parse("s", "borrowed").is_err());
        assert_eq!(
            ItemStatus::Damaged.for_circulation(),
            blocks::ItemStatus::NotForLoan
        );
        assert_eq!(
            ItemStatus::OnLoan.for_circulation(),
            blocks::ItemStatus::OnLoan
        );
    }

    fn check_key(
        fields: &[(&str, char, char, &[(char, &str)])],
        date: Option<&str>,
        expected: Option<&str>,
    ) {
        assert_eq!(
            match_key(&record(fields, date)).as_deref(),
            expected,
            "{fields:?}"
        );
    }

    #[test]
    fn an_item_is_hidden_by_its_flag_or_its_members_hidden_location() {
        let code = |text: &str| Code::parse("c", text).unwrap();
        let hidden = HiddenLocations::new([(MemberId(1), code("LOCAL"))]);
        let local = code("LOCAL");
        assert!(!hidden.item_visible_outside_member(MemberId(1), Some(&local), false));
        assert!(hidden.item_visible_outside_member(MemberId(2), Some(&local), false));
        assert!(hidden.item_visible_outside_member(MemberId(1), Some(&code("STACKS")), false));
        assert!(hidden.item_visible_outside_member(MemberId(1), None, false));
        assert!(!hidden.item_visible_outside_member(MemberId(2), None, true));
        assert_eq!(
            location_codes("l", split_code_list(" local, STACKS\nlocal ")).unwrap(),
            [code("LOCAL"), code("STACKS")]
        );
        assert_eq!(
            location_codes("l", split_code_list("")).unwrap(),
            Vec::<Code>::new()
        );
        let errors = location_codes("l", split_code_list("ok, bad!, also bad?")).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().all(|error| error.field == "l"));
        // A code with a space in it is one bad code, not two good ones.
        let errors = location_codes("l", ["local hist"]).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn match_keys_agree_with_or_without_any_accent() {
        let key = |title: &str, author: &str| {
            match_key(&record(
                &[
                    ("245", '1', '0', &[('a', title)]),
                    ("100", '1', ' ', &[('a', author)]),
                ],
                None,
            ))
        };
        assert_eq!(
            key("Slovanské tance", "Dvořák, Antonín"),
            key("Slovanske tance", "Dvorak, Antonin")
        );
        assert_eq!(key("Łódź Øst", "Æsop"), key("LODZ OST", "Aesop"));
    }

    #[test]
    fn titles_file_without_their_non_filing_characters() {
        let hobbit = record(
            &[(
                "245",
                '1',
                '4',
                &[('a', "The Hobbit, or, There and back again.")],
            )],
            None,
        );
        assert_eq!(filing_title_key(&hobbit), "hobbit or there and back again");
        let die_hard = record(&[("245", '1', '0', &[('a', "Die hard")])], None);
        assert_eq!(filing_title_key(&die_hard), "die hard");
        assert_eq!(filing_title_key(&record(&[], None)), "");
        let stored = concord_marc::to_iso2709(&hobbit).unwrap();
        assert_eq!(
            keys_of_stored(&stored, "ignored"),
            (
                "hobbit or there and back again".to_owned(),
                Some(Some("hobbit or there and back again|||am".to_owned()))
            )
        );
        assert_eq!(
            keys_of_stored(b"not marc", "Étude"),
            ("etude".to_owned(), None)
        );
    }

    #[test]
    fn typed_titles_are_looked_up_with_and_without_a_leading_article() {
        assert_eq!(title_lookup_keys("The Hob"), ["hob", "the hob"]);
        assert_eq!(title_lookup_keys("L'étranger"), ["etranger", "l etranger"]);
        assert_eq!(title_lookup_keys("die hard"), ["hard", "die hard"]);
        assert_eq!(title_lookup_keys("hobbit"), ["hobbit"]);
        assert_eq!(title_lookup_keys("the"), ["the"]);
        assert_eq!(without_leading_article("l etranger"), Some("etranger"));
        assert_eq!(without_leading_article("hobbit"), None);
        assert!(title_lookup_keys(" %! ").is_empty());
    }

    #[test]
    fn match_keys_ignore_punctuation_case_articles_and_accents() {
        let year = Some("960718s1996    nyu           000 1 eng d");
        check_key(
            &[
                (
                    "245",
                    '1',
                    '4',
                    &[
                        ('a', "The amazing adventures of Kavalier and Clay :"),
                        ('b', "a novel /"),
                        ('c', "Michael Chabon."),
                    ],
                ),
                ("100", '1', ' ', &[('a', "Chabon, Michael.")]),
            ],
            year,
            Some("amazing adventures of kavalier and clay a novel|chabon|1996|am"),
        );
        check_key(
            &[
                (
                    "245",
                    '0',
                    '0',
                    &[('a', "AMAZING adventures of Kavalier & Clay: a novel")],
                ),
                ("100", '1', ' ', &[('a', "CHABON, M.")]),
            ],
            year,
            Some("amazing adventures of kavalier clay a novel|chabon|1996|am"),
        );
        check_key(
            &[
                ("245", '0', '0', &[('a', "Médecine")]),
                ("260", ' ', ' ', &[('c', "c1923.")]),
            ],
            None,
            Some("medecine||1923|am"),
        );
        check_key(&[("100", '1', ' ', &[('a', "Nobody")])], year, None);
        // Two Nepali titles that differ by a vowel sign are two books: their keys keep the marks
        // that spell them, a virama within its word.
        check_key(
            &[
                ("245", '1', '0', &[('a', "कला र संस्कृति /")]),
                ("100", '1', ' ', &[('a', "शर्मा, कृष्ण.")]),
            ],
            year,
            Some("कला र संस्कृति|शर्मा|1996|am"),
        );
        check_key(
            &[
                ("245", '1', '0', &[('a', "काल र संस्कृति /")]),
                ("100", '1', ' ', &[('a', "शर्मा, कृष्ण.")]),
            ],
            year,
            Some("काल र संस्कृति|शर्मा|1996|am"),
        );
    }

    #[test]
    fn summaries_trim_isbd_punctuation() {
        let summary = summarise(&record(
            &[
                (
                    "245",
                    '1',
                    '0',
                    &[('a', "Cats :"), ('b', "a history /"), ('c', "by X.")],
                ),
                ("100", '1', ' ', &[('a', "Smith, Jane,"), ('d', "1950-")]),
                ("264", ' ', '1', &[('c', "[2019]")]),
            ],
            None,
        ));
        assert_eq!(summary.title, "Cats : a history");
        assert_eq!(summary.author, "Smith, Jane, 1950-");
        assert_eq!(summary.publication_year, Some(2019));
    }

    #[test]
    fn identifiers_are_probed_before_the_match_key_in_rule_order() {
        let ids = identifiers::identifiers(&record(
            &[
                ("020", ' ', ' ', &[('a', "0679450041 (pbk.)")]),
                ("022", ' ', ' ', &[('a', "0012-5768")]),
                ("010", ' ', ' ', &[('a', "  66-17874 ")]),
                ("035", ' ', ' ', &[('a', "(OCoLC)ocm00012345")]),
                ("035", ' ', ' ', &[('a', "(Sirsi) a1")]),
            ],
            None,
        ));
        let rules: Vec<MatchRule> = match_probes(&ids, Some("key"))
            .into_iter()
            .map(|(rule, _)| rule)
            .collect();
        assert_eq!(
            rules,
            [
                MatchRule::Oclc,
                MatchRule::Lccn,
                MatchRule::Isbn,
                MatchRule::Issn,
                MatchRule::MatchKey
            ]
        );
        assert_eq!(match_probes(&[], None), []);
    }

    #[test]
    fn the_first_rule_that_finds_a_bib_wins() {
        let cases: &[(&[(MatchRule, Option<i64>)], Option<(MatchRule, i64)>)] = &[
            (
                &[
                    (MatchRule::Oclc, None),
                    (MatchRule::Isbn, Some(7)),
                    (MatchRule::MatchKey, Some(9)),
                ],
                Some((MatchRule::Isbn, 7)),
            ),
            (
                &[(MatchRule::Oclc, Some(3)), (MatchRule::Isbn, Some(7))],
                Some((MatchRule::Oclc, 3)),
            ),
            (
                &[(MatchRule::Isbn, None), (MatchRule::MatchKey, None)],
                None,
            ),
            (
                &[(MatchRule::MatchKey, Some(1))],
                Some((MatchRule::MatchKey, 1)),
            ),
        ];
        for (found, expected) in cases {
            assert_eq!(first_match(found), *expected, "{found:?}");
        }
    }
}
