//! Exact facet counting by term ordinals, with the ordinal maps built once per index generation
//! and every document's ordinals decoded once per segment.
//!
//! Each segment stores a facet field as a sorted dictionary of values and, per document, the
//! ordinals of its values. Counting increments an array indexed by ordinal; only the few values
//! that make the top of a facet are ever turned back into text. To add up counts from several
//! segments, whose ordinals differ, each segment's ordinals are mapped to *global* ordinals
//! (positions in the sorted union of all segments' values), so ties between equal counts still
//! break by value without looking values up.
//!
//! Reading a document's ordinals from tantivy's columns goes through an optional or
//! multi-valued index and bit-unpacking for every value, which was most of a broad search's
//! time. So each segment's ordinals are decoded once into plain arrays of the smallest integer
//! type that holds them ([`DenseColumn`]: one byte a document for format, language or decade),
//! cached by segment id, as a segment never changes once written. A multi-valued facet gets a
//! fixed number of slots per document, side by side ([`Slotted`]: four `u16` for subjects, three
//! `u16` for holding members with their copies), chosen per segment so that nearly every
//! document's values fit;
//! the few documents with more keep the rest in a sorted overflow list. Counting then reads one
//! place per document, where a start, an end and the values elsewhere cost two dependent cache
//! misses; it adds to the counts without branching on the values, so that a mispredicted branch
//! does not throw away the memory reads already under way for the next documents.
//!
//! **Invariant:** a document's ordinals are exactly the slots of its row that are neither
//! "no value" nor "overflow", followed, when its last slot is "overflow", by its entry in the
//! overflow; both reserved values lie past the segment's ordinals, and every counts array has one
//! spare count past them, where they are added and which is never reported.
//!
//! Holdings facets are counted from columns of `VIEWER:VALUE:COPIES` (see [`crate::index`]); for
//! them the map goes from a segment ordinal to the visible value in one view (or to nothing
//! when the viewer may not see it), and a value counts once per document even when `*:A:2`
//! and `A:A:1` both occur in it. Each segment ordinal also has its number of copies, so the
//! copies of a value are its ordinals' counts times their copies, added up once the matches
//! are counted: counting copies costs a search nothing per match in the consortium's view, and
//! one more addition per value in a member's, where a document's duplicates are skipped for
//! the count of bibs but not for the copies.
//!
//! **Invariant:** the maps and arrays depend only on the segments' dictionaries and documents,
//! which never change once a segment is written. The maps belong to one index generation (one
//! list of segments) and are built before that generation is searched (see
//! [`crate::index::SearchIndex::reload`]); the arrays are kept per segment for as long as the
//! segment is searched.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Cardinality, StrColumn, Streamer};
use tantivy::{DocId, Score, Searcher, SegmentReader};

use crate::index::{EVERYONE, parse_copies};
use crate::searcher::{FacetCount, FacetField};
use crate::segment_cache::SegmentCache;

/// A segment ordinal that maps to no value (a holdings value the viewer may not see).
const HIDDEN: u32 = u32::MAX;

/// The values of one facet across every segment of a searcher, for one view.
pub(crate) struct FacetOrdinals {
    /// Per segment (in the searcher's order): segment ordinal → global ordinal or [`HIDDEN`].
    segment_maps: Vec<Arc<[u32]>>,
    /// For holdings facets, per segment: segment ordinal → the copies its term stands for
    /// (0 for hidden ones). Empty for the others, which count bibs only.
    segment_copies: Vec<Arc<[u32]>>,
    /// Per segment (in the searcher's order): every document's segment ordinals.
    dense_columns: Vec<Option<Arc<DenseColumn>>>,
    /// Per global ordinal, where to read its value.
    values: GlobalValues,
    /// Whether several segment ordinals of one document can map to the same global ordinal, so
    /// that a document must count each global ordinal once.
    deduplicate: bool,
}

enum GlobalValues {
    /// Plain facets: the segment and segment ordinal of the first occurrence; read from the
    /// dictionary only for the values that are returned.
    InDictionary {
        columns: Vec<Option<StrColumn>>,
        first_occurrence: Vec<(u32, u64)>,
    },
    /// Holdings facets in one view: the (few) visible values, sorted.
    Owned(Vec<String>),
}

impl FacetOrdinals {
    /// How many distinct values the facet has across the searcher's segments.
    fn global_count(&self) -> usize {
        match &self.values {
            GlobalValues::Owned(values) => values.len(),
            GlobalValues::InDictionary {
                first_occurrence, ..
            } => first_occurrence.len(),
        }
    }

    fn value(&self, global: u32) -> Option<String> {
        match &self.values {
            GlobalValues::Owned(values) => values.get(global as usize).cloned(),
            GlobalValues::InDictionary {
                columns,
                first_occurrence,
            } => {
                let (segment, ordinal) = *first_occurrence.get(global as usize)?;
                let column = columns.get(segment as usize)?.as_ref()?;
                let mut text = String::new();
                column
                    .ord_to_str(ordinal, &mut text)
                    .ok()
                    .filter(|found| *found)
                    .map(|_| text)
            }
        }
    }
}

/// Which maps a cache holds: a facet, and the view for facets that depend on it.
pub(crate) type CacheKey = (FacetField, Option<String>);

/// The ordinal maps of one index generation (one searcher), built per facet and view.
#[derive(Default)]
pub(crate) struct FacetOrdinalCache {
    maps: Mutex<HashMap<CacheKey, Arc<FacetOrdinals>>>,
}

impl FacetOrdinalCache {
    /// The maps of `facet` for `view` over the segments of `searcher` (which must be the
    /// searcher of this cache's generation), built if needed.
    pub(crate) fn get(
        &self,
        searcher: &Searcher,
        dense_columns: &DenseColumnCache,
        facet: FacetField,
        view: Option<&str>,
    ) -> tantivy::Result<Arc<FacetOrdinals>> {
        let key: CacheKey = (
            facet,
            view.filter(|_| facet.depends_on_view()).map(str::to_owned),
        );
        if let Some(found) = self
            .maps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(Arc::clone(found));
        }
        // Built outside the lock: two searches may build the same map once, which is harmless.
        let built = Arc::new(build_ordinals(
            searcher,
            dense_columns,
            facet,
            key.1.as_deref(),
        )?);
        self.maps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, Arc::clone(&built));
        Ok(built)
    }

    /// The facets and views whose maps have been built.
    pub(crate) fn keys(&self) -> Vec<CacheKey> {
        self.maps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    /// A cache for a new searcher over the very same segments (only deletions differ): the
    /// maps depend on the segments' dictionaries alone, so they carry over.
    pub(crate) fn carried_over(&self) -> FacetOrdinalCache {
        FacetOrdinalCache {
            maps: Mutex::new(
                self.maps
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone(),
            ),
        }
    }
}

/// The decoded ordinals of every segment still searched, by segment and facet field.
pub(crate) type DenseColumnCache = SegmentCache<FacetField, DenseColumn>;

/// The bytes the decoded arrays in `cache` take.
pub(crate) fn dense_column_bytes(cache: &DenseColumnCache) -> usize {
    cache.total(DenseColumn::heap_bytes)
}

