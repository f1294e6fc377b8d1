//! What a record page says of a record beyond the fields it is searched by: the statement of
//! responsibility, uniform title, edition, publication statements, physical description,
//! summaries, contents, the other notes a reader may want, and links to the resource online
//! (MARC21 245 $c, 130/240, 250, 260/264, 300, 5XX, 856). Pure: made from the record alone.
//!
//! **Invariant:** only notes meant for the public are described. Local notes (59X), the source
//! of acquisition (541, which names donors and prices), action notes (583) and the like are
//! not; what a record itself marks private is not shown at all ([`remove_private`]). A link is
//! only ever an `http` or `https` address.

use concord_marc::{DataField, Field, Record};
use serde::Serialize;

use crate::document::{readable_text, trim_punctuation};

/// The description of one record, in the order a record page shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Description {
    /// 245 $c: who wrote, edited, directed or performed it, as the title page says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responsibility: Option<String>,
    /// 130 or 240: the title the work is known by, when this edition has another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uniform_title: Option<String>,
    /// 250: "2nd edition", "Large print edition".
    pub editions: Vec<String>,
    /// 260 and 264: where, by whom and when it was published, produced, distributed or
    /// manufactured, and its copyright date.
    pub publication: Vec<Publication>,
    /// 300: "1 videodisc (93 min.) : sound, color ; 4 3/4 in."
    pub physical: Vec<String>,
    /// 520: summaries, reviews, abstracts and content advice.
    pub summaries: Vec<Note>,
    /// 505: the parts it holds (chapters, songs, stories).
    pub contents: Vec<Contents>,
    /// The other notes, in the record's order.
    pub notes: Vec<Note>,
    /// 856: the resource itself, another version of it, or something related, online.
    pub online: Vec<OnlineLink>,
}

/// One publication statement (260, or 264 with its function in the second indicator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Publication {
    pub role: PublicationRole,
    pub statement: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicationRole {
    Publication,
    Production,
    Distribution,
    Manufacture,
    Copyright,
}

impl PublicationRole {
    pub const ALL: [PublicationRole; 5] = [
        PublicationRole::Publication,
        PublicationRole::Production,
        PublicationRole::Distribution,
        PublicationRole::Manufacture,
        PublicationRole::Copyright,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PublicationRole::Publication => "publication",
            PublicationRole::Production => "production",
            PublicationRole::Distribution => "distribution",
            PublicationRole::Manufacture => "manufacture",
            PublicationRole::Copyright => "copyright",
        }
    }
}

/// A 505 contents note cut into its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contents {
    pub completeness: Completeness,
    pub entries: Vec<String>,
}

/// Whether a contents note lists every part (505 first indicator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Completeness {
    Complete,
    Incomplete,
    Partial,
}

impl Completeness {
    pub const ALL: [Completeness; 3] = [
        Completeness::Complete,
        Completeness::Incomplete,
        Completeness::Partial,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Completeness::Complete => "complete",
            Completeness::Incomplete => "incomplete",
            Completeness::Partial => "partial",
        }
    }
}

/// A note and what kind it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub kind: NoteKind,
    pub text: String,
}

/// The kinds of note a record page labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    // 520, by its first indicator.
    Summary,
    Subject,
    Review,
    Scope,
    Abstract,
    ContentAdvice,
    // The other notes.
    General,
    With,
    Dissertation,
    Bibliography,
    Access,
    Credits,
    Performers,
    Cast,
    Event,
    Numbering,
    Audience,
    Supplement,
    OtherFormats,
    Reproduction,
    SystemDetails,
    Biography,
    Language,
    IssuingBody,
    Index,
    Linking,
    Awards,
}

