//! Use cases for patrons: registration by staff, lookup, changes, PINs — one identity across members.

use concord_domain::audit::AuditRecord;
use concord_domain::auth::{Action, Principal, authorise};
use concord_domain::calendar::Date;
use concord_domain::codes::{Barcode, Code};
use concord_domain::duplicates::{DuplicateScore, IdentityFacts, duplicate_score};
use concord_domain::ids::{AuditId, BranchId, PatronId};
use concord_domain::patron::{
    AccountDraft, AccountInput, NoticePreferences, Patron, PatronDraft, PatronInput, PatronStatus,
    Pin, PrivacyChoices, merged_patron, name_starts_with,
};
use concord_domain::ratelimit::{LoginDecision, LoginThrottle};
use concord_domain::{ErrorCode, FieldError};
use concord_store::Conn as AnyConnection;
use concord_store::patrons::{self as store, CardRecord, PatronRow};
use serde::Serialize;

use super::org::branch_in;
use super::{Change, ServiceError, ServiceResult, audit};
use crate::Context;
use crate::secrets;

async fn row_from_draft(conn: &mut AnyConnection, draft: &PatronDraft) -> ServiceResult<PatronRow> {
    let branch = branch_in(conn, draft.home_branch.as_str())
        .await
        .map_err(|e| {
            if e.code == ErrorCode::NotFound {
                ServiceError::field(
                    "home_branch",
                    format!("there is no branch {}", draft.home_branch),
                )
            } else {
                e
            }
        })?;
    let preferred_pickup_branch =
        pickup_branch(conn, draft.preferred_pickup_branch.as_ref()).await?;
    Ok(PatronRow {
        family_name: draft.family_name.clone(),
        given_names: draft.given_names.clone(),
        home_branch: branch.id,
        home_member: branch.member_id,
        patron_type: draft.patron_type.clone(),
        expires_on: draft.expires_on,
        email: draft.email.clone(),
        phone: draft.phone.clone(),
        sms_number: draft.sms_number.clone(),
        date_of_birth: draft.date_of_birth,
        preferred_pickup_branch,
        notices: NoticePreferences {
            // Notices go by email when there is an address, on paper otherwise.
            email: draft.email.is_some(),
            sms: false,
            print: draft.email.is_none(),
        },
        privacy: PrivacyChoices::default(),
        status: PatronStatus::Active,
    })
}

/// The preferred pickup branch by code: it must exist and be a pickup location.
async fn pickup_branch(
    conn: &mut AnyConnection,
    code: Option<&Code>,
) -> ServiceResult<Option<BranchId>> {
    let Some(code) = code else { return Ok(None) };
    match branch_in(conn, code.as_str()).await {
        Ok(branch) if branch.is_pickup_location => Ok(Some(branch.id)),
        Ok(branch) => Err(ServiceError::field(
            "preferred_pickup_branch",
            format!("{} is not a pickup location", branch.name),
        )),
        Err(e) if e.code == ErrorCode::NotFound => Err(ServiceError::field(
            "preferred_pickup_branch",
            format!("there is no branch {code}"),
        )),
        Err(e) => Err(e),
    }
}

/// An existing patron who may be the person being registered, and why.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicateCandidate {
    pub patron: Patron,
    pub score: DuplicateScore,
}

fn identity_of_draft(draft: &PatronDraft) -> IdentityFacts {
    IdentityFacts {
        family_name: draft.family_name.clone(),
        given_names: draft.given_names.clone(),
        email: draft.email.clone(),
        phones: draft
            .phone
            .iter()
            .chain(draft.sms_number.iter())
            .cloned()
            .collect(),
        date_of_birth: draft.date_of_birth,
    }
}

fn identity_of(patron: &Patron) -> IdentityFacts {
    IdentityFacts {
        family_name: patron.family_name.clone(),
        given_names: patron.given_names.clone(),
        email: patron.email.clone(),
        phones: patron
            .phone
            .iter()
            .chain(patron.sms_number.iter())
            .cloned()
            .collect(),
        date_of_birth: patron.date_of_birth,
    }
}

