//! Use cases for logging in and out, staff accounts, and integration tokens.

use std::collections::HashMap;
use std::sync::Mutex;

use concord_domain::auth::{Action, Grant, Principal, Role, Scope, authorise, may_grant};
use concord_domain::codes::Barcode;
use concord_domain::ids::{ApiTokenId, StaffId};
use concord_domain::org::parse_name;
use concord_domain::patron::PatronStatus;
use concord_domain::ratelimit::LoginDecision;
use concord_domain::{ErrorCode, FieldError};
use concord_store::Conn as AnyConnection;
use concord_store::accounts::{self as store, ApiTokenRecord, SessionPrincipal, StaffRecord};
use concord_store::patrons as patron_store;
use serde::Serialize;

use super::org::{branch_in, member_in};
use super::{Change, ServiceError, ServiceResult, audit};
use crate::Context;
use crate::secrets;

/// A new login: the session token for the cookie, the anti-forgery token for forms, and who it is.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: i64,
    pub principal: Principal,
}

/// A live session looked up from its cookie.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub principal: Principal,
    pub csrf_token: String,
}

async fn check_throttle(
    ctx: &Context,
    keys: &[(&str, &concord_domain::ratelimit::LoginThrottle)],
) -> ServiceResult<()> {
    let now = ctx.now();
    let mut conn = ctx.store.read().await?;
    for (key, throttle) in keys {
        let failures = store::login_failures(&mut conn, key, now - throttle.window_seconds).await?;
        if let LoginDecision::WaitSeconds(seconds) = throttle.decide(&failures, now) {
            let mut error = ServiceError::new(
                ErrorCode::TooManyAttempts,
                format!(
                    "Too many failed logins. Try again in {} minutes.",
                    (seconds + 59) / 60
                ),
            );
            error.retry_after = Some(seconds);
            return Err(error);
        }
    }
    Ok(())
}

async fn login_failed(ctx: &Context, keys: &[&str]) -> ServiceResult<ServiceError> {
    let mut tx = ctx.store.write().await?;
    for key in keys {
        store::record_login_failure(&mut tx, key, ctx.now()).await?;
    }
    tx.commit().await?;
    Ok(ServiceError::new(
        ErrorCode::BadCredentials,
        "The login details are not right.",
    ))
}

async fn start_session(
    ctx: &Context,
    principal: Principal,
    session_principal: SessionPrincipal,
    keys: &[&str],
) -> ServiceResult<NewSession> {
    let token = secrets::random_token();
    let csrf_token = secrets::random_token();
    let now = ctx.now();
    let expires_at = now + ctx.session_seconds;
    let mut tx = ctx.store.write().await?;
    store::insert_session(
        &mut tx,
        &secrets::token_digest(&token),
        session_principal,
        &csrf_token,
        now,
        expires_at,
    )
    .await?;
    if let Some(key) = keys.first() {
        // A good login forgives this account's earlier failures and sweeps old ones.
        store::clear_login_failures(&mut tx, key, now - 24 * 3600).await?;
    }
    store::delete_expired_sessions(&mut tx, now).await?;
    tx.commit().await?;
    Ok(NewSession {
        token,
        csrf_token,
        expires_at,
        principal,
    })
}

/// Staff login with username and password, throttled per username and per client address.
pub async fn login_staff(
    ctx: &Context,
    username: &str,
    password: &str,
    client: &str,
) -> ServiceResult<NewSession> {
    let username = username.trim().to_lowercase();
    let user_key = format!("staff:{username}");
    let address_key = format!("address:{client}");
    check_throttle(
        ctx,
        &[
            (&user_key, &ctx.login_throttle),
            (&address_key, &ctx.address_throttle),
        ],
    )
    .await?;
    let record = {
        let mut conn = ctx.store.read().await?;
        store::staff_by_username(&mut conn, &username).await?
    };
    let verified = match &record {
        Some(staff) => secrets::verify_password(password, &staff.password_hash) && !staff.disabled,
        None => {
            secrets::verify_password(password, &ctx.dummy_hash);
            false
        }
    };
    match record {
        Some(staff) if verified => {
            let principal = principal_of(&staff);
            start_session(
                ctx,
                principal,
                SessionPrincipal::Staff(staff.id.0),
                &[&user_key],
            )
            .await
        }
        _ => Err(login_failed(ctx, &[&user_key, &address_key]).await?),
    }
}

