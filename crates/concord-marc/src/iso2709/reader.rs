//! ISO 2709 reader: splits a byte stream into records, parses each one leniently and yields
//! a precise error for a record it cannot read before going on with the next.

use std::io::{BufRead, BufReader, Read};
use std::ops::Range;

use super::{FIELD_TERMINATOR, RECORD_TERMINATOR, SUBFIELD_DELIMITER};
use crate::error::{FieldPlace, RecordError, RecordErrorKind};
use crate::marc8;
use crate::parsed::ParsedRecord;
use crate::record::{Leader, Record, Tag};

/// What to do with text that is not valid in the encoding the record declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InvalidText {
    /// Yield an error for the record, naming the field (the default: nothing is changed
    /// silently).
    #[default]
    Error,
    /// Keep the record: invalid UTF-8 becomes U+FFFD and undefined MARC-8 bytes are dropped,
    /// as yaz-marcdump does.
    Replace,
}

/// Options for reading ISO 2709.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadOptions {
    /// Handling of text that does not decode.
    pub invalid_text: InvalidText,
}

/// Parses ISO 2709 records from a byte slice.
pub fn read_iso2709(bytes: &[u8]) -> Iso2709Reader<&[u8]> {
    Iso2709Reader::new(bytes)
}

/// Streams ISO 2709 records from any reader; records are read one at a time, so a large
/// file never has to fit in memory.
pub fn read_iso2709_from<R: Read>(input: R) -> Iso2709Reader<BufReader<R>> {
    Iso2709Reader::new(BufReader::with_capacity(crate::READ_BUFFER_SIZE, input))
}

/// An iterator of records (or record errors) from ISO 2709 input.
///
/// Framing follows the record terminator (0x1D) rather than trusting the length in the
/// leader, because real exports get the length wrong far more often than they lose a
/// terminator; the declared length is used to split two records whose terminator is
/// missing and to tell a truncated last record.
pub struct Iso2709Reader<R> {
    input: R,
    options: ReadOptions,
    /// Bytes read from `input` but belonging to the next record.
    pushed_back: Vec<u8>,
    record_number: u64,
    offset: u64,
    /// Where the record last yielded (or reported) starts.
    record_offset: u64,
    finished: bool,
    /// The current record's bytes, kept between records to reuse the allocation.
    chunk: Vec<u8>,
    /// The current record's directory, kept for the same reason.
    entries: Vec<DirectoryEntry>,
    /// The record the `Iterator` reads into before copying it out, kept for the same reason.
    parsed: ParsedRecord,
}

impl<R: BufRead> Iso2709Reader<R> {
    /// A reader with default options.
    pub fn new(input: R) -> Iso2709Reader<R> {
        Iso2709Reader::with_options(input, ReadOptions::default())
    }

    /// A reader with the given options.
    pub fn with_options(input: R, options: ReadOptions) -> Iso2709Reader<R> {
        Iso2709Reader {
            input,
            options,
            pushed_back: Vec::new(),
            record_number: 0,
            offset: 0,
            record_offset: 0,
            finished: false,
            chunk: Vec::new(),
            entries: Vec::new(),
            parsed: ParsedRecord::new(),
        }
    }

    /// The byte offset in the input where the record last returned by the iterator (or
    /// the bad record last reported) starts, so a caller can point at a good record too.
    pub fn record_offset(&self) -> u64 {
        self.record_offset
    }

    /// Reads the next byte, from the pushed-back bytes first.
    fn peek_byte(&mut self) -> std::io::Result<Option<u8>> {
        if let Some(byte) = self.pushed_back.first() {
            return Ok(Some(*byte));
        }
        let buffer = self.input.fill_buf()?;
        Ok(buffer.first().copied())
    }

    fn consume_byte(&mut self) {
        if self.pushed_back.is_empty() {
            self.input.consume(1);
        } else {
            self.pushed_back.remove(0);
        }
        self.offset += 1;
    }

