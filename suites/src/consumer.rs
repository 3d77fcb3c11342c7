//! The reference consumer: the integrator's side of the contract (issue 6).
