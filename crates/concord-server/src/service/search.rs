//! Catalogue search for everyone: keeps the search index following the store's change log,
//! rebuilds it, answers searches, and assembles the public record display with the holdings the
//! viewer may see.
//!
//! **Invariant:** the index's commit payload holds the change-log sequence number its documents
//! reach, written in the same commit as the documents. A fresh or rebuilt index, or a second
//! server with its own index, therefore catches up by reading the log from that number.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use concord_domain::calendar::Date;
use concord_domain::catalogue::{HiddenLocations, ItemStatus};
use concord_domain::codes::Code;
use concord_domain::ids::{BibId, BranchId, ItemId, MemberId};
use concord_domain::org::{Branch, Member};
use concord_marc::Record;
use concord_search::browse::{Relation, browse_key};
use concord_search::{
    BibDocument, BrowseFrom, BrowsePage, BrowseRequest, FacetField, HeadingKind, Holding, Indexer,
    MemberAdded, SearchError, SearchHit, SearchIndex, SearchRequest, SearchResponse,
    document_from_record, document_from_summary,
};
use concord_store::catalogue::{self as store, BibRow, ItemRow};
use tokio::sync::{Mutex, Notify};

use crate::Context;
use crate::service::catalogue::{LocationNames, UnreadableRecord, read_stored_record};
use crate::service::{ServiceError, ServiceResult};

/// How many log entries one catch-up step applies before committing.
const CHANGES_PER_COMMIT: i64 = 500;
/// How many bibs a rebuild reads from the store at a time.
const BIBS_PER_PAGE: i64 = 1000;
/// The follower looks at the log at least this often even when nobody woke it (changes written
/// by another server or by the command line).
const FOLLOW_INTERVAL: Duration = Duration::from_millis(500);

/// The least time between two catch-ups that changed the index. At a busy desk every loan is a
/// change, and an index commit after every few would compete with the store's own durable
/// commits for the disk; five a second at most still makes each change searchable well within
/// a second (changes arriving meanwhile are applied together by the next catch-up).
const MIN_COMMIT_INTERVAL: Duration = Duration::from_millis(200);
/// Indexing buffer of the follower's short-lived writer.
const FOLLOWER_HEAP_BYTES: usize = 20_000_000;

/// The search index of this server and what coordinates writing to it.
pub struct CatalogueSearch {
    index: SearchIndex,
    /// Rung after a catalogue commit so that the follower does not wait for its next tick.
    wake: Notify,
    /// One writer at a time (tantivy allows only one, and the follower and a rebuild may race).
    writing: Mutex<()>,
}

impl CatalogueSearch {
    /// What the index's shared search sweeps have done since it was opened.
    pub fn shared_pass_counts(&self) -> concord_search::SharedPassCounts {
        self.index.shared_pass_counts()
    }

    /// Which plain keyword searches share sweeps over the index (by default those that arrive
    /// while every search thread is busy).
    pub fn set_pass_sharing(&self, sharing: concord_search::PassSharing) {
        self.index.set_pass_sharing(sharing);
    }

    /// The index kept in `directory` (created when empty).
    pub fn open(directory: &Path) -> ServiceResult<CatalogueSearch> {
        std::fs::create_dir_all(directory).map_err(|error| {
            ServiceError::internal(format!(
                "cannot create the search index directory {}: {error}",
                directory.display()
            ))
        })?;
        Ok(CatalogueSearch::new(
            SearchIndex::open_or_create(directory).map_err(search_error)?,
        ))
    }

    /// A throwaway index in memory (tools and tests that do not keep one).
    pub fn in_memory() -> ServiceResult<CatalogueSearch> {
        Ok(CatalogueSearch::new(
            SearchIndex::create_in_ram().map_err(search_error)?,
        ))
    }

    fn new(index: SearchIndex) -> CatalogueSearch {
        CatalogueSearch {
            index,
            wake: Notify::new(),
            writing: Mutex::new(()),
        }
    }

    /// Tells the follower that the catalogue changed.
    pub fn catalogue_changed(&self) {
        self.wake.notify_one();
    }

    /// The change-log sequence number the index has applied.
    pub fn applied_change_seq(&self) -> ServiceResult<i64> {
        self.index.applied_change_seq().map_err(search_error)
    }

    /// How many bibs searches see.
    pub fn document_count(&self) -> u64 {
        self.index.document_count()
    }
}

/// How far the index has followed the change log: the sequence it has applied and the newest in
/// the store. Equal means every committed catalogue change is searchable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct IndexStatus {
    pub applied_change_seq: i64,
    pub latest_change_seq: i64,
    pub documents: u64,
}