    /// Skips what may sit between records: newlines (some tools write one record per
    /// line), NUL padding, DOS end-of-file marks and stray terminators.
    fn skip_separators(&mut self) -> std::io::Result<bool> {
        while let Some(byte) = self.peek_byte()? {
            if matches!(
                byte,
                b'\n' | b'\r' | b'\t' | b' ' | 0 | 0x1a | RECORD_TERMINATOR
            ) {
                self.consume_byte();
            } else {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Reads up to and including the next record terminator. Returns whether one was found.
    fn read_chunk(&mut self, chunk: &mut Vec<u8>) -> std::io::Result<bool> {
        if !self.pushed_back.is_empty() {
            if let Some(end) = self
                .pushed_back
                .iter()
                .position(|b| *b == RECORD_TERMINATOR)
            {
                chunk.extend(self.pushed_back.drain(..=end));
                return Ok(true);
            }
            chunk.append(&mut self.pushed_back);
        }
        self.input.read_until(RECORD_TERMINATOR, chunk)?;
        Ok(chunk.last() == Some(&RECORD_TERMINATOR))
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

    fn next_record(&mut self, out: &mut ParsedRecord) -> Option<Result<(), RecordError>> {
        match self.skip_separators() {
            Ok(true) => {}
            Ok(false) => return None,
            Err(error) => return Some(Err(self.io_error(&error))),
        }
        self.record_number += 1;
        let start = self.offset;
        self.record_offset = start;
        // The usual case — the whole record in the input's buffer, ending at the length it
        // declares — is parsed where it lies instead of being copied out first.
        if self.pushed_back.is_empty()
            && let Ok(buffered) = self.input.fill_buf()
            && let Some(end) = memchr::memchr(RECORD_TERMINATOR, buffered)
            && let Some(record) = buffered.get(..=end)
            && declared_length(record) == Some(record.len())
        {
            let parsed = parse_record_with(
                record,
                self.options,
                &mut self.entries,
                TextPath::WholeRecord,
                out,
            );
            self.input.consume(end + 1);
            self.offset += (end + 1) as u64;
            return Some(parsed.map_err(|kind| self.error(start, kind)));
        }
        let mut chunk = std::mem::take(&mut self.chunk);
        chunk.clear();
        let item = self.read_record(start, &mut chunk, out);
        self.chunk = chunk;
        Some(item)
    }

    /// Reads the record that starts at `start` into `chunk` and parses it into `out`.
    fn read_record(
        &mut self,
        start: u64,
        chunk: &mut Vec<u8>,
        out: &mut ParsedRecord,
    ) -> Result<(), RecordError> {
        let terminated = match self.read_chunk(chunk) {
            Ok(terminated) => terminated,
            Err(error) => return Err(self.io_error(&error)),
        };
        let declared = declared_length(chunk);
        // How many input bytes this record used; the recovery cases below append a
        // terminator that was not in the input.
        let consumed = match (declared, terminated) {
            // The terminator comes later than the declared length says: if a new record
            // starts right at the declared length, this one lost its terminator; keep the
            // rest for the next call. Otherwise the declared length is just wrong.
            (Some(length), true)
                if length <= chunk.len() && split_point(chunk, length).is_some() =>
            {
                let split = split_point(chunk, length).unwrap_or(length);
                self.pushed_back.splice(0..0, chunk.drain(split..));
                chunk.push(RECORD_TERMINATOR);
                split
            }
            (_, true) => chunk.len(),
            (Some(length), false) if chunk.len() < length => {
                self.offset += chunk.len() as u64;
                return Err(self.error(
                    start,
                    RecordErrorKind::Truncated {
                        expected: length,
                        found: chunk.len(),
                    },
                ));
            }
            (Some(length), false)
                if chunk.len() == length && chunk.last() == Some(&FIELD_TERMINATOR) =>
            {
                // Only the final terminator is missing at the end of the input: no data lost.
                chunk.push(RECORD_TERMINATOR);
                length
            }
            (_, false) => {
                self.offset += chunk.len() as u64;
                let kind = if declared.is_none() {
                    RecordErrorKind::BadRecordLength {
                        found: show_bytes(chunk.get(..5).unwrap_or(chunk)),
                    }
                } else {
                    RecordErrorKind::MissingRecordTerminator
                };
                return Err(self.error(start, kind));
            }
        };
        self.offset += consumed as u64;
        let parsed = parse_record_with(
            chunk,
            self.options,
            &mut self.entries,
            TextPath::WholeRecord,
            out,
        );
        parsed.map_err(|kind| self.error(start, kind))
    }

    fn error(&self, byte_offset: u64, kind: RecordErrorKind) -> RecordError {
        RecordError {
            record_number: self.record_number,
            byte_offset,
            kind,
        }
    }

    fn io_error(&mut self, error: &std::io::Error) -> RecordError {
        self.finished = true;
        self.error(
            self.offset,
            RecordErrorKind::Io {
                message: error.to_string(),
            },
        )
    }
}

impl<R: BufRead> Iterator for Iso2709Reader<R> {
    type Item = Result<Record, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut parsed = std::mem::take(&mut self.parsed);
        let item = self.next_into(&mut parsed);
        let item = item.map(|result| result.map(|()| parsed.to_record()));
        self.parsed = parsed;
        item
    }
}

/// The record length in the first five bytes, if they are digits and the length could
/// hold a leader.
fn declared_length(chunk: &[u8]) -> Option<usize> {
    parse_digits(chunk.get(..5)?).filter(|length| *length > 24)
}

/// Where the next record starts when this one lost its terminator: at the declared length
/// less one (the length counted the missing terminator) or at the declared length.
fn split_point(chunk: &[u8], length: usize) -> Option<usize> {
    [length - 1, length]
        .into_iter()
        .find(|position| *position < chunk.len() && starts_record(chunk, *position))
}

/// Whether a record seems to start at `position`: five digits, then leader bytes.
fn starts_record(chunk: &[u8], position: usize) -> bool {
    position > 0
        && chunk.get(position - 1) == Some(&FIELD_TERMINATOR)
        && chunk
            .get(position..position + 5)
            .is_some_and(|digits| digits.iter().all(u8::is_ascii_digit))
}

fn parse_digits(bytes: &[u8]) -> Option<usize> {
    // Leader and directory numbers have at most nine digits (one leader position gives
    // their width), so the sum cannot overflow and needs no checked arithmetic, which
    // showed up in profiles of the directory loop.
    if bytes.is_empty() || bytes.len() > 9 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(bytes.iter().fold(0usize, |total, digit| {
        total * 10 + usize::from(digit - b'0')
    }))
}

fn show_bytes(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A leader digit that sets a count, or the MARC21 value when it is blank or not a digit
/// (exports with spaces at leader/10-11 and 20-21 are common; yaz assumes the same).
fn leader_count(leader: &[u8], position: usize, default: usize) -> usize {
    match leader.get(position) {
        Some(byte @ b'1'..=b'9') => usize::from(byte - b'0'),
        _ => default,
    }
}

/// Parses one ISO 2709 record (leader through record terminator).
///
/// Text is decoded according to leader/09 and the in-memory leader says UTF-8 afterwards.
pub fn parse_record(bytes: &[u8], options: ReadOptions) -> Result<Record, RecordErrorKind> {
    let mut parsed = ParsedRecord::new();
    parse_record_with(
        bytes,
        options,
        &mut Vec::new(),
        TextPath::WholeRecord,
        &mut parsed,
    )?;
    Ok(parsed.to_record())
}

/// How values are turned into text. Both paths give the same record; the unit tests
/// check that on every fixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextPath {
    /// Check the data area once and slice values out of it when it needs no decoding,
    /// decoding value by value otherwise.
    WholeRecord,
    /// Always decode value by value (the reference for the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    PerValue,
}

/// [`parse_record`] into a record and a directory buffer the caller keeps, so a reader
/// parsing many records allocates them once. On an error `out` holds part of the record.
fn parse_record_with(
    bytes: &[u8],
    options: ReadOptions,
    entries: &mut Vec<DirectoryEntry>,
    path: TextPath,
    out: &mut ParsedRecord,
) -> Result<(), RecordErrorKind> {
    let length_digits = bytes.get(..5).unwrap_or(bytes);
    if parse_digits(length_digits).is_none() {
        return Err(RecordErrorKind::BadRecordLength {
            found: show_bytes(length_digits),
        });
    }
    // The record proper, without its terminator.
    let body = bytes.strip_suffix(&[RECORD_TERMINATOR]).unwrap_or(bytes);
    let leader_bytes: [u8; 24] = body
        .get(..24)
        .and_then(|slice| slice.try_into().ok())
        .ok_or(RecordErrorKind::LeaderNot24Bytes { length: body.len() })?;

    let indicator_count = leader_count(&leader_bytes, 10, 2);
    let identifier_length = leader_count(&leader_bytes, 11, 2);
    let length_of_length = leader_count(&leader_bytes, 20, 4);
    let length_of_start = leader_count(&leader_bytes, 21, 5);
    let entry_length = 3 + length_of_length + length_of_start;

    let base_address = find_base_address(&leader_bytes, body, entry_length, bytes.len())?;
    let directory = body.get(24..base_address - 1).unwrap_or_default();
    if !directory.len().is_multiple_of(entry_length) {
        return Err(RecordErrorKind::DirectoryMalformed {
            reason: format!(
                "{} bytes long, not a whole number of {entry_length}-byte entries",
                directory.len()
            ),
        });
    }
    let data = body.get(base_address..).unwrap_or_default();

    let mut leader = Leader::from_bytes(leader_bytes);
    let (coding, whole_text) = choose_text_coding(&leader, data);
    let whole_text = whole_text.filter(|_| path == TextPath::WholeRecord);
    leader.normalize_for_marc21();
    let mut layout = Layout {
        indicator_count,
        code_length: identifier_length.saturating_sub(1),
        coding,
        options,
        whole_text,
        whole_text_start: 0,
    };

    entries.clear();
    entries.reserve(directory.len() / entry_length);
    for (index, entry) in directory.chunks(entry_length).enumerate() {
        entries.push(parse_entry(index + 1, entry, length_of_length)?);
    }
    if let Err(error) = locate_fields(entries, data) {
        // Some converters rewrite the text (MARC-8 to UTF-8, say) without recomputing the
        // directory. When the data still splits into exactly one field per entry on the
        // field terminators, nothing is lost: take the fields in directory order.
        let mut pieces: Vec<&[u8]> = data.split(|byte| *byte == FIELD_TERMINATOR).collect();
        if pieces.last().is_some_and(|last| last.is_empty()) {
            pieces.pop();
        }
        if pieces.len() != entries.len() {
            return Err(error);
        }
        let mut start = 0;
        for (entry, piece) in entries.iter_mut().zip(pieces) {
            entry.start = start;
            entry.content_length = piece.len();
            start += piece.len() + 1;
        }
    }

    out.clear();
    out.set_leader(leader);
    // Copied whole, so each value is a range of the copy: one copy per record instead of
    // one per value.
    if let Some(text) = layout.whole_text {
        layout.whole_text_start = out.text_len();
        out.text_mut().push_str(text);
    }
    for entry in entries.iter() {
        let tag = Tag::from_bytes(&entry.tag).map_err(|_| RecordErrorKind::BadTag {
            place: entry.place(),
        })?;
        layout.field(tag, data, entry, out)?;
    }
    if entries.is_empty() {
        return Err(RecordErrorKind::NoFields);
    }
    Ok(())
}

/// The base address (start of the field data). The leader's value is used when it points
/// just past the directory's terminator; when it does not, but the directory visibly ends
/// at the first field terminator after the leader (a whole number of entries), that end is
/// used, as yaz does: the leader figure is then merely wrong, and no data is lost.
fn find_base_address(
    leader: &[u8; 24],
    body: &[u8],
    entry_length: usize,
    record_length: usize,
) -> Result<usize, RecordErrorKind> {
    let directory_ends_at = |base: usize| {
        base > 24
            && body.get(base - 1) == Some(&FIELD_TERMINATOR)
            && (base - 25).is_multiple_of(entry_length)
    };
    let base_text = leader.get(12..17).unwrap_or_default();
    let declared = parse_digits(base_text);
    if let Some(base) = declared.filter(|base| directory_ends_at(*base)) {
        return Ok(base);
    }
    let first_terminator = body
        .iter()
        .skip(24)
        .position(|byte| *byte == FIELD_TERMINATOR)
        .map(|position| position + 25);
    match first_terminator {
        Some(base) if directory_ends_at(base) => Ok(base),
        Some(base) if declared.is_some_and(|declared| declared == base) => {
            Err(RecordErrorKind::DirectoryMalformed {
                reason: format!(
                    "{} bytes long, not a whole number of {entry_length}-byte entries",
                    base - 25
                ),
            })
        }
        _ => Err(RecordErrorKind::BadBaseAddress {
            found: show_bytes(base_text),
            record_length,
        }),
    }
}

/// One directory entry, and where its content (without the terminator) lies in the data.
struct DirectoryEntry {
    number: usize,
    tag: [u8; 3],
    length: usize,
    start: usize,
    /// Set by [`locate_fields`].
    content_length: usize,
}

impl DirectoryEntry {
    fn place(&self) -> FieldPlace {
        FieldPlace {
            number: self.number,
            tag: show_bytes(&self.tag),
        }
    }
}

fn parse_entry(
    number: usize,
    entry: &[u8],
    length_of_length: usize,
) -> Result<DirectoryEntry, RecordErrorKind> {
    let malformed = || RecordErrorKind::DirectoryEntryMalformed {
        entry: number,
        text: show_bytes(entry),
    };
    let (tag, rest) = entry.split_first_chunk::<3>().ok_or_else(malformed)?;
    let (length_bytes, start_bytes) = rest
        .split_at_checked(length_of_length)
        .ok_or_else(malformed)?;
    Ok(DirectoryEntry {
        number,
        tag: *tag,
        length: parse_digits(length_bytes).ok_or_else(malformed)?,
        start: parse_digits(start_bytes).ok_or_else(malformed)?,
        content_length: 0,
    })
}

/// Finds each entry's field content (without its terminator) where the directory says.
fn locate_fields(entries: &mut [DirectoryEntry], data: &[u8]) -> Result<(), RecordErrorKind> {
    for entry in entries {
        let span = entry
            .start
            .checked_add(entry.length)
            .and_then(|end| data.get(entry.start..end))
            .ok_or_else(|| RecordErrorKind::DirectoryEntryOutOfBounds {
                entry: entry.number,
                tag: show_bytes(&entry.tag),
            })?;
        // The field ends at its first terminator. Some writers leave the terminator
        // out of the length; accept that when the terminator follows right after.
        entry.content_length = match crate::find::find_byte(FIELD_TERMINATOR, span) {
            Some(end) => end,
            None if data.get(entry.start + entry.length) == Some(&FIELD_TERMINATOR) => span.len(),
            None => {
                return Err(RecordErrorKind::MissingFieldTerminator {
                    entry: entry.number,
                    tag: show_bytes(&entry.tag),
                });
            }
        };
    }
    Ok(())
}

/// How the text of one record is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextCoding {
    Utf8,
    Marc8,
}

/// Leader/09 decides, with one exception that real files need: a record that says MARC-8
/// but has no escape sequences and whose non-ASCII bytes all form valid UTF-8 was written
/// as UTF-8 by a system that forgot to set leader/09. ANSEL text essentially never forms
/// valid UTF-8 (its combining marks 0xE0–0xFE come before an ASCII letter, which UTF-8 does
/// not allow), so the guess is safe, and decoding such records as MARC-8 would garble them.
///
/// Also returns the whole data area as text when every value in it can be taken as it
/// stands: valid UTF-8 in a UTF-8 record, or only printable ASCII (which MARC-8's default
/// sets map to itself) and delimiters in a MARC-8 record. Values are then slices of it,
/// and the data is checked once per record instead of once per subfield.
fn choose_text_coding<'a>(leader: &Leader, data: &'a [u8]) -> (TextCoding, Option<&'a str>) {
    let declared_utf8 = leader.character_coding() == crate::record::CharacterCoding::Utf8;
    if declared_utf8 {
        return (TextCoding::Utf8, std::str::from_utf8(data).ok());
    }
    if data.is_ascii() {
        let plain = data
            .iter()
            .all(|byte| matches!(*byte, 0x20..=0x7e | FIELD_TERMINATOR | SUBFIELD_DELIMITER));
        let whole_text = plain.then(|| std::str::from_utf8(data).ok()).flatten();
        return (TextCoding::Marc8, whole_text);
    }
    if memchr::memchr(0x1b, data).is_none()
        && let Ok(text) = std::str::from_utf8(data)
    {
        return (TextCoding::Utf8, Some(text));
    }
    (TextCoding::Marc8, None)
}

struct Layout<'a> {
    indicator_count: usize,
    code_length: usize,
    coding: TextCoding,
    options: ReadOptions,
    /// The data area as text when it needs no decoding (see [`choose_text_coding`]).
    whole_text: Option<&'a str>,
    /// Where the copy of `whole_text` starts in the record's text buffer.
    whole_text_start: usize,
}

