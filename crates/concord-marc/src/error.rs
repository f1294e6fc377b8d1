//! Errors for one bad record: where it is in the input and exactly what is wrong with it.

use std::fmt;

/// One record that could not be read. Readers yield it in place of the record and go on with
/// the next one, so an import can report it and keep the good records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {record_number} (byte {byte_offset}): {kind}")]
pub struct RecordError {
    /// 1-based position of the record in the input, counting bad records too.
    pub record_number: u64,
    /// Byte offset of the start of the record (ISO 2709) or of the element or token where
    /// the problem was found (MARCXML).
    pub byte_offset: u64,
    /// What is wrong.
    pub kind: RecordErrorKind,
}

/// Where in a record a field sits, for messages: its position and its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPlace {
    /// 1-based position of the field (the directory entry number in ISO 2709).
    pub number: usize,
    /// The tag as found (it may not be a valid tag, hence text).
    pub tag: String,
}

impl fmt::Display for FieldPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field {} (tag {})", self.number, self.tag)
    }
}

/// The specific problem with a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordErrorKind {
    /// The first five bytes are not a decimal record length.
    #[error("record length {found:?} is not five digits")]
    BadRecordLength {
        /// The bytes found, shown as text.
        found: String,
    },
    /// Fewer than 24 bytes before the record terminator, or an XML leader of another length.
    #[error("leader is {length} bytes long, not 24")]
    LeaderNot24Bytes {
        /// The length found.
        length: usize,
    },
    /// Leader/12-16 is not a number, or points outside the record or inside the leader.
    #[error("base address {found:?} is outside the record (length {record_length})")]
    BadBaseAddress {
        /// The base address as found in the leader.
        found: String,
        /// The record's real length.
        record_length: usize,
    },
    /// The directory does not end in a field terminator or is not a whole number of entries.
    #[error("directory is malformed: {reason}")]
    DirectoryMalformed {
        /// What is wrong with it.
        reason: String,
    },
    /// One directory entry is not a tag, a 4-digit length and a 5-digit offset.
    #[error("directory entry {entry} is malformed: {text:?}")]
    DirectoryEntryMalformed {
        /// 1-based entry number.
        entry: usize,
        /// The entry's twelve bytes, shown as text.
        text: String,
    },
    /// A directory entry's field extends beyond the record.
    #[error("directory entry {entry} (tag {tag}) points past the end of the record")]
    DirectoryEntryOutOfBounds {
        /// 1-based entry number.
        entry: usize,
        /// The entry's tag.
        tag: String,
    },
    /// A field does not end with the field terminator (0x1E) where the directory says.
    #[error("directory entry {entry} (tag {tag}) does not end with a field terminator")]
    MissingFieldTerminator {
        /// 1-based entry number.
        entry: usize,
        /// The entry's tag.
        tag: String,
    },
    /// The record does not end with the record terminator (0x1D).
    #[error("record does not end with a record terminator")]
    MissingRecordTerminator,
    /// The input ended inside the record.
    #[error("truncated record: input ends after {found} of {expected} bytes")]
    Truncated {
        /// The length the leader declares.
        expected: usize,
        /// The bytes actually present.
        found: usize,
    },
    /// The record has a leader but no fields.
    #[error("record has no fields")]
    NoFields,
    /// A tag is not three ASCII letters or digits.
    #[error("{place}: tag is not three ASCII letters or digits")]
    BadTag {
        /// Which field.
        place: FieldPlace,
    },
    /// A record declared UTF-8 (leader/09 `a`) holds bytes that are not UTF-8.
    #[error("{place}: invalid UTF-8 at byte {byte_in_field} of the field")]
    InvalidUtf8 {
        /// Which field.
        place: FieldPlace,
        /// Offset of the first bad byte within the field data.
        byte_in_field: usize,
    },
    /// A record declared MARC-8 holds a byte sequence MARC-8 does not define.
    #[error("{place}: {problem}")]
    InvalidMarc8 {
        /// Which field.
        place: FieldPlace,
        /// The conversion problem.
        problem: crate::marc8::Marc8Error,
    },
    /// A MARCXML element lacks an attribute MARC needs (tag, code).
    #[error("<{element}> without a {attribute:?} attribute")]
    MissingAttribute {
        /// The element's local name.
        element: &'static str,
        /// The attribute's name.
        attribute: &'static str,
    },
    /// A MARCXML tag attribute that is not a tag.
    #[error("tag attribute {found:?} is not three ASCII letters or digits")]
    BadXmlTag {
        /// The attribute's value.
        found: String,
    },
    /// A MARCXML indicator or subfield code that is not exactly one character.
    #[error("{what} {found:?} is not one character")]
    BadXmlCode {
        /// `indicator` or `subfield code`.
        what: &'static str,
        /// The attribute's value.
        found: String,
    },
    /// An element MARCXML does not allow where it was found (a misspelt `<subfields>`,
    /// markup inside a value).
    #[error("unexpected element <{name}>")]
    UnexpectedElement {
        /// The element's local name.
        name: String,
    },
    /// A MARCXML record without a leader element.
    #[error("record has no leader")]
    MissingLeader,
    /// The XML is not well formed; the stream ends here.
    #[error("XML syntax error: {message}")]
    Xml {
        /// The parser's message.
        message: String,
    },
    /// Reading the input failed; the stream ends here.
    #[error("read error: {message}")]
    Io {
        /// The I/O error's message.
        message: String,
    },
}

impl RecordErrorKind {
    /// Whether the reader can go on after this error. XML syntax and I/O errors end the
    /// stream; everything else concerns one record only.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            RecordErrorKind::Xml { .. } | RecordErrorKind::Io { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_record_byte_entry_and_tag() {
        let error = RecordError {
            record_number: 12,
            byte_offset: 34567,
            kind: RecordErrorKind::DirectoryEntryOutOfBounds {
                entry: 3,
                tag: "245".into(),
            },
        };
        assert_eq!(
            error.to_string(),
            "record 12 (byte 34567): directory entry 3 (tag 245) points past the end of the record"
        );
    }
}
