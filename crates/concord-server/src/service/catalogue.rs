//! Use cases of the shared catalogue: loading MARC with de-duplication, exporting it, showing and
//! editing a record, a member's items, and merging bibs by hand (and undoing merges).

use std::collections::HashMap;

use concord_domain::auth::{Action, Principal, authorise};
use concord_domain::catalogue::holdings::{HoldingDraft, HoldingsMapping, format_price, holdings};
use concord_domain::catalogue::identifiers::identifiers;
use concord_domain::catalogue::lines::parse_line_format;
use concord_domain::catalogue::versions::{self, Comparison, RecordStatus};
use concord_domain::catalogue::{
    Identifier, IdentifierKind, ItemStatus, Probe, filing_title_key, location_codes, match_key,
    match_probes, summarise,
};
use concord_domain::codes::{Barcode, Code};
use concord_domain::ids::{BibId, BibMergeId, BranchId, ItemId, MemberId};
use concord_domain::org::{Branch, Member};
use concord_domain::{ErrorCode, FieldError};
use concord_marc::{DataField, Field, Record, RecordError, Tag, read_iso2709, to_iso2709};
use concord_store::catalogue::{self as store, BibRow, ImportCounts, ItemRow, MergeRow};
use concord_store::{Conn, WriteTx};
use serde::Serialize;

use super::{Change, ServiceError, ServiceResult, audit};
use crate::Context;

/// Records written per transaction on import. Measured on SQLite (see BENCHMARKS.md): larger
/// batches gain little and keep the writer locked longer.
pub const DEFAULT_BATCH_SIZE: usize = 1000;

/// One record that was not imported, with what is needed to find and fix it.
#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    pub record_number: u64,
    pub byte_offset: u64,
    pub reason: String,
    /// The record as parsed (ISO 2709), when it could be parsed; the caller adds raw bytes for
    /// records the reader could not read.
    #[serde(skip)]
    pub record: Option<Vec<u8>>,
}

/// The result of an import: the counts and every rejection.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    #[serde(flatten)]
    pub counts: ImportCounts,
    pub rejections: Vec<RejectionNote>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RejectionNote {
    pub record_number: u64,
    pub byte_offset: u64,
    pub reason: String,
}

/// What [`import`] needs besides the records.
pub struct ImportOptions<'a> {
    pub member_code: &'a str,
    pub mapping: &'a HoldingsMapping,
    pub batch_size: usize,
    pub file_name: &'a str,
}

/// Loads records into the shared catalogue for one member. Records stream through in batches,
/// one write transaction each; a bad record becomes a rejection and never stops the others.
/// `on_rejection` sees each rejection as it happens (to write the rejects file), `on_progress`
/// the number of records read after each batch. Each record comes with the byte offset where
/// it starts in the input (`RecordOffset::with_offsets` on a reader gives them), so a record
/// rejected after parsing is reported where it really is.
pub async fn import<I>(
    ctx: &Context,
    who: &Principal,
    records: I,
    options: &ImportOptions<'_>,
    mut on_rejection: impl FnMut(&Rejection),
    mut on_progress: impl FnMut(u64),
) -> ServiceResult<ImportSummary>
where
    I: Iterator<Item = (u64, Result<Record, RecordError>)>,
{
    let started_at = ctx.now();
    let (member, branches) = {
        let mut conn = ctx.store.read().await?;
        let member = super::org::member_in(&mut conn, options.member_code).await?;
        let branches = concord_store::org::list_branches(&mut conn, Some(member.id)).await?;
        (member, branches)
    };
    authorise(who, Action::EditBib)?;
    authorise(who, Action::ManageItems { member: member.id })?;
    let branch_ids: HashMap<String, BranchId> = branches
        .iter()
        .map(|b| (b.code.as_str().to_string(), b.id))
        .collect();
    let target = ImportTarget {
        member: &member,
        branch_ids: &branch_ids,
        mapping: options.mapping,
    };
    let mut summary = ImportSummary::default();
    let mut records = records.peekable();
    let batch_size = options.batch_size.max(1);
    while records.peek().is_some() {
        let mut tx = ctx.store.write().await?;
        // Bibs changed in this batch, logged for the search index in one go before the commit.
        let mut changed: Vec<i64> = Vec::new();
        let batch: Vec<_> = records.by_ref().take(batch_size).collect();
        // What each bibliographic record is matched on, worked out once for the lookups and
        // the import.
        let prepared: Vec<Option<Prepared>> = batch
            .iter()
            .map(|(_, record)| {
                record
                    .as_ref()
                    .ok()
                    .filter(|record| !record.is_authority())
                    .map(|record| Prepared::of(record, options.mapping))
            })
            .collect();
        let mut lookups = BatchLookups::read(&mut tx, prepared.iter().flatten()).await?;
        let mut pending = Pending::default();
        for ((byte_offset, next), prepared) in batch.into_iter().zip(prepared) {
            summary.counts.read += 1;
            let authority = matches!(&next, Ok(record) if record.is_authority());
            let outcome = match next {
                Ok(record) => {
                    let written = Written {
                        changed: &mut changed,
                        lookups: &mut lookups,
                        pending: &mut pending,
                    };
                    let outcome =
                        import_one(ctx, &mut tx, who, &target, &record, prepared, written)
                            .await?
                            .map_err(|reason| (reason, to_iso2709(&record).ok()));
                    // Once the lookups ask the store, it must hold every row before the next
                    // record asks.
                    if lookups.stale {
                        pending.write(&mut tx).await?;
                    }
                    outcome
                }
                Err(error) => Err((error.kind.to_string(), None)),
            };
            if let Ok((_, items)) = &outcome {
                summary.counts.items_created += items;
                summary.counts.authorities += u64::from(authority);
            }
            let counts = &mut summary.counts;
            match outcome.map(|(outcome, _)| outcome) {
                Ok(Outcome::Created) => counts.created += 1,
                Ok(Outcome::Merged) => counts.merged += 1,
                Ok(Outcome::Unchanged) => counts.unchanged += 1,
                Ok(Outcome::Updated) => counts.updated += 1,
                Ok(Outcome::Deleted) => counts.deleted += 1,
                Ok(Outcome::Older) => counts.older += 1,
                Ok(Outcome::AuthorityAdded) => {}
                Err((reason, record)) => {
                    summary.counts.rejected += 1;
                    let rejection = Rejection {
                        record_number: summary.counts.read,
                        byte_offset,
                        reason,
                        record,
                    };
                    on_rejection(&rejection);
                    summary.rejections.push(RejectionNote {
                        record_number: rejection.record_number,
                        byte_offset: rejection.byte_offset,
                        reason: rejection.reason,
                    });
                }
            }
        }
        pending.write(&mut tx).await?;
        store::log_changes(&mut tx, "bib", &changed, ctx.now()).await?;
        tx.commit().await?;
        ctx.catalogue_changed();
        on_progress(summary.counts.read);
    }
    let mut tx = ctx.store.write().await?;
    store::save_import_batch(
        &mut tx,
        ctx.new_id(),
        member.id,
        options.file_name,
        started_at,
        ctx.now(),
        &summary.counts,
    )
    .await?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "catalogue.import",
            entity_kind: "import_batch",
            entity_id: options.file_name.to_string(),
            member: Some(member.id),
            before: None,
            after: Some(&summary.counts),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(summary)
}

/// What identifies a record in its source system: its 001, or, for a record without one, a
/// digest of its bibliographic part (`sha256:` and 32 hex digits) so that importing the same
/// file again still recognises it. The digest leaves out the holdings fields, so a later
/// export of the same record with more items is recognised too and only the new items are
/// added.
fn source_record_id(record: &Record, bib_marc: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write as _;
    if let Some(control_number) = control_number(record) {
        return control_number.to_string();
    }
    let digest = Sha256::digest(bib_marc);
    let mut id = String::with_capacity(7 + 32);
    id.push_str("sha256:");
    for byte in digest.iter().take(16) {
        let _ = write!(id, "{byte:02x}");
    }
    id
}

/// What a batch's records are matched against, read for the whole batch in a few statements
/// rather than a few for each record (an import is bound by statements): the lowest bib with
/// each identifier and match key the batch's records carry, and the member owning each
/// barcode they hold.
///
/// **Invariant:** it answers as the store would within the batch's transaction. Bibs and items
/// the batch creates are added as they are; a write that could change it otherwise (a bib's
/// record replaced, a bib taken out) makes it ask the store for the rest of the batch.
struct BatchLookups {
    identifiers: HashMap<(IdentifierKind, String), BibId>,
    keys: HashMap<String, BibId>,
    /// Where each bib found came from: the member whose record made it, and the record's id.
    sources: HashMap<BibId, (Option<MemberId>, String)>,
    barcodes: HashMap<String, MemberId>,
    /// The store is asked instead: something in the batch changed what was read.
    stale: bool,
}