pub async fn status(ctx: &Context) -> ServiceResult<IndexStatus> {
    let latest_change_seq = {
        let mut conn = ctx.store.read().await?;
        concord_store::catalogue::max_change_seq(&mut conn).await?
    };
    Ok(IndexStatus {
        applied_change_seq: ctx.search.applied_change_seq()?,
        latest_change_seq,
        documents: ctx.search.document_count(),
    })
}

fn search_error(error: SearchError) -> ServiceError {
    ServiceError::internal(error.to_string())
}

fn join_error(error: tokio::task::JoinError) -> ServiceError {
    ServiceError::internal(format!("search task: {error}"))
}

/// Runs a search on a blocking thread (tantivy does real work; the runtime's threads should not).
pub async fn search(ctx: &Context, request: SearchRequest) -> ServiceResult<SearchResponse> {
    let search = Arc::clone(&ctx.search);
    tokio::task::spawn_blocking(move || search.index.search(&request))
        .await
        .map_err(join_error)?
        .map_err(search_error)
}

/// A page of a browse list as a patron reads it: the headings, and between them the
/// cross-references of authority records whose headings the view has titles under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowseListing {
    /// The headings and where the pages either side start.
    pub page: BrowsePage,
    /// The headings and references in alphabetical order.
    pub entries: Vec<BrowseEntry>,
}

/// One line of a browse list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowseEntry {
    /// A heading and the titles the view has under it: what its search filter matches
    /// (`key`, a title's filing form) and, for a title with one bib, that bib; for a title
    /// listed under another title of its bib (a 246, 740 or uniform title), the bib's own.
    Heading {
        heading: String,
        key: String,
        count: u64,
        bib_id: Option<i64>,
        other_title_of: Option<String>,
    },
    /// A form a patron may look under (`from`) and a heading the catalogue uses instead
    /// ([`Relation::See`]) or as well (the other relations: how the heading relates to the
    /// one looked under), with the titles the view has under that heading.
    Reference {
        from: String,
        relation: Relation,
        heading: String,
        count: u64,
    },
}

/// The most cross-references a page reads from the store: a page spanning a stretch of a
/// large authority file whose headings the catalogue does not use stops there.
const MOST_REFERENCES_READ: i64 = 5_000;

/// A page of the headings a patron browses, with the bibs the view sees under each, and the
/// cross-references that stand among them (a see also reference after the heading it stands
/// under). A page holds the references after the heading before its first (from the start of
/// the list on the first page) up to its last heading (to the end on the last page), so that
/// each reference is on exactly one page. A reference whose relation this version does not
/// know is passed over.
pub async fn browse(ctx: &Context, request: BrowseRequest) -> ServiceResult<BrowseListing> {
    let search = Arc::clone(&ctx.search);
    let asked = request.clone();
    let page = tokio::task::spawn_blocking(move || search.index.browse(&asked))
        .await
        .map_err(join_error)?
        .map_err(search_error)?;
    // Titles have no cross-references, and list in their filing order.
    if request.kind == HeadingKind::Title {
        return Ok(listing(page, Vec::new()));
    }
    let after = page.previous.as_deref().map(browse_key);
    let up_to = match (page.later, page.headings.last()) {
        (false, _) => None,
        (true, Some(last)) => Some(browse_key(&last.key)),
        // Nothing listed yet more later (a page back past the first heading): no references.
        (true, None) => return Ok(listing(page, Vec::new())),
    };
    let mut conn = ctx.store.read().await?;
    let references = store::references_between(
        &mut conn,
        request.kind.name(),
        after.as_deref(),
        up_to.as_deref(),
        MOST_REFERENCES_READ,
    )
    .await?;
    drop(conn);
    if references.is_empty() {
        return Ok(listing(page, Vec::new()));
    }
    let search = Arc::clone(&ctx.search);
    let headings: Vec<String> = references.iter().map(|r| r.heading.clone()).collect();
    let (kind, view) = (request.kind, request.view.clone());
    let counts = tokio::task::spawn_blocking(move || {
        search.index.heading_counts(kind, &headings, view.as_ref())
    })
    .await
    .map_err(join_error)?
    .map_err(search_error)?;
    let see = references
        .into_iter()
        .zip(counts)
        .filter(|(_, count)| *count > 0)
        .filter_map(|(reference, count)| {
            let relation = Relation::from_name(&reference.relation)?;
            Some((
                reference.sort_key,
                BrowseEntry::Reference {
                    from: reference.variant,
                    relation,
                    heading: reference.heading,
                    count,
                },
            ))
        })
        .collect();
    Ok(listing(page, see))
}