/// Ordinals in the smallest unsigned type that holds every ordinal of the segment plus the
/// type's two largest values, which stand for "no value" ([`Ordinal::NONE`]) and "more values in
/// the overflow" ([`Ordinal::OVERFLOW`]).
pub(crate) enum Packed {
    Narrow(Box<[u8]>),
    Medium(Box<[u16]>),
    Wide(Box<[u32]>),
}

/// Which unsigned type holds a segment's ordinals.
enum Width {
    Narrow,
    Medium,
    Wide,
}

impl Width {
    /// The type for a segment with `num_terms` values, keeping the type's two largest values
    /// free for [`Ordinal::NONE`] and [`Ordinal::OVERFLOW`].
    fn for_terms(num_terms: usize) -> Width {
        if num_terms < usize::from(u8::MAX - 1) {
            Width::Narrow
        } else if num_terms < usize::from(u16::MAX - 1) {
            Width::Medium
        } else {
            Width::Wide
        }
    }

    /// The bytes of one ordinal.
    fn bytes(&self) -> u64 {
        match self {
            Width::Narrow => 1,
            Width::Medium => 2,
            Width::Wide => 4,
        }
    }
}

impl Packed {
    /// `ordinals` with `u32::MAX` for "no value"; `num_terms` is the segment's number of values.
    fn pack(ordinals: &[u32], num_terms: usize) -> Packed {
        match Width::for_terms(num_terms) {
            Width::Narrow => Packed::Narrow(narrow(ordinals)),
            Width::Medium => Packed::Medium(narrow(ordinals)),
            Width::Wide => Packed::Wide(narrow(ordinals)),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Packed::Narrow(values) => size_of_val::<[u8]>(values),
            Packed::Medium(values) => size_of_val::<[u16]>(values),
            Packed::Wide(values) => size_of_val::<[u32]>(values),
        }
    }
}

fn narrow<T: Ordinal>(ordinals: &[u32]) -> Box<[T]> {
    ordinals.iter().map(|ordinal| T::narrow(*ordinal)).collect()
}

/// An ordinal as stored in the decoded arrays.
pub(crate) trait Ordinal: Copy + Eq {
    /// No value (an empty slot, or a document without the field).
    const NONE: Self;
    /// The last slot of a document with more values than slots: the rest are in the overflow.
    const OVERFLOW: Self;
    /// `ordinal` (below the type's two reserved values) or `u32::MAX` for [`Ordinal::NONE`].
    fn narrow(ordinal: u32) -> Self;
    fn index(self) -> usize;
}

impl Ordinal for u8 {
    const NONE: u8 = u8::MAX;
    const OVERFLOW: u8 = u8::MAX - 1;
    fn narrow(ordinal: u32) -> u8 {
        u8::try_from(ordinal).unwrap_or(u8::MAX)
    }
    fn index(self) -> usize {
        usize::from(self)
    }
}

impl Ordinal for u16 {
    const NONE: u16 = u16::MAX;
    const OVERFLOW: u16 = u16::MAX - 1;
    fn narrow(ordinal: u32) -> u16 {
        u16::try_from(ordinal).unwrap_or(u16::MAX)
    }
    fn index(self) -> usize {
        usize::from(self)
    }
}

impl Ordinal for u32 {
    const NONE: u32 = u32::MAX;
    const OVERFLOW: u32 = u32::MAX - 1;
    fn narrow(ordinal: u32) -> u32 {
        ordinal
    }
    fn index(self) -> usize {
        self as usize
    }
}

/// Every document's ordinals of a multi-valued facet in one segment, in fixed-width slots.
///
/// Document `d` owns `slots[d * slots_per_doc..(d + 1) * slots_per_doc]`, so counting reads one
/// contiguous place per document instead of a start, an end and then the values elsewhere
/// (two dependent cache misses on a broad search). A document with at most `slots_per_doc`
/// values keeps them all there, padded with [`Ordinal::NONE`]; a document with more keeps its
/// first `slots_per_doc - 1` values there, [`Ordinal::OVERFLOW`] in its last slot, and the rest
/// in `overflow`.
///
/// **Invariant:** a document's last slot is [`Ordinal::OVERFLOW`] exactly when the document is
/// in `overflow.docs`; `overflow.docs` is strictly increasing; a document's values (slots then
/// overflow) are its ordinals in the column's order.
pub(crate) struct Slotted<T> {
    slots_per_doc: usize,
    slots: Box<[T]>,
    overflow: Overflow<T>,
}

/// The values that did not fit in their document's slots.
struct Overflow<T> {
    /// The documents with more values than slots, increasing.
    docs: Box<[DocId]>,
    /// The extra values of `docs[i]` are `values[starts[i]..starts[i + 1]]`.
    starts: Box<[u32]>,
    values: Box<[T]>,
}

/// The most slots a document gets: past this, a few documents with many values (subjects run to
/// dozens) would make every document's slots wide.
const MAX_SLOTS_PER_DOC: usize = 8;

/// What a document whose values overflow its slots costs a search that counts it, in bytes of
/// slots: a look-up in another array, at least one more cache line than its row.
const OVERFLOW_COST_BYTES: u64 = 64;

/// The number of slots per document that costs a search least, given how many documents have
/// each number of values (`documents_with[n]`; the last place for more than
/// [`MAX_SLOTS_PER_DOC`]) and the bytes of one slot: every slot is read for every matching
/// document, and every document with more values than slots costs a look-up in the overflow
/// ([`OVERFLOW_COST_BYTES`]). So a narrow column gives a second slot to the 5% of bibs in two
/// languages, while a wide one leaves a few bibs with many subjects to the overflow. The fewest
/// slots of those that cost the same.
fn slots_per_doc(documents_with: &[u64], slot_bytes: u64) -> usize {
    let documents: u64 = documents_with.iter().sum();
    let mut best = (u64::MAX, 1);
    for slots in 1..=MAX_SLOTS_PER_DOC {
        let overflowing: u64 = documents_with.iter().skip(slots + 1).sum();
        let cost = documents * slots as u64 * slot_bytes + overflowing * OVERFLOW_COST_BYTES;
        if cost < best.0 {
            best = (cost, slots);
        }
    }
    best.1
}

impl<T: Ordinal> Slotted<T> {
    /// Lays out the ordinals of document `d`, `values[starts[d]..starts[d + 1]]`, in
    /// `slots_per_doc` slots each (at least one).
    fn build(starts: &[u32], values: &[u32], slots_per_doc: usize) -> Slotted<T> {
        let slots_per_doc = slots_per_doc.max(1);
        let documents = starts.len().saturating_sub(1);
        let mut slots = Vec::with_capacity(documents * slots_per_doc);
        let mut overflow_docs = Vec::new();
        let mut overflow_starts = vec![0];
        let mut overflow_values = Vec::new();
        for (doc, bounds) in starts.windows(2).enumerate() {
            let ordinals = match bounds {
                [start, end] => values.get(*start as usize..*end as usize).unwrap_or(&[]),
                _ => &[],
            };
            if ordinals.len() <= slots_per_doc {
                slots.extend(ordinals.iter().map(|ordinal| T::narrow(*ordinal)));
                slots.extend((ordinals.len()..slots_per_doc).map(|_| T::NONE));
            } else {
                let (inline, rest) = ordinals.split_at(slots_per_doc - 1);
                slots.extend(inline.iter().map(|ordinal| T::narrow(*ordinal)));
                slots.push(T::OVERFLOW);
                overflow_docs.push(DocId::try_from(doc).unwrap_or(DocId::MAX));
                overflow_values.extend(rest.iter().map(|ordinal| T::narrow(*ordinal)));
                overflow_starts.push(u32::try_from(overflow_values.len()).unwrap_or(u32::MAX));
            }
        }
        Slotted {
            slots_per_doc,
            slots: slots.into_boxed_slice(),
            overflow: Overflow {
                docs: overflow_docs.into_boxed_slice(),
                starts: overflow_starts.into_boxed_slice(),
                values: overflow_values.into_boxed_slice(),
            },
        }
    }