impl BatchLookups {
    /// Reads what the batch's bibliographic records will be matched on.
    async fn read(
        tx: &mut Conn,
        records: impl Iterator<Item = &Prepared>,
    ) -> ServiceResult<BatchLookups> {
        let mut values: HashMap<IdentifierKind, Vec<String>> = HashMap::new();
        let mut keys = Vec::new();
        let mut barcodes = Vec::new();
        for record in records {
            for identifier in &record.ids {
                values
                    .entry(identifier.kind)
                    .or_default()
                    .push(identifier.value.clone());
            }
            keys.extend(record.key.clone());
            barcodes.extend(
                record
                    .holdings
                    .iter()
                    .flatten()
                    .map(|draft| draft.barcode.as_str().to_owned()),
            );
        }
        let mut lookups = BatchLookups {
            identifiers: HashMap::new(),
            keys: HashMap::new(),
            sources: HashMap::new(),
            barcodes: HashMap::new(),
            stale: false,
        };
        for (kind, mut values) in values {
            values.sort_unstable();
            values.dedup();
            for (value, bib) in store::bibs_with_identifiers(tx, kind, &values).await? {
                lookups.identifiers.insert((kind, value), bib);
            }
        }
        keys.sort_unstable();
        keys.dedup();
        lookups
            .keys
            .extend(store::bibs_with_match_keys(tx, &keys).await?);
        let mut found: Vec<BibId> = lookups
            .identifiers
            .values()
            .chain(lookups.keys.values())
            .copied()
            .collect();
        found.sort_unstable();
        found.dedup();
        for (bib, member, source) in store::bib_sources(tx, &found).await? {
            lookups.sources.insert(bib, (member, source));
        }
        barcodes.sort_unstable();
        barcodes.dedup();
        lookups
            .barcodes
            .extend(store::barcode_owners(tx, &barcodes).await?);
        Ok(lookups)
    }

    /// The bib a probe finds, as [`store::bib_with_identifier`] and
    /// [`store::bib_with_match_key`] would.
    async fn probe(&self, tx: &mut Conn, probe: &Probe) -> ServiceResult<Option<BibId>> {
        Ok(match (probe, self.stale) {
            (Probe::Identifier(identifier), false) => self
                .identifiers
                .get(&(identifier.kind, identifier.value.clone()))
                .copied(),
            (Probe::MatchKey(key), false) => self.keys.get(key).copied(),
            (Probe::Identifier(identifier), true) => {
                store::bib_with_identifier(tx, identifier).await?
            }
            (Probe::MatchKey(key), true) => store::bib_with_match_key(tx, key).await?,
        })
    }

    /// Whether `bib` is the one this member's record with this source id made.
    async fn made_by(
        &self,
        tx: &mut Conn,
        bib: BibId,
        member: MemberId,
        source_record_id: &str,
    ) -> ServiceResult<bool> {
        let source = match self.sources.get(&bib) {
            Some(source) if !self.stale => Some(source.clone()),
            _ => store::bib(tx, bib)
                .await?
                .map(|bib| (bib.source_member, bib.source_record_id)),
        };
        Ok(source.is_some_and(|(made_by, id)| made_by == Some(member) && id == source_record_id))
    }

    /// The member owning the item with this barcode, if there is one.
    async fn barcode_owner(
        &self,
        tx: &mut Conn,
        barcode: &Barcode,
    ) -> ServiceResult<Option<MemberId>> {
        if self.stale {
            return Ok(store::item_by_barcode(tx, barcode)
                .await?
                .map(|item| item.member_id));
        }
        Ok(self.barcodes.get(barcode.as_str()).copied())
    }

    /// A bib the batch created from `member`'s record `source_record_id`: the lowest bib with
    /// each of its identifiers and its key stays the one found before (ids only grow).
    fn created(
        &mut self,
        bib: BibId,
        ids: &[Identifier],
        key: Option<&str>,
        member: MemberId,
        source_record_id: &str,
    ) {
        self.sources
            .insert(bib, (Some(member), source_record_id.to_owned()));
        for identifier in ids {
            self.identifiers
                .entry((identifier.kind, identifier.value.clone()))
                .or_insert(bib);
        }
        if let Some(key) = key {
            self.keys.entry(key.to_owned()).or_insert(bib);
        }
    }
}

/// What the import works out from a bibliographic record before matching it, once for the
/// batch's lookups and the record's import: its holdings (each read, or why not), the record
/// without them (what the shared bib keeps), its identifiers and its match key.
struct Prepared {
    holdings: Vec<Result<HoldingDraft, concord_domain::catalogue::holdings::HoldingProblem>>,
    bib: Record,
    ids: Vec<Identifier>,
    key: Option<String>,
}

impl Prepared {
    fn of(record: &Record, mapping: &HoldingsMapping) -> Prepared {
        let bib = bib_part(record, mapping);
        Prepared {
            holdings: holdings(record, mapping),
            ids: identifiers(&bib),
            key: match_key(&bib),
            bib,
        }
    }
}

/// What one record's import writes beside the store: the bibs changed, for the batch's change
/// log; the batch's lookups, kept current; the new rows not written yet.
struct Written<'a> {
    changed: &'a mut Vec<i64>,
    lookups: &'a mut BatchLookups,
    pending: &'a mut Pending,
}

/// New bibs (with their identifiers) and items a batch has made but not yet written: they go
/// in a few multi-row statements, at the end of the batch or as soon as something is to read
/// or refer to one of them.
///
/// **Invariant:** nothing in the batch asks the store about a pending row: a record that
/// merges into, replaces or deletes a pending bib writes everything pending first, and so does
/// anything that makes [`BatchLookups`] ask the store again.
#[derive(Default)]
struct Pending {
    bibs: Vec<BibRow>,
    identifiers: Vec<(BibId, Identifier)>,
    items: Vec<ItemRow>,
    bib_ids: std::collections::HashSet<BibId>,
}

impl Pending {
    /// Writes what is pending: bibs, then their identifiers, then items.
    async fn write(&mut self, tx: &mut Conn) -> ServiceResult<()> {
        store::insert_bibs(tx, &self.bibs).await?;
        store::insert_identifiers_of(tx, &self.identifiers).await?;
        store::insert_items(tx, &self.items).await?;
        *self = Pending::default();
        Ok(())
    }

    /// Writes what is pending if `bib` is.
    async fn write_if_holding(&mut self, tx: &mut Conn, bib: BibId) -> ServiceResult<()> {
        if self.bib_ids.contains(&bib) {
            self.write(tx).await?;
        }
        Ok(())
    }
}

/// What importing one record did (an authority record is counted as one as well).
enum Outcome {
    /// A new bib.
    Created,
    /// Merged into a bib another record made.
    Merged,
    /// The catalogue holds this version already, or a deleted record names nothing it holds.
    Unchanged,
    /// A later version replaced the catalogue's.
    Updated,
    /// A record the sender marks deleted took its bib or authority out.
    Deleted,
    /// A version older than the catalogue's, left out.
    Older,
    /// A new authority.
    AuthorityAdded,
}

/// A record's control number (001), when it has one that is not blank.
fn control_number(record: &Record) -> Option<&str> {
    record
        .control("001")
        .map(str::trim)
        .filter(|c| !c.is_empty())
}

/// How the `incoming` version of a record stands to the `stored` bytes; of a stored record
/// that cannot be read there is no telling.
fn compare_with_stored(stored: &[u8], incoming: &Record) -> Comparison {
    match read_stored_bytes(stored) {
        Ok(stored) => versions::compare(&stored, incoming),
        Err(_) => Comparison::Unknown,
    }
}

/// The record without its holdings fields: what the shared bib keeps.
fn bib_part(record: &Record, mapping: &HoldingsMapping) -> Record {
    let mut bib = record.clone();
    bib.fields
        .retain(|field| !mapping.is_holdings_tag(field.tag().as_str()));
    bib.leader.set(9, b'a');
    bib
}

/// Whose records these are and how their holdings read: the same for a whole import.
struct ImportTarget<'a> {
    member: &'a Member,
    branch_ids: &'a HashMap<String, BranchId>,
    mapping: &'a HoldingsMapping,
}