/// The page's headings and the references, in alphabetical order (a reference after the
/// headings of the same key); without references, the headings as the index lists them.
fn listing(page: BrowsePage, see: Vec<(String, BrowseEntry)>) -> BrowseListing {
    let sort = !see.is_empty();
    let mut entries: Vec<(String, u8, BrowseEntry)> = page
        .headings
        .iter()
        .map(|found| {
            (
                browse_key(&found.key),
                0,
                BrowseEntry::Heading {
                    heading: found.heading.clone(),
                    key: found.key.clone(),
                    count: found.count,
                    bib_id: found.bib_id,
                    other_title_of: found.other_title_of.clone(),
                },
            )
        })
        .chain(see.into_iter().map(|(key, entry)| (key, 1, entry)))
        .collect();
    // Stable: the headings keep the index's order among themselves.
    if sort {
        entries.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    }
    BrowseListing {
        page,
        entries: entries.into_iter().map(|(_, _, entry)| entry).collect(),
    }
}

/// What a suggestion offers: a title, or a heading of a browse list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestionKind {
    Title,
    Heading(HeadingKind),
}

impl SuggestionKind {
    /// The kind's name in the API: `title`, `author`, `subject`, `series`.
    pub fn name(self) -> &'static str {
        match self {
            SuggestionKind::Title => "title",
            SuggestionKind::Heading(kind) => kind.name(),
        }
    }
}

/// A title or heading offered while a patron types in the search box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub kind: SuggestionKind,
    /// The title or heading as patrons read it.
    pub text: String,
    /// The titles the view has under it (for a title, its editions and formats).
    pub count: u64,
    /// The form typed, when an authority record leads from it to the heading ("Clemens" for
    /// "Twain, Mark").
    pub see_from: Option<String>,
    /// The filter and value that find exactly those titles.
    pub filter: (FacetField, String),
    /// A title's one bib, when it has one only: its record page is where it leads.
    pub bib_id: Option<i64>,
    /// For a title that is another title of its bib (a 246, 740 or uniform title), the bib's
    /// own title.
    pub other_title_of: Option<String>,
}

/// Titles and headings of each kind read to choose suggestions among.
const SUGGESTIONS_READ: usize = 20;

/// Up to `per_kind` titles, authors, subjects and series (in that order) that begin with what
/// a patron has typed, the most titles first, each with the titles `view` has under it: those
/// among the first [`SUGGESTIONS_READ`] from the typed text in the index's titles (see
/// [`SearchIndex::suggested_titles`]: "the hobbit" finds "Hobbit") and in each browse list, so
/// that a suggestion costs four short reads of term dictionaries. A heading that an authority
/// record leads to from a form that begins with the text is offered too, once, by its own
/// form when that begins with the text. Nothing for text too short to choose from
/// ([`concord_search::browse::long_enough_to_suggest`]).
pub async fn suggest(
    ctx: &Context,
    typed: &str,
    view: Option<Code>,
    per_kind: usize,
) -> ServiceResult<Vec<Suggestion>> {
    if !concord_search::browse::long_enough_to_suggest(typed) {
        return Ok(Vec::new());
    }
    let key = browse_key(typed);
    let search = Arc::clone(&ctx.search);
    let (text, title_view) = (typed.to_owned(), view.clone());
    let titles = tokio::task::spawn_blocking(move || {
        search
            .index
            .suggested_titles(&text, title_view.as_ref(), SUGGESTIONS_READ, per_kind)
    })
    .await
    .map_err(join_error)?
    .map_err(search_error)?;
    let mut suggestions: Vec<Suggestion> = titles
        .into_iter()
        .map(|title| Suggestion {
            kind: SuggestionKind::Title,
            text: title.title,
            count: title.count,
            see_from: None,
            filter: (FacetField::FilingTitle, title.filing_title),
            bib_id: title.bib_id,
            other_title_of: title.other_title_of,
        })
        .collect();
    for kind in HeadingKind::NAMED {
        let listing = browse(
            ctx,
            BrowseRequest {
                kind,
                from: BrowseFrom::Text(typed.to_owned()),
                limit: SUGGESTIONS_READ,
                view: view.clone(),
            },
        )
        .await?;
        let mut of_kind: Vec<Suggestion> = Vec::new();
        for entry in listing.entries {
            let (heading, count, see_from) = match entry {
                BrowseEntry::Heading { heading, count, .. }
                    if browse_key(&heading).starts_with(&key) =>
                {
                    (heading, count, None)
                }
                BrowseEntry::Reference {
                    from,
                    relation: Relation::See,
                    heading,
                    count,
                } if browse_key(&from).starts_with(&key) => (heading, count, Some(from)),
                _ => continue,
            };
            match of_kind.iter_mut().find(|known| known.text == heading) {
                // Its own form begins with the text: offered as itself.
                Some(known) if see_from.is_none() => known.see_from = None,
                Some(_) => {}
                None => of_kind.push(Suggestion {
                    kind: SuggestionKind::Heading(kind),
                    filter: (kind.filter(), heading.clone()),
                    text: heading,
                    count,
                    see_from,
                    bib_id: None,
                    other_title_of: None,
                }),
            }
        }
        most_first(&mut of_kind, per_kind);
        suggestions.extend(of_kind);
    }
    Ok(suggestions)
}

