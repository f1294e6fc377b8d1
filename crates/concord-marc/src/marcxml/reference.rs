//! The MARCXML reader this crate had before its own scanner, built on quick-xml: kept for
//! the tests as the reference the scanner must agree with, record for record.

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::PrefixDeclaration;

use super::MARCXML_NAMESPACE;
use super::reader::{split_name, unexpected};
use crate::error::{RecordError, RecordErrorKind};
use crate::record::{ControlField, DataField, Field, Leader, Record, Subfield, Tag};

/// Reads MARCXML records from a byte slice.
pub fn read_marcxml(bytes: &[u8]) -> MarcXmlReader<&[u8]> {
    MarcXmlReader::new(bytes)
}

/// An iterator of records (or record errors) from MARCXML.
///
/// Records are `record` elements in the MARC21 slim namespace or in no namespace, under
/// any prefix, at any depth: a `<collection>`, a bare `<record>`, or records wrapped in
/// another document (an OAI-PMH response, whose own `record` elements are in the OAI
/// namespace and so are passed over). A malformed record yields an error and reading goes
/// on; a syntax error ends the stream, because nothing after it can be trusted.
pub struct MarcXmlReader<R> {
    xml: Reader<R>,
    buffer: Vec<u8>,
    /// The namespace declarations in scope, innermost last.
    scopes: Vec<Scope>,
    /// How many elements are open.
    depth: usize,
    /// How many fields the last record had: the next record's field list starts that big.
    last_field_count: usize,
    record_number: u64,
    /// Where the record last yielded (its `<record` tag) starts.
    record_offset: u64,
    finished: bool,
}

