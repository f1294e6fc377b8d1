//! Finding a delimiter in the short runs of bytes MARC is made of, faster than `memchr`.
//!
//! A subfield is some twenty bytes and an XML tag not much more: too short for `memchr`'s
//! set-up to pay for itself. [`find_byte`] searches the first bytes eight at a time with the
//! usual word trick and hands only a long remainder to `memchr`. (For MARCXML values, which
//! need two bytes looked for, `memchr2` measured faster than the same trick.)

/// How far the word loop goes before handing over to `memchr`.
const SHORT: usize = 64;
const ONES: u64 = u64::from_ne_bytes([1; 8]);
const HIGH_BITS: u64 = u64::from_ne_bytes([0x80; 8]);

/// The high bit of every byte of `word` that equals the byte repeated in `pattern`; the
/// lowest flagged byte is the first match (flags above a match may be false, below it
/// never are).
#[inline]
fn matches(word: u64, pattern: u64) -> u64 {
    let difference = word ^ pattern;
    difference.wrapping_sub(ONES) & !difference & HIGH_BITS
}

/// The first position of `needle` in `haystack`.
#[inline]
pub(crate) fn find_byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    let pattern = ONES * u64::from(needle);
    let short = haystack.get(..SHORT).unwrap_or(haystack);
    let mut words = short.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let found = matches(u64::from_le_bytes(bytes), pattern);
        if found != 0 {
            return Some(offset + lowest_flag(found));
        }
        offset += 8;
    }
    if let Some(found) = words.remainder().iter().position(|byte| *byte == needle) {
        return Some(offset + found);
    }
    let searched = short.len();
    memchr::memchr(needle, haystack.get(searched..)?).map(|found| searched + found)
}

/// The index of the lowest flagged byte of a mask from [`matches`], or 8 if none is.
#[inline]
fn lowest_flag(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_occurrence_at_every_position_and_length() {
        for length in 0..150 {
            for at in 0..=length {
                let mut haystack: Vec<u8> = (0..length).map(|i| (i % 7) as u8 + b'a').collect();
                if at < length {
                    haystack[at] = b'<';
                    // Later matches, and bytes one off the needle, must not matter.
                    if at + 1 < length {
                        haystack[at + 1] = b'<';
                    }
                    if at > 0 {
                        haystack[at - 1] = b'=';
                    }
                }
                assert_eq!(
                    find_byte(b'<', &haystack),
                    memchr::memchr(b'<', &haystack),
                    "length {length}, at {at}"
                );
            }
        }
    }
}