/// Imports one record inside the batch's transaction. The outer error is a store failure (the
/// batch fails); the inner one a rejection reason (the record is skipped, nothing written).
/// Bibs created, replaced, taken out or given items are pushed on `written.changed` for the
/// batch's change log; new rows wait in `written.pending`.
async fn import_one(
    ctx: &Context,
    tx: &mut WriteTx,
    who: &Principal,
    target: &ImportTarget<'_>,
    record: &Record,
    prepared: Option<Prepared>,
    written: Written<'_>,
) -> ServiceResult<Result<(Outcome, u64), String>> {
    let ImportTarget {
        member,
        branch_ids,
        mapping,
    } = *target;
    let Written {
        changed,
        lookups,
        pending,
    } = written;
    let now = ctx.now();
    if record.is_authority() {
        return import_authority(ctx, tx, record).await;
    }
    if versions::record_status(record) == RecordStatus::Deleted {
        pending.write(tx).await?;
        let deleted = delete_bib(ctx, tx, who, member, record, changed).await?;
        if matches!(deleted, Ok((Outcome::Deleted, _))) {
            lookups.stale = true;
        }
        return Ok(deleted);
    }
    let Prepared {
        holdings,
        bib: bib_record,
        ids,
        key,
    } = prepared.unwrap_or_else(|| Prepared::of(record, mapping));
    // Check every holding before writing anything, so a rejected record leaves no trace.
    let mut drafts: Vec<(HoldingDraft, BranchId, BranchId)> = Vec::new();
    // Barcodes this member already has (a re-import) are skipped rather than written twice.
    let mut skip_barcodes = std::collections::HashSet::new();
    for holding in holdings {
        let draft = match holding {
            Ok(draft) => draft,
            Err(problem) => return Ok(Err(problem.message)),
        };
        let Some(branch) = branch_ids.get(&draft.branch_code).copied() else {
            return Ok(Err(format!(
                "item {}: branch {:?} ({} holdings) is not a branch of member {}",
                draft.barcode, draft.branch_code, draft.tag, member.code
            )));
        };
        let current = match &draft.current_branch_code {
            Some(code) => branch_ids.get(code).copied().unwrap_or(branch),
            None => branch,
        };
        if let Some(owner) = lookups.barcode_owner(tx, &draft.barcode).await? {
            if owner != member.id {
                return Ok(Err(format!(
                    "item barcode {} already belongs to another member",
                    draft.barcode
                )));
            }
            skip_barcodes.insert(draft.barcode.clone());
        }
        drafts.push((draft, branch, current));
    }
    let marc = match to_iso2709(&bib_record) {
        Ok(bytes) => bytes,
        Err(error) => return Ok(Err(format!("cannot store the record: {error}"))),
    };
    let source_record_id = source_record_id(record, &marc);
    let summary = summarise(&bib_record);
    let mut found = None;
    for (rule, probe) in match_probes(&ids, key.as_deref()) {
        if let Some(bib) = lookups.probe(tx, &probe).await? {
            found = Some((rule, bib));
            break;
        }
    }
    // The member's earlier version of the record (under its control number, or its digest),
    // when its identifiers or match key find it too, so that a control number used twice
    // never makes one record replace another: the same content, or by 005 an earlier or a
    // later version. A new record costs no statement more.
    if let Some((_, bib)) = &found {
        pending.write_if_holding(tx, *bib).await?;
    }
    let own = match &found {
        Some((_, bib)) => lookups
            .made_by(tx, *bib, member.id, &source_record_id)
            .await?
            .then_some(*bib),
        None => None,
    };
    if let Some(bib) = own {
        let bib = store::bib(tx, bib)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("bib {bib}")))?;
        let outcome = match compare_with_stored(&bib.marc, &bib_record) {
            Comparison::Same => Some(Outcome::Unchanged),
            Comparison::Older => Some(Outcome::Older),
            Comparison::Newer => {
                // The lookups will ask the store, which must then hold every row.
                pending.write(tx).await?;
                write_bib_version(tx, bib.id, &bib_record, &marc, now).await?;
                audit_bib_change(ctx, tx, who, &bib, "bib.import_update").await?;
                changed.push(bib.id.0);
                // Its identifiers and match key may have changed.
                lookups.stale = true;
                Some(Outcome::Updated)
            }
            // No telling which is later: the record is the bib's source, so as before.
            Comparison::Unknown => None,
        };
        if let Some(outcome) = outcome {
            let items = add_items(ctx, lookups, pending, member, bib.id, drafts, skip_barcodes);
            if !items.is_empty() && !matches!(outcome, Outcome::Updated) {
                changed.push(bib.id.0);
            }
            return Ok(Ok((outcome, items.len() as u64)));
        }
    }
    let (bib_id, outcome, load_merge) = match found {
        None => {
            let bib = BibRow {
                id: BibId(ctx.new_id()),
                summary,
                match_key: key.clone(),
                title_key: filing_title_key(&bib_record),
                marc,
                source_member: Some(member.id),
                source_record_id: source_record_id.clone(),
                withdrawn: false,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            lookups.created(bib.id, &ids, key.as_deref(), member.id, &source_record_id);
            pending.bib_ids.insert(bib.id);
            pending
                .identifiers
                .extend(ids.iter().map(|identifier| (bib.id, identifier.clone())));
            let id = bib.id;
            pending.bibs.push(bib);
            changed.push(id.0);
            (id, Outcome::Created, None)
        }
        // The member's own record again, with no telling which version is later.
        Some((_, bib)) if own.is_some() => (bib, Outcome::Unchanged, None),
        Some((rule, bib)) => {
            // Merged into it before: the merge takes the new items.
            if let Some(merge) = store::load_merge_of(tx, bib, member.id, &source_record_id).await?
            {
                (bib, Outcome::Unchanged, Some(merge))
            } else {
                let merge = MergeRow {
                    id: BibMergeId(ctx.new_id()),
                    kept_bib: bib,
                    merged_bib: None,
                    member: Some(member.id),
                    source_record_id: source_record_id.clone(),
                    rule: rule.as_str().to_string(),
                    items: Vec::new(),
                    merged_by: who.label(),
                    merged_at: now,
                    undone_at: None,
                    source_marc: Some(marc),
                };
                store::insert_merge(tx, &merge).await?;
                (bib, Outcome::Merged, Some(merge))
            }
        }
    };
    let new_items = add_items(ctx, lookups, pending, member, bib_id, drafts, skip_barcodes);
    if !new_items.is_empty() {
        if !matches!(outcome, Outcome::Created) {
            changed.push(bib_id.0);
        }
        if let Some(merge) = load_merge {
            let mut items = merge.items.clone();
            items.extend(new_items.iter().copied());
            store::set_merge_items(tx, merge.id, &items).await?;
        }
    }
    Ok(Ok((outcome, new_items.len() as u64)))
}

/// Adds the record's items to the bib (among the batch's pending rows), but for the barcodes in
/// `skip` (stored before, or seen earlier in the record), and gives their ids.
fn add_items(
    ctx: &Context,
    lookups: &mut BatchLookups,
    pending: &mut Pending,
    member: &Member,
    bib_id: BibId,
    drafts: Vec<(HoldingDraft, BranchId, BranchId)>,
    mut skip: std::collections::HashSet<Barcode>,
) -> Vec<ItemId> {
    let now = ctx.now();
    let mut new_items = Vec::new();
    for (draft, branch, current) in drafts {
        // `insert` is false for a barcode seen already: stored before, or twice in this record.
        if !skip.insert(draft.barcode.clone()) {
            continue;
        }
        let item = ItemRow {
            id: ItemId(ctx.new_id()),
            bib_id,
            member_id: member.id,
            branch_id: branch,
            current_branch_id: current,
            barcode: draft.barcode,
            call_number: draft.call_number,
            item_type: draft.item_type,
            shelving_location: draft.shelving_location,
            price_minor: draft.price_minor,
            status: ItemStatus::Available,
            hidden_from_other_members: false,
            created_at: now,
            updated_at: now,
        };
        lookups
            .barcodes
            .insert(item.barcode.as_str().to_owned(), member.id);
        new_items.push(item.id);
        pending.items.push(item);
    }
    new_items
}

