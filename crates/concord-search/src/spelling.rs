//! "Did you mean": when a search finds nothing or next to nothing, the words of the query that
//! the catalogue does not know, or hardly knows, each become the catalogue's most common word
//! one edit away (two for long words; a swapped pair of letters counts as one edit).
//!
//! The words come from the index's `spelling` field: the words of titles, names, subjects and
//! series, folded but not stemmed, so that a suggestion is a word as a record spells it
//! ("harry", not the stem "harri"). How common a word is comes from the term dictionaries of
//! every segment; the neighbours of a word are found by walking those dictionaries with a
//! Levenshtein automaton, which visits only the terms within reach.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder};
use tantivy::schema::document::Value;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::{TextAnalyzer, TokenStream, Tokenizer};
use tantivy::{DocAddress, DocSet, Searcher, TERMINATED, TantivyDocument, Term};

use crate::words::WordTokenizer;

/// A search that finds fewer bibs than this gets a suggestion, when there is a better one.
pub(crate) const SUGGEST_BELOW: u64 = 3;

/// A word the catalogue knows is replaced only by a neighbour this many times as common: a
/// rare spelling that is right ("Hary János") keeps its few matches otherwise.
const MORE_COMMON: u64 = 20;

/// A word in more documents than this is taken as spelt as meant, and its neighbours are not
/// looked for: a precise search of common words that finds one bib costs no more for it.
const RARE_UP_TO: u64 = 100;

/// Words shorter than this (in characters) are left alone: every short word is one edit from
/// dozens of others.
const SHORTEST_CORRECTED: usize = 4;

/// Words this long (in characters) may be two edits from their correction.
const TWO_EDITS_FROM: usize = 8;

/// A word of the query: where it is in the text and how the index folds it.
struct QueryWord {
    start: usize,
    end: usize,
    folded: String,
}

/// The words of `text` that a correction may replace: not operators, field names, excluded
/// words (`-word`), or words with digits, and of one token as the `spelling` field folds it.
fn correctable_words(text: &str, analyzer: &mut TextAnalyzer) -> Vec<QueryWord> {
    let mut words = Vec::new();
    let mut tokenizer = WordTokenizer::default();
    let mut stream = tokenizer.token_stream(text);
    while stream.advance() {
        let token = stream.token();
        let (start, end) = (token.offset_from, token.offset_to);
        let Some(raw) = text.get(start..end) else {
            continue;
        };
        let field_name = text.get(end..).is_some_and(|rest| rest.starts_with(':'));
        let excluded = text
            .get(..start)
            .is_some_and(|before| before.ends_with('-'));
        if field_name
            || excluded
            || matches!(raw, "AND" | "OR" | "NOT")
            || raw.chars().any(|c| c.is_numeric())
        {
            continue;
        }
        let mut folded = Vec::new();
        analyzer
            .token_stream(raw)
            .process(&mut |token| folded.push(token.text.clone()));
        if let [folded] = folded.as_slice()
            && folded.chars().count() >= SHORTEST_CORRECTED
        {
            words.push(QueryWord {
                start,
                end,
                folded: folded.clone(),
            });
        }
    }
    words
}

/// Where the words of suggestions come from, and the stored texts that show how records spell
/// them.
pub(crate) struct SpellingFields {
    /// The folded, unstemmed words.
    pub words: Field,
    /// Stored texts (titles, main authors) holding most of those words as written.
    pub spelt: Vec<Field>,
}

/// The query `text` with its unknown or rare words replaced by their most common neighbours,
/// as a record spells them, or `None` when no word has a better neighbour.
pub(crate) fn corrected_query(
    searcher: &Searcher,
    fields: &SpellingFields,
    analyzer: &mut TextAnalyzer,
    text: &str,
) -> tantivy::Result<Option<String>> {
    let mut corrected = String::with_capacity(text.len());
    let mut copied_to = 0;
    let mut changed = false;
    for word in correctable_words(text, analyzer) {
        let Some(folded) = better_word(searcher, fields.words, &word.folded)? else {
            continue;
        };
        let replacement = as_written(searcher, fields, analyzer, &folded)?.unwrap_or(folded);
        corrected.push_str(text.get(copied_to..word.start).unwrap_or_default());
        corrected.push_str(&replacement);
        copied_to = word.end;
        changed = true;
    }
    if !changed {
        return Ok(None);
    }
    corrected.push_str(text.get(copied_to..).unwrap_or_default());
    Ok(Some(corrected))
}

/// Live documents [`as_written`] reads for the ways records write a word.
const WRITTEN_FORMS_READ: usize = 16;

