//! The fleet's tests: the demo's bytes pinned, synthetic fleets' ids, names and sizes.

use super::*;

#[test]
fn device_json_serialises_as_device_wire_through_a_value() {
    for spec in [FleetSpec::Demo, FleetSpec::Synthetic(2_500)] {
        let fleet = Fleet::generate(spec, 3, 1_770_000_000_000);
        for idx in 0..fleet.devices.len() as u32 {
            let direct = serde_json::to_string(&DeviceJson { fleet: &fleet, idx }).unwrap();
            let via_value = serde_json::to_string(&serde_json::to_value(fleet.device_wire(idx)).unwrap()).unwrap();
            assert_eq!(direct, via_value);
        }
    }
}

#[test]
fn demo_is_deterministic_and_realistic() {
    let a = Fleet::generate(FleetSpec::Demo, 7, 1_770_000_000_000);
    let b = Fleet::generate(FleetSpec::Demo, 7, 1_770_000_000_000);
    assert_eq!(a.devices.iter().map(|d| d.id).collect::<Vec<_>>(), b.devices.iter().map(|d| d.id).collect::<Vec<_>>());
    assert_eq!(a.accounts.len(), FleetSpec::Demo.account_count());
    assert!((40..=60).contains(&a.devices.len()), "{}", a.devices.len());
    assert!(a.sites.iter().any(|s| s.devices.is_empty()), "one site is empty");
    let door = a.devices.iter().position(|d| d.kind == Kind::Door).unwrap();
    let parent = a.devices[door].parent().unwrap();
    assert_eq!(a.devices[parent as usize].kind, Kind::AccessPanel);
    let wire = a.device_wire(door as u32);
    assert!(wire.name.ends_with("Door"));
    let c = Fleet::generate(FleetSpec::Demo, 8, 1_770_000_000_000);
    assert_ne!(a.devices[0].id, c.devices[0].id, "the seed changes the ids");
}

#[test]
fn synthetic_spreads_devices_over_sites_of_a_thousand() {
    let f = Fleet::generate(FleetSpec::Synthetic(2_500), 1, 0);
    let first = &f.accounts[0];
    let counts: Vec<usize> = first.sites.iter().map(|&s| f.sites[s as usize].devices.len()).collect();
    assert_eq!(counts, vec![1000, 1000, 500, 0]);
    assert_eq!(f.accounts.len(), FleetSpec::Synthetic(2_500).account_count());
    assert_eq!("synthetic:1_000_000".parse::<FleetSpec>(), Ok(FleetSpec::Synthetic(1_000_000)));
}

#[test]
fn a_device_costs_48_bytes() {
    assert_eq!(std::mem::size_of::<DeviceRec>(), 48);
}

#[test]
fn synthetic_ids_are_distinct_and_found_again() {
    let f = Fleet::generate(FleetSpec::Synthetic(2_500), 9, 0);
    let ids: std::collections::HashSet<Uuid> = f.devices.iter().map(|d| d.id).collect();
    assert_eq!(ids.len(), f.devices.len());
    for (idx, d) in f.devices.iter().enumerate() {
        assert_eq!(d.id.get_version_num(), 4);
        assert_eq!(d.id.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(f.device_by_id(&d.id.to_string()), Some(idx as u32));
    }
    // Not a device: a site's id, an unknown id, an id of the same scheme past the end.
    assert_eq!(f.device_by_id(&f.sites[0].id.to_string()), None);
    assert_eq!(f.device_by_id(&Uuid::new_v4().to_string()), None);
    let Lookup::Derived(ids) = f.lookup else { panic!("derived ids") };
    assert_eq!(f.device_by_id(&ids.id(f.devices.len() as u32).to_string()), None);
    assert_eq!(f.device_by_id("not-a-uuid"), None);
    // Another seed, other ids.
    let g = Fleet::generate(FleetSpec::Synthetic(2_500), 10, 0);
    assert_ne!(f.devices[0].id, g.devices[0].id);
}

#[test]
fn synthetic_fleets_are_deterministic_and_named_by_place() {
    let a = Fleet::generate(FleetSpec::Synthetic(2_500), 4, 1_770_000_000_000);
    let b = Fleet::generate(FleetSpec::Synthetic(2_500), 4, 1_770_000_000_000);
    let wire = |f: &Fleet| (0..f.devices.len() as u32).map(|i| f.device_wire(i)).collect::<Vec<_>>();
    assert_eq!(serde_json::to_value(wire(&a)).unwrap(), serde_json::to_value(wire(&b)).unwrap());
    assert_eq!(a.device_name(0), "access_panel 0001-0001");
    assert_eq!(a.device_name(1_016), "camera 0002-0017");
    assert_eq!(a.device_wire(1_001).parent_id, Some(a.devices[1_000].id.to_string()));
    assert_eq!(a.devices[2_499].site, 2);
    // The second tenant's devices keep their stored names.
    let other = a.devices.len() as u32 - 1;
    assert_eq!(a.device_name(other), "Yard Motion");
}

/// The demo's ids, names and bytes are in the harness's snapshots: pinned here as the hash of
/// every record served, as the code before the compact layout made them.
#[test]
fn the_demo_fleet_serves_the_bytes_it_always_did() {
    let f = Fleet::generate(FleetSpec::Demo, 42, 1_770_000_000_000);
    let mut all = String::new();
    for a in &f.accounts {
        all += &a.id.to_string();
        all += &a.name;
    }
    for s in 0..f.sites.len() as u32 {
        all += &serde_json::to_string(&f.site_wire(s)).unwrap();
        all += &format!("{:?}", f.sites[s as usize].devices);
    }
    for d in 0..f.devices.len() as u32 {
        all += &serde_json::to_string(&DeviceJson { fleet: &f, idx: d }).unwrap();
        all += &serde_json::to_string(&f.device_wire(d)).unwrap();
    }
    assert_eq!(
        (contract::sha256_hex(all.as_bytes()).as_str(), all.len()),
        ("09f276a5a0b9d503a16b099f043f326f91cb15344f6e4af76d41093e94c20fc0", 47_515)
    );
}
