//! Who may do what: staff roles with scopes, patrons, integration tokens, and the one decision
//! function every transport asks before it acts.
//!
//! **Invariant:** a principal acts only inside its scope. Member A's staff never read or change
//! member B's patrons; a patron sees only their own account. Refusals carry a reason a person can act on.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::FieldError;
use crate::ids::{ApiTokenId, BranchId, MemberId, PatronId, StaffId};

/// What a staff account (or an integration token) is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the consortium: members, branches, policies, every account.
    ConsortiumAdmin,
    /// Runs one member: its branding, branches, staff and patrons.
    MemberAdmin,
    /// Works the circulation desk: patrons, loans, holds.
    Circulation,
    /// Maintains the catalogue and the member's items.
    Cataloguing,
    /// Looks, changes nothing.
    ReadOnly,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::ConsortiumAdmin,
        Role::MemberAdmin,
        Role::Circulation,
        Role::Cataloguing,
        Role::ReadOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ConsortiumAdmin => "consortium_admin",
            Role::MemberAdmin => "member_admin",
            Role::Circulation => "circulation",
            Role::Cataloguing => "cataloguing",
            Role::ReadOnly => "read_only",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Role, FieldError> {
        let wanted = raw.trim().to_ascii_lowercase().replace('-', "_");
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    format!(
                        "{raw:?} is not a role (consortium_admin, member_admin, circulation, cataloguing or read_only)"
                    ),
                )
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a role applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    Consortium,
    Member { member: MemberId },
    Branch { member: MemberId, branch: BranchId },
}

impl Scope {
    /// The member this scope is confined to, if any.
    pub fn member(self) -> Option<MemberId> {
        match self {
            Scope::Consortium => None,
            Scope::Member { member } | Scope::Branch { member, .. } => Some(member),
        }
    }

    /// Whether this scope lies within `outer` (a member scope lies within the consortium, a branch
    /// within its member).
    pub fn within(self, outer: Scope) -> bool {
        match (outer, self) {
            (Scope::Consortium, _) => true,
            (Scope::Member { member }, inner) => inner.member() == Some(member),
            (Scope::Branch { branch, .. }, Scope::Branch { branch: b, .. }) => branch == b,
            (Scope::Branch { .. }, _) => false,
        }
    }
}

/// One role in one scope. An account may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub scope: Scope,
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Principal {
    Staff {
        id: StaffId,
        username: String,
        grants: Vec<Grant>,
    },
    Token {
        id: ApiTokenId,
        name: String,
        grants: Vec<Grant>,
    },
    Patron {
        id: PatronId,
        home_member: MemberId,
    },
    /// The command line on the server's own machine: whoever can read the data directory owns it.
    Operator,
}

impl Principal {
    /// How the audit log names this principal.
    pub fn label(&self) -> String {
        match self {
            Principal::Staff { username, .. } => format!("staff:{username}"),
            Principal::Token { name, .. } => format!("token:{name}"),
            Principal::Patron { id, .. } => format!("patron:{id}"),
            Principal::Operator => "operator".to_string(),
        }
    }

    pub fn grants(&self) -> &[Grant] {
        match self {
            Principal::Staff { grants, .. } | Principal::Token { grants, .. } => grants,
            Principal::Patron { .. } | Principal::Operator => &[],
        }
    }

    pub fn is_staff(&self) -> bool {
        matches!(
            self,
            Principal::Staff { .. } | Principal::Token { .. } | Principal::Operator
        )
    }
}