/// Likely duplicates of `draft` anywhere in the consortium (one identity across members), the
/// strongest first.
async fn duplicates_of(
    conn: &mut AnyConnection,
    draft: &PatronDraft,
) -> ServiceResult<Vec<DuplicateCandidate>> {
    let facts = identity_of_draft(draft);
    let phone_keys: Vec<String> = facts
        .phones
        .iter()
        .filter_map(|p| concord_domain::duplicates::phone_key(p))
        .collect();
    let found = store::duplicate_candidates(
        conn,
        &draft.family_name,
        &draft.given_names,
        draft.email.as_deref(),
        &phone_keys,
        draft.date_of_birth,
        200,
    )
    .await?;
    let mut candidates: Vec<DuplicateCandidate> = found
        .into_iter()
        .map(|patron| DuplicateCandidate {
            score: duplicate_score(&facts, &identity_of(&patron)),
            patron,
        })
        .filter(|c| c.score.is_likely())
        .collect();
    candidates.sort_by_key(|c| (std::cmp::Reverse(c.score.score), c.patron.id));
    candidates.truncate(10);
    Ok(candidates)
}

/// Patrons a registration would duplicate, for the warning staff see before "register anyway".
pub async fn possible_duplicates(
    ctx: &Context,
    who: &Principal,
    input: &PatronInput,
) -> ServiceResult<Vec<DuplicateCandidate>> {
    if !who.is_staff() {
        return Err(ServiceError::new(
            ErrorCode::Forbidden,
            "This needs a staff account.",
        ));
    }
    let draft = PatronDraft::parse(input)?;
    let mut conn = ctx.store.read().await?;
    // Candidates come from the whole consortium: staff who may not read one learn that it
    // exists (one identity across members) and why it matches, not how to contact them.
    Ok(duplicates_of(&mut conn, &draft)
        .await?
        .into_iter()
        .map(|candidate| DuplicateCandidate {
            patron: if authorise(
                who,
                Action::ReadPatron {
                    home_member: candidate.patron.home_member,
                    patron: candidate.patron.id,
                },
            )
            .is_ok()
            {
                candidate.patron.as_seen_by(who)
            } else {
                candidate.patron.without_contact()
            },
            ..candidate
        })
        .collect())
}

fn duplicate_error(candidates: &[DuplicateCandidate]) -> ServiceError {
    let described: Vec<String> = candidates
        .iter()
        .map(|c| {
            let reasons: Vec<&str> = c.score.reasons.iter().map(|r| r.as_str()).collect();
            format!(
                "{}, {} ({})",
                c.patron.family_name,
                c.patron.given_names,
                reasons.join(", ")
            )
        })
        .collect();
    ServiceError::new(
        ErrorCode::PossibleDuplicate,
        format!(
            "This may be a patron who is already registered: {}. Check them, or register anyway.",
            described.join("; ")
        ),
    )
}

/// Registers a patron at a branch. The staff member must be allowed to write patrons of the home
/// branch's member. If the patron looks like one already registered anywhere in the consortium,
/// nothing is written and the error is `possible_duplicate`, unless `register_anyway` says staff
/// have checked.
pub async fn register(
    ctx: &Context,
    who: &Principal,
    input: &PatronInput,
    pin: Option<&str>,
    register_anyway: bool,
) -> ServiceResult<Patron> {
    let mut errors = Vec::new();
    let draft = PatronDraft::parse(input)
        .map_err(|es| errors.extend(es))
        .ok();
    let pin = match pin.filter(|p| !p.is_empty()) {
        Some(raw) => Pin::parse("pin", raw).map_err(|e| errors.push(e)).ok(),
        None => None,
    };
    let Some(draft) = draft.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::invalid(errors));
    };
    let mut tx = ctx.store.write().await?;
    let row = row_from_draft(&mut tx, &draft).await?;
    authorise(
        who,
        Action::WritePatron {
            home_member: row.home_member,
        },
    )?;
    if !register_anyway {
        let candidates = duplicates_of(&mut tx, &draft).await?;
        if !candidates.is_empty() {
            return Err(duplicate_error(&candidates));
        }
    }
    let pin_hash = pin
        .map(|p| secrets::hash_password(p.expose()))
        .transpose()?;
    let patron = store::insert_patron(
        &mut tx,
        PatronId(ctx.new_id()),
        &draft.card,
        &row,
        pin_hash.as_deref(),
        ctx.now(),
    )
    .await?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "patron.create",
            entity_kind: "patron",
            entity_id: patron.id.to_string(),
            member: Some(patron.home_member),
            before: None,
            after: Some(&patron),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(patron)
}

