//! The in-memory MARC21 record: leader, control fields and data fields, always held as UTF-8.

use std::fmt;

/// A MARC field tag: exactly three ASCII letters or digits (`245`, `001`, and the local
/// alphabetic tags some systems export, such as Aleph's `FMT` or `CAT`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag([u8; 3]);

/// Why a string is not a MARC tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a MARC tag (three ASCII letters or digits)")]
pub struct TagError {
    /// The rejected text, kept for the message.
    pub text: String,
}

impl Tag {
    /// Parses a tag from text.
    pub fn parse(text: &str) -> Result<Tag, TagError> {
        Tag::from_bytes(text.as_bytes()).map_err(|_| TagError {
            text: text.to_owned(),
        })
    }

    /// Parses a tag from the three bytes of an ISO 2709 directory entry.
    pub fn from_bytes(bytes: &[u8]) -> Result<Tag, TagError> {
        match bytes {
            [a, b, c] if [a, b, c].iter().all(|byte| byte.is_ascii_alphanumeric()) => {
                Ok(Tag([*a, *b, *c]))
            }
            _ => Err(TagError {
                text: String::from_utf8_lossy(bytes).into_owned(),
            }),
        }
    }

    /// The tag as text.
    pub fn as_str(&self) -> &str {
        // The constructor admits only ASCII alphanumerics, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// The tag's three bytes.
    pub fn as_bytes(&self) -> &[u8; 3] {
        &self.0
    }

    /// Control fields (`001`–`009`, and `000` which some systems emit) have no indicators or
    /// subfields. This is the rule yaz and pymarc use: "00" followed by a digit.
    pub fn is_control(&self) -> bool {
        self.0[0] == b'0' && self.0[1] == b'0' && self.0[2].is_ascii_digit()
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({})", self.as_str())
    }
}

impl std::str::FromStr for Tag {
    type Err = TagError;
    fn from_str(text: &str) -> Result<Tag, TagError> {
        Tag::parse(text)
    }
}

/// The 24-character record leader.
///
/// **Invariant:** every byte is printable ASCII (0x20–0x7E). Readers replace anything else
/// with a space, so the leader can always be shown and written to XML.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Leader([u8; 24]);

/// The character coding a record declares in leader/09.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharacterCoding {
    /// leader/09 blank (or anything but `a`, as yaz and pymarc read it).
    Marc8,
    /// leader/09 `a`.
    Utf8,
}

impl Leader {
    /// A leader for a new record of the given type and bibliographic level, UTF-8, with the
    /// standard `22` and `4500` entry map; lengths are filled in when written.
    pub fn new(record_type: u8, bibliographic_level: u8) -> Leader {
        let mut leader = *b"00000nam a2200000   4500";
        leader[6] = sanitize_leader_byte(record_type);
        leader[7] = sanitize_leader_byte(bibliographic_level);
        Leader(leader)
    }

    /// Builds a leader from 24 bytes, replacing non-printable bytes with spaces.
    pub fn from_bytes(bytes: [u8; 24]) -> Leader {
        Leader(bytes.map(sanitize_leader_byte))
    }

    /// Builds a leader from text that must be exactly 24 characters long.
    pub fn parse(text: &str) -> Option<Leader> {
        let bytes: [u8; 24] = text.as_bytes().try_into().ok()?;
        Some(Leader::from_bytes(bytes))
    }

    /// The leader's bytes.
    pub fn as_bytes(&self) -> &[u8; 24] {
        &self.0
    }

