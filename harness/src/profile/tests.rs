//! The profile's unit tests: parsing, refusals, mapping.

use super::*;
use serde_json::json;
use suites::{AuthKind, PagingKind};

fn rule(source: FieldSource, f: impl FnOnce(&mut FieldRule)) -> FieldSpec {
    let mut r = FieldRule::of(source);
    f(&mut r);
    FieldSpec::Rule(r)
}

fn pointer(p: &str) -> FieldSource {
    FieldSource::Pointer { pointer: p.into(), within: None }
}

#[test]
fn the_canonical_profile_maps_records_onto_themselves() {
    let p = Profile::default();
    let device =
        json!({"device_id": "d", "name": "n", "type": "camera", "site_id": "s", "status": "online", "ip": null});
    assert_eq!(p.map_record(&device, &p.inventory[0].fields, &RequestContext::default()), device);
    let extra = json!({"site_id": "s", "name": "n", "vendor_thing": 1});
    assert_eq!(p.map_record(&extra, &p.sites.fields, &RequestContext::default()), json!({"site_id": "s", "name": "n"}));
    assert_eq!(p.map_record(&json!([1]), &p.sites.fields, &RequestContext::default()), json!([1]));
    // Integer ids (Hikvision-like) are ids: the canonical record carries them as strings;
    // other numbers stay numbers.
    let numeric = json!({"device_id": 1042, "name": "n", "type": "camera", "site_id": 7, "parent_id": 1001,
        "account_id": 3, "status": "online", "ip": 5});
    assert_eq!(
        p.map_record(&numeric, &p.inventory[0].fields, &RequestContext::default()),
        json!({"device_id": "1042", "name": "n", "type": "camera", "site_id": "7", "parent_id": "1001",
            "account_id": "3", "status": "online", "ip": 5})
    );
    let numeric_event = json!({"event_id": 9, "event_type": "health", "device_id": 1042, "site_id": 7,
        "account_id": 3, "timestamp": "2026-01-01T00:00:00.000Z", "data": {"status": "offline"}});
    assert_eq!(
        p.map_event(&numeric_event),
        json!({"event_id": "9", "event_type": "health", "device_id": "1042", "site_id": "7", "account_id": "3",
            "timestamp": "2026-01-01T00:00:00.000Z", "data": {"status": "offline"}})
    );
    let event = json!({"event_id": "e", "event_type": "health", "device_id": "d", "site_id": "s", "account_id": "a",
        "timestamp": "2026-01-01T00:00:00.000Z", "data": {"status": "offline"}});
    assert_eq!(p.map_event(&event), event);
}

#[test]
fn every_builtin_profile_parses_and_validates() {
    for (name, _) in BUILTIN {
        let p = Profile::builtin(name).unwrap();
        assert_eq!(&p.name, name);
    }
}

