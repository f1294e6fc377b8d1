//! MARCXML reader: streams `<record>` elements out of any XML with quick-xml.

use std::io::{BufRead, BufReader, Read};

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use super::MARCXML_NAMESPACE;
use crate::error::{RecordError, RecordErrorKind};
use crate::record::{ControlField, DataField, Field, Leader, Record, Subfield, Tag};

/// Reads MARCXML records from a byte slice.
pub fn read_marcxml(bytes: &[u8]) -> MarcXmlReader<&[u8]> {
    MarcXmlReader::new(bytes)
}

/// Streams MARCXML records from any reader.
pub fn read_marcxml_from<R: Read>(input: R) -> MarcXmlReader<BufReader<R>> {
    MarcXmlReader::new(BufReader::new(input))
}

/// An iterator of records (or record errors) from MARCXML.
///
/// Records are `record` elements in the MARC21 slim namespace or in no namespace, under
/// any prefix, at any depth: a `<collection>`, a bare `<record>`, or records wrapped in
/// another document (an OAI-PMH response, whose own `record` elements are in the OAI
/// namespace and so are passed over). A malformed record yields an error and reading goes
/// on; a syntax error ends the stream, because nothing after it can be trusted.
pub struct MarcXmlReader<R> {
    xml: NsReader<R>,
    buffer: Vec<u8>,
    record_number: u64,
    /// Where the record last yielded (its `<record` tag) starts.
    record_offset: u64,
    finished: bool,
}

/// What the reader is collecting text for.
enum Leaf {
    Leader,
    Control(Tag),
    Subfield(char),
}

/// A record being read, and the first problem found in it.
struct Partial {
    number: u64,
    offset: u64,
    leader: Option<Leader>,
    fields: Vec<Field>,
    field: Option<DataField>,
    leaf: Option<Leaf>,
    /// Text of the current leaf element.
    text: String,
    /// Depth of unknown elements being skipped inside the record.
    skipping: usize,
    problem: Option<(u64, RecordErrorKind)>,
}

impl Partial {
    fn fail(&mut self, offset: u64, kind: RecordErrorKind) {
        self.problem.get_or_insert((offset, kind));
    }
}

impl<R: BufRead> MarcXmlReader<R> {
    /// A reader over any buffered input.
    pub fn new(input: R) -> MarcXmlReader<R> {
        let mut xml = NsReader::from_reader(input);
        let config = xml.config_mut();
        config.trim_text(false);
        config.expand_empty_elements = true;
        MarcXmlReader {
            xml,
            buffer: Vec::new(),
            record_number: 0,
            record_offset: 0,
            finished: false,
        }
    }

    /// The byte offset of the `<record` start tag of the record last returned by the
    /// iterator, so a caller can point at a good record too.
    pub fn record_offset(&self) -> u64 {
        self.record_offset
    }

    fn fatal(&mut self, offset: u64, kind: RecordErrorKind) -> RecordError {
        self.finished = true;
        RecordError {
            record_number: self.record_number.max(1),
            byte_offset: offset,
            kind,
        }
    }

