//! Property tests of profile mapping (STYLE.md: invariants with `proptest`): whatever the vendor
//! record and whatever rule the profile format allows, mapping never panics; and a canonical
//! record written the way a profile says the vendor keeps it (renamed and nested pointers,
//! escaped keys, array elements, vocabularies, timestamp formats, integer ids, constants, request
//! values, joins) maps back onto the canonical record, for generated profiles and for every
//! built-in and example profile.

use std::collections::BTreeMap;

use harness::profile::{
    ArrayElement, FieldMap, FieldRule, FieldSource, FieldSpec, Profile, RequestContext, RequestValue, TimestampFormat,
    Vocabularies, VocabularyName,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const STATUSES: &[&str] = &["online", "offline", "degraded", "unknown"];
const DEVICE_TYPES: &[&str] = &["camera", "nvr", "access_panel", "door", "reader", "intrusion_panel", "sensor"];
const EVENT_TYPES: &[&str] = &["health", "alarm", "access", "video", "ping"];
const ID_FIELDS: &[&str] = &["account_id", "site_id", "device_id", "parent_id", "event_id"];

/// Few cases: each maps a handful of records, and the file must stay well under 20 s.
fn config() -> ProptestConfig {
    ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() }
}

// ---- writing a canonical record the way a profile says the vendor keeps it ----

/// One canonical field's random choices: absent, `null` or a value, and which value.
#[derive(Debug, Clone)]
struct Seed {
    presence: u8,
    pick: usize,
    text: String,
    ms: i64,
    numeric: bool,
}

fn seed() -> impl Strategy<Value = Seed> {
    (0u8..4, any::<usize>(), "[a-zA-Z0-9.:-]{1,12}", 0i64..4_102_444_800_000, any::<bool>())
        .prop_map(|(presence, pick, text, ms, numeric)| Seed { presence, pick, text, ms, numeric })
}