impl Layout<'_> {
    /// Appends one field to `out`.
    fn field(
        &self,
        tag: Tag,
        data: &[u8],
        entry: &DirectoryEntry,
        out: &mut ParsedRecord,
    ) -> Result<(), RecordErrorKind> {
        let content_start = entry.start;
        let content = data
            .get(content_start..content_start + entry.content_length)
            .unwrap_or_default();
        if tag.is_control() {
            let value = self.text(content, content_start, entry, 0, out.text_mut())?;
            out.push_control(tag, value);
            return Ok(());
        }
        let mut rest = content;
        let mut indicators = [' ', ' '];
        for slot in 0..self.indicator_count {
            // A field that starts straight with a subfield has lost its indicators: keep
            // them blank rather than reading the delimiter as one.
            if rest.first() == Some(&SUBFIELD_DELIMITER) {
                break;
            }
            let (indicator, used) = self.leading_char(rest);
            if let Some(kept) = indicators.get_mut(slot) {
                *kept = indicator;
            }
            rest = rest.get(used..).unwrap_or_default();
        }
        out.start_data_field(tag, indicators[0], indicators[1]);
        let mut offset = content.len() - rest.len();
        // Text before the first delimiter belongs to no subfield. Broken exports do write
        // it (a field with no delimiter at all, a stray third indicator); rather than drop
        // it silently, as pymarc does, keep it under a blank subfield code so a cataloguer
        // sees it and a write gives it back.
        let mut chunks = split_on_delimiter(rest);
        if let Some(leading) = chunks.next().filter(|leading| !leading.is_empty()) {
            let value = self.text(
                leading,
                content_start + offset,
                entry,
                offset,
                out.text_mut(),
            )?;
            out.push_subfield(' ', value);
            offset += leading.len();
        }
        for chunk in chunks {
            offset += 1;
            // A delimiter with nothing after it (often just before the field terminator)
            // is not a subfield; yaz drops it too.
            if chunk.is_empty() {
                continue;
            }
            let mut value_bytes = chunk;
            let mut code = ' ';
            for position in 0..self.code_length {
                let (character, used) = self.leading_char(value_bytes);
                if position == 0 {
                    code = character;
                }
                value_bytes = value_bytes.get(used..).unwrap_or_default();
            }
            let value_offset = offset + (chunk.len() - value_bytes.len());
            let value = self.text(
                value_bytes,
                content_start + value_offset,
                entry,
                value_offset,
                out.text_mut(),
            )?;
            out.push_subfield(code, value);
            offset += chunk.len();
        }
        Ok(())
    }

    /// The character an indicator or subfield code starts with, and the bytes it used.
    /// In UTF-8 records a non-ASCII indicator is a whole UTF-8 character (as yaz reads it);
    /// in MARC-8 records it is one byte, shown as its Latin-1 character because MARC-8
    /// gives single bytes outside ASCII no meaning on their own.
    fn leading_char(&self, bytes: &[u8]) -> (char, usize) {
        let Some(first) = bytes.first() else {
            return (' ', 0);
        };
        if first.is_ascii() {
            return (char::from(*first), 1);
        }
        if self.coding == TextCoding::Utf8 {
            let candidate = bytes.get(..4.min(bytes.len())).unwrap_or_default();
            let valid = match std::str::from_utf8(candidate) {
                Ok(text) => text,
                Err(error) => {
                    std::str::from_utf8(candidate.get(..error.valid_up_to()).unwrap_or_default())
                        .unwrap_or_default()
                }
            };
            if let Some(character) = valid.chars().next() {
                return (character, character.len_utf8());
            }
            return (char::REPLACEMENT_CHARACTER, 1);
        }
        (char::from(*first), 1)
    }

    /// A value as text. `data_offset` is where `bytes` start in the data area (for the
    /// fast path) and `field_offset` where they start in the field (for messages).
    /// The value's range in `out`: in the copy of the data area when the record needs no
    /// decoding, or where the decoded value is appended.
    fn text(
        &self,
        bytes: &[u8],
        data_offset: usize,
        entry: &DirectoryEntry,
        field_offset: usize,
        out: &mut String,
    ) -> Result<Range<usize>, RecordErrorKind> {
        // Checking the boundaries of a slice of checked text is all it takes; they hold:
        // values are cut at ASCII delimiters and whole characters.
        if let Some(text) = self.whole_text {
            let range = data_offset..data_offset + bytes.len();
            if text.get(range.clone()).is_some() {
                return Ok(self.whole_text_start + range.start..self.whole_text_start + range.end);
            }
        }
        let start = out.len();
        decode_value(self.coding, self.options, bytes, entry, field_offset, out)?;
        Ok(start..out.len())
    }
}