/// Stores an authority record: a new one, a later version of one stored (its cross-references
/// replaced), or the sender's deletion of one.
async fn import_authority(
    ctx: &Context,
    tx: &mut Conn,
    record: &Record,
) -> ServiceResult<Result<(Outcome, u64), String>> {
    let marc = match to_iso2709(&bib_part(record, &HoldingsMapping::default())) {
        Ok(bytes) => bytes,
        Err(error) => return Ok(Err(format!("cannot store the record: {error}"))),
    };
    let deleted = versions::record_status(record) == RecordStatus::Deleted;
    if deleted && control_number(record).is_none() {
        return Ok(Err(NO_RECORD_TO_DELETE.to_string()));
    }
    let source_record_id = source_record_id(record, &marc);
    let stored = store::authority_by_source(tx, &source_record_id).await?;
    let heading = authority_heading(record);
    let outcome = match stored {
        // Only the authority with the heading the deletion names: under a control number used
        // twice, another authority stays.
        Some((id, stored)) if deleted => {
            let stored_heading = read_stored_bytes(&stored)
                .map(|stored| authority_heading(&stored))
                .unwrap_or_default();
            if stored_heading != heading {
                return Ok(Err(format!(
                    "the record is marked deleted (leader/05), but the authority under its \
                     control number has another heading ({stored_heading:?}, not {heading:?}): \
                     it stays in the catalogue"
                )));
            }
            store::delete_authority(tx, id).await?;
            Outcome::Deleted
        }
        None if deleted => Outcome::Unchanged,
        // Without a later 005 the authority stored first stays: a control number used twice
        // must not make one authority replace another.
        Some((id, stored)) => match compare_with_stored(&stored, record) {
            Comparison::Same | Comparison::Unknown => Outcome::Unchanged,
            Comparison::Older => Outcome::Older,
            Comparison::Newer => {
                let references = references_of(record);
                store::update_authority(tx, id, &heading, &marc, ctx.now(), &references).await?;
                Outcome::Updated
            }
        },
        None => {
            store::insert_authority(
                tx,
                concord_domain::ids::AuthorityId(ctx.new_id()),
                &heading,
                &marc,
                &source_record_id,
                ctx.now(),
                &references_of(record),
            )
            .await?;
            Outcome::AuthorityAdded
        }
    };
    Ok(Ok((outcome, 0)))
}

/// An authority record's heading as the store keeps it: its 1XX's subfields joined by spaces.
fn authority_heading(record: &Record) -> String {
    record
        .data_fields()
        .find(|f| f.tag.as_str().starts_with('1'))
        .map(|f| {
            f.subfields
                .iter()
                .map(|s| s.value.trim())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// Why a record marked deleted without a control number is rejected.
const NO_RECORD_TO_DELETE: &str =
    "the record is marked deleted (leader/05) but has no control number (001) to say which";

/// Takes out of the catalogue the bib this member's record marked deleted (leader/05 `d`)
/// had made, when nothing else rests on it: no item of any member, no other record merged
/// into it. A record of the member merged into another's bib, or one the catalogue never
/// held, leaves everything as it was.
async fn delete_bib(
    ctx: &Context,
    tx: &mut WriteTx,
    who: &Principal,
    member: &Member,
    record: &Record,
    changed: &mut Vec<i64>,
) -> ServiceResult<Result<(Outcome, u64), String>> {
    let Some(control_number) = control_number(record) else {
        return Ok(Err(NO_RECORD_TO_DELETE.to_string()));
    };
    let Some(bib) = store::bib_from_source(tx, member.id, control_number).await? else {
        return Ok(Ok((Outcome::Unchanged, 0)));
    };
    if let Some(why) = what_rests_on_now(tx, bib.id, Some(member.id)).await? {
        return Ok(Err(format!(
            "the record is marked deleted (leader/05), but {why}"
        )));
    }
    store::set_bib_withdrawn(tx, bib.id, true, ctx.now()).await?;
    changed.push(bib.id.0);
    // Which bib went, and what it said: the row stays, withdrawn, and the log names it.
    audit(
        ctx,
        tx,
        who,
        Change {
            action: "bib.import_delete",
            entity_kind: "bib",
            entity_id: bib.id.to_string(),
            member: Some(member.id),
            before: Some(&BibAudit::of(&bib)),
            after: None,
            reason: Some(&format!(
                "record {control_number} marked deleted (leader/05)"
            )),
        },
    )
    .await?;
    Ok(Ok((Outcome::Deleted, 0)))
}

/// What keeps `bib` in the catalogue, if anything, given its items and the merges it takes
/// part in: copies of any member not withdrawn, or records merged into it (but those of
/// `except`, the member deleting its own record). The reason names the bib and what to do.
fn what_rests_on(
    bib: BibId,
    items: &[ItemRow],
    merges: &[MergeRow],
    except: Option<MemberId>,
) -> Option<String> {
    let items = items
        .iter()
        .filter(|item| item.status != ItemStatus::Withdrawn)
        .count();
    if items > 0 {
        return Some(format!(
            "bib {bib} still has {items} item(s): withdraw them first"
        ));
    }
    let merged = merges.iter().any(|merge| {
        merge.kept_bib == bib
            && merge.undone_at.is_none()
            && (merge.member.is_none() || merge.member != except)
    });
    merged.then(|| format!("other records are merged into bib {bib}: undo those merges first"))
}

/// [`what_rests_on`] as the store holds the bib now.
async fn what_rests_on_now(
    tx: &mut Conn,
    bib: BibId,
    except: Option<MemberId>,
) -> ServiceResult<Option<String>> {
    let items = store::items_of_bib(tx, bib).await?;
    let merges = store::merges_of_bib(tx, bib).await?;
    Ok(what_rests_on(bib, &items, &merges, except))
}

/// The bib `bib` was merged into (by hand or on import), while the merge stands, given the
/// merges it takes part in.
fn merged_into(bib: BibId, merges: &[MergeRow]) -> Option<BibId> {
    merges
        .iter()
        .find(|merge| merge.merged_bib == Some(bib) && merge.undone_at.is_none())
        .map(|merge| merge.kept_bib)
}

/// Takes a bib out of the catalogue by hand (out of search, record pages and exports), when
/// nothing rests on it; the row and its record stay, and [`restore_bib`] brings it back.
pub async fn withdraw_bib(ctx: &Context, who: &Principal, id: BibId) -> ServiceResult<BibRow> {
    change_withdrawal(ctx, who, id, true).await
}

/// Brings back a bib taken out by hand or by an import's deletion. One merged into another
/// comes back by undoing the merge instead.
pub async fn restore_bib(ctx: &Context, who: &Principal, id: BibId) -> ServiceResult<BibRow> {
    change_withdrawal(ctx, who, id, false).await
}

/// Takes a bib out (`withdraw`) or brings it back, once what each needs holds, audited.
async fn change_withdrawal(
    ctx: &Context,
    who: &Principal,
    id: BibId,
    withdraw: bool,
) -> ServiceResult<BibRow> {
    authorise(who, Action::EditBib)?;
    let mut tx = ctx.store.write().await?;
    let before = store::bib(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("bib {id}")))?;
    let refusal = if before.withdrawn == withdraw {
        Some(if withdraw {
            format!("Bib {id} is already out of the catalogue.")
        } else {
            format!("Bib {id} is in the catalogue.")
        })
    } else if withdraw {
        what_rests_on_now(&mut tx, id, None)
            .await?
            .map(|why| format!("Bib {id} cannot be deleted: {why}."))
    } else {
        let merges = store::merges_of_bib(&mut tx, id).await?;
        merged_into(id, &merges).map(|kept| {
            format!("Bib {id} is merged into bib {kept}: undo that merge to bring it back.")
        })
    };
    if let Some(refusal) = refusal {
        return Err(ServiceError::new(ErrorCode::Conflict, refusal));
    }
    let now = ctx.now();
    store::set_bib_withdrawn(&mut tx, id, withdraw, now).await?;
    store::log_change(&mut tx, "bib", id.0, now).await?;
    let action = if withdraw {
        "bib.withdraw"
    } else {
        "bib.restore"
    };
    let after = audit_bib_change(ctx, &mut tx, who, &before, action).await?;
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(after)
}

/// The bib a permalink of a merged-away bib leads to now: the bib it was merged into, and so
/// on while that one was merged away too (at most a few hops).
pub async fn current_bib(ctx: &Context, id: BibId) -> ServiceResult<Option<BibId>> {
    let mut conn = ctx.store.read().await?;
    let mut current = id;
    for _ in 0..8 {
        match merged_into(current, &store::merges_of_bib(&mut conn, current).await?) {
            Some(kept) => current = kept,
            None => break,
        }
    }
    Ok((current != id).then_some(current))
}

/// Writes a new version of a bib's record, with the columns worked out from it and its
/// identifiers.
async fn write_bib_version(
    tx: &mut Conn,
    id: BibId,
    record: &Record,
    marc: &[u8],
    now: i64,
) -> ServiceResult<()> {
    let summary = summarise(record);
    let key = match_key(record);
    let title_key = filing_title_key(record);
    let derived = store::DerivedColumns {
        summary: &summary,
        match_key: key.as_deref(),
        title_key: &title_key,
    };
    store::update_bib_record(tx, id, &derived, marc, now).await?;
    store::replace_identifiers(tx, id, &identifiers(record)).await?;
    Ok(())
}

// ----- export -----

/// What a bulk export wrote and what it left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// How many records were written.
    pub written: u64,
    /// The bibs left out, in bib order, each with the reason: a librarian repairs them in the
    /// MARC editor and exports them again.
    pub skipped: Vec<SkippedBib>,
}

/// A bib a bulk export left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedBib {
    pub bib: BibId,
    /// "its stored record cannot be read (record has no fields)", say.
    pub reason: String,
}