/// The `keep` suggestions with the most titles, in that order (stable: equal counts keep
/// their alphabetical order).
fn most_first(suggestions: &mut Vec<Suggestion>, keep: usize) {
    suggestions.sort_by_key(|suggestion| std::cmp::Reverse(suggestion.count));
    suggestions.truncate(keep);
}

/// The first `limit` ids, from `from` up, of the bibs the consortium's view shows, ascending:
/// a sitemap's record pages.
pub async fn public_bib_ids(ctx: &Context, from: i64, limit: usize) -> ServiceResult<Vec<i64>> {
    let search = Arc::clone(&ctx.search);
    tokio::task::spawn_blocking(move || search.index.visible_bib_ids(None, from, limit))
        .await
        .map_err(join_error)?
        .map_err(search_error)
}

/// The bibs `ids` (in increasing order) with when each last changed (Unix seconds), for the
/// `lastmod` of a sitemap that lists their record pages: read by one range of ids.
pub async fn bibs_with_changes(ctx: &Context, ids: &[i64]) -> ServiceResult<Vec<(i64, i64)>> {
    let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
        return Ok(Vec::new());
    };
    let mut conn = ctx.store.read().await?;
    let changed: HashMap<i64, i64> =
        store::bib_updated_between(&mut conn, BibId(*first), BibId(*last))
            .await?
            .into_iter()
            .map(|(id, updated)| (id.0, updated))
            .collect();
    Ok(ids
        .iter()
        .filter_map(|id| changed.get(id).map(|updated| (*id, *updated)))
        .collect())
}

/// Where lists of `every` bibs the consortium's view shows start, in id order (see
/// [`concord_search::SearchIndex::visible_bib_id_starts`]).
pub async fn public_bib_id_starts(ctx: &Context, every: usize) -> ServiceResult<Vec<i64>> {
    let search = Arc::clone(&ctx.search);
    tokio::task::spawn_blocking(move || search.index.visible_bib_id_starts(None, every))
        .await
        .map_err(join_error)?
        .map_err(search_error)
}

// ----- following the change log -----

/// Applies every logged change the index has not seen yet; returns how many bibs it re-indexed.
pub async fn catch_up(ctx: &Context) -> ServiceResult<usize> {
    let search = Arc::clone(&ctx.search);
    let _writing = search.writing.lock().await;
    let mut reindexed = 0;
    // A rebuild by another process may have committed: read the number from the index itself.
    search.index.reload().map_err(search_error)?;
    loop {
        let applied = search.applied_change_seq()?;
        let mut conn = ctx.store.read().await?;
        let changes = store::changes_since(&mut conn, applied, CHANGES_PER_COMMIT).await?;
        let Some(last_seq) = changes.last().map(|change| change.seq) else {
            return Ok(reindexed);
        };
        let mut bib_ids: Vec<BibId> = changes
            .iter()
            .filter(|change| change.entity_kind == "bib")
            .map(|change| BibId(change.entity_id))
            .collect();
        bib_ids.sort_unstable();
        bib_ids.dedup();
        let codes = OrgCodes::load(&mut conn).await?;
        let mut updates = Vec::with_capacity(bib_ids.len());
        for bib_id in bib_ids {
            let document = match store::bib(&mut conn, bib_id).await? {
                Some(bib) if !bib.withdrawn => {
                    let items = store::items_of_bib(&mut conn, bib_id).await?;
                    Some(document_of(&bib, &items, &codes))
                }
                _ => None,
            };
            updates.push((bib_id, document));
        }
        drop(conn);
        reindexed += updates.len();
        let writer_search = Arc::clone(&search);
        tokio::task::spawn_blocking(move || -> Result<(), SearchError> {
            let mut indexer = writer_search
                .index
                .indexer_for_small_changes(FOLLOWER_HEAP_BYTES)?;
            for (bib_id, document) in &updates {
                match document {
                    Some(document) => indexer.upsert(document)?,
                    None => indexer.delete(bib_id.0),
                }
            }
            indexer.commit_with_change_seq(last_seq)?;
            // Searchable now; then wait for any merge the commit started (every few commits
            // tantivy merges the small segments, which can take longer than the change itself)
            // and show its result. Reloading only after the merge kept every eighth change
            // waiting for it.
            writer_search.index.reload()?;
            indexer.finish()?;
            writer_search.index.reload()
        })
        .await
        .map_err(join_error)?
        .map_err(search_error)?;
        tracing::debug!(seq = last_seq, "search index caught up");
    }
}

