//! Search over an index built from the real MARC fixtures with synthetic holdings, checked
//! against brute-force counts over the same documents.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use concord_domain::codes::Code;
use concord_domain::format::Format;

use crate::document::{BibDocument, Holding, data_field, document_from_record, titled_record};
use crate::index::SearchIndex;
use crate::searcher::{BranchHoldings, FacetField, SearchRequest, SearchResponse, SortOrder};

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/marc")
        .join(path)
}

fn code(text: &str) -> Code {
    Code::parse("code", text).unwrap()
}

fn holding(member: &str, branch: &str, status: &str, visible: bool) -> Holding {
    Holding {
        member: code(member),
        branch: code(branch),
        call_number: None,
        status: status.to_owned(),
        visible_outside_member: visible,
    }
}

/// Deterministic holdings: some bibs have none, some only C's hidden items, most A's items
/// (every fifth two), every third B's (every ninth on the shelf), every fourth also a hidden
/// item of C (every eighth two).
fn synthetic_holdings(number: usize) -> Vec<Holding> {
    match number % 10 {
        0 => Vec::new(),
        1 => vec![holding("C", "C-MAIN", "available", false)],
        _ => {
            let branch = if number.is_multiple_of(3) {
                "A-MAIN"
            } else {
                "A-EAST"
            };
            let status = if number.is_multiple_of(2) {
                "available"
            } else {
                "on_loan"
            };
            let mut holdings = vec![holding("A", branch, status, true)];
            if number.is_multiple_of(5) {
                // A second copy at A, on the shelf at another branch.
                holdings.push(holding("A", "A-MAIN", "available", true));
            }
            if number.is_multiple_of(3) {
                let status = if number.is_multiple_of(9) {
                    "available"
                } else {
                    "in_transit"
                };
                holdings.push(holding("B", "B-MAIN", status, true));
            }
            if number.is_multiple_of(4) {
                holdings.push(holding("C", "C-MAIN", "available", false));
            }
            if number.is_multiple_of(8) {
                // A second copy C keeps back.
                holdings.push(holding("C", "C-MAIN", "on_loan", false));
            }
            holdings
        }
    }
}

fn load_documents() -> Vec<BibDocument> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture("evergreen"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("evergreen_concerto_bibs_") || name.starts_with("RDA_record_")
        })
        .collect();
    files.extend(["solrmarc/specTestRecs.mrc", "solrmarc/demoRecs.mrc"].map(fixture));
    files.sort();
    let mut documents = Vec::new();
    for file in files {
        let reader = concord_marc::read_any(std::fs::File::open(&file).unwrap()).unwrap();
        for record in reader.flatten() {
            if record.is_authority() {
                continue;
            }
            let number = documents.len();
            let bib_id = 1000 + number as i64;
            documents.push(document_from_record(
                bib_id,
                &record,
                synthetic_holdings(number),
            ));
        }
    }
    documents
}

struct Catalogue {
    _directory: tempfile::TempDir,
    index: SearchIndex,
    documents: Vec<BibDocument>,
}

fn catalogue() -> Catalogue {
    let directory = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open_or_create(directory.path()).unwrap();
    // Ranges of a few hundred documents, so that every test also checks that a search cut into
    // ranges on several threads counts and ranks as one pass would.
    index.parallelism.min_range_docs = 300;
    index.set_search_threads(3).unwrap();
    let documents = load_documents();
    let mut indexer = index.indexer(1, 50_000_000).unwrap();
    // Two commits make two segments, so counting across segments is exercised.
    let (first, second) = documents.split_at(documents.len() / 2);
    for document in first {
        indexer.add(document).unwrap();
    }
    indexer.commit().unwrap();
    for document in second {
        indexer.add(document).unwrap();
    }
    indexer.commit().unwrap();
    index.reload().unwrap();
    Catalogue {
        _directory: directory,
        index,
        documents,
    }
}

fn request(query: &str) -> SearchRequest {
    let mut request = SearchRequest::new(query);
    request.facet_limit = usize::MAX;
    request
}

fn ids(response: &SearchResponse) -> Vec<i64> {
    response.hits.iter().map(|hit| hit.bib_id).collect()
}

fn all_ids(catalogue: &Catalogue, request: &SearchRequest) -> BTreeSet<i64> {
    let mut request = request.clone();
    request.page = 0;
    request.page_size = catalogue.documents.len() + 1;
    ids(&catalogue.index.search(&request).unwrap())
        .into_iter()
        .collect()
}

fn titles(response: &SearchResponse) -> Vec<&str> {
    response.hits.iter().map(|hit| hit.title.as_str()).collect()
}

/// The facet values a document shows a viewer, derived independently of the index.
fn brute_force_values(
    document: &BibDocument,
    facet: FacetField,
    view: Option<&Code>,
) -> BTreeSet<String> {
    let visible = || {
        document
            .holdings
            .iter()
            .filter(move |holding| holding.is_visible_in(view))
    };
    match facet {
        FacetField::Format => [document.format.code().to_owned()].into(),
        FacetField::Language => document
            .language
            .iter()
            .chain(&document.languages)
            .cloned()
            .collect(),
        FacetField::Decade => document
            .publication_year
            .map(|year| (year / 10 * 10).to_string())
            .into_iter()
            .collect(),
        FacetField::Subject => document.subject_facets.iter().cloned().collect(),
        FacetField::Author => document.authors.iter().cloned().collect(),
        FacetField::Member => visible().map(|h| h.member.to_string()).collect(),
        FacetField::Branch => visible().map(|h| h.branch.to_string()).collect(),
        // On the shelf anywhere the view sees, and at which members.
        FacetField::AvailableNow => visible()
            .filter(|h| h.is_available())
            .flat_map(|h| ["available".to_owned(), h.member.to_string()])
            .collect(),
        FacetField::Audience => document.audience.iter().map(|a| (*a).to_owned()).collect(),
        // Filters only, never counted.
        FacetField::SubjectHeading | FacetField::SeriesHeading | FacetField::FilingTitle => {
            BTreeSet::new()
        }
    }
}

/// The copies of a document that give each value of a holdings facet in a view, derived
/// independently of the index; `None` for the facets that count bibs only.
fn brute_force_copies(
    document: &BibDocument,
    facet: FacetField,
    view: Option<&Code>,
) -> Option<BTreeMap<String, u64>> {
    let mut copies: BTreeMap<String, u64> = BTreeMap::new();
    for holding in document.holdings.iter().filter(|h| h.is_visible_in(view)) {
        let values = match facet {
            FacetField::Member => vec![holding.member.to_string()],
            FacetField::Branch => vec![holding.branch.to_string()],
            FacetField::AvailableNow if holding.is_available() => {
                vec!["available".to_owned(), holding.member.to_string()]
            }
            FacetField::AvailableNow => Vec::new(),
            _ => return None,
        };
        for value in values {
            *copies.entry(value).or_default() += 1;
        }
    }
    Some(copies)
}

/// Compares the response's total and every facet count (of bibs, and of copies for holdings
/// facets) with brute force over `matching`.
#[track_caller]
fn check_exact_counts(
    catalogue: &Catalogue,
    response: &SearchResponse,
    matching: &[&BibDocument],
    view: Option<&Code>,
) {
    assert_eq!(response.total, matching.len() as u64, "total");
    for facet in FacetField::ALL {
        let mut expected: BTreeMap<String, (u64, Option<u64>)> = BTreeMap::new();
        for document in matching {
            for value in brute_force_values(document, facet, view) {
                expected.entry(value).or_default().0 += 1;
            }
            for (value, copies) in brute_force_copies(document, facet, view).unwrap_or_default() {
                *expected.entry(value).or_default().1.get_or_insert(0) += copies;
            }
        }
        let actual: BTreeMap<String, (u64, Option<u64>)> = response.facets[&facet]
            .iter()
            .map(|count| (count.value.clone(), (count.count, count.copies)))
            .collect();
        assert_eq!(actual, expected, "facet {facet:?} in view {view:?}");
    }
    assert!(catalogue.documents.len() > matching.len() || response.total > 0);
}

#[test]
fn the_fixture_catalogue_is_large_and_varied() {
    let documents = load_documents();
    assert!(documents.len() > 250, "{} documents", documents.len());
    let formats: BTreeSet<Format> = documents.iter().map(|d| d.format).collect();
    for expected in [
        Format::Book,
        Format::MusicCd,
        Format::MusicScore,
        Format::Dvd,
        Format::Map,
    ] {
        assert!(formats.contains(&expected), "{expected:?} in {formats:?}");
    }
}

#[test]
fn real_records_get_the_right_format() {
    let check = |file: &str, expected: Format| {
        let reader = concord_marc::read_any(std::fs::File::open(fixture(file)).unwrap()).unwrap();
        let record = reader.flatten().next().unwrap();
        let document = document_from_record(1, &record, Vec::new());
        assert_eq!(document.format, expected, "{file}");
    };
    check("evergreen/RDA_record_CD_Claudia.mrc", Format::MusicCd);
    check("evergreen/RDA_record_DVD_Jorge_Mautner.mrc", Format::Dvd);
    check(
        "evergreen/RDA_record_MAP_2012_Enchanted_Circle.mrc",
        Format::Map,
    );
    check(
        "evergreen/RDA_record_SCORE_Wiegenlied.mrc",
        Format::MusicScore,
    );
}

#[test]
fn consortium_and_member_views_count_exactly() {
    let catalogue = catalogue();
    for view in [None, Some(code("A")), Some(code("C")), Some(code("Z"))] {
        let mut everything = request("");
        everything.view = view.clone();
        let response = catalogue.index.search(&everything).unwrap();
        let matching: Vec<&BibDocument> = catalogue
            .documents
            .iter()
            .filter(|document| document.is_visible_in(view.as_ref()))
            .collect();
        check_exact_counts(&catalogue, &response, &matching, view.as_ref());
    }
}

#[test]
fn keyword_results_count_exactly() {
    let catalogue = catalogue();
    for (query, view) in [
        ("concerto", None),
        ("piano OR violin", Some(code("C"))),
        ("history", Some(code("A"))),
    ] {
        let mut search = request(query);
        search.view = view.clone();
        let response = catalogue.index.search(&search).unwrap();
        let matched = all_ids(&catalogue, &search);
        assert!(!matched.is_empty(), "{query}");
        let matching: Vec<&BibDocument> = catalogue
            .documents
            .iter()
            .filter(|document| matched.contains(&document.bib_id))
            .collect();
        assert!(matching.iter().all(|d| d.is_visible_in(view.as_ref())));
        check_exact_counts(&catalogue, &response, &matching, view.as_ref());
    }
}