/// Something a principal wants to do, with the facts the decision needs about its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See members, branches and staff-only lists of the organisation.
    ReadOrganisation,
    /// Create or remove members; load a whole consortium file.
    ManageConsortium,
    /// Change a member's details and branding.
    ManageMember { member: MemberId },
    /// Create or change a branch of a member.
    ManageBranch {
        member: MemberId,
        branch: Option<BranchId>,
    },
    /// See a patron's record.
    ReadPatron {
        home_member: MemberId,
        patron: PatronId,
    },
    /// Register or change a patron.
    WritePatron { home_member: MemberId },
    /// Create or change staff accounts confined to a scope.
    ManageStaff { scope: Scope },
    /// Browse the audit log of a member (or, with `None`, of the whole consortium).
    ReadAudit { member: Option<MemberId> },
    /// Issue or revoke integration tokens confined to a scope.
    ManageTokens { scope: Scope },
    /// Change a shared bib (MARC editor, merges, loading records): the cataloguing role.
    EditBib,
    /// Add, change or withdraw a member's items.
    ManageItems { member: MemberId },
    /// Change a patron's contact details, notice and privacy choices: the patron themselves, or
    /// staff who may write the patron.
    WritePatronPreferences {
        home_member: MemberId,
        patron: PatronId,
    },
    /// Create, change or delete circulation rules of a member (`None`: the consortium's defaults).
    ManagePolicies { member: Option<MemberId> },
    /// Check out, check in and renew at a desk of `branch` (of `member`), for any patron of the
    /// consortium: the desk's member decides who works its desks.
    Circulate { member: MemberId, branch: BranchId },
    /// Lend or renew despite an overridable block, with a reason, at a desk of `branch`.
    OverrideBlock { member: MemberId, branch: BranchId },
    /// Charge, take payments, waive and refund on the ledger of a patron of `home_member`.
    ManageFines { home_member: MemberId },
    /// A patron renewing one of their own loans from their account.
    RenewOwnLoan { patron: PatronId },
}

/// Why a principal may not do something: a stable reason code and words for the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub reason: RefusalReason,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// No role of this principal allows this kind of action at all.
    RoleLacksPermission,
    /// A role allows it, but not for this member or branch.
    OutsideScope,
    /// A patron asked for something that is not theirs.
    NotYourAccount,
}

fn role_allows(role: Role, action: &Action) -> bool {
    use Action::*;
    match role {
        Role::ConsortiumAdmin => true,
        Role::MemberAdmin => matches!(
            action,
            ReadOrganisation
                | ManageMember { .. }
                | ManageBranch { .. }
                | ReadPatron { .. }
                | WritePatron { .. }
                | WritePatronPreferences { .. }
                | ManageStaff { .. }
                | ReadAudit { member: Some(_) }
                | ManageTokens { .. }
                | ManageItems { .. }
                | ManagePolicies { .. }
                | Circulate { .. }
                | OverrideBlock { .. }
                | ManageFines { .. }
        ),
        Role::Circulation => matches!(
            action,
            ReadOrganisation
                | ReadPatron { .. }
                | WritePatron { .. }
                | WritePatronPreferences { .. }
                | Circulate { .. }
                | OverrideBlock { .. }
                | ManageFines { .. }
        ),
        Role::Cataloguing => matches!(action, ReadOrganisation | EditBib | ManageItems { .. }),
        Role::ReadOnly => matches!(action, ReadOrganisation | ReadPatron { .. }),
    }
}

fn scope_covers(scope: Scope, action: &Action) -> bool {
    use Action::*;
    match (scope, action) {
        (Scope::Consortium, _) => true,
        (_, ReadOrganisation) => true,
        (_, ManageConsortium) => false,
        (_, ReadAudit { member: None }) => false,
        (Scope::Member { member }, ManageMember { member: m }) => member == *m,
        (Scope::Branch { .. }, ManageMember { .. }) => false,
        (Scope::Member { member }, ManageBranch { member: m, .. }) => member == *m,
        (Scope::Branch { branch, .. }, ManageBranch { branch: b, .. }) => Some(branch) == *b,
        // Branch staff serve every patron of their member, whichever branch is home.
        (s, ReadPatron { home_member, .. })
        | (s, WritePatron { home_member })
        | (s, WritePatronPreferences { home_member, .. }) => s.member() == Some(*home_member),
        // A member's rules belong to the member as a whole, not to one branch's staff.
        (Scope::Member { member }, ManagePolicies { member: Some(m) }) => member == *m,
        (_, ManagePolicies { .. }) => false,
        (
            Scope::Member { member },
            Circulate { member: m, .. } | OverrideBlock { member: m, .. },
        ) => member == *m,
        (
            Scope::Branch { branch, .. },
            Circulate { branch: b, .. } | OverrideBlock { branch: b, .. },
        ) => branch == *b,
        (s, ManageFines { home_member }) => s.member() == Some(*home_member),
        // Only the patron renews their own loans this way; staff renew at a desk (`Circulate`).
        (_, RenewOwnLoan { .. }) => false,
        (s, ReadAudit { member: Some(m) }) => s.member() == Some(*m),
        (s, ManageStaff { scope: target }) | (s, ManageTokens { scope: target }) => {
            target.within(s)
        }
        // Bibs are shared: a cataloguer anywhere in the consortium maintains them.
        (_, EditBib) => true,
        (s, ManageItems { member }) => s.member() == Some(*member),
    }
}

