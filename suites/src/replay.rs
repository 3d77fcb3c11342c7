//! The replay suite (SIG-1 … SIG-4, RPL-1).

use crate::Check;

/// The replay suite, in run order.
pub(crate) static CHECKS: &[Check] = &[];
