//! MARCXML reader: streams `<record>` elements out of any XML with a scanner made for the
//! job, straight into a [`ParsedRecord`].
//!
//! A general XML parser spent most of the parse copying each event and building values the
//! reader then copied again; MARCXML needs only elements, attributes, text, CDATA and
//! references, so this scanner finds those with `memchr` in a buffer it refills in large
//! chunks, checks UTF-8 once per token, and appends values to the record's text buffer.
//! The tests compare it with quick-xml (the reader it replaced) on every fixture.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};

use super::MARCXML_NAMESPACE;
use crate::error::{RecordError, RecordErrorKind};
use crate::find::find_byte;
use crate::parsed::ParsedRecord;
use crate::record::{Leader, Record, Tag};

/// Reads MARCXML records from a byte slice.
pub fn read_marcxml(bytes: &[u8]) -> MarcXmlReader<&[u8]> {
    MarcXmlReader::new(bytes)
}

/// Streams MARCXML records from any reader.
pub fn read_marcxml_from<R: Read>(input: R) -> MarcXmlReader<BufReader<R>> {
    MarcXmlReader::new(BufReader::with_capacity(crate::READ_BUFFER_SIZE, input))
}

/// How much the scanner reads at a time: twice what the crate's `BufReader`s hold, so
/// their reads pass straight through.
const CHUNK_SIZE: usize = 2 * crate::READ_BUFFER_SIZE;

/// An iterator of records (or record errors) from MARCXML.
///
/// Records are `record` elements in the MARC21 slim namespace or in no namespace, under
/// any prefix, at any depth: a `<collection>`, a bare `<record>`, or records wrapped in
/// another document (an OAI-PMH response, whose own `record` elements are in the OAI
/// namespace and so are passed over). A malformed record yields an error and reading goes
/// on; a syntax error ends the stream, because nothing after it can be trusted.
pub struct MarcXmlReader<R> {
    input: R,
    /// Input bytes in `buffer[..filled]`; those before `position` have been scanned. The
    /// rest of `buffer` is room for the next read.
    buffer: Vec<u8>,
    filled: usize,
    position: usize,
    /// The input offset of `buffer[0]`.
    base: u64,
    input_done: bool,
    /// Whether a byte-order mark at the start has been looked for.
    started: bool,
    /// The names of the open elements, one after the other; `open_ends` says where each
    /// ends. End tags must match them, as in any XML parser.
    open_names: Vec<u8>,
    open_ends: Vec<usize>,
    /// The namespace declarations in scope, innermost last.
    scopes: Vec<Scope>,
    record_number: u64,
    /// Where the record last yielded (its `<record` tag) starts.
    record_offset: u64,
    finished: bool,
    /// The record the `Iterator` reads into before copying it out, kept between records.
    parsed: ParsedRecord,
}

/// One namespace declaration (`xmlns` or `xmlns:prefix`) on an open element.
///
/// The reader resolves namespaces only for `record` elements, because that is the one
/// place the namespace decides anything: elements inside a record are matched by local
/// name. Start tags without the text `xmlns` (nearly all of them) cost one `memchr`.
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
#[derive(Clone, Copy)]
enum Leaf {
    Leader,
    Control(Tag),
    Subfield(char),
}

/// The state of the record being read, and the first problem found in it. Its fields and
/// values go straight into the [`ParsedRecord`].
struct Partial {
    number: u64,
    offset: u64,
    leader: Option<Leader>,
    /// Whether a data field is open.
    in_field: bool,
    leaf: Option<Leaf>,
    /// Where the current leaf's text starts in the record's text buffer.
    leaf_start: usize,
    /// Depth of unknown elements being skipped inside the record.
    skipping: usize,
    problem: Option<(u64, RecordErrorKind)>,
}

impl Partial {
    fn fail(&mut self, offset: u64, kind: RecordErrorKind) {
        self.problem.get_or_insert((offset, kind));
    }
}

/// One piece of XML, as positions in the scanner's buffer (valid until the next scan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// Character data without references: `start..end`.
    Text {
        start: usize,
        end: usize,
    },
    /// `&name;` from the `&` at `start` to the `;` before `end`.
    Reference {
        start: usize,
        end: usize,
    },
    /// A CDATA section's content: `start..end`.
    CData {
        start: usize,
        end: usize,
    },
    /// `<name attributes>` or `<name attributes/>`: the name is `start + 1..name_end` and
    /// the attributes `name_end..attributes_end`.
    Start {
        start: usize,
        name_end: usize,
        attributes_end: usize,
        empty: bool,
    },
    /// `</name>`, the name `name_start..name_end`.
    End {
        name_start: usize,
        name_end: usize,
    },
    /// A comment, processing instruction, XML declaration or document type declaration.
    Other,
    Eof,
}

/// What the scanner found at the current position.
enum Scan {
    Token(Token, usize),
    /// The token goes on past the buffer: read more and scan again.
    NeedMore,
    Error(String),
}

impl<R: BufRead> MarcXmlReader<R> {
    /// A reader over any buffered input.
    pub fn new(input: R) -> MarcXmlReader<R> {
        MarcXmlReader {
            input,
            buffer: Vec::new(),
            filled: 0,
            position: 0,
            base: 0,
            input_done: false,
            started: false,
            open_names: Vec::new(),
            open_ends: Vec::new(),
            scopes: Vec::new(),
            record_number: 0,
            record_offset: 0,
            finished: false,
            parsed: ParsedRecord::new(),
        }
    }

    /// The byte offset of the `<record` start tag of the record last returned by the
    /// iterator, so a caller can point at a good record too.
    pub fn record_offset(&self) -> u64 {
        self.record_offset
    }

    /// Reads the next record into `out`, reusing its buffers: the fast path, which
    /// allocates nothing per record once the buffers are big enough. `None` at the end of
    /// the input; after an error `out` holds part of the bad record. The `Iterator` gives
    /// the same records as owned values.
    pub fn next_into(&mut self, out: &mut ParsedRecord) -> Option<Result<(), RecordError>> {
        if self.finished {
            return None;
        }
        let item = self.next_record(out);
        if item.is_none() {
            self.finished = true;
        }
        item
    }

