//! Fallback suite faults.

use mock_vendor::Fault;

/// Each fault and the checks it must make fail: these and no others.
pub const TABLE: &[(Fault, &[&str])] = &[];

/// Checks of this suite no mock fault can make fail, each with the reason.
pub const UNFAILABLE: &[(&str, &str)] = &[];
