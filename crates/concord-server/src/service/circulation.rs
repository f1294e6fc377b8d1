//! Circulation use cases: checkout, check-in, renewal, lost and claimed-returned items, and the
//! fines ledger (charges, payments, waivers, refunds), plus the daily jobs.
//!
//! **Invariant:** each action is one store transaction: the item's status, the loan, the ledger
//! entries, the transit and (for overrides) the audit entry commit together or not at all. The
//! rules come from `concord_domain::circulation`; this module only loads facts and writes results.

use std::sync::Arc;

use concord_domain::ErrorCode;
use concord_domain::auth::{Action, Principal, authorise};
use concord_domain::catalogue::ItemStatus as StoredItemStatus;
use concord_domain::circulation::jobs::{self, JobKind, QueuedJob};
use concord_domain::circulation::{
    Block, BranchCalendar, CirculationPolicy, EntryKind, ItemFacts, Ledger, LedgerEntry,
    LoanCounts, PatronFacts, PolicyContext, PolicyRule, RenewalFacts, ReturnFacts, Routing,
    checkout_blocks, due_at, explain_policy, lost_item_charge, may_proceed, overdue_fine,
    renewal_blocks, route_returned_item,
};
use concord_domain::codes::{Barcode, Code};
use concord_domain::ids::{BranchId, ItemId, LedgerEntryId, PatronId};
use concord_domain::money::{Currency, Money};
use concord_domain::org::Branch;
use concord_domain::patron::{Patron, PatronStatus};
use concord_store::catalogue::{self as catalogue_store, ItemRow};
use concord_store::circulation::{self as store, LedgerRow, LoanRow, OpenLoan, ReadingHistoryLine};
use concord_store::{Conn, WriteTx};
use serde::Serialize;

use super::desk_settings::DeskSettings;
use super::{Change, ServiceError, ServiceResult, audit};
use crate::Context;

/// The shelving location a rule sees for an item that has none.
const NO_SHELVING_LOCATION: &str = "NONE";

/// A loan just made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckoutReceipt {
    pub loan_id: i64,
    pub patron_id: PatronId,
    pub item_barcode: String,
    pub title: String,
    pub due_at: i64,
    /// The blocks staff overrode to make this loan (empty for an ordinary loan).
    pub overridden: Vec<Block>,
}

/// What the desk does with a returned item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckinReceipt {
    pub item_barcode: String,
    pub title: String,
    pub routing: Routing,
    /// The branch the item goes to when in transit.
    pub transit_to: Option<Branch>,
    /// The loan closed by this check-in, if the item was out.
    pub loan_id: Option<i64>,
    pub patron_id: Option<PatronId>,
    /// The overdue fine charged now, if any.
    pub fine_charged: Option<Money>,
}

/// A renewed loan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenewalReceipt {
    pub loan_id: i64,
    pub item_barcode: String,
    pub due_at: i64,
    pub renewals_used: i64,
    pub overridden: Vec<Block>,
}

/// Everything a patron's account page shows about their borrowing.
#[derive(Debug, Clone)]
pub struct PatronCirculation {
    pub patron: Patron,
    pub loans: Vec<OpenLoan>,
    pub ledger: Vec<LedgerRow>,
    pub ledger_state: Ledger,
    pub reading_history: Vec<ReadingHistoryLine>,
    /// A visiting patron at a desk of another member, whose staff may not read the patron's
    /// record: `loans` lists only what this member lent, `ledger` is empty (the balance in
    /// `ledger_state` still shows, since fines block checkouts everywhere), no contact details
    /// and no reading history.
    pub visiting: bool,
    /// Loans from other members, counted but not listed for a visiting patron.
    pub loans_elsewhere: usize,
}

// ----- facts loaded inside the transaction -----

fn parse_barcode(field: &str, raw: &str) -> ServiceResult<Barcode> {
    Ok(Barcode::parse(field, raw)?)
}

fn override_reason(raw: Option<&str>) -> ServiceResult<Option<String>> {
    match raw.map(str::trim) {
        None => Ok(None),
        Some("") => Err(ServiceError::field(
            "override_reason",
            "give a reason for overriding the block",
        )),
        Some(reason) => Ok(Some(reason.to_string())),
    }
}

/// Whether `who` may work the desk at `branch`.
fn authorise_desk(who: &Principal, branch: &Branch) -> ServiceResult<()> {
    authorise(
        who,
        Action::Circulate {
            member: branch.member_id,
            branch: branch.id,
        },
    )?;
    Ok(())
}

async fn desk_branch(conn: &mut Conn, code: &str) -> ServiceResult<Branch> {
    let code = Code::parse("branch", code)?;
    concord_store::org::branch_by_code(conn, &code)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("branch {code}")))
}

/// The consortium's currency and local-time offset.
async fn money_and_time(conn: &mut Conn) -> ServiceResult<(Currency, i32)> {
    let settings = concord_store::org::consortium(conn).await?.ok_or_else(|| {
        ServiceError::new(ErrorCode::Conflict, "The consortium is not set up yet.")
    })?;
    let currency = Currency::iso("currency", &settings.currency)?;
    let offset = i32::try_from(settings.utc_offset_seconds)
        .map_err(|_| ServiceError::internal("utc offset out of range"))?;
    Ok((currency, offset))
}

async fn rules(conn: &mut Conn) -> ServiceResult<Vec<PolicyRule>> {
    Ok(concord_store::policies::list_policy_rules(conn)
        .await?
        .into_iter()
        .map(|stored| stored.rule)
        .collect())
}