    fn next_record(&mut self) -> Option<Result<Record, RecordError>> {
        let mut partial: Option<Partial> = None;
        loop {
            self.buffer.clear();
            let before = self.xml.buffer_position();
            let (namespace, event) = match self.xml.read_resolved_event_into(&mut self.buffer) {
                Ok(resolved) => resolved,
                Err(error) => {
                    let offset = self.xml.error_position();
                    if partial.is_none() {
                        self.record_number += 1;
                    }
                    return Some(Err(self.fatal(
                        offset,
                        RecordErrorKind::Xml {
                            message: error.to_string(),
                        },
                    )));
                }
            };
            let is_marc = match namespace {
                ResolveResult::Unbound => true,
                ResolveResult::Bound(namespace) => namespace.as_ref() == MARCXML_NAMESPACE,
                ResolveResult::Unknown(_) => false,
            };
            let after = self.xml.buffer_position();
            match event {
                Event::Start(start) => {
                    let local = start.local_name();
                    let name = local.as_ref().as_bytes();
                    match partial.as_mut() {
                        None if is_marc && name == b"record" => {
                            self.record_number += 1;
                            self.record_offset = tag_start(before, after, &start);
                            partial = Some(Partial {
                                number: self.record_number,
                                offset: self.record_offset,
                                leader: None,
                                fields: Vec::new(),
                                field: None,
                                leaf: None,
                                text: String::new(),
                                skipping: 0,
                                problem: None,
                            });
                        }
                        None => {}
                        Some(record) => {
                            start_element(record, name, &start, tag_start(before, after, &start))
                        }
                    }
                }
                Event::End(end) => {
                    let local = end.local_name();
                    let name = local.as_ref().as_bytes();
                    if let Some(record) = partial.as_mut() {
                        if record.skipping > 0 {
                            record.skipping -= 1;
                        } else if name == b"record" && is_marc {
                            let record = partial.take()?;
                            return Some(finish(record));
                        } else {
                            end_element(record, name, before);
                        }
                    }
                }
                Event::Text(text) => {
                    if let Some(record) = partial.as_mut().filter(|record| record.leaf.is_some()) {
                        record.text.push_str(&text.xml10_content());
                    }
                }
                Event::CData(data) => {
                    if let Some(record) = partial.as_mut().filter(|record| record.leaf.is_some()) {
                        record.text.push_str(&data.xml10_content());
                    }
                }
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(character)) => Some(character.to_string()),
                        Ok(None) => {
                            quick_xml::escape::resolve_predefined_entity(&reference.xml10_content())
                                .map(str::to_owned)
                        }
                        Err(_) => None,
                    };
                    let Some(resolved) = resolved else {
                        if partial.is_none() {
                            self.record_number += 1;
                        }
                        // Written out rather than via `fatal` because the event still
                        // borrows the buffer.
                        self.finished = true;
                        return Some(Err(RecordError {
                            record_number: self.record_number,
                            byte_offset: before,
                            kind: RecordErrorKind::Xml {
                                message: format!(
                                    "undefined entity or character reference &{};",
                                    reference.xml10_content()
                                ),
                            },
                        }));
                    };
                    if let Some(record) = partial.as_mut().filter(|record| record.leaf.is_some()) {
                        record.text.push_str(&resolved);
                    }
                }
                Event::Eof => {
                    if let Some(record) = partial {
                        self.record_number = record.number;
                        return Some(Err(self.fatal(
                            after,
                            RecordErrorKind::Xml {
                                message: "input ends inside a record".into(),
                            },
                        )));
                    }
                    self.finished = true;
                    return None;
                }
                // Empty elements are expanded into Start and End by the configuration.
                Event::Empty(_)
                | Event::Comment(_)
                | Event::Decl(_)
                | Event::PI(_)
                | Event::DocType(_) => {}
            }
        }
    }
}

impl<R: BufRead> Iterator for MarcXmlReader<R> {
    type Item = Result<Record, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        self.next_record()
    }
}

/// The offset of the `<` of a start tag that ended at `after`.
fn tag_start(before: u64, after: u64, start: &BytesStart<'_>) -> u64 {
    after.saturating_sub(start.len() as u64 + 2).max(before)
}

fn attribute(start: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|attribute| attribute.key.local_name().as_ref().as_bytes() == name)
        .and_then(|attribute| {
            attribute
                .normalized_value(quick_xml::XmlVersion::default())
                .ok()
                .map(|value| value.into_owned())
        })
}

/// Tags are three characters; some writers drop leading zeros (`tag="42"`), which
/// ruby-marc and yaz read as `042`.
fn parse_xml_tag(text: &str) -> Result<Tag, RecordErrorKind> {
    let padded = if !text.is_empty() && text.len() < 3 && text.bytes().all(|b| b.is_ascii_digit()) {
        format!("{text:0>3}")
    } else {
        text.to_owned()
    };
    Tag::parse(&padded).map_err(|_| RecordErrorKind::BadXmlTag {
        found: text.to_owned(),
    })
}

