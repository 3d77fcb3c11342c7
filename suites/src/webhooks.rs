//! The webhook management suite (WHM-1 … WHM-4).

use crate::Check;

/// The webhooks suite, in run order.
pub(crate) static CHECKS: &[Check] = &[];