async fn patron_by_card(conn: &mut Conn, card: &Barcode) -> ServiceResult<Patron> {
    concord_store::patrons::patron_by_card(conn, card)
        .await?
        .map(|(patron, _)| patron)
        .ok_or_else(|| ServiceError::not_found(format!("a patron with card {card}")))
}

async fn patron_by_id(conn: &mut Conn, id: PatronId) -> ServiceResult<Patron> {
    concord_store::patrons::patron_by_id(conn, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("patron {id}")))
}

async fn item_by_barcode(conn: &mut Conn, barcode: &Barcode) -> ServiceResult<ItemRow> {
    catalogue_store::item_by_barcode(conn, barcode)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("item {barcode}")))
}

/// The item and its bib's title (for the receipt).
async fn item_and_title(conn: &mut Conn, barcode: &Barcode) -> ServiceResult<(ItemRow, String)> {
    catalogue_store::item_and_title_by_barcode(conn, barcode)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("item {barcode}")))
}

fn policy_context(
    circulating_member: concord_domain::ids::MemberId,
    circulating_branch: BranchId,
    patron: &Patron,
    item: &ItemRow,
) -> ServiceResult<PolicyContext> {
    let shelving_location = match &item.shelving_location {
        Some(code) => code.clone(),
        None => Code::parse("shelving_location", NO_SHELVING_LOCATION)?,
    };
    Ok(PolicyContext {
        circulating_member,
        circulating_branch,
        patron_home_member: patron.home_member,
        patron_type: patron.patron_type.clone(),
        item_type: item.item_type.clone(),
        shelving_location,
    })
}

/// The policy for a context and the ids of the rules that supplied it (for the loan's record).
fn policy_for(
    rules: &[PolicyRule],
    context: &PolicyContext,
) -> ServiceResult<(CirculationPolicy, String)> {
    let explanation = explain_policy(rules, context);
    let policy = explanation.policy.map_err(|error| {
        ServiceError::new(
            ErrorCode::Conflict,
            format!("No complete circulation rule applies here: {error}. Ask an administrator to add a default rule."),
        )
    })?;
    let mut ids: Vec<i64> = explanation
        .values
        .iter()
        .filter_map(|value| value.supplied_by.map(|id| id.0))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let ids = ids
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    Ok((policy, ids))
}

/// The patron's ledger, rebuilt and checked by the domain's rules.
async fn ledger_of(
    conn: &mut Conn,
    patron: PatronId,
    currency: Currency,
) -> ServiceResult<(Vec<LedgerRow>, Ledger)> {
    let rows = store::ledger_of(conn, patron).await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        entries.push(ledger_entry_of(row, currency)?);
    }
    let ledger = Ledger::from_entries(currency, entries).map_err(|refusal| {
        ServiceError::internal(format!("stored ledger of {patron} is not valid: {refusal}"))
    })?;
    Ok((rows, ledger))
}

fn ledger_entry_of(row: &LedgerRow, currency: Currency) -> ServiceResult<LedgerEntry> {
    let charge = || {
        row.charge_id
            .ok_or_else(|| ServiceError::internal(format!("ledger entry {} has no charge", row.id)))
    };
    let kind = match row.kind.as_str() {
        "charge" => EntryKind::Charge,
        "payment" => EntryKind::Payment { charge: charge()? },
        "waiver" => EntryKind::Waiver { charge: charge()? },
        "refund" => EntryKind::Refund { charge: charge()? },
        other => {
            return Err(ServiceError::internal(format!(
                "unknown ledger entry kind {other}"
            )));
        }
    };
    Ok(LedgerEntry {
        id: row.id,
        at: row.created_at,
        kind,
        amount: Money::new(row.amount_minor, currency),
        reason: Code::parse("reason", &row.reason)?,
    })
}

fn kind_name(kind: EntryKind) -> (&'static str, Option<LedgerEntryId>) {
    match kind {
        EntryKind::Charge => ("charge", None),
        EntryKind::Payment { charge } => ("payment", Some(charge)),
        EntryKind::Waiver { charge } => ("waiver", Some(charge)),
        EntryKind::Refund { charge } => ("refund", Some(charge)),
    }
}

/// What the ledger says about a new entry, then the entry written; refusals become conflicts.
#[allow(clippy::too_many_arguments)]
async fn record_entry(
    ctx: &Context,
    tx: &mut WriteTx,
    ledger: &mut Ledger,
    who: &Principal,
    patron: PatronId,
    kind: EntryKind,
    amount: Money,
    reason: &Code,
    links: (Option<i64>, Option<ItemId>),
    note: Option<&str>,
) -> ServiceResult<LedgerEntryId> {
    let id = LedgerEntryId(ctx.new_id());
    let now = ctx.now();
    ledger
        .record(LedgerEntry {
            id,
            at: now,
            kind,
            amount,
            reason: reason.clone(),
        })
        .map_err(|refusal| ServiceError::new(ErrorCode::Conflict, refusal.to_string()))?;
    let (kind_text, charge_id) = kind_name(kind);
    store::insert_ledger_entry(
        &mut *tx,
        &LedgerRow {
            id,
            patron_id: patron,
            kind: kind_text.to_string(),
            charge_id,
            amount_minor: amount.minor_units,
            currency: amount.currency.code.as_str().to_string(),
            reason: reason.as_str().to_string(),
            loan_id: links.0,
            item_id: links.1,
            note: note.map(str::to_string),
            created_by: who.label(),
            created_at: now,
        },
    )
    .await?;
    Ok(id)
}

