//! Use cases for the consortium's organisation: members, their branding, branches and hours.

use concord_domain::auth::{Action, Principal, authorise};
use concord_domain::codes::Code;
use concord_domain::ids::{BranchId, MemberId};
use concord_domain::org::{Branch, BranchDraft, BranchInput, Member, MemberDraft, MemberInput};
use concord_store::Conn as AnyConnection;
use concord_store::org as store;
use concord_store::org::ConsortiumSettings;

use super::{Change, ServiceError, ServiceResult, audit};
use crate::Context;

/// The consortium's settings, or sensible defaults before any have been saved.
pub async fn consortium(ctx: &Context) -> ServiceResult<ConsortiumSettings> {
    let mut conn = ctx.store.read().await?;
    Ok(store::consortium(&mut conn)
        .await?
        .unwrap_or_else(|| ConsortiumSettings {
            code: "CONSORTIUM".into(),
            name: "Concord".into(),
            currency: "USD".into(),
            utc_offset_seconds: 0,
        }))
}

/// Every member, in code order. The organisation is public: the catalogue shows it to everyone.
pub async fn list_members(ctx: &Context) -> ServiceResult<Vec<Member>> {
    let mut conn = ctx.store.read().await?;
    Ok(store::list_members(&mut conn).await?)
}

pub(crate) async fn member_in(conn: &mut AnyConnection, code: &str) -> ServiceResult<Member> {
    let code = Code::parse("member", code)?;
    store::member_by_code(conn, &code)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("member {code}")))
}

pub(crate) async fn branch_in(conn: &mut AnyConnection, code: &str) -> ServiceResult<Branch> {
    let code = Code::parse("branch", code)?;
    store::branch_by_code(conn, &code)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("branch {code}")))
}

pub async fn member(ctx: &Context, code: &str) -> ServiceResult<Member> {
    let mut conn = ctx.store.read().await?;
    member_in(&mut conn, code).await
}

pub async fn member_by_id(ctx: &Context, id: MemberId) -> ServiceResult<Member> {
    let mut conn = ctx.store.read().await?;
    store::member_by_id(&mut conn, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("member {id}")))
}

pub async fn create_member(
    ctx: &Context,
    who: &Principal,
    input: &MemberInput,
) -> ServiceResult<Member> {
    authorise(who, Action::ManageConsortium)?;
    let draft = MemberDraft::parse(input)?;
    let mut tx = ctx.store.write().await?;
    let member = store::insert_member(&mut tx, MemberId(ctx.new_id()), &draft, ctx.now()).await?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "member.create",
            entity_kind: "member",
            entity_id: member.code.to_string(),
            member: Some(member.id),
            before: None,
            after: Some(&member),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(member)
}

pub async fn update_member(
    ctx: &Context,
    who: &Principal,
    code: &str,
    input: &MemberInput,
) -> ServiceResult<Member> {
    let mut tx = ctx.store.write().await?;
    let before = member_in(&mut tx, code).await?;
    authorise(who, Action::ManageMember { member: before.id })?;
    let draft = MemberDraft::parse(input)?;
    if draft.code != before.code {
        // Changing a member's code is a consortium decision: it is part of every staff login's scope
        // description and of exported holdings.
        authorise(who, Action::ManageConsortium)?;
    }
    let after = store::update_member(&mut tx, before.id, &draft, ctx.now()).await?;
    if after != before {
        audit(
            ctx,
            &mut tx,
            who,
            Change {
                action: "member.update",
                entity_kind: "member",
                entity_id: after.code.to_string(),
                member: Some(after.id),
                before: Some(&before),
                after: Some(&after),
                reason: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Every branch, or one member's, in code order.
pub async fn list_branches(ctx: &Context, member_code: Option<&str>) -> ServiceResult<Vec<Branch>> {
    let mut conn = ctx.store.read().await?;
    let member = match member_code {
        Some(code) => Some(member_in(&mut conn, code).await?.id),
        None => None,
    };
    Ok(store::list_branches(&mut conn, member).await?)
}

pub async fn branch(ctx: &Context, code: &str) -> ServiceResult<Branch> {
    let mut conn = ctx.store.read().await?;
    branch_in(&mut conn, code).await
}

pub async fn branch_by_id(ctx: &Context, id: BranchId) -> ServiceResult<Branch> {
    let mut conn = ctx.store.read().await?;
    store::branch_by_id(&mut conn, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("branch {id}")))
}

pub async fn create_branch(
    ctx: &Context,
    who: &Principal,
    member_code: &str,
    input: &BranchInput,
) -> ServiceResult<Branch> {
    let mut tx = ctx.store.write().await?;
    let member = member_in(&mut tx, member_code).await?;
    authorise(
        who,
        Action::ManageBranch {
            member: member.id,
            branch: None,
        },
    )?;
    let draft = BranchDraft::parse(input)?;
    let branch = store::insert_branch(
        &mut tx,
        BranchId(ctx.new_id()),
        member.id,
        &draft,
        ctx.now(),
    )
    .await?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "branch.create",
            entity_kind: "branch",
            entity_id: branch.code.to_string(),
            member: Some(member.id),
            before: None,
            after: Some(&branch),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(branch)
}

pub async fn update_branch(
    ctx: &Context,
    who: &Principal,
    code: &str,
    input: &BranchInput,
) -> ServiceResult<Branch> {
    let mut tx = ctx.store.write().await?;
    let before = branch_in(&mut tx, code).await?;
    authorise(
        who,
        Action::ManageBranch {
            member: before.member_id,
            branch: Some(before.id),
        },
    )?;
    let draft = BranchDraft::parse(input)?;
    let after =
        store::update_branch(&mut tx, before.id, before.member_id, &draft, ctx.now()).await?;
    if after != before {
        audit(
            ctx,
            &mut tx,
            who,
            Change {
                action: "branch.update",
                entity_kind: "branch",
                entity_id: after.code.to_string(),
                member: Some(after.member_id),
                before: Some(&before),
                after: Some(&after),
                reason: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// The input form of an existing member (to prefill an edit form).
pub fn member_input(member: &Member) -> MemberInput {
    MemberInput {
        code: member.code.to_string(),
        name: member.name.clone(),
        kind: member.kind.as_str().to_string(),
        display_name: Some(member.branding.display_name.clone()),
        colour: Some(member.branding.colour.as_str().to_string()),
        logo_url: member.branding.logo_url.clone(),
    }
}

/// The input form of an existing branch (to prefill an edit form or change one field).
pub fn branch_input(branch: &Branch) -> BranchInput {
    use concord_domain::calendar::Weekday;
    BranchInput {
        code: branch.code.to_string(),
        name: branch.name.clone(),
        address: branch.address.clone(),
        opening_hours: Weekday::ALL
            .iter()
            .map(|w| (w.key().to_string(), branch.opening_hours.format_day(*w)))
            .collect(),
        closed_dates: branch
            .closed_dates
            .iter()
            .map(|c| (c.date.to_string(), c.reason.clone()))
            .collect(),
        is_pickup_location: branch.is_pickup_location,
        has_curbside: branch.has_curbside,
    }
}
