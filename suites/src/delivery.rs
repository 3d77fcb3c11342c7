//! The delivery suite (EVT-3, DLV-1 … DLV-6).

use crate::Check;

/// The delivery suite, in run order.
pub(crate) static CHECKS: &[Check] = &[];
