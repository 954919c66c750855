//! The admin API (`/api/v1/admin/…`), one module per area.

pub(crate) mod accounts;
pub(crate) mod reports;
