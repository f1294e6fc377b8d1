//! Use cases for the circulation policy matrix: listing, creating, changing and deleting rules
//! with permissions, and "which rule applies and why" for a patron, branch and item.
//!
//! **Invariant:** a rule with no circulating member is a consortium default and only a consortium
//! administrator changes it; a member administrator changes only rules whose circulating member
//! is their own. A rule naming a branch always names that branch's member too.

use concord_domain::auth::{Action, Principal, authorise};
use concord_domain::circulation::policy_input::{PolicyRuleDraft, PolicyRuleInput};
use concord_domain::circulation::{
    MatchPoints, PolicyContext, PolicyExplanation, PolicyRule, explain_policy,
};
use concord_domain::codes::{Barcode, Code};
use concord_domain::ids::{MemberId, PolicyRuleId};
use concord_domain::money::Currency;
use concord_domain::org::{Branch, Member};
use concord_domain::patron::Patron;
use concord_domain::{ErrorCode, FieldError};
use concord_store::Conn as AnyConnection;
use concord_store::policies::{self as store, StoredPolicyRule};
use serde::Serialize;

use super::org::{branch_in, member_in};
use super::{Change, ServiceError, ServiceResult, audit};
use crate::Context;

/// The consortium's currency, in which policy amounts are typed and stored.
pub async fn currency(ctx: &Context) -> ServiceResult<Currency> {
    let settings = super::org::consortium(ctx).await?;
    Ok(Currency::iso("currency", &settings.currency)?)
}

fn require_staff(who: &Principal) -> ServiceResult<()> {
    if who.is_staff() {
        authorise(who, Action::ReadOrganisation)?;
        Ok(())
    } else {
        Err(ServiceError::new(
            ErrorCode::Forbidden,
            "Circulation rules are for staff.",
        ))
    }
}

/// Every rule of the matrix, oldest first. Any staff member may read them: desks at every member
/// need to know how another member lends.
pub async fn list(ctx: &Context, who: &Principal) -> ServiceResult<Vec<StoredPolicyRule>> {
    require_staff(who)?;
    let mut conn = ctx.store.read().await?;
    Ok(store::list_policy_rules(&mut conn).await?)
}

pub async fn rule(
    ctx: &Context,
    who: &Principal,
    id: PolicyRuleId,
) -> ServiceResult<StoredPolicyRule> {
    require_staff(who)?;
    let mut conn = ctx.store.read().await?;
    store::policy_rule(&mut conn, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("circulation rule {id}")))
}