/// Keeps the index following the change log until the task is aborted: woken after catalogue
/// commits (but at most one catch-up with changes per [`MIN_COMMIT_INTERVAL`]), and at least
/// every [`FOLLOW_INTERVAL`] for changes made elsewhere.
pub fn follow(ctx: Arc<Context>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // Authorities stored before their cross-references were kept get them once.
        match super::catalogue::fill_authority_references(&ctx).await {
            Ok(0) => {}
            Ok(read) => tracing::info!(authorities = read, "cross-references written"),
            Err(error) => {
                tracing::warn!(error = %error.message, "cross-references could not be written");
            }
        }
        loop {
            match catch_up(&ctx).await {
                Ok(0) => {}
                Ok(_) => tokio::time::sleep(MIN_COMMIT_INTERVAL).await,
                Err(error) => {
                    tracing::warn!(error = %error.message, "the search index could not catch up");
                }
            }
            tokio::select! {
                () = ctx.search.wake.notified() => {}
                () = tokio::time::sleep(FOLLOW_INTERVAL) => {}
            }
        }
    })
}

// ----- rebuilding -----

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReindexReport {
    pub bibs: u64,
    pub items: u64,
    /// The change-log number the new index starts from.
    pub change_seq: i64,
}

/// Rebuilds the index from the store. `progress(done, total)` is called after every page of
/// bibs. Changes logged during the walk are applied by the follower afterwards, because the
/// sequence number is read before the walk starts.
pub async fn reindex(
    ctx: &Context,
    mut progress: impl FnMut(u64, u64),
) -> ServiceResult<ReindexReport> {
    let search = Arc::clone(&ctx.search);
    let _writing = search.writing.lock().await;
    let mut conn = ctx.store.read().await?;
    let change_seq = store::max_change_seq(&mut conn).await?;
    let (total_bibs, _, _) = store::counts(&mut conn).await?;
    let total_bibs = u64::try_from(total_bibs).unwrap_or(0);
    let codes = OrgCodes::load(&mut conn).await?;
    drop(conn);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut indexer = search
        .index
        .indexer(threads, 100_000_000 * threads)
        .map_err(search_error)?;
    indexer.delete_all().map_err(search_error)?;
    let mut report = ReindexReport {
        bibs: 0,
        items: 0,
        change_seq,
    };
    let mut after = i64::MIN;
    loop {
        let mut conn = ctx.store.read().await?;
        let bibs = store::bibs_page(&mut conn, None, None, after, BIBS_PER_PAGE).await?;
        let (Some(first), Some(last)) = (bibs.first(), bibs.last()) else {
            break;
        };
        let items = store::items_of_bib_range(&mut conn, first.id, last.id).await?;
        drop(conn);
        after = last.id.0;
        let mut items_by_bib: HashMap<BibId, Vec<ItemRow>> = HashMap::new();
        for item in items {
            items_by_bib.entry(item.bib_id).or_default().push(item);
        }
        for bib in &bibs {
            let items = items_by_bib.remove(&bib.id).unwrap_or_default();
            let document = document_of(bib, &items, &codes);
            report.bibs += 1;
            report.items += document.holdings.len() as u64;
            add(&mut indexer, &document)?;
        }
        progress(report.bibs, total_bibs);
    }
    let writer_search = Arc::clone(&search);
    tokio::task::spawn_blocking(move || -> Result<(), SearchError> {
        indexer.commit_with_change_seq(change_seq)?;
        indexer.finish()?;
        writer_search.index.reload()
    })
    .await
    .map_err(join_error)?
    .map_err(search_error)?;
    Ok(report)
}

fn add(indexer: &mut Indexer, document: &BibDocument) -> ServiceResult<()> {
    indexer.add(document).map_err(search_error)
}

/// Member and branch codes by id, to label holdings, and the locations members keep back.
struct OrgCodes {
    members: HashMap<MemberId, Code>,
    branches: HashMap<BranchId, Code>,
    hidden_locations: HiddenLocations,
}

impl OrgCodes {
    async fn load(conn: &mut concord_store::Conn) -> ServiceResult<OrgCodes> {
        let members = concord_store::org::list_members(conn)
            .await?
            .into_iter()
            .map(|member| (member.id, member.code))
            .collect();
        let branches = concord_store::org::list_branches(conn, None)
            .await?
            .into_iter()
            .map(|branch| (branch.id, branch.code))
            .collect();
        let hidden_locations =
            HiddenLocations::new(concord_store::org::hidden_locations(conn).await?);
        Ok(OrgCodes {
            members,
            branches,
            hidden_locations,
        })
    }
}