    fn heap_bytes(&self) -> usize {
        size_of_val::<[T]>(&self.slots)
            + size_of_val::<[DocId]>(&self.overflow.docs)
            + size_of_val::<[u32]>(&self.overflow.starts)
            + size_of_val::<[T]>(&self.overflow.values)
    }
}

impl<T> Overflow<T> {
    /// The extra values of `doc`, which must be in `docs`. `cursor` is where the previous
    /// look-up of this counter ended: documents of a range arrive in increasing order, so the
    /// next one is searched forward from there, in steps that double, and the whole list is
    /// searched only when a document comes before the cursor.
    fn values_of(&self, doc: DocId, cursor: &mut usize) -> &[T] {
        let docs = &self.docs;
        let from = if cursor
            .checked_sub(1)
            .and_then(|before| docs.get(before))
            .is_some_and(|before| *before >= doc)
        {
            0
        } else {
            *cursor
        };
        let mut step = 1;
        while docs.get(from + step).is_some_and(|found| *found < doc) {
            step *= 2;
        }
        let window = docs
            .get(from..(from + step + 1).min(docs.len()))
            .unwrap_or(&[]);
        let position = from + window.partition_point(|found| *found < doc);
        *cursor = position;
        if docs.get(position) != Some(&doc) {
            return &[];
        }
        let start = self.starts.get(position).copied().unwrap_or(0) as usize;
        let end = self.starts.get(position + 1).copied().unwrap_or(0) as usize;
        self.values.get(start..end).unwrap_or(&[])
    }
}

/// Every document's ordinals of one facet in one segment.
pub(crate) enum DenseColumn {
    /// At most one value per document: the ordinal at the document's position, or
    /// [`Ordinal::NONE`].
    Single(Packed),
    /// Several values per document, in slots (see [`Slotted`]).
    Multiple(SlottedColumn),
}

/// A [`Slotted`] column in the smallest type that holds the segment's ordinals.
pub(crate) enum SlottedColumn {
    Narrow(Slotted<u8>),
    Medium(Slotted<u16>),
    Wide(Slotted<u32>),
}

/// How many documents to decode per batched column read.
const DECODE_BLOCK: u32 = 1024;

impl DenseColumn {
    fn decode(column: &StrColumn, max_doc: u32) -> DenseColumn {
        let ordinals = column.ords();
        let num_terms = column.num_terms();
        let as_u32 = |ordinal: u64| u32::try_from(ordinal).unwrap_or(u32::MAX);
        if ordinals.get_cardinality() != Cardinality::Multivalued {
            let mut values = Vec::with_capacity(max_doc as usize);
            let mut docs: Vec<DocId> = Vec::with_capacity(DECODE_BLOCK as usize);
            let mut block: Vec<Option<u64>> = Vec::with_capacity(DECODE_BLOCK as usize);
            let mut start = 0;
            while start < max_doc {
                let end = start.saturating_add(DECODE_BLOCK).min(max_doc);
                docs.clear();
                docs.extend(start..end);
                block.clear();
                block.resize(docs.len(), None);
                ordinals.first_vals(&docs, &mut block);
                values.extend(block.iter().map(|value| value.map_or(u32::MAX, as_u32)));
                start = end;
            }
            return DenseColumn::Single(Packed::pack(&values, num_terms));
        }
        let mut starts = Vec::with_capacity(max_doc as usize + 1);
        let mut values = Vec::new();
        starts.push(0);
        for doc in 0..max_doc {
            values.extend(ordinals.values_for_doc(doc).map(as_u32));
            starts.push(u32::try_from(values.len()).unwrap_or(u32::MAX));
        }
        DenseColumn::multiple(&starts, &values, num_terms)
    }

    /// The slotted layout of document `d`'s ordinals `values[starts[d]..starts[d + 1]]`, with
    /// as many slots as [`slots_per_doc`] finds for them.
    fn multiple(starts: &[u32], values: &[u32], num_terms: usize) -> DenseColumn {
        let mut documents_with = vec![0u64; MAX_SLOTS_PER_DOC + 2];
        for bounds in starts.windows(2) {
            if let [start, end] = bounds {
                let values = end.saturating_sub(*start) as usize;
                if let Some(count) = documents_with.get_mut(values.min(MAX_SLOTS_PER_DOC + 1)) {
                    *count += 1;
                }
            }
        }
        let slot_bytes = Width::for_terms(num_terms).bytes();
        let slots = slots_per_doc(&documents_with, slot_bytes);
        DenseColumn::with_slots(starts, values, num_terms, slots)
    }

    fn with_slots(
        starts: &[u32],
        values: &[u32],
        num_terms: usize,
        slots_per_doc: usize,
    ) -> DenseColumn {
        DenseColumn::Multiple(match Width::for_terms(num_terms) {
            Width::Narrow => SlottedColumn::Narrow(Slotted::build(starts, values, slots_per_doc)),
            Width::Medium => SlottedColumn::Medium(Slotted::build(starts, values, slots_per_doc)),
            Width::Wide => SlottedColumn::Wide(Slotted::build(starts, values, slots_per_doc)),
        })
    }

    fn heap_bytes(&self) -> usize {
        match self {
            DenseColumn::Single(values) => values.heap_bytes(),
            DenseColumn::Multiple(SlottedColumn::Narrow(slotted)) => slotted.heap_bytes(),
            DenseColumn::Multiple(SlottedColumn::Medium(slotted)) => slotted.heap_bytes(),
            DenseColumn::Multiple(SlottedColumn::Wide(slotted)) => slotted.heap_bytes(),
        }
    }
}