fn patron_facts(patron: &Patron, ledger: &Ledger) -> PatronFacts {
    PatronFacts {
        home_member: patron.home_member,
        card_expires_on: patron.expires_on,
        balance_owed: ledger.balance(),
        // A registration staff have not approved (or turned down) cannot borrow.
        barred: patron.status != PatronStatus::Active,
    }
}

// ----- checkout -----

/// Lends the item with `item_barcode` to the patron holding `patron_card`, at the desk of
/// `branch_code`. Refused with every block as data unless staff with the override permission give
/// a reason and every block may be overridden.
pub async fn checkout(
    ctx: &Context,
    who: &Principal,
    branch_code: &str,
    patron_card: &str,
    item_barcode: &str,
    override_reason: Option<&str>,
) -> ServiceResult<CheckoutReceipt> {
    let card = parse_barcode("patron_card", patron_card)?;
    let barcode = parse_barcode("item_barcode", item_barcode)?;
    let override_reason = self::override_reason(override_reason)?;
    let now = ctx.now();
    let mut tx = ctx.store.write().await?;
    // The desk's branch, the currency, the time offset and the rules come from the process's
    // copy, checked against the settings generation this transaction sees.
    let settings = ctx.desk_settings.for_transaction(&mut tx).await?;
    let branch = settings.desk_branch(branch_code)?;
    let (currency, offset) = settings.money_and_time()?;
    authorise_desk(who, branch)?;
    if override_reason.is_some() {
        authorise(
            who,
            Action::OverrideBlock {
                member: branch.member_id,
                branch: branch.id,
            },
        )?;
    }
    let patron = patron_by_card(&mut tx, &card).await?;
    store::lock_patron(&mut tx, patron.id).await?;
    let (item, title) = item_and_title(&mut tx, &barcode).await?;
    let context = policy_context(branch.member_id, branch.id, &patron, &item)?;
    let (policy, rule_ids) = policy_for(&settings.rules, &context)?;
    let (_, ledger) = ledger_of(&mut tx, patron.id, currency).await?;
    let (total, of_type) = store::loan_counts(&mut tx, patron.id, item.item_type.as_str()).await?;
    let calendar = BranchCalendar::for_branch(branch, offset);
    let today = calendar.local_date(now);
    let blocks = checkout_blocks(
        &patron_facts(&patron, &ledger),
        &ItemFacts {
            owning_member: item.member_id,
            item_type: item.item_type.clone(),
            status: item.status.for_circulation(),
        },
        &policy,
        &LoanCounts {
            total: u32::try_from(total).unwrap_or(u32::MAX),
            of_item_type: u32::try_from(of_type).unwrap_or(u32::MAX),
        },
        today,
    );
    if !may_proceed(&blocks, override_reason.is_some()) {
        return Err(ServiceError::blocked(blocks));
    }
    // The status read above may be stale on PostgreSQL: only the conditional update decides.
    if !store::claim_item(
        &mut tx,
        item.id,
        item.bib_id,
        item.status.as_str(),
        StoredItemStatus::OnLoan.as_str(),
        now,
    )
    .await?
    {
        return Err(ServiceError::blocked(vec![Block::ItemAlreadyOnLoan]));
    }
    let due = due_at(now, policy.loan_period, &calendar)
        .map_err(|error| ServiceError::new(ErrorCode::Conflict, error.to_string()))?;
    let overridden = if blocks.is_empty() {
        None
    } else {
        override_reason.clone()
    };
    let loan = LoanRow {
        id: ctx.new_id(),
        item_id: item.id,
        patron_id: patron.id,
        member_id: branch.member_id,
        branch_id: branch.id,
        checked_out_at: now,
        due_at: due.due_at,
        renewals_used: 0,
        returned_at: None,
        returned_branch_id: None,
        override_by: overridden.as_ref().map(|_| who.label()),
        override_reason: overridden.clone(),
        policy_rule_ids: rule_ids,
        fine_charged_minor: 0,
    };
    store::insert_loan(&mut tx, &loan)
        .await
        .map_err(|error| match error {
            concord_store::StoreError::Duplicate { .. } => {
                ServiceError::blocked(vec![Block::ItemAlreadyOnLoan])
            }
            other => other.into(),
        })?;
    if patron.privacy.keep_reading_history {
        store::insert_reading_history(&mut tx, ctx.new_id(), patron.id, item.bib_id, now).await?;
    }
    if let Some(reason) = &overridden {
        audit(
            ctx,
            &mut tx,
            who,
            Change {
                action: "override_checkout_block",
                entity_kind: "loan",
                entity_id: loan.id.to_string(),
                member: Some(branch.member_id),
                before: None,
                after: Some(&blocks),
                reason: Some(reason),
            },
        )
        .await?;
    }
    tx.commit().await?;
    ctx.desk_settings.keep(Arc::clone(&settings));
    ctx.catalogue_changed();
    Ok(CheckoutReceipt {
        loan_id: loan.id,
        patron_id: patron.id,
        item_barcode: item.barcode.to_string(),
        title,
        due_at: due.due_at,
        overridden: if overridden.is_some() {
            blocks
        } else {
            Vec::new()
        },
    })
}

// ----- fines on open and closing loans -----

