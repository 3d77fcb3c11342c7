//! The fallback suite (FB-1 … FB-4, INV-2).

use crate::Check;

/// The fallback suite, in run order.
pub(crate) static CHECKS: &[Check] = &[];
