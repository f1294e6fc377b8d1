//! ISO 2709 writer: UTF-8 records with lengths, base address and directory computed.

use std::io::Write;

use super::{FIELD_TERMINATOR, RECORD_TERMINATOR, SUBFIELD_DELIMITER};
use crate::record::{Field, Record};

/// Why a record cannot be written as ISO 2709.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// ISO 2709 lengths are five digits: a record is at most 99,999 bytes.
    #[error("record is {length} bytes long; ISO 2709 allows at most 99999")]
    RecordTooLong {
        /// The length the record would have.
        length: usize,
    },
    /// Directory field lengths are four digits: a field is at most 9,999 bytes.
    #[error("field {tag} is {length} bytes long; ISO 2709 allows at most 9999")]
    FieldTooLong {
        /// The field's tag.
        tag: String,
        /// Its encoded length.
        length: usize,
    },
    /// A value holds one of the bytes that structure the record (0x1D, 0x1E, 0x1F).
    #[error("field {tag} contains a MARC delimiter or terminator character")]
    ReservedCharacter {
        /// The field's tag.
        tag: String,
    },
    /// A data field (indicators and subfields) has a control field's tag. ISO 2709 tells the
    /// two apart by tag alone, so it would be read back as a control field holding subfield
    /// delimiters, which no writer can write again (DanMARC's 001 with subfields does this).
    #[error("field {tag} has subfields, but {tag} is a control field tag")]
    DataFieldWithControlTag {
        /// The field's tag.
        tag: String,
    },
    /// The record has no fields; readers refuse such a record.
    #[error("record has no fields")]
    NoFields,
    /// Writing failed.
    #[error("write error: {0}")]
    Io(#[from] std::io::Error),
}

/// Encodes a record as ISO 2709, in UTF-8 (leader/09 `a`), with MARC21's `22` and `4500`.
/// Only records that read back as they are get written: one without fields, or with a data
/// field under a control tag, is refused.
pub fn to_iso2709(record: &Record) -> Result<Vec<u8>, WriteError> {
    if record.fields.is_empty() {
        return Err(WriteError::NoFields);
    }
    let mut directory = Vec::with_capacity(record.fields.len() * 12 + 1);
    let mut data = Vec::new();
    for field in &record.fields {
        let start = data.len();
        encode_field(field, &mut data)?;
        let length = data.len() - start;
        let tag = field.tag();
        if length > 9999 {
            return Err(WriteError::FieldTooLong {
                tag: tag.to_string(),
                length,
            });
        }
        if start > 99_999 {
            return Err(WriteError::RecordTooLong {
                length: 24 + directory.len() + data.len(),
            });
        }
        directory.extend_from_slice(tag.as_bytes());
        directory.extend_from_slice(format!("{length:04}{start:05}").as_bytes());
    }
    directory.push(FIELD_TERMINATOR);
    let base_address = 24 + directory.len();
    let record_length = base_address + data.len() + 1;
    if record_length > 99_999 {
        return Err(WriteError::RecordTooLong {
            length: record_length,
        });
    }
    let mut leader = *record.leader.as_bytes();
    leader[..5].copy_from_slice(format!("{record_length:05}").as_bytes());
    leader[9] = b'a';
    leader[10] = b'2';
    leader[11] = b'2';
    leader[12..17].copy_from_slice(format!("{base_address:05}").as_bytes());
    leader[20..24].copy_from_slice(b"4500");

    let mut bytes = Vec::with_capacity(record_length);
    bytes.extend_from_slice(&leader);
    bytes.extend_from_slice(&directory);
    bytes.extend_from_slice(&data);
    bytes.push(RECORD_TERMINATOR);
    Ok(bytes)
}

/// Writes a record as ISO 2709 to any writer.
pub fn write_iso2709<W: Write>(output: &mut W, record: &Record) -> Result<(), WriteError> {
    output.write_all(&to_iso2709(record)?)?;
    Ok(())
}

fn encode_field(field: &Field, data: &mut Vec<u8>) -> Result<(), WriteError> {
    let reserved = |text: &str| {
        text.bytes().any(|byte| {
            matches!(
                byte,
                RECORD_TERMINATOR | FIELD_TERMINATOR | SUBFIELD_DELIMITER
            )
        })
    };
    let refuse = || WriteError::ReservedCharacter {
        tag: field.tag().to_string(),
    };
    match field {
        Field::Control(control) => {
            if reserved(&control.value) {
                return Err(refuse());
            }
            data.extend_from_slice(control.value.as_bytes());
        }
        Field::Data(data_field) => {
            if data_field.tag.is_control() {
                return Err(WriteError::DataFieldWithControlTag {
                    tag: data_field.tag.to_string(),
                });
            }
            let mut buffer = [0u8; 4];
            for indicator in [data_field.indicator1, data_field.indicator2] {
                let encoded = indicator.encode_utf8(&mut buffer);
                if reserved(encoded) {
                    return Err(refuse());
                }
                data.extend_from_slice(encoded.as_bytes());
            }
            for subfield in &data_field.subfields {
                let code = subfield.code.encode_utf8(&mut buffer);
                if reserved(code) || reserved(&subfield.value) {
                    return Err(refuse());
                }
                data.push(SUBFIELD_DELIMITER);
                data.extend_from_slice(code.as_bytes());
                data.extend_from_slice(subfield.value.as_bytes());
            }
        }
    }
    data.push(FIELD_TERMINATOR);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iso2709::read_iso2709;
    use crate::record::{DataField, Leader, Tag};

    fn record_with(fields: &[Field]) -> Record {
        let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        record.fields = fields.to_vec();
        record
    }

    fn data(tag: &str) -> Field {
        Field::Data(DataField::new(Tag::parse(tag).unwrap(), '0', '0').with_subfield('a', "x"))
    }

    #[test]
    fn writes_only_records_that_read_back_as_they_are() {
        let good = record_with(&[data("245")]);
        let bytes = to_iso2709(&good).unwrap();
        let again = read_iso2709(&bytes).next().unwrap().unwrap();
        assert_eq!(again.fields, good.fields);

        let error = to_iso2709(&record_with(&[])).unwrap_err();
        assert_eq!(error.to_string(), "record has no fields");
        let error = to_iso2709(&record_with(&[data("245"), data("001")])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "field 001 has subfields, but 001 is a control field tag"
        );
    }
}