impl NoteKind {
    /// The kind's name, as the JSON record and the message catalogue write it.
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::Summary => "summary",
            NoteKind::Subject => "subject",
            NoteKind::Review => "review",
            NoteKind::Scope => "scope",
            NoteKind::Abstract => "abstract",
            NoteKind::ContentAdvice => "content_advice",
            NoteKind::General => "general",
            NoteKind::With => "with",
            NoteKind::Dissertation => "dissertation",
            NoteKind::Bibliography => "bibliography",
            NoteKind::Access => "access",
            NoteKind::Credits => "credits",
            NoteKind::Performers => "performers",
            NoteKind::Cast => "cast",
            NoteKind::Event => "event",
            NoteKind::Numbering => "numbering",
            NoteKind::Audience => "audience",
            NoteKind::Supplement => "supplement",
            NoteKind::OtherFormats => "other_formats",
            NoteKind::Reproduction => "reproduction",
            NoteKind::SystemDetails => "system_details",
            NoteKind::Biography => "biography",
            NoteKind::Language => "language",
            NoteKind::IssuingBody => "issuing_body",
            NoteKind::Index => "index",
            NoteKind::Linking => "linking",
            NoteKind::Awards => "awards",
        }
    }

    pub const ALL: [NoteKind; 27] = [
        NoteKind::Summary,
        NoteKind::Subject,
        NoteKind::Review,
        NoteKind::Scope,
        NoteKind::Abstract,
        NoteKind::ContentAdvice,
        NoteKind::General,
        NoteKind::With,
        NoteKind::Dissertation,
        NoteKind::Bibliography,
        NoteKind::Access,
        NoteKind::Credits,
        NoteKind::Performers,
        NoteKind::Cast,
        NoteKind::Event,
        NoteKind::Numbering,
        NoteKind::Audience,
        NoteKind::Supplement,
        NoteKind::OtherFormats,
        NoteKind::Reproduction,
        NoteKind::SystemDetails,
        NoteKind::Biography,
        NoteKind::Language,
        NoteKind::IssuingBody,
        NoteKind::Index,
        NoteKind::Linking,
        NoteKind::Awards,
    ];
}

/// A link from an 856 field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnlineLink {
    /// An `http` or `https` address; one without a scheme is taken as `http`.
    pub url: String,
    /// What the link is to: $y (link text), else $3 (materials: "Sample text", "2000-2001").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// $z, the public note ("Available to members of this library").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub relationship: LinkRelationship,
}

/// What an 856 links to (its second indicator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkRelationship {
    /// 0, or no information: the resource itself (an e-book, a streamed film).
    Resource,
    /// 1: another version of it (a digitised copy of a printed book).
    Version,
    /// 2: something related (a table of contents, a publisher's description, a cover).
    Related,
}

impl LinkRelationship {
    pub const ALL: [LinkRelationship; 3] = [
        LinkRelationship::Resource,
        LinkRelationship::Version,
        LinkRelationship::Related,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LinkRelationship::Resource => "resource",
            LinkRelationship::Version => "version",
            LinkRelationship::Related => "related",
        }
    }
}

/// The notes described besides 505 and 520, by tag: the kind (or the kind for each first
/// indicator) and the subfields that make the text.
const NOTES: &[(&str, NoteKind, &str)] = &[
    ("500", NoteKind::General, "a"),
    ("501", NoteKind::With, "a"),
    ("502", NoteKind::Dissertation, "abcdgo"),
    ("504", NoteKind::Bibliography, "ab"),
    ("506", NoteKind::Access, "abcdef"),
    ("508", NoteKind::Credits, "a"),
    ("511", NoteKind::Performers, "a"),
    ("515", NoteKind::Numbering, "a"),
    ("518", NoteKind::Event, "adop"),
    ("521", NoteKind::Audience, "ab"),
    ("525", NoteKind::Supplement, "a"),
    ("530", NoteKind::OtherFormats, "abcd"),
    ("533", NoteKind::Reproduction, "abcdefmn"),
    ("538", NoteKind::SystemDetails, "ai"),
    ("545", NoteKind::Biography, "ab"),
    ("546", NoteKind::Language, "ab"),
    ("550", NoteKind::IssuingBody, "a"),
    ("555", NoteKind::Index, "abcd"),
    ("580", NoteKind::Linking, "a"),
    ("586", NoteKind::Awards, "a"),
];

/// The fields whose first indicator says whether they are private (`0`): the source of
/// acquisition (541), ownership and custodial history (561) and action notes (583).
const PRIVATE_BY_FIRST_INDICATOR: [&str; 3] = ["541", "561", "583"];

/// The fields whose `$x` is a nonpublic note.
const NONPUBLIC_NOTE_IN_X: [&str; 7] = ["541", "583", "852", "856", "876", "877", "878"];