    /// The leader as text.
    pub fn as_str(&self) -> &str {
        // Invariant above: always ASCII.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// One position of the leader as a character (`position` 0–23; anything else is a space).
    pub fn get(&self, position: usize) -> char {
        self.0.get(position).map_or(' ', |byte| char::from(*byte))
    }

    /// Sets one position; out-of-range positions are ignored and non-printable bytes become
    /// spaces, keeping the invariant.
    pub fn set(&mut self, position: usize, value: u8) {
        if let Some(slot) = self.0.get_mut(position) {
            *slot = sanitize_leader_byte(value);
        }
    }

    /// Makes the leader describe the in-memory record: text in UTF-8 (09 `a`), two
    /// indicators and one-character subfield codes (10-11 `22`), and MARC21's directory
    /// entry map (20-23 `4500`). Readers call this after using whatever the input declared
    /// to parse it, so a record reads back equal after being written.
    pub fn normalize_for_marc21(&mut self) {
        self.0[9] = b'a';
        self.0[10] = b'2';
        self.0[11] = b'2';
        self.0[20] = b'4';
        self.0[21] = b'5';
        self.0[22] = b'0';
        self.0[23] = b'0';
    }

    /// leader/09 as a coding.
    pub fn character_coding(&self) -> CharacterCoding {
        if self.0[9] == b'a' {
            CharacterCoding::Utf8
        } else {
            CharacterCoding::Marc8
        }
    }
}

fn sanitize_leader_byte(byte: u8) -> u8 {
    if (0x20..=0x7e).contains(&byte) {
        byte
    } else {
        b' '
    }
}

impl fmt::Display for Leader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Leader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Leader({:?})", self.as_str())
    }
}

/// A subfield: a one-character code and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subfield {
    /// The subfield code (`a`, `b`, `6`, ...).
    pub code: char,
    /// The value, in UTF-8.
    pub value: String,
}

impl Subfield {
    /// A subfield from a code and a value.
    pub fn new(code: char, value: impl Into<String>) -> Subfield {
        Subfield {
            code,
            value: value.into(),
        }
    }
}

/// A control field (`001`–`009`): a tag and an unstructured value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlField {
    /// The tag.
    pub tag: Tag,
    /// The value, in UTF-8.
    pub value: String,
}

/// A data field: a tag, two indicators and subfields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataField {
    /// The tag.
    pub tag: Tag,
    /// First indicator (a space when blank).
    pub indicator1: char,
    /// Second indicator (a space when blank).
    pub indicator2: char,
    /// The subfields in record order.
    pub subfields: Vec<Subfield>,
}

impl DataField {
    /// A data field with no subfields yet.
    pub fn new(tag: Tag, indicator1: char, indicator2: char) -> DataField {
        DataField {
            tag,
            indicator1,
            indicator2,
            subfields: Vec::new(),
        }
    }

    /// Adds a subfield, returning the field so calls can be chained when building records.
    pub fn with_subfield(mut self, code: char, value: impl Into<String>) -> DataField {
        self.subfields.push(Subfield::new(code, value));
        self
    }

    /// The value of the first subfield with this code.
    pub fn subfield(&self, code: char) -> Option<&str> {
        self.subfields(code).next()
    }

    /// The values of every subfield with this code, in order.
    pub fn subfields(&self, code: char) -> impl Iterator<Item = &str> {
        self.subfields
            .iter()
            .filter(move |subfield| subfield.code == code)
            .map(|subfield| subfield.value.as_str())
    }
}

/// A field of either kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// A control field (tag `00X`).
    Control(ControlField),
    /// A data field.
    Data(DataField),
}

impl Field {
    /// The field's tag.
    pub fn tag(&self) -> Tag {
        match self {
            Field::Control(field) => field.tag,
            Field::Data(field) => field.tag,
        }
    }
}

/// A MARC21 record. Field values are UTF-8 whatever the source encoding was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The leader. Positions 00–04 and 12–16 (lengths) are recomputed when written.
    pub leader: Leader,
    /// The fields in record order (which need not be tag order).
    pub fields: Vec<Field>,
}

impl Record {
    /// An empty record with the given leader.
    pub fn new(leader: Leader) -> Record {
        Record {
            leader,
            fields: Vec::new(),
        }
    }

    /// The value of the first control field with this tag (`record.control("001")`).
    pub fn control(&self, tag: &str) -> Option<&str> {
        self.fields.iter().find_map(|field| match field {
            Field::Control(control) if control.tag.as_str() == tag => Some(control.value.as_str()),
            _ => None,
        })
    }

