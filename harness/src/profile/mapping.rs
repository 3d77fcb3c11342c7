//! Mapping: a vendor's records, delivery bodies and catalogue onto canonical JSON through the
//! profile's field rules and vocabularies (MAP-1).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::fields::canonical_id;
use super::{FieldMap, FieldSource, FieldSpec, Profile, RequestContext, RequestValue, TimestampFormat, VocabularyName};

impl Profile {
    fn vocabulary(&self, name: VocabularyName) -> &BTreeMap<String, String> {
        match name {
            VocabularyName::Status => &self.vocabulary.status,
            VocabularyName::DeviceType => &self.vocabulary.device_type,
            VocabularyName::EventType => &self.vocabulary.event_type,
        }
    }

    /// Maps a vendor record onto a canonical one through `fields`. Fields whose source resolves
    /// are copied (a present `null` stays `null`, so the schema sees it) and translated; a record
    /// that is not an object is kept as it is so that validation reports it.
    pub fn map_record(&self, raw: &Value, fields: &FieldMap, request: &RequestContext) -> Value {
        self.map_fields(raw, fields.iter(), request)
    }

    fn map_fields<'f>(
        &self,
        raw: &Value,
        fields: impl Iterator<Item = (&'f String, &'f FieldSpec)>,
        request: &RequestContext,
    ) -> Value {
        if !raw.is_object() {
            return raw.clone();
        }
        let mut out = Map::new();
        for (name, spec) in fields {
            if let Some(v) = self.field_value(raw, spec, request) {
                out.insert(name.clone(), canonical_id(name, v));
            }
        }
        Value::Object(out)
    }

    fn field_value(&self, raw: &Value, spec: &FieldSpec, request: &RequestContext) -> Option<Value> {
        let rule = match spec {
            FieldSpec::Pointer(p) => return pointer(raw, p).cloned(),
            FieldSpec::Rule(rule) => rule,
        };
        let value = match &rule.source {
            FieldSource::Constant(constant) => constant.clone(),
            FieldSource::FromRequest(RequestValue::SiteId) => Value::String(request.site_id.clone()?),
            FieldSource::FromRequest(RequestValue::AccountId) => Value::String(request.account_id.clone()?),
            FieldSource::Pointer { pointer, within } => {
                let within = match within {
                    Some(e) => self::pointer(raw, &e.array)?
                        .as_array()?
                        .iter()
                        .find(|item| self::pointer(item, &e.element_where) == Some(&e.equals))?,
                    None => raw,
                };
                self::pointer(within, pointer)?.clone()
            }
            FieldSource::Join { pointers, separator } => {
                let parts: Vec<String> = pointers
                    .iter()
                    .filter_map(|p| match pointer(raw, p)? {
                        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect();
                if parts.is_empty() {
                    return None;
                }
                Value::String(parts.join(separator))
            }
        };
        let value = match (rule.vocabulary, &value) {
            (Some(name), Value::String(s)) => {
                self.vocabulary(name).get(s).map_or(value.clone(), |canonical| Value::String(canonical.clone()))
            }
            _ => value,
        };
        Some(match (rule.timestamp, &value) {
            (Some(TimestampFormat::EpochSeconds), Value::Number(n)) => n
                .as_i64()
                .and_then(|s| s.checked_mul(1000))
                .map_or(value.clone(), |ms| Value::String(contract::rfc3339_millis(ms))),
            (Some(TimestampFormat::EpochMillis), Value::Number(n)) => {
                n.as_i64().map_or(value.clone(), |ms| Value::String(contract::rfc3339_millis(ms)))
            }
            _ => value,
        })
    }

    /// Maps a delivery body onto a canonical event: the event fields, with `status` (when the
    /// profile maps one) written into `data.status`.
    pub fn map_event(&self, raw: &Value) -> Value {
        let fields = &self.events.fields;
        let request = RequestContext::default();
        let mut event = self.map_fields(raw, fields.iter().filter(|(name, _)| *name != "status"), &request);
        if let (Some(status), Some(obj)) = (fields.get("status"), event.as_object_mut())
            && let Some(value) = self.field_value(raw, status, &request)
        {
            let data = obj.entry("data").or_insert_with(|| Value::Object(Map::new()));
            if let Some(data) = data.as_object_mut() {
                data.insert("status".into(), value);
            }
        }
        event
    }

    /// The event catalogue in the contract's shape (`{"event_types": [...]}`, through
    /// `webhooks.catalogue`) with event types and device types in canonical words.
    pub fn map_catalogue(&self, doc: Value) -> Value {
        let mut doc = self.webhooks.catalogue.to_canonical(doc);
        let translate = |v: &mut Value, vocabulary: &BTreeMap<String, String>| {
            if let Value::String(s) = v
                && let Some(canonical) = vocabulary.get(s.as_str())
            {
                *s = canonical.clone();
            }
        };
        if let Some(entries) = doc.get_mut("event_types").and_then(Value::as_array_mut) {
            for entry in entries {
                if let Some(t) = entry.get_mut("event_type") {
                    translate(t, &self.vocabulary.event_type);
                }
                for key in ["emitted_by", "not_emitted_by"] {
                    if let Some(list) = entry.get_mut(key).and_then(Value::as_array_mut) {
                        list.iter_mut().for_each(|t| translate(t, &self.vocabulary.device_type));
                    }
                }
            }
        }
        doc
    }

    /// The canonical fields of `fields` whose source is in none of `raws` (for the clear error
    /// naming the pointer): `(field, where the profile looked)`.
    pub fn unmatched(&self, raws: &[Value], fields: &FieldMap, request: &RequestContext) -> Vec<(String, String)> {
        let objects: Vec<&Value> = raws.iter().filter(|r| r.is_object()).collect();
        if objects.is_empty() {
            return Vec::new();
        }
        fields
            .iter()
            .filter(|(_, spec)| objects.iter().all(|raw| self.field_value(raw, spec, request).is_none()))
            .map(|(name, spec)| (name.clone(), spec.shown()))
            .collect()
    }
}

/// `Value::pointer` without its allocations: serde_json unescapes every reference token into a
/// new `String`, which was most of mapping a record (issue 18: a walk's pages are mapped record by
/// record). A pointer with an escape (`~0`, `~1`) is left to serde_json.
fn pointer<'v>(value: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.contains('~') {
        return value.pointer(pointer);
    }
    if pointer.is_empty() {
        return Some(value);
    }
    let rest = pointer.strip_prefix('/')?;
    rest.split('/').try_fold(value, |target, token| match target {
        Value::Object(map) => map.get(token),
        // As serde_json reads an index: no sign, no leading zero.
        Value::Array(list) if !token.starts_with('+') && (token == "0" || !token.starts_with('0')) => {
            list.get(token.parse::<usize>().ok()?)
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn pointers_read_as_serde_json_reads_them() {
        let doc = json!({"a": {"b": [10, {"c/d": 1, "e~f": 2, "": 3}], "": {"": 4}}, "0": 5, "x": null});
        for p in [
            "",
            "/",
            "/a",
            "/a/b",
            "/a/b/0",
            "/a/b/1",
            "/a/b/01",
            "/a/b/+1",
            "/a/b/2",
            "/a/b/-1",
            "/a/b/1/c~1d",
            "/a/b/1/e~0f",
            "/a/b/1/",
            "/a//",
            "/0",
            "/x",
            "/x/y",
            "a",
            "/a/b/1/c/d",
            "/nope",
        ] {
            assert_eq!(super::pointer(&doc, p), doc.pointer(p), "{p}");
        }
    }
}