#[test]
fn facet_filters_narrow_exactly() {
    let catalogue = catalogue();
    let view = Some(code("A"));
    let mut search = request("");
    search.view = view.clone();
    search.filters = vec![
        (FacetField::Format, "book".to_owned()),
        (FacetField::Format, "music_cd".to_owned()),
        (FacetField::Member, "B".to_owned()),
    ];
    let response = catalogue.index.search(&search).unwrap();
    let matching: Vec<&BibDocument> = catalogue
        .documents
        .iter()
        .filter(|d| d.is_visible_in(view.as_ref()))
        .filter(|d| matches!(d.format, Format::Book | Format::MusicCd))
        .filter(|d| d.holdings.iter().any(|h| h.member.as_str() == "B"))
        .collect();
    assert!(!matching.is_empty());
    check_exact_counts(&catalogue, &response, &matching, view.as_ref());

    // Available now, in the consortium view, must ignore C's hidden available items.
    let mut available = request("");
    available.filters = vec![(FacetField::AvailableNow, "available".to_owned())];
    let response = catalogue.index.search(&available).unwrap();
    let matching: Vec<&BibDocument> = catalogue
        .documents
        .iter()
        .filter(|d| {
            d.holdings
                .iter()
                .any(|h| h.is_available() && h.is_visible_in(None))
        })
        .collect();
    check_exact_counts(&catalogue, &response, &matching, None);

    // On the shelf at a member: its copy on the shelf, not another's; C's hidden copies count
    // in C's view alone.
    for (member, view) in [
        ("B", None),
        ("A", None),
        ("C", None),
        ("C", Some(code("C"))),
    ] {
        let mut at = request("");
        at.view = view.clone();
        at.filters = vec![(FacetField::AvailableNow, member.to_owned())];
        let response = catalogue.index.search(&at).unwrap();
        let matching: Vec<&BibDocument> = catalogue
            .documents
            .iter()
            .filter(|d| d.is_visible_in(view.as_ref()))
            .filter(|d| {
                d.holdings.iter().any(|h| {
                    h.member.as_str() == member
                        && h.is_available()
                        && h.is_visible_in(view.as_ref())
                })
            })
            .collect();
        assert_eq!(
            matching.is_empty(),
            member == "C" && view.is_none(),
            "{member} {view:?}"
        );
        check_exact_counts(&catalogue, &response, &matching, view.as_ref());
    }
}

#[test]
fn hidden_items_stay_in_their_members_view() {
    let catalogue = catalogue();
    let only_hidden: Vec<i64> = catalogue
        .documents
        .iter()
        .filter(|d| !d.holdings.is_empty() && d.holdings.iter().all(|h| !h.visible_outside_member))
        .map(|d| d.bib_id)
        .collect();
    assert!(!only_hidden.is_empty());
    let consortium = all_ids(&catalogue, &request(""));
    let mut in_a = request("");
    in_a.view = Some(code("A"));
    let member_a = all_ids(&catalogue, &in_a);
    let mut in_c = request("");
    in_c.view = Some(code("C"));
    let member_c = all_ids(&catalogue, &in_c);
    for bib_id in &only_hidden {
        assert!(!consortium.contains(bib_id));
        assert!(!member_a.contains(bib_id));
        assert!(member_c.contains(bib_id));
    }

    // Hit summaries: C's hidden items are counted for C only, and C comes first for C.
    let mut search = request("");
    search.page_size = catalogue.documents.len();
    let consortium_hits = catalogue.index.search(&search).unwrap().hits;
    assert!(
        consortium_hits
            .iter()
            .all(|hit| hit.holdings.iter().all(|h| h.member != "C"))
    );
    search.view = Some(code("C"));
    let member_hits = catalogue.index.search(&search).unwrap().hits;
    let with_c: Vec<_> = member_hits
        .iter()
        .filter(|hit| hit.holdings.iter().any(|h| h.member == "C"))
        .collect();
    assert!(!with_c.is_empty());
    assert!(with_c.iter().all(|hit| hit.holdings[0].member == "C"));
}

#[test]
fn pages_end_at_the_result_window_without_allocating_for_deeper_ones() {
    use crate::searcher::{Evaluation, MAX_RESULT_WINDOW};
    let catalogue = catalogue();
    for evaluation in [Evaluation::Fastest, Evaluation::General] {
        let mut last = request("music");
        last.page_size = 20;
        last.page = MAX_RESULT_WINDOW / 20 - 1;
        let found = catalogue.index.search_with(&last, evaluation).unwrap();
        assert!(found.total > 0 && found.hits.is_empty());
        for page in [MAX_RESULT_WINDOW / 20, usize::MAX / 2, usize::MAX] {
            let mut deeper = last.clone();
            deeper.page = page;
            assert!(matches!(
                catalogue.index.search_with(&deeper, evaluation),
                Err(crate::index::SearchError::BeyondResultWindow(
                    MAX_RESULT_WINDOW
                ))
            ));
        }
    }
}

#[test]
fn members_that_hide_nothing_share_the_consortium_visible_sets() {
    let catalogue = catalogue();
    let index = &catalogue.index;
    let searcher = index.generation().searcher.clone();
    let field = index.fields.visible_to;
    let sets = |view| {
        index
            .visibility
            .segment_sets(&searcher, field, view)
            .unwrap()
    };
    let everyone = sets(None);
    // A and B keep nothing from other members; C keeps items in every segment.
    for member in ["A", "B"] {
        let shared = sets(Some(member));
        assert!(
            shared
                .iter()
                .zip(&everyone)
                .all(|(a, b)| std::sync::Arc::ptr_eq(a, b)),
            "{member}"
        );
    }
    let own = sets(Some("C"));
    assert!(
        own.iter()
            .zip(&everyone)
            .all(|(a, b)| !std::sync::Arc::ptr_eq(a, b) && a.len() > b.len())
    );
}

#[test]
fn member_view_ranks_its_own_holdings_first() {
    let catalogue = catalogue();
    let mut search = request("concerto");
    search.view = Some(code("B"));
    search.page_size = catalogue.documents.len();
    let hits = catalogue.index.search(&search).unwrap().hits;
    let held_by_b = |hit: &crate::searcher::SearchHit| hit.holdings.iter().any(|h| h.member == "B");
    let first_other = hits.iter().position(|hit| !held_by_b(hit)).unwrap();
    assert!(first_other > 0);
    assert!(
        hits.iter().skip(first_other).all(|hit| !held_by_b(hit)),
        "B's bibs come before everyone else's"
    );
}

#[test]
fn fielded_phrase_and_boolean_queries() {
    let catalogue = catalogue();
    let search = |query: &str| all_ids(&catalogue, &request(query));
    let matching = |predicate: &dyn Fn(&BibDocument) -> bool| -> BTreeSet<i64> {
        catalogue
            .documents
            .iter()
            .filter(|d| d.is_visible_in(None) && predicate(d))
            .map(|d| d.bib_id)
            .collect()
    };

    let by_title = search("title:brandenburg");
    assert!(!by_title.is_empty());
    assert_eq!(
        by_title,
        matching(&|d| {
            std::iter::once(&d.title)
                .chain(&d.other_titles)
                .any(|t| t.to_lowercase().contains("brandenburg"))
        })
    );
    let by_author = search("author:mozart");
    assert!(!by_author.is_empty());
    assert!(by_author.iter().all(|id| {
        catalogue.documents.iter().any(|d| {
            d.bib_id == *id
                && d.authors
                    .iter()
                    .any(|a| a.to_lowercase().contains("mozart"))
        })
    }));
    // Mozart as author is a subset of Mozart anywhere.
    assert!(by_author.is_subset(&search("mozart")));
    assert!(!search("subject:concertos").is_empty());

    // A phrase matches fewer records than its words.
    let words = search("piano concerto");
    let phrase = search("\"piano concerto\"");
    assert!(!phrase.is_empty() && phrase.is_subset(&words));
    let reversed = search("\"concerto piano\"");
    assert!(reversed.len() < words.len());

    // Boolean operators are set operations.
    let piano = search("piano");
    let violin = search("violin");
    let union: BTreeSet<i64> = piano.union(&violin).copied().collect();
    let intersection: BTreeSet<i64> = piano.intersection(&violin).copied().collect();
    let difference: BTreeSet<i64> = piano.difference(&violin).copied().collect();
    assert_eq!(search("piano OR violin"), union);
    assert_eq!(search("piano AND violin"), intersection);
    assert_eq!(search("piano violin"), intersection);
    assert_eq!(search("piano -violin"), difference);
    assert_eq!(search("piano AND NOT violin"), difference);
    assert_eq!(search("(piano OR violin) AND concerto").len(), {
        let concerto = search("concerto");
        union.intersection(&concerto).count()
    });
}

#[test]
fn identifiers_and_call_numbers() {
    let catalogue = catalogue();
    let with_isbn = catalogue
        .documents
        .iter()
        .find(|d| d.is_visible_in(None) && d.isbns.iter().any(|isbn| isbn.len() == 13))
        .unwrap();
    let isbn13 = with_isbn
        .isbns
        .iter()
        .find(|isbn| isbn.len() == 13)
        .unwrap();
    let hyphenated = format!("{}-{}", &isbn13[..3], &isbn13[3..]);
    for query in [format!("isbn:{isbn13}"), format!("isbn:{hyphenated}")] {
        let found = all_ids(&catalogue, &request(&query));
        assert!(found.contains(&with_isbn.bib_id), "{query}");
    }
    let with_call_number = catalogue
        .documents
        .iter()
        .find(|d| d.is_visible_in(None) && !d.call_numbers.is_empty())
        .unwrap();
    let first_word = with_call_number.call_numbers[0]
        .split(|c: char| !c.is_alphanumeric())
        .find(|word| !word.is_empty())
        .unwrap();
    let found = all_ids(&catalogue, &request(&format!("callnumber:{first_word}")));
    assert!(found.contains(&with_call_number.bib_id));
}

#[test]
fn a_format_is_found_by_the_words_patrons_use_for_it() {
    let catalogue = catalogue();
    let mut checked = 0;
    for format in Format::ALL {
        let Some(word) = format
            .search_words()
            .split(' ')
            .next()
            .filter(|w| !w.is_empty())
        else {
            continue;
        };
        // The bibs of the format that the consortium view shows.
        let of_format: BTreeSet<i64> = catalogue
            .documents
            .iter()
            .filter(|document| document.format == format)
            .filter(|document| {
                document.holdings.is_empty()
                    || document.holdings.iter().any(|h| h.visible_outside_member)
            })
            .map(|document| document.bib_id)
            .collect();
        if of_format.is_empty() {
            continue;
        }
        let found = all_ids(&catalogue, &request(word));
        assert!(
            of_format.is_subset(&found),
            "{word}: {:?}",
            of_format.difference(&found)
        );
        checked += 1;
    }
    assert!(checked >= 4, "{checked} formats in the fixtures");
    // With other words, as Maria types "pride prejudice dvd": the format narrows the search to
    // (at least) the matches of that format.
    let concertos = all_ids(&catalogue, &request("concerto"));
    let format_of: HashMap<i64, Format> = catalogue
        .documents
        .iter()
        .map(|document| (document.bib_id, document.format))
        .collect();
    let mut by_format: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for id in &concertos {
        let format = format_of[id];
        by_format.entry(format.code()).or_default().insert(*id);
    }
    assert!(by_format.len() >= 2, "{by_format:?}");
    for (code, ids) in by_format {
        let word = Format::from_code(code).unwrap().search_words();
        let Some(word) = word.split(' ').next().filter(|w| !w.is_empty()) else {
            continue;
        };
        let narrowed = all_ids(&catalogue, &request(&format!("concerto {word}")));
        assert!(ids.is_subset(&narrowed), "concerto {word}");
        assert!(narrowed.is_subset(&concertos), "concerto {word}");
        assert!(narrowed.len() < concertos.len(), "concerto {word}");
    }
}