#[test]
fn rules_map_nested_indexed_filtered_constant_and_request_values() {
    let mut p = Profile::default();
    p.vocabulary.status.insert("deviceOffline".into(), "offline".into());
    let fields: FieldMap = [
        ("device_id".to_owned(), FieldSpec::Pointer("/id".into())),
        ("mac_address".to_owned(), FieldSpec::Pointer("/networkInfo/adapters/0/macAddress".into())),
        ("type".to_owned(), rule(FieldSource::Constant(json!("camera")), |_| {})),
        ("site_id".to_owned(), rule(FieldSource::FromRequest(RequestValue::SiteId), |_| {})),
        ("account_id".to_owned(), rule(FieldSource::FromRequest(RequestValue::AccountId), |_| {})),
        (
            "status".to_owned(),
            rule(
                FieldSource::Pointer {
                    pointer: "/newStatus/connectionStatus".into(),
                    within: Some(ArrayElement {
                        array: "/data".into(),
                        element_where: "/type".into(),
                        equals: json!("status"),
                    }),
                },
                |r| r.vocabulary = Some(VocabularyName::Status),
            ),
        ),
        ("last_seen".to_owned(), rule(pointer("/seen"), |r| r.timestamp = Some(TimestampFormat::EpochMillis))),
        (
            "address".to_owned(),
            rule(
                FieldSource::Join {
                    pointers: vec!["/addr/street".into(), "/addr/city".into(), "/addr/zip".into()],
                    separator: ", ".into(),
                },
                |_| {},
            ),
        ),
    ]
    .into_iter()
    .collect();
    let raw = json!({"id": "x", "networkInfo": {"adapters": [{"macAddress": "00:11:22:33:44:55"}]},
        "data": [{"type": "other"}, {"type": "status", "newStatus": {"connectionStatus": "deviceOffline"}}],
        "seen": 1_700_000_000_123i64, "addr": {"street": "1 Main St", "city": "Springfield", "zip": 12345}});
    let request = RequestContext { site_id: Some("s1".into()), account_id: Some("acct-9".into()) };
    assert_eq!(
        p.map_record(&raw, &fields, &request),
        json!({"device_id": "x", "mac_address": "00:11:22:33:44:55", "type": "camera", "site_id": "s1",
            "account_id": "acct-9", "status": "offline", "last_seen": "2023-11-14T22:13:20.123Z",
            "address": "1 Main St, Springfield, 12345"})
    );
    // A join leaves out what is missing or blank, and is missing only when every part is.
    let partial = json!({"id": "p", "addr": {"street": " ", "city": "Springfield"}});
    assert_eq!(p.map_record(&partial, &fields, &request)["address"], "Springfield");
    assert!(p.map_record(&json!({"id": "q"}), &fields, &request).get("address").is_none());
    // Values the vocabulary or the format does not know pass through, for the schema to see.
    let odd =
        json!({"id": "y", "data": [{"type": "status", "newStatus": {"connectionStatus": "up"}}], "seen": "yesterday"});
    let mapped = p.map_record(&odd, &fields, &request);
    assert_eq!(mapped["status"], "up");
    assert_eq!(mapped["last_seen"], "yesterday");
    let unmatched = p.unmatched(&[json!({"id": "z"})], &fields, &request);
    assert!(unmatched.iter().any(|(f, at)| f == "mac_address" && at.contains("/networkInfo/adapters/0/macAddress")));
    assert!(unmatched.iter().any(|(f, at)| f == "address" && at.contains("`/addr/city`") && at.contains("joined")));
}

#[test]
fn errors_in_a_200_body_are_read() {
    let flag = BodyErrors { flag: "/error".into(), ok: vec![], message: Some("/errorMsg".into()) };
    assert_eq!(flag.error_in(&json!({"error": true, "errorMsg": "bad key"})), Some("bad key".into()));
    assert_eq!(flag.error_in(&json!({"error": false})), None);
    assert_eq!(flag.error_in(&json!({"data": 1})), None);
    let code = BodyErrors { flag: "/code".into(), ok: vec![json!("0")], message: Some("/msg".into()) };
    assert_eq!(code.error_in(&json!({"code": "0"})), None);
    assert_eq!(code.error_in(&json!({"code": "VMS001", "msg": "no"})), Some("no".into()));
}

#[test]
fn a_profile_that_cannot_work_is_refused_naming_what_is_wrong() {
    let bad = |edit: &dyn Fn(&mut Profile)| {
        let mut p = Profile::default();
        edit(&mut p);
        format!("{:#}", p.validate().unwrap_err())
    };
    assert!(
        bad(&|p| {
            p.inventory[0].fields.insert("device_id".into(), FieldSpec::Pointer("serial".into()));
        })
        .contains("`inventory[0].fields.device_id` = `serial` is not a JSON Pointer")
    );
    assert!(bad(&|p| p.pagination.set_max_size(Some(20))).contains("above `sites`'s maximum page size 20"));
    assert!(
        bad(&|p| {
            p.events.fields.insert(
                "account_id".into(),
                FieldSpec::Rule(FieldRule::of(FieldSource::FromRequest(RequestValue::AccountId))),
            );
        })
        .contains("constant")
    );
    assert!(
        bad(&|p| {
            p.inventory[0].fields.remove("device_id");
        })
        .contains("`inventory[0].fields` has no `device_id`")
    );
    assert!(bad(&|p| p.sites.list = "sites".into()).contains("not a JSON Pointer"));
    assert!(bad(&|p| p.inventory.clear()).contains("no endpoint"));
}

/// The canonical profile's TOML with its `[pagination]` (or `[auth]`) table replaced.
fn with_table(table: &str, replacement: &str) -> anyhow::Result<Profile> {
    let text = BUILTIN[0].1;
    let start = text.find(&format!("\n[{table}]\n")).unwrap() + 1;
    let end = start + 1 + text[start + 1..].find("\n[").unwrap();
    Profile::parse(&format!("{}{replacement}\n{}", &text[..start], &text[end..]))
}