/// Charges what the overdue fine of `loan` has grown to by `at`, beyond what was already charged.
/// Returns the new charge and the loan's new total.
async fn accrue_overdue_fine(
    ctx: &Context,
    tx: &mut WriteTx,
    settings: &DeskSettings,
    who: &Principal,
    loan: &LoanRow,
    item: &ItemRow,
    at: i64,
) -> ServiceResult<(Option<Money>, i64)> {
    if at <= loan.due_at {
        return Ok((None, loan.fine_charged_minor));
    }
    let (currency, offset) = settings.money_and_time()?;
    let patron = patron_by_id(&mut *tx, loan.patron_id).await?;
    let branch = settings.branch(loan.branch_id)?;
    let context = policy_context(loan.member_id, loan.branch_id, &patron, item)?;
    let (policy, _) = policy_for(&settings.rules, &context)?;
    let calendar = BranchCalendar::for_branch(branch, offset);
    let fine = overdue_fine(loan.due_at, at, &policy, &calendar)
        .map_err(|error| ServiceError::internal(format!("fine for loan {}: {error}", loan.id)))?;
    let owed_more = fine.amount.minor_units - loan.fine_charged_minor;
    if owed_more <= 0 {
        return Ok((None, loan.fine_charged_minor));
    }
    let amount = Money::new(owed_more, currency);
    let (_, mut ledger) = ledger_of(&mut *tx, patron.id, currency).await?;
    record_entry(
        ctx,
        tx,
        &mut ledger,
        who,
        patron.id,
        EntryKind::Charge,
        amount,
        &Code::parse("reason", "OVERDUE")?,
        (Some(loan.id), Some(item.id)),
        None,
    )
    .await?;
    Ok((Some(amount), fine.amount.minor_units))
}

// ----- check-in -----

/// Takes back the item with `item_barcode` at the desk of `branch_code`: closes its loan (charging
/// any overdue fine), receives it if it was in transit, and says where it goes next.
pub async fn checkin(
    ctx: &Context,
    who: &Principal,
    branch_code: &str,
    item_barcode: &str,
) -> ServiceResult<CheckinReceipt> {
    let barcode = parse_barcode("item_barcode", item_barcode)?;
    let now = ctx.now();
    let mut tx = ctx.store.write().await?;
    let settings = ctx.desk_settings.for_transaction(&mut tx).await?;
    let branch = settings.desk_branch(branch_code)?;
    authorise_desk(who, branch)?;
    let (item, title) = item_and_title(&mut tx, &barcode).await?;
    let loan = store::open_loan_of_item(&mut tx, item.id).await?;
    let mut fine_charged = None;
    if let Some(loan) = &loan {
        let (charged, total) =
            accrue_overdue_fine(ctx, &mut tx, &settings, who, loan, &item, now).await?;
        fine_charged = charged;
        if !store::close_loan(&mut tx, loan.id, now, branch.id, total).await? {
            return Err(ServiceError::new(
                ErrorCode::Conflict,
                "The loan was closed by someone else at the same moment; scan the item again.",
            ));
        }
    }
    store::receive_transits(&mut tx, item.id, now).await?;
    let routing = route_returned_item(&ReturnFacts {
        owning_member: item.member_id,
        home_branch: item.branch_id,
        returned_at_member: branch.member_id,
        returned_at_branch: branch.id,
        owning_member_floats: settings.member_items_float(item.member_id),
    });
    // Statuses circulation does not own (not for loan, damaged, withdrawn) stay as they are; an
    // item coming back from a loan, a transit, lost or claimed returned is available again.
    let keeps_status = matches!(
        item.status,
        StoredItemStatus::NotForLoan
            | StoredItemStatus::Damaged
            | StoredItemStatus::Withdrawn
            | StoredItemStatus::OnHoldShelf
    );
    let status = match (keeps_status, routing) {
        (true, _) => item.status,
        (false, Routing::ToShelf) => StoredItemStatus::Available,
        (false, Routing::InTransit { .. }) => StoredItemStatus::InTransit,
    };
    store::place_item(
        &mut tx,
        item.id,
        item.bib_id,
        status.as_str(),
        branch.id,
        now,
    )
    .await?;
    let transit_to = match routing {
        Routing::ToShelf => None,
        Routing::InTransit { to } => {
            store::insert_transit(
                &mut tx,
                ctx.new_id(),
                item.id,
                branch.id,
                to,
                "return_home",
                now,
            )
            .await?;
            Some(to)
        }
    };
    tx.commit().await?;
    ctx.desk_settings.keep(Arc::clone(&settings));
    ctx.catalogue_changed();
    let transit_to = match transit_to {
        Some(to) => Some(settings.branch(to)?.clone()),
        None => None,
    };
    Ok(CheckinReceipt {
        item_barcode: item.barcode.to_string(),
        title,
        routing,
        transit_to,
        loan_id: loan.as_ref().map(|l| l.id),
        patron_id: loan.as_ref().map(|l| l.patron_id),
        fine_charged,
    })
}

// ----- renewal -----