    /// Every data field with this tag, in record order (`record.fields("650")`).
    pub fn fields(&self, tag: &str) -> impl Iterator<Item = &DataField> {
        self.data_fields()
            .filter(move |field| field.tag.as_str() == tag)
    }

    /// The first data field with this tag.
    pub fn field(&self, tag: &str) -> Option<&DataField> {
        self.fields(tag).next()
    }

    /// Every data field, in record order.
    pub fn data_fields(&self) -> impl Iterator<Item = &DataField> {
        self.fields.iter().filter_map(|field| match field {
            Field::Data(data) => Some(data),
            Field::Control(_) => None,
        })
    }

    /// Every control field, in record order.
    pub fn control_fields(&self) -> impl Iterator<Item = &ControlField> {
        self.fields.iter().filter_map(|field| match field {
            Field::Control(control) => Some(control),
            Field::Data(_) => None,
        })
    }

    /// Appends a control field.
    pub fn push_control(&mut self, tag: Tag, value: impl Into<String>) {
        self.fields.push(Field::Control(ControlField {
            tag,
            value: value.into(),
        }));
    }

    /// Appends a data field.
    pub fn push_data(&mut self, field: DataField) {
        self.fields.push(Field::Data(field));
    }

    /// leader/06, type of record (`a` language material, `z` authority, ...).
    pub fn record_type(&self) -> char {
        self.leader.get(6)
    }

    /// leader/07, bibliographic level (`m` monograph, `s` serial, ...).
    pub fn bibliographic_level(&self) -> char {
        self.leader.get(7)
    }

    /// Whether this is an authority record (leader/06 `z`).
    pub fn is_authority(&self) -> bool {
        self.record_type() == 'z'
    }

    /// The character coding leader/09 declares. Records read by this crate are always
    /// converted to UTF-8 and say so (`a`).
    pub fn encoding(&self) -> CharacterCoding {
        self.leader.character_coding()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_only_three_ascii_alphanumerics() {
        assert_eq!(Tag::parse("245").unwrap().as_str(), "245");
        assert_eq!(Tag::parse("FMT").unwrap().as_str(), "FMT");
        for bad in ["", "24", "2455", "24 ", "2é5", "24$"] {
            assert!(Tag::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn control_tags_are_00_and_a_digit() {
        assert!(Tag::parse("001").unwrap().is_control());
        assert!(Tag::parse("009").unwrap().is_control());
        assert!(!Tag::parse("010").unwrap().is_control());
        assert!(!Tag::parse("00A").unwrap().is_control());
        assert!(!Tag::parse("FMT").unwrap().is_control());
    }

    #[test]
    fn leader_replaces_unprintable_bytes() {
        let mut bytes = *b"01899cam  22004458a 4500";
        bytes[9] = 0x14;
        let leader = Leader::from_bytes(bytes);
        assert_eq!(leader.as_str(), "01899cam  22004458a 4500");
        assert_eq!(leader.character_coding(), CharacterCoding::Marc8);
    }

    #[test]
    fn record_helpers_find_fields_and_subfields() {
        let mut leader = Leader::new(b'z', b' ');
        leader.set(9, b'a');
        let mut record = Record::new(leader);
        record.push_control(Tag::parse("001").unwrap(), "n79021164");
        record.push_data(
            DataField::new(Tag::parse("650").unwrap(), ' ', '0')
                .with_subfield('a', "Cats")
                .with_subfield('x', "History")
                .with_subfield('x', "Juvenile"),
        );
        record.push_data(
            DataField::new(Tag::parse("650").unwrap(), ' ', '0').with_subfield('a', "Dogs"),
        );
        assert_eq!(record.control("001"), Some("n79021164"));
        assert_eq!(record.control("003"), None);
        assert_eq!(record.fields("650").count(), 2);
        let first = record.field("650").unwrap();
        assert_eq!(first.subfield('a'), Some("Cats"));
        assert_eq!(
            first.subfields('x').collect::<Vec<_>>(),
            ["History", "Juvenile"]
        );
        assert!(record.is_authority());
        assert_eq!(record.record_type(), 'z');
        assert_eq!(record.encoding(), CharacterCoding::Utf8);
    }
}