/// Patron login with card barcode and PIN, throttled per card and per client address.
pub async fn login_patron(
    ctx: &Context,
    card: &str,
    pin: &str,
    client: &str,
) -> ServiceResult<NewSession> {
    let card = Barcode::parse("card", card)?;
    let card_key = format!("card:{card}");
    let address_key = format!("address:{client}");
    check_throttle(
        ctx,
        &[
            (&card_key, &ctx.login_throttle),
            (&address_key, &ctx.address_throttle),
        ],
    )
    .await?;
    let found = {
        let mut conn = ctx.store.read().await?;
        patron_store::patron_by_card(&mut conn, &card).await?
    };
    let verified = match &found {
        Some((_, Some(hash))) => secrets::verify_password(pin, hash),
        _ => {
            secrets::verify_password(pin, &ctx.dummy_hash);
            false
        }
    };
    match found {
        Some((patron, _)) if verified && patron.status == PatronStatus::Pending => {
            Err(ServiceError::new(
                ErrorCode::AccountPending,
                "Your registration is waiting for library staff to approve it. You can log in once they have; ask at your library if it takes more than a few days.",
            ))
        }
        Some((patron, _)) if verified && patron.status == PatronStatus::Rejected => {
            Err(ServiceError::new(
                ErrorCode::Forbidden,
                "This registration was not approved. Please ask at your library.",
            ))
        }
        Some((patron, _)) if verified => {
            let principal = Principal::Patron {
                id: patron.id,
                home_member: patron.home_member,
            };
            start_session(
                ctx,
                principal,
                SessionPrincipal::Patron(patron.id.0),
                &[&card_key],
            )
            .await
        }
        _ => Err(login_failed(ctx, &[&card_key, &address_key]).await?),
    }
}

pub async fn logout(ctx: &Context, token: &str) -> ServiceResult<()> {
    let mut tx = ctx.store.write().await?;
    store::delete_session(&mut tx, &secrets::token_digest(token)).await?;
    tx.commit().await?;
    Ok(())
}

fn principal_of(staff: &StaffRecord) -> Principal {
    Principal::Staff {
        id: staff.id,
        username: staff.username.clone(),
        grants: staff.grants.clone(),
    }
}

/// The principal behind a session cookie, if the session is live and its account still usable.
pub async fn session(ctx: &Context, token: &str) -> ServiceResult<Option<ActiveSession>> {
    let mut conn = ctx.store.read().await?;
    let Some(session) = store::session(&mut conn, &secrets::token_digest(token), ctx.now()).await?
    else {
        return Ok(None);
    };
    let principal = match session.principal {
        SessionPrincipal::Staff(id) => match store::staff_by_id(&mut conn, StaffId(id)).await? {
            Some(staff) if !staff.disabled => principal_of(&staff),
            _ => return Ok(None),
        },
        SessionPrincipal::Patron(id) => {
            match patron_store::patron_by_id(&mut conn, concord_domain::ids::PatronId(id)).await? {
                Some(patron) if patron.status == PatronStatus::Active => Principal::Patron {
                    id: patron.id,
                    home_member: patron.home_member,
                },
                _ => return Ok(None),
            }
        }
    };
    Ok(Some(ActiveSession {
        principal,
        csrf_token: session.csrf_token,
    }))
}

/// How long a verified bearer token is trusted without being looked up again. A revocation made
/// through this process is seen at once (the revoking call forgets the token); a revocation made
/// by another server sharing the database, or an expiry, within this time.
const TOKEN_RECHECK_MS: i64 = 1_000;

/// Above this many remembered tokens, those not verified recently are dropped.
const TOKENS_KEPT: usize = 1_024;

/// Bearer tokens this process verified recently, by the digest of their secret. Only tokens
/// found live are remembered, so unknown secrets cannot fill it.
#[derive(Debug, Default)]
pub struct VerifiedTokens {
    by_digest: Mutex<HashMap<String, VerifiedToken>>,
}

#[derive(Debug, Clone)]
struct VerifiedToken {
    record: ApiTokenRecord,
    verified_at_ms: i64,
}