fn build_ordinals(
    searcher: &Searcher,
    dense_columns: &DenseColumnCache,
    facet: FacetField,
    view: Option<&str>,
) -> tantivy::Result<FacetOrdinals> {
    let columns: Vec<Option<StrColumn>> = searcher
        .segment_readers()
        .iter()
        .map(|segment| segment.fast_fields().str(facet.counted_field_name()))
        .collect::<tantivy::Result<_>>()?;
    let dense: Vec<Option<Arc<DenseColumn>>> = searcher
        .segment_readers()
        .iter()
        .zip(&columns)
        .map(|(segment, column)| {
            column.as_ref().map(|column| {
                dense_columns.get_or_build(segment.segment_id(), facet, || {
                    DenseColumn::decode(column, segment.max_doc())
                })
            })
        })
        .collect();
    let mut segment_maps: Vec<Vec<u32>> = columns
        .iter()
        .map(|column| vec![HIDDEN; column.as_ref().map_or(0, |column| column.num_terms())])
        .collect();
    let mut set = |segment: u32, ordinal: u64, global: u32| {
        if let Some(slot) = segment_maps
            .get_mut(segment as usize)
            .and_then(|map| map.get_mut(ordinal as usize))
        {
            *slot = global;
        }
    };

    let mut segment_copies: Vec<Vec<u32>> = Vec::new();
    let (values, deduplicate) = if facet.depends_on_view() {
        // The values this viewer may see, sorted, each term's place among them and its copies.
        let visible = |term: &[u8]| -> Option<(String, u32)> {
            let term = std::str::from_utf8(term).ok()?;
            let (viewer, value_copies) = term.split_once(':')?;
            let (value, copies) = parse_copies(value_copies)?;
            (viewer == EVERYONE || view == Some(viewer)).then(|| (value.to_owned(), copies))
        };
        segment_copies = columns
            .iter()
            .map(|column| vec![0; column.as_ref().map_or(0, |column| column.num_terms())])
            .collect();
        // The visible terms (a few per member or branch and number of copies), in value order.
        let mut occurrences: Vec<(String, u32, u64)> = Vec::new();
        merge_dictionaries(&columns, |term, segment, ordinal| {
            if let Some((value, copies)) = visible(term) {
                if let Some(slot) = segment_copies
                    .get_mut(segment as usize)
                    .and_then(|copies| copies.get_mut(ordinal as usize))
                {
                    *slot = copies;
                }
                occurrences.push((value, segment, ordinal));
            }
        })?;
        let values: Vec<String> = occurrences
            .iter()
            .map(|(value, _, _)| value.clone())
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        let position: BTreeMap<&str, u32> = values
            .iter()
            .enumerate()
            .map(|(index, value)| (value.as_str(), index as u32))
            .collect();
        for (value, segment, ordinal) in &occurrences {
            if let Some(global) = position.get(value.as_str()) {
                set(*segment, *ordinal, *global);
            }
        }
        // In the consortium view only `*:VALUE:COPIES` terms are visible, one per value, so no
        // document can count a value twice; a member's view sees `*:A:2` and `A:A:1` as one.
        (GlobalValues::Owned(values), view.is_some())
    } else {
        let mut first_occurrence: Vec<(u32, u64)> = Vec::new();
        // The value last given a global ordinal, in a buffer reused for every value.
        let mut previous: Vec<u8> = Vec::new();
        merge_dictionaries(&columns, |term, segment, ordinal| {
            if first_occurrence.is_empty() || previous.as_slice() != term {
                first_occurrence.push((segment, ordinal));
                previous.clear();
                previous.extend_from_slice(term);
            }
            set(segment, ordinal, first_occurrence.len() as u32 - 1);
        })?;
        (
            GlobalValues::InDictionary {
                columns,
                first_occurrence,
            },
            false,
        )
    };
    Ok(FacetOrdinals {
        segment_maps: segment_maps.into_iter().map(Arc::from).collect(),
        segment_copies: segment_copies.into_iter().map(Arc::from).collect(),
        dense_columns: dense,
        values,
        deduplicate,
    })
}