#[test]
fn folding_and_stemming() {
    let catalogue = catalogue();
    let search = |query: &str| all_ids(&catalogue, &request(query));
    // Pospíšil, Ctirad Václav in the Czech records.
    let folded = search("author:pospisil");
    assert!(!folded.is_empty());
    assert_eq!(folded, search("author:Pospíšil"));
    // English stemming: singular and plural find the same records.
    assert_eq!(search("concertos"), search("concerto"));
    assert!(!search("concertos").is_empty());
}

#[test]
fn exact_title_comes_first() {
    let catalogue = catalogue();
    let response = catalogue.index.search(&request("the concerto")).unwrap();
    assert!(response.total > 1);
    assert_eq!(titles(&response)[0], "The concerto");
}

#[test]
fn sorting_and_paging() {
    let catalogue = catalogue();
    let mut search = request("concerto");
    search.page_size = 7;

    for sort in [
        SortOrder::Relevance,
        SortOrder::Title,
        SortOrder::Author,
        SortOrder::Date,
    ] {
        search.sort = sort;
        let everything = all_ids(&catalogue, &search);
        let mut paged = Vec::new();
        let mut total = 0;
        for page in 0.. {
            search.page = page;
            let response = catalogue.index.search(&search).unwrap();
            total = response.total;
            if response.hits.is_empty() {
                break;
            }
            assert!(response.hits.len() <= 7);
            paged.extend(ids(&response));
        }
        assert_eq!(paged.len() as u64, total, "{sort:?}");
        let paged_set: BTreeSet<i64> = paged.iter().copied().collect();
        assert_eq!(
            paged_set, everything,
            "pages cover every hit once ({sort:?})"
        );
        assert_eq!(paged_set.len(), paged.len());
    }

    search.page = 0;
    search.page_size = 1000;
    let by_id: HashMap<i64, &BibDocument> =
        catalogue.documents.iter().map(|d| (d.bib_id, d)).collect();

    search.sort = SortOrder::Title;
    let keys: Vec<String> = ids(&catalogue.index.search(&search).unwrap())
        .iter()
        .map(|id| crate::index::normalised_key(&by_id[id].title_for_sorting))
        .collect();
    assert!(keys.windows(2).all(|pair| pair[0] <= pair[1]), "{keys:?}");

    search.sort = SortOrder::Author;
    let keys: Vec<String> = ids(&catalogue.index.search(&search).unwrap())
        .iter()
        .filter_map(|id| by_id[id].main_author())
        .map(crate::index::normalised_key)
        .collect();
    assert!(keys.windows(2).all(|pair| pair[0] <= pair[1]), "{keys:?}");

    search.sort = SortOrder::Date;
    let years: Vec<i64> = ids(&catalogue.index.search(&search).unwrap())
        .iter()
        .filter_map(|id| by_id[id].publication_year)
        .collect();
    assert!(years.len() > 10);
    assert!(years.windows(2).all(|pair| pair[0] >= pair[1]), "{years:?}");
}

#[test]
fn replacing_and_deleting_documents() {
    let catalogue = catalogue();
    let mut indexer = catalogue.index.indexer(1, 15_000_000).unwrap();
    let mut changed = catalogue.documents[5].clone();
    let bib_id = changed.bib_id;
    changed.title = "Zyzzyva quarterly".to_owned();
    changed.holdings = vec![holding("A", "A-MAIN", "available", true)];
    indexer.upsert(&changed).unwrap();
    indexer.commit().unwrap();
    catalogue.index.reload().unwrap();
    let found = catalogue.index.search(&request("zyzzyva")).unwrap();
    assert_eq!(ids(&found), [bib_id]);
    assert_eq!(
        catalogue.index.document_count(),
        catalogue.documents.len() as u64
    );

    indexer.delete(bib_id);
    indexer.commit().unwrap();
    catalogue.index.reload().unwrap();
    assert_eq!(
        catalogue.index.search(&request("zyzzyva")).unwrap().total,
        0
    );
    assert_eq!(
        catalogue.index.document_count(),
        catalogue.documents.len() as u64 - 1
    );
}

#[test]
fn a_hit_says_where_its_copies_are_and_the_call_number_to_find_one() {
    let catalogue = catalogue();
    let mut indexer = catalogue.index.indexer(1, 15_000_000).unwrap();
    let mut changed = catalogue.documents[7].clone();
    changed.title = "Zyzzyva handbook".to_owned();
    let copy = |member, branch, status, visible, call_number: Option<&str>| Holding {
        call_number: call_number.map(str::to_owned),
        ..holding(member, branch, status, visible)
    };
    changed.holdings = vec![
        copy("A", "A-MAIN", "on_loan", true, Some("QL 1 .A")),
        copy("A", "A-MAIN", "available", true, Some("QL 1 .B")),
        copy("A", "A-EAST", "on_loan", true, None),
        copy("B", "B-MAIN", "available", false, Some("B 1")),
        copy("B", "B-LAW", "available", true, Some("KF 1 | v.2")),
    ];
    indexer.upsert(&changed).unwrap();
    indexer.commit().unwrap();
    catalogue.index.reload().unwrap();
    let branch = |code: &str, total, available, call_number: Option<&str>| BranchHoldings {
        branch: code.to_owned(),
        total,
        available,
        call_number: call_number.map(str::to_owned),
    };

    let everyone = catalogue.index.search(&request("zyzzyva")).unwrap();
    let holdings = &everyone.hits[0].holdings;
    assert_eq!(holdings.len(), 2, "{holdings:?}");
    assert_eq!(
        (
            holdings[0].member.as_str(),
            holdings[0].total,
            holdings[0].available
        ),
        ("A", 3, 1)
    );
    // The copy on the shelf gives its call number; a branch with none on the shelf, its first.
    assert_eq!(
        holdings[0].branches,
        [
            branch("A-EAST", 1, 0, None),
            branch("A-MAIN", 2, 1, Some("QL 1 .B"))
        ]
    );
    // A copy kept back is not counted, nor its branch named, outside its member's view.
    assert_eq!(
        holdings[1].branches,
        [branch("B-LAW", 1, 1, Some("KF 1 | v.2"))]
    );

    let mut in_b = request("zyzzyva");
    in_b.view = Some(code("B"));
    let own = catalogue.index.search(&in_b).unwrap();
    let holdings = &own.hits[0].holdings;
    assert_eq!((holdings[0].member.as_str(), holdings[0].total), ("B", 2));
    assert_eq!(
        holdings[0].branches,
        [
            branch("B-LAW", 1, 1, Some("KF 1 | v.2")),
            branch("B-MAIN", 1, 1, Some("B 1"))
        ]
    );
}

#[test]
fn limited_facets_are_the_exact_top_values_ties_by_value() {
    let catalogue = catalogue();
    for (query, view) in [("", None), ("music", Some(code("C"))), ("history", None)] {
        let mut limited = request(query);
        limited.view = view.clone();
        limited.facet_limit = 3;
        let response = catalogue.index.search(&limited).unwrap();
        let mut everything = request(query);
        everything.view = view.clone();
        let full = catalogue.index.search(&everything).unwrap();
        // Sorting by a field counts without scores, in blocks: the same exact counts.
        for sort in [SortOrder::Title, SortOrder::Date] {
            let mut sorted = everything.clone();
            sorted.sort = sort;
            let by_field = catalogue.index.search(&sorted).unwrap();
            assert_eq!(by_field.total, full.total);
            assert_eq!(by_field.facets, full.facets, "{sort:?} for {query:?}");
        }
        for facet in FacetField::ALL {
            let mut expected = full.facets[&facet].clone();
            expected.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            expected.truncate(3);
            assert_eq!(response.facets[&facet], expected, "{facet:?} for {query:?}");
        }
    }
}

#[test]
fn facet_counts_follow_new_segments_after_a_reload() {
    let catalogue = catalogue();
    let view = Some(code("D"));
    let mut search = request("");
    search.view = view.clone();
    // Counted once before the change, so any cached maps must be replaced after the reload.
    let before = catalogue.index.search(&search).unwrap();
    assert!(
        !before.facets[&FacetField::Member]
            .iter()
            .any(|c| c.value == "D")
    );

    let mut added = catalogue.documents[7].clone();
    added.bib_id = 99_999;
    added.subject_facets = vec!["Zither music".to_owned()];
    added.holdings = vec![
        holding("D", "D-MAIN", "available", false),
        holding("A", "A-MAIN", "on_loan", true),
    ];
    let mut indexer = catalogue.index.indexer(1, 15_000_000).unwrap();
    indexer.add(&added).unwrap();
    indexer.commit().unwrap();
    catalogue.index.reload().unwrap();

    let mut documents = catalogue.documents.clone();
    documents.push(added);
    for view in [view, None] {
        search.view = view.clone();
        let response = catalogue.index.search(&search).unwrap();
        let matching: Vec<&BibDocument> = documents
            .iter()
            .filter(|document| document.is_visible_in(view.as_ref()))
            .collect();
        check_exact_counts(&catalogue, &response, &matching, view.as_ref());
    }
}

#[test]
fn searches_cut_into_ranges_answer_as_one_pass() {
    let mut catalogue = catalogue();
    let mut searches = Vec::new();
    for query in ["", "concerto", "music OR jazz", "history -music"] {
        for sort in [SortOrder::Relevance, SortOrder::Title, SortOrder::Date] {
            for view in [None, Some(code("C"))] {
                let mut search = request(query);
                search.sort = sort;
                search.view = view;
                search.page = 1;
                search.page_size = 13;
                searches.push(search);
            }
        }
    }
    let mut answers = Vec::new();
    // Whole segments on one thread; ranges of about 300 documents on 3 threads; ranges of
    // about 80 documents on 16 threads.
    for (threads, min_range_docs) in [(1, u32::MAX), (3, 300), (16, 1)] {
        catalogue.index.set_search_threads(threads).unwrap();
        catalogue.index.parallelism.min_range_docs = min_range_docs;
        let responses: Vec<SearchResponse> = searches
            .iter()
            .map(|search| catalogue.index.search(search).unwrap())
            .collect();
        answers.push(responses);
    }
    assert!(answers[0].iter().any(|response| response.total > 100));
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
}

