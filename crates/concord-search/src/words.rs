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

/// Words are runs of letters and digits, with any combining marks that follow them. Chinese,
/// Japanese and Korean write words without spaces between them, so a run of their characters
/// is cut into each character and each overlapping pair, in turn (`北京妇` → `北`, `北京`,
/// `京`, `京妇`, `妇`), as library catalogues' search engines commonly do. Thai, Lao, Khmer
/// and Burmese write words without spaces too, and are cut the same way, a character with the
/// vowel signs, tone marks and stacking signs after it counting as one (cutting them into
/// words needs a dictionary; this finds any part of a title as typed). A search is cut the
/// same way, so any part of a title, one character or more, finds it: its words must stand in
/// the same order, which only the same characters in a row do. Korean puts spaces between
/// words, but where is a matter of style (`한국 문학`, `한국문학`), so two such characters with
/// only spaces between them also make a pair (`국문`): a search typed with or without the
/// spaces finds the record either way. With [`WordTokenizer::whole_words`] runs stay whole,
/// for keys.
#[derive(Clone)]
pub(crate) struct WordTokenizer {
    token: Token,
    pairs: bool,
}

impl Default for WordTokenizer {
    fn default() -> Self {
        WordTokenizer {
            token: Token::default(),
            pairs: true,
        }
    }
}

impl WordTokenizer {
    /// A tokenizer that keeps runs of Chinese, Japanese and Korean characters whole.
    pub(crate) fn whole_words() -> WordTokenizer {
        WordTokenizer {
            token: Token::default(),
            pairs: false,
        }
    }
}

pub(crate) struct WordStream<'a> {
    text: &'a str,
    chars: std::iter::Peekable<CharIndices<'a>>,
    token: &'a mut Token,
    pairs: bool,
    /// The words of the current run not yet given.
    pending: std::collections::VecDeque<Piece>,
    /// The last character of the run before (with its marks), when it is one that pairs and
    /// nothing but spaces has come since.
    pairs_on: Option<(usize, usize)>,
}

/// A word as byte ranges of the text: one, or two for a pair across spaces.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: usize,
    end: usize,
    /// The second character of a pair across spaces.
    then: Option<(usize, usize)>,
}

impl Piece {
    fn whole(start: usize, end: usize) -> Piece {
        Piece {
            start,
            end,
            then: None,
        }
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        self.token.reset();
        WordStream {
            text,
            chars: text.char_indices().peekable(),
            token: &mut self.token,
            pairs: self.pairs,
            pending: std::collections::VecDeque::new(),
            pairs_on: None,
        }
    }
}

impl WordStream<'_> {
    /// Finds the next run of letters, digits and marks, and queues its words.
    fn next_run(&mut self) {
        // A word starts at a letter or digit (a stray mark after a space starts nothing).
        while let Some((start, character)) = self.chars.next() {
            if !character.is_alphanumeric() {
                if !character.is_whitespace() {
                    self.pairs_on = None;
                }
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
            if self.pairs {
                self.pairs_on = cut_run(self.text, start, end, self.pairs_on, &mut self.pending);
            } else {
                self.pending.push_back(Piece::whole(start, end));
            }
            return;
        }
    }
}

/// Whether `character` continues a word: a letter, a digit or a combining mark.
pub(crate) fn continues_word(character: char) -> bool {
    character.is_alphanumeric() || is_combining_mark(character)
}

/// Whether `character` belongs to a script written without spaces between words that the index
/// cuts into pairs: Han ideographs, Hiragana, Katakana, Hangul, Thai, Lao, Myanmar and Khmer.
pub(crate) fn is_paired_script(character: char) -> bool {
    matches!(
        character,
        '\u{0E00}'..='\u{0EFF}'
            | '\u{1000}'..='\u{109F}'
            | '\u{1780}'..='\u{17FF}'
            | '\u{19E0}'..='\u{19FF}'
            | '\u{A9E0}'..='\u{A9FF}'
            | '\u{AA60}'..='\u{AA7F}'
            | '\u{1100}'..='\u{11FF}'
            | '\u{2E80}'..='\u{2FDF}'
            | '\u{3005}'..='\u{3007}'
            | '\u{3021}'..='\u{3029}'
            | '\u{3038}'..='\u{303C}'
            | '\u{3040}'..='\u{30FF}'
            | '\u{3130}'..='\u{318F}'
            | '\u{31F0}'..='\u{31FF}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{A960}'..='\u{A97F}'
            | '\u{AC00}'..='\u{D7FF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FF66}'..='\u{FFDC}'
            | '\u{20000}'..='\u{3134F}'
    )
}