/// How records write the folded word `folded` (accents and all, in lower case): of the first
/// [`WRITTEN_FORMS_READ`] live documents holding it, the form most of them give in their stored
/// title or main author (the first found of equally common ones). `None` when none of them
/// holds it there (a word only in subjects or series).
fn as_written(
    searcher: &Searcher,
    fields: &SpellingFields,
    analyzer: &mut TextAnalyzer,
    folded: &str,
) -> tantivy::Result<Option<String>> {
    let term = Term::from_field_text(fields.words, folded);
    // Each form with how many documents write it so, in the order first found.
    let mut forms: Vec<(String, usize)> = Vec::new();
    let mut read = 0;
    'segments: for (ordinal, segment) in searcher.segment_readers().iter().enumerate() {
        let Some(mut postings) = segment
            .inverted_index(fields.words)?
            .read_postings(&term, IndexRecordOption::Basic)?
        else {
            continue;
        };
        let alive = segment.alive_bitset();
        let mut doc = postings.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|alive| alive.is_alive(doc)) {
                let stored: TantivyDocument = searcher.doc(DocAddress::new(ordinal as u32, doc))?;
                if let Some(written) = written_in(&stored, fields, analyzer, folded) {
                    let documents = match forms.iter_mut().find(|(form, _)| *form == written) {
                        Some((_, documents)) => {
                            *documents += 1;
                            *documents
                        }
                        None => {
                            forms.push((written, 1));
                            1
                        }
                    };
                    // More than half of all it would read: no other form can catch up.
                    if documents * 2 > WRITTEN_FORMS_READ {
                        break 'segments;
                    }
                }
                read += 1;
                if read == WRITTEN_FORMS_READ {
                    break 'segments;
                }
            }
            doc = postings.advance();
        }
    }
    let most = forms.iter().map(|(_, documents)| *documents).max();
    Ok(forms
        .into_iter()
        .find(|(_, documents)| Some(*documents) == most)
        .map(|(form, _)| form))
}

/// The first word of the document's stored title or main author that folds to `folded`, in
/// lower case.
fn written_in(
    stored: &TantivyDocument,
    fields: &SpellingFields,
    analyzer: &mut TextAnalyzer,
    folded: &str,
) -> Option<String> {
    for field in &fields.spelt {
        for text in stored.get_all(*field).filter_map(|value| value.as_str()) {
            let mut words = WordTokenizer::whole_words();
            let mut stream = words.token_stream(text);
            while stream.advance() {
                let token = stream.token();
                let written = text
                    .get(token.offset_from..token.offset_to)
                    .unwrap_or_default();
                let mut same = false;
                analyzer
                    .token_stream(written)
                    .process(&mut |folded_token| same |= folded_token.text == folded);
                if same {
                    return Some(written.to_lowercase());
                }
            }
        }
    }
    None
}

/// In how many documents of every segment `word` is a term of `field` (deleted documents
/// included: they are few, and this only ranks words).
fn documents_with(searcher: &Searcher, field: Field, word: &str) -> tantivy::Result<u64> {
    let mut count = 0;
    for segment in searcher.segment_readers() {
        if let Some(info) = segment
            .inverted_index(field)?
            .terms()
            .get(word.as_bytes())?
        {
            count += u64::from(info.doc_freq);
        }
    }
    Ok(count)
}

/// The most common word of `field` within reach of `word` that is [`MORE_COMMON`] times as
/// common as `word` (or at all, for a word the catalogue does not hold), for a word in at most
/// [`RARE_UP_TO`] documents. One edit first; two
/// for long words when one finds nothing. Ties go to the word that sorts first.
fn better_word(searcher: &Searcher, field: Field, word: &str) -> tantivy::Result<Option<String>> {
    let known = documents_with(searcher, field, word)?;
    if known > RARE_UP_TO {
        return Ok(None);
    }
    let needed = known.saturating_mul(MORE_COMMON).max(1);
    let mut distances = vec![1];
    if word.chars().count() >= TWO_EDITS_FROM {
        distances.push(2);
    }
    for distance in distances {
        let mut neighbours: BTreeMap<String, u64> = BTreeMap::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut terms = inverted
                .terms()
                .search(Automaton(builder(distance).build_dfa(word)))
                .into_stream()?;
            while terms.advance() {
                let Ok(text) = std::str::from_utf8(terms.key()) else {
                    continue;
                };
                if text != word {
                    *neighbours.entry(text.to_owned()).or_default() +=
                        u64::from(terms.value().doc_freq);
                }
            }
        }
        // The map is in text order, so the first of equally common words wins.
        let best = neighbours
            .into_iter()
            .fold(None::<(String, u64)>, |best, (text, count)| match best {
                Some((_, most)) if most >= count => best,
                _ => Some((text, count)),
            });
        if let Some((text, count)) = best
            && count >= needed
        {
            return Ok(Some(text));
        }
    }
    Ok(None)
}

/// The automaton builder for `distance` edits, with a swap of neighbouring letters as one edit.
/// Building one takes milliseconds, so each is built once.
fn builder(distance: u8) -> &'static LevenshteinAutomatonBuilder {
    static ONE: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    static TWO: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    let cell = if distance <= 1 { &ONE } else { &TWO };
    cell.get_or_init(|| LevenshteinAutomatonBuilder::new(distance.min(2), true))
}

/// A Levenshtein automaton as the term dictionary walks it, byte by byte.
struct Automaton(DFA);

impl tantivy_fst::Automaton for Automaton {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != levenshtein_automata::SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_field_names_exclusions_numbers_and_short_words_are_left_alone() {
        let text = "title:Hary AND Pottre -wizzard 1984 cat Ümlaut OR \"chamber\"";
        let mut analyzer = crate::index::folded_analyzer();
        let words: Vec<(&str, String)> = correctable_words(text, &mut analyzer)
            .into_iter()
            .map(|word| (text.get(word.start..word.end).unwrap(), word.folded))
            .collect();
        assert_eq!(
            words,
            [
                ("Hary", "hary".to_owned()),
                ("Pottre", "pottre".to_owned()),
                ("Ümlaut", "umlaut".to_owned()),
                ("chamber", "chamber".to_owned()),
            ]
        );
    }
}
