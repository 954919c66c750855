//! What each role may do, as Mastodon's role permissions (the bits of `role.permissions`).

use crate::account::Role;

/// One of Mastodon's role permissions. The discriminant is its bit in `role.permissions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Permission {
    /// Everything (the owner).
    Administrator = 1 << 0,
    ViewDevops = 1 << 1,
    ViewAuditLog = 1 << 2,
    ViewDashboard = 1 << 3,
    ManageReports = 1 << 4,
    ManageFederation = 1 << 5,
    ManageSettings = 1 << 6,
    ManageBlocks = 1 << 7,
    ManageTaxonomies = 1 << 8,
    ManageAppeals = 1 << 9,
    ManageUsers = 1 << 10,
    ManageInvites = 1 << 11,
    ManageRules = 1 << 12,
    ManageAnnouncements = 1 << 13,
    ManageCustomEmojis = 1 << 14,
    ManageWebhooks = 1 << 15,
    InviteUsers = 1 << 16,
    ManageRoles = 1 << 17,
    ManageUserAccess = 1 << 18,
    DeleteUserData = 1 << 19,
}

use Permission::*;

/// Mastodon's default roles: everyone may invite, moderators handle people and reports, admins
/// run the server, the owner may do anything.
const EVERYONE: u32 = InviteUsers as u32;
const MODERATOR: u32 = EVERYONE
    | ViewDashboard as u32
    | ViewAuditLog as u32
    | ManageUsers as u32
    | ManageReports as u32
    | ManageTaxonomies as u32
    | ManageAppeals as u32;
const ADMIN: u32 = MODERATOR
    | ViewDevops as u32
    | ManageFederation as u32
    | ManageSettings as u32
    | ManageBlocks as u32
    | ManageInvites as u32
    | ManageRules as u32
    | ManageAnnouncements as u32
    | ManageCustomEmojis as u32
    | ManageWebhooks as u32
    | ManageUserAccess as u32
    | DeleteUserData as u32;
const OWNER: u32 = ADMIN | Administrator as u32 | ManageRoles as u32;

impl Role {
    /// The role's permission bits, as `role.permissions` shows them.
    pub fn permission_bits(self) -> u32 {
        match self {
            Role::User => EVERYONE,
            Role::Moderator => MODERATOR,
            Role::Admin => ADMIN,
            Role::Owner => OWNER,
        }
    }

    /// Whether the role may do what `p` covers (`Administrator` covers everything).
    pub fn can(self, p: Permission) -> bool {
        let bits = self.permission_bits();
        bits & (Administrator as u32) != 0 || bits & (p as u32) != 0
    }

    /// Whether the role is staff (sees the moderation pages at all).
    pub fn is_staff(self) -> bool {
        self >= Role::Moderator
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grow_in_permissions() {
        assert!(!Role::User.can(ManageReports));
        assert!(Role::User.can(InviteUsers));
        assert!(Role::Moderator.can(ManageReports) && Role::Moderator.can(ManageUsers));
        assert!(!Role::Moderator.can(ManageBlocks) && !Role::Moderator.can(ManageFederation));
        assert!(Role::Admin.can(ManageBlocks) && !Role::Admin.can(ManageRoles));
        assert!(Role::Owner.can(ManageRoles));
        for r in Role::ALL.windows(2) {
            assert_eq!(r[0].permission_bits() & !r[1].permission_bits(), 0);
        }
    }
}
