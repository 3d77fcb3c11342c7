//! The hot paths one operation at a time (issue 8, §5): webhook signature verification, token
//! minting, schema validation and profile mapping of an inventory page.

use std::hint::black_box;

use contract::{Pagination, SchemaId, Scheme, Secret, SignatureFormat, TokenMinter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use harness::profile::{Profile, RequestContext};
use mock_vendor::fleet::{DeviceJson, Fleet, FleetSpec};
use serde_json::{Value, json};

/// A page of 100 devices as the mock serves it (per_page 100).
fn inventory_page() -> Value {
    let fleet = Fleet::generate(FleetSpec::Synthetic(1_000), 1, 1_770_000_000_000);
    let site = &fleet.sites[0];
    let devices: Vec<Value> =
        site.devices[..100].iter().map(|&d| serde_json::to_value(fleet.device_wire(d)).unwrap()).collect();
    json!({"devices": devices, "pagination": Pagination::of(1, 100, site.devices.len() as u64)})
}

fn signature(c: &mut Criterion) {
    let secret = Secret::new("whsec_benchmarksecretbenchmarksecret00");
    let body: Vec<u8> = {
        let mut b =
            serde_json::to_vec(&json!({"event_id": "8b0f7c3e-0000-4000-8000-000000000001", "pad": ""})).unwrap();
        b.resize(1024, b' ');
        b
    };
    for scheme in [Scheme::Body, Scheme::Timestamped] {
        let format = SignatureFormat::canonical(scheme);
        let now = 1_770_000_000;
        let headers = format.sign(&secret, &body, now);
        let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        let mut group = c.benchmark_group("signature");
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(format!("verify 1 KiB ({})", scheme.as_str()), |b| {
            b.iter(|| format.verify(header, black_box(&body), &[&secret], now).unwrap())
        });
        group.finish();
    }
}

fn token(c: &mut Criterion) {
    let keys = contract::token::generate_keypair(2048).unwrap();
    let minter = TokenMinter::from_pem(&keys.private_pem, Some("key-bench".into())).unwrap();
    c.bench_function("token/mint RS256 2048", |b| b.iter(|| minter.mint(black_box(1_770_000_000))));
}

fn page(c: &mut Criterion) {
    let page = inventory_page();
    assert!(SchemaId::InventoryPage.is_valid(&page), "the page the bench validates is valid");
    let mut group = c.benchmark_group("inventory page (100 devices)");
    group.throughput(Throughput::Elements(100));
    group.bench_function("schema validate", |b| b.iter(|| SchemaId::InventoryPage.validate(black_box(&page))));
    // What the mock pays for a page it has not cached: the records written straight from the
    // fleet, against the `Value` tree per device it built before (the baseline).
    let fleet = Fleet::generate(FleetSpec::Synthetic(1_000), 1, 1_770_000_000_000);
    let indexes = &fleet.sites[0].devices[..100];
    group.bench_function("mock render (DeviceJson)", |b| {
        b.iter(|| {
            let devices: Vec<DeviceJson> = indexes.iter().map(|&idx| DeviceJson { fleet: &fleet, idx }).collect();
            let mut out = Vec::with_capacity(512 * devices.len());
            serde_json::to_writer(&mut out, &devices).unwrap();
            out
        })
    });
    group.bench_function("mock render (Value tree, before)", |b| {
        b.iter(|| {
            let devices: Vec<Value> =
                indexes.iter().map(|&idx| serde_json::to_value(fleet.device_wire(idx)).unwrap()).collect();
            serde_json::to_vec(&devices).unwrap()
        })
    });
    let devices = page["devices"].as_array().unwrap().clone();
    // The canonical profile, and the cursor shape's rules (nested pointers, vocabularies, epoch
    // timestamps) over the same canonical page: most of its pointers find nothing, so this
    // times the rules' evaluation rather than the copying.
    let canonical = Profile::default();
    let request = RequestContext::site("site");
    group.bench_function("profile map_record (canonical)", |b| {
        let fields = &canonical.inventory[0].fields;
        b.iter(|| devices.iter().map(|d| canonical.map_record(black_box(d), fields, &request)).collect::<Vec<_>>())
    });
    let cursor = Profile::builtin("cursor").expect("the cursor profile");
    group.bench_function("profile map_record (cursor rules)", |b| {
        let fields = &cursor.inventory[1].fields;
        b.iter(|| devices.iter().map(|d| cursor.map_record(black_box(d), fields, &request)).collect::<Vec<_>>())
    });
    group.finish();
}

criterion_group!(benches, signature, token, page);
criterion_main!(benches);
