//! MARC-8 to UTF-8 conversion: every MARC-8 character set, switched by ISO 2022 escapes,
//! with MARC-8's combining marks (written before their letter) moved after it as Unicode
//! requires.
//!
//! The output is what `yaz-marcdump -f MARC-8 -t UTF-8` writes for valid input: no Unicode
//! normalisation (yaz does none, so `e` + U+0301 stays decomposed), double diacritics as
//! U+0361 / U+0360 after the first letter, each value decoded from the default state
//! (G0 Basic Latin, G1 ANSEL). For invalid input [`decode`] reports the first problem and
//! [`decode_lossy`] drops what it cannot read, as yaz does, but keeps everything else
//! (yaz loses the whole value when a combining mark ends it without a following escape;
//! here the mark is kept).

mod tables;

use std::fmt;

/// How a character behaves in a MARC-8 character set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CharClass {
    /// An ordinary character.
    Spacing,
    /// A combining mark, written before the character it modifies.
    Combining,
    /// A byte that produces nothing (the second half of a double diacritic).
    Ignored,
}

const ESCAPE: u8 = 0x1b;
const BASIC_LATIN: u8 = 0x42;
const EXTENDED_LATIN: u8 = 0x45;
const EACC: u8 = 0x31;
/// `ESC s` returns G0 to ASCII.
const ASCII_RESET: u8 = 0x73;

/// A MARC-8 byte sequence that cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid MARC-8 at byte {byte_offset}: {kind}")]
pub struct Marc8Error {
    /// Offset of the offending byte within the converted bytes.
    pub byte_offset: usize,
    /// What is wrong.
    pub kind: Marc8ErrorKind,
}

/// The specific MARC-8 problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marc8ErrorKind {
    /// The code is not defined in the character set in use.
    UndefinedCharacter {
        /// The byte, or the three bytes of an EACC character.
        code: u32,
        /// The escape final byte of the set in use (`B` Basic Latin, `1` EACC, ...).
        set: u8,
    },
    /// An escape sequence that designates no MARC-8 character set.
    UnknownEscape {
        /// The sequence's bytes after ESC, shown as text.
        sequence: String,
    },
    /// The value ends inside an escape sequence.
    IncompleteEscape,
    /// The value ends inside a three-byte EACC character.
    IncompleteMultibyte,
}

impl fmt::Display for Marc8ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Marc8ErrorKind::UndefinedCharacter { code, set } => {
                let width = if *set == EACC { 6 } else { 2 };
                write!(
                    f,
                    "character 0x{code:0width$X} is not defined in {}",
                    set_name(*set)
                )
            }
            Marc8ErrorKind::UnknownEscape { sequence } => {
                write!(f, "unknown escape sequence ESC {sequence:?}")
            }
            Marc8ErrorKind::IncompleteEscape => f.write_str("value ends inside an escape sequence"),
            Marc8ErrorKind::IncompleteMultibyte => {
                f.write_str("value ends inside a three-byte EACC character")
            }
        }
    }
}

fn set_name(final_byte: u8) -> &'static str {
    match final_byte {
        0x42 => "Basic Latin",
        0x45 => "Extended Latin (ANSEL)",
        0x32 => "Basic Hebrew",
        0x33 => "Basic Arabic",
        0x34 => "Extended Arabic",
        0x4e => "Basic Cyrillic",
        0x51 => "Extended Cyrillic",
        0x53 => "Basic Greek",
        0x62 => "Subscripts",
        0x67 => "Greek Symbols",
        0x70 => "Superscripts",
        0x31 => "EACC",
        _ => "an unknown character set",
    }
}

/// Converts MARC-8 bytes to UTF-8, failing on the first byte that is not valid MARC-8.
pub fn decode(bytes: &[u8]) -> Result<String, Marc8Error> {
    let mut first_problem = None;
    let text = convert(bytes, &mut |problem| {
        first_problem.get_or_insert(problem);
    });
    match first_problem {
        Some(problem) => Err(problem),
        None => Ok(text),
    }
}

/// Converts MARC-8 bytes to UTF-8, dropping bytes that are not valid MARC-8.
pub fn decode_lossy(bytes: &[u8]) -> String {
    convert(bytes, &mut |_| {})
}

/// G0 and G1 designations (escape final bytes).
struct State {
    g0: u8,
    g1: u8,
}