/// The pieces of a field between subfield delimiters, as `slice::split` gives them but
/// found with [`crate::find::find_byte`].
fn split_on_delimiter(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut remaining = Some(bytes);
    std::iter::from_fn(move || {
        let rest = remaining?;
        match crate::find::find_byte(SUBFIELD_DELIMITER, rest) {
            Some(end) => {
                remaining = rest.get(end + 1..);
                rest.get(..end)
            }
            None => {
                remaining = None;
                Some(rest)
            }
        }
    })
}

/// Decodes one value on its own: the path for records whose text needs conversion or holds
/// something invalid, and the reference the whole-record fast path must agree with.
fn decode_value(
    coding: TextCoding,
    options: ReadOptions,
    bytes: &[u8],
    entry: &DirectoryEntry,
    field_offset: usize,
    out: &mut String,
) -> Result<(), RecordErrorKind> {
    match (coding, options.invalid_text) {
        (TextCoding::Utf8, InvalidText::Error) => {
            let value =
                std::str::from_utf8(bytes).map_err(|error| RecordErrorKind::InvalidUtf8 {
                    place: entry.place(),
                    byte_in_field: field_offset + error.valid_up_to(),
                })?;
            out.push_str(value);
        }
        (TextCoding::Utf8, InvalidText::Replace) => out.push_str(&String::from_utf8_lossy(bytes)),
        (TextCoding::Marc8, InvalidText::Error) => {
            let value = marc8::decode(bytes).map_err(|problem| RecordErrorKind::InvalidMarc8 {
                place: entry.place(),
                problem,
            })?;
            out.push_str(&value);
        }
        (TextCoding::Marc8, InvalidText::Replace) => out.push_str(&marc8::decode_lossy(bytes)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordOffset;
    use crate::iso2709::to_iso2709;
    use crate::record::DataField;

    fn record(title: &str) -> Vec<u8> {
        let mut record = Record::new(Leader::new(b'a', b'm'));
        record.push_control(Tag::parse("001").unwrap(), title.len().to_string());
        record.push_data(
            DataField::new(Tag::parse("245").unwrap(), '1', '0').with_subfield('a', title),
        );
        to_iso2709(&record).unwrap()
    }

    /// Reads the input and describes each item: the 245 $a of a record, or the error.
    fn check(input: &[u8], expected: &[&str]) {
        let described: Vec<String> = read_iso2709(input)
            .map(|item| match item {
                Ok(record) => record
                    .field("245")
                    .and_then(|f| f.subfield('a'))
                    .unwrap_or("?")
                    .to_owned(),
                Err(error) => error.to_string(),
            })
            .collect();
        assert_eq!(described, expected);
    }

    #[test]
    fn reads_consecutive_records() {
        let input = [record("One"), record("Two")].concat();
        check(&input, &["One", "Two"]);
    }

    #[test]
    fn skips_newlines_between_records() {
        let input = [
            record("One"),
            b"\r\n".to_vec(),
            record("Two"),
            b"\n".to_vec(),
        ]
        .concat();
        check(&input, &["One", "Two"]);
    }

    #[test]
    fn garbage_between_records_is_one_error_and_reading_goes_on() {
        let first = record("One");
        let input = [first.clone(), b"garbage\x1d".to_vec(), record("Two")].concat();
        check(
            &input,
            &[
                "One",
                &format!(
                    "record 2 (byte {}): record length \"garba\" is not five digits",
                    first.len()
                ),
                "Two",
            ],
        );
    }

    #[test]
    fn truncated_last_record_is_reported() {
        let first = record("One");
        let second = record("Two");
        let input = [first.clone(), second[..30].to_vec()].concat();
        check(
            &input,
            &[
                "One",
                &format!(
                    "record 2 (byte {}): truncated record: input ends after 30 of {} bytes",
                    first.len(),
                    second.len()
                ),
            ],
        );
    }

    #[test]
    fn wrong_record_length_with_good_terminators_is_tolerated() {
        let mut first = record("One");
        first[..5].copy_from_slice(b"00999");
        let input = [first, record("Two")].concat();
        check(&input, &["One", "Two"]);
    }

    #[test]
    fn missing_record_terminator_is_recovered_from_the_length() {
        let mut first = record("One");
        first.pop();
        let input = [first, record("Two")].concat();
        check(&input, &["One", "Two"]);
    }

    #[test]
    fn field_pointing_past_the_end_is_reported_and_the_next_record_read() {
        let mut bad = record("Bad");
        // Directory entry 2 (tag 245) starts at byte 36: make its length absurd, and put
        // a terminator inside the title so splitting on terminators cannot recover it either.
        bad[39..43].copy_from_slice(b"9999");
        let title = bad.windows(3).position(|w| w == b"Bad").unwrap();
        bad[title + 1] = FIELD_TERMINATOR;
        let input = [bad.clone(), record("Two")].concat();
        check(
            &input,
            &[
                "record 1 (byte 0): directory entry 2 (tag 245) points past the end of the record",
                "Two",
            ],
        );
    }

    #[test]
    fn blank_leader_counts_default_to_marc21() {
        let mut bytes = record("Blank");
        bytes[10] = b' ';
        bytes[11] = b' ';
        bytes[20..24].copy_from_slice(b"    ");
        let parsed = parse_record(&bytes, ReadOptions::default()).unwrap();
        assert_eq!(parsed.field("245").unwrap().subfield('a'), Some("Blank"));
        assert_eq!(&parsed.leader.as_str()[20..], "4500");
    }

    #[test]
    fn marc8_record_becomes_utf8_in_memory() {
        let mut bytes = record("Cafe");
        // Leader/09 blank (MARC-8); put an acute before the e: "Caf\xe2e" is one byte longer,
        // so build the record by hand.
        bytes[9] = b' ';
        let text = String::from_utf8_lossy(&bytes).replace("Cafe", "Caf\u{0}e");
        let mut raw = text.into_bytes();
        let position = raw.iter().position(|b| *b == 0).unwrap();
        raw[position] = 0xe2;
        // Lengths are now one off; the reader tolerates the record length, and the field
        // terminator follows the directory's length by one byte, which is also accepted.
        let parsed = read_iso2709(&raw).next().unwrap().unwrap();
        assert_eq!(
            parsed.field("245").unwrap().subfield('a'),
            Some("Cafe\u{301}")
        );
        assert_eq!(parsed.leader.get(9), 'a');
    }

    #[test]
    fn invalid_utf8_names_the_field_or_is_replaced() {
        let bytes = record("Caf\u{e9}");
        let mut broken = bytes.clone();
        let position = broken
            .windows(2)
            .position(|w| w == "\u{e9}".as_bytes())
            .unwrap();
        broken[position + 1] = b'!';
        assert_eq!(
            parse_record(&broken, ReadOptions::default()),
            Err(RecordErrorKind::InvalidUtf8 {
                place: FieldPlace {
                    number: 2,
                    tag: "245".into()
                },
                byte_in_field: 7,
            })
        );
        let replaced = parse_record(
            &broken,
            ReadOptions {
                invalid_text: InvalidText::Replace,
            },
        )
        .unwrap();
        assert_eq!(
            replaced.field("245").unwrap().subfield('a'),
            Some("Caf\u{fffd}!")
        );
    }

    /// Parses `bytes` through both text paths and checks they agree; returns the record.
    fn both_paths(bytes: &[u8], options: ReadOptions) -> Result<Record, RecordErrorKind> {
        let parse = |path| {
            let mut parsed = ParsedRecord::new();
            parse_record_with(bytes, options, &mut Vec::new(), path, &mut parsed)
                .map(|()| parsed.to_record())
        };
        let fast = parse(TextPath::WholeRecord);
        assert_eq!(fast, parse(TextPath::PerValue));
        fast
    }

    /// A record built by hand from a leader/09 value and raw field bytes, with a correct
    /// directory.
    fn raw_record(coding: u8, fields: &[(&str, &[u8])]) -> Vec<u8> {
        let mut directory = Vec::new();
        let mut data = Vec::new();
        for (tag, content) in fields {
            let start = data.len();
            data.extend_from_slice(content);
            data.push(FIELD_TERMINATOR);
            directory.extend_from_slice(
                format!("{tag}{:04}{:05}", data.len() - start, start).as_bytes(),
            );
        }
        directory.push(FIELD_TERMINATOR);
        let base = 24 + directory.len();
        let length = base + data.len() + 1;
        let mut record =
            format!("{length:05}nam {}22{base:05} a 4500", coding as char).into_bytes();
        record.extend(directory);
        record.extend(data);
        record.push(RECORD_TERMINATOR);
        record
    }

    #[test]
    fn whole_record_and_per_value_text_agree() {
        let title = |text: &[u8]| [b"10\x1fa".as_slice(), text, b"\x1fcAuthor."].concat();
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "ASCII, MARC-8",
                raw_record(b' ', &[("001", b"a1"), ("245", &title(b"Plain"))]),
                "Plain",
            ),
            (
                "ASCII, UTF-8",
                raw_record(b'a', &[("001", b"a1"), ("245", &title(b"Plain"))]),
                "Plain",
            ),
            (
                "UTF-8",
                raw_record(
                    b'a',
                    &[
                        ("001", b"u1"),
                        ("245", &title("Caf\u{e9} \u{65e5}\u{672c}".as_bytes())),
                    ],
                ),
                "Caf\u{e9} \u{65e5}\u{672c}",
            ),
            (
                "MARC-8 with a combining acute",
                raw_record(b' ', &[("001", b"m1"), ("245", &title(b"Caf\xe2e"))]),
                "Cafe\u{301}",
            ),
            (
                "MARC-8 with a Cyrillic escape",
                raw_record(b' ', &[("001", b"m2"), ("245", &title(b"\x1b(NGRAD\x1bs"))]),
                "\u{433}\u{440}\u{430}\u{434}",
            ),
            (
                "UTF-8 declared as MARC-8",
                raw_record(
                    b' ',
                    &[("001", b"g1"), ("245", &title("Gr\u{fc}n".as_bytes()))],
                ),
                "Gr\u{fc}n",
            ),
            (
                "ASCII control byte in MARC-8",
                raw_record(b' ', &[("001", b"c1"), ("245", &title(b"Tab\there"))]),
                // MARC-8 defines no control characters; the tab is dropped, as yaz does.
                "Tabhere",
            ),
            (
                "non-ASCII indicator in UTF-8",
                raw_record(
                    b'a',
                    &[("001", b"i1"), ("245", "\u{e9}0\x1faTitle".as_bytes())],
                ),
                "Title",
            ),
        ];
        let replace = ReadOptions {
            invalid_text: InvalidText::Replace,
        };
        for (name, bytes, expected) in cases {
            let _ = both_paths(&bytes, ReadOptions::default());
            let record =
                both_paths(&bytes, replace).unwrap_or_else(|error| panic!("{name}: {error}"));
            assert_eq!(
                record.field("245").unwrap().subfield('a'),
                Some(expected),
                "{name}"
            );
        }
    }

    #[test]
    fn invalid_utf8_reports_the_same_error_through_both_paths() {
        let bytes = raw_record(b'a', &[("001", b"x"), ("245", b"10\x1faBad \xff byte")]);
        assert_eq!(
            both_paths(&bytes, ReadOptions::default()),
            Err(RecordErrorKind::InvalidUtf8 {
                place: FieldPlace {
                    number: 2,
                    tag: "245".into()
                },
                byte_in_field: 8,
            })
        );
        let replace = ReadOptions {
            invalid_text: InvalidText::Replace,
        };
        let record = both_paths(&bytes, replace).unwrap();
        assert_eq!(
            record.field("245").unwrap().subfield('a'),
            Some("Bad \u{fffd} byte")
        );
    }

    /// Every ISO 2709 file under fixtures/marc, with its bytes.
    fn iso2709_fixtures() -> Vec<(std::path::PathBuf, Vec<u8>)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/marc");
        let mut paths = vec![root];
        let mut found = Vec::new();
        while let Some(path) = paths.pop() {
            if path.is_dir() {
                paths.extend(
                    std::fs::read_dir(&path)
                        .unwrap()
                        .map(|entry| entry.unwrap().path()),
                );
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            if crate::detect_format(&bytes) == Some(crate::Format::Iso2709) {
                found.push((path, bytes));
            }
        }
        found
    }

    #[test]
    fn records_read_in_place_and_copied_out_agree_on_every_fixture() {
        // A slice gives the reader every record whole, to parse where it lies; a seven-byte
        // buffer never does, so every record is copied out and framed by the general path.
        let files = iso2709_fixtures();
        for (path, bytes) in &files {
            let in_place: Vec<_> = read_iso2709(bytes).with_offsets().collect();
            let copied: Vec<_> =
                Iso2709Reader::new(std::io::BufReader::with_capacity(7, bytes.as_slice()))
                    .with_offsets()
                    .collect();
            assert_eq!(in_place, copied, "{}", path.display());
        }
        assert!(
            files.len() > 50,
            "only {} ISO 2709 fixtures checked",
            files.len()
        );
    }

    #[test]
    fn whole_record_and_per_value_text_agree_on_every_fixture() {
        let mut records = 0;
        for (_, bytes) in iso2709_fixtures() {
            for chunk in bytes.split_inclusive(|byte| *byte == RECORD_TERMINATOR) {
                for invalid_text in [InvalidText::Error, InvalidText::Replace] {
                    let _ = both_paths(chunk, ReadOptions { invalid_text });
                }
                records += 1;
            }
        }
        assert!(records > 1000, "only {records} fixture records found");
    }
}