/// The fixture catalogue with every `step`th document deleted.
fn catalogue_without_every(step: usize) -> Catalogue {
    let catalogue = catalogue();
    let mut indexer = catalogue.index.indexer(1, 15_000_000).unwrap();
    for document in catalogue.documents.iter().step_by(step) {
        indexer.delete(document.bib_id);
    }
    indexer.commit().unwrap();
    catalogue.index.reload().unwrap();
    catalogue
}

/// The plain keyword searches the windowed evaluation runs: one word, several, with facet
/// selections, in member views, deep pages, unknown words, an exact title.
fn plain_searches(catalogue: &Catalogue) -> Vec<SearchRequest> {
    let exact_title = catalogue
        .documents
        .iter()
        .map(|document| document.title.trim())
        .find(|title| {
            title.split_whitespace().count() >= 2
                && title
                    .split_whitespace()
                    .all(|word| word.chars().all(char::is_alphanumeric))
        })
        .expect("a title of plain words")
        .to_owned();
    let queries = [
        "concerto",
        "music",
        "history",
        "the",
        "Müller",
        "muller",
        "concertos",
        "piano concerto",
        "jazz history",
        "music the of",
        "zzzqqqx",
        "concerto zzzqqqx",
        exact_title.as_str(),
    ];
    let mut searches = Vec::new();
    for query in queries {
        for view in [None, Some(code("A")), Some(code("C"))] {
            for filters in [
                Vec::new(),
                vec![(FacetField::Member, "B".to_owned())],
                vec![
                    (FacetField::Member, "A".to_owned()),
                    (FacetField::Member, "C".to_owned()),
                    (FacetField::Language, "eng".to_owned()),
                ],
                vec![(
                    FacetField::AvailableNow,
                    crate::searcher::AVAILABLE.to_owned(),
                )],
            ] {
                for (page, page_size) in [(0, 20), (2, 7)] {
                    let mut search = request(query);
                    search.view = view.clone();
                    search.filters = filters.clone();
                    search.page = page;
                    search.page_size = page_size;
                    searches.push(search);
                }
            }
        }
    }
    searches
}

/// `search`'s answer by the general query, after checking that the fastest evaluation gives
/// the same.
fn fastest_as_general(index: &SearchIndex, search: &SearchRequest) -> SearchResponse {
    use crate::searcher::Evaluation;
    let fastest = index.search_with(search, Evaluation::Fastest).unwrap();
    let general = index.search_with(search, Evaluation::General).unwrap();
    assert_eq!(fastest, general, "{search:?}");
    general
}

#[test]
fn plain_keyword_searches_answer_as_the_general_query_does() {
    // Delete a few documents so that deletions are skipped by both.
    let mut catalogue = catalogue_without_every(17);
    let searches = plain_searches(&catalogue);
    assert!(
        searches
            .iter()
            .all(|search| catalogue.index.plain_query(search).is_some())
    );
    for (threads, min_range_docs) in [(1, u32::MAX), (3, 300), (16, 1)] {
        catalogue.index.set_search_threads(threads).unwrap();
        catalogue.index.parallelism.min_range_docs = min_range_docs;
        let mut broad = 0;
        for search in &searches {
            let general = fastest_as_general(&catalogue.index, search);
            if general.total > 25 {
                broad += 1;
            }
        }
        assert!(broad > 20, "{broad} broad searches");
    }
    // Not plain: fields, phrases, operators, punctuation, advanced-search fields, other sorts.
    for query in [
        "title:concerto",
        "\"piano concerto\"",
        "piano OR jazz",
        "-music",
        "o'brien",
    ] {
        assert!(
            catalogue.index.plain_query(&request(query)).is_none(),
            "{query}"
        );
    }
    let mut fielded = request("concerto");
    fielded.fielded = vec![("author".to_owned(), "mozart".to_owned())];
    assert!(catalogue.index.plain_query(&fielded).is_none());
}

#[test]
fn searches_of_broad_words_answer_from_their_summaries_as_the_general_query_does() {
    let mut catalogue = catalogue_without_every(17);
    let mut searches = Vec::new();
    for query in [
        "the",
        "music",
        "history",
        "concerto",
        "concertos",
        "Müller",
        "muller",
        "zzzqqqx",
        "piano concerto",
        "jazz history",
        "music the of",
        "concerto zzzqqqx",
    ] {
        for view in [None, Some(code("A")), Some(code("C"))] {
            for (page, page_size) in [(0, 1), (0, 5), (1, 3), (0, 20), (2, 7)] {
                let mut search = request(query);
                search.view = view.clone();
                search.page = page;
                search.page_size = page_size;
                searches.push(search);
            }
        }
    }
    let compare = |catalogue: &Catalogue| {
        for search in &searches {
            fastest_as_general(&catalogue.index, search);
        }
    };
    let (mut from_candidates, mut ranked_in_full) = (0, 0);
    for (round, candidates) in [8, 30, 1024].into_iter().enumerate() {
        // Every word summarised wherever a segment has it.
        let mut broad_words = crate::broad_words::BroadWords::default();
        broad_words.min_postings = 1;
        broad_words.share = u32::MAX;
        broad_words.candidates = candidates;
        catalogue.index.broad_words = broad_words;
        compare(&catalogue);
        assert!(catalogue.index.broad_word_summaries().kept > 0);
        // Deleted after the summaries were made: taken off their counts, and their candidates
        // left out.
        let mut indexer = catalogue.index.indexer(1, 15_000_000).unwrap();
        // The best of a word's candidates deleted: the next best are not candidates, so the
        // segment is ranked in full.
        for word in ["music", "the"] {
            let mut best = request(word);
            best.page_size = 8;
            for hit in catalogue.index.search(&best).unwrap().hits {
                indexer.delete(hit.bib_id);
            }
        }
        indexer.commit().unwrap();
        catalogue.index.reload().unwrap();
        compare(&catalogue);
        for document in catalogue.documents.iter().skip(round).step_by(5) {
            indexer.delete(document.bib_id);
        }
        indexer.commit().unwrap();
        catalogue.index.reload().unwrap();
        compare(&catalogue);
        // Bibs added: the statistics every score is made from move.
        for (number, document) in catalogue.documents.iter().take(60).enumerate() {
            let mut added = document.clone();
            added.bib_id = 1_000_000 * (round as i64 + 1) + number as i64;
            indexer.add(&added).unwrap();
        }
        indexer.commit().unwrap();
        catalogue.index.reload().unwrap();
        compare(&catalogue);
        let counts = catalogue.index.broad_word_summaries();
        from_candidates += counts.from_candidates;
        ranked_in_full += counts.ranked_in_full;
    }
    // Both ways of ranking a segment were taken.
    assert!(from_candidates > 100, "{from_candidates} from candidates");
    assert!(ranked_in_full > 10, "{ranked_in_full} ranked in full");
}

#[test]
fn a_summarised_words_other_matches_overtake_its_candidates_when_the_statistics_move() {
    // "Zebra" in the titles of ten bibs, and as the subject of ten that score less at first.
    let mut documents = Vec::new();
    for id in 1..=10 {
        documents.push(document_from_record(
            id,
            &titled_record("Zebra stripes"),
            Vec::new(),
        ));
    }
    for id in 11..=20 {
        let mut document =
            document_from_record(id, &titled_record("Animals of the plains"), Vec::new());
        document.subjects = vec!["Zebra".to_owned()];
        documents.push(document);
    }
    let mut index = index_of(documents);
    index.broad_words.min_postings = 1;
    index.broad_words.share = u32::MAX;
    index.broad_words.candidates = 5;
    let mut search = request("zebra");
    search.page_size = 3;
    let answer = |index: &SearchIndex| ids(&fastest_as_general(index, &search));
    assert_eq!(answer(&index), [1, 2, 3]);
    assert_eq!(index.broad_word_summaries().from_candidates, 1);
    // Three hundred more titles with the word: a title's "zebra" now weighs little, a
    // subject's more, and the subjects the summary did not keep come first.
    let mut indexer = index.indexer(1, 15_000_000).unwrap();
    for id in 1_000..1_300 {
        let record = titled_record("Zebra crossings and other road markings");
        indexer
            .add(&document_from_record(id, &record, Vec::new()))
            .unwrap();
    }
    indexer.commit().unwrap();
    index.reload().unwrap();
    assert_eq!(answer(&index), [11, 12, 13]);
    assert_eq!(index.broad_word_summaries().ranked_in_full, 1);
}

#[test]
fn searches_sharing_a_pass_answer_as_each_would_alone() {
    use crate::searcher::Evaluation;
    let mut catalogue = catalogue_without_every(13);
    catalogue.index.set_search_threads(2).unwrap();
    let searches = plain_searches(&catalogue);
    let expected: Vec<SearchResponse> = searches
        .iter()
        .map(|search| {
            catalogue
                .index
                .search_with(search, Evaluation::General)
                .unwrap()
        })
        .collect();
    let shared = &catalogue.index.parallelism.shared;
    catalogue
        .index
        .set_pass_sharing(crate::shared_pass::PassSharing::Always);
    // Every search at once, held back until all are queued: one sweep takes them all (up to
    // the most a sweep holds), then the rest as room frees.
    let index = &catalogue.index;
    shared.hold(true);
    std::thread::scope(|scope| {
        let answers: Vec<_> = searches
            .iter()
            .zip(&expected)
            .map(|(search, expected)| {
                scope.spawn(move || {
                    let answer = index.search(search).unwrap();
                    assert_eq!(&answer, expected, "{search:?}");
                })
            })
            .collect();
        while shared.waiting() < searches.len() {
            std::thread::yield_now();
        }
        shared.hold(false);
        for answer in answers {
            answer.join().unwrap();
        }
    });
    let counts = index.shared_pass_counts();
    assert_eq!(counts.searches, searches.len());
    assert_eq!(counts.largest, crate::shared_pass::MAX_PASS_SEARCHES);
    // Searches from several threads without holding: sweeps take whatever is waiting.
    std::thread::scope(|scope| {
        for thread in 0..6 {
            let searches = &searches;
            let expected = &expected;
            scope.spawn(move || {
                for (search, expected) in searches.iter().zip(expected).skip(thread).step_by(6) {
                    assert_eq!(&index.search(search).unwrap(), expected, "{search:?}");
                }
            });
        }
    });
    assert_eq!(index.shared_pass_counts().searches, 2 * searches.len());
}