/// The segments of a JSON Pointer, unescaped (RFC 6901: `~1` is `/`, `~0` is `~`).
fn segments(pointer: &str) -> Vec<String> {
    pointer.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~")).collect()
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Writes `value` at `pointer` in `doc`, making objects (and arrays, for numeric segments) on the way.
fn put(doc: &mut Value, pointer: &str, value: Value) {
    let segments = segments(pointer);
    let mut at = doc;
    for (i, segment) in segments.iter().enumerate() {
        let next_is_index = segments.get(i + 1).is_some_and(|s| s.parse::<usize>().is_ok());
        let fresh = if next_is_index { Value::Array(Vec::new()) } else { Value::Object(Map::new()) };
        let last = i + 1 == segments.len();
        let slot = match at {
            Value::Array(items) => {
                let index: usize = segment.parse().expect("an index into an array");
                while items.len() <= index {
                    items.push(Value::Null);
                }
                &mut items[index]
            }
            Value::Object(map) => map.entry(segment.clone()).or_insert(Value::Null),
            other => panic!("{pointer} runs through {other}"),
        };
        if last {
            *slot = value;
            return;
        }
        if slot.is_null() {
            *slot = fresh;
        }
        at = slot;
    }
    *at = value;
}

/// The vendor's word for a canonical one (the first that maps to it), or the word itself.
fn vendor_word(vocabulary: &BTreeMap<String, String>, canonical: &str) -> String {
    vocabulary.iter().find(|(_, c)| c.as_str() == canonical).map_or(canonical.to_owned(), |(w, _)| w.clone())
}

fn vocabulary_of(vocabularies: &Vocabularies, name: VocabularyName) -> &BTreeMap<String, String> {
    match name {
        VocabularyName::Status => &vocabularies.status,
        VocabularyName::DeviceType => &vocabularies.device_type,
        VocabularyName::EventType => &vocabularies.event_type,
    }
}

/// A canonical value for the field `name`, chosen by `seed`, that `rule` can carry.
fn canonical_value(name: &str, rule: Option<&FieldRule>, vocabularies: &Vocabularies, seed: &Seed) -> Value {
    let words = |fallback: &[&str], vocabulary: Option<VocabularyName>| -> Value {
        // A field read through a vocabulary gets a word the vocabulary gives (or any canonical
        // word, when the vocabulary is empty and the vendor writes them as they are).
        let given: Vec<&String> =
            vocabulary.map(|v| vocabulary_of(vocabularies, v).values().collect()).unwrap_or_default();
        match given.is_empty() {
            true => Value::from(fallback[seed.pick % fallback.len()]),
            false => Value::from(given[seed.pick % given.len()].clone()),
        }
    };
    let vocabulary = rule.and_then(|r| r.vocabulary);
    match name {
        "status" => words(STATUSES, vocabulary),
        "type" => words(DEVICE_TYPES, vocabulary),
        "event_type" => words(EVENT_TYPES, vocabulary),
        "last_seen" | "timestamp" => {
            let ms = match rule.and_then(|r| r.timestamp) {
                Some(TimestampFormat::EpochSeconds) => seed.ms - seed.ms % 1000,
                _ => seed.ms,
            };
            Value::from(contract::rfc3339_millis(ms))
        }
        "coordinates" => json!({"latitude": (seed.pick % 180) as f64 / 2.0 - 45.0, "longitude": seed.ms % 360 - 180}),
        "data" => json!({"note": seed.text, "count": seed.pick % 100}),
        id if ID_FIELDS.contains(&id) && seed.numeric => Value::from((seed.pick % 1_000_000).to_string()),
        _ => Value::from(seed.text.clone()),
    }
}

/// How the vendor writes a canonical value under `rule`: its vocabulary word, its timestamp
/// format, an integer id as a number (the canonical record carries ids as strings).
fn vendor_value(name: &str, canonical: &Value, rule: Option<&FieldRule>, vocabularies: &Vocabularies) -> Value {
    let (Some(rule), Value::String(s)) = (rule, canonical) else {
        return match canonical.as_str().map(str::parse::<u64>) {
            Some(Ok(n)) if ID_FIELDS.contains(&name) && !canonical.as_str().unwrap_or("").starts_with('0') => {
                Value::from(n)
            }
            _ => canonical.clone(),
        };
    };
    if let Some(name) = rule.vocabulary {
        return Value::from(vendor_word(vocabulary_of(vocabularies, name), s));
    }
    let ms = || contract::parse_rfc3339_millis(s).expect("a canonical timestamp");
    match rule.timestamp {
        Some(TimestampFormat::EpochSeconds) => Value::from(ms() / 1000),
        Some(TimestampFormat::EpochMillis) => Value::from(ms()),
        _ => canonical.clone(),
    }
}

/// Writes a canonical value where `spec` reads it; request values and constants are not written.
fn write(shaped: &mut Value, spec: &FieldSpec, value: Value) {
    let rule = match spec {
        FieldSpec::Pointer(p) => return put(shaped, p, value),
        FieldSpec::Rule(rule) => rule,
    };
    match &rule.source {
        FieldSource::Pointer { pointer, within: None } => put(shaped, pointer, value),
        FieldSource::Pointer { pointer, within: Some(e) } => {
            if shaped.pointer(&e.array).is_none() {
                put(shaped, &e.array, Value::Array(Vec::new()));
            }
            let items = shaped.pointer_mut(&e.array).and_then(Value::as_array_mut).expect("an array");
            let at = match items.iter().position(|item| item.pointer(&e.element_where) == Some(&e.equals)) {
                Some(at) => at,
                None => {
                    let mut element = Value::Object(Map::new());
                    put(&mut element, &e.element_where, e.equals.clone());
                    items.push(element);
                    items.len() - 1
                }
            };
            put(&mut items[at], pointer, value);
        }
        // The whole value in the first part: a join of one part is that part.
        FieldSource::Join { pointers, .. } => put(shaped, &pointers[0], value),
        FieldSource::FromRequest(_) | FieldSource::Constant(_) => {}
    }
}

/// A canonical record for `fields` (chosen by `seeds`) and that record as the vendor keeps it,
/// with the request it was asked with. `always` names the fields every record carries.
fn record(
    fields: &FieldMap,
    vocabularies: &Vocabularies,
    seeds: &[Seed],
    always: &[&str],
    request: &RequestContext,
) -> (Map<String, Value>, Value) {
    let mut canonical = Map::new();
    let mut shaped = json!({"junk_x0": "not mapped", "junk_x1": {"status": "online"}});
    // `data` first: other fields may sit inside it (a vendor whose event data holds its type).
    let ordered = fields.iter().filter(|(n, _)| *n == "data").chain(fields.iter().filter(|(n, _)| *n != "data"));
    for ((name, spec), seed) in ordered.zip(seeds.iter().cycle()) {
        let rule = match spec {
            FieldSpec::Rule(rule) => Some(rule),
            FieldSpec::Pointer(_) => None,
        };
        let value = match rule.map(|r| &r.source) {
            Some(FieldSource::Constant(c)) => c.clone(),
            Some(FieldSource::FromRequest(RequestValue::SiteId)) => Value::from(request.site_id.clone().unwrap()),
            Some(FieldSource::FromRequest(RequestValue::AccountId)) => Value::from(request.account_id.clone().unwrap()),
            Some(FieldSource::Join { .. }) => canonical_value(name, rule, vocabularies, seed),
            _ if always.contains(&name.as_str()) || seed.presence >= 2 => {
                canonical_value(name, rule, vocabularies, seed)
            }
            // A present `null` stays `null`; an absent field stays absent.
            _ if seed.presence == 1 => Value::Null,
            _ => continue,
        };
        write(&mut shaped, spec, vendor_value(name, &value, rule, vocabularies));
        canonical.insert(name.clone(), value);
    }
    (canonical, shaped)
}

/// A canonical event and the vendor's body for it: `status` sits in `data.status` canonically
/// and wherever the profile's `status` rule reads it on the wire.
fn event(profile: &Profile, seeds: &[Seed]) -> (Value, Value) {
    let fields = &profile.events.fields;
    let without_status: FieldMap =
        fields.iter().filter(|(n, _)| *n != "status").map(|(n, s)| (n.clone(), s.clone())).collect();
    let request = RequestContext::default();
    let always = ["event_id", "event_type", "timestamp", "account_id", "data"];
    let (mut canonical, mut shaped) = record(&without_status, &profile.vocabulary, seeds, &always, &request);
    if let Some(spec) = fields.get("status") {
        let seed = &seeds[seeds.len() - 1];
        if seed.presence >= 1 {
            let rule = match spec {
                FieldSpec::Rule(rule) => Some(rule),
                FieldSpec::Pointer(_) => None,
            };
            let status = canonical_value("status", rule, &profile.vocabulary, seed);
            write(&mut shaped, spec, vendor_value("status", &status, rule, &profile.vocabulary));
            canonical.insert("status".into(), status);
        }
    }
    // The canonical `data` is what the vendor's data object holds, other fields kept in it too;
    // with the status (in canonical words) written into it.
    if let Some(FieldSpec::Pointer(p)) = fields.get("data")
        && let Some(written) = shaped.pointer(p)
    {
        canonical.insert("data".into(), written.clone());
    }
    // (A profile that maps no `data` still gives a health event its `data.status`.)
    if let Some(status) = canonical.remove("status")
        && let Some(data) = canonical.entry("data").or_insert_with(|| json!({})).as_object_mut()
    {
        data.insert("status".into(), status);
    }
    (Value::Object(canonical), shaped)
}

fn request(seeds: &[Seed]) -> RequestContext {
    RequestContext {
        site_id: Some(format!("site-{}", seeds[0].text)),
        account_id: Some(format!("acct-{}", seeds[1].pick)),
    }
}

// ---- generated profiles ----

/// A place the vendor keeps field `i`: a key of its own (with `~`, `/` and spaces, which a
/// pointer escapes) at the top, in a nested object, in an array element or under escaped keys.
fn place(i: usize) -> impl Strategy<Value = String> + Clone {
    (0usize..4, "[a-zA-Z~/ ]{1,6}").prop_map(move |(container, leaf)| {
        let within: &[&str] = match container {
            0 => &[],
            1 => &["meta"],
            2 => &["networkInfo", "adapters", "0"],
            _ => &["a~b", "c/d", "1"],
        };
        let mut pointer: String = within.iter().map(|s| format!("/{}", escape(s))).collect();
        pointer.push_str(&format!("/{}", escape(&format!("{leaf}_{i}"))));
        pointer
    })
}

fn pointer_rule(pointer: String, vocabulary: Option<VocabularyName>, timestamp: Option<TimestampFormat>) -> FieldSpec {
    FieldSpec::Rule(FieldRule { source: FieldSource::Pointer { pointer, within: None }, vocabulary, timestamp })
}

/// Any rule the profile format allows for canonical field `name` kept at field `i`'s place.
fn spec(name: &'static str, i: usize) -> BoxedStrategy<FieldSpec> {
    let at = place(i);
    match name {
        "status" => prop_oneof![
            at.clone().prop_map(FieldSpec::Pointer),
            at.clone().prop_map(|p| pointer_rule(p, Some(VocabularyName::Status), None)),
            // Inside the element of an array that matches a filter (an event's status in `data[]`).
            at.prop_map(move |p| FieldSpec::Rule(FieldRule {
                source: FieldSource::Pointer {
                    pointer: p,
                    within: Some(ArrayElement {
                        array: format!("/elements_{i}"),
                        element_where: "/kind".into(),
                        equals: json!("statusUpdate"),
                    }),
                },
                vocabulary: Some(VocabularyName::Status),
                timestamp: None,
            })),
        ]
        .boxed(),
        "type" | "event_type" => {
            let vocabulary = if name == "type" { VocabularyName::DeviceType } else { VocabularyName::EventType };
            prop_oneof![
                at.clone().prop_map(FieldSpec::Pointer),
                at.prop_map(move |p| pointer_rule(p, Some(vocabulary), None)),
                // The endpoint is the type.
                (0..DEVICE_TYPES.len()).prop_map(move |t| FieldSpec::Rule(FieldRule::of(FieldSource::Constant(
                    json!(if vocabulary == VocabularyName::DeviceType { DEVICE_TYPES[t] } else { "alarm" })
                )))),
            ]
            .boxed()
        }
        "site_id" | "account_id" => {
            let from = if name == "site_id" { RequestValue::SiteId } else { RequestValue::AccountId };
            prop_oneof![
                at.prop_map(FieldSpec::Pointer),
                Just(FieldSpec::Rule(FieldRule::of(FieldSource::FromRequest(from)))),
            ]
            .boxed()
        }
        "last_seen" | "timestamp" => (
            at,
            prop_oneof![
                Just(None),
                Just(Some(TimestampFormat::Rfc3339)),
                Just(Some(TimestampFormat::EpochSeconds)),
                Just(Some(TimestampFormat::EpochMillis)),
            ],
        )
            .prop_map(|(p, format)| pointer_rule(p, None, format))
            .boxed(),
        "name" | "hostname" | "site_name" => prop_oneof![
            at.clone().prop_map(FieldSpec::Pointer),
            (at, "[ ,|-]{1,3}").prop_map(|(p, separator)| {
                let second = format!("{p}_joined");
                FieldSpec::Rule(FieldRule::of(FieldSource::Join { pointers: vec![p, second], separator }))
            }),
        ]
        .boxed(),
        _ => at.prop_map(FieldSpec::Pointer).boxed(),
    }
}

fn field_map(names: &'static [&'static str]) -> BoxedStrategy<FieldMap> {
    let specs: Vec<BoxedStrategy<(String, FieldSpec)>> = names
        .iter()
        .enumerate()
        .map(|(i, name)| spec(name, i).prop_map(move |s| ((*name).to_owned(), s)).boxed())
        .collect();
    specs.prop_map(|pairs| pairs.into_iter().collect()).boxed()
}

