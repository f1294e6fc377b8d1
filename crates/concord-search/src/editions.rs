//! Other editions and formats of a work: the bibs that share a bib's title proper or uniform
//! title and one of its names (see [`crate::index::work_keys`]), so that a patron on a novel's
//! page finds its large print, audiobook, film and translations, as catalogues that group
//! records by work show them.

use concord_domain::codes::Code;
use tantivy::collector::TopDocs;
use tantivy::collector::sort_key::SortByStaticFastValue;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Order, TantivyDocument, Term};

use crate::document::BibDocument;
use crate::facets::FacetCounter;
use crate::index::{SearchError, SearchIndex, work_keys};
use crate::searcher::{SearchHit, any_term, by_bib_id};

impl SearchIndex {
    /// Up to `limit` other bibs of the work of `document` (as
    /// [`crate::document_from_record`] makes it) that `view` sees (`None`: the consortium's
    /// view), the newest first; none when it has no work keys.
    pub fn other_editions(
        &self,
        document: &BibDocument,
        view: Option<&Code>,
        limit: usize,
    ) -> Result<Vec<SearchHit>, SearchError> {
        let keys: Vec<Term> = work_keys(document)
            .iter()
            .map(|key| Term::from_field_text(self.fields.work, key))
            .collect();
        if keys.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let generation = self.generation();
        let searcher = &generation.searcher;
        let this_bib: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_i64(self.fields.bib_id, document.bib_id),
            IndexRecordOption::Basic,
        ));
        let query = BooleanQuery::new(vec![
            (Occur::Must, any_term(keys.into_iter())),
            (Occur::MustNot, this_bib),
        ]);
        let visible = self.visibility.segment_sets(
            searcher,
            self.fields.visible_to,
            view.map(Code::as_str),
        )?;
        let newest_first = TopDocs::with_limit(limit).order_by((
            (SortByStaticFastValue::<i64>::for_field("year"), Order::Desc),
            by_bib_id(),
        ));
        let no_facets = FacetCounter { facets: Vec::new() };
        let (_, addresses, _) =
            self.counted_top(searcher, &query, &visible, newest_first, &no_facets)?;
        addresses
            .into_iter()
            .map(|address| {
                let document: TantivyDocument = searcher.doc(address)?;
                Ok(self.hit(&document, view))
            })
            .collect()
    }
}