#[test]
fn searches_joining_a_sweep_inside_a_segment_answer_as_each_would_alone() {
    use crate::searcher::Evaluation;
    use crate::windowed::WINDOW;
    // Segments of several windows each (the fixture records over and over, each copy a bib of
    // its own), so that a search can join a sweep inside one and read its start last.
    let templates = load_documents();
    let directory = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open_or_create(directory.path()).unwrap();
    index.set_search_threads(2).unwrap();
    let mut indexer = index.indexer(1, 50_000_000).unwrap();
    let mut number = 0;
    for size in [3 * WINDOW as usize + 100, WINDOW as usize + 7] {
        for _ in 0..size {
            let mut document = templates[number % templates.len()].clone();
            document.bib_id = 100_000 + number as i64;
            document.holdings = synthetic_holdings(number);
            indexer.add(&document).unwrap();
            number += 1;
        }
        indexer.commit().unwrap();
    }
    index.reload().unwrap();
    let mut searches = Vec::new();
    for query in [
        "music",
        "concerto",
        "the",
        "history jazz",
        "piano concerto",
        "zzzqqqx",
    ] {
        for view in [None, Some(code("A")), Some(code("C"))] {
            let mut search = request(query);
            search.view = view;
            search.page_size = 7;
            searches.push(search);
        }
    }
    let expected: Vec<SearchResponse> = searches
        .iter()
        .map(|search| index.search_with(search, Evaluation::General).unwrap())
        .collect();
    assert!(
        expected
            .iter()
            .any(|answer| answer.total > u64::from(WINDOW))
    );
    index.set_pass_sharing(crate::shared_pass::PassSharing::Always);
    // Searches from several threads at once join the sweeps wherever they are; rounds until
    // some have joined inside a segment (nearly always the first).
    for _round in 0..50 {
        std::thread::scope(|scope| {
            for thread in 0..6 {
                let (index, searches, expected) = (&index, &searches, &expected);
                scope.spawn(move || {
                    for (search, expected) in searches.iter().zip(expected).skip(thread).step_by(3)
                    {
                        assert_eq!(&index.search(search).unwrap(), expected, "{search:?}");
                    }
                });
            }
        });
        if index.shared_pass_counts().joined_midway > 0 {
            break;
        }
    }
    assert!(index.shared_pass_counts().joined_midway > 0);
}

#[test]
fn accents_given_apart_from_their_letters_are_found_as_patrons_type_them() {
    // MARC-8 records (converted as yaz does) give each accent as a combining character after
    // its letter; patrons type the composed letter, or none.
    let index = titled_index(&[(1, "Bibliothe\u{300}que de Que\u{301}bec", Vec::new())]);
    for query in [
        "Bibliothèque de Québec",
        "bibliotheque quebec",
        "Bibliothe\u{300}que Que\u{301}bec",
        "title:québec",
    ] {
        let found = index.search(&request(query)).unwrap();
        assert_eq!(ids(&found), [1], "{query:?}");
    }
}

#[test]
fn words_with_marks_of_their_own_are_found_whole() {
    // Library of Congress romanisation joins letters with ligature halves that have no composed
    // form; Devanagari spells words with vowel signs and viramas; Greek capitals lose their
    // accents and end in Σ where the lower case ends in ς.
    let titles = [
        (1, "Zhizn\u{FE20}\u{FE21} t\u{FE20}s\u{FE21}arei"),
        (2, "नेपाली भाषा क्या हो"),
        (3, "Η ιστορία του Παπαδόπουλος"),
        // Pointed Hebrew and vowelled Arabic, with a tatweel: patrons type them plain.
        (4, "סֵפֶר הַשִּׁירִים"),
        (5, "كِتَابُ الأغـانـي"),
        (6, "ספר הזכרונות"),
    ];
    let index = titled_index(&titles.map(|(id, title)| (id, title, Vec::new())));
    for (query, expected) in [
        ("zhizn tsarei", 1),
        ("Zhizn\u{FE20}\u{FE21} t\u{FE20}s\u{FE21}arei", 1),
        ("title:tsarei", 1),
        ("नेपाली भाषा", 2),
        ("क्या", 2),
        ("ΠΑΠΑΔΟΠΟΥΛΟΣ", 3),
        ("ιστορια", 3),
        ("השירים", 4),
        ("הַזִּכְרוֹנוֹת", 6),
        ("كتاب", 5),
        ("الاغاني", 5),
        ("كِتَاب", 5),
    ] {
        let found = index.search(&request(query)).unwrap();
        assert_eq!(ids(&found), [expected], "{query:?}");
    }
    // Marks do not glue words to their neighbours: a piece is not a word.
    assert_eq!(index.search(&request("भा")).unwrap().total, 0);
    assert_eq!(index.search(&request("ts")).unwrap().total, 0);
}

/// An index of bibs with the given titles and holdings.
fn titled_index(bibs: &[(i64, &str, Vec<Holding>)]) -> SearchIndex {
    index_of(bibs.iter().map(|(id, title, holdings)| {
        document_from_record(*id, &titled_record(title), holdings.clone())
    }))
}

/// An index of `documents`, in that order, in one commit.
fn index_of(documents: impl IntoIterator<Item = BibDocument>) -> SearchIndex {
    let index = SearchIndex::create_in_ram().unwrap();
    let mut indexer = index.indexer(1, 15_000_000).unwrap();
    for document in documents {
        indexer.add(&document).unwrap();
    }
    indexer.commit().unwrap();
    index.reload().unwrap();
    index
}

#[test]
fn titles_are_offered_from_a_word_inside_them_as_it_is_typed() {
    let shelf = |visible| vec![holding("A", "A-MAIN", "available", visible)];
    let index = titled_index(&[
        (1, "Pride and prejudice", shelf(true)),
        // Another edition: one title of two bibs.
        (2, "Pride and prejudice", shelf(true)),
        (3, "Prejudice and the press", shelf(true)),
        (4, "Sense and sensibility", shelf(true)),
        // Only A's own view sees it.
        (5, "The secret prejudices of cats", shelf(false)),
        (6, "Running with scissors", shelf(true)),
    ]);
    let offered = |typed: &str, view: Option<&Code>| -> Vec<(String, u64)> {
        index
            .suggested_titles(typed, view, 20, 4)
            .unwrap()
            .into_iter()
            .map(|title| (title.title, title.count))
            .collect()
    };
    let title = |text: &str, count: u64| (text.to_owned(), count);
    // The titles beginning with the text first, then those with a word beginning so.
    assert_eq!(
        offered("prejud", None),
        [
            title("Prejudice and the press", 1),
            title("Pride and prejudice", 2)
        ]
    );
    // In A's own view the bib it keeps back too; counted there only.
    let a = code("A");
    assert!(
        offered("prejud", Some(&a)).contains(&title("The secret prejudices of cats", 1)),
        "{:?}",
        offered("prejud", Some(&a))
    );
    // Every word typed before the last is in the title.
    assert_eq!(
        offered("pride prej", None),
        [title("Pride and prejudice", 2)]
    );
    assert_eq!(
        offered("with sciss", None),
        [title("Running with scissors", 1)]
    );
    // Typed past the word's stem: "runni" for "running", indexed as "run".
    assert_eq!(
        offered("scissors runni", None),
        [title("Running with scissors", 1)]
    );
    // A title offered for its beginning is not offered again for a word inside it.
    assert_eq!(offered("sens", None), [title("Sense and sensibility", 1)]);
    assert!(offered("zebra", None).is_empty());
    assert!(offered("pride zebr", None).is_empty());
}

#[test]
fn a_search_that_finds_nothing_suggests_the_catalogues_spelling() {
    let shelf = || vec![holding("A", "A-MAIN", "available", true)];
    let mut bibs = vec![
        (1, "Harry Potter and the chamber of secrets", shelf()),
        (2, "Harry Potter and the prisoner of Azkaban", shelf()),
        (3, "Photosynthesis explained", shelf()),
        (4, "Hary János : a Hungarian opera", shelf()),
        // Only member C's hidden copy: other members' views do not see it.
        (
            5,
            "Secret ledgers of the Zollverein",
            vec![holding("C", "C-MAIN", "available", false)],
        ),
        (6, "Le siècle des Lumières", shelf()),
    ];
    for id in 10..60 {
        bibs.push((id, "The Harry Hill joke book", shelf()));
    }
    let index = titled_index(&bibs);
    let suggested = |request: &SearchRequest| {
        let response = index.search(request).unwrap();
        (
            response.total,
            response.suggestion.map(|s| (s.query, s.total)),
        )
    };
    // A misspelt word nobody's record holds: one edit (a swap counts as one), or two in a long
    // word. Case, accents and the words around it are kept as typed.
    assert_eq!(
        suggested(&request("Pottre prisoner")),
        (0, Some(("potter prisoner".to_owned(), 1)))
    );
    assert_eq!(
        suggested(&request("Harry Poter")),
        (0, Some(("Harry potter".to_owned(), 2)))
    );
    assert_eq!(
        suggested(&request("fotosynthesis")),
        (0, Some(("photosynthesis".to_owned(), 1)))
    );
    assert_eq!(
        suggested(&request("title:Pottr AND chamber")),
        (0, Some(("title:potter AND chamber".to_owned(), 1)))
    );
    // A rare word that is right keeps its matches unless a neighbour is far more common:
    // "hary" (1 bib) against "harry" (52).
    assert_eq!(
        suggested(&request("hary")),
        (1, Some(("harry".to_owned(), 52)))
    );
    assert_eq!(suggested(&request("hary janos")), (1, None));
    // A search that finds enough gets none, nor one whose words have no better spelling.
    assert_eq!(suggested(&request("harry")).1, None);
    assert_eq!(suggested(&request("potter azkaban")), (1, None));
    assert_eq!(suggested(&request("xqzvw")), (0, None));
    // A suggestion writes the word as the records do, accents and all.
    assert_eq!(
        suggested(&request("sicele lumieres")),
        (0, Some(("siècle lumieres".to_owned(), 1)))
    );
    // Short words, numbers and operators are left alone.
    assert_eq!(suggested(&request("hil")), (0, None));
    // The suggestion is counted with the same narrowing, and only offered when it finds more.
    let mut narrowed = request("Potter chambr");
    narrowed.filters = vec![(FacetField::Member, "A".to_owned())];
    assert_eq!(
        suggested(&narrowed),
        (0, Some(("Potter chamber".to_owned(), 1)))
    );
    narrowed.filters = vec![(FacetField::Member, "B".to_owned())];
    assert_eq!(suggested(&narrowed), (0, None));
    // A word only a hidden copy holds is suggested only where that copy is seen: not in the
    // consortium's view nor another member's, but in its own member's.
    assert_eq!(suggested(&request("Zolverein")), (0, None));
    let mut in_view = request("Zolverein");
    in_view.view = Some(code("A"));
    assert_eq!(suggested(&in_view), (0, None));
    in_view.view = Some(code("C"));
    assert_eq!(suggested(&in_view), (0, Some(("zollverein".to_owned(), 1))));
}

