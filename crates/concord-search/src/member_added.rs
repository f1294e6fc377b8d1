//! "Recently added" among one member's titles: the order of "new at our library", by when the
//! member added its newest copy of each bib, rather than when any member added one.
//!
//! Each document holds, per member with copies, the time of its newest copy every member may
//! see and, when a copy it keeps back is newer, of that (the JSON fast field
//! [`crate::index::MEMBER_ADDED`]); each member's times are columns of their own. A member's own
//! view orders by the newer of the two; every other view by its newest copy every member may
//! see, so that the order tells no other member of a copy kept back.
//!
//! **Invariant:** a bib the view knows of no copy of at the member sorts last (it can match
//! only when the member filter is not the only reason it is listed, e.g. a copy hidden from
//! this view); ties break by bib id, the newer first, as "recently added" does everywhere.

use tantivy::collector::sort_key::NaturalComparator;
use tantivy::collector::{SegmentSortKeyComputer, SortKeyComputer};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader};

use crate::index::member_added_columns;

/// Sorts by when `member` added its newest copy, as the viewer may know it (see the module
/// documentation).
#[derive(Debug, Clone)]
pub(crate) struct ByMemberAdded {
    /// The member's columns the viewer may know of; a bib's time is the newest in them.
    columns: Vec<String>,
}

impl ByMemberAdded {
    pub(crate) fn new(member: &str, viewer: Option<&str>) -> ByMemberAdded {
        ByMemberAdded {
            columns: member_added_columns(member, viewer),
        }
    }

    /// When the member added its newest copy of the bib at `address` that the viewer may know
    /// of (Unix seconds).
    pub(crate) fn added(
        &self,
        searcher: &Searcher,
        address: DocAddress,
    ) -> tantivy::Result<Option<i64>> {
        let fast_fields = searcher.segment_reader(address.segment_ord).fast_fields();
        let mut newest = None;
        for column in &self.columns {
            let value = fast_fields
                .column_opt::<i64>(column)?
                .and_then(|column| column.first(address.doc_id));
            newest = newest.max(value);
        }
        Ok(newest)
    }
}

impl SortKeyComputer for ByMemberAdded {
    type SortKey = Option<u64>;
    type Child = MemberAddedInSegment;
    type Comparator = NaturalComparator;

    fn segment_sort_key_computer(
        &self,
        segment_reader: &SegmentReader,
    ) -> tantivy::Result<MemberAddedInSegment> {
        // The times are i64, mapped to u64 in the same order in every segment.
        let mut columns = Vec::with_capacity(self.columns.len());
        for column in &self.columns {
            if let Some((column, _)) = segment_reader.fast_fields().u64_lenient(column)? {
                columns.push(column);
            }
        }
        Ok(MemberAddedInSegment { columns })
    }
}

/// [`ByMemberAdded`] in one segment: those of the member's columns some bib of the segment has.
pub(crate) struct MemberAddedInSegment {
    columns: Vec<Column<u64>>,
}

impl SegmentSortKeyComputer for MemberAddedInSegment {
    type SortKey = Option<u64>;
    type SegmentSortKey = Option<u64>;
    type SegmentComparator = NaturalComparator;

    fn segment_sort_key(&mut self, doc: DocId, _score: Score) -> Option<u64> {
        self.columns
            .iter()
            .map(|column| column.first(doc))
            .max()
            .flatten()
    }

    fn convert_segment_sort_key(&self, sort_key: Option<u64>) -> Option<u64> {
        sort_key
    }
}