/// A vocabulary that gives every canonical word one vendor word of its own.
fn vocabulary(canonical: &'static [&'static str]) -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::vec("[a-zA-Z.]{1,8}", canonical.len()).prop_map(move |words| {
        words.into_iter().zip(canonical).enumerate().map(|(i, (w, c))| (format!("{w}{i}"), (*c).to_owned())).collect()
    })
}

fn vocabularies() -> impl Strategy<Value = Vocabularies> {
    (vocabulary(STATUSES), vocabulary(DEVICE_TYPES), vocabulary(EVENT_TYPES))
        .prop_map(|(status, device_type, event_type)| Vocabularies { status, device_type, event_type })
}

const DEVICE_FIELDS: &[&str] = &[
    "device_id",
    "name",
    "type",
    "site_id",
    "status",
    "account_id",
    "mac_address",
    "ip",
    "parent_id",
    "hostname",
    "site_name",
    "last_seen",
    "model",
    "firmware_version",
];
const DEVICE_REQUIRED: &[&str] = &["device_id", "name", "type", "site_id", "status"];
const EVENT_FIELDS: &[&str] =
    &["event_id", "event_type", "device_id", "account_id", "site_id", "timestamp", "data", "status"];

fn generated_profile() -> impl Strategy<Value = Profile> {
    (field_map(DEVICE_FIELDS), field_map(EVENT_FIELDS), vocabularies()).prop_map(|(devices, events, vocabulary)| {
        let mut profile = Profile { name: "generated".into(), vocabulary, ..Profile::default() };
        profile.inventory[0].fields = devices;
        // An event's ids come from its body (a delivery is no request).
        profile.events.fields = events
            .into_iter()
            .map(|(name, spec)| match spec {
                FieldSpec::Rule(FieldRule { source: FieldSource::FromRequest(_), .. }) => {
                    let at = format!("/event_{name}");
                    (name, FieldSpec::Pointer(at))
                }
                spec => (name, spec),
            })
            .collect();
        profile
    })
}

