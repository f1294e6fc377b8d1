//! How catalogue text is cut into the words the index holds, for records in any script.
//!
//! tantivy's simple tokenizer ends a word at any character that is not a letter or digit, and a
//! combining mark is neither. MARC records carry such marks inside words: the ligature halves
//! of Library of Congress romanisation (`t︠s︡ar`, U+FE20/U+FE21, which have no composed form),
//! accents a record gives apart from letters that have no precomposed form, and the vowel
//! signs and viramas of Indic scripts (`क्या`). Cut there, a word becomes pieces that match
//! nothing a patron types. [`WordTokenizer`] keeps marks inside the word they follow, and
//! [`DiacriticFolder`] then drops the script-independent diacritics, given apart or within a
//! composed letter, so that `tsar` finds `t︠s︡ar` as `etude` finds `étude` and `παπαδοπουλος`
//! finds `Παπαδόπουλος`, while the marks that are part of a script's spelling stay. Hebrew
//! and Arabic vowel points are optional, so they fold too (with Arabic's tatweel), and `كتاب`
//! finds `كِتَاب`. It also folds Greek final sigma, so that a name typed in capitals finds its
//! lower-case form.

use std::str::CharIndices;

use concord_domain::text::fold_diacritics;
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};
use unicode_normalization::char::is_combining_mark;

/// Words are runs of letters and digits, with any combining marks that follow them.
#[derive(Clone, Default)]
pub(crate) struct WordTokenizer {
    token: Token,
}

pub(crate) struct WordStream<'a> {
    text: &'a str,
    chars: std::iter::Peekable<CharIndices<'a>>,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        self.token.reset();
        WordStream {
            text,
            chars: text.char_indices().peekable(),
            token: &mut self.token,
        }
    }
}

/// Whether `character` continues a word: a letter, a digit or a combining mark.
pub(crate) fn continues_word(character: char) -> bool {
    character.is_alphanumeric() || is_combining_mark(character)
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        // A word starts at a letter or digit (a stray mark after a space starts nothing).
        while let Some((start, character)) = self.chars.next() {
            if !character.is_alphanumeric() {
                continue;
            }
            let mut end = start + character.len_utf8();
            while let Some((offset, next)) = self.chars.peek().copied() {
                if !continues_word(next) {
                    break;
                }
                end = offset + next.len_utf8();
                self.chars.next();
            }
            self.token.offset_from = start;
            self.token.offset_to = end;
            self.token
                .text
                .push_str(self.text.get(start..end).unwrap_or_default());
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Drops the diacritics of a word, given apart or within composed letters, and folds Greek final
/// sigma to sigma. Runs after lower-casing (which leaves `ς` as it is).
#[derive(Clone)]
pub(crate) struct DiacriticFolder;

impl TokenFilter for DiacriticFolder {
    type Tokenizer<T: Tokenizer> = DiacriticFolderTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> DiacriticFolderTokenizer<T> {
        DiacriticFolderTokenizer { tokenizer }
    }
}

#[derive(Clone)]
pub(crate) struct DiacriticFolderTokenizer<T> {
    tokenizer: T,
}

impl<T: Tokenizer> Tokenizer for DiacriticFolderTokenizer<T> {
    type TokenStream<'a> = DiacriticFolderStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        DiacriticFolderStream {
            tail: self.tokenizer.token_stream(text),
        }
    }
}

pub(crate) struct DiacriticFolderStream<T> {
    tail: T,
}

/// The word through [`concord_domain::text::fold_diacritics`]; `None` when that changes
/// nothing.
pub(crate) fn fold_word(word: &str) -> Option<String> {
    if word.is_ascii() {
        return None;
    }
    let folded = fold_diacritics(word);
    (folded != word).then_some(folded)
}

impl<T: TokenStream> TokenStream for DiacriticFolderStream<T> {
    fn advance(&mut self) -> bool {
        // A word of tatweels alone folds to nothing and is no word.
        while self.tail.advance() {
            match fold_word(&self.tail.token().text) {
                Some(folded) if folded.is_empty() => continue,
                Some(folded) => self.tail.token_mut().text = folded,
                None => {}
            }
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, TextAnalyzer};

    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut analyzer = TextAnalyzer::builder(WordTokenizer::default())
            .filter(LowerCaser)
            .filter(DiacriticFolder)
            .filter(AsciiFoldingFilter)
            .build();
        let mut stream = analyzer.token_stream(text);
        let mut words = Vec::new();
        stream.process(&mut |token| words.push(token.text.clone()));
        words
    }

    #[test]
    fn ligature_halves_and_loose_accents_stay_in_their_word() {
        assert_eq!(
            words("Zhizn\u{FE20}\u{FE21} t\u{FE20}s\u{FE21}arei"),
            ["zhizn", "tsarei"]
        );
        assert_eq!(words("Que\u{301}bec, e\u{301}tudes!"), ["quebec", "etudes"]);
        assert_eq!(words("Québec"), ["quebec"]);
        assert_eq!(words("x\u{20DD} n\u{1DC4}"), ["x", "n"]);
    }

    #[test]
    fn the_marks_of_a_script_stay_in_its_words() {
        // Devanagari: a virama and vowel signs are part of the word's spelling.
        assert_eq!(words("नेपाली भाषा क्या"), ["नेपाली", "भाषा", "क्या"]);
        // Thai vowel marks too.
        assert_eq!(words("ภาษาไทย"), ["ภาษาไทย"]);
    }

    #[test]
    fn hebrew_and_arabic_points_are_optional() {
        assert_eq!(words("סֵפֶר הַשִּׁירִים"), ["ספר", "השירים"]);
        assert_eq!(words("كِتَابُ الأغـانـي"), ["كتاب", "الاغاني"]);
        // A run of tatweels alone is no word.
        assert_eq!(words("كتاب ـــ ١٩٩٠"), ["كتاب", "١٩٩٠"]);
    }

    #[test]
    fn greek_capitals_fold_to_the_lower_case_spelling() {
        assert_eq!(words("ΠΑΠΑΔΟΠΟΥΛΟΣ"), ["παπαδοπουλοσ"]);
        assert_eq!(words("Παπαδόπουλος"), ["παπαδοπουλοσ"]);
        assert_eq!(words("Чайковский"), words("ЧАИКОВСКИИ"));
    }

    #[test]
    fn punctuation_and_stray_marks_still_separate_words() {
        assert_eq!(
            words("O'Brien -- \u{301}alone, 1984."),
            ["o", "brien", "alone", "1984"]
        );
        assert_eq!(words(""), Vec::<String>::new());
        assert_eq!(words("\u{301}\u{301}"), Vec::<String>::new());
    }
}
