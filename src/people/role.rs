//! The role table: what each kind of person at a station may do. One table, read by the dashboard's
//! routes and the command line alike, and printed into docs/SECURITY.md (a test keeps them equal).
//!
//! Drawn from the regulations (../shared/regulations): officers record and dock but never see,
//! change or delete what they recorded on their own say; viewing and copying need the head of
//! the unit's approval (an approver, who is never the person asking); the equipment manager keeps
//! the cameras; the auditor reads the register; the admin keeps the accounts and sees no evidence.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Officer,
    EquipmentManager,
    Auditor,
    Approver,
    Admin,
    /// The inspection section (or the unit head, given this role too): spot checks.
    Reviewer,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Officer,
        Role::EquipmentManager,
        Role::Auditor,
        Role::Approver,
        Role::Admin,
        Role::Reviewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::EquipmentManager => "equipment-manager",
            Role::Auditor => "auditor",
            Role::Approver => "approver",
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

/// Something a person does at the station. Acts on evidence itself (view, copy, export, purge)
/// also need an approval by someone else (`people::approvals`); the table says who may ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Act {
    /// The dock tiles: which slot is copying, which camera is safe to take. No evidence.
    SeeDocks,
    /// Cameras, holders, overdue, health.
    SeeFleet,
    /// Clip metadata, custody trails, cases, the audit summary.
    SeeClips,
    /// The access register.
    SeeRegister,
    /// Station metrics (counts, backlog; no evidence).
    SeeMetrics,
    AssignCamera,
    /// See to why a camera needs attention, with a note.
    AcknowledgeAttention,
    TagClip,
    PlaceHold,
    ReleaseHold,
    /// Ask to view, copy, export or purge evidence.
    RequestAccess,
    /// Approve or refuse someone else's request.
    DecideAccess,
    ManageAccounts,
    /// Draw a spot check and record findings (002 Art. 18).
    Review,
    /// Give the written reason for a gap between recordings: an officer for their own, an
    /// equipment manager on the officer's word (003 Art. 12).
    ExplainGap,
}

impl Act {
    pub const ALL: [Act; 15] = [
        Act::SeeDocks,
        Act::SeeFleet,
        Act::SeeClips,
        Act::SeeRegister,
        Act::SeeMetrics,
        Act::AssignCamera,
        Act::AcknowledgeAttention,
        Act::TagClip,
        Act::PlaceHold,
        Act::ReleaseHold,
        Act::RequestAccess,
        Act::DecideAccess,
        Act::ManageAccounts,
        Act::Review,
        Act::ExplainGap,
    ];

    /// Its name in the API (`/api/v1/session`'s `may`), kebab-case.
    pub fn name(self) -> &'static str {
        match self {
            Act::SeeDocks => "see-docks",
            Act::SeeFleet => "see-fleet",
            Act::SeeClips => "see-clips",
            Act::SeeRegister => "see-register",
            Act::SeeMetrics => "see-metrics",
            Act::AssignCamera => "assign-camera",
            Act::AcknowledgeAttention => "acknowledge-attention",
            Act::TagClip => "tag-clip",
            Act::PlaceHold => "place-hold",
            Act::ReleaseHold => "release-hold",
            Act::RequestAccess => "request-access",
            Act::DecideAccess => "decide-access",
            Act::ManageAccounts => "manage-accounts",
            Act::Review => "review",
            Act::ExplainGap => "explain-gap",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Act::SeeDocks => "see the dock tiles (kiosk)",
            Act::SeeFleet => "see cameras, holders, overdue",
            Act::SeeClips => "see clip records, trails, cases",
            Act::SeeRegister => "read the access register",
            Act::SeeMetrics => "read /metrics",
            Act::AssignCamera => "assign / check out a camera",
            Act::AcknowledgeAttention => "acknowledge why a camera needs attention",
            Act::TagClip => "tag a clip to a case",
            Act::PlaceHold => "place a hold",
            Act::ReleaseHold => "release a hold",
            Act::RequestAccess => "request to view / copy / export / purge",
            Act::DecideAccess => "approve or refuse a request (not one's own)",
            Act::ManageAccounts => "create, change, disable accounts",
            Act::Review => "draw a spot check, record findings",
            Act::ExplainGap => "explain a gap between recordings (an officer: their own)",
        }
    }

    /// Whether anyone, signed in or not, may do it.
    pub fn public(self) -> bool {
        self == Act::SeeDocks
    }

    /// The roles that may do it.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Act::SeeDocks => &[
                Officer,
                EquipmentManager,
                Auditor,
                Approver,
                Admin,
                Reviewer,
            ],
            Act::SeeFleet => &[EquipmentManager, Auditor, Approver],
            Act::SeeClips => &[EquipmentManager, Auditor, Approver, Reviewer],
            Act::SeeRegister => &[Auditor, Approver, Reviewer],
            Act::SeeMetrics => &[EquipmentManager, Admin],
            Act::AssignCamera => &[EquipmentManager],
            Act::AcknowledgeAttention => &[EquipmentManager],
            Act::TagClip => &[EquipmentManager, Approver],
            Act::PlaceHold => &[Auditor, Approver],
            Act::ReleaseHold => &[Approver],
            Act::RequestAccess => &[Officer, EquipmentManager, Auditor, Approver, Reviewer],
            Act::DecideAccess => &[Approver],
            Act::ManageAccounts => &[Admin],
            Act::Review => &[Reviewer],
            Act::ExplainGap => &[Officer, EquipmentManager],
        }
    }

    pub fn allowed(self, roles: &[Role]) -> bool {
        self.public() || roles.iter().any(|r| self.roles().contains(r))
    }
}

/// The role table as Markdown, as docs/SECURITY.md carries it.
pub fn markdown_table() -> String {
    let mut s = String::from("| act |");
    for r in Role::ALL {
        s += &format!(" {} |", r.as_str());
    }
    s += "\n|---|";
    s += &"---|".repeat(Role::ALL.len());
    s += "\n";
    for act in Act::ALL {
        s += &format!("| {} |", act.describe());
        for r in Role::ALL {
            s += if act.allowed(&[r]) { " yes |" } else { " |" };
        }
        s += "\n";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_security_carries_this_table() {
        let doc = include_str!("../../docs/SECURITY.md");
        assert!(
            doc.contains(&markdown_table()),
            "docs/SECURITY.md must carry the role table as the code has it:\n{}",
            markdown_table()
        );
    }

    #[test]
    fn nobody_both_asks_and_is_the_only_one_to_decide() {
        // Two people: a role that decides also asks, so an approval always names someone else.
        assert!(!Act::DecideAccess.allowed(&[Role::Admin]));
        assert!(
            !Act::SeeClips.allowed(&[Role::Admin]),
            "the admin sees no evidence"
        );
        assert!(!Act::SeeClips.allowed(&[Role::Officer]));
    }
}