impl VerifiedTokens {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, VerifiedToken>> {
        self.by_digest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The token's record if it was verified less than [`TOKEN_RECHECK_MS`] before `now_ms` and
    /// has not expired since.
    fn recent(&self, digest: &str, now_ms: i64) -> Option<ApiTokenRecord> {
        let entries = self.entries();
        let entry = entries.get(digest)?;
        let age = now_ms - entry.verified_at_ms;
        let fresh = (0..TOKEN_RECHECK_MS).contains(&age);
        let live = entry
            .record
            .expires_at
            .is_none_or(|at| at > now_ms.div_euclid(1000));
        (fresh && live).then(|| entry.record.clone())
    }

    fn remember(&self, digest: String, record: ApiTokenRecord, now_ms: i64) {
        let mut entries = self.entries();
        if entries.len() >= TOKENS_KEPT {
            entries.retain(|_, entry| now_ms - entry.verified_at_ms < TOKEN_RECHECK_MS);
        }
        entries.insert(
            digest,
            VerifiedToken {
                record,
                verified_at_ms: now_ms,
            },
        );
    }

    fn forget(&self, digest: &str) {
        self.entries().remove(digest);
    }

    fn forget_token(&self, id: ApiTokenId) {
        self.entries().retain(|_, entry| entry.record.id != id);
    }
}

/// The principal behind an integration's bearer token, if it is live.
pub async fn api_token_principal(ctx: &Context, token: &str) -> ServiceResult<Option<Principal>> {
    let now_ms = ctx.clock.now_unix_ms();
    let now = now_ms.div_euclid(1000);
    let digest = secrets::token_digest(token);
    if let Some(record) = ctx.verified_tokens.recent(&digest, now_ms) {
        return Ok(Some(token_principal(record)));
    }
    let record = {
        let mut conn = ctx.store.read().await?;
        store::live_api_token(&mut conn, &digest, now).await?
    };
    let Some(mut record) = record else {
        ctx.verified_tokens.forget(&digest);
        return Ok(None);
    };
    // Record use at most once a minute: a kiosk calling every second should not write every second.
    if record.last_used_at.is_none_or(|t| now - t >= 60) {
        let mut tx = ctx.store.write().await?;
        store::touch_api_token(&mut tx, record.id, now).await?;
        tx.commit().await?;
        record.last_used_at = Some(now);
    }
    ctx.verified_tokens.remember(digest, record.clone(), now_ms);
    Ok(Some(token_principal(record)))
}

fn token_principal(record: ApiTokenRecord) -> Principal {
    Principal::Token {
        id: record.id,
        name: record.name,
        grants: vec![record.grant],
    }
}

/// Turns the text form of a scope (`consortium`, `member:CODE`, `branch:CODE`) into a scope.
pub(crate) async fn resolve_scope(
    conn: &mut AnyConnection,
    field: &str,
    raw: &str,
) -> ServiceResult<Scope> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("consortium") {
        return Ok(Scope::Consortium);
    }
    match raw.split_once(':') {
        Some((kind, code)) if kind.eq_ignore_ascii_case("member") => {
            let member = member_in(conn, code).await?;
            Ok(Scope::Member { member: member.id })
        }
        Some((kind, code)) if kind.eq_ignore_ascii_case("branch") => {
            let branch = branch_in(conn, code).await?;
            Ok(Scope::Branch {
                member: branch.member_id,
                branch: branch.id,
            })
        }
        _ => Err(ServiceError::field(
            field,
            format!("{raw:?} is not a scope (consortium, member:CODE or branch:CODE)"),
        )),
    }
}

/// The text form of a scope, with codes looked up.
pub async fn describe_scope(ctx: &Context, scope: Scope) -> ServiceResult<String> {
    let mut conn = ctx.store.read().await?;
    Ok(match scope {
        Scope::Consortium => "consortium".to_string(),
        Scope::Member { member } => {
            match concord_store::org::member_by_id(&mut conn, member).await? {
                Some(m) => format!("member:{}", m.code),
                None => format!("member:#{member}"),
            }
        }
        Scope::Branch { branch, .. } => {
            match concord_store::org::branch_by_id(&mut conn, branch).await? {
                Some(b) => format!("branch:{}", b.code),
                None => format!("branch:#{branch}"),
            }
        }
    })
}

/// A new staff account as typed.
#[derive(Debug, Clone, Default)]
pub struct StaffInput {
    pub username: String,
    pub display_name: String,
    pub password: String,
    /// `(role, scope)` pairs in text form: `("circulation", "branch:SHIRE-CEN")`.
    pub grants: Vec<(String, String)>,
}