/// Calls `each(value, segment, segment ordinal)` for every term of every segment's dictionary,
/// in value order (a value in several segments once per segment): a merge of the dictionaries,
/// each already sorted, through a heap of their current terms. Sorting all the terms instead
/// copied each and took 160 ms at a reload of a million distinct author names.
fn merge_dictionaries(
    columns: &[Option<StrColumn>],
    mut each: impl FnMut(&[u8], u32, u64),
) -> tantivy::Result<()> {
    let mut streams = Vec::with_capacity(columns.len());
    for (segment, column) in columns.iter().enumerate() {
        if let Some(column) = column {
            let mut stream = column.dictionary().stream()?;
            if stream.advance() {
                streams.push((segment as u32, stream));
            }
        }
    }
    // A binary min-heap of stream positions by current term, ties by segment.
    let less = |streams: &[(u32, Streamer<'_>)], a: usize, b: usize| match (
        streams.get(a),
        streams.get(b),
    ) {
        (Some((segment_a, a)), Some((segment_b, b))) => {
            (a.key(), *segment_a) < (b.key(), *segment_b)
        }
        _ => false,
    };
    let mut heap: Vec<usize> = (0..streams.len()).collect();
    let sift_down = |streams: &[(u32, Streamer<'_>)], heap: &mut Vec<usize>, mut at: usize| loop {
        let (left, right) = (2 * at + 1, 2 * at + 2);
        let mut smallest = at;
        for child in [left, right] {
            if let (Some(&c), Some(&s)) = (heap.get(child), heap.get(smallest))
                && less(streams, c, s)
            {
                smallest = child;
            }
        }
        if smallest == at {
            return;
        }
        heap.swap(at, smallest);
        at = smallest;
    };
    for at in (0..heap.len() / 2).rev() {
        sift_down(&streams, &mut heap, at);
    }
    while let Some(&top) = heap.first() {
        let Some((segment, stream)) = streams.get_mut(top) else {
            break;
        };
        each(stream.key(), *segment, stream.term_ord());
        if !stream.advance() {
            let last = heap.len() - 1;
            heap.swap(0, last);
            heap.pop();
        }
        sift_down(&streams, &mut heap, 0);
    }
    Ok(())
}

/// Counts the requested facets over every matching document (no scores needed).
#[derive(Clone)]
pub(crate) struct FacetCounter {
    pub facets: Vec<(FacetField, Arc<FacetOrdinals>)>,
}

/// Per facet, the non-zero counts by global ordinal.
pub(crate) type FacetFruit = Vec<FacetTally>;

/// One facet's non-zero counts by global ordinal (a global ordinal may occur more than once;
/// its counts add up): of bibs, and for holdings facets of copies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FacetTally {
    pub titles: Vec<(u32, u64)>,
    /// Empty for the facets that count bibs only.
    pub copies: Vec<(u32, u64)>,
}

pub(crate) struct FacetSegmentCounter {
    facets: Vec<SegmentFacet>,
    /// Documents passed one at a time (with a score), counted in blocks.
    pending: Vec<DocId>,
}

/// How many documents to gather before counting them as a block. Counting facet by facet, a
/// longer block reads each column in a longer run, which the processor's prefetching follows
/// better (512 made counting five facets about 15% cheaper than 64 on a 4M-bib index).
pub(crate) const BLOCK: usize = 512;

struct SegmentFacet {
    column: Option<Arc<DenseColumn>>,
    map: Arc<[u32]>,
    /// Copies by segment ordinal; empty when the facet counts bibs only.
    copies: Arc<[u32]>,
    deduplicate: bool,
    /// Counts by segment ordinal.
    counts: Vec<u32>,
    /// When `deduplicate` and copies are counted: counts by segment ordinal of every visible
    /// occurrence, duplicates included, which the copies follow. Empty otherwise.
    occurrences: Vec<u32>,
    /// Where the last look-up in the column's overflow ended (see [`Overflow::values_of`]).
    overflow_cursor: usize,
}

impl Collector for FacetCounter {
    type Fruit = FacetFruit;
    type Child = FacetSegmentCounter;

    fn for_segment(
        &self,
        segment_ordinal: u32,
        _segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCounter> {
        let facets = self
            .facets
            .iter()
            .map(|(_, ordinals)| {
                let map = ordinals
                    .segment_maps
                    .get(segment_ordinal as usize)
                    .cloned()
                    .unwrap_or_else(|| Arc::from(Vec::new()));
                let copies = ordinals
                    .segment_copies
                    .get(segment_ordinal as usize)
                    .cloned()
                    .unwrap_or_else(|| Arc::from(Vec::new()));
                let occurrences = if ordinals.deduplicate && !copies.is_empty() {
                    vec![0; map.len()]
                } else {
                    Vec::new()
                };
                SegmentFacet {
                    column: ordinals
                        .dense_columns
                        .get(segment_ordinal as usize)
                        .cloned()
                        .flatten(),
                    // One more than the segment's values: the spare count of `add_one`.
                    counts: vec![0; map.len() + 1],
                    map,
                    copies,
                    deduplicate: ordinals.deduplicate,
                    occurrences,
                    overflow_cursor: 0,
                }
            })
            .collect();
        Ok(FacetSegmentCounter {
            facets,
            pending: Vec::with_capacity(BLOCK),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segment_fruits: Vec<FacetFruit>) -> tantivy::Result<FacetFruit> {
        // Per facet, every part's tally.
        let mut by_facet: Vec<Vec<FacetTally>> = vec![Vec::new(); self.facets.len()];
        for fruit in segment_fruits {
            for (parts, tally) in by_facet.iter_mut().zip(fruit) {
                parts.push(tally);
            }
        }
        Ok(by_facet
            .into_iter()
            .zip(&self.facets)
            .map(|(parts, (_, ordinals))| {
                let (titles, copies) = parts
                    .into_iter()
                    .map(|tally| (tally.titles, tally.copies))
                    .unzip();
                FacetTally {
                    titles: merge_counts(titles, ordinals.global_count()),
                    copies: merge_counts(copies, ordinals.global_count()),
                }
            })
            .collect())
    }
}

/// Adds one to the count of `ordinal`, or to the spare last count for "no value" and
/// "overflow" (and any ordinal past the segment's values). Counting without a branch on the
/// value matters: a mispredicted branch discards the memory reads of the next documents that
/// were already under way, and waiting for memory is most of the time.
fn add_one<T: Ordinal>(counts: &mut [u32], ordinal: T) {
    let spare = counts.len().saturating_sub(1);
    if let Some(count) = counts.get_mut(ordinal.index().min(spare)) {
        *count += 1;
    }
}

/// Counts single-valued documents.
fn count_single<T: Ordinal>(values: &[T], docs: &[DocId], counts: &mut [u32]) {
    for doc in docs {
        if let Some(ordinal) = values.get(*doc as usize) {
            add_one(counts, *ordinal);
        }
    }
}

/// Counts multi-valued documents (a document's ordinals are distinct, so no deduplication).
fn count_slotted<T: Ordinal>(
    column: &Slotted<T>,
    docs: &[DocId],
    counts: &mut [u32],
    cursor: &mut usize,
) {
    match column.slots_per_doc {
        1 => count_rows::<T, 1>(column, docs, counts, cursor),
        2 => count_rows::<T, 2>(column, docs, counts, cursor),
        3 => count_rows::<T, 3>(column, docs, counts, cursor),
        4 => count_rows::<T, 4>(column, docs, counts, cursor),
        5 => count_rows::<T, 5>(column, docs, counts, cursor),
        6 => count_rows::<T, 6>(column, docs, counts, cursor),
        7 => count_rows::<T, 7>(column, docs, counts, cursor),
        _ => count_rows::<T, 8>(column, docs, counts, cursor),
    }
}

/// [`count_slotted`] with the number of slots known to the compiler, so that a row is one
/// fixed-size read and its slots are counted without a loop.
fn count_rows<T: Ordinal, const SLOTS: usize>(
    column: &Slotted<T>,
    docs: &[DocId],
    counts: &mut [u32],
    cursor: &mut usize,
) {
    let mut rows = [[T::NONE; SLOTS]; BLOCK];
    for block in docs.chunks(BLOCK) {
        // Reading every document's row before counting any lets the processor fetch the whole
        // block's cache lines at once instead of one after another.
        for (row, doc) in rows.iter_mut().zip(block) {
            let start = *doc as usize * SLOTS;
            *row = column
                .slots
                .get(start..start + SLOTS)
                .and_then(|slots| <[T; SLOTS]>::try_from(slots).ok())
                .unwrap_or([T::NONE; SLOTS]);
        }
        for (row, doc) in rows.iter().zip(block) {
            for slot in row {
                add_one(counts, *slot);
            }
            if row.last() == Some(&T::OVERFLOW) {
                for ordinal in column.overflow.values_of(*doc, cursor) {
                    add_one(counts, *ordinal);
                }
            }
        }
    }
}

/// Counts multi-valued documents whose ordinals may share a global value (holdings facets in a
/// member's view): a visible value once per document, hidden ones never.
fn count_slotted_deduplicated<T: Ordinal>(
    column: &Slotted<T>,
    docs: &[DocId],
    counts: &mut [u32],
    occurrences: &mut [u32],
    map: &[u32],
    cursor: &mut usize,
) {
    let width = column.slots_per_doc;
    let global = |ordinal: T| map.get(ordinal.index()).copied().unwrap_or(HIDDEN);
    for doc in docs {
        let start = *doc as usize * width;
        let Some(slots) = column.slots.get(start..start + width) else {
            continue;
        };
        let extra = if slots.last() == Some(&T::OVERFLOW) {
            column.overflow.values_of(*doc, cursor)
        } else {
            &[]
        };
        // NONE and OVERFLOW map to HIDDEN (they are past the end of `map`).
        let ordinals = slots.iter().chain(extra).copied();
        for (position, ordinal) in ordinals.clone().enumerate() {
            // A document has a handful of holdings values, so the scan is short.
            let value = global(ordinal);
            if value == HIDDEN {
                continue;
            }
            // Every visible occurrence, for the copies (nothing when they are not counted).
            if let Some(count) = occurrences.get_mut(ordinal.index()) {
                *count += 1;
            }
            if ordinals
                .clone()
                .take(position)
                .any(|earlier| global(earlier) == value)
            {
                continue;
            }
            if let Some(count) = counts.get_mut(ordinal.index()) {
                *count += 1;
            }
        }
    }
}

impl SegmentFacet {
    fn count_block(&mut self, docs: &[DocId]) {
        let Some(column) = self.column.as_deref() else {
            return;
        };
        let counts = &mut self.counts;
        let occurrences = &mut self.occurrences;
        let cursor = &mut self.overflow_cursor;
        match column {
            // One value per document cannot repeat a value, so no deduplication is needed.
            DenseColumn::Single(Packed::Narrow(values)) => count_single(values, docs, counts),
            DenseColumn::Single(Packed::Medium(values)) => count_single(values, docs, counts),
            DenseColumn::Single(Packed::Wide(values)) => count_single(values, docs, counts),
            DenseColumn::Multiple(slotted) if self.deduplicate => {
                let map = &self.map;
                match slotted {
                    SlottedColumn::Narrow(slotted) => {
                        count_slotted_deduplicated(slotted, docs, counts, occurrences, map, cursor);
                    }
                    SlottedColumn::Medium(slotted) => {
                        count_slotted_deduplicated(slotted, docs, counts, occurrences, map, cursor);
                    }
                    SlottedColumn::Wide(slotted) => {
                        count_slotted_deduplicated(slotted, docs, counts, occurrences, map, cursor);
                    }
                }
            }
            DenseColumn::Multiple(SlottedColumn::Narrow(slotted)) => {
                count_slotted(slotted, docs, counts, cursor);
            }
            DenseColumn::Multiple(SlottedColumn::Medium(slotted)) => {
                count_slotted(slotted, docs, counts, cursor);
            }
            DenseColumn::Multiple(SlottedColumn::Wide(slotted)) => {
                count_slotted(slotted, docs, counts, cursor);
            }
        }
    }

    fn harvest(self) -> FacetTally {
        // Each non-zero count of a visible ordinal, times `weight` of the ordinal.
        let tally = |counts: &[u32], weight: &dyn Fn(usize) -> u64| -> Vec<(u32, u64)> {
            counts
                .iter()
                .enumerate()
                .filter(|(_, count)| **count > 0)
                .filter_map(|(ordinal, count)| {
                    let global = self.map.get(ordinal).copied()?;
                    (global != HIDDEN).then(|| (global, u64::from(*count) * weight(ordinal)))
                })
                .collect()
        };
        let copies = if self.copies.is_empty() {
            Vec::new()
        } else {
            // Deduplicated counts skip a document's second ordinal of a value; its copies
            // count all the same.
            let counts = if self.deduplicate {
                &self.occurrences
            } else {
                &self.counts
            };
            let copies = |ordinal: usize| u64::from(self.copies.get(ordinal).copied().unwrap_or(0));
            tally(counts, &copies)
        };
        FacetTally {
            titles: tally(&self.counts, &|_| 1),
            copies,
        }
    }
}

/// One facet's counts in one segment before they are mapped to the generation's values: the
/// non-zero counts by segment ordinal, and the occurrences a member's view counts copies by
/// (empty when it does not). A segment's ordinals never change, so these stay true for as long
/// as the segment is searched, whatever generations come.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RawTally {
    pub counts: Vec<(u32, u32)>,
    pub occurrences: Vec<(u32, u32)>,
}

impl RawTally {
    pub(crate) fn heap_bytes(&self) -> usize {
        (self.counts.capacity() + self.occurrences.capacity()) * std::mem::size_of::<(u32, u32)>()
    }

    /// The sum of two tallies of the same facet and segment.
    pub(crate) fn plus(&self, other: &RawTally) -> RawTally {
        RawTally {
            counts: added(&self.counts, &other.counts),
            occurrences: added(&self.occurrences, &other.occurrences),
        }
    }
}

/// Two lists of counts by ascending position, added.
fn added(first: &[(u32, u32)], second: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut sum: Vec<(u32, u32)> = first.iter().chain(second).copied().collect();
    sum.sort_unstable_by_key(|(position, _)| *position);
    sum.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            earlier.1 += later.1;
        }
        same
    });
    sum
}

