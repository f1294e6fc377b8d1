//! The whole-consortium file: members and branches in one TOML document, loaded in one step and
//! one transaction (`concord org load FILE.toml`, or the admin page's upload).
//!
//! Loading is an upsert keyed by codes: new members and branches are created, changed ones updated,
//! the rest left alone, so the same file can be loaded again after edits. Every problem in the file
//! is reported at once with its path (`members[3].branches[1].code`) and nothing is written unless
//! the whole file is valid.

use std::collections::{BTreeMap, HashSet};

use concord_domain::FieldError;
use concord_domain::auth::{Action, Principal, authorise};
use concord_domain::ids::{BranchId, MemberId};
use concord_domain::org::{BranchDraft, BranchInput, MemberDraft, MemberInput};
use concord_store::org as store;
use concord_store::org::ConsortiumSettings;
use serde::{Deserialize, Serialize};

use super::{Change, ServiceError, ServiceResult, audit};
use crate::Context;

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ConsortiumFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    consortium: Option<ConsortiumSection>,
    #[serde(default)]
    members: Vec<MemberSection>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ConsortiumSection {
    code: String,
    name: String,
    #[serde(default = "default_currency")]
    currency: String,
    /// `+01:00`, `-05:00`, `Z`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    utc_offset: Option<String>,
}