/// The conversion proper; `problem` hears about each invalid sequence, which is skipped.
fn convert(bytes: &[u8], problem: &mut dyn FnMut(Marc8Error)) -> String {
    let mut state = State {
        g0: BASIC_LATIN,
        g1: EXTENDED_LATIN,
    };
    let mut text = String::with_capacity(bytes.len());
    // Combining marks read but not yet written: they go after the next spacing character.
    let mut pending_marks: Vec<char> = Vec::new();
    let mut position = 0;
    while let Some(&byte) = bytes.get(position) {
        let start = position;
        if byte == ESCAPE {
            position += match read_escape(bytes, position, &mut state) {
                Ok(length) => length,
                Err((length, kind)) => {
                    problem(Marc8Error {
                        byte_offset: start,
                        kind,
                    });
                    length
                }
            };
            continue;
        }
        // A space is a space whatever set is in use, even EACC (as yaz reads it).
        let set = if byte == b' ' {
            BASIC_LATIN
        } else if byte < 0x80 {
            state.g0
        } else {
            state.g1
        };
        let decoded = if set == EACC {
            let Some(triple) = bytes.get(position..position + 3) else {
                problem(Marc8Error {
                    byte_offset: start,
                    kind: Marc8ErrorKind::IncompleteMultibyte,
                });
                break;
            };
            let code = triple
                .iter()
                .fold(0u32, |code, byte| (code << 8) | u32::from(byte & 0x7f));
            match tables::EACC.binary_search_by_key(&code, |(code, _)| *code) {
                Ok(index) => {
                    position += 3;
                    tables::EACC
                        .get(index)
                        .map(|(_, character)| (*character, CharClass::Spacing))
                }
                Err(_) => {
                    // Resynchronise one byte on, as yaz does.
                    problem(Marc8Error {
                        byte_offset: start,
                        kind: Marc8ErrorKind::UndefinedCharacter { code, set },
                    });
                    position += 1;
                    continue;
                }
            }
        } else {
            position += 1;
            lookup_single_byte(set, byte)
        };
        match decoded {
            Some((character, CharClass::Spacing)) => {
                text.push(character);
                text.extend(pending_marks.drain(..));
            }
            Some((character, CharClass::Combining)) => pending_marks.push(character),
            Some((_, CharClass::Ignored)) => {}
            None => problem(Marc8Error {
                byte_offset: start,
                kind: Marc8ErrorKind::UndefinedCharacter {
                    code: u32::from(byte),
                    set,
                },
            }),
        }
    }
    // Marks with no letter after them are kept rather than lost.
    text.extend(pending_marks);
    text
}

/// Looks a byte up in a single-byte set. Sets are tabulated at their usual position (G0
/// sets at 0x21–0x7E, G1 sets at 0xA1–0xFE); a set designated into the other register is
/// read by moving the byte across, as yaz does.
fn lookup_single_byte(set: u8, byte: u8) -> Option<(char, CharClass)> {
    let table = tables::single_byte_set(set)?;
    [byte, byte ^ 0x80].into_iter().find_map(|candidate| {
        table
            .binary_search_by_key(&candidate, |(code, _, _)| *code)
            .ok()
            .and_then(|index| table.get(index))
            .map(|(_, character, class)| (*character, *class))
    })
}

