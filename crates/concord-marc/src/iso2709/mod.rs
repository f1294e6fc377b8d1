//! ISO 2709 (the binary MARC exchange format): reading and writing.

mod reader;
mod writer;

pub use reader::{
    InvalidText, Iso2709Reader, ReadOptions, parse_record, read_iso2709, read_iso2709_from,
};
pub use writer::{WriteError, to_iso2709, write_iso2709};

/// Ends every record.
pub const RECORD_TERMINATOR: u8 = 0x1d;
/// Ends the directory and every field.
pub const FIELD_TERMINATOR: u8 = 0x1e;
/// Starts every subfield.
pub const SUBFIELD_DELIMITER: u8 = 0x1f;
