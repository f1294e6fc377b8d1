//! Call numbers in the order their items stand on a shelf, for browsing a branch's shelf from a
//! record. Pure.
//!
//! **Invariant:** [`shelf_key`]s compare byte by byte (SQLite's default, PostgreSQL's `"C"`
//! collation) in shelf order, for Dewey, Library of Congress and the local schemes libraries
//! put before or instead of them ("FIC AUSTEN", "J 599.75 ANI", "DVD 791.43 PRI").

use std::iter::Peekable;
use std::str::Chars;

use crate::text::fold_diacritics;

/// How many digits a whole number's part of a key holds: class numbers, years and volume numbers
/// are far shorter, and longer runs keep all their digits (so still sort after shorter ones of
/// the same length class only by their digits).
const NUMBER_WIDTH: usize = 9;

/// The key that sorts `call_number` into shelf order:
///
/// * letters are compared without case or accents (`FIC`, `QA`, a cutter's `J`);
/// * a whole number is compared as a number (`v.2` before `v.10`, `QA76` before `QA100`), and
///   its decimal part, written straight after it (`823.912`, `QA76.73`), digit by digit, as a
///   decimal (`823.912` before `823.92`);
/// * digits straight after letters, once the call number has had a number, are a cutter's
///   decimal (`.J38` before `.J4`, `Z5`);
/// * spaces and punctuation only separate (`QA76 .J38` is `QA76.J38`), and a shorter call number
///   comes before the longer ones it begins (`823` before `823 AUS` before `823.9`).
///
/// An empty call number (or one without letters or digits) has an empty key.
pub fn shelf_key(call_number: &str) -> String {
    let folded = fold_diacritics(call_number).to_uppercase();
    let mut chars = folded.chars().peekable();
    let mut tokens: Vec<String> = Vec::new();
    let mut seen_number = false;
    while let Some(&character) = chars.peek() {
        if character.is_alphabetic() {
            let mut token = take_while(&mut chars, |c| c.is_alphabetic());
            if seen_number && chars.peek().is_some_and(char::is_ascii_digit) {
                token.push('.');
                token.push_str(&take_while(&mut chars, |c| c.is_ascii_digit()));
            }
            tokens.push(token);
        } else if character.is_ascii_digit() {
            let digits = take_while(&mut chars, |c| c.is_ascii_digit());
            let mut token = format!("{:0>NUMBER_WIDTH$}", digits.trim_start_matches('0'));
            let mut ahead = chars.clone();
            if ahead.next() == Some('.') && ahead.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
                token.push('.');
                token.push_str(&take_while(&mut chars, |c| c.is_ascii_digit()));
            }
            tokens.push(token);
            seen_number = true;
        } else {
            chars.next();
        }
    }
    tokens.join(" ")
}

/// The characters from here on that `keep` accepts.
fn take_while(chars: &mut Peekable<Chars<'_>>, keep: impl Fn(char) -> bool) -> String {
    let mut taken = String::new();
    while let Some(character) = chars.next_if(|c| keep(*c)) {
        taken.push(character);
    }
    taken
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each list is in shelf order; its keys must be too, whatever order they are given in.
    fn assert_shelf_order(call_numbers: &[&str]) {
        let mut shuffled: Vec<&str> = call_numbers.iter().rev().copied().collect();
        shuffled.rotate_left(call_numbers.len() / 2);
        shuffled.sort_by_key(|call_number| shelf_key(call_number));
        assert_eq!(
            shuffled,
            call_numbers,
            "keys: {:?}",
            call_numbers
                .iter()
                .map(|c| shelf_key(c))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn dewey_call_numbers_stand_in_decimal_order() {
        assert_shelf_order(&[
            "005.133 PYT",
            "005.2",
            "599.75 ANI",
            "823",
            "823 AUS",
            "823.8 DIC",
            "823.912 WOO",
            "823.914 ROW",
            "823.92 ATW",
            "910.4",
        ]);
    }

    #[test]
    fn library_of_congress_call_numbers_stand_in_class_then_cutter_order() {
        assert_shelf_order(&[
            "PR4034 .P7 1990",
            "PR4034 .P7 2003",
            "PR4034 .P72",
            "PR4034 .P8",
            "PS3545.I345 Z5 1990",
            "PS3545.I345 Z6",
            "QA9 .B3",
            "QA76 .A1",
            "QA76.73.J38 2005",
            "QA76.73.J4",
            "QA76.9.D3 S6 1995",
            "QA100 .C2",
            "QC1 .O7",
        ]);
    }

    #[test]
    fn local_schemes_volumes_and_copies() {
        assert_shelf_order(&[
            "B SMITH",
            "FIC AUSTEN",
            "FIC AUSTEN J",
            "FIC BRONTË",
            "FIC BYATT",
        ]);
        assert_shelf_order(&[
            "REF 030 BRI v.2",
            "REF 030 BRI v.10",
            "REF 030 BRI v.10 c.2",
        ]);
        assert_shelf_order(&["J 599.75 ANI", "J 599.8 APE", "J FIC DAHL"]);
    }

    #[test]
    fn spacing_case_and_accents_do_not_move_an_item() {
        assert_eq!(shelf_key("QA76 .J38"), shelf_key("qa76.j38"));
        assert_eq!(shelf_key("QA 76 J38"), shelf_key("QA76 J38"));
        assert_eq!(shelf_key("FIC Brontë"), shelf_key("FIC BRONTE"));
        assert_eq!(shelf_key("823.912"), "000000823.912");
        assert_eq!(
            shelf_key("QA76.73.J38 2005"),
            "QA 000000076.73 J.38 000002005"
        );
        assert_eq!(shelf_key(""), "");
        assert_eq!(shelf_key(" -- "), "");
    }
}
