//! A record parsed into buffers reused from one record to the next: the readers' fast path.

use std::ops::Range;

use crate::record::{ControlField, DataField, Field, Leader, Record, Subfield, Tag};

/// A record as the readers parse it: the leader, and every value as a range of one UTF-8
/// text buffer (MARC-8 already converted, every value checked).
///
/// Reading into the same `ParsedRecord` again reuses its three buffers, so a reader asked
/// for many records allocates nothing per record once the buffers have grown to the
/// largest record — yaz's per-record arena does the same. Callers that keep a record build
/// an owned [`Record`] with [`ParsedRecord::to_record`]; the readers' `Iterator` does
/// exactly that, so both paths give the same records by construction.
///
/// **Invariant:** every range in `fields` and `subfields` lies inside `text` on character
/// boundaries, and a data field's subfield range lies inside `subfields`; only the
/// builder methods below, which append, change them.
#[derive(Debug, Clone)]
pub struct ParsedRecord {
    leader: Leader,
    text: String,
    fields: Vec<FieldSpan>,
    subfields: Vec<SubfieldSpan>,
}

/// One field: a control field's value range in `text`, or a data field's range in
/// `subfields`.
#[derive(Debug, Clone)]
struct FieldSpan {
    tag: Tag,
    indicators: [char; 2],
    control: bool,
    /// `text` range for a control field, `subfields` range for a data field.
    range: Range<usize>,
}

#[derive(Debug, Clone)]
struct SubfieldSpan {
    code: char,
    value: Range<usize>,
}

/// One field of a [`ParsedRecord`], borrowed.
#[derive(Debug, Clone, Copy)]
pub enum FieldView<'a> {
    /// A control field (tag `00X`) and its value.
    Control {
        /// The tag.
        tag: Tag,
        /// The value.
        value: &'a str,
    },
    /// A data field.
    Data(DataFieldView<'a>),
}

impl FieldView<'_> {
    /// The field's tag.
    pub fn tag(&self) -> Tag {
        match self {
            FieldView::Control { tag, .. } => *tag,
            FieldView::Data(field) => field.tag,
        }
    }
}

/// A data field of a [`ParsedRecord`], borrowed.
#[derive(Debug, Clone, Copy)]
pub struct DataFieldView<'a> {
    /// The tag.
    pub tag: Tag,
    /// First indicator (a space when blank).
    pub indicator1: char,
    /// Second indicator (a space when blank).
    pub indicator2: char,
    subfields: &'a [SubfieldSpan],
    text: &'a str,
}

impl<'a> DataFieldView<'a> {
    /// The subfields in record order: code and value.
    pub fn subfields(&self) -> impl ExactSizeIterator<Item = (char, &'a str)> + use<'a> {
        let text = self.text;
        self.subfields.iter().map(move |subfield| {
            (
                subfield.code,
                text.get(subfield.value.clone()).unwrap_or(""),
            )
        })
    }
}

impl Default for ParsedRecord {
    fn default() -> ParsedRecord {
        ParsedRecord::new()
    }
}

impl ParsedRecord {
    /// An empty record to read into.
    pub fn new() -> ParsedRecord {
        ParsedRecord {
            leader: Leader::new(b' ', b' '),
            text: String::new(),
            fields: Vec::new(),
            subfields: Vec::new(),
        }
    }

    /// The leader, normalised as [`Record::leader`] is (text in UTF-8).
    pub fn leader(&self) -> &Leader {
        &self.leader
    }

    /// How many fields the record has.
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }

    /// The fields in record order.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = FieldView<'_>> {
        self.fields.iter().map(|field| {
            if field.control {
                FieldView::Control {
                    tag: field.tag,
                    value: self.text.get(field.range.clone()).unwrap_or(""),
                }
            } else {
                FieldView::Data(DataFieldView {
                    tag: field.tag,
                    indicator1: field.indicators[0],
                    indicator2: field.indicators[1],
                    subfields: self.subfields.get(field.range.clone()).unwrap_or(&[]),
                    text: &self.text,
                })
            }
        })
    }

    /// The record as an owned [`Record`].
    pub fn to_record(&self) -> Record {
        let fields = self
            .fields()
            .map(|field| match field {
                FieldView::Control { tag, value } => Field::Control(ControlField {
                    tag,
                    value: value.to_owned(),
                }),
                FieldView::Data(data) => Field::Data(DataField {
                    tag: data.tag,
                    indicator1: data.indicator1,
                    indicator2: data.indicator2,
                    subfields: data
                        .subfields()
                        .map(|(code, value)| Subfield::new(code, value))
                        .collect(),
                }),
            })
            .collect();
        Record {
            leader: self.leader,
            fields,
        }
    }

    /// Empties the record for the next one, keeping the buffers' memory.
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.fields.clear();
        self.subfields.clear();
    }

    pub(crate) fn set_leader(&mut self, leader: Leader) {
        self.leader = leader;
    }

    /// The text buffer, for a reader to append values to; the fields it then pushes give
    /// the ranges of their values in it.
    pub(crate) fn text_mut(&mut self) -> &mut String {
        &mut self.text
    }

    /// Where the next value appended to the text will start.
    pub(crate) fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Adds a control field whose value is `value` in the text.
    pub(crate) fn push_control(&mut self, tag: Tag, value: Range<usize>) {
        self.fields.push(FieldSpan {
            tag,
            indicators: [' ', ' '],
            control: true,
            range: value,
        });
    }

    /// Starts a data field; the subfields pushed next belong to it.
    pub(crate) fn start_data_field(&mut self, tag: Tag, indicator1: char, indicator2: char) {
        let at = self.subfields.len();
        self.fields.push(FieldSpan {
            tag,
            indicators: [indicator1, indicator2],
            control: false,
            range: at..at,
        });
    }

    /// Adds a subfield, whose value is `value` in the text, to the last data field.
    pub(crate) fn push_subfield(&mut self, code: char, value: Range<usize>) {
        self.subfields.push(SubfieldSpan { code, value });
        if let Some(field) = self.fields.last_mut().filter(|field| !field.control) {
            field.range.end = self.subfields.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_same_record_as_the_owned_model() {
        let tag = |text| Tag::parse(text).unwrap();
        let mut parsed = ParsedRecord::new();
        let mut leader = Leader::new(b'a', b'm');
        leader.normalize_for_marc21();
        parsed.set_leader(leader);
        let start = parsed.text_len();
        parsed.text_mut().push_str("ocm123");
        parsed.push_control(tag("001"), start..parsed.text_len());
        parsed.start_data_field(tag("245"), '1', '0');
        for (code, value) in [('a', "Caf\u{e9} :"), ('b', "")] {
            let start = parsed.text_len();
            parsed.text_mut().push_str(value);
            parsed.push_subfield(code, start..parsed.text_len());
        }
        parsed.start_data_field(tag("500"), ' ', ' ');
        let mut expected = Record::new(leader);
        expected.push_control(tag("001"), "ocm123");
        expected.push_data(
            DataField::new(tag("245"), '1', '0')
                .with_subfield('a', "Caf\u{e9} :")
                .with_subfield('b', ""),
        );
        expected.push_data(DataField::new(tag("500"), ' ', ' '));
        assert_eq!(parsed.to_record(), expected);
        assert_eq!(parsed.field_count(), 3);

        parsed.clear();
        assert_eq!(parsed.to_record(), Record::new(leader));
    }
}