/// The non-zero counts of `counts`, by position.
fn non_zero(counts: &[u32]) -> Vec<(u32, u32)> {
    counts
        .iter()
        .enumerate()
        .filter(|(_, count)| **count > 0)
        .map(|(ordinal, count)| (ordinal as u32, *count))
        .collect()
}

/// Sets `counts` to `base` less `less` (both sparse, by position).
fn load_counts(counts: &mut [u32], base: &[(u32, u32)], less: &[(u32, u32)]) {
    counts.fill(0);
    for (ordinal, count) in base {
        if let Some(slot) = counts.get_mut(*ordinal as usize) {
            *slot += count;
        }
    }
    for (ordinal, count) in less {
        if let Some(slot) = counts.get_mut(*ordinal as usize) {
            *slot = slot.saturating_sub(*count);
        }
    }
}

impl FacetSegmentCounter {
    /// The counts so far, by segment ordinal, facet by facet (see [`RawTally`]).
    pub(crate) fn raw(&mut self) -> Vec<RawTally> {
        let pending = std::mem::take(&mut self.pending);
        self.collect_block(&pending);
        self.facets
            .iter()
            .map(|facet| RawTally {
                counts: non_zero(&facet.counts),
                occurrences: non_zero(&facet.occurrences),
            })
            .collect()
    }

    /// Replaces the counts with `base` less `less`, facet by facet, as [`Self::raw`] gave them
    /// for the same facets of the same segment.
    pub(crate) fn load_raw(&mut self, base: &[RawTally], less: &[RawTally]) {
        self.pending.clear();
        let empty = RawTally::default();
        for (index, facet) in self.facets.iter_mut().enumerate() {
            let base = base.get(index).unwrap_or(&empty);
            let less = less.get(index).unwrap_or(&empty);
            load_counts(&mut facet.counts, &base.counts, &less.counts);
            load_counts(&mut facet.occurrences, &base.occurrences, &less.occurrences);
        }
    }
}

impl SegmentCollector for FacetSegmentCounter {
    type Fruit = FacetFruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.pending.push(doc);
        if self.pending.len() == BLOCK {
            let pending = std::mem::take(&mut self.pending);
            self.collect_block(&pending);
            self.pending = pending;
            self.pending.clear();
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        // Facet by facet keeps one column's data hot in the cache.
        for facet in &mut self.facets {
            facet.count_block(docs);
        }
    }

    fn harvest(mut self) -> FacetFruit {
        let pending = std::mem::take(&mut self.pending);
        self.collect_block(&pending);
        self.facets.into_iter().map(SegmentFacet::harvest).collect()
    }
}
/// Below this many counts in all, merging sorts them; above, it adds them up in an array with
/// a place for every value of the facet.
const SORTED_MERGE_UP_TO: usize = 4096;