/// Looks up the codes a draft names and builds the rule.
async fn resolve_draft(
    conn: &mut AnyConnection,
    id: PolicyRuleId,
    draft: &PolicyRuleDraft,
) -> ServiceResult<PolicyRule> {
    let mut errors = Vec::new();
    async fn member_of(
        conn: &mut AnyConnection,
        field: &str,
        code: &Option<Code>,
        errors: &mut Vec<FieldError>,
    ) -> ServiceResult<Option<Member>> {
        let Some(code) = code else { return Ok(None) };
        match member_in(conn, code.as_str()).await {
            Ok(member) => Ok(Some(member)),
            Err(e) if e.code == ErrorCode::NotFound => {
                errors.push(FieldError::new(field, format!("there is no member {code}")));
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
    let circulating_member = member_of(
        conn,
        "circulating_member",
        &draft.circulating_member,
        &mut errors,
    )
    .await?;
    let patron_home_member = member_of(
        conn,
        "patron_home_member",
        &draft.patron_home_member,
        &mut errors,
    )
    .await?;
    let branch: Option<Branch> = match &draft.circulating_branch {
        None => None,
        Some(code) => match branch_in(conn, code.as_str()).await {
            Ok(branch) => Some(branch),
            Err(e) if e.code == ErrorCode::NotFound => {
                errors.push(FieldError::new(
                    "circulating_branch",
                    format!("there is no branch {code}"),
                ));
                None
            }
            Err(e) => Err(e)?,
        },
    };
    let mut member_id = circulating_member.as_ref().map(|m| m.id);
    if let Some(branch) = &branch {
        match member_id {
            Some(m) if m != branch.member_id => errors.push(FieldError::new(
                "circulating_branch",
                format!("branch {} belongs to another member", branch.code),
            )),
            // A branch rule is the branch member's rule, so ownership is never in doubt.
            _ => member_id = Some(branch.member_id),
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::invalid(errors));
    }
    Ok(PolicyRule {
        id,
        match_points: MatchPoints {
            circulating_member: member_id,
            circulating_branch: branch.map(|b| b.id),
            patron_home_member: patron_home_member.map(|m| m.id),
            patron_type: draft.patron_type.clone(),
            item_type: draft.item_type.clone(),
            shelving_location: draft.shelving_location.clone(),
        },
        settings: draft.settings.clone(),
    })
}

fn may_manage(who: &Principal, member: Option<MemberId>) -> ServiceResult<()> {
    authorise(who, Action::ManagePolicies { member })?;
    Ok(())
}

/// What the audit log keeps of a rule.
#[derive(Serialize)]
struct RuleRecord<'a> {
    description: &'a str,
    #[serde(flatten)]
    rule: &'a PolicyRule,
}

pub async fn create(
    ctx: &Context,
    who: &Principal,
    input: &PolicyRuleInput,
) -> ServiceResult<StoredPolicyRule> {
    let draft = PolicyRuleDraft::parse(input, currency(ctx).await?)?;
    let mut tx = ctx.store.write().await?;
    let rule = resolve_draft(&mut tx, PolicyRuleId(ctx.new_id()), &draft).await?;
    may_manage(who, rule.match_points.circulating_member)?;
    let stored = store::insert_policy_rule(&mut tx, &rule, &draft.description, ctx.now()).await?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "policy.create",
            entity_kind: "policy_rule",
            entity_id: rule.id.to_string(),
            member: rule.match_points.circulating_member,
            before: None,
            after: Some(&RuleRecord {
                description: &stored.description,
                rule: &stored.rule,
            }),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(stored)
}

pub async fn update(
    ctx: &Context,
    who: &Principal,
    id: PolicyRuleId,
    input: &PolicyRuleInput,
) -> ServiceResult<StoredPolicyRule> {
    let draft = PolicyRuleDraft::parse(input, currency(ctx).await?)?;
    let mut tx = ctx.store.write().await?;
    let before = store::policy_rule(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("circulation rule {id}")))?;
    // Both the rule as it was and as it will be must be the principal's to manage: a member
    // administrator can neither take over a default nor hand their rule to another member.
    may_manage(who, before.rule.match_points.circulating_member)?;
    let rule = resolve_draft(&mut tx, id, &draft).await?;
    may_manage(who, rule.match_points.circulating_member)?;
    store::update_policy_rule(&mut tx, &rule, &draft.description, ctx.now()).await?;
    let after = store::policy_rule(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("circulation rule {id}")))?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "policy.update",
            entity_kind: "policy_rule",
            entity_id: id.to_string(),
            member: rule.match_points.circulating_member,
            before: Some(&RuleRecord {
                description: &before.description,
                rule: &before.rule,
            }),
            after: Some(&RuleRecord {
                description: &after.description,
                rule: &after.rule,
            }),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn delete(ctx: &Context, who: &Principal, id: PolicyRuleId) -> ServiceResult<()> {
    let mut tx = ctx.store.write().await?;
    let before = store::policy_rule(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("circulation rule {id}")))?;
    may_manage(who, before.rule.match_points.circulating_member)?;
    store::delete_policy_rule(&mut tx, id).await?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "policy.delete",
            entity_kind: "policy_rule",
            entity_id: id.to_string(),
            member: before.rule.match_points.circulating_member,
            before: Some(&RuleRecord {
                description: &before.description,
                rule: &before.rule,
            }),
            after: None,
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The question "which rule applies": a patron's card, the branch lending, and the item's type
/// and shelving location (later also an item barcode, which supplies the last two).
#[derive(Debug, Clone, Default)]
pub struct ExplainQuery {
    pub patron_card: String,
    pub branch: String,
    pub item_type: String,
    pub shelving_location: String,
}

/// The answer, with the records behind it so transports can show codes and descriptions.
#[derive(Debug, Clone)]
pub struct Explained {
    pub explanation: PolicyExplanation,
    pub rules: Vec<StoredPolicyRule>,
    pub patron: Patron,
    pub branch: Branch,
    pub members: Vec<Member>,
    pub branches: Vec<Branch>,
}

impl Explained {
    pub fn rule(&self, id: PolicyRuleId) -> Option<&StoredPolicyRule> {
        self.rules.iter().find(|r| r.rule.id == id)
    }
}

/// Explains the policy for a patron borrowing at a branch. Staff only; the answer names the
/// patron's type and home member, nothing else of theirs.
pub async fn explain(
    ctx: &Context,
    who: &Principal,
    query: &ExplainQuery,
) -> ServiceResult<Explained> {
    require_staff(who)?;
    let mut errors = Vec::new();
    let card = Barcode::parse("patron", &query.patron_card)
        .map_err(|e| errors.push(e))
        .ok();
    let branch_code = Code::parse("branch", &query.branch)
        .map_err(|e| errors.push(e))
        .ok();
    let item_type = Code::parse("item_type", &query.item_type)
        .map_err(|e| errors.push(e))
        .ok();
    let shelving_location = Code::parse("shelving_location", &query.shelving_location)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(card), Some(branch_code), Some(item_type), Some(shelving_location)) =
        (card, branch_code, item_type, shelving_location)
    else {
        return Err(ServiceError::invalid(errors));
    };
    let mut conn = ctx.store.read().await?;
    let patron = concord_store::patrons::patron_by_card(&mut conn, &card)
        .await?
        .map(|(patron, _)| patron)
        .ok_or_else(|| {
            ServiceError::field("patron", format!("no patron has the active card {card}"))
        })?;
    let branch = branch_in(&mut conn, branch_code.as_str())
        .await
        .map_err(|e| {
            if e.code == ErrorCode::NotFound {
                ServiceError::field("branch", format!("there is no branch {branch_code}"))
            } else {
                e
            }
        })?;
    let rules = store::list_policy_rules(&mut conn).await?;
    let members = concord_store::org::list_members(&mut conn).await?;
    let branches = concord_store::org::list_branches(&mut conn, None).await?;
    let context = PolicyContext {
        circulating_member: branch.member_id,
        circulating_branch: branch.id,
        patron_home_member: patron.home_member,
        patron_type: patron.patron_type.clone(),
        item_type,
        shelving_location,
    };
    let matrix: Vec<PolicyRule> = rules.iter().map(|r| r.rule.clone()).collect();
    Ok(Explained {
        explanation: explain_policy(&matrix, &context),
        rules,
        patron,
        branch,
        members,
        branches,
    })
}