/// Renews the open loan of the item with `item_barcode`. Staff renew at a desk (`branch_code`),
/// patrons renew their own loans from their account (no branch: the loan's own branch's calendar).
pub async fn renew(
    ctx: &Context,
    who: &Principal,
    branch_code: Option<&str>,
    item_barcode: &str,
    override_reason: Option<&str>,
) -> ServiceResult<RenewalReceipt> {
    let barcode = parse_barcode("item_barcode", item_barcode)?;
    let override_reason = self::override_reason(override_reason)?;
    let now = ctx.now();
    let mut tx = ctx.store.write().await?;
    let item = item_by_barcode(&mut tx, &barcode).await?;
    let loan = store::open_loan_of_item(&mut tx, item.id)
        .await?
        .ok_or_else(|| {
            ServiceError::new(
                ErrorCode::Conflict,
                format!("Item {barcode} is not on loan."),
            )
        })?;
    let settings = ctx.desk_settings.for_transaction(&mut tx).await?;
    let branch = match (who, branch_code) {
        (Principal::Patron { .. }, _) => {
            authorise(
                who,
                Action::RenewOwnLoan {
                    patron: loan.patron_id,
                },
            )?;
            if override_reason.is_some() {
                return Err(ServiceError::new(
                    ErrorCode::Forbidden,
                    "Only staff can override a block.",
                ));
            }
            settings.branch(loan.branch_id)?
        }
        (_, Some(code)) => {
            let branch = settings.desk_branch(code)?;
            authorise_desk(who, branch)?;
            if override_reason.is_some() {
                authorise(
                    who,
                    Action::OverrideBlock {
                        member: branch.member_id,
                        branch: branch.id,
                    },
                )?;
            }
            branch
        }
        (_, None) => {
            return Err(ServiceError::field(
                "branch",
                "staff renew at a desk: give its branch code",
            ));
        }
    };
    let patron = patron_by_id(&mut tx, loan.patron_id).await?;
    store::lock_patron(&mut tx, patron.id).await?;
    let (currency, offset) = settings.money_and_time()?;
    // The loan's own rules decide how often it may be renewed, wherever it is renewed.
    let context = policy_context(loan.member_id, loan.branch_id, &patron, &item)?;
    let (policy, _) = policy_for(&settings.rules, &context)?;
    let (_, ledger) = ledger_of(&mut tx, patron.id, currency).await?;
    let calendar = BranchCalendar::for_branch(branch, offset);
    let blocks = renewal_blocks(
        &patron_facts(&patron, &ledger),
        &RenewalFacts {
            renewals_used: u32::try_from(loan.renewals_used).unwrap_or(u32::MAX),
            holds_waiting: 0,
        },
        &policy,
        calendar.local_date(now),
    );
    if !may_proceed(&blocks, override_reason.is_some()) {
        return Err(ServiceError::blocked(blocks));
    }
    // A late renewal first charges the fine run up so far.
    let (_, total) = accrue_overdue_fine(ctx, &mut tx, &settings, who, &loan, &item, now).await?;
    store::set_fine_charged(&mut tx, loan.id, total).await?;
    let due = due_at(now, policy.loan_period, &calendar)
        .map_err(|error| ServiceError::new(ErrorCode::Conflict, error.to_string()))?;
    let due_at = due.due_at.max(loan.due_at);
    let overridden = if blocks.is_empty() {
        None
    } else {
        override_reason.clone()
    };
    let by = overridden.as_ref().map(|_| who.label());
    if !store::renew_loan(
        &mut tx,
        loan.id,
        loan.renewals_used,
        due_at,
        overridden.as_deref(),
        by.as_deref(),
    )
    .await?
    {
        return Err(ServiceError::new(
            ErrorCode::Conflict,
            "The loan changed at the same moment; look at it again.",
        ));
    }
    if let Some(reason) = &overridden {
        audit(
            ctx,
            &mut tx,
            who,
            Change {
                action: "override_renewal_block",
                entity_kind: "loan",
                entity_id: loan.id.to_string(),
                member: Some(branch.member_id),
                before: None,
                after: Some(&blocks),
                reason: Some(reason),
            },
        )
        .await?;
    }
    tx.commit().await?;
    ctx.desk_settings.keep(Arc::clone(&settings));
    ctx.catalogue_changed();
    Ok(RenewalReceipt {
        loan_id: loan.id,
        item_barcode: item.barcode.to_string(),
        due_at,
        renewals_used: loan.renewals_used + 1,
        overridden: if overridden.is_some() {
            blocks
        } else {
            Vec::new()
        },
    })
}

// ----- lost and claimed returned -----

/// What staff record about an item out on loan that has not come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReturned {
    /// The patron lost it: charged the replacement cost and processing fee.
    Lost,
    /// The patron says they returned it: no charge, no fines until it is resolved.
    ClaimedReturned,
}