/// The decision every transport asks for before acting.
pub fn authorise(principal: &Principal, action: Action) -> Result<(), Refusal> {
    match principal {
        Principal::Operator => Ok(()),
        Principal::Patron { id, .. } => match action {
            Action::ReadPatron { patron, .. } if patron == *id => Ok(()),
            Action::WritePatronPreferences { patron, .. } if patron == *id => Ok(()),
            Action::RenewOwnLoan { patron } if patron == *id => Ok(()),
            Action::ReadOrganisation => Ok(()),
            Action::ReadPatron { .. }
            | Action::WritePatronPreferences { .. }
            | Action::RenewOwnLoan { .. } => Err(Refusal {
                reason: RefusalReason::NotYourAccount,
                message: "You can only see your own account.".to_string(),
            }),
            _ => Err(Refusal {
                reason: RefusalReason::RoleLacksPermission,
                message: "This needs a staff account.".to_string(),
            }),
        },
        Principal::Staff { grants, .. } | Principal::Token { grants, .. } => {
            let mut some_role_allows = false;
            for grant in grants {
                if role_allows(grant.role, &action) {
                    some_role_allows = true;
                    if scope_covers(grant.scope, &action) {
                        return Ok(());
                    }
                }
            }
            if some_role_allows {
                Err(Refusal {
                    reason: RefusalReason::OutsideScope,
                    message: outside_scope_message(&action),
                })
            } else {
                Err(Refusal {
                    reason: RefusalReason::RoleLacksPermission,
                    message:
                        "Your role does not allow this. Ask an administrator for the permission."
                            .to_string(),
                })
            }
        }
    }
}

fn outside_scope_message(action: &Action) -> String {
    match action {
        Action::ReadPatron { .. }
        | Action::WritePatron { .. }
        | Action::WritePatronPreferences { .. } => {
            "This patron belongs to another member library; your account covers only its own member's patrons."
                .to_string()
        }
        Action::ManageMember { .. } | Action::ManageBranch { .. } => {
            "This belongs to another member library or branch than the one your account manages.".to_string()
        }
        Action::ReadAudit { member: None } => {
            "Only consortium-wide accounts can see the whole consortium's audit log; choose your member."
                .to_string()
        }
        Action::ManageStaff { .. } | Action::ManageTokens { .. } => {
            "You can only give out access within the scope your own account has.".to_string()
        }
        Action::ManageItems { .. } => {
            "These items belong to another member library; your account manages only its own member's items."
                .to_string()
        }
        Action::ManagePolicies { member: Some(_) } => {
            "These circulation rules belong to another member library; your account manages only its own member's rules."
                .to_string()
        }
        Action::ManagePolicies { member: None } => {
            "The consortium's default circulation rules need a consortium administrator.".to_string()
        }
        Action::Circulate { .. } | Action::OverrideBlock { .. } => {
            "This desk belongs to another member library or branch than the one your account works for."
                .to_string()
        }
        Action::ManageFines { .. } => {
            "This patron's fines are kept by another member library; your account covers only its own member's patrons."
                .to_string()
        }
        Action::RenewOwnLoan { .. } => "Staff renew loans at a circulation desk.".to_string(),
        Action::ManageConsortium
        | Action::ReadOrganisation
        | Action::ReadAudit { .. }
        | Action::EditBib => {
            "This needs an account scoped to the whole consortium.".to_string()
        }
    }
}