/// The counts of one facet from several segments or ranges, each global ordinal once, in
/// ordinal order. A broad search in a catalogue with millions of distinct names can bring a
/// million counts: adding them by hashing cost 150 ms at 1M bibs, an array a few.
fn merge_counts(parts: Vec<Vec<(u32, u64)>>, global_count: usize) -> Vec<(u32, u64)> {
    let total: usize = parts.iter().map(Vec::len).sum();
    // One segment's counts are already merged when its ordinals map to ascending global ones,
    // as plain facets' do (holdings facets may map several to one value).
    if let [only] = parts.as_slice()
        && only
            .windows(2)
            .all(|pair| matches!(pair, [a, b] if a.0 < b.0))
    {
        return parts.into_iter().next().unwrap_or_default();
    }
    if total <= SORTED_MERGE_UP_TO || global_count == 0 {
        let mut all: Vec<(u32, u64)> = parts.into_iter().flatten().collect();
        all.sort_unstable_by_key(|(global, _)| *global);
        let mut merged: Vec<(u32, u64)> = Vec::with_capacity(all.len());
        for (global, count) in all {
            match merged.last_mut() {
                Some((last, sum)) if *last == global => *sum += count,
                _ => merged.push((global, count)),
            }
        }
        return merged;
    }
    let mut sums = vec![0u64; global_count];
    let mut beyond: Vec<(u32, u64)> = Vec::new();
    for (global, count) in parts.into_iter().flatten() {
        match sums.get_mut(global as usize) {
            Some(sum) => *sum += count,
            None => beyond.push((global, count)),
        }
    }
    let mut merged: Vec<(u32, u64)> = sums
        .into_iter()
        .enumerate()
        .filter(|(_, count)| *count > 0)
        .map(|(global, count)| (global as u32, count))
        .collect();
    if !beyond.is_empty() {
        merged.extend(merge_counts(vec![beyond], 0));
    }
    merged
}