/// What others may see of a staff account (never the hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffSummary {
    pub id: StaffId,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub grants: Vec<Grant>,
}

impl From<&StaffRecord> for StaffSummary {
    fn from(r: &StaffRecord) -> Self {
        StaffSummary {
            id: r.id,
            username: r.username.clone(),
            display_name: r.display_name.clone(),
            disabled: r.disabled,
            grants: r.grants.clone(),
        }
    }
}

fn parse_username(raw: &str) -> Result<String, FieldError> {
    let username = raw.trim().to_lowercase();
    if username.len() < 2 || username.len() > 64 {
        return Err(FieldError::new("username", "must be 2 to 64 characters"));
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        return Err(FieldError::new(
            "username",
            "may contain only letters, digits and . _ - @",
        ));
    }
    Ok(username)
}

/// Passwords: at least 10 characters (NIST SP 800-63B's minimum is 8; staff accounts guard patron data).
pub fn check_password(field: &str, password: &str) -> Result<(), FieldError> {
    if password.chars().count() < 10 {
        return Err(FieldError::new(field, "must be at least 10 characters"));
    }
    if password.len() > 1024 {
        return Err(FieldError::new(field, "must be at most 1024 bytes"));
    }
    Ok(())
}

pub async fn create_staff(
    ctx: &Context,
    who: &Principal,
    input: &StaffInput,
) -> ServiceResult<StaffSummary> {
    let mut errors = Vec::new();
    let username = parse_username(&input.username)
        .map_err(|e| errors.push(e))
        .ok();
    let display_name = parse_name("display_name", &input.display_name)
        .map_err(|e| errors.push(e))
        .ok();
    if let Err(e) = check_password("password", &input.password) {
        errors.push(e);
    }
    if input.grants.is_empty() {
        errors.push(FieldError::new(
            "grants",
            "give the account at least one role",
        ));
    }
    let mut tx = ctx.store.write().await?;
    let mut grants = Vec::new();
    for (index, (role, scope)) in input.grants.iter().enumerate() {
        let role = Role::parse(&format!("grants[{index}].role"), role)
            .map_err(|e| errors.push(e))
            .ok();
        let scope = match resolve_scope(&mut tx, &format!("grants[{index}].scope"), scope).await {
            Ok(scope) => Some(scope),
            Err(e) if e.code == concord_domain::ErrorCode::InvalidInput => {
                errors.extend(e.fields);
                None
            }
            Err(e) => {
                errors.push(FieldError::new(format!("grants[{index}].scope"), e.message));
                None
            }
        };
        if let (Some(role), Some(scope)) = (role, scope) {
            grants.push(Grant { role, scope });
        }
    }
    let (Some(username), Some(display_name)) = (username, display_name) else {
        return Err(ServiceError::invalid(errors));
    };
    if !errors.is_empty() {
        return Err(ServiceError::invalid(errors));
    }
    for grant in &grants {
        may_grant(who, *grant)?;
    }
    let hash = secrets::hash_password(&input.password)?;
    let id = StaffId(ctx.new_id());
    store::insert_staff(
        &mut tx,
        id,
        &username,
        &display_name,
        &hash,
        &grants,
        ctx.now(),
    )
    .await?;
    let summary = StaffSummary {
        id,
        username,
        display_name,
        disabled: false,
        grants,
    };
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "staff.create",
            entity_kind: "staff",
            entity_id: summary.username.clone(),
            member: summary.grants.iter().find_map(|g| g.scope.member()),
            before: None,
            after: Some(&summary),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

/// Staff accounts the principal may manage: all for consortium admins, else those whose every
/// grant lies within the principal's scopes.
pub async fn list_staff(ctx: &Context, who: &Principal) -> ServiceResult<Vec<StaffSummary>> {
    authorise(who, Action::ReadOrganisation)?;
    let mut conn = ctx.store.read().await?;
    let all = store::list_staff(&mut conn).await?;
    Ok(all
        .iter()
        .filter(|staff| {
            !staff.grants.is_empty()
                && staff
                    .grants
                    .iter()
                    .all(|g| authorise(who, Action::ManageStaff { scope: g.scope }).is_ok())
        })
        .map(StaffSummary::from)
        .collect())
}

async fn managed_staff(
    tx: &mut AnyConnection,
    who: &Principal,
    username: &str,
) -> ServiceResult<StaffRecord> {
    let staff = store::staff_by_username(tx, &username.trim().to_lowercase())
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("staff account {username}")))?;
    for grant in &staff.grants {
        authorise(who, Action::ManageStaff { scope: grant.scope })?;
    }
    if staff.grants.is_empty() {
        authorise(
            who,
            Action::ManageStaff {
                scope: Scope::Consortium,
            },
        )?;
    }
    Ok(staff)
}