/// Takes out of `record` what MARC21 marks as not for the public: the 541, 561 and 583 fields
/// whose first indicator is `0` (private), and the nonpublic notes (`$x`) of the fields that
/// have them. What the public sees of a record (its page, MARC view and exports) is what is
/// left.
pub fn remove_private(record: &mut Record) {
    record.fields.retain(|field| match field {
        Field::Data(data) => {
            !(data.indicator1 == '0' && PRIVATE_BY_FIRST_INDICATOR.contains(&data.tag.as_str()))
        }
        Field::Control(_) => true,
    });
    for field in &mut record.fields {
        if let Field::Data(data) = field
            && NONPUBLIC_NOTE_IN_X.contains(&data.tag.as_str())
        {
            data.subfields.retain(|subfield| subfield.code != 'x');
        }
    }
}

/// The description of `record`.
pub fn describe(record: &Record) -> Description {
    let mut description = Description {
        responsibility: record
            .fields("245")
            .find_map(|field| field.subfield('c'))
            .map(trim_punctuation)
            .filter(|text| !text.is_empty()),
        uniform_title: ["130", "240"].iter().find_map(|tag| {
            record
                .fields(tag)
                .map(|field| statement(field, "adfgklmnoprs"))
                .find(|text| !text.is_empty())
        }),
        ..Description::default()
    };
    description.editions = texts(record, "250", "ab");
    for field in record.data_fields() {
        let role = match (field.tag.as_str(), field.indicator2) {
            ("260", _) | ("264", '1') => PublicationRole::Publication,
            ("264", '0') => PublicationRole::Production,
            ("264", '2') => PublicationRole::Distribution,
            ("264", '3') => PublicationRole::Manufacture,
            ("264", '4') => PublicationRole::Copyright,
            _ => continue,
        };
        let statement = statement(field, "abcefg");
        if !statement.is_empty() {
            description
                .publication
                .push(Publication { role, statement });
        }
    }
    description.physical = texts(record, "300", "3abcefg");
    for field in record.fields("520") {
        let kind = match field.indicator1 {
            '0' => NoteKind::Subject,
            '1' => NoteKind::Review,
            '2' => NoteKind::Scope,
            '3' => NoteKind::Abstract,
            '4' => NoteKind::ContentAdvice,
            _ => NoteKind::Summary,
        };
        let text = statement(field, "ab");
        if !text.is_empty() {
            description.summaries.push(Note { kind, text });
        }
    }
    for field in record.fields("505") {
        let entries = contents_entries(field);
        if entries.is_empty() {
            continue;
        }
        let completeness = match field.indicator1 {
            '1' => Completeness::Incomplete,
            '2' => Completeness::Partial,
            _ => Completeness::Complete,
        };
        description.contents.push(Contents {
            completeness,
            entries,
        });
    }
    for field in record.data_fields() {
        let Some((_, kind, codes)) = NOTES.iter().find(|(tag, _, _)| *tag == field.tag.as_str())
        else {
            continue;
        };
        let kind = match (kind, field.indicator1) {
            (NoteKind::Performers, '1') => NoteKind::Cast,
            (kind, _) => *kind,
        };
        let text = statement(field, codes);
        if !text.is_empty() {
            description.notes.push(Note { kind, text });
        }
    }
    description.online = record.fields("856").flat_map(online_links).collect();
    description
}