/// One namespace declaration (`xmlns` or `xmlns:prefix`) on an open element.
///
/// The reader resolves namespaces itself, and only for `record` elements, because that is
/// the one place the namespace decides anything: elements inside a record are matched by
/// local name. Start tags without the text `xmlns` (nearly all of them) cost nothing.
struct Scope {
    /// The depth of the element that declares it (1 for the document element).
    depth: usize,
    /// The prefix; empty for the default namespace.
    prefix: Vec<u8>,
    /// Whether names under this prefix are MARC elements: the MARC21 slim namespace, or
    /// the default namespace undeclared with `xmlns=""`.
    is_marc: bool,
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
        let mut xml = Reader::from_reader(input);
        let config = xml.config_mut();
        config.trim_text(false);
        config.expand_empty_elements = true;
        MarcXmlReader {
            xml,
            buffer: Vec::new(),
            scopes: Vec::new(),
            depth: 0,
            last_field_count: 0,
            record_number: 0,
            record_offset: 0,
            finished: false,
        }
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
            let event = match self.xml.read_event_into(&mut self.buffer) {
                Ok(event) => event,
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
            let after = self.xml.buffer_position();
            match event {
                Event::Start(start) => {
                    self.depth += 1;
                    if declares_namespaces(start.as_bytes()) {
                        declare_namespaces(&mut self.scopes, self.depth, &start);
                    }
                    let qualified = start.name();
                    let (prefix, name) = split_name(qualified.as_ref().as_bytes());
                    match partial.as_mut() {
                        None if name == b"record" && is_marc(&self.scopes, prefix) => {
                            self.record_number += 1;
                            self.record_offset = tag_start(before, after, &start);
                            partial = Some(Partial {
                                number: self.record_number,
                                offset: self.record_offset,
                                leader: None,
                                fields: Vec::with_capacity(self.last_field_count),
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
                    let qualified = end.name();
                    let (prefix, name) = split_name(qualified.as_ref().as_bytes());
                    let mut finished = None;
                    if let Some(record) = partial.as_mut() {
                        if record.skipping > 0 {
                            record.skipping -= 1;
                        } else if name == b"record" && is_marc(&self.scopes, prefix) {
                            finished = partial.take();
                        } else {
                            end_element(record, name, before);
                        }
                    }
                    // The element's own declarations went out of scope with it.
                    while self
                        .scopes
                        .last()
                        .is_some_and(|scope| scope.depth >= self.depth)
                    {
                        self.scopes.pop();
                    }
                    self.depth = self.depth.saturating_sub(1);
                    if let Some(record) = finished {
                        self.last_field_count = record.fields.len();
                        return Some(finish(record));
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

/// The offset of the `<` of a start tag read from `before`: every byte is part of some
/// event (text is not trimmed), so the tag starts right there. (The reader used to work it
/// out back from the end of the tag, which put it one byte late for an empty element.)
fn tag_start(before: u64, _after: u64, _start: &BytesStart<'_>) -> u64 {
    before
}

/// [`attributes`] for the form nearly every MARCXML writer produces — `name="value"`
/// pairs separated by whitespace, values free of references and of the characters that
/// normalisation changes — scanned directly; `None` for anything else, which then goes
/// through quick-xml's general iterator. Both give the same values for plain input.
fn plain_attributes<'a, const N: usize>(
    raw: &'a str,
    names: [&[u8]; N],
) -> Option<[Option<Cow<'a, str>>; N]> {
    let bytes = raw.as_bytes();
    let mut found: [Option<Cow<'a, str>>; N] = [const { None }; N];
    let mut at = 0;
    loop {
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        if at >= bytes.len() {
            return Some(found);
        }
        let name_start = at;
        while bytes.get(at).is_some_and(|byte| is_plain_name_byte(*byte)) {
            at += 1;
        }
        let name = bytes.get(name_start..at)?;
        if name.is_empty() || bytes.get(at) != Some(&b'=') {
            return None;
        }
        let quote = *bytes.get(at + 1)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let value_start = at + 2;
        // Values are a character or three: a plain loop beats `memchr`'s set-up.
        let value_end = value_start
            + bytes
                .get(value_start..)?
                .iter()
                .position(|byte| *byte == quote)?;
        // The quotes are ASCII, so both ends are character boundaries.
        let value = raw.get(value_start..value_end)?;
        if value
            .bytes()
            .any(|byte| matches!(byte, b'&' | b'\t' | b'\n' | b'\r'))
        {
            return None;
        }
        at = value_end + 1;
        if bytes
            .get(at)
            .is_some_and(|byte| !byte.is_ascii_whitespace())
        {
            return None;
        }
        let (_, local) = split_name(name);
        // Compared by hand: a call to `memcmp` costs more than these few bytes.
        if let Some(slot) = names
            .iter()
            .position(|wanted| {
                wanted.len() == local.len() && wanted.iter().zip(local).all(|(a, b)| a == b)
            })
            .and_then(|index| found.get_mut(index))
        {
            slot.get_or_insert(Cow::Borrowed(value));
        }
    }
}

/// The bytes [`plain_attributes`] takes in an attribute name: ASCII letters, digits and
/// `:_-.`.
fn is_plain_name_byte(byte: u8) -> bool {
    matches!(byte, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b':' | b'_' | b'-' | b'.')
}

/// Whether a start tag's text holds `xmlns`; MARC's own elements have no `x` in them, so
/// this usually ends at the first `memchr`.
fn declares_namespaces(tag: &[u8]) -> bool {
    memchr::memchr_iter(b'x', tag)
        .any(|at| tag.get(at..).is_some_and(|rest| rest.starts_with(b"xmlns")))
}

/// Records the namespace declarations of an element opened at `depth`.
fn declare_namespaces(scopes: &mut Vec<Scope>, depth: usize, start: &BytesStart<'_>) {
    for attribute in start.attributes().with_checks(false) {
        let Ok(attribute) = attribute else { break };
        let prefix = match attribute.key.as_namespace_binding() {
            Some(PrefixDeclaration::Default) => "",
            Some(PrefixDeclaration::Named(prefix)) => prefix,
            None => continue,
        };
        let namespace = attribute.value.as_ref();
        scopes.push(Scope {
            depth,
            prefix: prefix.as_bytes().to_vec(),
            is_marc: namespace == MARCXML_NAMESPACE || (prefix.is_empty() && namespace.is_empty()),
        });
    }
}

/// Whether an element name with this prefix is in the MARC21 slim namespace or in no
/// namespace at all. A prefix nobody declared is not MARC.
fn is_marc(scopes: &[Scope], prefix: &[u8]) -> bool {
    match scopes.iter().rev().find(|scope| scope.prefix == prefix) {
        Some(scope) => scope.is_marc,
        None => prefix.is_empty(),
    }
}

/// The values of the named attributes (matched by local name; the first of duplicates
/// wins), in one pass over the tag and without copying unless a value holds a reference
/// or a character that attribute-value normalisation changes.
fn attributes<'a, const N: usize>(
    start: &'a BytesStart<'_>,
    names: [&[u8]; N],
) -> [Option<Cow<'a, str>>; N] {
    plain_attributes(start.attributes_raw(), names)
        .unwrap_or_else(|| general_attributes(start, names))
}

/// [`attributes`] through quick-xml's attribute iterator, for any well-formed tag.
pub(super) fn general_attributes<'a, const N: usize>(
    start: &'a BytesStart<'_>,
    names: [&[u8]; N],
) -> [Option<Cow<'a, str>>; N] {
    let mut found: [Option<Cow<'a, str>>; N] = [const { None }; N];
    let mut seen = [false; N];
    for attribute in start.attributes().with_checks(false).flatten() {
        let key = attribute.key.local_name();
        let key = key.as_ref().as_bytes();
        let Some(index) = names.iter().position(|name| *name == key) else {
            continue;
        };
        let (Some(seen), Some(slot)) = (seen.get_mut(index), found.get_mut(index)) else {
            continue;
        };
        if std::mem::replace(seen, true) {
            continue;
        }
        let plain = !attribute
            .value
            .bytes()
            .any(|byte| matches!(byte, b'&' | b'\t' | b'\n' | b'\r'));
        *slot = if plain {
            Some(attribute.value)
        } else {
            attribute
                .normalized_value(quick_xml::XmlVersion::default())
                .ok()
        };
    }
    found
}

/// Tags are three characters; some writers drop leading zeros (`tag="42"`), which
/// ruby-marc and yaz read as `042`.
fn parse_xml_tag(text: &str) -> Result<Tag, RecordErrorKind> {
    let bytes = text.as_bytes();
    let parsed = if !bytes.is_empty() && bytes.len() < 3 && bytes.iter().all(u8::is_ascii_digit) {
        let mut padded = [b'0'; 3];
        padded
            .get_mut(3 - bytes.len()..)
            .unwrap_or_default()
            .copy_from_slice(bytes);
        Tag::from_bytes(&padded)
    } else {
        Tag::from_bytes(bytes)
    };
    parsed.map_err(|_| RecordErrorKind::BadXmlTag {
        found: text.to_owned(),
    })
}

/// An indicator: one character; a missing or empty attribute means blank.
fn parse_indicator(value: Option<Cow<'_, str>>) -> Result<char, RecordErrorKind> {
    let Some(value) = value else { return Ok(' ') };
    let mut characters = value.chars();
    match (characters.next(), characters.next()) {
        (None, _) => Ok(' '),
        (Some(character), None) => Ok(character),
        _ => Err(RecordErrorKind::BadXmlCode {
            what: "indicator",
            found: value.into_owned(),
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
        (b"controlfield", false) => match attributes(start, [b"tag"]) {
            [None] => {
                record.fail(
                    offset,
                    RecordErrorKind::MissingAttribute {
                        element: "controlfield",
                        attribute: "tag",
                    },
                );
                record.skipping += 1;
            }
            [Some(tag)] => match parse_xml_tag(&tag) {
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
            let [tag, indicator1, indicator2] = attributes(start, [b"tag", b"ind1", b"ind2"]);
            let tag = tag
                .ok_or(RecordErrorKind::MissingAttribute {
                    element: "datafield",
                    attribute: "tag",
                })
                .and_then(|tag| parse_xml_tag(&tag));
            let indicator1 = parse_indicator(indicator1);
            let indicator2 = parse_indicator(indicator2);
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
            let [code] = attributes(start, [b"code"]);
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