#[test]
fn each_pagination_kind_takes_exactly_its_keys() {
    let err = |t: &str| format!("{:#}", with_table("pagination", t).unwrap_err());
    assert!(err("[pagination]\nkind = \"cursor\"\nsize_param = \"n\"").contains("missing field `token_param`"));
    assert!(
        err("[pagination]\nkind = \"page\"\npage_param = \"p\"\ntoken_param = \"t\"")
            .contains("unknown field `token_param`")
    );
    assert!(err("[pagination]\nkind = \"none\"\nsize = 5").contains("unknown field `size`"));
    assert!(err("[pagination]\nkind = \"offset\"\noffset_param = \"o\"").contains("missing field `size_param`"));
    assert!(
        err("[pagination]\nkind = \"page\"\npage_param = \"p\"\npast_end = { param = \"a\", from = \"/id\" }")
            .contains("unknown field `past_end`")
    );
    let link = with_table(
        "pagination",
        "[pagination]\nkind = \"link_header\"\nsize_param = \"perPage\"\nmax_size = 100\ndefault_size = 10\n[pagination.past_end]\nparam = \"startingAfter\"\nfrom = \"/serial\"",
    )
    .unwrap();
    let paging = link.paging();
    assert_eq!(paging.kind, PagingKind::LinkHeader);
    assert!(paging.keyset_past_end);
    assert_eq!(paging.sites_limits, SizeLimits { max: Some(100), default: Some(10), min: None });
    // No `size`: the harness asks for the vendor's declared default.
    assert_eq!(paging.size_default, 10);
    assert_eq!(link.pagination.past_end().unwrap().param, "startingAfter");
    // A documented `perPage` range: its minimum bounds the small-page walks.
    let ranged = with_table(
        "pagination",
        "[pagination]\nkind = \"link_header\"\nsize_param = \"perPage\"\nmin_size = 3\nmax_size = 1000\ndefault_size = 10",
    )
    .unwrap();
    assert_eq!(ranged.paging().sites_limits, SizeLimits { max: Some(1000), default: Some(10), min: Some(3) });
    assert!(
        err("[pagination]\nkind = \"link_header\"\nsize_param = \"perPage\"\nmin_size = 20\ndefault_size = 10")
            .contains("the default page size 10 is below the minimum 20")
    );
}

#[test]
fn page_size_limits_are_declared_per_collection() {
    let mut p = Profile::default();
    p.pagination.set_max_size(Some(100));
    p.inventory[0].max_size = Some(60);
    p.inventory.push(p.inventory[0].clone());
    p.inventory[1].max_size = Some(80);
    p.validate().unwrap();
    let paging = p.paging();
    assert_eq!(paging.sites_limits.max, Some(100));
    // A union is walked at one size for every part: the tightest maximum bounds it.
    assert_eq!(paging.inventory_limits.max, Some(60));
    assert_eq!(Profile::default().paging().sites_limits, SizeLimits::default());
    let mut none = Profile { pagination: PaginationProfile::None {}, ..Profile::default() };
    none.sites.max_size = Some(10);
    assert!(format!("{:#}", none.validate().unwrap_err()).contains("no `size_param`"));
}

#[test]
fn auth_kinds_take_exactly_their_keys() {
    let err = |t: &str| format!("{:#}", with_table("auth", t).unwrap_err());
    assert!(err("[auth]\nkind = \"oauth2_client_credentials\"").contains("missing field `token_url`"));
    assert!(err("[auth]\nkind = \"api_key\"\ntoken_url = \"/t\"").contains("unknown field `token_url`"));
    let oauth =
        with_table("auth", "[auth]\nkind = \"oauth2_client_credentials\"\ntoken_url = \"/t\"\nscope = \"r\"").unwrap();
    assert_eq!(oauth.auth.oauth2(), Some(("/t", Some("r"))));
    assert_eq!(oauth.auth.header(), "Authorization");
    assert_eq!(oauth.auth.prefix(), "Bearer ");
    let key = with_table("auth", "[auth]\nkind = \"api_key\"\nheader = \"x-key\"").unwrap();
    assert_eq!((key.auth.kind(), key.auth.header(), key.auth.prefix()), (AuthKind::ApiKey, "x-key", ""));
}