    /// Reads more input into the buffer, first dropping what was scanned. Returns whether
    /// there was any. The read goes straight into the buffer: asked for more than its own
    /// capacity, a `BufReader` passes the read through rather than copying twice.
    fn refill(&mut self) -> std::io::Result<bool> {
        if self.position > 0 {
            self.buffer.copy_within(self.position..self.filled, 0);
            self.filled -= self.position;
            self.base += self.position as u64;
            self.position = 0;
        }
        // Room for a large read; a token longer than the buffer makes it grow.
        if self.buffer.len() - self.filled < CHUNK_SIZE / 2 {
            self.buffer.resize(self.filled + CHUNK_SIZE, 0);
        }
        loop {
            let room = self.buffer.get_mut(self.filled..).unwrap_or_default();
            match self.input.read(room) {
                Ok(0) => {
                    self.input_done = true;
                    return Ok(false);
                }
                Ok(read) => {
                    self.filled += read;
                    return Ok(true);
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// [`MarcXmlReader::refill`] with its error as a record error.
    fn more(&mut self) -> Result<bool, RecordErrorKind> {
        self.refill().map_err(|error| RecordErrorKind::Io {
            message: error.to_string(),
        })
    }

    /// The next token and its input offset, or a fatal error for the stream.
    fn next_token(&mut self) -> Result<(Token, u64), RecordErrorKind> {
        if !self.started {
            self.started = true;
            while self.filled < BOM.len() && self.more()? {}
            if self
                .buffer
                .get(..self.filled)
                .unwrap_or_default()
                .starts_with(BOM)
            {
                self.position = BOM.len();
            }
        }
        loop {
            let at = self.position;
            let input = self.buffer.get(..self.filled).unwrap_or_default();
            match scan(input, at, self.input_done) {
                Scan::Token(token, next) => {
                    self.position = next;
                    return Ok((token, self.base + at as u64));
                }
                Scan::Error(message) => return Err(RecordErrorKind::Xml { message }),
                Scan::NeedMore => {
                    self.more()?;
                }
            }
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

    /// A fatal error met while reading record `partial` (or between records).
    fn fatal_in(
        &mut self,
        partial: Option<&Partial>,
        offset: u64,
        kind: RecordErrorKind,
    ) -> RecordError {
        if partial.is_none() {
            self.record_number += 1;
        }
        self.fatal(offset, kind)
    }

    fn next_record(&mut self, out: &mut ParsedRecord) -> Option<Result<(), RecordError>> {
        let mut partial: Option<Partial> = None;
        loop {
            let (token, offset) = match self.next_token() {
                Ok(token) => token,
                Err(kind) => {
                    let at = self.base + self.position as u64;
                    return Some(Err(self.fatal_in(partial.as_ref(), at, kind)));
                }
            };
            match token {
                Token::Start {
                    start,
                    name_end,
                    attributes_end,
                    empty,
                } => {
                    let name_range = start + 1..name_end;
                    let name = self.buffer.get(name_range.clone()).unwrap_or_default();
                    self.open_names.extend_from_slice(name);
                    self.open_ends.push(self.open_names.len());
                    let depth = self.open_ends.len();
                    let (prefix, local) = split_name(name);
                    let raw_attributes = self
                        .buffer
                        .get(name_end..attributes_end)
                        .unwrap_or_default();
                    // Inside a record, namespaces decide nothing (elements are matched by
                    // local name, and a declaration there ends before the record does), so
                    // only declarations outside records are looked for.
                    let declares = partial.is_none() && declares_namespaces(raw_attributes);
                    // Attributes are checked as text only where they are read.
                    let reads_attributes = declares
                        || partial
                            .as_ref()
                            .is_some_and(|record| record.skipping == 0 && record.leaf.is_none());
                    if reads_attributes
                        && !raw_attributes.is_ascii()
                        && let Err(kind) =
                            text_at(&self.buffer, self.base, name_end, attributes_end)
                    {
                        return Some(Err(self.fatal_in(partial.as_ref(), offset, kind)));
                    }
                    let attributes: &[u8] = if reads_attributes {
                        raw_attributes
                    } else {
                        b""
                    };
                    if declares {
                        declare_namespaces(&mut self.scopes, depth, attributes);
                    }
                    match partial.as_mut() {
                        None if local == b"record" && is_marc(&self.scopes, prefix) => {
                            self.record_number += 1;
                            self.record_offset = offset;
                            out.clear();
                            partial = Some(Partial {
                                number: self.record_number,
                                offset,
                                leader: None,
                                in_field: false,
                                leaf: None,
                                leaf_start: 0,
                                skipping: 0,
                                problem: None,
                            });
                        }
                        None => {}
                        Some(record) => start_element(record, local, attributes, offset, out),
                    }
                    if empty {
                        // Where a separate end tag would have started: just after this one.
                        let end_offset = self.base + self.position as u64;
                        if let Some(done) =
                            self.end_element(&mut partial, name_range, end_offset, out)
                        {
                            return Some(done);
                        }
                    }
                }
                Token::End {
                    name_start,
                    name_end,
                } => {
                    let name = self.buffer.get(name_start..name_end).unwrap_or_default();
                    let open = self.open_ends.len().checked_sub(1).map(|top| {
                        let open_start = top
                            .checked_sub(1)
                            .and_then(|below| self.open_ends.get(below))
                            .copied()
                            .unwrap_or(0);
                        self.open_names.get(open_start..).unwrap_or_default()
                    });
                    if open != Some(name) {
                        let message = match open {
                            Some(open) => format!(
                                "expected </{}>, found </{}>",
                                String::from_utf8_lossy(open),
                                String::from_utf8_lossy(name)
                            ),
                            None => format!(
                                "end tag </{}> without a start tag",
                                String::from_utf8_lossy(name)
                            ),
                        };
                        let kind = RecordErrorKind::Xml { message };
                        return Some(Err(self.fatal_in(partial.as_ref(), offset, kind)));
                    }
                    if let Some(done) =
                        self.end_element(&mut partial, name_start..name_end, offset, out)
                    {
                        return Some(done);
                    }
                }
                Token::Text { start, end } | Token::CData { start, end } => {
                    if partial.as_ref().is_some_and(|record| record.leaf.is_some()) {
                        match text_at(&self.buffer, self.base, start, end) {
                            Ok(text) => push_normalised(out.text_mut(), text),
                            Err(kind) => {
                                return Some(Err(self.fatal_in(partial.as_ref(), offset, kind)));
                            }
                        }
                    }
                }
                Token::Reference { start, end } => {
                    let name = self.buffer.get(start + 1..end - 1).unwrap_or_default();
                    let Some(resolved) = resolve_reference(name) else {
                        let message = format!(
                            "undefined entity or character reference &{};",
                            String::from_utf8_lossy(name)
                        );
                        let kind = RecordErrorKind::Xml { message };
                        return Some(Err(self.fatal_in(partial.as_ref(), offset, kind)));
                    };
                    if partial.as_ref().is_some_and(|record| record.leaf.is_some()) {
                        out.text_mut().push(resolved);
                    }
                }
                Token::Other => {}
                Token::Eof => {
                    if let Some(record) = partial {
                        self.record_number = record.number;
                        let end = self.base + self.filled as u64;
                        return Some(Err(self.fatal(
                            end,
                            RecordErrorKind::Xml {
                                message: "input ends inside a record".into(),
                            },
                        )));
                    }
                    self.finished = true;
                    return None;
                }
            }
        }
    }

    /// Closes the innermost element (whose name is at `name` in the buffer), and returns
    /// the record if it was the record's end.
    fn end_element(
        &mut self,
        partial: &mut Option<Partial>,
        name: std::ops::Range<usize>,
        offset: u64,
        out: &mut ParsedRecord,
    ) -> Option<Result<(), RecordError>> {
        let name = self.buffer.get(name).unwrap_or_default();
        let (prefix, local) = split_name(name);
        let depth = self.open_ends.len();
        let mut finished = None;
        if let Some(record) = partial.as_mut() {
            if record.skipping > 0 {
                record.skipping -= 1;
            } else if local == b"record" && is_marc(&self.scopes, prefix) {
                finished = partial.take();
            } else {
                end_leaf_or_field(record, local, offset, out);
            }
        }
        // The element's own declarations went out of scope with it.
        while self.scopes.last().is_some_and(|scope| scope.depth >= depth) {
            self.scopes.pop();
        }
        self.open_ends.pop();
        let open_start = self.open_ends.last().copied().unwrap_or(0);
        self.open_names.truncate(open_start);
        finished.map(|record| finish(record, out))
    }
}

impl<R: BufRead> Iterator for MarcXmlReader<R> {
    type Item = Result<Record, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut parsed = std::mem::take(&mut self.parsed);
        let item = self.next_into(&mut parsed);
        let item = item.map(|result| result.map(|()| parsed.to_record()));
        self.parsed = parsed;
        item
    }
}

const BOM: &[u8] = b"\xef\xbb\xbf";

/// A range of the scanner's buffer as text, checked here: only text the reader uses is
/// checked (values, and the attributes of elements it reads), once.
fn text_at(buffer: &[u8], base: u64, start: usize, end: usize) -> Result<&str, RecordErrorKind> {
    std::str::from_utf8(buffer.get(start..end).unwrap_or_default()).map_err(|error| {
        RecordErrorKind::Xml {
            message: format!(
                "invalid UTF-8 at byte {}",
                base + (start + error.valid_up_to()) as u64
            ),
        }
    })
}

/// Finds the token at `at`. Incomplete markup at the end of the buffer asks for more input,
/// or is an error when the input is done.
fn scan(bytes: &[u8], at: usize, at_end: bool) -> Scan {
    let rest = bytes.get(at..).unwrap_or_default();
    let more = |what: &str| {
        if at_end {
            Scan::Error(format!("input ends inside {what}"))
        } else {
            Scan::NeedMore
        }
    };
    let Some(first) = rest.first() else {
        return if at_end {
            Scan::Token(Token::Eof, at)
        } else {
            Scan::NeedMore
        };
    };
    match first {
        b'<' => scan_markup(rest, at, at_end),
        b'&' => match memchr::memchr3(b';', b'<', b'&', rest.get(1..).unwrap_or_default()) {
            Some(semicolon) if rest.get(semicolon + 1) == Some(&b';') && semicolon > 0 => {
                let end = at + semicolon + 2;
                Scan::Token(Token::Reference { start: at, end }, end)
            }
            Some(_) => Scan::Error("a reference (&) without its closing ;".into()),
            None => more("a reference"),
        },
        _ => match text_end(rest) {
            Some(length) => Scan::Token(
                Token::Text {
                    start: at,
                    end: at + length,
                },
                at + length,
            ),
            None if at_end => Scan::Token(
                Token::Text {
                    start: at,
                    end: bytes.len(),
                },
                bytes.len(),
            ),
            None => Scan::NeedMore,
        },
    }
}

/// The length of the character data at the start of `rest`: up to the next `<` or `&`.
/// Half the text in a MARCXML file is the indentation between tags, which a plain loop
/// gets through before `memchr` would have started.
fn text_end(rest: &[u8]) -> Option<usize> {
    let blank = rest
        .iter()
        .position(|byte| !matches!(byte, b' ' | b'\n' | b'\t' | b'\r'))?;
    match rest.get(blank) {
        Some(b'<' | b'&') => Some(blank),
        _ => memchr::memchr2(b'<', b'&', rest.get(blank..)?).map(|length| blank + length),
    }
}

/// [`scan`] for a token that starts with `<` (`rest` starts at `at`).
fn scan_markup(rest: &[u8], at: usize, at_end: bool) -> Scan {
    let more = |what: &str| {
        if at_end {
            Scan::Error(format!("input ends inside {what}"))
        } else {
            Scan::NeedMore
        }
    };
    let find = |needle: &[u8], from: usize| {
        memchr::memmem::find(rest.get(from..).unwrap_or_default(), needle).map(|found| found + from)
    };
    match rest.get(1) {
        None => more("a tag"),
        Some(b'/') => match find_byte(b'>', rest) {
            Some(close) => {
                let name = rest.get(2..close).unwrap_or_default();
                let name_length = name.trim_ascii_end().len();
                if name_length == 0
                    || !name
                        .iter()
                        .take(name_length)
                        .all(|byte| is_name_byte(*byte))
                {
                    return Scan::Error(format!(
                        "malformed end tag </{}>",
                        String::from_utf8_lossy(name)
                    ));
                }
                Scan::Token(
                    Token::End {
                        name_start: at + 2,
                        name_end: at + 2 + name_length,
                    },
                    at + close + 1,
                )
            }
            None => more("an end tag"),
        },
        Some(b'?') => match find(b"?>", 2) {
            Some(close) => Scan::Token(Token::Other, at + close + 2),
            None => more("a processing instruction"),
        },
        Some(b'!') => {
            if rest.len() < 9 && !at_end {
                return Scan::NeedMore;
            }
            if rest.starts_with(b"<!--") {
                match find(b"-->", 4) {
                    Some(close) => Scan::Token(Token::Other, at + close + 3),
                    None => more("a comment"),
                }
            } else if rest.starts_with(b"<![CDATA[") {
                match find(b"]]>", 9) {
                    Some(close) => Scan::Token(
                        Token::CData {
                            start: at + 9,
                            end: at + close,
                        },
                        at + close + 3,
                    ),
                    None => more("a CDATA section"),
                }
            } else if rest
                .get(..9)
                .is_some_and(|start| start.eq_ignore_ascii_case(b"<!DOCTYPE"))
            {
                match document_type_end(rest) {
                    Some(close) => Scan::Token(Token::Other, at + close + 1),
                    None => more("the document type declaration"),
                }
            } else {
                Scan::Error("unknown markup starting <!".into())
            }
        }
        Some(_) => {
            let Some(close) = tag_end(rest) else {
                return more("a start tag");
            };
            let inside = rest.get(1..close).unwrap_or_default();
            let name_length = inside
                .iter()
                .position(|byte| byte.is_ascii_whitespace() || *byte == b'/')
                .unwrap_or(inside.len());
            let name = inside.get(..name_length).unwrap_or_default();
            if name.is_empty() || !name.iter().all(|byte| is_name_byte(*byte)) {
                return Scan::Error(format!(
                    "malformed start tag <{}>",
                    String::from_utf8_lossy(inside)
                ));
            }
            let empty = inside.last() == Some(&b'/');
            let attributes_end = if empty { close - 1 } else { close }.max(1 + name_length);
            Scan::Token(
                Token::Start {
                    start: at,
                    name_end: at + 1 + name_length,
                    attributes_end: at + attributes_end,
                    empty,
                },
                at + close + 1,
            )
        }
    }
}

/// Bytes that may appear in an element name here: anything but markup and whitespace
/// (XML's name rules are wider than ASCII; a name is compared, never interpreted).
fn is_name_byte(byte: u8) -> bool {
    !matches!(
        byte,
        b'<' | b'>' | b'&' | b'"' | b'\'' | b'=' | b'/' | b' ' | b'\t' | b'\r' | b'\n'
    )
}

/// The position of the `>` that ends the start tag at the start of `tag`: the first one
/// outside a quoted attribute value.
fn tag_end(tag: &[u8]) -> Option<usize> {
    // Values with a `>` in them are rare: take the first `>` when the double quotes before
    // it pair up and there are no single quotes, and walk the quotes only otherwise.
    let first = find_byte(b'>', tag)?;
    let before = tag.get(..first)?;
    let quotes = before.iter().filter(|byte| **byte == b'"').count();
    if quotes % 2 == 0 && !before.contains(&b'\'') {
        return Some(first);
    }
    let mut quote = None;
    for (at, byte) in tag.iter().enumerate().skip(1) {
        match quote {
            Some(open) if *byte == open => quote = None,
            Some(_) => {}
            None if *byte == b'>' => return Some(at),
            None if *byte == b'"' || *byte == b'\'' => quote = Some(*byte),
            None => {}
        }
    }
    None
}

/// The position of the `>` that ends a document type declaration, past any internal
/// subset in brackets and quoted strings.
fn document_type_end(declaration: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote = None;
    for (at, byte) in declaration.iter().enumerate().skip(9) {
        match (quote, *byte) {
            (Some(open), byte) if byte == open => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(*byte),
            (None, b'[') => depth += 1,
            (None, b']') => depth = depth.saturating_sub(1),
            (None, b'>') if depth == 0 => return Some(at),
            (None, _) => {}
        }
    }
    None
}

/// Appends character data with XML 1.0's end-of-line handling: `\r\n` and a lone `\r`
/// become `\n`.
fn push_normalised(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = find_byte(b'\r', rest.as_bytes()) {
        out.push_str(rest.get(..at).unwrap_or_default());
        out.push('\n');
        let skip = if rest.as_bytes().get(at + 1) == Some(&b'\n') {
            2
        } else {
            1
        };
        rest = rest.get(at + skip..).unwrap_or_default();
    }
    out.push_str(rest);
}

/// The character a reference stands for: one of XML's five predefined entities, or a
/// decimal (`#233`) or hexadecimal (`#xE9`) character reference. Anything else is
/// undefined (MARCXML files declare no entities of their own).
fn resolve_reference(name: &[u8]) -> Option<char> {
    match name {
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"amp" => Some('&'),
        b"apos" => Some('\''),
        b"quot" => Some('"'),
        [b'#', b'x', hex @ ..] => character(hex, 16),
        [b'#', decimal @ ..] => character(decimal, 10),
        _ => None,
    }
}

/// The character with the code written in `digits` (which must all be digits of `radix`).
fn character(digits: &[u8], radix: u32) -> Option<char> {
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let code = digits.iter().try_fold(0u32, |code, digit| {
        Some(code * radix + char::from(*digit).to_digit(radix)?)
    })?;
    char::from_u32(code).filter(|character| *character != '\0')
}

/// The values of the named attributes (matched by local name; the first of duplicates
/// wins), in one pass over the tag, borrowed unless a value holds a reference or a
/// character that attribute-value normalisation changes. Parsing stops at anything that
/// is not `name = "value"`, keeping what was found before it. A value whose references do
/// not resolve counts as missing.
fn attributes<'a, const N: usize>(raw: &'a [u8], names: [&[u8]; N]) -> [Option<Cow<'a, [u8]>>; N] {
    if let Some(found) = canonical_attributes(raw, names) {
        return found;
    }
    let mut found: [Option<Cow<'a, [u8]>>; N] = [const { None }; N];
    // The reader checked the tag's text before handing it over.
    let Ok(raw) = std::str::from_utf8(raw) else {
        return found;
    };
    let mut seen = [false; N];
    for (name, value) in attribute_pairs(raw) {
        let (_, local) = split_name(name.as_bytes());
        // Compared by hand: a call to `memcmp` costs more than these few bytes.
        let Some(index) = names.iter().position(|wanted| {
            wanted.len() == local.len() && wanted.iter().zip(local).all(|(a, b)| a == b)
        }) else {
            continue;
        };
        if let (Some(seen), Some(slot)) = (seen.get_mut(index), found.get_mut(index))
            && !std::mem::replace(seen, true)
        {
            *slot = normalise_attribute(value).map(|value| match value {
                Cow::Borrowed(value) => Cow::Borrowed(value.as_bytes()),
                Cow::Owned(value) => Cow::Owned(value.into_bytes()),
            });
        }
    }
    found
}

/// [`attributes`] for the form MARCXML writers produce — exactly the wanted attributes, in
/// order, each as ` name="value"` with a short value that needs no normalisation — checked
/// in one pass; `None` for anything else, which the general scan then reads. The tests
/// check both give the same values.
fn canonical_attributes<'a, const N: usize>(
    bytes: &'a [u8],
    names: [&[u8]; N],
) -> Option<[Option<Cow<'a, [u8]>>; N]> {
    /// Values longer than this (MARC's are one to three characters) take the general path.
    const LONGEST: usize = 8;
    let mut found: [Option<Cow<'a, [u8]>>; N] = [const { None }; N];
    let mut at = 0;
    for (slot, name) in found.iter_mut().zip(names) {
        let name_end = at + 1 + name.len();
        if bytes.get(at) != Some(&b' ')
            || bytes.get(at + 1..name_end)? != name
            || bytes.get(name_end..name_end + 2)? != b"=\""
        {
            return None;
        }
        let value_start = name_end + 2;
        let value_length = bytes
            .get(value_start..)?
            .iter()
            .take(LONGEST)
            .position(|byte| *byte == b'"')?;
        let value_end = value_start + value_length;
        if bytes
            .get(value_start..value_end)?
            .iter()
            .any(|byte| matches!(byte, b'&' | b'<' | b'\t' | b'\n' | b'\r'))
        {
            return None;
        }
        *slot = Some(Cow::Borrowed(bytes.get(value_start..value_end)?));
        at = value_end + 1;
    }
    (at == bytes.len()).then_some(found)
}

/// The `name="value"` pairs of a start tag's attribute text, raw. Scanned byte by byte:
/// a tag's attributes are a few dozen bytes, too few for `memchr` to pay for its set-up.
fn attribute_pairs(raw: &str) -> impl Iterator<Item = (&str, &str)> {
    let bytes = raw.as_bytes();
    let skip_space = move |mut at: usize| {
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        at
    };
    let mut at = 0;
    std::iter::from_fn(move || {
        let name_start = skip_space(at);
        let mut name_end = name_start;
        while bytes
            .get(name_end)
            .is_some_and(|byte| *byte != b'=' && !byte.is_ascii_whitespace())
        {
            name_end += 1;
        }
        let equals = skip_space(name_end);
        if name_end == name_start || bytes.get(equals) != Some(&b'=') {
            return None;
        }
        let open = skip_space(equals + 1);
        let quote = *bytes
            .get(open)
            .filter(|quote| **quote == b'"' || **quote == b'\'')?;
        let value_start = open + 1;
        let value_end = value_start
            + bytes
                .get(value_start..)?
                .iter()
                .position(|byte| *byte == quote)?;
        at = value_end + 1;
        // Cut at ASCII bytes, so on character boundaries.
        Some((
            raw.get(name_start..name_end)?,
            raw.get(value_start..value_end)?,
        ))
    })
}

/// Attribute-value normalisation (XML 1.0, 3.3.3): references resolved, and tab, newline,
/// carriage return (and `\r\n`) each made one space. `None` if a reference is undefined.
fn normalise_attribute(value: &str) -> Option<Cow<'_, str>> {
    if !value
        .bytes()
        .any(|byte| matches!(byte, b'&' | b'\t' | b'\n' | b'\r'))
    {
        return Some(Cow::Borrowed(value));
    }
    let mut normalised = String::with_capacity(value.len());
    let mut characters = value.char_indices().peekable();
    while let Some((at, character)) = characters.next() {
        match character {
            '&' => {
                let end = value.get(at..)?.find(';')? + at;
                normalised.push(resolve_reference(value.as_bytes().get(at + 1..end)?)?);
                while characters.next_if(|(next, _)| *next <= end).is_some() {}
            }
            '\r' => {
                normalised.push(' ');
                characters.next_if(|(_, next)| *next == '\n');
            }
            '\t' | '\n' => normalised.push(' '),
            other => normalised.push(other),
        }
    }
    Some(Cow::Owned(normalised))
}

/// A name's prefix (empty if none) and local part.
pub(super) fn split_name(name: &[u8]) -> (&[u8], &[u8]) {
    // Names are short: a plain loop beats `memchr`'s set-up.
    match name.iter().position(|byte| *byte == b':') {
        Some(colon) => (
            name.get(..colon).unwrap_or_default(),
            name.get(colon + 1..).unwrap_or_default(),
        ),
        None => (b"", name),
    }
}

/// Whether a start tag's attributes hold `xmlns`; MARC's own attributes have no `x` in
/// them, so this usually ends at the first `memchr`.
fn declares_namespaces(attributes: &[u8]) -> bool {
    let Some(first) = find_byte(b'x', attributes) else {
        return false;
    };
    memchr::memmem::find(attributes.get(first..).unwrap_or_default(), b"xmlns").is_some()
}

/// Records the namespace declarations of an element opened at `depth`.
fn declare_namespaces(scopes: &mut Vec<Scope>, depth: usize, attributes: &[u8]) {
    // The reader checked the tag's text before handing it over.
    let Ok(attributes) = std::str::from_utf8(attributes) else {
        return;
    };
    for (name, value) in attribute_pairs(attributes) {
        let prefix = match name.strip_prefix("xmlns") {
            Some("") => "",
            Some(prefixed) => match prefixed.strip_prefix(':') {
                Some(prefix) => prefix,
                None => continue,
            },
            None => continue,
        };
        let Some(namespace) = normalise_attribute(value) else {
            continue;
        };
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

/// Tags are three characters; some writers drop leading zeros (`tag="42"`), which
/// ruby-marc and yaz read as `042`.
fn parse_xml_tag(bytes: &[u8]) -> Result<Tag, RecordErrorKind> {
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
        found: String::from_utf8_lossy(bytes).into_owned(),
    })
}

/// The one character of an indicator or subfield code: `None` when empty, and the text
/// found when it holds more than one.
fn one_character(bytes: &[u8]) -> Result<Option<char>, String> {
    match bytes {
        [] => Ok(None),
        [byte] if byte.is_ascii() => Ok(Some(char::from(*byte))),
        _ => {
            let text = String::from_utf8_lossy(bytes);
            let mut characters = text.chars();
            match (characters.next(), characters.next()) {
                (Some(character), None) => Ok(Some(character)),
                _ => Err(text.into_owned()),
            }
        }
    }
}

/// An indicator: one character; a missing or empty attribute means blank.
fn parse_indicator(value: Option<Cow<'_, [u8]>>) -> Result<char, RecordErrorKind> {
    let Some(value) = value else { return Ok(' ') };
    match one_character(&value) {
        Ok(character) => Ok(character.unwrap_or(' ')),
        Err(found) => Err(RecordErrorKind::BadXmlCode {
            what: "indicator",
            found,
        }),
    }
}

fn start_element(
    record: &mut Partial,
    name: &[u8],
    attributes_text: &[u8],
    offset: u64,
    out: &mut ParsedRecord,
) {
    if record.skipping > 0 || record.leaf.is_some() {
        // Markup inside a value or inside an unknown element is not MARC: skip it whole.
        record.skipping += 1;
        if record.leaf.is_some() {
            record.fail(offset, unexpected(name));
        }
        return;
    }
    let start_leaf = |record: &mut Partial, leaf| {
        record.leaf = Some(leaf);
        record.leaf_start = out.text_len();
    };
    match (name, record.in_field) {
        (b"leader", false) => start_leaf(record, Leaf::Leader),
        (b"controlfield", false) => match attributes(attributes_text, [b"tag"]) {
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
                Ok(tag) => start_leaf(record, Leaf::Control(tag)),
                Err(kind) => {
                    record.fail(offset, kind);
                    record.skipping += 1;
                }
            },
        },
        (b"datafield", false) => {
            let [tag, indicator1, indicator2] =
                attributes(attributes_text, [b"tag", b"ind1", b"ind2"]);
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
                    out.start_data_field(tag, indicator1, indicator2);
                    record.in_field = true;
                }
                (Err(kind), _, _) | (_, Err(kind), _) | (_, _, Err(kind)) => {
                    record.fail(offset, kind);
                    record.skipping += 1;
                }
            }
        }
        (b"subfield", true) => {
            let [code] = attributes(attributes_text, [b"code"]);
            match code.as_deref().map(one_character) {
                None => {
                    record.fail(
                        offset,
                        RecordErrorKind::MissingAttribute {
                            element: "subfield",
                            attribute: "code",
                        },
                    );
                    record.skipping += 1;
                }
                Some(Ok(Some(code))) => start_leaf(record, Leaf::Subfield(code)),
                Some(Ok(None)) | Some(Err(_)) => {
                    let found = code.as_deref().unwrap_or_default();
                    record.fail(
                        offset,
                        RecordErrorKind::BadXmlCode {
                            what: "subfield code",
                            found: String::from_utf8_lossy(found).into_owned(),
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

pub(super) fn unexpected(name: &[u8]) -> RecordErrorKind {
    RecordErrorKind::UnexpectedElement {
        name: String::from_utf8_lossy(name).into_owned(),
    }
}

/// Ends a leaf element (its text was appended to the record's text as it came) or a
/// data field.
fn end_leaf_or_field(record: &mut Partial, name: &[u8], offset: u64, out: &mut ParsedRecord) {
    match (record.leaf.take(), name) {
        (Some(Leaf::Leader), b"leader") => {
            let text = out.text_mut();
            let leader = text.get(record.leaf_start..).unwrap_or_default();
            let length = leader.chars().count();
            if length == 24 {
                let mut bytes = [b' '; 24];
                for (slot, character) in bytes.iter_mut().zip(leader.chars()) {
                    *slot = u8::try_from(character).unwrap_or(b' ');
                }
                record.leader = Some(Leader::from_bytes(bytes));
            } else {
                record.fail(offset, RecordErrorKind::LeaderNot24Bytes { length });
            }
            text.truncate(record.leaf_start);
        }
        (Some(Leaf::Control(tag)), b"controlfield") => {
            out.push_control(tag, record.leaf_start..out.text_len());
        }
        (Some(Leaf::Subfield(code)), b"subfield") => {
            out.push_subfield(code, record.leaf_start..out.text_len());
        }
        (None, b"datafield") => record.in_field = false,
        _ => {}
    }
}

fn finish(record: Partial, out: &mut ParsedRecord) -> Result<(), RecordError> {
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
    out.set_leader(leader);
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::events::{BytesStart, Event};

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

    #[test]
    fn namespaces_decide_which_record_elements_are_marc() {
        let record = |name: &str| {
            format!(
                "<{name}><{p}leader>00000nam a2200000   4500</{p}leader></{name}>",
                p = name
                    .split_once(':')
                    .map_or(String::new(), |(p, _)| format!("{p}:"))
            )
        };
        let cases = [
            // No namespace at all, and the default namespace undeclared again.
            (format!("<collection>{}</collection>", record("record")), 1),
            (
                format!(
                    "<c xmlns=\"urn:other\"><x xmlns=\"\">{}</x></c>",
                    record("record")
                ),
                1,
            ),
            // Another default namespace: an OAI-PMH record is not MARC.
            (
                format!("<c xmlns=\"urn:other\">{}</c>", record("record")),
                0,
            ),
            // A prefix bound to MARC, one bound elsewhere, one never declared.
            (
                format!(
                    "<m:c xmlns:m=\"{MARCXML_NAMESPACE}\">{}</m:c>",
                    record("m:record")
                ),
                1,
            ),
            (
                format!("<c xmlns:o=\"urn:other\">{}</c>", record("o:record")),
                0,
            ),
            (format!("<c>{}</c>", record("q:record")), 0),
            // A declaration ends with its element, and an inner one shadows an outer one.
            (
                format!(
                    "<c><w xmlns=\"urn:other\"></w>{}<m:w xmlns:m=\"urn:other\"><n xmlns:m=\"{MARCXML_NAMESPACE}\">{}</n>{}</m:w></c>",
                    record("record"),
                    record("m:record"),
                    record("m:record")
                ),
                2,
            ),
            // Declared on the record element itself, with the default namespace elsewhere.
            (
                format!(
                    "<c xmlns=\"urn:other\"><record xmlns=\"{MARCXML_NAMESPACE}\"><leader>00000nam a2200000   4500</leader></record></c>"
                ),
                1,
            ),
        ];
        for (input, expected) in cases {
            let read: Vec<_> = read_marcxml(input.as_bytes()).collect();
            assert_eq!(read.len(), expected, "{input}: {read:?}");
            assert!(read.iter().all(Result::is_ok), "{input}: {read:?}");
            assert_eq!(marc_records_by_quick_xml(&input), expected, "{input}");
        }
    }

    /// How many MARC `record` elements quick-xml's own namespace resolver finds, as the
    /// reference for the reader's cheaper resolution.
    fn marc_records_by_quick_xml(input: &str) -> usize {
        use quick_xml::name::ResolveResult;
        let mut xml = quick_xml::NsReader::from_str(input);
        xml.config_mut().expand_empty_elements = true;
        let mut count = 0;
        loop {
            match xml.read_resolved_event() {
                Ok((namespace, Event::Start(start))) if start.local_name().as_ref() == "record" => {
                    count += usize::from(match namespace {
                        ResolveResult::Unbound => true,
                        ResolveResult::Bound(namespace) => namespace.as_ref() == MARCXML_NAMESPACE,
                        ResolveResult::Unknown(_) => false,
                    });
                }
                Ok((_, Event::Eof)) | Err(_) => return count,
                Ok(_) => {}
            }
        }
    }

    #[test]
    fn every_xml_fixture_has_as_many_records_as_quick_xml_resolves() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/marc");
        let mut files = 0;
        let mut pending = vec![root];
        while let Some(directory) = pending.pop() {
            for entry in std::fs::read_dir(&directory).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|extension| extension == "xml") {
                    let bytes = std::fs::read(&path).unwrap();
                    let Ok(text) = std::str::from_utf8(&bytes) else {
                        continue;
                    };
                    let ours = read_marcxml(&bytes).collect::<Vec<_>>();
                    let ended_by_syntax_error = ours.last().is_some_and(|item| {
                        matches!(
                            item,
                            Err(RecordError {
                                kind: RecordErrorKind::Xml { .. },
                                ..
                            })
                        )
                    });
                    if !ended_by_syntax_error {
                        assert_eq!(
                            ours.len(),
                            marc_records_by_quick_xml(text.trim_start_matches('\u{feff}')),
                            "{}",
                            path.display()
                        );
                        files += 1;
                    }
                }
            }
        }
        assert!(files > 30, "only {files} MARCXML fixtures checked");
    }

    #[test]
    fn attribute_values_are_unescaped_and_normalised_and_the_first_of_duplicates_wins() {
        let input = "<record><leader>00000nam a2200000   4500</leader>\
                     <datafield tag=\"2&#52;5\" ind1=\"&#49;\" ind2=\"\t\" ind1=\"9\">\
                     <subfield code=\"&lt;\">x</subfield></datafield></record>";
        let record = read_marcxml(input.as_bytes()).next().unwrap().unwrap();
        let field = record.field("245").unwrap();
        assert_eq!((field.indicator1, field.indicator2), ('1', ' '));
        assert_eq!(field.subfield('<'), Some("x"));
    }

    #[test]
    fn attributes_agree_with_quick_xml() {
        let tags = [
            r#"datafield tag="245" ind1="1" ind2=" ""#,
            r#"datafield  tag='245'	ind1="" ind2=' ' "#,
            r#"datafield marc:tag="245" ind1="1" ind1="2" other="x>y""#,
            r#"datafield tag = "245" ind1="1""#,
            r#"datafield tag="2&#52;5" ind1="&lt;" ind2="	""#,
            r#"datafield tag="2&#x34;5" ind1="a&#13;&#10;b" ind2="&bogus;""#,
            r#"datafield tag="245" ind1="x&#xD;&#xA;y" ind2="p
q""#,
            r#"datafield tag="é" ind1="ü""#,
            r#"datafield"#,
        ];
        for tag in tags {
            let start = BytesStart::from_content(tag, "datafield".len());
            let names: [&[u8]; 3] = [b"tag", b"ind1", b"ind2"];
            let raw = tag.get("datafield".len()..).unwrap();
            let reference = super::super::reference::general_attributes(&start, names)
                .map(|value| value.map(|value| value.into_owned().into_bytes()));
            assert_eq!(
                attributes(raw.as_bytes(), names).map(|value| value.map(Cow::into_owned)),
                reference,
                "{tag}"
            );
        }
    }

    /// Every item of both readers, records as records and errors as text; XML syntax
    /// errors only as "syntax error in record N", since the two parsers word them (and
    /// place some of them) differently.
    fn items<I: Iterator<Item = Result<Record, RecordError>>>(reader: I) -> Vec<String> {
        reader
            .map(|item| match item {
                Ok(record) => format!("{record:?}"),
                Err(RecordError {
                    record_number,
                    kind: RecordErrorKind::Xml { .. },
                    ..
                }) => format!("syntax error in record {record_number}"),
                Err(error) => error.to_string(),
            })
            .collect()
    }

    /// Reads `bytes` with the scanner (whole, and through a reader that gives it a few
    /// bytes at a time, so every token is sometimes cut by a refill) and with the quick-xml
    /// reader it replaced, and checks all three agree.
    fn agrees_with_quick_xml(bytes: &[u8], name: &str) -> Vec<String> {
        let ours = items(read_marcxml(bytes));
        let dribbled = items(MarcXmlReader::new(std::io::BufReader::with_capacity(
            7, bytes,
        )));
        assert_eq!(ours, dribbled, "{name}: read in small pieces");
        let reference = items(super::super::reference::read_marcxml(bytes));
        assert_eq!(ours, reference, "{name}");
        ours
    }

    #[test]
    fn agrees_with_quick_xml_on_every_xml_fixture() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/marc");
        let mut files = 0;
        let mut records = 0;
        let mut pending = vec![root];
        while let Some(directory) = pending.pop() {
            for entry in std::fs::read_dir(&directory).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else if crate::detect_format(&std::fs::read(&path).unwrap())
                    == Some(crate::Format::MarcXml)
                {
                    let bytes = std::fs::read(&path).unwrap();
                    records += agrees_with_quick_xml(&bytes, &path.display().to_string()).len();
                    files += 1;
                }
            }
        }
        assert!(files > 30, "only {files} MARCXML fixtures checked");
        assert!(records > 300, "only {records} MARCXML records checked");
    }

    #[test]
    fn agrees_with_quick_xml_on_the_rarer_parts_of_xml() {
        let field = |content: &str| {
            format!(
                "<record>{LEADER}<datafield tag=\"245\" ind1=\"1\" ind2=\"0\">{content}</datafield></record>"
            )
        };
        let cases = [
            field("<subfield code=\"a\"><![CDATA[a <b> & c]]> and <![CDATA[]]>d</subfield>"),
            field("<subfield code=\"a\">line\r\nnext\rlast\r</subfield>"),
            field("<subfield code=\"a\">split \r&amp;\n</subfield>"),
            field("<subfield code=\"a\">&#x41;&#66;&lt;&gt;&quot;&apos;</subfield>"),
            field("<subfield code=\"a\">a<!-- note -->b<?pi x?>c</subfield>"),
            field("<subfield code=\"a\"/><subfield code=\"b\"></subfield>"),
            field("<subfield code=\"a\">x<b>y</b></subfield>"),
            field("<subfield code=\"a\">&nbsp;</subfield>"),
            field("<subfield code=\"a\">&#0;</subfield>"),
            field("<subfield code=\"a\">&#xD800;</subfield>"),
            field("<subfield code=\"a\">a & b</subfield>"),
            field("<subfield code=\"a\">x</subfield >"),
            field("<subfield code=\"ab\">x</subfield>"),
            field("<subfield code=\"a\">x</subfeld>"),
            field("<subfield code=\"a\">x"),
            field("<subfield code=\"a\">x</subfield><extra/>"),
            field("<subfield code=\"a\" note='it>s'>x</subfield>"),
            field("<subfield note=\"a>b\" code=\"c\">x</subfield>"),
            field("<subfield code=\"\u{e9}\">x</subfield>"),
            field("<subfield code=\"\">x</subfield>"),
            format!(
                "<?xml version=\"1.0\"?><!DOCTYPE collection [<!ELEMENT x (y)> <!-- ] -->]><collection>{}</collection>",
                field("")
            ),
            format!("\u{feff}{}", field("<subfield code=\"a\">bom</subfield>")),
            format!(
                "<collection>{}<record><leader>00000nam a2200000   4500</leader><controlfield tag=\"001\">1</controlfield><datafield tag=\"24\"/></record></collection>",
                field("")
            ),
            format!(
                "<collection><record><leader/></record>{}</collection>",
                field("")
            ),
            format!(
                "<collection>{}</collection><record><leader>00000nam a2200000   4500</leader></record>",
                field("")
            ),
            format!(
                "<collection>{}",
                field("<subfield code=\"a\">unclosed collection</subfield>")
            ),
            format!("<collection>{}<record>", field("")),
            format!("<collection>{}<", field("")),
            format!("<collection>{}<!-- unclosed", field("")),
            format!("</collection>{}", field("")),
            format!("<collection>{}</collection>trailing text", field("")),
            String::new(),
            "   ".into(),
        ];
        for input in cases {
            agrees_with_quick_xml(input.as_bytes(), &input);
        }
        // Text of an entity and of character data are joined in the value.
        assert_eq!(
            describe(&field(
                "<subfield code=\"a\">Tom<![CDATA[ & ]]>Jerry&#x21;</subfield>"
            )),
            ["Tom & Jerry!"]
        );
    }
}