/// Marks an item on loan lost or claimed returned, at the desk of `branch_code`. The loan stays
/// open (it is the patron's record) until the item is checked in or the charge is settled.
pub async fn mark_not_returned(
    ctx: &Context,
    who: &Principal,
    branch_code: &str,
    item_barcode: &str,
    what: NotReturned,
) -> ServiceResult<Option<Money>> {
    let barcode = parse_barcode("item_barcode", item_barcode)?;
    let now = ctx.now();
    let mut tx = ctx.store.write().await?;
    let branch = desk_branch(&mut tx, branch_code).await?;
    authorise_desk(who, &branch)?;
    let item = item_by_barcode(&mut tx, &barcode).await?;
    let loan = store::open_loan_of_item(&mut tx, item.id)
        .await?
        .ok_or_else(|| {
            ServiceError::new(
                ErrorCode::Conflict,
                format!("Item {barcode} is not on loan."),
            )
        })?;
    let (to, action) = match what {
        NotReturned::Lost => (StoredItemStatus::Lost, "mark_item_lost"),
        NotReturned::ClaimedReturned => (
            StoredItemStatus::ClaimedReturned,
            "mark_item_claimed_returned",
        ),
    };
    if !store::claim_item(
        &mut tx,
        item.id,
        item.bib_id,
        item.status.as_str(),
        to.as_str(),
        now,
    )
    .await?
    {
        return Err(ServiceError::new(
            ErrorCode::Conflict,
            "The item changed at the same moment; scan it again.",
        ));
    }
    let mut charged = None;
    if what == NotReturned::Lost {
        let (currency, _) = money_and_time(&mut tx).await?;
        let patron = patron_by_id(&mut tx, loan.patron_id).await?;
        let rules = rules(&mut tx).await?;
        let context = policy_context(loan.member_id, loan.branch_id, &patron, &item)?;
        let (policy, _) = policy_for(&rules, &context)?;
        let price = item.price_minor.map(|minor| Money::new(minor, currency));
        let charge = lost_item_charge(price, &policy)
            .map_err(|error| ServiceError::internal(format!("lost charge: {error}")))?;
        if charge.total.is_positive() {
            let (_, mut ledger) = ledger_of(&mut tx, patron.id, currency).await?;
            record_entry(
                ctx,
                &mut tx,
                &mut ledger,
                who,
                patron.id,
                EntryKind::Charge,
                charge.total,
                &Code::parse("reason", "LOST")?,
                (Some(loan.id), Some(item.id)),
                None,
            )
            .await?;
            charged = Some(charge.total);
        }
    }
    audit(
        ctx,
        &mut tx,
        who,
        Change::<Option<Money>> {
            action,
            entity_kind: "loan",
            entity_id: loan.id.to_string(),
            member: Some(branch.member_id),
            before: None,
            after: Some(&charged),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(charged)
}

// ----- the ledger -----

/// The patron's ledger, for staff who manage fines or the patron themselves.
async fn writable_ledger(
    ctx: &Context,
    tx: &mut WriteTx,
    who: &Principal,
    patron: PatronId,
) -> ServiceResult<(Patron, Currency, Ledger)> {
    let patron = patron_by_id(&mut *tx, patron).await?;
    authorise(
        who,
        Action::ManageFines {
            home_member: patron.home_member,
        },
    )?;
    store::lock_patron(&mut *tx, patron.id).await?;
    let (currency, _) = money_and_time(&mut *tx).await?;
    let (_, ledger) = ledger_of(&mut *tx, patron.id, currency).await?;
    let _ = ctx;
    Ok((patron, currency, ledger))
}

fn amount(raw: &str, currency: Currency) -> ServiceResult<Money> {
    Ok(Money::parse("amount", raw, currency)?)
}

/// A manual charge (damage, a printing fee...) on a patron's ledger.
pub async fn charge(
    ctx: &Context,
    who: &Principal,
    patron: PatronId,
    amount_text: &str,
    reason: &str,
    note: Option<&str>,
) -> ServiceResult<LedgerEntryId> {
    let reason = Code::parse("reason", reason)?;
    let mut tx = ctx.store.write().await?;
    let (patron, currency, mut ledger) = writable_ledger(ctx, &mut tx, who, patron).await?;
    let amount = amount(amount_text, currency)?;
    let id = record_entry(
        ctx,
        &mut tx,
        &mut ledger,
        who,
        patron.id,
        EntryKind::Charge,
        amount,
        &reason,
        (None, None),
        note,
    )
    .await?;
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(id)
}

/// A payment, split across the outstanding charges oldest first: one payment entry per charge.
pub async fn pay(
    ctx: &Context,
    who: &Principal,
    patron: PatronId,
    amount_text: &str,
    reason: &str,
) -> ServiceResult<Vec<LedgerEntryId>> {
    let reason = Code::parse("reason", reason)?;
    let mut tx = ctx.store.write().await?;
    let (patron, currency, mut ledger) = writable_ledger(ctx, &mut tx, who, patron).await?;
    let amount = amount(amount_text, currency)?;
    let allocations = ledger
        .allocate_payment(amount)
        .map_err(|refusal| ServiceError::new(ErrorCode::Conflict, refusal.to_string()))?;
    let mut ids = Vec::with_capacity(allocations.len());
    for allocation in allocations {
        let kind = EntryKind::Payment {
            charge: allocation.charge,
        };
        ids.push(
            record_entry(
                ctx,
                &mut tx,
                &mut ledger,
                who,
                patron.id,
                kind,
                allocation.amount,
                &reason,
                (None, None),
                None,
            )
            .await?,
        );
    }
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(ids)
}

/// Waives part or all of what is outstanding on one charge.
pub async fn waive(
    ctx: &Context,
    who: &Principal,
    patron: PatronId,
    charge: LedgerEntryId,
    amount_text: &str,
    reason: &str,
) -> ServiceResult<LedgerEntryId> {
    adjust(
        ctx,
        who,
        patron,
        EntryKind::Waiver { charge },
        amount_text,
        reason,
    )
    .await
}

/// Refunds part or all of what was paid on one charge.
pub async fn refund(
    ctx: &Context,
    who: &Principal,
    patron: PatronId,
    charge: LedgerEntryId,
    amount_text: &str,
    reason: &str,
) -> ServiceResult<LedgerEntryId> {
    adjust(
        ctx,
        who,
        patron,
        EntryKind::Refund { charge },
        amount_text,
        reason,
    )
    .await
}

async fn adjust(
    ctx: &Context,
    who: &Principal,
    patron: PatronId,
    kind: EntryKind,
    amount_text: &str,
    reason: &str,
) -> ServiceResult<LedgerEntryId> {
    let reason = Code::parse("reason", reason)?;
    let mut tx = ctx.store.write().await?;
    let (patron, currency, mut ledger) = writable_ledger(ctx, &mut tx, who, patron).await?;
    let amount = amount(amount_text, currency)?;
    let id = record_entry(
        ctx,
        &mut tx,
        &mut ledger,
        who,
        patron.id,
        kind,
        amount,
        &reason,
        (None, None),
        None,
    )
    .await?;
    let (action, _) = kind_name(kind);
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action,
            entity_kind: "ledger_entry",
            entity_id: id.to_string(),
            member: Some(patron.home_member),
            before: None,
            after: Some(&amount),
            reason: Some(reason.as_str()),
        },
    )
    .await?;
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(id)
}