#[test]
fn field_rules_refuse_impossible_combinations() {
    let err = |fields: &str| {
        let text = BUILTIN[0].1.replace("model = \"/model\"", &format!("model = {fields}"));
        format!("{:#}", Profile::parse(&text).unwrap_err())
    };
    assert!(err("{ pointer = \"/m\", constant = \"x\" }").contains("exactly one of"));
    assert!(err("{ pointer = \"/m\", array = \"/a\" }").contains("go together"));
    assert!(err("{ constant = \"x\", separator = \"-\" }").contains("`separator` goes with `join`"));
    assert!(err("{ join = [] }").contains("lists no pointer"));
    let text = BUILTIN[0].1.replace("model = \"/model\"", "model = { join = [\"/a\", \"/b\"], separator = \" \" }");
    let p = Profile::parse(&text).unwrap();
    let out = p.map_record(&json!({"a": "X", "b": 2}), &p.inventory[0].fields, &RequestContext::default());
    assert_eq!(out["model"], "X 2");
}

#[test]
fn every_builtin_and_example_profile_round_trips_through_its_typed_form() {
    let examples = [
        include_str!("../../profiles/examples/brivo.toml"),
        include_str!("../../profiles/examples/eagle-eye.toml"),
        include_str!("../../profiles/examples/meraki.toml"),
        include_str!("../../profiles/examples/rhombus.toml"),
        include_str!("../../profiles/examples/verkada.toml"),
    ];
    for text in BUILTIN.iter().map(|(_, t)| *t).chain(examples) {
        let p = Profile::parse(text).unwrap();
        let again = Profile::parse(&toml::to_string(&p).unwrap()).unwrap();
        assert_eq!(again, p, "{}", p.name);
    }
}

#[test]
fn the_canonical_profile_states_the_contracts_webhook_shapes_which_are_also_the_defaults() {
    let p = Profile::default();
    assert_eq!(p.webhooks.api(), suites::WebhookApi::canonical());
    assert_eq!(p.webhooks.catalogue, suites::CatalogueShape::canonical());
    assert_eq!(p.webhooks.catalogue_path(), "/api/v1/event-types");
    // A profile that states only the paths (cursor.toml) gets the contract's shapes.
    let cursor = Profile::builtin("cursor").unwrap();
    assert_eq!(cursor.webhooks.api(), p.webhooks.api());
}

#[test]
fn webhook_shapes_of_other_vendors_parse_and_map_the_catalogue() {
    let text = BUILTIN[0].1.replace(
        "[webhooks.create]\nbody = { name = \"{name}\", target_url = \"{target_url}\", status = \"active\" }",
        "[webhooks.create]\nbody = { name = \"{name}\", url = \"{target_url}\", sharedSecret = \"{secret}\" }",
    );
    let text = text.replace("secret = \"/secret\"", "").replace("list = \"/event_types\"", "list = \"\"");
    let text = text.replace("event_type = \"/event_type\"", "event_type = \"/alertType\"");
    let mut p = Profile::parse(&text).unwrap();
    assert!(p.webhooks.api().integrator_secret());
    p.vocabulary.event_type.insert("deviceDown".into(), "health".into());
    assert_eq!(
        p.map_catalogue(json!([{"alertType": "deviceDown", "description": "d"}])),
        json!({"event_types": [{"event_type": "health", "description": "d"}]})
    );
}

#[test]
fn webhook_shapes_that_cannot_work_are_refused() {
    let bad = |edit: &dyn Fn(&mut Profile)| {
        let mut p = Profile::default();
        edit(&mut p);
        format!("{:#}", p.validate().unwrap_err())
    };
    assert!(bad(&|p| p.webhooks.create.secret = None).contains("no `secret` pointer"));
    assert!(bad(&|p| p.webhooks.create.id = "id".into()).contains("`webhooks.create.id` = `id` is not a JSON Pointer"));
    assert!(bad(&|p| p.webhooks.list.list = "results".into()).contains("webhooks.list.list"));
    assert!(bad(&|p| p.webhooks.catalogue.event_type = "type".into()).contains("webhooks.catalogue.event_type"));
    assert!(bad(&|p| p.webhooks.create.body = json!("x")).contains("JSON object"));
}

#[test]
fn the_default_profile_round_trips_through_toml() {
    let p = Profile::default();
    let text = toml::to_string(&p).unwrap();
    assert_eq!(toml::from_str::<Profile>(&text).unwrap(), p);
    let missing = toml::from_str::<Profile>("name = \"x\"").unwrap_err().to_string();
    assert!(missing.contains("missing field"), "{missing}");
}