#[test]
fn an_index_made_with_other_fields_is_made_anew() {
    let directory = tempfile::tempdir().unwrap();
    {
        let mut builder = tantivy::schema::Schema::builder();
        let title = builder.add_text_field("title", tantivy::schema::TEXT);
        let index = tantivy::Index::create_in_dir(directory.path(), builder.build()).unwrap();
        let mut writer: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
        writer
            .add_document(tantivy::doc!(title => "an old document"))
            .unwrap();
        writer.commit().unwrap();
    }
    let index = SearchIndex::open_or_create(directory.path()).unwrap();
    assert_eq!(index.document_count(), 0);
    assert_eq!(index.applied_change_seq().unwrap(), 0);
    // And it holds documents as a new one does, kept when opened again.
    let mut indexer = index.indexer(1, 15_000_000).unwrap();
    let record =
        concord_marc::Record::new(concord_marc::Leader::parse("00000nam a2200000 a 4500").unwrap());
    indexer
        .add(&document_from_record(7, &record, Vec::new()))
        .unwrap();
    indexer.commit().unwrap();
    drop(indexer);
    drop(index);
    let reopened = SearchIndex::open_or_create(directory.path()).unwrap();
    assert_eq!(reopened.document_count(), 1);
}

#[test]
fn titles_in_scripts_without_spaces_are_found_by_any_part_and_in_their_own_script() {
    let index = titled_index(&[
        (1, "北京妇女发展报告", Vec::new()),
        (2, "火山灰地を読む", Vec::new()),
        (3, "한국 문학의 이해", Vec::new()),
        (4, "北京大学", Vec::new()),
        (6, "한국문학사", Vec::new()),
        (7, "ภาษาไทยสำหรับชาวต่างประเทศ", Vec::new()),
        (8, "ប្រវត្តិសាស្ត្រខ្មែរ", Vec::new()),
    ]);
    // A record romanised in its 245 and 100, with the same in Chinese in linked 880s.
    let mut record =
        concord_marc::Record::new(concord_marc::Leader::parse("00000nam a2200000 a 4500").unwrap());
    let field = |tag: &str, subfields: &[(char, &str)]| data_field(tag, ('1', '0'), subfields);
    record.push_data(field("100", &[('6', "880-01"), ('a', "Liu, Xugong.")]));
    record.push_data(field(
        "245",
        &[('6', "880-02"), ('a', "Che piao qu na er le /")],
    ));
    record.push_data(field("880", &[('6', "100-01/$1"), ('a', "刘旭恭.")]));
    record.push_data(field(
        "880",
        &[
            ('6', "245-02/$1"),
            ('a', "车票去哪儿了 /"),
            ('c', "刘旭恭著绘."),
        ],
    ));
    let mut indexer = index.indexer(1, 15_000_000).unwrap();
    indexer
        .add(&document_from_record(5, &record, Vec::new()))
        .unwrap();
    indexer.commit().unwrap();
    index.reload().unwrap();
    for (query, expected) in [
        ("妇女", vec![1]),
        ("北京妇女", vec![1]),
        ("发展报告", vec![1]),
        ("北京", vec![1, 4]),
        ("title:大学", vec![4]),
        ("火山灰地", vec![2]),
        ("読む", vec![2]),
        ("문학의", vec![3]),
        // Korean spaced as the patron likes, not as the record does.
        ("한국문학", vec![3, 6]),
        ("한국 문학", vec![3, 6]),
        ("\"한국 문학\"", vec![3, 6]),
        ("국문", vec![3, 6]),
        ("문학의이해", vec![3]),
        ("한국문학의", vec![3]),
        ("한국 학사", vec![6]),
        ("문학의 한국", vec![3]),
        // Thai and Khmer write words without spaces too.
        ("ภาษาไทย", vec![7]),
        ("ต่างประเทศ", vec![7]),
        ("ภาษาไทย ต่างประเทศ", vec![7]),
        ("ไทยภาษา", vec![]),
        ("ខ្មែរ", vec![8]),
        ("ប្រវត្តិសាស្ត្រ", vec![8]),
        ("车票", vec![5]),
        ("去哪儿", vec![5]),
        ("author:刘旭恭", vec![5]),
        ("che piao", vec![5]),
        // One character finds every title with it.
        ("京", vec![1, 4]),
        ("title:学", vec![4]),
        ("灰", vec![2]),
        // Characters apart in the title are not in a row in it.
        ("京发", vec![]),
        ("北妇", vec![]),
    ] {
        let found = index.search(&request(query)).unwrap();
        let mut found = ids(&found);
        found.sort_unstable();
        assert_eq!(found, expected, "{query:?}");
    }
    // The romanised heading stays the main author; the name in its own script is an author too.
    let found = index.search(&request("车票")).unwrap();
    assert_eq!(
        found.hits.first().and_then(|hit| hit.author.as_deref()),
        Some("Liu, Xugong")
    );
}

#[test]
fn a_word_in_more_than_a_hundred_bibs_is_taken_as_meant() {
    // "hill" against "hall", twenty times as common or more: a rare "hill" may be a slip of
    // "hall", a common one is meant.
    let suggested = |hills: i64| {
        let mut bibs: Vec<(i64, &str, Vec<Holding>)> = (0..hills)
            .map(|id| (id, "Hill walking", Vec::new()))
            .collect();
        bibs.extend((10_000..12_100).map(|id| (id, "Hall of fame", Vec::new())));
        let index = titled_index(&bibs);
        index
            .search(&request("hill fame"))
            .unwrap()
            .suggestion
            .map(|suggestion| suggestion.query)
    };
    assert_eq!(suggested(100), Some("hall fame".to_owned()));
    assert_eq!(suggested(101), None);
}

#[test]
fn bibs_that_tie_come_by_bib_id_wherever_the_index_keeps_them() {
    use crate::searcher::Evaluation;
    // Nine bibs alike in everything a sort looks at, written in another order, three commits
    // (three segments), then the first rewritten into a segment of its own: tantivy keeps
    // them in none of the orders a patron could page through.
    let mut index = SearchIndex::create_in_ram().unwrap();
    let mut indexer = index.indexer(1, 15_000_000).unwrap();
    let record = titled_record("Jazz standards");
    for commit in [&[9, 3, 7][..], &[1, 8], &[5, 2, 6, 4], &[1]] {
        for id in commit {
            indexer
                .upsert(&document_from_record(*id, &record, Vec::new()))
                .unwrap();
        }
        indexer.commit().unwrap();
    }
    drop(indexer);
    index.reload().unwrap();
    // Ranges of one document, so that three threads cut every segment.
    index.parallelism.min_range_docs = 1;
    for threads in [1, 3] {
        index.set_search_threads(threads).unwrap();
        for sort in [
            SortOrder::Relevance,
            SortOrder::Title,
            SortOrder::Author,
            SortOrder::Date,
        ] {
            for evaluation in [Evaluation::Fastest, Evaluation::General] {
                let mut paged = Vec::new();
                for page in 0..4 {
                    let mut search = request("jazz");
                    search.sort = sort;
                    search.page = page;
                    search.page_size = 3;
                    let found = index.search_with(&search, evaluation).unwrap();
                    assert_eq!(found.total, 9);
                    paged.extend(ids(&found));
                }
                assert_eq!(
                    paged,
                    (1..=9).collect::<Vec<i64>>(),
                    "{sort:?} {evaluation:?} {threads} threads"
                );
            }
        }
    }
}

#[test]
fn the_bibs_a_view_sees_are_listed_by_id_for_sitemaps() {
    let index = titled_index(&[
        (120_000, "Far away", Vec::new()),
        (3, "Three", vec![holding("A", "A-MAIN", "available", true)]),
        (
            7,
            "Kept back",
            vec![holding("C", "C-MAIN", "available", false)],
        ),
        (1, "One", Vec::new()),
        (9, "Withdrawn", Vec::new()),
    ]);
    let mut indexer = index.indexer(1, 15_000_000).unwrap();
    indexer.delete(9);
    indexer.commit().unwrap();
    index.reload().unwrap();
    // The consortium's view: not the bib only C's hidden copy holds, nor the deleted one.
    assert_eq!(
        index.visible_bib_ids(None, i64::MIN, 10).unwrap(),
        [1, 3, 120_000]
    );
    assert_eq!(index.visible_bib_ids(None, 2, 1).unwrap(), [3]);
    assert_eq!(index.visible_bib_ids(None, 2, 2).unwrap(), [3, 120_000]);
    assert_eq!(
        index.visible_bib_ids(None, 120_001, 5).unwrap(),
        Vec::<i64>::new()
    );
    assert_eq!(index.visible_bib_id_starts(None, 2).unwrap(), [1, 120_000]);
    assert_eq!(index.visible_bib_id_starts(None, 3).unwrap(), [1]);
    assert_eq!(
        index.visible_bib_id_starts(None, 1).unwrap(),
        [1, 3, 120_000]
    );
    // C's own view sees its hidden copy's bib too.
    assert_eq!(
        index.visible_bib_ids(Some(&code("C")), 0, 100).unwrap(),
        [1, 3, 7, 120_000]
    );
}

#[test]
fn a_suggestion_writes_a_word_as_most_records_do() {
    // The first record holding "siecle" has it only in a subject; the next writes it without
    // its accent; the two after with it.
    let mut annals = titled_record("Annals");
    annals.push_data(data_field("650", (' ', '0'), &[('a', "Siècle d'or")]));
    let titled = [
        (2, "Le siecle des lumieres"),
        (3, "Le siècle de Louis XIV"),
        (4, "Un siècle d'histoire"),
    ]
    .map(|(id, title)| document_from_record(id, &titled_record(title), Vec::new()));
    let index =
        index_of(std::iter::once(document_from_record(1, &annals, Vec::new())).chain(titled));
    let suggestion = index.search(&request("sicele")).unwrap().suggestion;
    assert_eq!(
        suggestion.map(|s| (s.query, s.total)),
        Some(("siècle".to_owned(), 4))
    );
}

#[test]
fn recently_added_bibs_come_first() {
    use crate::searcher::Evaluation;
    let index = index_of(
        [
            (1, Some(100)),
            (2, Some(300)),
            (3, None),
            (4, Some(300)),
            (5, Some(200)),
        ]
        .map(|(id, added)| BibDocument {
            added,
            ..document_from_record(id, &titled_record("Atlas of the sky"), Vec::new())
        }),
    );
    let mut search = request("atlas");
    search.sort = SortOrder::Added;
    for evaluation in [Evaluation::Fastest, Evaluation::General] {
        let found = index.search_with(&search, evaluation).unwrap();
        // Added in the same second: the newer bib first; never said: last.
        assert_eq!(ids(&found), [4, 2, 5, 1, 3], "{evaluation:?}");
        assert_eq!(found.hits[0].added, Some(300));
        assert_eq!(found.hits[4].added, None);
    }
}