/// The top `limit` values of each facet by descending count, ties by value, as text.
pub(crate) fn top_values(
    counter: &FacetCounter,
    fruit: FacetFruit,
    limit: usize,
) -> BTreeMap<FacetField, Vec<FacetCount>> {
    counter
        .facets
        .iter()
        .zip(fruit)
        .map(|((facet, ordinals), tally)| {
            let FacetTally {
                titles: mut counts,
                copies,
            } = tally;
            // The holdings facets count copies; the others bibs only.
            let counts_copies = facet.depends_on_view();
            // Global ordinals follow value order, so sorting by ordinal breaks ties by value.
            let order = |a: &(u32, u64), b: &(u32, u64)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
            if counts.len() > limit {
                counts.select_nth_unstable_by(limit, order);
                counts.truncate(limit);
            }
            counts.sort_unstable_by(order);
            let values = counts
                .into_iter()
                .filter_map(|(global, count)| {
                    // Merged counts are in ordinal order.
                    let copies = counts_copies.then(|| {
                        copies
                            .binary_search_by_key(&global, |(ordinal, _)| *ordinal)
                            .ok()
                            .and_then(|at| copies.get(at))
                            .map_or(0, |(_, copies)| *copies)
                    });
                    ordinals.value(global).map(|value| FacetCount {
                        value,
                        count,
                        copies,
                    })
                })
                .collect();
            (*facet, values)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `documents[d]` are document `d`'s segment ordinals, as tantivy's column gives them.
    fn bounds_and_values(documents: &[Vec<u32>]) -> (Vec<u32>, Vec<u32>) {
        let mut starts = vec![0];
        let mut values = Vec::new();
        for ordinals in documents {
            values.extend(ordinals);
            starts.push(values.len() as u32);
        }
        (starts, values)
    }

    /// Counts by global value: of documents, and of copies.
    type Tallies = (BTreeMap<u32, u64>, BTreeMap<u32, u64>);

    /// The counts by global value of `docs`, taking each document's ordinals straight from
    /// `documents` (hidden values never, a value once per document), and with `copies` (one
    /// number per ordinal, or none) the copies of every visible ordinal of theirs.
    fn reference(documents: &[Vec<u32>], docs: &[DocId], map: &[u32], copies: &[u32]) -> Tallies {
        let mut counts = BTreeMap::new();
        let mut copy_counts = BTreeMap::new();
        for doc in docs {
            let visible = || {
                documents[*doc as usize]
                    .iter()
                    .filter(|ordinal| map[**ordinal as usize] != HIDDEN)
            };
            let values: BTreeSet<u32> = visible().map(|ordinal| map[*ordinal as usize]).collect();
            for value in values {
                *counts.entry(value).or_default() += 1;
            }
            if !copies.is_empty() {
                for ordinal in visible() {
                    *copy_counts.entry(map[*ordinal as usize]).or_default() +=
                        u64::from(copies[*ordinal as usize]);
                }
            }
        }
        (counts, copy_counts)
    }

    /// The counts of `docs` through the counter, fed in uneven blocks (so that a document with
    /// overflow values may be first or last in its block), added up by global value.
    fn counted(
        column: DenseColumn,
        docs: &[DocId],
        map: &[u32],
        deduplicate: bool,
        copies: &[u32],
    ) -> Tallies {
        let mut facet = SegmentFacet {
            column: Some(Arc::new(column)),
            map: Arc::from(map.to_vec()),
            copies: Arc::from(copies.to_vec()),
            deduplicate,
            counts: vec![0; map.len() + 1],
            occurrences: if deduplicate && !copies.is_empty() {
                vec![0; map.len()]
            } else {
                Vec::new()
            },
            overflow_cursor: 0,
        };
        for block in docs.chunks(7) {
            facet.count_block(block);
        }
        let tally = facet.harvest();
        let added_up = |pairs: Vec<(u32, u64)>| {
            let mut counts = BTreeMap::new();
            for (global, count) in pairs {
                *counts.entry(global).or_default() += count;
            }
            counts
        };
        (added_up(tally.titles), added_up(tally.copies))
    }

    /// Documents with no value, one, exactly three, and more than three (up to nine), over
    /// `num_terms` values, deterministically mixed.
    fn mixed_documents(count: u32, num_terms: u32) -> Vec<Vec<u32>> {
        (0..count)
            .map(|doc| {
                let values = [0, 1, 3, 4, 9, 2, 3, 0, 5][doc as usize % 9];
                (0..values)
                    .map(|value| (doc * 7 + value * 13) % num_terms)
                    .collect::<BTreeSet<u32>>()
                    .into_iter()
                    .collect()
            })
            .collect()
    }

    fn check_every_way(documents: &[Vec<u32>], num_terms: usize, map: &[u32], deduplicate: bool) {
        let (starts, values) = bounds_and_values(documents);
        let all: Vec<DocId> = (0..documents.len() as DocId).collect();
        let from_the_middle: Vec<DocId> =
            (documents.len() as DocId / 3..documents.len() as DocId).collect();
        let every_third: Vec<DocId> = all.iter().copied().filter(|doc| doc % 3 == 1).collect();
        // No copies (a plain facet), and a few copies per ordinal (a holdings facet).
        let some_copies: Vec<u32> = (0..num_terms as u32)
            .map(|ordinal| 1 + ordinal % 4)
            .collect();
        for copies in [&[][..], &some_copies] {
            for slots in 1..=MAX_SLOTS_PER_DOC {
                for docs in [&all, &from_the_middle, &every_third] {
                    let column = DenseColumn::with_slots(&starts, &values, num_terms, slots);
                    assert_eq!(
                        counted(column, docs, map, deduplicate, copies),
                        reference(documents, docs, map, copies),
                        "{slots} slots, {num_terms} values, {} copies, documents {docs:?}",
                        copies.len()
                    );
                }
            }
        }
    }

    #[test]
    fn slotted_counts_equal_a_plain_count_for_every_width_and_slot_count() {
        for num_terms in [20, 300, 70_000] {
            let documents = mixed_documents(100, num_terms);
            let map: Vec<u32> = (0..num_terms).collect();
            check_every_way(&documents, num_terms as usize, &map, false);
        }
    }

    #[test]
    fn documents_with_more_values_than_slots_keep_the_rest_in_the_overflow() {
        let documents = vec![vec![], vec![1, 2], vec![0, 1, 2, 3], vec![4], vec![0, 2, 4]];
        let (starts, values) = bounds_and_values(&documents);
        let DenseColumn::Multiple(SlottedColumn::Narrow(slotted)) =
            DenseColumn::with_slots(&starts, &values, 5, 2)
        else {
            panic!("five values need a narrow slotted column");
        };
        let (none, overflow) = (u8::MAX, u8::MAX - 1);
        assert_eq!(
            &*slotted.slots,
            &[none, none, 1, 2, 0, overflow, 4, none, 0, overflow]
        );
        assert_eq!(&*slotted.overflow.docs, &[2, 4]);
        assert_eq!(&*slotted.overflow.values, &[1, 2, 3, 2, 4]);
        // In order, backwards, and past the cursor again.
        let mut cursor = 0;
        assert_eq!(slotted.overflow.values_of(4, &mut cursor), &[2, 4]);
        assert_eq!(slotted.overflow.values_of(2, &mut cursor), &[1, 2, 3]);
        assert_eq!(slotted.overflow.values_of(4, &mut cursor), &[2, 4]);
    }

    #[test]
    fn a_member_view_counts_a_visible_value_once_per_document_and_hidden_ones_never() {
        // Ordinals as in a member's view of holdings: `*:A`, `A:A` (both value A, global 0),
        // `B:B` (hidden), `*:C` (global 1), `*:D`, `D:D` (both value D, global 2).
        let map = [0, 0, HIDDEN, 1, 2, 2];
        let documents: Vec<Vec<u32>> = vec![
            vec![0, 1],
            vec![2],
            vec![],
            vec![0, 1, 2, 3, 4, 5],
            vec![1, 2, 5],
            vec![3],
            vec![0, 2, 3, 4],
            vec![1, 4, 5],
            vec![0, 1, 2, 3, 5],
        ];
        check_every_way(&documents, map.len(), &map, true);
        let (starts, values) = bounds_and_values(&documents);
        let all: Vec<DocId> = (0..documents.len() as DocId).collect();
        let column = DenseColumn::with_slots(&starts, &values, map.len(), 2);
        // `*:A:2`, `A:A:1`, `B:B:5`, `*:C:3`, `*:D:1`, `D:D:4`: A's copies in A's view are
        // those every member sees and those only A sees.
        let copies = [2, 1, 5, 3, 1, 4];
        assert_eq!(
            counted(column, &all, &map, true, &copies),
            (
                BTreeMap::from([(0, 6), (1, 4), (2, 5)]),
                BTreeMap::from([(0, 13), (1, 12), (2, 19)])
            )
        );
    }

    #[test]
    fn slots_cover_most_documents_and_leave_the_long_tail_to_the_overflow() {
        // Subjects of the synthetic catalogue: 95% of bibs have four or fewer; in two bytes
        // each, a fifth slot for 2% more would cost more than their look-ups.
        let subjects = [276, 866, 553, 256, 119, 40, 26, 12, 8, 2, 3];
        assert_eq!(slots_per_doc(&subjects, 2), 4);
        // In four bytes each, three slots and 10% of bibs in the overflow cost least.
        assert_eq!(slots_per_doc(&subjects, 4), 3);
        // Languages: one bib in twenty in two. One byte more each is cheaper than their
        // look-ups; one bib in a hundred is not worth it.
        assert_eq!(slots_per_doc(&[20, 935, 45], 1), 2);
        assert_eq!(slots_per_doc(&[20, 970, 10], 1), 1);
        // Holdings of one to three members: all fit.
        assert_eq!(slots_per_doc(&[0, 731, 737, 705], 1), 3);
        assert_eq!(slots_per_doc(&[10], 2), 1);
        assert_eq!(slots_per_doc(&[], 4), 1);
        // When every document overflows whatever the slots, more slots only add bytes.
        assert_eq!(slots_per_doc(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 100], 1), 1);
    }

    #[test]
    fn decoded_columns_choose_their_slots_from_the_documents() {
        let documents = mixed_documents(90, 40);
        let (starts, values) = bounds_and_values(&documents);
        let DenseColumn::Multiple(SlottedColumn::Narrow(slotted)) =
            DenseColumn::multiple(&starts, &values, 40)
        else {
            panic!("forty values need a narrow slotted column");
        };
        // Of every nine documents one has five values and one nine: five slots each, and the
        // nine-valued ones in the overflow, cost a search least.
        assert_eq!(slotted.slots_per_doc, 5);
        assert_eq!(slotted.overflow.docs.len(), 10);
        let documents = mixed_documents(90, 40)
            .into_iter()
            .map(|mut ordinals| {
                ordinals.truncate(1);
                ordinals
            })
            .collect::<Vec<_>>();
        let (starts, values) = bounds_and_values(&documents);
        let DenseColumn::Multiple(SlottedColumn::Narrow(slotted)) =
            DenseColumn::multiple(&starts, &values, 40)
        else {
            panic!("forty values need a narrow slotted column");
        };
        assert_eq!(slotted.slots_per_doc, 1);
        assert!(slotted.overflow.docs.is_empty());
    }

    #[test]
    fn merged_counts_add_every_part_whatever_their_size_and_order() {
        let reference = |parts: &[Vec<(u32, u64)>]| {
            let mut sums: BTreeMap<u32, u64> = BTreeMap::new();
            for (global, count) in parts.iter().flatten() {
                *sums.entry(*global).or_default() += count;
            }
            sums.into_iter().collect::<Vec<_>>()
        };
        // Deterministic parts: ascending ones (a segment of a plain facet), and unordered ones
        // with repeats (a holdings facet's segment, where several ordinals share a value).
        let part = |seed: u32, len: u32, values: u32, ascending: bool| {
            let mut part: Vec<(u32, u64)> = (0..len)
                .map(|n| ((seed * 31 + n * 7919) % values, u64::from(n % 5 + 1)))
                .collect();
            if ascending {
                part.sort_unstable();
                part.dedup_by_key(|(global, _)| *global);
            }
            part
        };
        for (values, lengths) in [(50, vec![10, 20]), (100_000, vec![3_000, 40_000, 60_000])] {
            for ascending in [true, false] {
                let parts: Vec<Vec<(u32, u64)>> = lengths
                    .iter()
                    .enumerate()
                    .map(|(seed, len)| part(seed as u32, *len, values, ascending))
                    .collect();
                let expected = reference(&parts);
                assert_eq!(
                    merge_counts(parts.clone(), values as usize),
                    expected,
                    "{values} values, ascending {ascending}"
                );
                // One part alone, and counts past the facet's values (never made, but kept).
                let one = parts.first().cloned().unwrap_or_default();
                assert_eq!(
                    merge_counts(vec![one.clone()], values as usize),
                    reference(&[one])
                );
                assert_eq!(
                    merge_counts(parts.clone(), 10),
                    expected,
                    "{values} values counted in a short array"
                );
            }
        }
        assert!(merge_counts(Vec::new(), 10).is_empty());
    }
}