/// Why the writer of a bulk export did not write a record.
#[derive(Debug)]
pub enum ExportWriteError {
    /// The export's format cannot hold this record (an ISO 2709 record over 99,999 bytes, a
    /// delimiter in a control field): the bib is left out and reported, the export goes on.
    RecordRefused(String),
    /// Writing the output failed: the export stops with this error.
    Output(ServiceError),
}

/// Writes bibs with their items as 852 fields (`$a` member, `$b` branch, `$c` shelving location,
/// `$h` call number, `$p` barcode, `$y` item type, `$9` price), calling `write` for each record.
/// Only a member's items when `member_code` is given; only bibs changed since `since` (Unix
/// seconds) when given. A bib whose stored record cannot be read, or that `write` refuses, is
/// left out and reported (one old row must not stop a consortium's export), as the import
/// reports the records it rejects.
pub async fn export(
    ctx: &Context,
    who: &Principal,
    member_code: Option<&str>,
    since: Option<i64>,
    mut write: impl FnMut(&Record) -> Result<(), ExportWriteError>,
) -> ServiceResult<ExportSummary> {
    let mut conn = ctx.store.read().await?;
    authorise(who, Action::ReadOrganisation)?;
    if !who.is_staff() {
        return Err(ServiceError::new(
            ErrorCode::Forbidden,
            "This needs a staff account.",
        ));
    }
    let member = match member_code {
        Some(code) => Some(super::org::member_in(&mut conn, code).await?),
        None => None,
    };
    let members: HashMap<MemberId, String> = concord_store::org::list_members(&mut conn)
        .await?
        .into_iter()
        .map(|m| (m.id, m.code.to_string()))
        .collect();
    let branches: HashMap<BranchId, String> = concord_store::org::list_branches(&mut conn, None)
        .await?
        .into_iter()
        .map(|b| (b.id, b.code.to_string()))
        .collect();
    let mut after = i64::MIN;
    let mut summary = ExportSummary::default();
    loop {
        let page =
            store::bibs_page(&mut conn, member.as_ref().map(|m| m.id), since, after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.id.0;
        for bib in &page {
            let mut record = match read_stored_record(bib) {
                Ok(record) => record,
                Err(unreadable) => {
                    tracing::warn!(bib = bib.id.0, problem = %unreadable.problem, "left out of the export: its stored record cannot be read");
                    summary.skipped.push(SkippedBib {
                        bib: bib.id,
                        reason: format!(
                            "its stored record cannot be read ({})",
                            unreadable.problem
                        ),
                    });
                    continue;
                }
            };
            for item in store::items_of_bib(&mut conn, bib.id).await? {
                if member.as_ref().is_some_and(|m| m.id != item.member_id)
                    || item.status == ItemStatus::Withdrawn
                {
                    continue;
                }
                record.push_data(item_852(&item, &members, &branches)?);
            }
            match write(&record) {
                Ok(()) => summary.written += 1,
                Err(ExportWriteError::RecordRefused(problem)) => {
                    tracing::warn!(bib = bib.id.0, %problem, "left out of the export: its format cannot hold the record");
                    summary.skipped.push(SkippedBib {
                        bib: bib.id,
                        reason: format!("the export format cannot hold it ({problem})"),
                    });
                }
                Err(ExportWriteError::Output(error)) => return Err(error),
            }
        }
    }
    Ok(summary)
}

fn tag(text: &str) -> ServiceResult<Tag> {
    Tag::parse(text).map_err(|e| ServiceError::internal(e.to_string()))
}

fn item_852(
    item: &ItemRow,
    members: &HashMap<MemberId, String>,
    branches: &HashMap<BranchId, String>,
) -> ServiceResult<DataField> {
    let mut field = DataField::new(tag("852")?, ' ', ' ');
    if let Some(member) = members.get(&item.member_id) {
        field = field.with_subfield('a', member.clone());
    }
    if let Some(branch) = branches.get(&item.branch_id) {
        field = field.with_subfield('b', branch.clone());
    }
    if let Some(location) = &item.shelving_location {
        field = field.with_subfield('c', location.as_str());
    }
    if !item.call_number.is_empty() {
        field = field.with_subfield('h', item.call_number.clone());
    }
    field = field
        .with_subfield('p', item.barcode.as_str())
        .with_subfield('y', item.item_type.as_str());
    if let Some(price) = item.price_minor {
        field = field.with_subfield('9', format_price(price));
    }
    Ok(field)
}

/// Why the stored MARC record of a bib cannot be read. Bibs stored before the ISO 2709 writer
/// refused records that would not read back (one without fields, say) can hold such bytes;
/// the catalogue then shows what the bib's columns still know, and staff can replace the record
/// in the MARC editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableRecord {
    pub bib: BibId,
    /// What is wrong with the bytes, as the reader says it ("record has no fields").
    pub problem: String,
}

impl UnreadableRecord {
    /// The refusal of whatever needs the record itself (an export, the MARC view).
    pub fn error(&self) -> ServiceError {
        ServiceError::new(
            ErrorCode::RecordUnreadable,
            format!(
                "The MARC record of bib {} cannot be read ({}); library staff can replace it in the MARC editor.",
                self.bib, self.problem
            ),
        )
    }
}

impl From<UnreadableRecord> for ServiceError {
    fn from(unreadable: UnreadableRecord) -> Self {
        unreadable.error()
    }
}

/// The bib's stored MARC record, or why it cannot be read.
pub fn read_stored_record(bib: &BibRow) -> Result<Record, UnreadableRecord> {
    read_stored_bytes(&bib.marc).map_err(|problem| UnreadableRecord {
        bib: bib.id,
        problem,
    })
}

/// The cross-references of an authority record, as the store keeps them for the browse
/// lists.
fn references_of(authority: &Record) -> Vec<store::AuthorityReference> {
    concord_search::browse::cross_references(authority)
        .into_iter()
        .map(|reference| store::AuthorityReference {
            kind: reference.kind.name().to_owned(),
            relation: reference.relation.name().to_owned(),
            sort_key: reference.sort_key(),
            variant: reference.from,
            heading: reference.heading,
        })
        .collect()
}

/// Authorities whose cross-references are written per transaction by
/// [`fill_authority_references`].
const REFERENCES_PER_TRANSACTION: i64 = 500;

/// Writes the cross-references of the authorities stored before they were kept (or before the
/// see also ones were), a page at a time, and says how many authorities it read. One whose
/// record cannot be read has none.
pub async fn fill_authority_references(ctx: &Context) -> ServiceResult<u64> {
    let mut after = i64::MIN;
    let mut read = 0;
    loop {
        let mut tx = ctx.store.write().await?;
        let page =
            store::authorities_without_references(&mut tx, after, REFERENCES_PER_TRANSACTION)
                .await?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = last.0;
        for (id, marc) in &page {
            let references = read_stored_bytes(marc)
                .map(|record| references_of(&record))
                .unwrap_or_default();
            store::write_authority_references(&mut tx, *id, &references).await?;
        }
        tx.commit().await?;
        read += page.len() as u64;
    }
    Ok(read)
}

/// The first record of stored ISO 2709 bytes, or what is wrong with them.
fn read_stored_bytes(marc: &[u8]) -> Result<Record, String> {
    match read_iso2709(marc).next() {
        Some(Ok(record)) => Ok(record),
        Some(Err(error)) => Err(error.kind.to_string()),
        None if marc.is_empty() => Err("nothing is stored".to_string()),
        None => Err("it holds no record".to_string()),
    }
}

// ----- reading a record -----

/// What every member calls its shelving locations.
#[derive(Debug, Clone, Default)]
pub struct LocationNames(HashMap<(MemberId, Code), String>);

