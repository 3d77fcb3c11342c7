//! The sites (SITE-1, SITE-2): required fields, a location, an IANA time zone.

use std::collections::BTreeMap;

use contract::SchemaId;
use serde_json::Value;

use super::collect::{Collector, unreadable, violation_field, with_profile_notes};
use super::{SITE_1, SITE_2, SITE_REQUIRED};
use crate::context::Context;
use crate::outcome::Outcome;

/// SITE-1: every site has `site_id`, `name` and a descriptor; site ids are unique.
pub async fn sites(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    let listing = match &sync.sites {
        Ok(l) => l,
        Err(e) => return unreadable(e, "the sites could not be listed", SITE_1),
    };
    let mut c = Collector::default();
    let mut seen = BTreeMap::new();
    for listed in &listing.records {
        let exchange = listing.exchange_of(listed);
        let id = listed.record.get("site_id").and_then(Value::as_str);
        let subject = format!("site {}", id.unwrap_or("<no site_id>"));
        if let Err(all) = SchemaId::Site.validate(&listed.record) {
            // SITE-1 asks for `site_id`, `name` and a descriptor's presence (the root `anyOf`);
            // the shape of an address or coordinates and an IANA zone are SITE-2's.
            for v in all.into_iter().filter(|v| SITE_REQUIRED.contains(&violation_field(v).as_str())) {
                c.add(subject.clone(), &v.instance_path, v.message, &listed.record, exchange);
            }
        }
        if let Some(id) = id
            && let Some(first) = seen.insert(id.to_owned(), &listed.record)
            && first != &listed.record
        {
            c.add(
                subject,
                "/site_id",
                "another, different site has the same `site_id`".into(),
                &listed.record,
                exchange,
            );
        }
    }
    let mut outcome = c.finish(
        SITE_1,
        "each site has `site_id`, `name` and one of `address`, `coordinates`, `timezone`; ids unique",
        format!("{} sites are well-formed", listing.records.len()),
        "site violations",
    );
    if listing.records.is_empty() {
        outcome = outcome.with_note("the account has no sites, so no inventory was checked");
    }
    let mut outcome = with_profile_notes(outcome, &listing.notes);
    for note in &listing.notes {
        if !outcome.evidence.notes.contains(note) {
            outcome.evidence.notes.push(note.clone());
        }
    }
    outcome
}

/// An IANA zone name: `UTC` or `Area/Location[/...]`. Shape only: the harness carries no tz database.
fn is_iana_shaped(zone: &str) -> bool {
    if zone == "UTC" {
        return true;
    }
    let mut parts = zone.split('/');
    let area_ok =
        parts.next().is_some_and(|a| !a.is_empty() && a.chars().all(|ch| ch.is_ascii_alphabetic() || ch == '_'));
    let rest: Vec<&str> = parts.collect();
    area_ok
        && !rest.is_empty()
        && rest.iter().all(|p| !p.is_empty() && p.chars().all(|ch| ch.is_ascii_alphanumeric() || "_+-".contains(ch)))
}

/// SITE-2: every site has an address (or coordinates) and an IANA timezone.
pub async fn site_location(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    let listing = match sync.require_sites() {
        Ok(l) => l,
        Err(outcome) => return outcome,
    };
    let mut c = Collector::default();
    for listed in &listing.records {
        let r = &listed.record;
        let exchange = listing.exchange_of(listed);
        let subject = format!("site {}", r.get("site_id").and_then(Value::as_str).unwrap_or("<no site_id>"));
        // A postal address as text or as a structured object (street, city, ...).
        let has_address = match r.get("address") {
            Some(Value::String(a)) => !a.trim().is_empty(),
            Some(Value::Object(a)) => !a.is_empty(),
            _ => false,
        };
        let has_coordinates = r.get("coordinates").is_some_and(Value::is_object);
        if !has_address && !has_coordinates {
            c.add(subject.clone(), "/address", "neither `address` nor `coordinates`".into(), r, exchange);
        }
        match r.get("timezone") {
            Some(Value::String(zone)) if is_iana_shaped(zone) => {}
            Some(Value::String(zone)) => {
                c.add(subject, "/timezone", format!("`{zone}` is not an IANA zone name"), r, exchange)
            }
            _ => c.add(subject, "/timezone", "no `timezone`".into(), r, exchange),
        }
    }
    c.finish(
        SITE_2,
        "each site has `address` or `coordinates`, and an IANA `timezone` such as `America/Chicago`",
        format!("{} sites have a location and a time zone", listing.records.len()),
        "site location problems",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iana_shape() {
        for good in ["America/Chicago", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5"] {
            assert!(is_iana_shaped(good), "{good}");
        }
        for bad in ["", "CST", "-06:00", "America/", "/Chicago", "America Chicago"] {
            assert!(!is_iana_shaped(bad), "{bad}");
        }
    }
}