/// The subfields with these codes, in the record's order, joined with spaces and read as
/// [`readable_text`], without the separators (" /", " :", " ;", ",", " =") ISBD puts before
/// what no longer follows. A final full stop is kept: notes are sentences.
fn statement(field: &DataField, codes: &str) -> String {
    let joined = field
        .subfields
        .iter()
        .filter(|subfield| codes.contains(subfield.code))
        .map(|subfield| subfield.value.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    readable_text(&joined)
        .trim_end_matches([' ', '/', ':', ';', ',', '='])
        .to_owned()
}

fn texts(record: &Record, tag: &str, codes: &str) -> Vec<String> {
    record
        .fields(tag)
        .map(|field| statement(field, codes))
        .filter(|text| !text.is_empty())
        .collect()
}

/// A 505's entries: the basic form (all in $a) and the enhanced one ($g, $t and $r for each
/// part) both separate parts with "--" (" -- " since AACR2, without spaces in older records).
/// A "--" between digits joins a range ("1914--1918") and separates nothing. `$u` (an
/// address) is not part of the text.
fn contents_entries(field: &DataField) -> Vec<String> {
    let joined = field
        .subfields
        .iter()
        .filter(|subfield| "agrt".contains(subfield.code))
        .map(|subfield| subfield.value.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let text = readable_text(&joined);
    let mut entries = Vec::new();
    let mut start = 0;
    for (at, _) in text.match_indices("--") {
        let before = text.get(..at).and_then(|head| head.chars().next_back());
        let after = text.get(at + 2..).and_then(|tail| tail.chars().next());
        let range =
            before.is_some_and(|c| c.is_ascii_digit()) && after.is_some_and(|c| c.is_ascii_digit());
        if at >= start && !range {
            entries.push(text.get(start..at).unwrap_or_default());
            start = at + 2;
        }
    }
    entries.push(text.get(start..).unwrap_or_default());
    entries
        .into_iter()
        .map(trim_punctuation)
        .filter(|entry| !entry.is_empty())
        .collect()
}

/// Each address ($u) of an 856 that a browser may follow, with its text and note.
fn online_links(field: &DataField) -> Vec<OnlineLink> {
    let relationship = match field.indicator2 {
        '1' => LinkRelationship::Version,
        '2' => LinkRelationship::Related,
        _ => LinkRelationship::Resource,
    };
    let text = field
        .subfield('y')
        .or_else(|| field.subfield('3'))
        .map(trim_punctuation)
        .filter(|text| !text.is_empty());
    let note = {
        let notes: Vec<String> = field.subfields('z').map(readable_text).collect();
        let joined = notes.join(" ");
        (!joined.is_empty()).then_some(joined)
    };
    field
        .subfields('u')
        .filter_map(web_address)
        .map(|url| OnlineLink {
            url,
            text: text.clone(),
            note: note.clone(),
            relationship,
        })
        .collect()
}

/// `value` as an address a link may hold: `http` or `https` (any case), or a host and path
/// without a scheme (`www.example.org/book`), which is taken as `http`. Anything else
/// (`javascript:`, `data:`, `file:`, an address with spaces or controls) is no link.
fn web_address(value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let scheme_end = value.find(':');
    let scheme = scheme_end.map(|end| &value[..end]);
    match scheme {
        Some(scheme)
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            let rest = &value[scheme.len() + 1..];
            let host = rest.strip_prefix("//")?;
            (!host.is_empty() && !host.starts_with('/'))
                .then(|| format!("{}:{rest}", scheme.to_ascii_lowercase()))
        }
        // "www.example.org:8080/x" has a colon after a dot: a host with a port, not a scheme.
        Some(scheme) if !scheme.contains('.') => None,
        _ => {
            let host = value.split(['/', '?', '#']).next().unwrap_or("");
            (host.contains('.') && !value.starts_with('/')).then(|| format!("http://{value}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::data_field as field;
    use concord_marc::{Leader, read_iso2709};
    use std::path::PathBuf;

    fn record(fields: Vec<DataField>) -> Record {
        let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        for field in fields {
            record.push_data(field);
        }
        record
    }

    /// The first record of a file under fixtures/marc.
    fn fixture(path: &str) -> Record {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/marc")
            .join(path);
        let bytes = std::fs::read(&path).unwrap();
        read_iso2709(&bytes).next().unwrap().unwrap()
    }

    #[test]
    fn a_film_is_described_as_its_record_gives_it() {
        // An RDA record of a DVD from Evergreen's test data.
        let description = describe(&fixture("evergreen/RDA_record_DVD_Jorge_Mautner.mrc"));
        assert_eq!(
            description.responsibility.as_deref(),
            Some(
                "Globo Filmes, Canal Brasil, Pedro Bial e UNIP apresentam ; produção, Carlos \
                 Wanderley ; um filme de Pedro Bial e Heitor Alincourt"
            )
        );
        assert_eq!(
            description.publication,
            vec![
                Publication {
                    role: PublicationRole::Publication,
                    statement: "[Rio de Janeiro, Brazil] : [publisher not identified], ℗2012."
                        .into(),
                },
                Publication {
                    role: PublicationRole::Copyright,
                    statement: "©2013".into(),
                },
            ]
        );
        assert_eq!(
            description.physical,
            ["viewing copy 1 videodisc (93 min.) : sound, color ; 4 3/4 in."]
        );
        assert_eq!(description.summaries.len(), 1);
        assert_eq!(description.summaries[0].kind, NoteKind::Summary);
        assert!(
            description.summaries[0]
                .text
                .starts_with("The Brazilian singer, violinist and writer Jorge Mautner")
        );
        let kinds: Vec<(NoteKind, &str)> = description
            .notes
            .iter()
            .map(|note| (note.kind, note.text.as_str()))
            .collect();
        assert!(
            kinds.contains(&(
                NoteKind::Language,
                "In Portuguese and some German, with optional English, French and Spanish subtitles."
            )),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&(
                NoteKind::SystemDetails,
                "DVD; 16x9 format; 5.1 surround and 2.0 stereo."
            )),
            "{kinds:?}"
        );
        assert!(kinds.contains(&(NoteKind::General, "Not viewed.")));
    }

    #[test]
    fn contents_are_cut_into_their_parts() {
        // A score's formatted contents note, from Evergreen's test data.
        let description = describe(&fixture(
            "evergreen/RDA_record_SCORE-CD_Arias_for_soprano.mrc",
        ));
        let contents = &description.contents[0];
        assert_eq!(contents.completeness, Completeness::Complete);
        assert_eq!(contents.entries.len(), 23, "{:?}", contents.entries);
        assert_eq!(
            contents.entries[0],
            "The ballad of Baby Doe. Willow song. The silver aria / Douglas Moore"
        );
        assert_eq!(
            contents.entries[22],
            "Die Zauberflöte. Ach ich fühl's / Wolfgang Amadeus Mozart"
        );
        // The enhanced form: a title and its author in $t and $r for each part.
        let enhanced = describe(&record(vec![field(
            "505",
            ('1', '0'),
            &[
                ('g', "1."),
                ('t', "Chapter one /"),
                ('r', "A. Smith --"),
                ('t', "Chapter two --"),
                ('t', "Epilogue."),
            ],
        )]));
        // Older records write "--" without spaces; a range of years is no separator.
        let older = describe(&record(vec![field(
            "505",
            ('0', ' '),
            &[('a', "The war, 1914--1918--The peace--Index.")],
        )]));
        assert_eq!(
            older.contents[0].entries,
            ["The war, 1914--1918", "The peace", "Index"]
        );
        assert_eq!(
            enhanced.contents,
            vec![Contents {
                completeness: Completeness::Incomplete,
                entries: vec![
                    "1. Chapter one / A. Smith".into(),
                    "Chapter two".into(),
                    "Epilogue".into(),
                ],
            }]
        );
    }

    #[test]
    fn links_are_the_records_web_addresses_and_only_those() {
        // Library of Congress's links to a biography, a sample and a description.
        let description = describe(&fixture("marc4j/chabon-loc.mrc"));
        let links: Vec<(&str, Option<&str>, LinkRelationship)> = description
            .online
            .iter()
            .map(|link| (link.url.as_str(), link.text.as_deref(), link.relationship))
            .collect();
        assert_eq!(
            links,
            [
                (
                    "http://www.loc.gov/catdir/bios/random052/00029063.html",
                    Some("Contributor biographical information"),
                    LinkRelationship::Related
                ),
                (
                    "http://www.loc.gov/catdir/samples/random044/00029063.html",
                    Some("Sample text"),
                    LinkRelationship::Version
                ),
                (
                    "http://www.loc.gov/catdir/description/random0411/00029063.html",
                    Some("Publisher description"),
                    LinkRelationship::Related
                ),
            ]
        );
        let made = describe(&record(vec![
            field(
                "856",
                ('4', '0'),
                &[
                    ('u', "HTTPS://ebooks.example.org/title/1"),
                    ('u', "javascript:alert(1)"),
                    ('u', "data:text/html,<b>x</b>"),
                    ('u', "http://"),
                    ('y', "Read this e-book"),
                    ('z', "For members of this library."),
                ],
            ),
            field("856", ('4', ' '), &[('u', "www.example.org:8080/a b")]),
            field("856", ('4', ' '), &[('u', "www.example.org:8080/ab")]),
            field("856", ('4', ' '), &[('u', "file:///etc/passwd")]),
            field("856", ('4', ' '), &[('u', "/relative/path")]),
        ]));
        assert_eq!(
            made.online,
            vec![
                OnlineLink {
                    url: "https://ebooks.example.org/title/1".into(),
                    text: Some("Read this e-book".into()),
                    note: Some("For members of this library.".into()),
                    relationship: LinkRelationship::Resource,
                },
                OnlineLink {
                    url: "http://www.example.org:8080/ab".into(),
                    text: None,
                    note: None,
                    relationship: LinkRelationship::Resource,
                },
            ]
        );
    }

    #[test]
    fn notes_keep_their_kinds_and_private_ones_stay_out() {
        let description = describe(&record(vec![
            field("130", ('0', ' '), &[('a', "Britain (London, England)")]),
            field("240", ('1', '0'), &[('a', "Ignored."), ('l', "French")]),
            field(
                "250",
                (' ', ' '),
                &[('a', "2nd ed. /"), ('b', "rev. by J. Smith.")],
            ),
            field("511", ('1', ' '), &[('a', "Meryl Streep, Tom Hanks.")]),
            field("511", ('0', ' '), &[('a', "London Symphony Orchestra.")]),
            field("520", ('4', ' '), &[('a', "Contains violence.")]),
            field(
                "520",
                ('1', ' '),
                &[('a', "A fine book"), ('b', "said a reviewer.")],
            ),
            field("521", ('2', ' '), &[('a', "7-10.")]),
            field(
                "541",
                (' ', ' '),
                &[('a', "Gift of A. Donor"), ('c', "$25.00")],
            ),
            field("583", (' ', ' '), &[('a', "weeded")]),
            field("590", (' ', ' '), &[('a', "Local note")]),
            field("586", (' ', ' '), &[('a', "Caldecott Medal, 2001.")]),
            field(
                "504",
                (' ', ' '),
                &[('a', "Includes bibliographical references.")],
            ),
        ]));
        assert_eq!(
            description.uniform_title.as_deref(),
            Some("Britain (London, England)")
        );
        assert_eq!(description.editions, ["2nd ed. / rev. by J. Smith."]);
        assert_eq!(
            description.summaries,
            vec![
                Note {
                    kind: NoteKind::ContentAdvice,
                    text: "Contains violence.".into()
                },
                Note {
                    kind: NoteKind::Review,
                    text: "A fine book said a reviewer.".into()
                },
            ]
        );
        let notes: Vec<(NoteKind, &str)> = description
            .notes
            .iter()
            .map(|note| (note.kind, note.text.as_str()))
            .collect();
        assert_eq!(
            notes,
            [
                (NoteKind::Cast, "Meryl Streep, Tom Hanks."),
                (NoteKind::Performers, "London Symphony Orchestra."),
                (NoteKind::Audience, "7-10."),
                (NoteKind::Awards, "Caldecott Medal, 2001."),
                (
                    NoteKind::Bibliography,
                    "Includes bibliographical references."
                ),
            ]
        );
    }

    #[test]
    fn what_a_record_marks_private_is_taken_out() {
        let mut made = record(vec![
            field("245", ('0', '0'), &[('a', "Title")]),
            field(
                "541",
                ('0', ' '),
                &[('a', "Gift of A. Donor"), ('h', "$25.00")],
            ),
            field(
                "541",
                ('1', ' '),
                &[('a', "Bought from a bookseller"), ('x', "Paid twice")],
            ),
            field("561", ('0', ' '), &[('a', "From a private collection")]),
            field("561", (' ', ' '), &[('a', "Owned by the poet")]),
            field("583", ('0', ' '), &[('a', "condition reviewed")]),
            field(
                "856",
                ('4', '0'),
                &[('u', "https://example.org"), ('x', "Licence ends 2027")],
            ),
        ]);
        remove_private(&mut made);
        let kept: Vec<String> = made
            .data_fields()
            .map(|field| {
                let values: Vec<&str> = field.subfields.iter().map(|s| s.value.as_str()).collect();
                format!("{} {}", field.tag.as_str(), values.join("|"))
            })
            .collect();
        assert_eq!(
            kept,
            [
                "245 Title",
                "541 Bought from a bookseller",
                "561 Owned by the poet",
                "856 https://example.org",
            ]
        );
    }

    #[test]
    fn a_record_with_none_of_it_has_an_empty_description() {
        let description = describe(&record(vec![field("245", ('0', '0'), &[('a', "Title")])]));
        assert_eq!(description, Description::default());
    }
}