#[test]
fn recently_added_among_a_members_titles_is_by_when_it_added_them() {
    use crate::document::MemberAdded;
    let added = |member: &str, own: i64, seen_by_all: Option<i64>| MemberAdded {
        member: code(member),
        own,
        seen_by_all,
    };
    // Bib 1: new everywhere (B's copy at 500). Bib 2: A's copy at 400, B's at 100. Bib 3: A's
    // copy seen by all at 200, a copy A keeps back at 600. Bib 4: B's only.
    let documents = [
        (1, 500, vec![added("B", 500, Some(500))]),
        (
            2,
            400,
            vec![added("A", 400, Some(400)), added("B", 100, Some(100))],
        ),
        (3, 200, vec![added("A", 600, Some(200))]),
        (4, 300, vec![added("B", 300, Some(300))]),
    ]
    .map(|(id, at, member_added)| {
        let holdings = member_added
            .iter()
            .map(|m| holding(m.member.as_str(), "X-MAIN", "available", true))
            .collect();
        BibDocument {
            added: Some(at),
            member_added,
            ..document_from_record(id, &titled_record("Atlas of the sky"), holdings)
        }
    });
    let index = index_of(documents);
    let mut search = request("atlas");
    search.sort = SortOrder::Added;
    // Everyone's order: by the newest copy any member may see.
    let found = index.search(&search).unwrap();
    assert_eq!(ids(&found), [1, 2, 4, 3]);
    // A's titles, as other members know them: bib 3 by its copy seen by all, at 200.
    search.filters = vec![(FacetField::Member, "A".to_owned())];
    let found = index.search(&search).unwrap();
    assert_eq!(ids(&found), [2, 3]);
    assert_eq!(
        found.hits.iter().map(|hit| hit.added).collect::<Vec<_>>(),
        [Some(400), Some(200)]
    );
    // In A's own view its kept-back copy counts: bib 3 first ("new at our library").
    search.view = Some(code("A"));
    let found = index.search(&search).unwrap();
    assert_eq!(ids(&found), [3, 2]);
    assert_eq!(found.hits[0].added, Some(600));
    // B's titles: bib 2 is old news at B.
    search.view = None;
    search.filters = vec![(FacetField::Member, "B".to_owned())];
    assert_eq!(ids(&index.search(&search).unwrap()), [1, 4, 2]);
    // Two members selected: everyone's order.
    search.filters.push((FacetField::Member, "A".to_owned()));
    assert_eq!(ids(&index.search(&search).unwrap()), [1, 2, 4, 3]);
}

/// A data field to build a record from: tag, indicators, subfields.
type FieldSpec<'a> = (&'a str, (char, char), &'a [(char, &'a str)]);

#[test]
fn a_works_other_editions_translations_and_formats_are_found_by_title_and_name() {
    let record = |leader: &str, fields: &[FieldSpec<'_>]| {
        let mut record = concord_marc::Record::new(concord_marc::Leader::parse(leader).unwrap());
        for (tag, indicators, subfields) in fields {
            record.push_data(data_field(tag, *indicators, subfields));
        }
        record
    };
    let book = "00000nam a2200000 a 4500";
    let film = "00000ngm a2200000 a 4500";
    let austen: FieldSpec<'_> = ("100", ('1', ' '), &[('a', "Austen, Jane,")]);
    let bibs = [
        (
            1,
            record(
                book,
                &[
                    austen,
                    ("245", ('1', '0'), &[('a', "Pride and prejudice /")]),
                    ("260", (' ', ' '), &[('c', "1813.")]),
                ],
            ),
            Vec::new(),
        ),
        // Its subtitle and the year differ; it is the same work.
        (
            2,
            record(
                book,
                &[
                    austen,
                    (
                        "245",
                        ('1', '0'),
                        &[('a', "Pride and prejudice :"), ('b', "a novel /")],
                    ),
                    ("260", (' ', ' '), &[('c', "1990.")]),
                ],
            ),
            Vec::new(),
        ),
        // A film: no main entry, the novelist among the added names, "&" for "and".
        (
            3,
            record(
                film,
                &[
                    ("245", ('0', '0'), &[('a', "Pride & prejudice")]),
                    ("260", (' ', ' '), &[('c', "2005.")]),
                    ("700", ('1', ' '), &[('a', "Wright, Joe,")]),
                    ("700", ('1', ' '), &[('a', "Austen, Jane,")]),
                ],
            ),
            Vec::new(),
        ),
        // Another work of hers, and another writer's book of the same title.
        (
            4,
            record(book, &[austen, ("245", ('1', '0'), &[('a', "Persuasion")])]),
            Vec::new(),
        ),
        (
            5,
            record(
                book,
                &[
                    ("100", ('1', ' '), &[('a', "Brown, Julia,")]),
                    ("245", ('1', '0'), &[('a', "Pride and prejudice")]),
                ],
            ),
            Vec::new(),
        ),
        // An edition only C's hidden copy holds.
        (
            6,
            record(
                book,
                &[
                    austen,
                    ("245", ('1', '4'), &[('a', "The pride and prejudice")]),
                    ("260", (' ', ' '), &[('c', "2010.")]),
                ],
            ),
            vec![holding("C", "C-MAIN", "available", false)],
        ),
        // A translation: its uniform title (240) is the original's title.
        (
            9,
            record(
                book,
                &[
                    austen,
                    (
                        "240",
                        ('1', '0'),
                        &[('a', "Pride and prejudice."), ('l', "French")],
                    ),
                    ("245", ('1', '0'), &[('a', "Orgueil et préjugés")]),
                    ("260", (' ', ' '), &[('c', "1932.")]),
                ],
            ),
            Vec::new(),
        ),
        // Titles without a name tie nothing together.
        (
            7,
            record(book, &[("245", ('0', '0'), &[('a', "Poems")])]),
            Vec::new(),
        ),
        (
            8,
            record(book, &[("245", ('0', '0'), &[('a', "Poems")])]),
            Vec::new(),
        ),
    ];
    let index = index_of(
        bibs.iter()
            .map(|(id, record, holdings)| document_from_record(*id, record, holdings.clone())),
    );
    let document = |id: i64| -> BibDocument {
        bibs.iter().find(|(bib, _, _)| *bib == id).map_or_else(
            || document_from_record(id, &titled_record("Unknown"), Vec::new()),
            |(id, record, holdings)| document_from_record(*id, record, holdings.clone()),
        )
    };
    let editions = |id: i64, view: Option<&str>| -> Vec<i64> {
        index
            .other_editions(&document(id), view.map(code).as_ref(), 10)
            .unwrap()
            .iter()
            .map(|hit| hit.bib_id)
            .collect()
    };
    // The newest first; the hidden edition only in its member's view.
    assert_eq!(editions(1, None), [3, 2, 9]);
    assert_eq!(editions(1, Some("C")), [6, 3, 2, 9]);
    assert_eq!(editions(3, None), [2, 9, 1]);
    assert_eq!(editions(9, None), [3, 2, 1]);
    assert_eq!(editions(4, None), Vec::<i64>::new());
    assert_eq!(editions(5, None), Vec::<i64>::new());
    assert_eq!(editions(7, None), Vec::<i64>::new());
    assert_eq!(editions(99, None), Vec::<i64>::new());
    assert_eq!(
        index.other_editions(&document(1), None, 1).unwrap().len(),
        1
    );
}

#[test]
fn a_parallel_text_is_found_and_counted_under_each_of_its_languages() {
    let record = |language_008: &str, fields: &[FieldSpec<'_>]| {
        let mut record = titled_record("Poèmes choisis");
        let mut field_008 = format!("{:<40}", "850101s1985    fr            000 1");
        field_008.replace_range(35..38, language_008);
        record.push_control(concord_marc::Tag::parse("008").unwrap(), field_008);
        for (tag, indicators, subfields) in fields {
            record.push_data(data_field(tag, *indicators, subfields));
        }
        record
    };
    let bibs = [
        // French with English on facing pages, the codes run together as older records do.
        record("fre", &[("041", ('0', ' '), &[('a', "freeng")])]),
        // An English translation of a Russian work: not in Russian.
        record("eng", &[("041", ('1', ' '), &[('a', "eng"), ('h', "rus")])]),
        // A terminology code in 008 and no 041.
        record("fra", &[]),
        // No language in 008: 041 says.
        record("   ", &[("041", ('0', ' '), &[('a', "ger"), ('a', "ita")])]),
    ];
    let index = index_of(
        bibs.iter()
            .zip(1..)
            .map(|(record, id)| document_from_record(id, record, Vec::new())),
    );
    let mut search = request("poemes");
    search.facets = vec![FacetField::Language];
    let found = index.search(&search).unwrap();
    let counts: BTreeMap<&str, u64> = found.facets[&FacetField::Language]
        .iter()
        .map(|count| (count.value.as_str(), count.count))
        .collect();
    assert_eq!(
        counts,
        [("eng", 2), ("fre", 2), ("ger", 1), ("ita", 1)].into()
    );
    // Each hit says its main language.
    let mut languages: Vec<(i64, Option<String>)> = found
        .hits
        .iter()
        .map(|hit| (hit.bib_id, hit.language.clone()))
        .collect();
    languages.sort();
    assert_eq!(
        languages,
        [
            (1, Some("fre".to_owned())),
            (2, Some("eng".to_owned())),
            (3, Some("fre".to_owned())),
            (4, Some("ger".to_owned())),
        ]
    );
    // Narrowing by a language finds every bib in it, whichever code the link gives.
    for (value, expected) in [
        ("eng", vec![1, 2]),
        ("fre", vec![1, 3]),
        ("FRA", vec![1, 3]),
        ("ita", vec![4]),
        ("rus", vec![]),
    ] {
        let mut narrowed = request("poemes");
        narrowed.filters = vec![(FacetField::Language, value.to_owned())];
        let mut found = ids(&index.search(&narrowed).unwrap());
        found.sort_unstable();
        assert_eq!(found, expected, "{value}");
    }
}

