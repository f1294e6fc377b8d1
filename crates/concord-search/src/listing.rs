//! The bibs a view sees, by id rather than by relevance: what a sitemap of record pages lists
//! for crawlers. Read from the index, so that it lists exactly the bibs a search in that view
//! can find, hidden copies and all.

use concord_domain::codes::Code;

use crate::index::{BIB_ID, SearchError, SearchIndex};

impl SearchIndex {
    /// The first `limit` ids, from `from` up, of the bibs `view` sees (`None`: the consortium's
    /// view), ascending.
    pub fn visible_bib_ids(
        &self,
        view: Option<&Code>,
        from: i64,
        limit: usize,
    ) -> Result<Vec<i64>, SearchError> {
        let mut found = Vec::new();
        self.each_visible_bib(view, |id| {
            if id >= from {
                found.push(id);
            }
        })?;
        if found.len() > limit {
            found.select_nth_unstable(limit);
            found.truncate(limit);
        }
        found.sort_unstable();
        Ok(found)
    }

    /// Where lists of `every` bibs `view` sees start when all of them are cut so, in id order:
    /// the ids of the first, the `every + 1`th and so on, ascending.
    pub fn visible_bib_id_starts(
        &self,
        view: Option<&Code>,
        every: usize,
    ) -> Result<Vec<i64>, SearchError> {
        let mut ids = Vec::new();
        self.each_visible_bib(view, |id| ids.push(id))?;
        ids.sort_unstable();
        Ok(ids.into_iter().step_by(every.max(1)).collect())
    }

    /// Calls `each` with the id of every live bib that `view` sees, in index order.
    fn each_visible_bib(
        &self,
        view: Option<&Code>,
        mut each: impl FnMut(i64),
    ) -> Result<(), SearchError> {
        let generation = self.generation();
        let searcher = &generation.searcher;
        let visible = self.visibility.segment_sets(
            searcher,
            self.fields.visible_to,
            view.map(Code::as_str),
        )?;
        for (reader, visible) in searcher.segment_readers().iter().zip(&visible) {
            let ids = reader.fast_fields().i64(BIB_ID)?;
            let alive = reader.alive_bitset();
            for doc in 0..reader.max_doc() {
                if !visible.contains(doc) || alive.is_some_and(|alive| alive.is_deleted(doc)) {
                    continue;
                }
                if let Some(id) = ids.first(doc) {
                    each(id);
                }
            }
        }
        Ok(())
    }
}