/// The words of one run of letters, digits and marks at `start..end` of `text`: the run itself,
/// or, where it holds characters of [`is_paired_script`], its other parts whole and those
/// characters each alone and in overlapping pairs, in turn. A mark stays with the character
/// before it. `before` is the character of [`is_paired_script`] that ended the run before, with
/// only spaces since: it pairs with the run's first character if that is one too. Returns the
/// run's last character when it is of [`is_paired_script`].
fn cut_run(
    text: &str,
    start: usize,
    end: usize,
    before: Option<(usize, usize)>,
    out: &mut std::collections::VecDeque<Piece>,
) -> Option<(usize, usize)> {
    let run = text.get(start..end).unwrap_or_default();
    if !run.chars().any(is_paired_script) {
        out.push_back(Piece::whole(start, end));
        return None;
    }
    // Each character with its marks, as (start, end, paired).
    let mut units: Vec<(usize, usize, bool)> = Vec::new();
    for (offset, character) in run.char_indices() {
        let at = start + offset;
        let next = at + character.len_utf8();
        match units.last_mut() {
            Some(last) if is_combining_mark(character) => last.1 = next,
            _ => units.push((at, next, is_paired_script(character))),
        }
    }
    let mut index = 0;
    while let Some(&(first, _, paired)) = units.get(index) {
        // The stretch of units of the same kind starting here.
        let length = units
            .get(index..)
            .unwrap_or_default()
            .iter()
            .take_while(|unit| unit.2 == paired)
            .count();
        let stretch = units.get(index..index + length).unwrap_or_default();
        if !paired {
            if let Some(last) = stretch.last() {
                out.push_back(Piece::whole(first, last.1));
            }
        } else {
            if let (0, Some(before), Some(unit)) = (index, before, stretch.first()) {
                out.push_back(Piece {
                    start: before.0,
                    end: before.1,
                    then: Some((unit.0, unit.1)),
                });
            }
            for (position, unit) in stretch.iter().enumerate() {
                out.push_back(Piece::whole(unit.0, unit.1));
                if let Some(next) = stretch.get(position + 1) {
                    out.push_back(Piece::whole(unit.0, next.1));
                }
            }
        }
        index += length.max(1);
    }
    units
        .last()
        .filter(|unit| unit.2)
        .map(|unit| (unit.0, unit.1))
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        if self.pending.is_empty() {
            self.next_run();
        }
        let Some(piece) = self.pending.pop_front() else {
            return false;
        };
        self.token.offset_from = piece.start;
        self.token.offset_to = piece.end;
        self.token
            .text
            .push_str(self.text.get(piece.start..piece.end).unwrap_or_default());
        if let Some((start, end)) = piece.then {
            self.token.offset_to = end;
            self.token
                .text
                .push_str(self.text.get(start..end).unwrap_or_default());
        }
        true
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
        // Thai vowel and tone marks stay with the letter before them (Thai is cut into pairs,
        // see below).
        assert_eq!(words("สิ่ง"), ["สิ่", "สิ่ง", "ง"]);
    }

    #[test]
    fn chinese_japanese_and_korean_runs_are_cut_into_characters_and_pairs() {
        assert_eq!(words("北京妇"), ["北", "北京", "京", "京妇", "妇"]);
        assert_eq!(words("史"), ["史"]);
        // Other letters in the run stay whole.
        assert_eq!(words("Unicode版 2.0"), ["unicode", "版", "2", "0"]);
        assert_eq!(words("を読む"), ["を", "を読", "読", "読む", "む"]);
        // Korean spaces its words as the writer likes: characters with spaces between pair
        // too, so that either spacing finds the other.
        assert_eq!(
            words("한국 문학"),
            ["한", "한국", "국", "국문", "문", "문학", "학"]
        );
        assert_eq!(words("한국문학"), words("한국  문학"));
        // Not across other characters.
        assert_eq!(
            words("한국: 문학"),
            ["한", "한국", "국", "문", "문학", "학"]
        );
        assert_eq!(words("한국 - 문학"), words("한국: 문학"));
        assert_eq!(words("한 ab 문"), ["한", "ab", "문"]);
        // Positions follow one another, so that a search's words match as a phrase.
        let mut analyzer = TextAnalyzer::builder(WordTokenizer::default()).build();
        let mut positions = Vec::new();
        analyzer
            .token_stream("ab 北京 cd")
            .process(&mut |token| positions.push((token.text.clone(), token.position)));
        assert_eq!(
            positions,
            [
                ("ab".to_owned(), 0),
                ("北".to_owned(), 1),
                ("北京".to_owned(), 2),
                ("京".to_owned(), 3),
                ("cd".to_owned(), 4)
            ]
        );
        // Keys keep runs whole.
        let mut whole = TextAnalyzer::builder(WordTokenizer::whole_words()).build();
        let mut kept = Vec::new();
        whole
            .token_stream("北京妇女 report")
            .process(&mut |token| kept.push(token.text.clone()));
        assert_eq!(kept, ["北京妇女", "report"]);
    }

    #[test]
    fn thai_lao_khmer_and_burmese_runs_are_cut_into_characters_and_pairs() {
        // Thai: ภาษาไทย ("Thai language") holds ภาษา ("language") and ไทย ("Thai").
        assert_eq!(words("ภาษา"), ["ภ", "ภา", "า", "าษ", "ษ", "ษา", "า"]);
        let thai = words("ภาษาไทย");
        for part in ["ภาษา", "ไทย"] {
            let part = words(part);
            assert!(
                thai.windows(part.len())
                    .any(|window| window == part.as_slice()),
                "{part:?} in {thai:?}"
            );
        }
        // Khmer: a stacking sign (coeng) and a vowel sign stay with the letter before them.
        assert_eq!(words("ខ្មែរ"), ["ខ្", "ខ្មែ", "មែ", "មែរ", "រ"]);
        // Lao and Burmese with their marks.
        assert_eq!(words("ລາວ"), ["ລ", "ລາ", "າ", "າວ", "ວ"]);
        assert_eq!(words("မြန်"), ["မြ", "မြန်", "န်"]);
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