fn default_currency() -> String {
    "USD".to_string()
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct MemberSection {
    code: String,
    name: String,
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    colour: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logo_url: Option<String>,
    #[serde(default)]
    branches: Vec<BranchSection>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct BranchSection {
    code: String,
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    pickup: bool,
    #[serde(default)]
    curbside: bool,
    /// `monday = "09:00-17:00"`; days left out are closed.
    #[serde(default)]
    hours: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    closed: Vec<ClosedSection>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ClosedSection {
    date: String,
    #[serde(default)]
    reason: String,
}

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadSummary {
    pub members_created: usize,
    pub members_updated: usize,
    pub members_unchanged: usize,
    pub branches_created: usize,
    pub branches_updated: usize,
    pub branches_unchanged: usize,
}

fn parse_offset(raw: &str) -> Result<i64, FieldError> {
    let bad = || {
        FieldError::new(
            "consortium.utc_offset",
            format!("{raw:?} is not an offset like +01:00 or -05:00"),
        )
    };
    let raw = raw.trim();
    if raw == "Z" || raw.is_empty() {
        return Ok(0);
    }
    let (sign, rest) = match raw.split_at_checked(1) {
        Some(("+", rest)) => (1, rest),
        Some(("-", rest)) => (-1, rest),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').ok_or_else(bad)?;
    let hours: i64 = h.parse().map_err(|_| bad())?;
    let minutes: i64 = m.parse().map_err(|_| bad())?;
    if hours > 14 || minutes > 59 || m.len() != 2 {
        return Err(bad());
    }
    Ok(sign * (hours * 3600 + minutes * 60))
}

struct ValidatedFile {
    consortium: Option<ConsortiumSettings>,
    members: Vec<(MemberDraft, Vec<BranchDraft>)>,
}

fn validate(text: &str) -> Result<ValidatedFile, Vec<FieldError>> {
    let file: ConsortiumFile = toml::from_str(text).map_err(|e| {
        let place = e
            .span()
            .map(|span| {
                let line = text
                    .get(..span.start)
                    .map_or(0, |t| t.matches('\n').count())
                    + 1;
                format!("line {line}")
            })
            .unwrap_or_else(|| "file".to_string());
        vec![FieldError::new(place, e.message().to_string())]
    })?;
    let mut errors = Vec::new();
    let consortium = file.consortium.map(|c| {
        let utc_offset_seconds = c
            .utc_offset
            .as_deref()
            .map(parse_offset)
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten()
            .unwrap_or(0);
        if c.currency.len() != 3 || !c.currency.chars().all(|ch| ch.is_ascii_alphabetic()) {
            errors.push(FieldError::new(
                "consortium.currency",
                format!(
                    "{:?} is not an ISO 4217 currency code like USD or GBP",
                    c.currency
                ),
            ));
        }
        ConsortiumSettings {
            code: c.code.trim().to_ascii_uppercase(),
            name: c.name.trim().to_string(),
            currency: c.currency.to_ascii_uppercase(),
            utc_offset_seconds,
        }
    });
    let mut member_codes = HashSet::new();
    let mut branch_codes = HashSet::new();
    let mut members = Vec::new();
    for (m_index, m) in file.members.iter().enumerate() {
        let prefix = format!("members[{m_index}]");
        let input = MemberInput {
            code: m.code.clone(),
            name: m.name.clone(),
            kind: m.kind.clone(),
            display_name: m.display_name.clone(),
            colour: m.colour.clone(),
            logo_url: m.logo_url.clone(),
        };
        let member = match MemberDraft::parse(&input) {
            Ok(draft) => {
                if !member_codes.insert(draft.code.clone()) {
                    errors.push(FieldError::new(
                        format!("{prefix}.code"),
                        format!("member {} appears twice in the file", draft.code),
                    ));
                }
                Some(draft)
            }
            Err(es) => {
                errors.extend(es.into_iter().map(|e| e.within(&prefix)));
                None
            }
        };
        let mut branches = Vec::new();
        for (b_index, b) in m.branches.iter().enumerate() {
            let prefix = format!("{prefix}.branches[{b_index}]");
            let input = BranchInput {
                code: b.code.clone(),
                name: b.name.clone(),
                address: b.address.clone(),
                opening_hours: b
                    .hours
                    .iter()
                    .map(|(d, h)| (d.clone(), h.clone()))
                    .collect(),
                closed_dates: b
                    .closed
                    .iter()
                    .map(|c| (c.date.clone(), c.reason.clone()))
                    .collect(),
                is_pickup_location: b.pickup,
                has_curbside: b.curbside,
            };
            match BranchDraft::parse(&input) {
                Ok(draft) => {
                    if !branch_codes.insert(draft.code.clone()) {
                        errors.push(FieldError::new(
                            format!("{prefix}.code"),
                            format!("branch {} appears twice in the file", draft.code),
                        ));
                    }
                    branches.push(draft);
                }
                Err(es) => errors.extend(es.into_iter().map(|e| e.within(&prefix))),
            }
        }
        if let Some(member) = member {
            members.push((member, branches));
        }
    }
    if errors.is_empty() {
        Ok(ValidatedFile {
            consortium,
            members,
        })
    } else {
        Err(errors)
    }
}

/// Loads a whole-consortium TOML file in one transaction. Only a consortium administrator (or the
/// operator at the command line) may.
pub async fn load(ctx: &Context, who: &Principal, text: &str) -> ServiceResult<LoadSummary> {
    authorise(who, Action::ManageConsortium)?;
    let file = validate(text).map_err(ServiceError::invalid)?;
    let now = ctx.now();
    let mut summary = LoadSummary::default();
    let mut tx = ctx.store.write().await?;
    if let Some(settings) = &file.consortium {
        store::save_consortium(&mut tx, ctx.new_id(), settings, now).await?;
    }
    for (member_draft, branch_drafts) in &file.members {
        let member = match store::member_by_code(&mut tx, &member_draft.code).await? {
            None => {
                let member =
                    store::insert_member(&mut tx, MemberId(ctx.new_id()), member_draft, now)
                        .await?;
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
                        reason: Some("consortium file"),
                    },
                )
                .await?;
                summary.members_created += 1;
                member
            }
            Some(existing) => {
                let updated = store::update_member(&mut tx, existing.id, member_draft, now).await?;
                if updated == existing {
                    summary.members_unchanged += 1;
                } else {
                    audit(
                        ctx,
                        &mut tx,
                        who,
                        Change {
                            action: "member.update",
                            entity_kind: "member",
                            entity_id: updated.code.to_string(),
                            member: Some(updated.id),
                            before: Some(&existing),
                            after: Some(&updated),
                            reason: Some("consortium file"),
                        },
                    )
                    .await?;
                    summary.members_updated += 1;
                }
                updated
            }
        };
        for draft in branch_drafts {
            match store::branch_by_code(&mut tx, &draft.code).await? {
                None => {
                    let branch = store::insert_branch(
                        &mut tx,
                        BranchId(ctx.new_id()),
                        member.id,
                        draft,
                        now,
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
                            reason: Some("consortium file"),
                        },
                    )
                    .await?;
                    summary.branches_created += 1;
                }
                Some(existing) => {
                    let updated =
                        store::update_branch(&mut tx, existing.id, member.id, draft, now).await?;
                    if updated == existing {
                        summary.branches_unchanged += 1;
                    } else {
                        audit(
                            ctx,
                            &mut tx,
                            who,
                            Change {
                                action: "branch.update",
                                entity_kind: "branch",
                                entity_id: updated.code.to_string(),
                                member: Some(member.id),
                                before: Some(&existing),
                                after: Some(&updated),
                                reason: Some("consortium file"),
                            },
                        )
                        .await?;
                        summary.branches_updated += 1;
                    }
                }
            }
        }
    }
    tx.commit().await?;
    Ok(summary)
}

fn format_offset(seconds: i64) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The consortium as it is now, in the same file format `load` reads: export, edit, load again.
pub async fn export(ctx: &Context, who: &Principal) -> ServiceResult<String> {
    authorise(who, Action::ReadOrganisation)?;
    let mut conn = ctx.store.read().await?;
    let consortium = store::consortium(&mut conn).await?;
    let members = store::list_members(&mut conn).await?;
    let branches = store::list_branches(&mut conn, None).await?;
    let file = ConsortiumFile {
        consortium: consortium.map(|c| ConsortiumSection {
            code: c.code,
            name: c.name,
            currency: c.currency,
            utc_offset: Some(format_offset(c.utc_offset_seconds)),
        }),
        members: members
            .iter()
            .map(|m| MemberSection {
                code: m.code.to_string(),
                name: m.name.clone(),
                kind: m.kind.as_str().to_string(),
                display_name: Some(m.branding.display_name.clone()),
                colour: Some(m.branding.colour.as_str().to_string()),
                logo_url: m.branding.logo_url.clone(),
                branches: branches
                    .iter()
                    .filter(|b| b.member_id == m.id)
                    .map(|b| BranchSection {
                        code: b.code.to_string(),
                        name: b.name.clone(),
                        address: b.address.clone(),
                        pickup: b.is_pickup_location,
                        curbside: b.has_curbside,
                        hours: concord_domain::calendar::Weekday::ALL
                            .iter()
                            .filter(|d| b.opening_hours.is_open_on(**d))
                            .map(|d| (d.key().to_string(), b.opening_hours.format_day(*d)))
                            .collect(),
                        closed: b
                            .closed_dates
                            .iter()
                            .map(|c| ClosedSection {
                                date: c.date.to_string(),
                                reason: c.reason.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    };
    toml::to_string(&file).map_err(|e| ServiceError::internal(format!("consortium file: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<String> {
        match validate(text) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.reason))
                .collect(),
        }
    }

    #[test]
    fn a_valid_file_validates() {
        let text = r#"
            [consortium]
            code = "demo"
            name = "Demo Consortium"
            currency = "gbp"
            utc_offset = "+01:00"

            [[members]]
            code = "shire"
            name = "Shire Libraries"
            kind = "public"

            [[members.branches]]
            code = "shire-cen"
            name = "Shire Central"
            pickup = true
            hours = { monday = "09:00-17:00", saturday = "10:00-13:00" }
            closed = [{ date = "2026-12-25", reason = "Christmas" }]
        "#;
        let file = validate(text).unwrap();
        let consortium = file.consortium.unwrap();
        assert_eq!(consortium.currency, "GBP");
        assert_eq!(consortium.utc_offset_seconds, 3600);
        assert_eq!(file.members.len(), 1);
        assert_eq!(file.members[0].1[0].closed_dates.len(), 1);
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let text = r#"
            [[members]]
            code = "A"
            name = "A"
            kind = "public"
            [[members.branches]]
            code = "A1"
            name = "A one"
            [[members]]
            code = "a"
            name = ""
            kind = "zoo"
            [[members.branches]]
            code = "A1"
            name = "again"
            hours = { monday = "9 to 5" }
        "#;
        assert_eq!(
            fields(text),
            [
                "members[1].name: is required",
                "members[1].kind: \"zoo\" is not a kind of library (public, academic, school or special)",
                "members[1].branches[0].opening_hours.monday: \"9 to 5\" is not an opening period like 09:00-17:00",
            ]
        );
        let duplicates = r#"
            [[members]]
            code = "A"
            name = "A"
            kind = "public"
            [[members.branches]]
            code = "A1"
            name = "A one"
            [[members]]
            code = "a"
            name = "Again"
            kind = "school"
            [[members.branches]]
            code = "a1"
            name = "again"
        "#;
        assert_eq!(
            fields(duplicates),
            [
                "members[1].code: member A appears twice in the file",
                "members[1].branches[0].code: branch A1 appears twice in the file",
            ]
        );
    }

    #[test]
    fn unknown_keys_and_syntax_errors_name_the_line() {
        let errors = fields(
            "[[members]]\ncode = \"A\"\nname = \"A\"\nkind = \"public\"\ncolur = \"#000000\"\n",
        );
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("line 5: unknown field `colur`"),
            "{errors:?}"
        );
        let errors = fields("[[members]\n");
        assert!(errors[0].starts_with("line 1"), "{errors:?}");
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("-05:00").unwrap(), -18_000);
        assert_eq!(parse_offset("+05:30").unwrap(), 19_800);
        assert_eq!(parse_offset("Z").unwrap(), 0);
        assert!(parse_offset("5").is_err());
        assert!(parse_offset("+25:00").is_err());
    }
}
