//! Use cases for patrons: registration by staff, lookup, changes, PINs — one identity across members.

use concord_domain::auth::{Action, Principal, authorise};
use concord_domain::ids::PatronId;
use concord_domain::patron::{
    NoticePreferences, Patron, PatronDraft, PatronInput, PatronStatus, Pin, PrivacyChoices,
};
use concord_domain::{ErrorCode, FieldError};
use concord_store::Conn as AnyConnection;
use concord_store::patrons::{self as store, PatronRow};

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
    Ok(PatronRow {
        family_name: draft.family_name.clone(),
        given_names: draft.given_names.clone(),
        home_branch: branch.id,
        home_member: branch.member_id,
        patron_type: draft.patron_type.clone(),
        expires_on: draft.expires_on,
        email: draft.email.clone(),
        phone: draft.phone.clone(),
        sms_number: None,
        date_of_birth: None,
        preferred_pickup_branch: None,
        notices: NoticePreferences::default(),
        privacy: PrivacyChoices::default(),
        status: PatronStatus::Active,
    })
}

/// Registers a patron at a branch. The staff member must be allowed to write patrons of the home
/// branch's member.
pub async fn register(
    ctx: &Context,
    who: &Principal,
    input: &PatronInput,
    pin: Option<&str>,
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
    tx.commit().await.map_err(concord_store::StoreError::from)?;
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
            Ok(patron)
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
    // The card is managed separately (cards are added, not renamed); keep the first one for parsing.
    let input = PatronInput {
        card: before
            .cards
            .first()
            .map(ToString::to_string)
            .unwrap_or_else(|| input.card.clone()),
        ..input.clone()
    };
    let draft = PatronDraft::parse(&input)?;
    let row = row_from_draft(&mut tx, &draft).await?;
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
    tx.commit().await.map_err(concord_store::StoreError::from)?;
    Ok(after)
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
    tx.commit().await.map_err(concord_store::StoreError::from)?;
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
