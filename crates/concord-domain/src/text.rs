//! Folding text for comparison: the same letters with or without accents, in any case, in every
//! script that composes accents with letters.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `text` in lower case without accents: "Dvořák", "DVORAK" and "Dvorak" fold alike. Letters are
/// decomposed (Unicode NFD) and their combining marks dropped, MARC-8's separate diacritics
/// among them, as are the optional vowel points of Hebrew and Arabic and Arabic's tatweel; the
/// Latin letters whose stroke or ligature is part of the letter (ø, ł, đ, ħ, ı, ß, æ, œ, þ, ð)
/// become their plain spellings, and Greek final sigma becomes sigma. The marks that spell a
/// word in the scripts of South and Southeast Asia ([`is_spelling_mark`]) stay: without them
/// "कला" (art) and "काल" (time) would fold alike.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text
        .nfd()
        .filter(|c| (!is_combining_mark(*c) || is_spelling_mark(*c)) && *c != TATWEEL)
    {
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
/// of Library of Congress romanisation), or one of the optional vowel points and cantillation
/// marks of Hebrew and Arabic (a pointed and an unpointed spelling are one word; Arabic's marks
/// include the hamza and madda that Unicode decomposes from alef and its kin), as opposed to a
/// mark that is part of a script's own spelling (a Devanagari vowel sign or virama).
pub fn is_diacritic(character: char) -> bool {
    matches!(
        character,
        '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
    ) || (matches!(
        character,
        '\u{0591}'..='\u{05C7}'
            | '\u{0610}'..='\u{061A}'
            | '\u{064B}'..='\u{065F}'
            | '\u{0670}'
            | '\u{06D6}'..='\u{06ED}'
    ) && is_combining_mark(character))
}

/// Arabic tatweel, which stretches a word to justify a line and is no part of its spelling.
const TATWEEL: char = '\u{0640}';

/// Whether `character` is a combining mark that spells a word in its script rather than
/// accents it: the vowel signs, viramas and other marks of the Brahmic scripts (Devanagari,
/// Bengali, Gurmukhi, Gujarati, Oriya, Tamil, Telugu, Kannada, Malayalam, Sinhala, Tibetan,
/// Myanmar, Khmer, Balinese, Javanese and their neighbours) and of Thai and Lao. Taking one away
/// makes another word, so [`fold`] and the search index keep them.
pub fn is_spelling_mark(character: char) -> bool {
    is_combining_mark(character) && in_script_with_spelling_marks(character)
}

/// The Unicode blocks of the scripts whose combining marks spell words: from Devanagari to
/// Sinhala, Thai, Lao, Tibetan, Myanmar, the Philippine scripts and Khmer, Limbu to Vedic
/// extensions (leaving out the Latin diacritics' extension block between them), Syloti Nagri
/// to Javanese and Cham, Myanmar's extensions, Meetei Mayek, and the historic Brahmic scripts
/// of the supplementary plane. The store's migration 0014 names the same ranges to find the
/// keys made before these marks stayed.
const SCRIPTS_WITH_SPELLING_MARKS: &[(char, char)] = &[
    ('\u{0900}', '\u{0DFF}'),
    ('\u{0E00}', '\u{109F}'),
    ('\u{1700}', '\u{17FF}'),
    ('\u{1900}', '\u{1AAF}'),
    ('\u{1B00}', '\u{1CFF}'),
    ('\u{A800}', '\u{AAFF}'),
    ('\u{ABC0}', '\u{ABFF}'),
    ('\u{11000}', '\u{11FFF}'),
];

fn in_script_with_spelling_marks(character: char) -> bool {
    SCRIPTS_WITH_SPELLING_MARKS
        .iter()
        .any(|(first, last)| (*first..=*last).contains(&character))
}

/// `text` without its diacritics ([`is_diacritic`]), whether given apart or within a composed
/// letter (`ό`, `é`, `أ`), without tatweel, with `σ` for `ς`, in its own case and composed (NFC);
/// marks that spell a script's words stay. Gentler than [`fold`], for searching words in any
/// script.
pub fn fold_diacritics(text: &str) -> String {
    text.nfd()
        .filter(|character| !is_diacritic(*character) && *character != TATWEEL)
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
        if c.is_alphanumeric() || is_spelling_mark(c) {
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
        // Hebrew points and Arabic harakat are optional: a pointed spelling is the plain one.
        assert_eq!(fold_diacritics("שָׁלוֹם"), "שלום");
        assert_eq!(fold_diacritics("كِتَاب"), "كتاب");
        assert_eq!(fold_diacritics("كـتـاب"), "كتاب");
        assert_eq!(fold_diacritics("أحمد"), "احمد");
        // Hebrew punctuation among the points (maqaf, sof pasuq) is not a point.
        assert_eq!(fold_diacritics("בית־ספר"), "בית־ספר");
        assert_eq!(fold("東京"), "東京");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn marks_that_spell_a_word_stay_and_pointing_goes() {
        // Devanagari: a vowel sign or a virama makes another word.
        assert_ne!(fold("कला"), fold("काल"));
        assert_ne!(fold("कला"), fold("कल"));
        assert_eq!(fold("क्या"), "क्या");
        assert_eq!(fold("नेपाली"), "नेपाली");
        // Tamil, Bengali, Thai and Khmer likewise.
        assert_eq!(fold("தமிழ்"), "தமிழ்");
        assert_eq!(fold("বাংলা"), "বাংলা");
        assert_eq!(fold("ภาษาไทย"), "ภาษาไทย");
        assert_eq!(fold("ខ្មែរ"), "ខ្មែរ");
        // Composed and decomposed spellings agree (NFD): Devanagari QA, Bengali O.
        assert_eq!(fold("\u{0958}"), fold("\u{0915}\u{093C}"));
        assert_eq!(fold("\u{09CB}"), fold("\u{09C7}\u{09BE}"));
        // Hebrew points and Arabic harakat are optional, so a pointed spelling meets a plain one.
        assert_eq!(fold("שָׁלוֹם"), "שלום");
        assert_eq!(fold("كِتَاب"), "كتاب");
        assert_eq!(fold("كـتـاب"), "كتاب");
        // The Latin diacritics' extension block sits between Brahmic blocks and still folds.
        assert_eq!(fold("a\u{1AB0}"), "a");
        for mark in [
            '\u{093E}',
            '\u{094D}',
            '\u{0BCD}',
            '\u{0E34}',
            '\u{17D2}',
            '\u{11046}',
        ] {
            assert!(is_spelling_mark(mark), "{mark:?}");
        }
        for not_mark in ['\u{0301}', '\u{05B8}', '\u{064E}', 'क', 'a', '\u{1AB0}'] {
            assert!(!is_spelling_mark(not_mark), "{not_mark:?}");
        }
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
        // Marks that spell a name stay in its words, a virama among them.
        check("शर्मा, कृष्ण", "शर्मा कृष्ण");
        assert_ne!(fold_name("कला"), fold_name("काल"));
        check("Patron 12, Bench", "patron 12 bench");
        // Nothing but marks folds to nothing.
        check("%_'-", "");
        check("", "");
    }
}