impl LocationNames {
    pub async fn read(conn: &mut Conn) -> ServiceResult<LocationNames> {
        Ok(LocationNames(
            concord_store::org::location_names(conn)
                .await?
                .into_iter()
                .map(|(member, code, name)| ((member, code), name))
                .collect(),
        ))
    }

    /// The locations `member` has named, with their names, by code.
    pub fn of_member(&self, member: MemberId) -> Vec<(Code, String)> {
        let mut named: Vec<(Code, String)> = self
            .0
            .iter()
            .filter(|((owner, _), _)| *owner == member)
            .map(|((_, code), name)| (code.clone(), name.clone()))
            .collect();
        named.sort();
        named
    }

    /// What `member` calls its location `code`, when it has named it.
    pub fn name(&self, member: MemberId, code: &Code) -> Option<&str> {
        self.0.get(&(member, code.clone())).map(String::as_str)
    }

    /// How a copy of `member` at `location` says where it stands: the location's name, or its
    /// code when the member has not named it.
    pub fn shown(&self, member: MemberId, location: Option<&Code>) -> Option<String> {
        let code = location?;
        Some(
            self.name(member, code)
                .map_or_else(|| code.to_string(), str::to_owned),
        )
    }
}

/// A bib with everything the record page shows.
#[derive(Debug, Clone)]
pub struct BibDetail {
    pub bib: BibRow,
    /// The stored MARC record, or why it cannot be read: the rest of the detail is shown either way.
    pub record: Result<Record, UnreadableRecord>,
    pub identifiers: Vec<concord_domain::catalogue::Identifier>,
    pub items: Vec<ItemRow>,
    pub merges: Vec<MergeRow>,
    pub members: HashMap<MemberId, Member>,
    pub branches: HashMap<BranchId, Branch>,
    /// What the members call their shelving locations.
    pub locations: LocationNames,
}

impl BibDetail {
    /// The stored MARC record, for what cannot be made without it.
    pub fn readable_record(&self) -> ServiceResult<&Record> {
        self.record.as_ref().map_err(UnreadableRecord::error)
    }

    /// The bib this one was merged into, while the merge stands.
    pub fn merged_into(&self) -> Option<BibId> {
        merged_into(self.bib.id, &self.merges)
    }

    /// Whether [`withdraw_bib`] would take it out: in the catalogue, and nothing rests on it.
    pub fn may_be_deleted(&self) -> bool {
        !self.bib.withdrawn && what_rests_on(self.bib.id, &self.items, &self.merges, None).is_none()
    }
}

pub async fn bib(ctx: &Context, id: BibId) -> ServiceResult<BibDetail> {
    let mut conn = ctx.store.read().await?;
    let bib = store::bib(&mut conn, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("bib {id}")))?;
    let record = read_stored_record(&bib);
    if let Err(unreadable) = &record {
        tracing::warn!(bib = id.0, problem = %unreadable.problem, "the stored record of a bib cannot be read");
    }
    let identifiers = store::identifiers_of(&mut conn, id).await?;
    let items = store::items_of_bib(&mut conn, id).await?;
    let merges = store::merges_of_bib(&mut conn, id).await?;
    let members = concord_store::org::list_members(&mut conn)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let branches = concord_store::org::list_branches(&mut conn, None)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let locations = LocationNames::read(&mut conn).await?;
    Ok(BibDetail {
        bib,
        record,
        identifiers,
        items,
        merges,
        members,
        branches,
        locations,
    })
}

/// A bib as the audit log keeps it, before or after a change: with its record, so that no
/// version is lost.
#[derive(Serialize)]
struct BibAudit {
    version: i64,
    title: String,
    withdrawn: bool,
    marc: String,
    /// Why the record could not be read, when it could not (then `marc` is empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    unreadable: Option<String>,
}

impl BibAudit {
    fn of(bib: &BibRow) -> BibAudit {
        let record = read_stored_record(bib);
        BibAudit {
            version: bib.version,
            title: bib.summary.title.clone(),
            withdrawn: bib.withdrawn,
            marc: record
                .as_ref()
                .map(concord_marc::to_line_format)
                .unwrap_or_default(),
            unreadable: record.err().map(|u| u.problem),
        }
    }
}

/// Audits a change to a bib written in place of `before` (a new version of its record, or its
/// leaving or coming back to the catalogue), and gives the bib as it is now.
async fn audit_bib_change(
    ctx: &Context,
    tx: &mut WriteTx,
    who: &Principal,
    before: &BibRow,
    action: &'static str,
) -> ServiceResult<BibRow> {
    let id = before.id;
    let after = store::bib(tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("bib {id}")))?;
    audit(
        ctx,
        tx,
        who,
        Change {
            action,
            entity_kind: "bib",
            entity_id: id.to_string(),
            member: None,
            before: Some(&BibAudit::of(before)),
            after: Some(&BibAudit::of(&after)),
            reason: None,
        },
    )
    .await?;
    Ok(after)
}

/// Saves the MARC editor's text as a new version of the bib. Errors name the line and tag.
pub async fn update_record(
    ctx: &Context,
    who: &Principal,
    id: BibId,
    text: &str,
) -> ServiceResult<BibRow> {
    authorise(who, Action::EditBib)?;
    let record = parse_line_format(text).map_err(|errors| {
        ServiceError::invalid(
            errors
                .iter()
                .map(|e| FieldError::new("marc", e.to_string()))
                .collect(),
        )
    })?;
    let mut record = record;
    // Holdings live in items, not in the shared record.
    record
        .fields
        .retain(|field| !HoldingsMapping::default().is_holdings_tag(field.tag().as_str()));
    // The time of this change, so that an import of an earlier version does not undo it.
    versions::stamp(&mut record, ctx.now());
    let marc = to_iso2709(&record).map_err(|e| ServiceError::field("marc", e.to_string()))?;
    let mut tx = ctx.store.write().await?;
    let before = store::bib(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("bib {id}")))?;
    // A record that cannot be read is exactly what staff replace here.
    let now = ctx.now();
    write_bib_version(&mut tx, id, &record, &marc, now).await?;
    store::log_change(&mut tx, "bib", id.0, now).await?;
    let after = audit_bib_change(ctx, &mut tx, who, &before, "bib.update").await?;
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(after)
}

// ----- items -----

/// An item as typed in a form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct ItemInput {
    pub barcode: String,
    pub branch: String,
    pub current_branch: Option<String>,
    pub call_number: String,
    pub item_type: String,
    pub shelving_location: String,
    pub price: String,
    pub status: String,
    pub hidden_from_other_members: bool,
}

struct ItemDraft {
    barcode: Barcode,
    branch: Branch,
    current_branch: Branch,
    call_number: String,
    item_type: Code,
    shelving_location: Option<Code>,
    price_minor: Option<i64>,
    status: ItemStatus,
    hidden: bool,
}