/// Whether `principal` may hand out `grant` (to a new staff account or a token): it must be allowed
/// to manage staff in the grant's scope, and may not give a role above its own there.
pub fn may_grant(principal: &Principal, grant: Grant) -> Result<(), Refusal> {
    authorise(principal, Action::ManageStaff { scope: grant.scope })?;
    if matches!(principal, Principal::Operator) {
        return Ok(());
    }
    let consortium_role = grant.role == Role::ConsortiumAdmin;
    let holds_consortium_admin = principal
        .grants()
        .iter()
        .any(|g| g.role == Role::ConsortiumAdmin && g.scope == Scope::Consortium);
    if (consortium_role || grant.scope == Scope::Consortium) && !holds_consortium_admin {
        return Err(Refusal {
            reason: RefusalReason::OutsideScope,
            message: "Only a consortium administrator can give consortium-wide access.".to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: MemberId = MemberId(1);
    const B: MemberId = MemberId(2);
    const A_BRANCH: BranchId = BranchId(11);
    const A_OTHER_BRANCH: BranchId = BranchId(12);

    fn staff(role: Role, scope: Scope) -> Principal {
        Principal::Staff {
            id: StaffId(100),
            username: "s".into(),
            grants: vec![Grant { role, scope }],
        }
    }

    fn check(principal: &Principal, action: Action, expected: Result<(), RefusalReason>) {
        let got = authorise(principal, action).map_err(|r| r.reason);
        assert_eq!(got, expected, "{principal:?} doing {action:?}");
    }

    #[test]
    fn circulation_and_overrides_follow_the_desks_member_and_branch() {
        use RefusalReason::*;
        let member_a = Scope::Member { member: A };
        let branch_a = Scope::Branch {
            member: A,
            branch: A_BRANCH,
        };
        let desk = |member, branch| Action::Circulate { member, branch };
        let override_at = |member, branch| Action::OverrideBlock { member, branch };
        for role in [Role::MemberAdmin, Role::Circulation] {
            check(&staff(role, member_a), desk(A, A_BRANCH), Ok(()));
            check(&staff(role, member_a), desk(A, A_OTHER_BRANCH), Ok(()));
            check(
                &staff(role, member_a),
                desk(B, BranchId(21)),
                Err(OutsideScope),
            );
            check(&staff(role, branch_a), desk(A, A_BRANCH), Ok(()));
            check(
                &staff(role, branch_a),
                desk(A, A_OTHER_BRANCH),
                Err(OutsideScope),
            );
            check(&staff(role, member_a), override_at(A, A_BRANCH), Ok(()));
            check(
                &staff(role, branch_a),
                override_at(A, A_OTHER_BRANCH),
                Err(OutsideScope),
            );
            check(
                &staff(role, member_a),
                override_at(B, BranchId(21)),
                Err(OutsideScope),
            );
            check(
                &staff(role, branch_a),
                Action::ManageFines { home_member: A },
                Ok(()),
            );
            check(
                &staff(role, member_a),
                Action::ManageFines { home_member: B },
                Err(OutsideScope),
            );
        }
        for role in [Role::ReadOnly, Role::Cataloguing] {
            check(
                &staff(role, member_a),
                desk(A, A_BRANCH),
                Err(RoleLacksPermission),
            );
            check(
                &staff(role, member_a),
                override_at(A, A_BRANCH),
                Err(RoleLacksPermission),
            );
            check(
                &staff(role, member_a),
                Action::ManageFines { home_member: A },
                Err(RoleLacksPermission),
            );
        }
        check(
            &staff(Role::ConsortiumAdmin, Scope::Consortium),
            override_at(B, BranchId(21)),
            Ok(()),
        );
        let patron = Principal::Patron {
            id: PatronId(5),
            home_member: A,
        };
        check(
            &patron,
            Action::RenewOwnLoan {
                patron: PatronId(5),
            },
            Ok(()),
        );
        check(
            &patron,
            Action::RenewOwnLoan {
                patron: PatronId(6),
            },
            Err(NotYourAccount),
        );
        check(&patron, desk(A, A_BRANCH), Err(RoleLacksPermission));
        check(
            &staff(Role::Circulation, member_a),
            Action::RenewOwnLoan {
                patron: PatronId(5),
            },
            Err(RoleLacksPermission),
        );
    }

    #[test]
    fn member_staff_stay_inside_their_member() {
        use RefusalReason::*;
        let member_a = Scope::Member { member: A };
        let branch_a = Scope::Branch {
            member: A,
            branch: A_BRANCH,
        };
        let patron_of = |m| Action::ReadPatron {
            home_member: m,
            patron: PatronId(5),
        };

        for role in [Role::MemberAdmin, Role::Circulation, Role::ReadOnly] {
            check(&staff(role, member_a), patron_of(A), Ok(()));
            check(&staff(role, member_a), patron_of(B), Err(OutsideScope));
            check(&staff(role, branch_a), patron_of(A), Ok(()));
            check(&staff(role, branch_a), patron_of(B), Err(OutsideScope));
        }
        check(
            &staff(Role::Circulation, member_a),
            Action::WritePatron { home_member: A },
            Ok(()),
        );
        check(
            &staff(Role::Circulation, member_a),
            Action::WritePatron { home_member: B },
            Err(OutsideScope),
        );
        check(
            &staff(Role::ReadOnly, member_a),
            Action::WritePatron { home_member: A },
            Err(RoleLacksPermission),
        );
        check(
            &staff(Role::Cataloguing, member_a),
            patron_of(A),
            Err(RoleLacksPermission),
        );
        check(
            &staff(Role::ConsortiumAdmin, Scope::Consortium),
            patron_of(B),
            Ok(()),
        );
    }

    #[test]
    fn organisation_management_follows_scope() {
        use RefusalReason::*;
        let member_a = Scope::Member { member: A };
        let branch_a = Scope::Branch {
            member: A,
            branch: A_BRANCH,
        };
        check(
            &staff(Role::MemberAdmin, member_a),
            Action::ManageMember { member: A },
            Ok(()),
        );
        check(
            &staff(Role::MemberAdmin, member_a),
            Action::ManageMember { member: B },
            Err(OutsideScope),
        );
        check(
            &staff(Role::MemberAdmin, member_a),
            Action::ManageConsortium,
            Err(RoleLacksPermission),
        );
        check(
            &staff(Role::ConsortiumAdmin, member_a),
            Action::ManageConsortium,
            Err(OutsideScope),
        );
        check(
            &staff(Role::ConsortiumAdmin, Scope::Consortium),
            Action::ManageConsortium,
            Ok(()),
        );
        check(
            &staff(Role::MemberAdmin, branch_a),
            Action::ManageBranch {
                member: A,
                branch: Some(A_BRANCH),
            },
            Ok(()),
        );
        check(
            &staff(Role::MemberAdmin, branch_a),
            Action::ManageBranch {
                member: A,
                branch: Some(A_OTHER_BRANCH),
            },
            Err(OutsideScope),
        );
        check(
            &staff(Role::MemberAdmin, branch_a),
            Action::ManageBranch {
                member: A,
                branch: None,
            },
            Err(OutsideScope),
        );
        check(
            &staff(Role::MemberAdmin, member_a),
            Action::ReadAudit { member: Some(A) },
            Ok(()),
        );
        check(
            &staff(Role::MemberAdmin, member_a),
            Action::ReadAudit { member: None },
            Err(RoleLacksPermission),
        );
        check(
            &staff(Role::Circulation, member_a),
            Action::ReadOrganisation,
            Ok(()),
        );
    }

    #[test]
    fn patrons_see_only_themselves() {
        let maria = Principal::Patron {
            id: PatronId(7),
            home_member: A,
        };
        check(
            &maria,
            Action::ReadPatron {
                home_member: A,
                patron: PatronId(7),
            },
            Ok(()),
        );
        check(
            &maria,
            Action::ReadPatron {
                home_member: A,
                patron: PatronId(8),
            },
            Err(RefusalReason::NotYourAccount),
        );
        check(
            &maria,
            Action::WritePatron { home_member: A },
            Err(RefusalReason::RoleLacksPermission),
        );
        check(
            &maria,
            Action::ReadAudit { member: Some(A) },
            Err(RefusalReason::RoleLacksPermission),
        );
    }

    #[test]
    fn policies_belong_to_members_and_defaults_to_the_consortium() {
        use RefusalReason::*;
        let member_a = Scope::Member { member: A };
        let branch_a = Scope::Branch {
            member: A,
            branch: A_BRANCH,
        };
        let rules_of = |member| Action::ManagePolicies { member };
        for (principal, action, expected) in [
            (
                staff(Role::MemberAdmin, member_a),
                rules_of(Some(A)),
                Ok(()),
            ),
            (
                staff(Role::MemberAdmin, member_a),
                rules_of(Some(B)),
                Err(OutsideScope),
            ),
            (
                staff(Role::MemberAdmin, member_a),
                rules_of(None),
                Err(OutsideScope),
            ),
            (
                staff(Role::MemberAdmin, branch_a),
                rules_of(Some(A)),
                Err(OutsideScope),
            ),
            (
                staff(Role::Circulation, member_a),
                rules_of(Some(A)),
                Err(RoleLacksPermission),
            ),
            (
                staff(Role::ConsortiumAdmin, Scope::Consortium),
                rules_of(None),
                Ok(()),
            ),
            (
                staff(Role::ConsortiumAdmin, Scope::Consortium),
                rules_of(Some(B)),
                Ok(()),
            ),
            (
                staff(Role::ConsortiumAdmin, member_a),
                rules_of(None),
                Err(OutsideScope),
            ),
        ] {
            check(&principal, action, expected);
        }
    }

    #[test]
    fn patrons_change_only_their_own_preferences() {
        let maria = Principal::Patron {
            id: PatronId(7),
            home_member: A,
        };
        let preferences_of = |patron| Action::WritePatronPreferences {
            home_member: A,
            patron: PatronId(patron),
        };
        check(&maria, preferences_of(7), Ok(()));
        check(
            &maria,
            preferences_of(8),
            Err(RefusalReason::NotYourAccount),
        );
        check(
            &staff(Role::Circulation, Scope::Member { member: A }),
            preferences_of(8),
            Ok(()),
        );
        check(
            &staff(Role::Circulation, Scope::Member { member: B }),
            preferences_of(8),
            Err(RefusalReason::OutsideScope),
        );
    }

    #[test]
    fn grants_never_exceed_the_granter() {
        let member_admin = staff(Role::MemberAdmin, Scope::Member { member: A });
        let ok = Grant {
            role: Role::Circulation,
            scope: Scope::Branch {
                member: A,
                branch: A_BRANCH,
            },
        };
        assert!(may_grant(&member_admin, ok).is_ok());
        let other_member = Grant {
            role: Role::Circulation,
            scope: Scope::Member { member: B },
        };
        assert!(may_grant(&member_admin, other_member).is_err());
        let escalate = Grant {
            role: Role::ConsortiumAdmin,
            scope: Scope::Member { member: A },
        };
        assert!(may_grant(&member_admin, escalate).is_err());
        let consortium = staff(Role::ConsortiumAdmin, Scope::Consortium);
        assert!(
            may_grant(
                &consortium,
                Grant {
                    role: Role::ConsortiumAdmin,
                    scope: Scope::Consortium
                }
            )
            .is_ok()
        );
        assert!(may_grant(&staff(Role::Circulation, Scope::Consortium), ok).is_err());
    }

    #[test]
    fn cataloguers_edit_shared_bibs_and_only_their_own_members_items() {
        use RefusalReason::*;
        let member_a = Scope::Member { member: A };
        let branch_a = Scope::Branch {
            member: A,
            branch: A_BRANCH,
        };
        let cases = [
            (Role::Cataloguing, member_a, Action::EditBib, Ok(())),
            (Role::Cataloguing, branch_a, Action::EditBib, Ok(())),
            (
                Role::Cataloguing,
                member_a,
                Action::ManageItems { member: A },
                Ok(()),
            ),
            (
                Role::Cataloguing,
                branch_a,
                Action::ManageItems { member: A },
                Ok(()),
            ),
            (
                Role::Cataloguing,
                member_a,
                Action::ManageItems { member: B },
                Err(OutsideScope),
            ),
            (
                Role::MemberAdmin,
                member_a,
                Action::ManageItems { member: A },
                Ok(()),
            ),
            (
                Role::MemberAdmin,
                member_a,
                Action::EditBib,
                Err(RoleLacksPermission),
            ),
            (
                Role::Circulation,
                member_a,
                Action::EditBib,
                Err(RoleLacksPermission),
            ),
            (
                Role::Circulation,
                member_a,
                Action::ManageItems { member: A },
                Err(RoleLacksPermission),
            ),
            (
                Role::ReadOnly,
                Scope::Consortium,
                Action::EditBib,
                Err(RoleLacksPermission),
            ),
            (
                Role::ConsortiumAdmin,
                Scope::Consortium,
                Action::EditBib,
                Ok(()),
            ),
            (
                Role::ConsortiumAdmin,
                Scope::Consortium,
                Action::ManageItems { member: B },
                Ok(()),
            ),
        ];
        for (role, scope, action, expected) in cases {
            check(&staff(role, scope), action, expected);
        }
    }

    #[test]
    fn scopes_nest() {
        let member_a = Scope::Member { member: A };
        let branch_a = Scope::Branch {
            member: A,
            branch: A_BRANCH,
        };
        assert!(branch_a.within(member_a));
        assert!(member_a.within(Scope::Consortium));
        assert!(!member_a.within(branch_a));
        assert!(!Scope::Member { member: B }.within(member_a));
        assert!(!Scope::Consortium.within(member_a));
    }
}