// ---- arbitrary records and rules, for "never panics" ----

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["id", "status", "data", "type", "0", "1", "name", "a~b", "c/d", "", "results"])
            .prop_map(str::to_owned),
        "[a-z~/0-9]{0,4}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        prop::sample::select(vec![
            "online",
            "deviceOffline",
            "camera",
            "2026-02-04T14:32:00Z",
            "",
            " ",
            "statusUpdate"
        ])
        .prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..5).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn any_pointer() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(key(), 0..4)
            .prop_map(|segments| segments.iter().map(|s| format!("/{}", escape(s))).collect()),
        // Not pointers at all, or odd ones: parsing refuses these, mapping must still not panic.
        prop::sample::select(vec!["", "/", "//", "nope", "/~", "/~2", "/-", "/0/-", "/99999999999999999999"])
            .prop_map(str::to_owned),
    ]
}

fn any_rule() -> impl Strategy<Value = FieldSpec> {
    let source = prop_oneof![
        (any_pointer(), prop::option::of((any_pointer(), any_pointer(), json_value()))).prop_map(
            |(pointer, within)| {
                FieldSource::Pointer {
                    pointer,
                    within: within.map(|(array, element_where, equals)| ArrayElement { array, element_where, equals }),
                }
            }
        ),
        Just(FieldSource::FromRequest(RequestValue::SiteId)),
        Just(FieldSource::FromRequest(RequestValue::AccountId)),
        json_value().prop_map(FieldSource::Constant),
        (prop::collection::vec(any_pointer(), 0..3), ".{0,3}")
            .prop_map(|(pointers, separator)| FieldSource::Join { pointers, separator }),
    ];
    let vocabulary = prop::option::of(prop::sample::select(vec![
        VocabularyName::Status,
        VocabularyName::DeviceType,
        VocabularyName::EventType,
    ]));
    let timestamp = prop::option::of(prop::sample::select(vec![
        TimestampFormat::Rfc3339,
        TimestampFormat::EpochSeconds,
        TimestampFormat::EpochMillis,
    ]));
    prop_oneof![
        any_pointer().prop_map(FieldSpec::Pointer),
        (source, vocabulary, timestamp).prop_map(|(source, vocabulary, timestamp)| FieldSpec::Rule(FieldRule {
            source,
            vocabulary,
            timestamp
        })),
    ]
}