/// The search document of a bib with its holdings. When the stored record cannot be read the
/// document is made from the summary the store keeps beside it (logged): patrons can still find
/// the bib by its title and author and see its copies, and the rest of the catalogue is indexed.
fn document_of(bib: &BibRow, items: &[ItemRow], codes: &OrgCodes) -> BibDocument {
    let held: Vec<(&ItemRow, Holding)> = items
        .iter()
        .filter(|item| item.status != ItemStatus::Withdrawn)
        .filter_map(|item| {
            let holding = Holding {
                member: codes.members.get(&item.member_id)?.clone(),
                branch: codes.branches.get(&item.branch_id)?.clone(),
                call_number: Some(item.call_number.clone()).filter(|c| !c.trim().is_empty()),
                status: item.status.as_str().to_string(),
                visible_outside_member: codes.hidden_locations.item_visible_outside_member(
                    item.member_id,
                    item.shelving_location.as_ref(),
                    item.hidden_from_other_members,
                ),
            };
            Some((item, holding))
        })
        .collect();
    // A new copy of an old bib is news too, unless its member keeps it back (then the order
    // would tell other members of it).
    let added = held
        .iter()
        .filter(|(_, holding)| holding.visible_outside_member)
        .map(|(item, _)| item.created_at)
        .fold(bib.created_at, i64::max);
    // Each member's newest copy: of all, for its own view; of those every member may see, for
    // the others ("new at our library").
    let member_added = MemberAdded::of(held.iter().map(|(item, holding)| {
        (
            &holding.member,
            item.created_at,
            holding.visible_outside_member,
        )
    }));
    let holdings = held.into_iter().map(|(_, holding)| holding).collect();
    let mut document = match read_stored_record(bib) {
        Ok(record) => document_from_record(bib.id.0, &record, holdings),
        Err(unreadable) => {
            tracing::warn!(bib = bib.id.0, problem = %unreadable.problem, "indexing a bib whose record cannot be read from its stored summary");
            document_from_summary(bib.id.0, &bib.summary, holdings)
        }
    };
    document.added = Some(added);
    document.member_added = member_added;
    document
}

/// The member whose view `code` names, for its branding; not found when there is none.
pub async fn member_view(ctx: &Context, code: &str) -> ServiceResult<Member> {
    let not_found = || ServiceError::not_found(format!("member {code}"));
    let code = Code::parse("member", code).map_err(|_| not_found())?;
    let mut conn = ctx.store.read().await?;
    concord_store::org::member_by_code(&mut conn, &code)
        .await?
        .ok_or_else(not_found)
}

/// The member whose view `code` names (a 404 for no such member), or none for the
/// consortium's view.
pub async fn view_of(ctx: &Context, code: Option<&str>) -> ServiceResult<Option<Member>> {
    match code {
        Some(code) => Ok(Some(member_view(ctx, code).await?)),
        None => Ok(None),
    }
}

/// Every member and every branch, for labelling holdings and facet values by name.
pub async fn places(ctx: &Context) -> ServiceResult<(Vec<Member>, Vec<Branch>)> {
    let mut conn = ctx.store.read().await?;
    let members = concord_store::org::list_members(&mut conn).await?;
    let branches = concord_store::org::list_branches(&mut conn, None).await?;
    Ok((members, branches))
}

// ----- the public record display -----

/// One item as the public record page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicItem {
    pub id: ItemId,
    /// Where in the branch it stands: its shelving location's name, or its code when the
    /// member has not named it.
    pub location: Option<String>,
    pub call_number: String,
    pub status: ItemStatus,
    /// For an item on loan: the local date it is due back.
    pub due: Option<Date>,
}

/// The items of one branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchHoldings {
    pub branch: Branch,
    pub items: Vec<PublicItem>,
}

/// The items of one member, by branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberHoldings {
    pub member: Member,
    pub branches: Vec<BranchHoldings>,
}

/// A bib as a patron sees it.
#[derive(Debug, Clone)]
pub struct PublicRecord {
    pub bib: BibRow,
    /// The stored MARC record, or why it cannot be read.
    pub record: Result<Record, UnreadableRecord>,
    /// What is shown: made from the record, or from the bib's columns when it cannot be read.
    pub document: BibDocument,
    /// Visible holdings: the viewing member's first, then by member code.
    pub holdings: Vec<MemberHoldings>,
}

impl PublicRecord {
    /// The title as the record gives it in its own script (the 880 linked to the 245), for a
    /// record romanised in its 245 whose MARC can be read.
    pub fn title_in_own_script(&self) -> Option<String> {
        self.record
            .as_ref()
            .ok()
            .and_then(concord_search::title_in_own_script)
    }

    /// What the record says beyond its searchable fields (responsibility, edition, notes,
    /// contents, links online): nothing when its MARC cannot be read.
    pub fn description(&self) -> concord_search::Description {
        self.record
            .as_ref()
            .map(concord_search::describe)
            .unwrap_or_default()
    }
}