/// An indicator: one character; a missing or empty attribute means blank.
fn parse_indicator(value: Option<String>) -> Result<char, RecordErrorKind> {
    let Some(value) = value else { return Ok(' ') };
    let mut characters = value.chars();
    match (characters.next(), characters.next()) {
        (None, _) => Ok(' '),
        (Some(character), None) => Ok(character),
        _ => Err(RecordErrorKind::BadXmlCode {
            what: "indicator",
            found: value,
        }),
    }
}

fn start_element(record: &mut Partial, name: &[u8], start: &BytesStart<'_>, offset: u64) {
    if record.skipping > 0 || record.leaf.is_some() {
        // Markup inside a value or inside an unknown element is not MARC: skip it whole.
        record.skipping += 1;
        if record.leaf.is_some() {
            record.fail(offset, unexpected(name));
        }
        return;
    }
    let in_field = record.field.is_some();
    match (name, in_field) {
        (b"leader", false) => {
            record.leaf = Some(Leaf::Leader);
            record.text.clear();
        }
        (b"controlfield", false) => match attribute(start, b"tag") {
            None => {
                record.fail(
                    offset,
                    RecordErrorKind::MissingAttribute {
                        element: "controlfield",
                        attribute: "tag",
                    },
                );
                record.skipping += 1;
            }
            Some(tag) => match parse_xml_tag(&tag) {
                Ok(tag) => {
                    record.leaf = Some(Leaf::Control(tag));
                    record.text.clear();
                }
                Err(kind) => {
                    record.fail(offset, kind);
                    record.skipping += 1;
                }
            },
        },
        (b"datafield", false) => {
            let tag = attribute(start, b"tag")
                .ok_or(RecordErrorKind::MissingAttribute {
                    element: "datafield",
                    attribute: "tag",
                })
                .and_then(|tag| parse_xml_tag(&tag));
            let indicator1 = parse_indicator(attribute(start, b"ind1"));
            let indicator2 = parse_indicator(attribute(start, b"ind2"));
            match (tag, indicator1, indicator2) {
                (Ok(tag), Ok(indicator1), Ok(indicator2)) => {
                    record.field = Some(DataField::new(tag, indicator1, indicator2));
                }
                (Err(kind), _, _) | (_, Err(kind), _) | (_, _, Err(kind)) => {
                    record.fail(offset, kind);
                    record.skipping += 1;
                }
            }
        }
        (b"subfield", true) => {
            let code = attribute(start, b"code");
            let mut characters = code.as_deref().unwrap_or_default().chars();
            match (code.as_deref(), characters.next(), characters.next()) {
                (None, _, _) => {
                    record.fail(
                        offset,
                        RecordErrorKind::MissingAttribute {
                            element: "subfield",
                            attribute: "code",
                        },
                    );
                    record.skipping += 1;
                }
                (Some(_), Some(code), None) => {
                    record.leaf = Some(Leaf::Subfield(code));
                    record.text.clear();
                }
                (Some(found), _, _) => {
                    record.fail(
                        offset,
                        RecordErrorKind::BadXmlCode {
                            what: "subfield code",
                            found: found.to_owned(),
                        },
                    );
                    record.skipping += 1;
                }
            }
        }
        // Stray elements between fields (OAI-PMH `identifier` and `datestamp` left in by
        // some exports) carry no MARC data: skip them. Inside a data field anything but a
        // subfield would lose data, so that is an error.
        (_, false) => record.skipping += 1,
        (_, true) => {
            record.fail(offset, unexpected(name));
            record.skipping += 1;
        }
    }
}

fn unexpected(name: &[u8]) -> RecordErrorKind {
    RecordErrorKind::UnexpectedElement {
        name: String::from_utf8_lossy(name).into_owned(),
    }
}

fn end_element(record: &mut Partial, name: &[u8], offset: u64) {
    let text = std::mem::take(&mut record.text);
    match (record.leaf.take(), name) {
        (Some(Leaf::Leader), b"leader") => {
            let length = text.chars().count();
            if length == 24 {
                let mut bytes = [b' '; 24];
                for (slot, character) in bytes.iter_mut().zip(text.chars()) {
                    *slot = u8::try_from(character).unwrap_or(b' ');
                }
                record.leader = Some(Leader::from_bytes(bytes));
            } else {
                record.fail(offset, RecordErrorKind::LeaderNot24Bytes { length });
            }
        }
        (Some(Leaf::Control(tag)), b"controlfield") => {
            record
                .fields
                .push(Field::Control(ControlField { tag, value: text }));
        }
        (Some(Leaf::Subfield(code)), b"subfield") => {
            if let Some(field) = record.field.as_mut() {
                field.subfields.push(Subfield { code, value: text });
            }
        }
        (None, b"datafield") => {
            if let Some(field) = record.field.take() {
                record.fields.push(Field::Data(field));
            }
        }
        _ => {}
    }
}