/// One patron's record, if the principal may see it (their own, or within a staff scope).
pub async fn patron(ctx: &Context, who: &Principal, id: PatronId) -> ServiceResult<Patron> {
    let mut conn = ctx.store.read().await?;
    let patron = store::patron_by_id(&mut conn, id).await?;
    match patron {
        Some(patron) => {
            authorise(
                who,
                Action::ReadPatron {
                    home_member: patron.home_member,
                    patron: patron.id,
                },
            )?;
            Ok(patron.as_seen_by(who))
        }
        // Staff learn that it does not exist; a patron asking for another id learns nothing more
        // than "not yours".
        None if who.is_staff() => Err(ServiceError::not_found(format!("patron {id}"))),
        None => Err(ServiceError::new(
            ErrorCode::Forbidden,
            "You can only see your own account.",
        )),
    }
}

pub async fn update(
    ctx: &Context,
    who: &Principal,
    id: PatronId,
    input: &PatronInput,
) -> ServiceResult<Patron> {
    let mut tx = ctx.store.write().await?;
    let before = store::patron_by_id(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("patron {id}")))?;
    authorise(
        who,
        Action::WritePatron {
            home_member: before.home_member,
        },
    )?;
    // Whoever does not see the contact details cannot change them: keep the stored ones.
    let input = if before.contact_visible_to(who) {
        input.clone()
    } else {
        before.keeping_contact(input)
    };
    // The card is managed separately (cards are added, not renamed); keep the first one for parsing.
    let input = PatronInput {
        card: before
            .cards
            .first()
            .map(ToString::to_string)
            .unwrap_or_else(|| input.card.clone()),
        ..input
    };
    let draft = PatronDraft::parse(&input)?;
    let row = PatronRow {
        // Staff edit identity and contact details here; choices and status have their own paths.
        notices: before.notices,
        privacy: before.privacy,
        status: before.status,
        ..row_from_draft(&mut tx, &draft).await?
    };
    // Moving a patron to another member needs the right to write patrons there too.
    authorise(
        who,
        Action::WritePatron {
            home_member: row.home_member,
        },
    )?;
    store::update_patron(&mut tx, id, &row, ctx.now()).await?;
    let after = store::patron_by_id(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("patron {id}")))?;
    if after != before {
        audit(
            ctx,
            &mut tx,
            who,
            Change {
                action: "patron.update",
                entity_kind: "patron",
                entity_id: id.to_string(),
                member: Some(after.home_member),
                before: Some(&before),
                after: Some(&after),
                reason: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after.as_seen_by(who))
}

/// Sets a patron's PIN (staff at the desk). Ends nothing: the patron's sessions stay.
pub async fn set_pin(ctx: &Context, who: &Principal, id: PatronId, pin: &str) -> ServiceResult<()> {
    let pin = Pin::parse("pin", pin)?;
    let mut tx = ctx.store.write().await?;
    let patron = store::patron_by_id(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("patron {id}")))?;
    authorise(
        who,
        Action::WritePatron {
            home_member: patron.home_member,
        },
    )?;
    store::set_patron_pin(
        &mut tx,
        id,
        &secrets::hash_password(pin.expose())?,
        ctx.now(),
    )
    .await?;
    audit::<()>(
        ctx,
        &mut tx,
        who,
        Change {
            action: "patron.pin",
            entity_kind: "patron",
            entity_id: id.to_string(),
            member: Some(patron.home_member),
            before: None,
            after: None,
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Finds patrons by card, name or email among those the principal may see.
pub async fn search(ctx: &Context, who: &Principal, query: &str) -> ServiceResult<Vec<Patron>> {
    let query = query.trim();
    if query.is_empty() {
        return Err(ServiceError::invalid(vec![FieldError::new(
            "q",
            "type a card number, a name or an email",
        )]));
    }
    if !who.is_staff() {
        return Err(ServiceError::new(
            ErrorCode::Forbidden,
            "Searching patrons needs a staff account.",
        ));
    }
    // Narrow in the database when the principal sees exactly one member; otherwise filter after.
    let members: Vec<_> = who.grants().iter().map(|g| g.scope.member()).collect();
    let member_filter = match members.as_slice() {
        [Some(only)] => Some(*only),
        _ => None,
    };
    let mut conn = ctx.store.read().await?;
    let found = store::search_patrons(&mut conn, query, member_filter, 50).await?;
    let visible: Vec<Patron> = found
        .into_iter()
        .filter(|p| {
            authorise(
                who,
                Action::ReadPatron {
                    home_member: p.home_member,
                    patron: p.id,
                },
            )
            .is_ok()
        })
        // A patron whose contact details are hidden from this principal is not found by them
        // either: only by card or name.
        .filter(|p| {
            p.contact_visible_to(who)
                || p.cards.iter().any(|card| card.as_str() == query)
                || name_starts_with(&p.family_name, &p.given_names, query)
        })
        .map(|p| p.as_seen_by(who))
        .collect();
    if visible.is_empty() {
        // Say why nothing came back when the principal may not read patrons at all.
        if let Some(member) = member_filter {
            authorise(
                who,
                Action::ReadPatron {
                    home_member: member,
                    patron: PatronId(0),
                },
            )?;
        }
    }
    Ok(visible)
}

async fn load(conn: &mut AnyConnection, id: PatronId) -> ServiceResult<Patron> {
    store::patron_by_id(conn, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("patron {id}")))
}

/// Changes a patron's contact details, preferred pickup branch, notice and privacy choices: the
/// patron on their account page, or staff for them.
pub async fn update_account(
    ctx: &Context,
    who: &Principal,
    id: PatronId,
    input: &AccountInput,
) -> ServiceResult<Patron> {
    let mut tx = ctx.store.write().await?;
    let before = match store::patron_by_id(&mut tx, id).await? {
        Some(patron) => patron,
        None if who.is_staff() => return Err(ServiceError::not_found(format!("patron {id}"))),
        None => {
            return Err(ServiceError::new(
                ErrorCode::Forbidden,
                "You can only change your own account.",
            ));
        }
    };
    authorise(
        who,
        Action::WritePatronPreferences {
            home_member: before.home_member,
            patron: id,
        },
    )?;
    let draft = if before.contact_visible_to(who) {
        AccountDraft::parse(input)?
    } else {
        AccountDraft::parse(&before.keeping_contact_choices(input))?
    };
    let preferred_pickup_branch =
        pickup_branch(&mut tx, draft.preferred_pickup_branch.as_ref()).await?;
    let row = PatronRow {
        email: draft.email,
        phone: draft.phone,
        sms_number: draft.sms_number,
        preferred_pickup_branch,
        notices: draft.notices,
        privacy: draft.privacy,
        ..PatronRow::of(&before)
    };
    store::update_patron(&mut tx, id, &row, ctx.now()).await?;
    let after = load(&mut tx, id).await?;
    if after != before {
        audit(
            ctx,
            &mut tx,
            who,
            Change {
                action: "patron.account",
                entity_kind: "patron",
                entity_id: id.to_string(),
                member: Some(after.home_member),
                before: Some(&before),
                after: Some(&after),
                reason: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after.as_seen_by(who))
}

/// The patron changes their own PIN; the current PIN is required, and wrong guesses count
/// towards the same throttle as failed logins with the patron's cards.
pub async fn change_own_pin(
    ctx: &Context,
    who: &Principal,
    current: &str,
    new: &str,
) -> ServiceResult<()> {
    let Principal::Patron { id, home_member } = who else {
        return Err(ServiceError::new(
            ErrorCode::Forbidden,
            "Only patrons change their own PIN here; staff set PINs on the patron's record.",
        ));
    };
    let new = Pin::parse("new_pin", new)?;
    let key = format!("pin-change:{id}");
    let now = ctx.now();
    let throttle = ctx.login_throttle;
    {
        let mut conn = ctx.store.read().await?;
        let failures =
            concord_store::accounts::login_failures(&mut conn, &key, now - throttle.window_seconds)
                .await?;
        if let LoginDecision::WaitSeconds(seconds) = throttle.decide(&failures, now) {
            let mut error = ServiceError::new(
                ErrorCode::TooManyAttempts,
                format!(
                    "Too many wrong PINs. Try again in {} minutes.",
                    (seconds + 59) / 60
                ),
            );
            error.retry_after = Some(seconds);
            return Err(error);
        }
    }
    let hash = {
        let mut conn = ctx.store.read().await?;
        store::patron_pin_hash(&mut conn, *id).await?
    };
    let verified = match &hash {
        Some(hash) => secrets::verify_password(current, hash),
        None => false,
    };
    let mut tx = ctx.store.write().await?;
    if !verified {
        concord_store::accounts::record_login_failure(&mut tx, &key, now).await?;
        tx.commit().await?;
        return Err(ServiceError::field(
            "current_pin",
            "is not your current PIN",
        ));
    }
    store::set_patron_pin(&mut tx, *id, &secrets::hash_password(new.expose())?, now).await?;
    audit::<()>(
        ctx,
        &mut tx,
        who,
        Change {
            action: "patron.pin",
            entity_kind: "patron",
            entity_id: id.to_string(),
            member: Some(*home_member),
            before: None,
            after: None,
            reason: Some("changed by the patron"),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every card a patron has had, for staff who may read the patron.
pub async fn cards(ctx: &Context, who: &Principal, id: PatronId) -> ServiceResult<Vec<CardRecord>> {
    let patron = patron(ctx, who, id).await?;
    let mut conn = ctx.store.read().await?;
    Ok(store::cards_of(&mut conn, patron.id).await?)
}

/// Gives a patron another card. A barcode belongs to one patron consortium-wide, for good.
pub async fn add_card(
    ctx: &Context,
    who: &Principal,
    id: PatronId,
    barcode: &str,
) -> ServiceResult<Patron> {
    let barcode = Barcode::parse("card", barcode)?;
    let mut tx = ctx.store.write().await?;
    let before = load(&mut tx, id).await?;
    authorise(
        who,
        Action::WritePatron {
            home_member: before.home_member,
        },
    )?;
    // Look first so the refusal is clear and the transaction is not aborted on PostgreSQL.
    if store::card(&mut tx, &barcode).await?.is_some() {
        return Err(ServiceError::new(
            ErrorCode::Duplicate,
            format!("card {barcode} already belongs to a patron"),
        ));
    }
    store::add_card(&mut tx, id, &barcode, ctx.now()).await?;
    let after = load(&mut tx, id).await?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "patron.card.add",
            entity_kind: "patron",
            entity_id: id.to_string(),
            member: Some(after.home_member),
            before: Some(&before),
            after: Some(&after),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after.as_seen_by(who))
}

/// Deactivates one of a patron's cards (lost, stolen, replaced). The last active card stays: a
/// patron without one could not be served at any desk.
pub async fn deactivate_card(
    ctx: &Context,
    who: &Principal,
    id: PatronId,
    barcode: &str,
) -> ServiceResult<Patron> {
    let barcode = Barcode::parse("card", barcode)?;
    let mut tx = ctx.store.write().await?;
    let before = load(&mut tx, id).await?;
    authorise(
        who,
        Action::WritePatron {
            home_member: before.home_member,
        },
    )?;
    let card = store::card(&mut tx, &barcode)
        .await?
        .filter(|c| c.patron == id && c.active)
        .ok_or_else(|| ServiceError::not_found(format!("active card {barcode} of this patron")))?;
    if before.cards.len() <= 1 {
        return Err(ServiceError::new(
            ErrorCode::Conflict,
            "This is the patron's only active card. Add the new card first, then deactivate this one.",
        ));
    }
    store::deactivate_card(&mut tx, &card.barcode, ctx.now()).await?;
    let after = load(&mut tx, id).await?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "patron.card.deactivate",
            entity_kind: "patron",
            entity_id: id.to_string(),
            member: Some(after.home_member),
            before: Some(&before),
            after: Some(&after),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after.as_seen_by(who))
}

/// How many online registrations one address may make: a household or a library's public
/// computers need a few, a script needs many.
pub const SELF_REGISTRATION_THROTTLE: LoginThrottle = LoginThrottle {
    max_failures: 5,
    window_seconds: 3600,
};

/// A self-registration as typed on the public form.
#[derive(Debug, Clone, Default)]
pub struct SelfRegistrationInput {
    pub family_name: String,
    pub given_names: String,
    pub date_of_birth: String,
    pub email: String,
    pub phone: String,
    pub home_branch: String,
    pub pin: String,
}

/// Online self-registration: creates a *pending* patron with a registration card number, who
/// cannot log in until staff of the home branch's member approve. Throttled per client address.
pub async fn self_register(
    ctx: &Context,
    input: &SelfRegistrationInput,
    client: &str,
) -> ServiceResult<Patron> {
    let key = format!("register:{client}");
    let now = ctx.now();
    {
        let mut conn = ctx.store.read().await?;
        let recent = concord_store::accounts::login_failures(
            &mut conn,
            &key,
            now - SELF_REGISTRATION_THROTTLE.window_seconds,
        )
        .await?;
        if let LoginDecision::WaitSeconds(seconds) = SELF_REGISTRATION_THROTTLE.decide(&recent, now)
        {
            let mut error = ServiceError::new(
                ErrorCode::TooManyAttempts,
                format!(
                    "Too many registrations from this address. Try again in {} minutes, or ask at a library.",
                    (seconds + 59) / 60
                ),
            );
            error.retry_after = Some(seconds);
            return Err(error);
        }
    }
    let id = PatronId(ctx.new_id());
    let card = format!("R{id}");
    let today = Date::from_unix(now, 0);
    let patron_input = PatronInput {
        card: card.clone(),
        family_name: input.family_name.clone(),
        given_names: input.given_names.clone(),
        home_branch: input.home_branch.clone(),
        patron_type: "ADULT".into(),
        expires_on: today.add_days(365).to_string(),
        email: input.email.clone(),
        phone: input.phone.clone(),
        date_of_birth: input.date_of_birth.clone(),
        ..PatronInput::default()
    };
    let mut errors = Vec::new();
    let draft = PatronDraft::parse(&patron_input)
        .map_err(|es| errors.extend(es))
        .ok();
    let pin = Pin::parse("pin", &input.pin)
        .map_err(|e| errors.push(e))
        .ok();
    if input.email.trim().is_empty() && input.phone.trim().is_empty() {
        errors.push(FieldError::new(
            "email",
            "give an email address or a phone number so the library can reach you",
        ));
    }
    let (Some(draft), Some(pin)) = (draft, pin) else {
        return Err(ServiceError::invalid(errors));
    };
    if !errors.is_empty() {
        return Err(ServiceError::invalid(errors));
    }
    let pin_hash = secrets::hash_password(pin.expose())?;
    let mut tx = ctx.store.write().await?;
    let row = PatronRow {
        status: PatronStatus::Pending,
        ..row_from_draft(&mut tx, &draft).await?
    };
    let patron = store::insert_patron(&mut tx, id, &draft.card, &row, Some(&pin_hash), now).await?;
    concord_store::accounts::record_login_failure(&mut tx, &key, now).await?;
    let record = AuditRecord {
        actor: format!("self-registration:{client}"),
        action: "patron.self_register".into(),
        entity_kind: "patron".into(),
        entity_id: patron.id.to_string(),
        member_id: Some(patron.home_member),
        before: None,
        after: Some(
            serde_json::to_string(&patron).map_err(|e| ServiceError::internal(e.to_string()))?,
        ),
        reason: None,
    };
    concord_store::audit::append(&mut tx, AuditId(ctx.new_id()), now, &record).await?;
    tx.commit().await?;
    Ok(patron)
}

/// Online registrations waiting for the principal's decision: those whose home member the
/// principal may write patrons of.
pub async fn pending_registrations(ctx: &Context, who: &Principal) -> ServiceResult<Vec<Patron>> {
    if !who.is_staff() {
        return Err(ServiceError::new(
            ErrorCode::Forbidden,
            "This needs a staff account.",
        ));
    }
    let members: Vec<_> = who.grants().iter().map(|g| g.scope.member()).collect();
    let member_filter = match members.as_slice() {
        [Some(only)] => Some(*only),
        _ => None,
    };
    let mut conn = ctx.store.read().await?;
    Ok(store::pending_patrons(&mut conn, member_filter)
        .await?
        .into_iter()
        .filter(|p| {
            authorise(
                who,
                Action::WritePatron {
                    home_member: p.home_member,
                },
            )
            .is_ok()
        })
        .map(|p| p.as_seen_by(who))
        .collect())
}

/// Approves (the patron can log in) or rejects (they never can) a pending online registration.
pub async fn decide_registration(
    ctx: &Context,
    who: &Principal,
    id: PatronId,
    approve: bool,
) -> ServiceResult<Patron> {
    let mut tx = ctx.store.write().await?;
    let before = load(&mut tx, id).await?;
    authorise(
        who,
        Action::WritePatron {
            home_member: before.home_member,
        },
    )?;
    if before.status != PatronStatus::Pending {
        return Err(ServiceError::new(
            ErrorCode::Conflict,
            format!(
                "This registration was already decided ({}).",
                before.status.as_str()
            ),
        ));
    }
    let status = if approve {
        PatronStatus::Active
    } else {
        PatronStatus::Rejected
    };
    store::set_patron_status(&mut tx, id, status, ctx.now()).await?;
    let after = load(&mut tx, id).await?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: if approve {
                "patron.registration.approve"
            } else {
                "patron.registration.reject"
            },
            entity_kind: "patron",
            entity_id: id.to_string(),
            member: Some(after.home_member),
            before: Some(&before),
            after: Some(&after),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after.as_seen_by(who))
}

/// What the audit log keeps of a merge: both records before; the survivor and how many rows of
/// each table moved after.
#[derive(Serialize)]
struct MergeRecord<'a> {
    keep: &'a Patron,
    #[serde(skip_serializing_if = "Option::is_none")]
    absorb: Option<&'a Patron>,
    moved: &'a [(&'static str, u64)],
}

/// Merges patron `absorb` into patron `keep`: every card (and every other row that refers to a
/// patron) moves to `keep`, contact gaps are filled, and `absorb` is deleted. The principal must
/// be allowed to write the patrons of both home members, so member staff cannot pull another
/// member's patron into their own.
pub async fn merge(
    ctx: &Context,
    who: &Principal,
    keep: PatronId,
    absorb: PatronId,
) -> ServiceResult<Patron> {
    if keep == absorb {
        return Err(ServiceError::field(
            "absorb",
            "choose two different patrons",
        ));
    }
    let mut tx = ctx.store.write().await?;
    let kept = load(&mut tx, keep).await?;
    let absorbed = load(&mut tx, absorb).await?;
    for patron in [&kept, &absorbed] {
        authorise(
            who,
            Action::WritePatron {
                home_member: patron.home_member,
            },
        )?;
    }
    let merged = merged_patron(&kept, &absorbed);
    let moved = store::merge_patron_into(&mut tx, absorb, keep).await?;
    store::update_patron(&mut tx, keep, &PatronRow::of(&merged), ctx.now()).await?;
    let after = load(&mut tx, keep).await?;
    let before = MergeRecord {
        keep: &kept,
        absorb: Some(&absorbed),
        moved: &[],
    };
    let after_record = MergeRecord {
        keep: &after,
        absorb: None,
        moved: &moved,
    };
    let reason = format!("merged patron {absorb} into {keep}");
    // Each member involved sees the merge in its own log.
    let mut members = vec![after.home_member];
    if absorbed.home_member != after.home_member {
        members.push(absorbed.home_member);
    }
    for member in members {
        audit(
            ctx,
            &mut tx,
            who,
            Change {
                action: "patron.merge",
                entity_kind: "patron",
                entity_id: keep.to_string(),
                member: Some(member),
                before: Some(&before),
                after: Some(&after_record),
                reason: Some(&reason),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after.as_seen_by(who))
}