async fn parse_item(conn: &mut Conn, input: &ItemInput) -> ServiceResult<ItemDraft> {
    let mut errors = Vec::new();
    let barcode = Barcode::parse("barcode", &input.barcode)
        .map_err(|e| errors.push(e))
        .ok();
    let item_type = Code::parse("item_type", &input.item_type)
        .map_err(|e| errors.push(e))
        .ok();
    let shelving_location = if input.shelving_location.trim().is_empty() {
        None
    } else {
        Code::parse("shelving_location", &input.shelving_location)
            .map_err(|e| errors.push(e))
            .ok()
    };
    let price_minor = if input.price.trim().is_empty() {
        None
    } else {
        match concord_domain::catalogue::holdings::parse_price(&input.price) {
            Some(price) => Some(price),
            None => {
                errors.push(FieldError::new("price", "must be an amount such as 12.50"));
                None
            }
        }
    };
    let status = if input.status.trim().is_empty() {
        Some(ItemStatus::Available)
    } else {
        ItemStatus::parse("status", &input.status)
            .map_err(|e| errors.push(e))
            .ok()
    };
    let branch = match Code::parse("branch", &input.branch) {
        Ok(code) => concord_store::org::branch_by_code(conn, &code)
            .await?
            .or_else(|| {
                errors.push(FieldError::new(
                    "branch",
                    format!("there is no branch {code}"),
                ));
                None
            }),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let current_branch = match input.current_branch.as_deref().map(str::trim) {
        Some(raw) if !raw.is_empty() => match Code::parse("current_branch", raw) {
            Ok(code) => concord_store::org::branch_by_code(conn, &code)
                .await?
                .or_else(|| {
                    errors.push(FieldError::new(
                        "current_branch",
                        format!("there is no branch {code}"),
                    ));
                    None
                }),
            Err(e) => {
                errors.push(e);
                None
            }
        },
        _ => branch.clone(),
    };
    match (barcode, item_type, status, branch, current_branch) {
        (Some(barcode), Some(item_type), Some(status), Some(branch), Some(current_branch))
            if errors.is_empty() =>
        {
            Ok(ItemDraft {
                barcode,
                branch,
                current_branch,
                call_number: input.call_number.trim().to_string(),
                item_type,
                shelving_location,
                price_minor,
                status,
                hidden: input.hidden_from_other_members,
            })
        }
        _ => Err(ServiceError::invalid(errors)),
    }
}

/// The shelving locations the member with this code keeps out of other members' views.
pub async fn hidden_locations(
    ctx: &Context,
    who: &Principal,
    member_code: &str,
) -> ServiceResult<Vec<Code>> {
    authorise(who, Action::ReadOrganisation)?;
    let mut conn = ctx.store.read().await?;
    let member = super::org::member_in(&mut conn, member_code).await?;
    Ok(concord_store::org::member_hidden_locations(&mut conn, member.id).await?)
}

/// Makes `locations` (one code each) the shelving locations the member keeps out of other
/// members' views, for staff who manage its items. The bibs with items at a location that
/// changed are reindexed, so searches follow within a second.
pub async fn set_hidden_locations(
    ctx: &Context,
    who: &Principal,
    member_code: &str,
    locations: &[&str],
) -> ServiceResult<Vec<Code>> {
    let locations = location_codes("hidden_locations", locations.iter().copied())
        .map_err(ServiceError::invalid)?;
    let mut tx = ctx.store.write().await?;
    let member = super::org::member_in(&mut tx, member_code).await?;
    authorise(who, Action::ManageItems { member: member.id })?;
    let before = concord_store::org::member_hidden_locations(&mut tx, member.id).await?;
    concord_store::org::replace_member_hidden_locations(&mut tx, member.id, &locations).await?;
    let changed: Vec<Code> = before
        .iter()
        .filter(|code| !locations.contains(code))
        .chain(locations.iter().filter(|code| !before.contains(code)))
        .cloned()
        .collect();
    let bibs: Vec<i64> = store::bibs_with_items_at(&mut tx, member.id, &changed)
        .await?
        .into_iter()
        .map(|bib| bib.0)
        .collect();
    let now = ctx.now();
    for batch in bibs.chunks(1000) {
        store::log_changes(&mut tx, "bib", batch, now).await?;
    }
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "member.hidden_locations",
            entity_kind: "member",
            entity_id: member.code.to_string(),
            member: Some(member.id),
            before: Some(&before),
            after: Some(&locations),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(locations)
}

/// One of a member's shelving locations, as its staff manage them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShelvingLocation {
    pub code: Code,
    /// What patrons are shown beside a copy there; none shows the code.
    pub name: Option<String>,
    /// The member's items there, withdrawn ones aside.
    pub items: i64,
    /// Whether the member keeps the location out of other members' views.
    pub kept_back: bool,
}

/// The member's shelving locations, by code: every one its items stand at, named or kept back.
pub async fn shelving_locations(
    ctx: &Context,
    who: &Principal,
    member_code: &str,
) -> ServiceResult<Vec<ShelvingLocation>> {
    authorise(who, Action::ReadOrganisation)?;
    let mut conn = ctx.store.read().await?;
    let member = super::org::member_in(&mut conn, member_code).await?;
    let names = LocationNames::read(&mut conn).await?;
    member_shelving_locations(&mut conn, member.id, &names).await
}

/// The shelving locations of the members of `branches`, each code once (with the first name
/// given it), by code: what staff adding or editing an item there choose from.
pub async fn location_choices(
    ctx: &Context,
    who: &Principal,
    branches: &[Branch],
) -> ServiceResult<Vec<ShelvingLocation>> {
    authorise(who, Action::ReadOrganisation)?;
    let mut members: Vec<MemberId> = branches.iter().map(|branch| branch.member_id).collect();
    members.sort_unstable();
    members.dedup();
    let mut conn = ctx.store.read().await?;
    let names = LocationNames::read(&mut conn).await?;
    let mut choices: std::collections::BTreeMap<Code, ShelvingLocation> =
        std::collections::BTreeMap::new();
    for member in members {
        for location in member_shelving_locations(&mut conn, member, &names).await? {
            let choice = choices
                .entry(location.code.clone())
                .or_insert_with(|| unnamed(location.code.clone()));
            choice.items += location.items;
            choice.kept_back |= location.kept_back;
            if choice.name.is_none() {
                choice.name = location.name;
            }
        }
    }
    Ok(choices.into_values().collect())
}

/// The member's shelving locations, by code, with their names among `names`.
async fn member_shelving_locations(
    conn: &mut Conn,
    member: MemberId,
    names: &LocationNames,
) -> ServiceResult<Vec<ShelvingLocation>> {
    let mut locations: std::collections::BTreeMap<Code, ShelvingLocation> =
        std::collections::BTreeMap::new();
    for (code, items) in concord_store::org::member_locations_in_use(conn, member).await? {
        locations
            .entry(code.clone())
            .or_insert_with(|| unnamed(code))
            .items = items;
    }
    for (code, name) in names.of_member(member) {
        locations
            .entry(code.clone())
            .or_insert_with(|| unnamed(code))
            .name = Some(name);
    }
    for code in concord_store::org::member_hidden_locations(conn, member).await? {
        locations
            .entry(code.clone())
            .or_insert_with(|| unnamed(code))
            .kept_back = true;
    }
    Ok(locations.into_values().collect())
}

fn unnamed(code: Code) -> ShelvingLocation {
    ShelvingLocation {
        code,
        name: None,
        items: 0,
        kept_back: false,
    }
}

/// Makes `names` (code and name, as typed) what the member's shelving locations are called,
/// for staff who manage its items: a location left without a name is shown by its code.
/// Nothing is indexed by these names, so no record is reindexed.
pub async fn set_location_names(
    ctx: &Context,
    who: &Principal,
    member_code: &str,
    names: &[(&str, &str)],
) -> ServiceResult<Vec<ShelvingLocation>> {
    let names = concord_domain::catalogue::location_names("names", names.iter().copied())
        .map_err(ServiceError::invalid)?;
    let mut tx = ctx.store.write().await?;
    let member = super::org::member_in(&mut tx, member_code).await?;
    authorise(who, Action::ManageItems { member: member.id })?;
    let before = LocationNames::read(&mut tx).await?.of_member(member.id);
    concord_store::org::replace_member_location_names(&mut tx, member.id, &names).await?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "member.location_names",
            entity_kind: "member",
            entity_id: member.code.to_string(),
            member: Some(member.id),
            before: Some(&before),
            after: Some(&names),
            reason: None,
        },
    )
    .await?;
    let after = LocationNames::read(&mut tx).await?;
    let locations = member_shelving_locations(&mut tx, member.id, &after).await?;
    tx.commit().await?;
    Ok(locations)
}

/// Adds an item of the branch's member to a bib.
pub async fn add_item(
    ctx: &Context,
    who: &Principal,
    bib_id: BibId,
    input: &ItemInput,
) -> ServiceResult<ItemRow> {
    let mut tx = ctx.store.write().await?;
    let draft = parse_item(&mut tx, input).await?;
    authorise(
        who,
        Action::ManageItems {
            member: draft.branch.member_id,
        },
    )?;
    let bib = store::bib(&mut tx, bib_id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("bib {bib_id}")))?;
    let now = ctx.now();
    let item = ItemRow {
        id: ItemId(ctx.new_id()),
        bib_id: bib.id,
        member_id: draft.branch.member_id,
        branch_id: draft.branch.id,
        current_branch_id: draft.current_branch.id,
        barcode: draft.barcode,
        call_number: draft.call_number,
        item_type: draft.item_type,
        shelving_location: draft.shelving_location,
        price_minor: draft.price_minor,
        status: draft.status,
        hidden_from_other_members: draft.hidden,
        created_at: now,
        updated_at: now,
    };
    store::insert_item(&mut tx, &item).await?;
    store::log_change(&mut tx, "bib", bib.id.0, now).await?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "item.create",
            entity_kind: "item",
            entity_id: item.id.to_string(),
            member: Some(item.member_id),
            before: None,
            after: Some(&item),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(item)
}

pub async fn item(ctx: &Context, id: ItemId) -> ServiceResult<ItemRow> {
    let mut conn = ctx.store.read().await?;
    store::item(&mut conn, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("item {id}")))
}