fn finish(record: Partial) -> Result<Record, RecordError> {
    let error = |offset, kind| RecordError {
        record_number: record.number,
        byte_offset: offset,
        kind,
    };
    if let Some((offset, kind)) = record.problem {
        return Err(error(offset, kind));
    }
    let Some(mut leader) = record.leader else {
        return Err(error(record.offset, RecordErrorKind::MissingLeader));
    };
    leader.normalize_for_marc21();
    Ok(Record {
        leader,
        fields: record.fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn describe(input: &str) -> Vec<String> {
        read_marcxml(input.as_bytes())
            .map(|item| match item {
                Ok(record) => record
                    .field("245")
                    .and_then(|f| f.subfield('a'))
                    .unwrap_or("?")
                    .to_owned(),
                Err(error) => error.to_string(),
            })
            .collect()
    }

    const LEADER: &str = "<leader>00000nam a2200000   4500</leader>";

    #[test]
    fn reads_prefixed_namespaced_records_with_entities() {
        let input = format!(
            "\u{feff}<?xml version=\"1.0\"?>\n<!-- export -->\n<marc:collection xmlns:marc=\"http://www.loc.gov/MARC21/slim\">\
             <marc:record>{}<marc:datafield tag=\"245\" ind1=\"1\" ind2=\"0\">\
             <marc:subfield code=\"a\">Tom &amp; Jerry &#233;</marc:subfield></marc:datafield></marc:record>\
             </marc:collection>",
            LEADER.replace('<', "<marc:").replace("<marc:/", "</marc:")
        );
        assert_eq!(describe(&input), ["Tom & Jerry \u{e9}"]);
    }

    #[test]
    fn a_bad_record_does_not_stop_the_next() {
        let input = format!(
            "<collection><record>{LEADER}<datafield ind1=\" \" ind2=\" \"><subfield code=\"a\">x</subfield></datafield></record>\
             <record>{LEADER}<datafield tag=\"245\" ind1=\"0\" ind2=\"0\"><subfield code=\"a\">Good</subfield></datafield></record></collection>"
        );
        assert_eq!(
            describe(&input),
            [
                "record 1 (byte 61): <datafield> without a \"tag\" attribute",
                "Good"
            ]
        );
    }

    #[test]
    fn syntax_error_ends_the_stream_with_its_offset() {
        let input = format!(
            "<collection><record>{LEADER}<datafield tag=\"245\" ind1=\"0\" ind2=\"0\"><subfield code=\"a\">One</subfield></datafield></record>\
             <record>{LEADER}<datafield tag=\"245\"></record><record>{LEADER}</record></collection>"
        );
        let described = describe(&input);
        assert_eq!(described.len(), 2, "{described:?}");
        assert_eq!(described[0], "One");
        assert!(
            described[1].starts_with("record 2 (byte "),
            "{}",
            described[1]
        );
        assert!(
            described[1].contains("XML syntax error"),
            "{}",
            described[1]
        );
    }

    #[test]
    fn leader_must_be_24_characters_and_short_tags_are_padded() {
        let input = "<record><leader>short</leader></record>\
                     <record><leader>00000nam a2200000   4500</leader><datafield tag=\"42\"><subfield code=\"a\">x</subfield></datafield></record>";
        let items: Vec<_> = read_marcxml(input.as_bytes()).collect();
        assert_eq!(
            items[0].as_ref().unwrap_err().kind,
            RecordErrorKind::LeaderNot24Bytes { length: 5 }
        );
        let record = items[1].as_ref().unwrap();
        assert_eq!(record.field("042").unwrap().indicator1, ' ');
    }
}