/// Where the permalink of record `id`, which [`public_record`] did not find (`error`), leads
/// now: the record it was merged into, when it was; `error` otherwise.
pub async fn moved_to(ctx: &Context, id: BibId, error: ServiceError) -> ServiceResult<BibId> {
    if error.code == concord_domain::ErrorCode::NotFound
        && let Some(kept) = crate::service::catalogue::current_bib(ctx, id).await?
    {
        return Ok(kept);
    }
    Err(error)
}

/// The record of bib `id` with the items visible in `view` (a member's view, or the whole
/// consortium). Withdrawn bibs and items are not shown; items kept out of other members' views
/// (or kept at a location their member keeps back) are shown only in their own member's view.
pub async fn public_record(
    ctx: &Context,
    id: BibId,
    view: Option<&Code>,
) -> ServiceResult<PublicRecord> {
    let mut detail = crate::service::catalogue::bib(ctx, id).await?;
    // What the record marks private is not the public's, on the page or in an export.
    if let Ok(record) = &mut detail.record {
        concord_search::remove_private(record);
    }
    if detail.bib.withdrawn {
        return Err(ServiceError::not_found(format!("record {id}")));
    }
    let mut conn = ctx.store.read().await?;
    let offset = local_offset(&mut conn).await?;
    let hidden_locations =
        HiddenLocations::new(concord_store::org::hidden_locations(&mut conn).await?);
    let mut grouped: BTreeMap<(bool, String), BTreeMap<String, BranchHoldings>> = BTreeMap::new();
    let mut members_by_code: HashMap<String, Member> = HashMap::new();
    for item in &detail.items {
        if item.status == ItemStatus::Withdrawn {
            continue;
        }
        let (Some(member), Some(branch)) = (
            detail.members.get(&item.member_id),
            detail.branches.get(&item.branch_id),
        ) else {
            continue;
        };
        let own = view.is_some_and(|code| *code == member.code);
        let visible = hidden_locations.item_visible_outside_member(
            item.member_id,
            item.shelving_location.as_ref(),
            item.hidden_from_other_members,
        );
        if !visible && !own {
            continue;
        }
        let due = due_back(&mut conn, item.id, item.status, offset).await?;
        members_by_code.insert(member.code.to_string(), member.clone());
        grouped
            .entry((!own, member.code.to_string()))
            .or_default()
            .entry(branch.code.to_string())
            .or_insert_with(|| BranchHoldings {
                branch: branch.clone(),
                items: Vec::new(),
            })
            .items
            .push(PublicItem {
                id: item.id,
                location: detail
                    .locations
                    .shown(item.member_id, item.shelving_location.as_ref()),
                call_number: item.call_number.clone(),
                status: item.status,
                due,
            });
    }
    let holdings = grouped
        .into_iter()
        .filter_map(|((_, code), branches)| {
            Some(MemberHoldings {
                member: members_by_code.remove(&code)?,
                branches: branches.into_values().collect(),
            })
        })
        .collect();
    let document = match &detail.record {
        Ok(record) => document_from_record(detail.bib.id.0, record, Vec::new()),
        Err(_) => document_from_summary(detail.bib.id.0, &detail.bib.summary, Vec::new()),
    };
    Ok(PublicRecord {
        bib: detail.bib,
        record: detail.record,
        document,
        holdings,
    })
}

/// The consortium's offset from UTC in seconds, which the dates a page shows are local to (none
/// before the consortium is set up).
async fn local_offset(conn: &mut concord_store::Conn) -> ServiceResult<i32> {
    let offset = concord_store::org::consortium(conn)
        .await?
        .map_or(0, |consortium| consortium.utc_offset_seconds);
    Ok(i32::try_from(offset).unwrap_or(0))
}

/// The local date item `id` is due back, when its `status` says it is on loan.
async fn due_back(
    conn: &mut concord_store::Conn,
    id: ItemId,
    status: ItemStatus,
    offset: i32,
) -> ServiceResult<Option<Date>> {
    if status != ItemStatus::OnLoan {
        return Ok(None);
    }
    Ok(concord_store::circulation::open_loan_of_item(conn, id)
        .await?
        .map(|loan| Date::from_unix(loan.due_at, offset)))
}

/// A stretch of a branch's shelf around one item, as a patron in a view sees it.
#[derive(Debug, Clone)]
pub struct ShelfStretch {
    pub branch: Branch,
    pub member: Member,
    /// The items before it, in shelf order (the nearest last).
    pub before: Vec<store::ShelfItem>,
    pub at: store::ShelfItem,
    /// The items after it, in shelf order.
    pub after: Vec<store::ShelfItem>,
    /// Whether more stand before the first shown, and after the last.
    pub more_before: bool,
    pub more_after: bool,
    /// Whether the item browsed from is on the shelf in every view, or only its member's.
    pub seen_by_all: bool,
    /// The local date each item on loan is due back.
    pub due: HashMap<ItemId, Date>,
    /// Where each item with a shelving location stands: its name, or its code when unnamed.
    pub locations: HashMap<ItemId, String>,
}

