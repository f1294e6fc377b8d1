//! Which documents a view may see: one bitset per segment and view, built once from the
//! `visible_to` postings and cached by segment id.
//!
//! A search used to intersect its query with the `visible_to` terms (`*` and the viewing
//! member). In the consortium view `*` matches nearly every bib, so a broad query sought its
//! way through a posting list of millions of documents for every match. Testing one bit is far
//! cheaper, and a segment's postings never change once it is written.
//!
//! **Invariant:** a document is in the set of a view exactly when it has one of the view's
//! `visible_to` terms, the condition the query clause expressed; deletions are applied apart,
//! as for any search.

use std::sync::Arc;

use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DocSet, Searcher, SegmentReader, TERMINATED, Term};

use crate::index::EVERYONE;
use crate::segment_cache::SegmentCache;

/// The `visible_to` terms of a view: everyone's, and the member's own.
pub(crate) fn viewers(view: Option<&str>) -> Vec<String> {
    std::iter::once(EVERYONE)
        .chain(view)
        .map(str::to_owned)
        .collect()
}

/// The visible documents of every segment still searched, by segment and view (`None` for the
/// consortium view).
#[derive(Default)]
pub(crate) struct VisibilityCache {
    sets: SegmentCache<Option<String>, BitSet>,
}

impl VisibilityCache {
    /// Per segment of `searcher` (in its order), the documents `view` may see.
    pub(crate) fn segment_sets(
        &self,
        searcher: &Searcher,
        field: Field,
        view: Option<&str>,
    ) -> tantivy::Result<Vec<Arc<BitSet>>> {
        searcher
            .segment_readers()
            .iter()
            .map(|segment| {
                // A member that keeps nothing back in this segment sees what everyone sees: it
                // shares the consortium's set rather than keeping a copy (most members hide
                // nothing, and a set is 500 KB per 4M bibs).
                let view = match view {
                    Some(member) if keeps_nothing_back(segment, field, member)? => None,
                    other => other,
                };
                self.sets
                    .get_or_try_build(segment.segment_id(), view.map(str::to_owned), || {
                        visible_documents(segment, field, &viewers(view))
                    })
            })
            .collect()
    }

    /// Forgets the segments that `searcher` no longer has.
    pub(crate) fn retain_segments_of(&self, searcher: &Searcher) {
        self.sets.retain_segments_of(searcher);
    }

    /// The bytes the sets take.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.sets
            .total(|set| (set.max_value() as usize).div_ceil(8))
    }
}

/// Whether no document of the segment is visible to `member` alone.
fn keeps_nothing_back(
    segment: &SegmentReader,
    field: Field,
    member: &str,
) -> tantivy::Result<bool> {
    let term = Term::from_field_text(field, member);
    Ok(segment.inverted_index(field)?.doc_freq(&term)? == 0)
}

fn visible_documents(
    segment: &SegmentReader,
    field: Field,
    viewers: &[String],
) -> tantivy::Result<BitSet> {
    let mut set = BitSet::with_max_value(segment.max_doc());
    let postings = segment.inverted_index(field)?;
    for viewer in viewers {
        let term = Term::from_field_text(field, viewer);
        if let Some(mut documents) = postings.read_postings(&term, IndexRecordOption::Basic)? {
            let mut doc = documents.doc();
            while doc != TERMINATED {
                set.insert(doc);
                doc = documents.advance();
            }
        }
    }
    Ok(set)
}
