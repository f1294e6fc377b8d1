//! Format detection, and one reader that takes either ISO 2709 or MARCXML.

use std::io::{self, BufReader, Chain, Cursor, Read};

use crate::error::RecordError;
use crate::iso2709::{Iso2709Reader, ReadOptions};
use crate::marcxml::MarcXmlReader;
use crate::parsed::ParsedRecord;
use crate::record::Record;

/// The two interchange formats the crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Binary MARC (ISO 2709).
    Iso2709,
    /// MARCXML.
    MarcXml,
}

/// How many leading bytes [`read_any`] looks at.
const SNIFF_LENGTH: u64 = 1024;

/// Tells the format from the first bytes of the input: after a UTF-8 byte-order mark and
/// whitespace, `<` means XML and five ASCII digits (the record length) mean ISO 2709.
pub fn detect_format(first_bytes: &[u8]) -> Option<Format> {
    let without_bom = first_bytes
        .strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(first_bytes);
    let start = without_bom
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())?;
    let rest = without_bom.get(start..)?;
    if rest.first() == Some(&b'<') {
        return Some(Format::MarcXml);
    }
    let digits = rest.get(..5)?;
    digits
        .iter()
        .all(u8::is_ascii_digit)
        .then_some(Format::Iso2709)
}

/// The input after the sniffed prefix was put back in front of it.
type Rejoined<R> = BufReader<Chain<Cursor<Vec<u8>>, R>>;

/// Records from input of either format.
pub enum AnyReader<R: Read> {
    /// The input was ISO 2709 (or not recognisably anything, in which case the ISO 2709
    /// reader reports what it found as a bad record).
    Iso2709(Iso2709Reader<Rejoined<R>>),
    /// The input was MARCXML.
    MarcXml(MarcXmlReader<Rejoined<R>>),
}

impl<R: Read> AnyReader<R> {
    /// The format that was detected.
    pub fn format(&self) -> Format {
        match self {
            AnyReader::Iso2709(_) => Format::Iso2709,
            AnyReader::MarcXml(_) => Format::MarcXml,
        }
    }

    /// Reads the next record into `out`, reusing its buffers (see
    /// [`Iso2709Reader::next_into`]); the `Iterator` gives the same records as owned values.
    pub fn next_into(&mut self, out: &mut ParsedRecord) -> Option<Result<(), RecordError>> {
        match self {
            AnyReader::Iso2709(reader) => reader.next_into(out),
            AnyReader::MarcXml(reader) => reader.next_into(out),
        }
    }
}

/// A reader that can say where in its input the record it last yielded starts.
pub trait RecordOffset: Iterator<Item = Result<Record, RecordError>> {
    /// The byte offset of the start of the record last returned.
    fn record_offset(&self) -> u64;

    /// The records paired with the byte offset where each starts (for an error, the
    /// offset the error reports), so an importer can point at a record it rejects later
    /// for reasons of its own.
    fn with_offsets(self) -> WithOffsets<Self>
    where
        Self: Sized,
    {
        WithOffsets { reader: self }
    }
}

impl<R: std::io::BufRead> RecordOffset for Iso2709Reader<R> {
    fn record_offset(&self) -> u64 {
        Iso2709Reader::record_offset(self)
    }
}

impl<R: std::io::BufRead> RecordOffset for MarcXmlReader<R> {
    fn record_offset(&self) -> u64 {
        MarcXmlReader::record_offset(self)
    }
}

impl<R: Read> RecordOffset for AnyReader<R> {
    fn record_offset(&self) -> u64 {
        match self {
            AnyReader::Iso2709(reader) => reader.record_offset(),
            AnyReader::MarcXml(reader) => reader.record_offset(),
        }
    }
}

/// Records with their byte offsets; see [`RecordOffset::with_offsets`].
pub struct WithOffsets<R> {
    reader: R,
}

impl<R: RecordOffset> Iterator for WithOffsets<R> {
    type Item = (u64, Result<Record, RecordError>);

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.reader.next()?;
        let offset = match &item {
            Ok(_) => self.reader.record_offset(),
            Err(error) => error.byte_offset,
        };
        Some((offset, item))
    }
}

impl<R: Read> Iterator for AnyReader<R> {
    type Item = Result<Record, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            AnyReader::Iso2709(reader) => reader.next(),
            AnyReader::MarcXml(reader) => reader.next(),
        }
    }
}

/// Reads records from any reader, detecting the format from its first bytes.
pub fn read_any<R: Read>(input: R) -> io::Result<AnyReader<R>> {
    read_any_with_options(input, ReadOptions::default())
}

/// [`read_any`] with options for ISO 2709 input.
pub fn read_any_with_options<R: Read>(
    mut input: R,
    options: ReadOptions,
) -> io::Result<AnyReader<R>> {
    let mut prefix = Vec::new();
    (&mut input).take(SNIFF_LENGTH).read_to_end(&mut prefix)?;
    let format = detect_format(&prefix);
    let rejoined =
        BufReader::with_capacity(crate::READ_BUFFER_SIZE, Cursor::new(prefix).chain(input));
    Ok(match format {
        Some(Format::MarcXml) => AnyReader::MarcXml(MarcXmlReader::new(rejoined)),
        Some(Format::Iso2709) | None => {
            AnyReader::Iso2709(Iso2709Reader::with_options(rejoined, options))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_point_at_each_record_in_both_formats() {
        use crate::record::{DataField, Leader, Tag};
        let mut record = Record::new(Leader::new(b'a', b'm'));
        record.push_control(Tag::parse("001").unwrap(), "1");
        record.push_data(
            DataField::new(Tag::parse("245").unwrap(), '0', '0').with_subfield('a', "T"),
        );
        let one = crate::to_iso2709(&record).unwrap();
        let binary = [one.clone(), b"\n".to_vec(), one.clone()].concat();
        let offsets: Vec<u64> = read_any(binary.as_slice())
            .unwrap()
            .with_offsets()
            .map(|(offset, item)| {
                assert!(item.is_ok());
                offset
            })
            .collect();
        assert_eq!(offsets, [0, one.len() as u64 + 1]);

        let mut writer = crate::MarcXmlWriter::new(Vec::new()).unwrap();
        writer.write_record(&record).unwrap();
        writer.write_record(&record).unwrap();
        let xml = writer.finish().unwrap();
        let text = String::from_utf8(xml.clone()).unwrap();
        let expected: Vec<u64> = text
            .match_indices("<record")
            .map(|(at, _)| at as u64)
            .collect();
        let offsets: Vec<u64> = read_any(xml.as_slice())
            .unwrap()
            .with_offsets()
            .map(|(offset, _)| offset)
            .collect();
        assert_eq!(offsets, expected);
    }

    #[test]
    fn detects_formats() {
        let cases: &[(&[u8], Option<Format>)] = &[
            (b"01234nam a2200000 a 4500", Some(Format::Iso2709)),
            (
                b"<?xml version=\"1.0\"?><collection/>",
                Some(Format::MarcXml),
            ),
            (
                b"\xef\xbb\xbf<?xml version=\"1.0\"?>",
                Some(Format::MarcXml),
            ),
            (b"\n  \r\n<marc:record>", Some(Format::MarcXml)),
            (b"\n00714cam", Some(Format::Iso2709)),
            (b"0123", None),
            (b"=LDR  00714cam", None),
            (b"", None),
        ];
        for (input, expected) in cases {
            assert_eq!(detect_format(input), *expected, "{input:?}");
        }
    }
}