#[test]
fn headings_are_browsed_in_alphabetical_order_with_the_bibs_each_view_sees() {
    use crate::browse::{BrowseFrom, BrowseRequest, HeadingKind};
    let shelf = || vec![holding("A", "A-MAIN", "available", true)];
    let record = |title: &str, fields: &[FieldSpec<'_>]| {
        let mut record = titled_record(title);
        for (tag, indicators, subfields) in fields {
            record.push_data(data_field(tag, *indicators, subfields));
        }
        record
    };
    let bibs = [
        (
            1,
            record(
                "Symphonies",
                &[
                    ("700", ('1', ' '), &[('a', "Dvořák, Antonín,")]),
                    (
                        "650",
                        (' ', '0'),
                        &[('a', "Symphonies"), ('x', "Analysis, appreciation.")],
                    ),
                    (
                        "490",
                        ('0', ' '),
                        &[('a', "Masters of music ;"), ('v', "3")],
                    ),
                ],
            ),
            shelf(),
        ),
        (
            2,
            record(
                "Slavonic dances",
                &[
                    ("700", ('1', ' '), &[('a', "Dvorak, Antonin,")]),
                    ("650", (' ', '0'), &[('a', "Symphonies.")]),
                ],
            ),
            shelf(),
        ),
        (
            3,
            record(
                "Letters",
                &[
                    ("700", ('1', ' '), &[('a', "Dvořák, Antonín,")]),
                    (
                        "490",
                        ('0', ' '),
                        &[('a', "Masters of music ;"), ('v', "7")],
                    ),
                ],
            ),
            shelf(),
        ),
        (
            4,
            record(
                "A life",
                &[
                    ("700", ('1', ' '), &[('a', "Smith, John,")]),
                    ("700", ('1', ' '), &[('a', "Smithson, Ann,")]),
                ],
            ),
            shelf(),
        ),
        // Only member C sees this one.
        (
            5,
            record(
                "Local history",
                &[("700", ('1', ' '), &[('a', "Dvorak, Zoe,")])],
            ),
            vec![holding("C", "C-MAIN", "available", false)],
        ),
        (
            6,
            record(
                "Later",
                &[("700", ('1', ' '), &[('a', "Smith, John, 1950-")])],
            ),
            shelf(),
        ),
    ];
    let index = index_of(
        bibs.iter()
            .map(|(id, record, holdings)| document_from_record(*id, record, holdings.clone())),
    );
    let browse = |kind: HeadingKind, from: BrowseFrom, limit: usize, view: Option<&str>| {
        index
            .browse(&BrowseRequest {
                kind,
                from,
                limit,
                view: view.map(code),
            })
            .unwrap()
    };
    let listed = |page: &crate::browse::BrowsePage| -> Vec<(String, u64)> {
        page.headings
            .iter()
            .map(|found| (found.heading.clone(), found.count))
            .collect()
    };
    let text = |text: &str| BrowseFrom::Text(text.to_owned());

    // Typed in any case and without accents; "Dvorak" and "Dvořák" sort together.
    let page = browse(HeadingKind::Author, text("DVO"), 10, None);
    assert_eq!(
        listed(&page),
        [
            ("Dvorak, Antonin".to_owned(), 1),
            ("Dvořák, Antonín".to_owned(), 2),
            ("Smith, John".to_owned(), 1),
            ("Smith, John, 1950-".to_owned(), 1),
            ("Smithson, Ann".to_owned(), 1),
        ]
    );
    assert!(!page.earlier && !page.later);
    // C's view sees its own copy's author too.
    let page = browse(HeadingKind::Author, text("dvorak z"), 1, Some("C"));
    assert_eq!(listed(&page), [("Dvorak, Zoe".to_owned(), 1)]);
    assert!(page.earlier && page.later);

    // Paging on and back again.
    let first = browse(HeadingKind::Author, text(""), 2, None);
    assert_eq!(first.headings.len(), 2);
    assert!(!first.earlier && first.later);
    let second = browse(
        HeadingKind::Author,
        BrowseFrom::After(first.headings[1].key.clone()),
        2,
        None,
    );
    assert_eq!(
        listed(&second),
        [
            ("Smith, John".to_owned(), 1),
            ("Smith, John, 1950-".to_owned(), 1)
        ]
    );
    assert!(second.earlier && second.later);
    // Where the entries between the two pages start: the first page's last heading.
    assert_eq!(second.previous, Some(first.headings[1].key.clone()));
    let back = browse(
        HeadingKind::Author,
        BrowseFrom::Before(second.headings[0].key.clone()),
        2,
        None,
    );
    assert_eq!(back, first);
    // Past the end: nothing, and the way back.
    let end = browse(HeadingKind::Author, text("zz"), 2, None);
    assert!(end.headings.is_empty() && end.earlier && !end.later);

    // Subjects with their subdivisions, series without their numbers.
    let subjects = browse(HeadingKind::Subject, text("sym"), 10, None);
    assert_eq!(
        listed(&subjects),
        [
            ("Symphonies".to_owned(), 1),
            ("Symphonies -- Analysis, appreciation".to_owned(), 1),
        ]
    );
    let series = browse(HeadingKind::Series, text("masters"), 10, None);
    assert_eq!(listed(&series), [("Masters of music".to_owned(), 2)]);
    // A heading's key is the heading; only titles have another one.
    assert!(
        series
            .headings
            .iter()
            .all(|found| found.key == found.heading)
    );

    // Titles as they file, each named as its first bib gives it; a title with one bib leads
    // to it; C's own title only in C's view.
    let titles = browse(HeadingKind::Title, text("the later"), 3, None);
    assert_eq!(
        listed(&titles),
        [
            ("Later".to_owned(), 1),
            ("Letters".to_owned(), 1),
            ("Slavonic dances".to_owned(), 1)
        ]
    );
    assert_eq!(titles.headings[0].key, "later");
    assert_eq!(titles.headings[0].bib_id, Some(6));
    assert!(titles.earlier && titles.later);
    let in_c = browse(HeadingKind::Title, text("loc"), 1, Some("C"));
    assert_eq!(listed(&in_c), [("Local history".to_owned(), 1)]);
    let elsewhere = browse(HeadingKind::Title, text("loc"), 1, None);
    assert_eq!(listed(&elsewhere), [("Slavonic dances".to_owned(), 1)]);
    let back = browse(
        HeadingKind::Title,
        BrowseFrom::Before(titles.headings[0].key.clone()),
        1,
        None,
    );
    assert_eq!(listed(&back), [("A life".to_owned(), 1)]);
    assert_eq!(back.headings[0].key, "a life");

    // Each heading's search finds exactly the bibs counted.
    for (facet, heading, expected) in [
        (
            FacetField::SubjectHeading,
            "Symphonies -- Analysis, appreciation",
            vec![1],
        ),
        (FacetField::SubjectHeading, "Symphonies", vec![2]),
        (FacetField::SeriesHeading, "Masters of music", vec![1, 3]),
        (FacetField::Author, "Dvořák, Antonín", vec![1, 3]),
    ] {
        let mut search = request("");
        search.filters = vec![(facet, heading.to_owned())];
        let mut found = ids(&index.search(&search).unwrap());
        found.sort_unstable();
        assert_eq!(found, expected, "{heading}");
    }

    // A deleted bib is not counted.
    let mut indexer = index.indexer(1, 15_000_000).unwrap();
    indexer.delete(3);
    indexer.commit().unwrap();
    index.reload().unwrap();
    let series = browse(HeadingKind::Series, text("masters"), 10, None);
    assert_eq!(listed(&series), [("Masters of music".to_owned(), 1)]);
}

#[test]
fn a_title_is_browsed_and_offered_under_its_other_titles_too() {
    use crate::browse::{BrowseFrom, BrowseRequest, HeadingKind};
    let record = |title: &str, fields: &[FieldSpec<'_>]| {
        let mut record = titled_record(title);
        for (tag, indicators, subfields) in fields {
            record.push_data(data_field(tag, *indicators, subfields));
        }
        record
    };
    let shelf = || vec![holding("A", "A-MAIN", "available", true)];
    let index = index_of([
        document_from_record(
            1,
            &record(
                "Harry Potter and the sorcerer's stone",
                &[
                    (
                        "246",
                        ('3', '1'),
                        &[('a', "Harry Potter and the philosopher's stone")],
                    ),
                    // The 740's first indicator counts the article's characters.
                    ("740", ('4', '2'), &[('a', "The wizard's stone.")]),
                    // Filed as its own title: listed once.
                    (
                        "246",
                        ('3', '0'),
                        &[('a', "Harry Potter and the sorcerer's stone")],
                    ),
                ],
            ),
            shelf(),
        ),
        document_from_record(
            2,
            &record(
                "Hamlet, prince of Denmark",
                &[("240", ('1', '0'), &[('a', "Hamlet")])],
            ),
            shelf(),
        ),
        document_from_record(3, &record("Hamlet", &[]), shelf()),
    ]);
    let browse = |from: &str, limit: usize| {
        index
            .browse(&BrowseRequest {
                kind: HeadingKind::Title,
                from: BrowseFrom::Text(from.to_owned()),
                limit,
                view: None,
            })
            .unwrap()
            .headings
    };

    // Listed as the record writes it, saying whose other title it is, and leading to it.
    let variant = browse("harry potter and the p", 1);
    assert_eq!(
        variant[0].heading,
        "Harry Potter and the philosopher's stone"
    );
    assert_eq!(
        variant[0].other_title_of.as_deref(),
        Some("Harry Potter and the sorcerer's stone")
    );
    assert_eq!((variant[0].count, variant[0].bib_id), (1, Some(1)));
    let own = browse("harry potter and the s", 2);
    assert_eq!(own[0].heading, "Harry Potter and the sorcerer's stone");
    assert_eq!(own[0].other_title_of, None);
    // Without its article, under W.
    assert_eq!(own[1].heading, "The wizard's stone");
    let wizard = browse("wizard", 1);
    assert_eq!(wizard[0].heading, "The wizard's stone");
    assert_eq!(wizard[0].key, "wizard s stone");

    // A uniform title files with the editions titled so, and leads to them all.
    let hamlet = browse("hamlet", 2);
    assert_eq!(
        hamlet
            .iter()
            .map(|found| (found.heading.as_str(), found.count))
            .collect::<Vec<_>>(),
        [("Hamlet", 2), ("Hamlet, prince of Denmark", 1)]
    );
    assert_eq!((hamlet[0].bib_id, &hamlet[0].other_title_of), (None, &None));
    let mut search = request("");
    search.filters = vec![(FacetField::FilingTitle, hamlet[0].key.clone())];
    let mut found = ids(&index.search(&search).unwrap());
    found.sort_unstable();
    assert_eq!(found, [2, 3]);
    search.filters = vec![(FacetField::FilingTitle, wizard[0].key.clone())];
    assert_eq!(ids(&index.search(&search).unwrap()), [1]);

    // Typed with its article, it is offered too.
    let offered = index.suggested_titles("the wiz", None, 20, 4).unwrap();
    assert_eq!(offered.len(), 1, "{offered:?}");
    assert_eq!(offered[0].title, "The wizard's stone");
    assert_eq!(
        offered[0].other_title_of.as_deref(),
        Some("Harry Potter and the sorcerer's stone")
    );
    assert_eq!(offered[0].bib_id, Some(1));
}
