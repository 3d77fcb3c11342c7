//! The pagination suite (PAGE-1 … PAGE-6).

use crate::Check;

/// The pagination suite, in run order.
pub(crate) static CHECKS: &[Check] = &[];