// ----- reading the account -----

/// A patron's loans, ledger and (if they opted in) reading history.
pub async fn patron_circulation(
    ctx: &Context,
    who: &Principal,
    patron: PatronId,
) -> ServiceResult<PatronCirculation> {
    let mut conn = ctx.store.read().await?;
    let patron = patron_by_id(&mut conn, patron).await?;
    authorise(
        who,
        Action::ReadPatron {
            home_member: patron.home_member,
            patron: patron.id,
        },
    )?;
    let (currency, _) = money_and_time(&mut conn).await?;
    let loans = store::open_loans_of_patron(&mut conn, patron.id).await?;
    let (ledger, ledger_state) = ledger_of(&mut conn, patron.id, currency).await?;
    let reading_history = if patron.privacy.keep_reading_history {
        store::reading_history_of(&mut conn, patron.id, 200).await?
    } else {
        Vec::new()
    };
    Ok(PatronCirculation {
        patron: patron.as_seen_by(who),
        loans,
        ledger,
        ledger_state,
        reading_history,
        visiting: false,
        loans_elsewhere: 0,
    })
}

/// The patron a desk at `branch_code` scanned. Staff who may read the patron get everything
/// [`patron_circulation`] gives; a desk of another member serves a visiting patron with the
/// visiting view (see [`PatronCirculation::visiting`]), since every member lends to every
/// member's patrons.
pub async fn patron_at_desk(
    ctx: &Context,
    who: &Principal,
    branch_code: &str,
    patron_card: &str,
) -> ServiceResult<PatronCirculation> {
    let card = parse_barcode("patron_card", patron_card)?;
    let mut conn = ctx.store.read().await?;
    let branch = desk_branch(&mut conn, branch_code).await?;
    authorise_desk(who, &branch)?;
    let patron = patron_by_card(&mut conn, &card).await?;
    let may_read = authorise(
        who,
        Action::ReadPatron {
            home_member: patron.home_member,
            patron: patron.id,
        },
    )
    .is_ok();
    if may_read {
        drop(conn);
        return patron_circulation(ctx, who, patron.id).await;
    }
    let (currency, _) = money_and_time(&mut conn).await?;
    let (loans, elsewhere): (Vec<OpenLoan>, Vec<OpenLoan>) =
        store::open_loans_of_patron(&mut conn, patron.id)
            .await?
            .into_iter()
            .partition(|open| open.loan.member_id == branch.member_id);
    let (_, ledger_state) = ledger_of(&mut conn, patron.id, currency).await?;
    Ok(PatronCirculation {
        patron: patron.without_contact(),
        loans,
        ledger: Vec::new(),
        ledger_state,
        reading_history: Vec::new(),
        visiting: true,
        loans_elsewhere: elsewhere.len(),
    })
}

// ----- jobs -----

/// What one run of the daily jobs did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DailyRun {
    pub loans_fined: u64,
    pub reading_history_anonymised: u64,
}

/// Charges overdue fines on loans still out, each loan in its own transaction.
pub async fn charge_overdue_fines(ctx: &Context, who: &Principal) -> ServiceResult<u64> {
    authorise(who, Action::ManageConsortium)?;
    let now = ctx.now();
    let mut after = 0;
    let mut fined = 0;
    loop {
        let page = {
            let mut conn = ctx.store.read().await?;
            store::overdue_open_loans(&mut conn, now, after, 500).await?
        };
        let Some(last) = page.last() else { break };
        after = last.id;
        for loan in page {
            let mut tx = ctx.store.write().await?;
            // Read again inside the transaction: it may have been returned meanwhile.
            let Some(current) = store::loan(&mut tx, loan.id).await? else {
                continue;
            };
            if current.returned_at.is_some() {
                continue;
            }
            let Some(item) = catalogue_store::item(&mut tx, current.item_id).await? else {
                continue;
            };
            // Items lost or claimed returned stop running up fines.
            if item.status != StoredItemStatus::OnLoan {
                continue;
            }
            let settings = ctx.desk_settings.for_transaction(&mut tx).await?;
            let (charged, total) =
                accrue_overdue_fine(ctx, &mut tx, &settings, who, &current, &item, now).await?;
            if charged.is_some() {
                store::set_fine_charged(&mut tx, current.id, total).await?;
                tx.commit().await?;
                ctx.desk_settings.keep(Arc::clone(&settings));
                ctx.catalogue_changed();
                fined += 1;
            }
        }
    }
    Ok(fined)
}

/// Removes the patron from reading-history entries older than `retention_days`.
pub async fn anonymise_reading_history(
    ctx: &Context,
    who: &Principal,
    retention_days: Option<u32>,
) -> ServiceResult<u64> {
    authorise(who, Action::ManageConsortium)?;
    let Some(before) = jobs::anonymise_before(ctx.now(), retention_days) else {
        return Ok(0);
    };
    let mut tx = ctx.store.write().await?;
    let count = store::anonymise_reading_history(&mut tx, before).await?;
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(count)
}