/// Sets a new password and ends the account's sessions.
pub async fn set_staff_password(
    ctx: &Context,
    who: &Principal,
    username: &str,
    password: &str,
) -> ServiceResult<()> {
    check_password("password", password)?;
    let mut tx = ctx.store.write().await?;
    let staff = managed_staff(&mut tx, who, username).await?;
    store::set_staff_password(
        &mut tx,
        staff.id,
        &secrets::hash_password(password)?,
        ctx.now(),
    )
    .await?;
    store::delete_sessions_of(&mut tx, SessionPrincipal::Staff(staff.id.0)).await?;
    let summary = StaffSummary::from(&staff);
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "staff.password",
            entity_kind: "staff",
            entity_id: staff.username.clone(),
            member: staff.grants.iter().find_map(|g| g.scope.member()),
            before: None,
            after: Some(&summary),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Disables or re-enables an account; disabling ends its sessions at once.
pub async fn set_staff_disabled(
    ctx: &Context,
    who: &Principal,
    username: &str,
    disabled: bool,
) -> ServiceResult<StaffSummary> {
    let mut tx = ctx.store.write().await?;
    let staff = managed_staff(&mut tx, who, username).await?;
    store::set_staff_disabled(&mut tx, staff.id, disabled, ctx.now()).await?;
    if disabled {
        store::delete_sessions_of(&mut tx, SessionPrincipal::Staff(staff.id.0)).await?;
    }
    let before = StaffSummary::from(&staff);
    let after = StaffSummary {
        disabled,
        ..before.clone()
    };
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: if disabled {
                "staff.disable"
            } else {
                "staff.enable"
            },
            entity_kind: "staff",
            entity_id: staff.username.clone(),
            member: staff.grants.iter().find_map(|g| g.scope.member()),
            before: Some(&before),
            after: Some(&after),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// A token just issued: the secret is shown once and never stored.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub record: ApiTokenRecord,
    pub secret: String,
}

#[derive(Serialize)]
struct TokenAudit<'a> {
    name: &'a str,
    grant: Grant,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
}

/// Issues an API token for an integration (a kiosk, a discovery layer), with one role in one scope.
pub async fn create_api_token(
    ctx: &Context,
    who: &Principal,
    name: &str,
    role: &str,
    scope: &str,
    valid_days: Option<i64>,
) -> ServiceResult<IssuedToken> {
    let name = parse_name("name", name)?;
    let role = Role::parse("role", role)?;
    if let Some(days) = valid_days
        && !(1..=3650).contains(&days)
    {
        return Err(ServiceError::field(
            "valid_days",
            "must be between 1 and 3650",
        ));
    }
    let mut tx = ctx.store.write().await?;
    let scope = resolve_scope(&mut tx, "scope", scope).await?;
    let grant = Grant { role, scope };
    authorise(who, Action::ManageTokens { scope })?;
    may_grant(who, grant)?;
    let secret = secrets::random_token();
    let now = ctx.now();
    let expires_at = valid_days.map(|d| now + d * 86_400);
    let record = store::insert_api_token(
        &mut tx,
        ApiTokenId(ctx.new_id()),
        &name,
        &secrets::token_digest(&secret),
        grant,
        &who.label(),
        now,
        expires_at,
    )
    .await?;
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "api_token.create",
            entity_kind: "api_token",
            entity_id: record.id.to_string(),
            member: scope.member(),
            before: None,
            after: Some(&TokenAudit {
                name: &record.name,
                grant,
                expires_at,
                revoked_at: None,
            }),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedToken { record, secret })
}

