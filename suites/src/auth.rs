//! The auth suite (AUTH-1 … AUTH-8) and tenancy (ACC-2).

use crate::Check;

/// The auth suite, in run order.
pub(crate) static CHECKS: &[Check] = &[];
