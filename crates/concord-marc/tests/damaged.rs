//! Damaged input never stops a reader: real records cut, spliced and overwritten at random
//! (a fixed seed, so every run is the same) are read to the end without a panic, every error
//! names a byte offset inside the input, and a reader never yields more items than the input
//! has bytes. Debug builds check arithmetic overflow, so this also looks for it.

// Test code may panic: a failed expectation is the point of the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Read;
use std::path::PathBuf;

use concord_marc::{InvalidText, ParsedRecord, ReadOptions, read_any_with_options};

const FILES: [&str; 6] = [
    "marc4j/samples_diacritic4.mrc",
    "openlibrary/880_arabic_french_many_linkages.mrc",
    "evergreen/auth-subset100.mrc",
    "yaz/marc1.xml",
    "yaz/tmarc10.xml",
    "ruby-marc/non-numeric.xml",
];
const MUTANTS_PER_FILE: u64 = 400;

/// SplitMix64: a small, fixed pseudo-random sequence.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

/// Bytes that mean something to one of the formats, so that damage hits the framing.
const TELLING: &[u8] = b"\x1d\x1e\x1f<>/&;\"'=:0123456789 \x1b$(),ab\xc3\xe2\x80\xff";

fn mutate(original: &[u8], random: &mut Random) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for _ in 0..1 + random.below(4) {
        let at = random.below(bytes.len() + 1);
        match random.below(6) {
            0 => bytes.truncate(at),
            1 if at < bytes.len() => bytes[at] = TELLING[random.below(TELLING.len())],
            2 if at < bytes.len() => bytes[at] = random.next() as u8,
            3 => {
                let end = (at + random.below(64)).min(bytes.len());
                bytes.drain(at..end);
            }
            4 => {
                let from = random.below(bytes.len());
                let end = (from + random.below(200)).min(bytes.len());
                let copy = bytes[from..end].to_vec();
                bytes.splice(at..at, copy);
            }
            _ => bytes.insert(at, TELLING[random.below(TELLING.len())]),
        }
    }
    bytes
}

/// A reader that hands out a few bytes at a time, so records straddle its reads.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(out.len()).min(self.bytes.len());
        out[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// Reads every item; returns how many were errors.
fn read_through(context: &str, bytes: &[u8], input: impl Read) -> usize {
    let options = ReadOptions {
        invalid_text: InvalidText::Replace,
    };
    let Ok(mut reader) = read_any_with_options(input, options) else {
        return 0;
    };
    let mut parsed = ParsedRecord::default();
    let mut items = 0usize;
    let mut errors = 0usize;
    while let Some(item) = reader.next_into(&mut parsed) {
        items += 1;
        assert!(
            items <= bytes.len() + 2,
            "{context}: the reader does not advance"
        );
        if let Err(error) = item {
            errors += 1;
            assert!(
                error.byte_offset <= bytes.len() as u64,
                "{context}: offset {} beyond {} bytes ({error})",
                error.byte_offset,
                bytes.len()
            );
            assert!(!error.to_string().is_empty());
        }
    }
    errors
}

#[test]
fn damaged_records_are_reported_or_skipped_never_a_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/marc");
    for file in FILES {
        let original = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut random = Random(0x0DA3_A6ED ^ original.len() as u64);
        let mut errors = 0;
        for mutant in 0..MUTANTS_PER_FILE {
            let bytes = mutate(&original, &mut random);
            let context = format!("{file} mutant {mutant}");
            errors += read_through(&context, &bytes, bytes.as_slice());
            let step = 1 + random.below(13);
            read_through(
                &context,
                &bytes,
                Trickle {
                    bytes: &bytes,
                    step,
                },
            );
            // The owned path too: the iterator the importer uses.
            if let Ok(reader) = read_any_with_options(bytes.as_slice(), ReadOptions::default()) {
                assert!(
                    reader.take(bytes.len() + 3).count() <= bytes.len() + 2,
                    "{context}"
                );
            }
        }
        assert!(errors > 0, "{file}: the damage was never noticed");
    }
}