/// Changes an item; it stays with its member (a branch of another member is refused).
pub async fn update_item(
    ctx: &Context,
    who: &Principal,
    id: ItemId,
    input: &ItemInput,
) -> ServiceResult<ItemRow> {
    let mut tx = ctx.store.write().await?;
    let before = store::item(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("item {id}")))?;
    authorise(
        who,
        Action::ManageItems {
            member: before.member_id,
        },
    )?;
    let draft = parse_item(&mut tx, input).await?;
    if draft.branch.member_id != before.member_id {
        return Err(ServiceError::field(
            "branch",
            format!(
                "branch {} belongs to another member; an item stays with its member",
                draft.branch.code
            ),
        ));
    }
    let now = ctx.now();
    let after = ItemRow {
        branch_id: draft.branch.id,
        current_branch_id: draft.current_branch.id,
        barcode: draft.barcode,
        call_number: draft.call_number,
        item_type: draft.item_type,
        shelving_location: draft.shelving_location,
        price_minor: draft.price_minor,
        status: draft.status,
        hidden_from_other_members: draft.hidden,
        updated_at: now,
        ..before.clone()
    };
    save_item_change(ctx, &mut tx, who, "item.update", &before, &after).await?;
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(after)
}

/// Withdraws an item (it stays on record with status `withdrawn`).
pub async fn withdraw_item(ctx: &Context, who: &Principal, id: ItemId) -> ServiceResult<ItemRow> {
    let mut tx = ctx.store.write().await?;
    let before = store::item(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("item {id}")))?;
    authorise(
        who,
        Action::ManageItems {
            member: before.member_id,
        },
    )?;
    let after = ItemRow {
        status: ItemStatus::Withdrawn,
        updated_at: ctx.now(),
        ..before.clone()
    };
    save_item_change(ctx, &mut tx, who, "item.withdraw", &before, &after).await?;
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(after)
}

async fn save_item_change(
    ctx: &Context,
    tx: &mut concord_store::WriteTx,
    who: &Principal,
    action: &str,
    before: &ItemRow,
    after: &ItemRow,
) -> ServiceResult<()> {
    store::update_item(tx, after).await?;
    store::log_change(tx, "bib", after.bib_id.0, ctx.now()).await?;
    audit(
        ctx,
        tx,
        who,
        Change {
            action,
            entity_kind: "item",
            entity_id: after.id.to_string(),
            member: Some(after.member_id),
            before: Some(before),
            after: Some(after),
            reason: None,
        },
    )
    .await
}

// ----- merges -----

/// Merges `merged` into `kept` by hand: every item moves to `kept`, `merged` is withdrawn, and
/// the merge is recorded so that it can be undone.
pub async fn merge_bibs(
    ctx: &Context,
    who: &Principal,
    kept: BibId,
    merged: BibId,
) -> ServiceResult<MergeRow> {
    authorise(who, Action::EditBib)?;
    if kept == merged {
        return Err(ServiceError::field(
            "merged",
            "a record cannot be merged into itself",
        ));
    }
    let mut tx = ctx.store.write().await?;
    let kept_bib = store::bib(&mut tx, kept)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("bib {kept}")))?;
    let merged_bib = store::bib(&mut tx, merged)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("bib {merged}")))?;
    if kept_bib.withdrawn || merged_bib.withdrawn {
        return Err(ServiceError::new(
            ErrorCode::Conflict,
            "Both records must be live to merge them.",
        ));
    }
    let now = ctx.now();
    let items = store::items_of_bib(&mut tx, merged).await?;
    for item in &items {
        store::update_item(
            &mut tx,
            &ItemRow {
                bib_id: kept,
                updated_at: now,
                ..item.clone()
            },
        )
        .await?;
    }
    store::set_bib_withdrawn(&mut tx, merged, true, now).await?;
    let merge = MergeRow {
        id: BibMergeId(ctx.new_id()),
        kept_bib: kept,
        merged_bib: Some(merged),
        member: None,
        source_record_id: merged_bib.source_record_id.clone(),
        rule: "manual".into(),
        items: items.iter().map(|i| i.id).collect(),
        merged_by: who.label(),
        merged_at: now,
        undone_at: None,
        source_marc: None,
    };
    store::insert_merge(&mut tx, &merge).await?;
    store::log_change(&mut tx, "bib", kept.0, now).await?;
    store::log_change(&mut tx, "bib", merged.0, now).await?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "bib.merge",
            entity_kind: "bib",
            entity_id: kept.to_string(),
            member: None,
            before: None,
            after: Some(&merge),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(merge)
}

/// What undoing a merge did.
#[derive(Debug, Clone, Serialize)]
pub struct UndoReport {
    /// The bib that holds the merged-in record again.
    pub restored_bib: BibId,
    pub items_moved_back: Vec<ItemId>,
    /// Items left where they are, with the reason (changed or moved since the merge).
    pub not_restored: Vec<String>,
}

/// Undoes a merge: the merged-in record becomes a bib of its own again (a hand merge revives
/// the withdrawn bib, a load merge creates one from the source record) and its items move back,
/// except items that moved to another bib since, which are reported.
pub async fn undo_merge(
    ctx: &Context,
    who: &Principal,
    id: BibMergeId,
) -> ServiceResult<UndoReport> {
    authorise(who, Action::EditBib)?;
    let mut tx = ctx.store.write().await?;
    let merge = store::merge(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("merge {id}")))?;
    if merge.undone_at.is_some() {
        return Err(ServiceError::new(
            ErrorCode::Conflict,
            "This merge has already been undone.",
        ));
    }
    let now = ctx.now();
    let restored_bib = match (merge.merged_bib, &merge.source_marc) {
        (Some(bib), _) => {
            store::set_bib_withdrawn(&mut tx, bib, false, now).await?;
            bib
        }
        (None, Some(marc)) => {
            // Refused before anything is written: the undo happens whole or not at all.
            let record = read_stored_bytes(marc).map_err(|problem| {
                ServiceError::new(
                    ErrorCode::RecordUnreadable,
                    format!(
                        "The record merged into bib {} by merge {id} was saved in a form that cannot be read ({problem}), so the merge cannot be undone.",
                        merge.kept_bib
                    ),
                )
            })?;
            let bib = BibRow {
                id: BibId(ctx.new_id()),
                summary: summarise(&record),
                match_key: match_key(&record),
                title_key: filing_title_key(&record),
                marc: marc.clone(),
                source_member: merge.member,
                source_record_id: merge.source_record_id.clone(),
                withdrawn: false,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            store::insert_bib(&mut tx, &bib).await?;
            // Identifiers stay with the kept bib only, or the next load would match either.
            bib.id
        }
        (None, None) => {
            return Err(ServiceError::internal(format!(
                "merge {id} has nothing to restore"
            )));
        }
    };
    let mut moved = Vec::new();
    let mut not_restored = Vec::new();
    for item_id in &merge.items {
        match store::item(&mut tx, *item_id).await? {
            Some(item) if item.bib_id == merge.kept_bib => {
                store::update_item(
                    &mut tx,
                    &ItemRow {
                        bib_id: restored_bib,
                        updated_at: now,
                        ..item
                    },
                )
                .await?;
                moved.push(*item_id);
            }
            Some(item) => not_restored.push(format!(
                "item {} has moved to bib {} since the merge",
                item.barcode, item.bib_id
            )),
            None => not_restored.push(format!("item {item_id} no longer exists")),
        }
    }
    store::mark_merge_undone(&mut tx, id, now).await?;
    store::log_change(&mut tx, "bib", merge.kept_bib.0, now).await?;
    store::log_change(&mut tx, "bib", restored_bib.0, now).await?;
    let report = UndoReport {
        restored_bib,
        items_moved_back: moved,
        not_restored,
    };
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "bib.merge_undo",
            entity_kind: "bib_merge",
            entity_id: id.to_string(),
            member: merge.member,
            before: None,
            after: Some(&report),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(report)
}

/// Every data field of a record as `(tag, text)` for the human-readable page.
pub fn display_fields<'a>(
    record: &'a Record,
    tags: &'a [&'a str],
) -> impl Iterator<Item = (String, String)> + 'a {
    record.fields.iter().filter_map(move |field| match field {
        Field::Data(data) if tags.iter().any(|t| data.tag.as_str() == *t) => Some((
            data.tag.to_string(),
            data.subfields
                .iter()
                .filter(|s| s.code.is_ascii_alphabetic())
                .map(|s| s.value.trim())
                .collect::<Vec<_>>()
                .join(" "),
        )),
        _ => None,
    })
}