/// Up to `each_side` items either side of item `id` on its branch's shelf, in call number
/// order, as `view` (a member's view, or the consortium's) sees them: the items a member keeps
/// out of other members' views (and those at locations it keeps back) only in its own view.
/// An item the view does not see, a withdrawn one, one without a call number or of a
/// withdrawn bib has no place on the shelf to browse from: not found.
pub async fn shelf(
    ctx: &Context,
    id: ItemId,
    view: Option<&Code>,
    each_side: usize,
) -> ServiceResult<ShelfStretch> {
    let not_found = || ServiceError::not_found(format!("item {id} on a shelf"));
    let mut conn = ctx.store.read().await?;
    let item = store::item(&mut conn, id).await?.ok_or_else(not_found)?;
    let bib = store::bib(&mut conn, item.bib_id)
        .await?
        .ok_or_else(not_found)?;
    let member = concord_store::org::member_by_id(&mut conn, item.member_id)
        .await?
        .ok_or_else(not_found)?;
    let branch = concord_store::org::branch_by_id(&mut conn, item.branch_id)
        .await?
        .ok_or_else(not_found)?;
    let own = view.is_some_and(|code| *code == member.code);
    let hidden_locations =
        HiddenLocations::new(concord_store::org::hidden_locations(&mut conn).await?);
    let seen_by_all = hidden_locations.item_visible_outside_member(
        item.member_id,
        item.shelving_location.as_ref(),
        item.hidden_from_other_members,
    );
    let visible = own || seen_by_all;
    let key = concord_domain::catalogue::shelf::shelf_key(&item.call_number);
    if !visible || bib.withdrawn || item.status == ItemStatus::Withdrawn || key.is_empty() {
        return Err(not_found());
    }
    let place = store::ShelfPlace {
        branch: item.branch_id,
        shelf_key: &key,
        item: item.id,
        public: !own,
    };
    let wanted = i64::try_from(each_side).unwrap_or(i64::MAX - 1) + 1;
    let mut before = store::shelf_items(&mut conn, place, store::Along::Before, wanted).await?;
    let mut after = store::shelf_items(&mut conn, place, store::Along::After, wanted).await?;
    let more_before = before.len() > each_side;
    let more_after = after.len() > each_side;
    before.truncate(each_side);
    before.reverse();
    after.truncate(each_side);
    let offset = local_offset(&mut conn).await?;
    let mut due = HashMap::new();
    let shown: Vec<(ItemId, ItemStatus)> = before
        .iter()
        .chain(&after)
        .map(|shelved| (shelved.item_id, shelved.status))
        .chain([(item.id, item.status)])
        .collect();
    for (id, status) in shown {
        if let Some(date) = due_back(&mut conn, id, status, offset).await? {
            due.insert(id, date);
        }
    }
    let at = store::ShelfItem {
        item_id: item.id,
        bib_id: item.bib_id,
        call_number: item.call_number,
        shelf_key: key,
        shelving_location: item.shelving_location,
        status: item.status,
        title: bib.summary.title,
        author: bib.summary.author,
    };
    let names = LocationNames::read(&mut conn).await?;
    let locations = before
        .iter()
        .chain(&after)
        .chain([&at])
        .filter_map(|shelved| {
            let location = names.shown(member.id, shelved.shelving_location.as_ref())?;
            Some((shelved.item_id, location))
        })
        .collect();
    Ok(ShelfStretch {
        branch,
        member,
        before,
        at,
        after,
        more_before,
        more_after,
        seen_by_all,
        due,
        locations,
    })
}

/// How many other editions and formats a record names.
const OTHER_EDITIONS_SHOWN: usize = 10;

/// The other editions and formats of the record's work that `view` sees, the newest first
/// (see [`concord_search::SearchIndex::other_editions`]): for its page and its JSON, not its
/// exports.
pub async fn other_editions(
    ctx: &Context,
    record: &PublicRecord,
    view: Option<&Code>,
) -> ServiceResult<Vec<SearchHit>> {
    let search = Arc::clone(&ctx.search);
    let document = record.document.clone();
    let view = view.cloned();
    tokio::task::spawn_blocking(move || {
        search
            .index
            .other_editions(&document, view.as_ref(), OTHER_EDITIONS_SHOWN)
    })
    .await
    .map_err(join_error)?
    .map_err(search_error)
}