pub async fn revoke_api_token(
    ctx: &Context,
    who: &Principal,
    id: ApiTokenId,
) -> ServiceResult<ApiTokenRecord> {
    let mut tx = ctx.store.write().await?;
    let record = store::api_token_by_id(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("API token {id}")))?;
    authorise(
        who,
        Action::ManageTokens {
            scope: record.grant.scope,
        },
    )?;
    let now = ctx.now();
    if !store::revoke_api_token(&mut tx, id, now).await? {
        return Err(ServiceError::new(
            ErrorCode::Conflict,
            format!("API token {id} was already revoked"),
        ));
    }
    audit(
        ctx,
        &mut tx,
        who,
        Change {
            action: "api_token.revoke",
            entity_kind: "api_token",
            entity_id: id.to_string(),
            member: record.grant.scope.member(),
            before: Some(&TokenAudit {
                name: &record.name,
                grant: record.grant,
                expires_at: record.expires_at,
                revoked_at: None,
            }),
            after: Some(&TokenAudit {
                name: &record.name,
                grant: record.grant,
                expires_at: record.expires_at,
                revoked_at: Some(now),
            }),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    ctx.verified_tokens.forget_token(id);
    Ok(ApiTokenRecord {
        revoked_at: Some(now),
        ..record
    })
}

/// Tokens in scopes the principal manages, newest first.
pub async fn list_api_tokens(ctx: &Context, who: &Principal) -> ServiceResult<Vec<ApiTokenRecord>> {
    let mut conn = ctx.store.read().await?;
    let all = store::list_api_tokens(&mut conn).await?;
    Ok(all
        .into_iter()
        .filter(|t| {
            authorise(
                who,
                Action::ManageTokens {
                    scope: t.grant.scope,
                },
            )
            .is_ok()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use concord_domain::auth::{Grant, Role, Scope};

    use super::*;

    fn record(id: i64, expires_at: Option<i64>) -> ApiTokenRecord {
        ApiTokenRecord {
            id: ApiTokenId(id),
            name: format!("token {id}"),
            grant: Grant {
                role: Role::Circulation,
                scope: Scope::Consortium,
            },
            created_by: "operator".into(),
            created_at: 0,
            expires_at,
            revoked_at: None,
            last_used_at: None,
        }
    }

    const AT: i64 = 1_795_000_000_000;

    #[test]
    fn a_verified_token_is_trusted_only_for_the_recheck_time() {
        let tokens = VerifiedTokens::default();
        assert_eq!(tokens.recent("d1", AT), None);
        tokens.remember("d1".into(), record(1, None), AT);
        assert_eq!(tokens.recent("d1", AT), Some(record(1, None)));
        assert_eq!(
            tokens.recent("d1", AT + TOKEN_RECHECK_MS - 1),
            Some(record(1, None))
        );
        assert_eq!(tokens.recent("d1", AT + TOKEN_RECHECK_MS), None);
        // A clock that went back does not extend the trust either.
        assert_eq!(tokens.recent("d1", AT - 1), None);
        assert_eq!(tokens.recent("d2", AT), None);
    }

    #[test]
    fn an_expired_or_revoked_token_is_not_served_from_memory() {
        let tokens = VerifiedTokens::default();
        let expires = AT / 1000;
        tokens.remember("d1".into(), record(1, Some(expires)), AT - 500);
        assert_eq!(tokens.recent("d1", AT - 1), Some(record(1, Some(expires))));
        assert_eq!(tokens.recent("d1", AT), None, "expired at {expires}");

        tokens.remember("d2".into(), record(2, None), AT);
        tokens.remember("d3".into(), record(3, None), AT);
        tokens.forget_token(ApiTokenId(2));
        assert_eq!(tokens.recent("d2", AT), None);
        assert_eq!(tokens.recent("d3", AT), Some(record(3, None)));
        tokens.forget("d3");
        assert_eq!(tokens.recent("d3", AT), None);
    }

    #[test]
    fn many_tokens_drop_those_not_verified_lately() {
        let tokens = VerifiedTokens::default();
        for n in 0..TOKENS_KEPT {
            tokens.remember(format!("old{n}"), record(n as i64, None), AT);
        }
        let later = AT + TOKEN_RECHECK_MS;
        tokens.remember("new".into(), record(-1, None), later);
        assert_eq!(tokens.entries().len(), 1);
        assert_eq!(tokens.recent("new", later), Some(record(-1, None)));
    }
}