/// Queues each daily job for the next local midnight if it is not queued yet.
pub async fn schedule_daily_jobs(ctx: &Context, who: &Principal) -> ServiceResult<()> {
    authorise(who, Action::ManageConsortium)?;
    let now = ctx.now();
    let mut tx = ctx.store.write().await?;
    let (_, offset) = money_and_time(&mut tx).await?;
    let queued = store::queued_jobs(&mut tx).await?;
    for kind in JobKind::ALL {
        if !queued.iter().any(|job| job.kind == kind.as_str()) {
            let run_after = jobs::next_daily_run(now, i64::from(offset));
            store::enqueue_job(&mut tx, ctx.new_id(), kind.as_str(), run_after, now).await?;
        }
    }
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(())
}

/// Runs every queued job that is due, in the order the scheduler chooses, re-queueing each daily
/// job for its next run. With `force`, queues and runs both daily jobs now.
pub async fn run_due_jobs(
    ctx: &Context,
    who: &Principal,
    retention_days: Option<u32>,
    force: bool,
) -> ServiceResult<DailyRun> {
    authorise(who, Action::ManageConsortium)?;
    if force {
        let now = ctx.now();
        let mut tx = ctx.store.write().await?;
        for kind in JobKind::ALL {
            store::enqueue_job(&mut tx, ctx.new_id(), kind.as_str(), now, now).await?;
        }
        tx.commit().await?;
        ctx.catalogue_changed();
    }
    let mut run = DailyRun::default();
    loop {
        let now = ctx.now();
        let queue: Vec<QueuedJob> = {
            let mut conn = ctx.store.read().await?;
            store::queued_jobs(&mut conn)
                .await?
                .into_iter()
                .filter_map(|row| {
                    Some(QueuedJob {
                        id: row.id,
                        kind: JobKind::parse(&row.kind)?,
                        run_after: row.run_after,
                        attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
                    })
                })
                .collect()
        };
        let Some(job) = jobs::next_job(&queue, now) else {
            break;
        };
        let outcome = match job.kind {
            JobKind::OverdueFines => charge_overdue_fines(ctx, who)
                .await
                .map(|n| run.loans_fined += n),
            JobKind::AnonymiseReadingHistory => anonymise_reading_history(ctx, who, retention_days)
                .await
                .map(|n| run.reading_history_anonymised += n),
        };
        let mut tx = ctx.store.write().await?;
        match outcome {
            Ok(()) => store::finish_job(&mut tx, job.id, ctx.now()).await?,
            Err(error) => {
                store::fail_job(
                    &mut tx,
                    job.id,
                    &error.message,
                    jobs::retry_after(ctx.now(), job.attempts),
                )
                .await?
            }
        }
        tx.commit().await?;
        ctx.catalogue_changed();
    }
    schedule_daily_jobs(ctx, who).await?;
    Ok(run)
}

/// Whether a member's items float, for whoever may manage that member.
pub async fn items_float(ctx: &Context, who: &Principal, member_code: &str) -> ServiceResult<bool> {
    let mut conn = ctx.store.read().await?;
    let member = super::org::member_in(&mut conn, member_code).await?;
    authorise(who, Action::ManageMember { member: member.id })?;
    Ok(store::member_items_float(&mut conn, member.id).await?)
}

/// Lets (or stops) a member's items float: stay at whichever of its branches they are returned to.
pub async fn set_items_float(
    ctx: &Context,
    who: &Principal,
    member_code: &str,
    floats: bool,
) -> ServiceResult<()> {
    let mut tx = ctx.store.write().await?;
    let member = super::org::member_in(&mut tx, member_code).await?;
    authorise(who, Action::ManageMember { member: member.id })?;
    let before = store::member_items_float(&mut tx, member.id).await?;
    store::set_member_items_float(&mut tx, member.id, floats).await?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "set_items_float",
            entity_kind: "member",
            entity_id: member.id.to_string(),
            member: Some(member.id),
            before: Some(&before),
            after: Some(&floats),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    ctx.catalogue_changed();
    Ok(())
}

/// Consistency of loans and items, for tests and the crash check: open loans whose item is not on
/// loan, items on loan without an open loan, and ledger entries naming a missing loan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LoanConsistency {
    pub open_loans: u64,
    pub loans_with_item_not_on_loan: u64,
    pub items_on_loan_without_loan: u64,
    pub ledger_entries_without_loan: u64,
}

pub async fn check_consistency(ctx: &Context, who: &Principal) -> ServiceResult<LoanConsistency> {
    authorise(who, Action::ManageConsortium)?;
    let mut conn = ctx.store.read().await?;
    let open = store::open_loans_with_item_status(&mut conn).await?;
    let items_on_loan = store::items_on_loan_without_loan(&mut conn).await?;
    let orphans = store::ledger_entries_without_loan(&mut conn).await?;
    Ok(LoanConsistency {
        open_loans: open.len() as u64,
        loans_with_item_not_on_loan: open
            .iter()
            .filter(|(_, status)| {
                status != "on_loan" && status != "lost" && status != "claimed_returned"
            })
            .count() as u64,
        items_on_loan_without_loan: u64::try_from(items_on_loan).unwrap_or(0),
        ledger_entries_without_loan: u64::try_from(orphans).unwrap_or(0),
    })
}

/// An amount in minor units written in major units (`250` in GBP is `2.50`).
pub fn format_minor(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).format_amount()
}
