//! The MARC21 engine of Concord: records in, records out, bytes at both ends.
//!
//! * [`Record`] is the in-memory model; values are always UTF-8.
//! * [`iso2709`] reads and writes binary MARC, converting MARC-8 records ([`marc8`]) on the
//!   way in; [`marcxml`] reads and writes MARCXML; [`read_any`] takes either.
//! * Readers are iterators of `Result<Record, RecordError>`: a bad record is reported with
//!   its number, byte offset and exact fault, and the records after it still come through.
//! * Their fast path, `next_into`, reads each record into one reused [`ParsedRecord`]
//!   (values as ranges of one text buffer) with no allocation per record; the `Iterator`
//!   builds the owned [`Record`] from it.
//!
//! **Boundary:** no async, no files, no SQL: input is any `Read`/`BufRead` or byte slice
//! and output any `Write`, so the importer and the cataloguer's MARC view share one codec.

pub mod detect;
pub mod error;
mod find;
pub mod iso2709;
pub mod marc8;
pub mod marcxml;
pub mod parsed;
pub mod record;
pub mod text;

pub use detect::{
    AnyReader, Format, RecordOffset, WithOffsets, detect_format, read_any, read_any_with_options,
};
pub use error::{FieldPlace, RecordError, RecordErrorKind};
pub use iso2709::{
    InvalidText, Iso2709Reader, ReadOptions, read_iso2709, read_iso2709_from, to_iso2709,
    write_iso2709,
};
pub use marcxml::{MarcXmlReader, MarcXmlWriter, read_marcxml, read_marcxml_from, to_marcxml};
pub use parsed::{DataFieldView, FieldView, ParsedRecord};
pub use record::{
    CharacterCoding, ControlField, DataField, Field, Leader, Record, Subfield, Tag, TagError,
};
pub use text::{to_line_format, to_readable_line_format};

/// The buffer size of the readers this crate wraps around a plain `Read`: big enough that a
/// record of either format (ISO 2709 caps one at 99,999 bytes) seldom straddles two reads.
pub(crate) const READ_BUFFER_SIZE: usize = 128 * 1024;