/// Reads an escape sequence at `start` (which holds ESC) and applies it. Returns the
/// number of bytes it used, or that length and the problem.
///
/// Forms accepted (MARC-8 uses ISO 2022): `ESC F` for the G0 shortcuts (`s`, `g`, `b`,
/// `p`), `ESC ( F` / `ESC , F` for G0, `ESC ) F` / `ESC - F` for G1, a `$` after ESC for the
/// multibyte EACC set, and `ESC ( ! E` for ANSEL.
fn read_escape(
    bytes: &[u8],
    start: usize,
    state: &mut State,
) -> Result<usize, (usize, Marc8ErrorKind)> {
    let mut position = start + 1;
    let mut next = || {
        let byte = bytes.get(position).copied();
        position += 1;
        byte
    };
    let incomplete = |used: usize| (used, Marc8ErrorKind::IncompleteEscape);
    let mut byte = next().ok_or_else(|| incomplete(bytes.len() - start))?;
    let multibyte = byte == b'$';
    if multibyte {
        byte = next().ok_or_else(|| incomplete(bytes.len() - start))?;
    }
    let mut to_g1 = false;
    let mut explicit_register = false;
    if matches!(byte, b'(' | b',' | b')' | b'-') {
        to_g1 = matches!(byte, b')' | b'-');
        explicit_register = true;
        byte = next().ok_or_else(|| incomplete(bytes.len() - start))?;
    }
    if byte == b'!' {
        byte = next().ok_or_else(|| incomplete(bytes.len() - start))?;
    }
    let used = position - start;
    let final_byte = if !explicit_register && !multibyte && byte == ASCII_RESET {
        BASIC_LATIN
    } else {
        byte
    };
    let known = if multibyte {
        final_byte == EACC
    } else {
        tables::single_byte_set(final_byte).is_some()
    };
    if !known {
        let sequence = bytes.get(start + 1..start + used).unwrap_or_default();
        return Err((
            used,
            Marc8ErrorKind::UnknownEscape {
                sequence: String::from_utf8_lossy(sequence).into_owned(),
            },
        ));
    }
    if to_g1 {
        state.g1 = final_byte;
    } else {
        state.g0 = final_byte;
    }
    Ok(used)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Converts strictly and compares; the expected text is written decomposed, as yaz
    /// writes it.
    #[track_caller]
    fn check(input: &[u8], expected: &str) {
        assert_eq!(decode(input).as_deref(), Ok(expected), "input {input:02X?}");
    }

    #[track_caller]
    fn check_error(input: &[u8], byte_offset: usize, kind: Marc8ErrorKind, lossy: &str) {
        assert_eq!(
            decode(input),
            Err(Marc8Error { byte_offset, kind }),
            "input {input:02X?}"
        );
        assert_eq!(decode_lossy(input), lossy);
    }

    #[test]
    fn ascii_passes_through() {
        check(b"", "");
        check(
            b"The pragmatic programmer / Andrew Hunt.",
            "The pragmatic programmer / Andrew Hunt.",
        );
    }

    #[test]
    fn ansel_spacing_characters() {
        check(
            b"\xa1\xa2\xa3\xa4\xa5\xa6",
            "\u{141}\u{d8}\u{110}\u{de}\u{c6}\u{152}",
        );
        check(
            b"\xb1\xb2\xb3\xb4\xb5\xb6\xb8\xb9\xba",
            "\u{142}\u{f8}\u{111}\u{fe}\u{e6}\u{153}\u{131}\u{a3}\u{f0}",
        );
        check(
            b"\xc0\xc1\xc2\xc3\xc4\xc5\xc6\xc7\xc8",
            "\u{b0}\u{2113}\u{2117}\u{a9}\u{266f}\u{bf}\u{a1}\u{df}\u{20ac}",
        );
        check(b"\xae\xb0", "\u{2bc}\u{2bb}");
        check(b"\xac\xbc\xad\xbd", "\u{1a0}\u{1a1}\u{1af}\u{1b0}");
    }

    #[test]
    fn combining_marks_move_after_their_letter() {
        check(b"Caf\xe2e", "Cafe\u{301}");
        check(b"\xe8uber", "u\u{308}ber");
        check(b"Fran\xf0cais", "Franc\u{327}ais");
        check(
            b"\xe1a\xe3o\xe4n\xe9c\xeaa",
            "a\u{300}o\u{302}n\u{303}c\u{30c}a\u{30a}",
        );
        check(
            b"\xe5a\xe6a\xe7z\xeeo\xefa",
            "a\u{304}a\u{306}z\u{307}o\u{30b}a\u{310}",
        );
        check(
            b"\xf1a\xf2d\xf3u\xf4a\xf5a\xf6a\xf7s\xf8t\xf9h\xfeg\xedg\xe0a",
            "a\u{328}d\u{323}u\u{324}a\u{325}a\u{333}a\u{332}s\u{326}t\u{31c}h\u{32e}g\u{313}g\u{315}a\u{309}",
        );
    }

    #[test]
    fn several_marks_keep_their_order() {
        // Vietnamese: circumflex then acute on e.
        check(b"Vi\xe3\xe2et", "Vie\u{302}\u{301}t");
        check(b"\xe2\xe8x", "x\u{301}\u{308}");
    }

    #[test]
    fn double_diacritics_become_one_double_width_mark() {
        check(b"\xebt\xecs", "t\u{361}s");
        check(b"\xfan\xfbg", "n\u{360}g");
        check(b"Ko\xebi\xecuk", "Koi\u{361}uk");
    }

    #[test]
    fn a_mark_before_a_space_goes_after_the_space() {
        check(b"\xe2 x", " \u{301}x");
    }

    #[test]
    fn marks_at_the_end_are_kept() {
        check(b"abc\xe2", "abc\u{301}");
    }

    #[test]
    fn non_sort_markers_and_joiners() {
        check(b"\x88The\x89 title", "\u{98}The\u{9c} title");
        check(b"a\x8db\x8ec", "a\u{200d}b\u{200c}c");
    }

    #[test]
    fn greek_symbols_subscripts_superscripts() {
        check(b"\x1bgabc\x1bs", "\u{3b1}\u{3b2}\u{3b3}");
        check(b"H\x1bb2\x1bsO", "H\u{2082}O");
        check(b"x\x1bp2\x1bs", "x\u{b2}");
        check(
            b"\x1bp(+-0123456789)\x1bs",
            "\u{207d}\u{207a}\u{207b}\u{2070}\u{b9}\u{b2}\u{b3}\u{2074}\u{2075}\u{2076}\u{2077}\u{2078}\u{2079}\u{207e}",
        );
        check(
            b"\x1bb(+-0123456789)\x1bs",
            "\u{208d}\u{208a}\u{208b}\u{2080}\u{2081}\u{2082}\u{2083}\u{2084}\u{2085}\u{2086}\u{2087}\u{2088}\u{2089}\u{208e}",
        );
    }

    #[test]
    fn basic_and_extended_cyrillic() {
        check(b"\x1b(Nabc\x1b(B", "\u{410}\u{411}\u{426}");
        // Lower-case ASCII positions hold the capitals, upper-case ones the small letters.
        check(
            b"\x1b(NRUSSKIJ\x1b(B x",
            "\u{440}\u{443}\u{441}\u{441}\u{43a}\u{438}\u{439} x",
        );
        check(b"\x1b(Qabc", "\u{402}\u{403}\u{404}");
        // Extended Cyrillic designated as G1, used with high bytes.
        check(b"\x1b)Q\xc0\xc1", "\u{491}\u{452}");
        // Basic Cyrillic as G1: high bytes read at their G0 position.
        check(b"\x1b)N\xe1", "\u{410}");
        // A mark before an escape still goes after the letter that follows.
        check(b"\xe8\x1b(Na", "\u{410}\u{308}");
    }

    #[test]
    fn hebrew_and_arabic() {
        check(b"\x1b(2abc\x1b(B", "\u{5d1}\u{5d2}\u{5d3}");
        check(b"\x1b(3abc\x1b(B", "\u{641}\u{642}\u{643}");
        check(b"\x1b)4\xa1", "\u{6fd}");
        check(b"\x1b)3\xe1", "\u{641}");
    }

    #[test]
    fn basic_greek() {
        check(b"\x1b(Sabc\x1b(B", "\u{3b1}\u{3b2}\u{3d0}");
    }

    #[test]
    fn eacc_is_three_bytes_per_character() {
        check(b"\x1b$1!0!\x1b(B", "\u{4e00}");
        check(b"\x1b$1!0! !0!\x1b(Bx", "\u{4e00} \u{4e00}x");
        check(b"\x1b$1!0!\x1b(Babc", "\u{4e00}abc");
        // G1 designation of EACC does not touch G0, so ASCII stays ASCII.
        check(b"\x1b$)1!0!", "!0!");
    }

    #[test]
    fn ansel_designated_into_g0() {
        // 0x62 is ANSEL 0xE2, the acute, which then waits for its letter.
        check(b"\x1b(!Eb\x1b(Ba", "a\u{301}");
    }

    #[test]
    fn undefined_bytes_are_reported_and_dropped_when_lossy() {
        check_error(
            b"a\xafb",
            1,
            Marc8ErrorKind::UndefinedCharacter {
                code: 0xaf,
                set: EXTENDED_LATIN,
            },
            "ab",
        );
        check_error(
            b"a\x01b",
            1,
            Marc8ErrorKind::UndefinedCharacter {
                code: 0x01,
                set: BASIC_LATIN,
            },
            "ab",
        );
    }

    #[test]
    fn bad_escapes_are_reported() {
        check_error(
            b"x\x1b(Xyz",
            1,
            Marc8ErrorKind::UnknownEscape {
                sequence: "(X".into(),
            },
            "xyz",
        );
        check_error(b"x\x1b(", 1, Marc8ErrorKind::IncompleteEscape, "x");
        check_error(b"x\x1b", 1, Marc8ErrorKind::IncompleteEscape, "x");
    }

    #[test]
    fn truncated_and_undefined_eacc_are_reported() {
        check_error(b"\x1b$1!0", 3, Marc8ErrorKind::IncompleteMultibyte, "");
        check_error(
            b"\x1b$1\x7f\x7f\x7f!0!",
            3,
            Marc8ErrorKind::UndefinedCharacter {
                code: 0x7f7f7f,
                set: EACC,
            },
            "\u{4e00}",
        );
    }

    #[test]
    fn error_message_names_the_set() {
        let error = decode(b"a\xafb").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid MARC-8 at byte 1: character 0xAF is not defined in Extended Latin (ANSEL)"
        );
    }
}
