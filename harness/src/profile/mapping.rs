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
            FieldSpec::Pointer(p) => return raw.pointer(p).cloned(),
            FieldSpec::Rule(rule) => rule,
        };
        let value = match &rule.source {
            FieldSource::Constant(constant) => constant.clone(),
            FieldSource::FromRequest(RequestValue::SiteId) => Value::String(request.site_id.clone()?),
            FieldSource::FromRequest(RequestValue::AccountId) => Value::String(request.account_id.clone()?),
            FieldSource::Pointer { pointer, within } => {
                let within = match within {
                    Some(e) => raw
                        .pointer(&e.array)?
                        .as_array()?
                        .iter()
                        .find(|item| item.pointer(&e.element_where) == Some(&e.equals))?,
                    None => raw,
                };
                within.pointer(pointer)?.clone()
            }
            FieldSource::Join { pointers, separator } => {
                let parts: Vec<String> = pointers
                    .iter()
                    .filter_map(|p| match raw.pointer(p)? {
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
