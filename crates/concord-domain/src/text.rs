//! Folding text for comparison: the same letters with or without accents, in any case, in every
//! script that composes accents with letters.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `text` in lower case without accents: "Dvořák", "DVORAK" and "Dvorak" fold alike. Letters are
/// decomposed (Unicode NFD) and their combining marks dropped, MARC-8's separate diacritics
/// among them; the Latin letters whose stroke or ligature is part of the letter (ø, ł, đ, ħ, ı,
/// ß, æ, œ, þ, ð) become their plain spellings, and Greek final sigma becomes sigma.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        for lower in c.to_lowercase() {
            match lower {
                'ø' => folded.push('o'),
                'ł' => folded.push('l'),
                'đ' | 'ð' => folded.push('d'),
                'ħ' => folded.push('h'),
                'ı' => folded.push('i'),
                'ß' => folded.push_str("ss"),
                'æ' => folded.push_str("ae"),
                'œ' => folded.push_str("oe"),
                'þ' => folded.push_str("th"),
                other => folded.push(without_final_sigma(other)),
            }
        }
    }
    folded
}

/// Greek final sigma as sigma: upper case has only Σ, which lower-cases to σ, so a word typed in
/// capitals meets its lower-case spelling only when ς folds too.
fn without_final_sigma(character: char) -> char {
    if character == 'ς' { 'σ' } else { character }
}

/// Whether `character` is a diacritic that any Latin, Greek or Cyrillic letter may carry (the
/// Unicode blocks of combining diacritical marks and half marks, such as the ligature halves
/// of Library of Congress romanisation), as opposed to a mark that is part of a script's own
/// spelling (a Devanagari vowel sign or virama).
pub fn is_diacritic(character: char) -> bool {
    matches!(
        character,
        '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
    )
}

/// `text` without its diacritics, whether given apart or within a composed letter (`ό`, `é`),
/// with `σ` for `ς`, in its own case and composed (NFC); marks that spell a script's words stay.
/// Gentler than [`fold`], for searching words in any script.
pub fn fold_diacritics(text: &str) -> String {
    text.nfd()
        .filter(|character| !is_diacritic(*character))
        .map(without_final_sigma)
        .nfc()
        .collect()
}

/// Marks that join the parts of one name rather than separate two: the apostrophe in its
/// typewriter, typographic and modifier-letter forms (O'Connor, D’Arcy, Kaʻiulani), and the
/// backtick and spacing acute accent that keyboards offer in its place.
const NAME_JOINERS: &[char] = &[
    '\'', '\u{2019}', '\u{2018}', '\u{02BC}', '\u{02BB}', '`', '\u{00B4}',
];

/// A person's name folded for finding and comparing: [`fold`]ed (case, accents and letter forms
/// ignored), apostrophes dropped so that "O'Connor", "o'connor" and "oconnor" agree, and every
/// other mark that is neither letter nor digit — hyphen, comma, full stop, space — taken as a
/// break between words, so that "Smith-Jones", "smith jones" and "SMITH - JONES" agree; words
/// are joined by one space. The result holds letters, digits and single spaces only, never
/// with a space at either end. Letters of every script stay, so a Greek, Cyrillic or Chinese
/// name never folds to nothing.
pub fn fold_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in fold(text).chars() {
        if NAME_JOINERS.contains(&c) {
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        } else {
            pending_space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_case_and_letter_forms_fold_away() {
        assert_eq!(fold("Dvořák"), "dvorak");
        assert_eq!(fold("POSPÍŠIL"), "pospisil");
        assert_eq!(fold("Łódź"), "lodz");
        assert_eq!(fold("Øster Straße"), "oster strasse");
        assert_eq!(fold("Ærø"), "aero");
        // A separate combining accent (as MARC-8 records arrive) folds like a composed one.
        assert_eq!(fold("Mu\u{308}ller"), fold("Müller"));
        assert_eq!(fold("Вагнер"), "вагнер");
        // Greek: accents go, and final sigma meets the capital's lower case.
        assert_eq!(fold("ΠΑΠΑΔΟΠΟΥΛΟΣ"), fold("Παπαδόπουλος"));
        assert_eq!(fold("Παπαδόπουλος"), "παπαδοπουλοσ");
    }

    #[test]
    fn diacritics_fold_and_a_script_keeps_its_marks() {
        assert_eq!(fold_diacritics("t\u{FE20}s\u{FE21}ar"), "tsar");
        assert_eq!(fold_diacritics("Étude Que\u{301}bec"), "Etude Quebec");
        assert_eq!(fold_diacritics("Παπαδόπουλος"), "Παπαδοπουλοσ");
        assert_eq!(fold_diacritics("क्या"), "क्या");
        assert_eq!(fold("東京"), "東京");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn names_fold_with_apostrophes_joining_and_other_marks_separating() {
        let check = |typed: &str, expected: &str| assert_eq!(fold_name(typed), expected, "{typed}");
        check("Müller Jürgen", "muller jurgen");
        check("Dvořák, Antonín", "dvorak antonin");
        check("POSPÍŠIL", "pospisil");
        check("Łukasz Øvergård Straße", "lukasz overgard strasse");
        // Apostrophes, in any of their forms, join.
        for typed in ["O'Connor", "o’connor", "Oʼconnor", "O`Connor", "oconnor"] {
            check(typed, "oconnor");
        }
        // Hyphens, commas, full stops and runs of spaces separate, never doubled or at the ends.
        for typed in [
            "Smith-Jones",
            "smith jones",
            " SMITH  -  Jones. ",
            "smith,jones",
        ] {
            check(typed, "smith jones");
        }
        check("St. John-Smythe, Mary Ann", "st john smythe mary ann");
        // The letters of scripts without accents stay: folding never empties a name.
        check("Παπαδόπουλος, Γιώργος", "παπαδοπουλοσ γιωργοσ");
        check("ΠΑΠΑΔΟΠΟΥΛΟΣ, ΓΙΩΡΓΟΣ", "παπαδοπουλοσ γιωργοσ");
        check("Иванова Анна", "иванова анна");
        check("王小明", "王小明");
        check("Patron 12, Bench", "patron 12 bench");
        // Nothing but marks folds to nothing.
        check("%_'-", "");
        check("", "");
    }
}