fn any_fields() -> impl Strategy<Value = FieldMap> {
    prop::collection::btree_map(
        prop::sample::select(vec!["device_id", "site_id", "status", "type", "last_seen", "event_id", "data", "name"])
            .prop_map(str::to_owned),
        any_rule(),
        0..6,
    )
}

/// Every built-in profile and every example in `profiles/examples`.
fn shipped_profiles() -> Vec<Profile> {
    let mut profiles: Vec<Profile> =
        harness::profile::BUILTIN.iter().map(|(name, _)| Profile::builtin(name).expect("a built-in")).collect();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/examples");
    let mut paths: Vec<_> = std::fs::read_dir(&examples).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        profiles.push(Profile::parse(&text).unwrap_or_else(|e| panic!("{}: {e:#}", path.display())));
    }
    assert!(profiles.len() >= 8, "the shipped profiles were not all found");
    profiles
}

proptest! {
    #![proptest_config(config())]

    /// Any record through any rule: no panic, an object maps to an object of the profile's
    /// fields only, and anything else is kept as it is for validation to report.
    #[test]
    fn mapping_any_record_through_any_rule_never_panics(
        raw in json_value(),
        fields in any_fields(),
        vocabulary in vocabularies(),
        site in prop::option::of(".{0,6}"),
    ) {
        let mut profile = Profile { vocabulary, ..Profile::default() };
        profile.events.fields = fields.clone();
        let request = RequestContext { site_id: site.clone(), account_id: site };
        let mapped = profile.map_record(&raw, &fields, &request);
        match raw.as_object() {
            Some(_) => {
                let keys: Vec<&String> = mapped.as_object().expect("an object maps to an object").keys().collect();
                prop_assert!(keys.iter().all(|k| fields.contains_key(*k)), "{keys:?} not all in the profile");
            }
            None => prop_assert_eq!(&mapped, &raw),
        }
        let event = profile.map_event(&raw);
        if let Some(event) = event.as_object() {
            prop_assert!(event.keys().all(|k| fields.contains_key(k) || k == "data"), "{event:?}");
        }
        let unmatched = profile.unmatched(std::slice::from_ref(&raw), &fields, &request);
        prop_assert!(unmatched.iter().all(|(name, _)| fields.contains_key(name)));
        let _ = profile.map_catalogue(raw);
    }

    /// Canonical → shaped by a generated profile → canonical: the record comes back.
    #[test]
    fn a_record_shaped_by_any_profile_maps_back(profile in generated_profile(), seeds in prop::collection::vec(seed(), 16)) {
        profile.validate().map_err(|e| TestCaseError::fail(format!("a generated profile is refused: {e:#}")))?;
        let request = request(&seeds);
        let fields = &profile.inventory[0].fields;
        let (canonical, shaped) = record(fields, &profile.vocabulary, &seeds, DEVICE_REQUIRED, &request);
        prop_assert_eq!(profile.map_record(&shaped, fields, &request), Value::Object(canonical), "shaped: {}", shaped);
        let unmatched = profile.unmatched(std::slice::from_ref(&shaped), fields, &request);
        let reads_record = unmatched.iter().all(|(name, _)| fields[name].reads_record());
        prop_assert!(reads_record, "{:?}", unmatched);
        let (canonical, body) = event(&profile, &seeds);
        prop_assert_eq!(profile.map_event(&body), canonical, "body: {}", body);
    }

    /// The same round trip through every shipped profile: account, sites, each inventory
    /// endpoint and the events, as that profile says its vendor writes them.
    #[test]
    fn a_record_shaped_by_a_shipped_profile_maps_back(seeds in prop::collection::vec(seed(), 16)) {
        for profile in shipped_profiles() {
            let request = request(&seeds);
            let endpoints = std::iter::once(("account", &profile.account.fields, &["account_id", "name"][..]))
                .chain(std::iter::once(("sites", &profile.sites.fields, &["site_id", "name"][..])))
                .chain(profile.inventory.iter().map(|e| ("inventory", &e.fields, DEVICE_REQUIRED)));
            for (what, fields, always) in endpoints {
                let (canonical, shaped) = record(fields, &profile.vocabulary, &seeds, always, &request);
                prop_assert_eq!(
                    profile.map_record(&shaped, fields, &request),
                    Value::Object(canonical),
                    "{} {}: shaped {}", profile.name, what, shaped
                );
            }
            let (canonical, body) = event(&profile, &seeds);
            prop_assert_eq!(profile.map_event(&body), canonical, "{} event: body {}", profile.name, body);
        }
    }
}
