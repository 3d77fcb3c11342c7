//! The events suite (EVT-1, EVT-2, EVT-4 … EVT-6).

use crate::Check;

/// The events suite, in run order.
pub(crate) static CHECKS: &[Check] = &[];
