//! The published JSON Schemas (top-level `schemas/`, the single source of truth), embedded and
//! compiled once, with errors that carry the instance path.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

/// Base URI of every schema's `$id`; the `.invalid` host is never fetched.
pub const BASE_URI: &str = "https://contract.invalid/schemas/";

macro_rules! schemas {
    ($($variant:ident => $file:literal),+ $(,)?) => {
        /// One schema file of `schemas/`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum SchemaId { $($variant),+ }

        impl SchemaId {
            pub const ALL: &'static [SchemaId] = &[$(SchemaId::$variant),+];

            /// The file name in `schemas/`, also the last segment of its `$id`.
            pub fn file_name(self) -> &'static str {
                match self { $(SchemaId::$variant => $file),+ }
            }

            /// The file's text, as embedded at build time.
            pub fn source(self) -> &'static str {
                match self { $(SchemaId::$variant => include_str!(concat!("../../schemas/", $file))),+ }
            }
        }
    };
}

schemas! {
    Account => "account.json",
    Pagination => "pagination.json",
    Site => "site.json",
    SitesPage => "sites-page.json",
    Device => "device.json",
    InventoryPage => "inventory-page.json",
    Event => "event.json",
    EventDataHealth => "event-data-health.json",
    EventDataAlarm => "event-data-alarm.json",
    EventDataAccess => "event-data-access.json",
    EventDataVideo => "event-data-video.json",
    EventDataPing => "event-data-ping.json",
    WebhookCreate => "webhook-create.json",
    Webhook => "webhook.json",
    WebhookCreated => "webhook-created.json",
    WebhookList => "webhook-list.json",
    EventTypes => "event-types.json",
    PingAccepted => "ping-accepted.json",
    Error => "error.json",
}

impl SchemaId {
    pub fn uri(self) -> String {
        format!("{BASE_URI}{}", self.file_name())
    }

    /// The parsed schema document.
    pub fn json(self) -> &'static Value {
        &compiled()[&self].0
    }

    /// The data schema of an event family (for the event-type catalog, EVT-5).
    pub fn for_event_data(family: crate::types::EventFamily) -> SchemaId {
        use crate::types::EventFamily as F;
        match family {
            F::Health => Self::EventDataHealth,
            F::Alarm => Self::EventDataAlarm,
            F::Access => Self::EventDataAccess,
            F::Video => Self::EventDataVideo,
            F::Ping => Self::EventDataPing,
        }
    }

    /// Validates `instance`, returning every violation.
    pub fn validate(self, instance: &Value) -> Result<(), Vec<Violation>> {
        violations(&compiled()[&self].1, instance)
    }

    pub fn is_valid(self, instance: &Value) -> bool {
        compiled()[&self].1.is_valid(instance)
    }
}

/// One schema violation: where in the instance, which schema keyword, and what.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// JSON Pointer into the validated document (`/devices/3/site_id`).
    pub instance_path: String,
    pub schema_path: String,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.instance_path.is_empty() { "/" } else { &self.instance_path };
        write!(f, "{at}: {}", self.message)
    }
}

/// Every violation of `instance` against `validator`, with its instance and schema paths.
fn violations(validator: &jsonschema::Validator, instance: &Value) -> Result<(), Vec<Violation>> {
    let errors: Vec<Violation> = validator
        .iter_errors(instance)
        .map(|e| Violation {
            instance_path: e.instance_path().as_str().to_owned(),
            schema_path: e.schema_path().as_str().to_owned(),
            message: e.to_string(),
        })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// A schema the vendor declares itself (the `data_schema` of an event catalogue entry, EVT-5)
/// that does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the declared schema does not compile: {0}")]
pub struct DeclaredSchemaError(pub String);

/// A schema someone else wrote, compiled on its own: no `$ref` into `schemas/` or anywhere else
/// is resolved (nothing is fetched), and `format` stays an annotation, as JSON Schema has it
/// unless a schema asks otherwise.
#[derive(Debug)]
pub struct DeclaredSchema(jsonschema::Validator);

impl DeclaredSchema {
    pub fn compile(schema: &Value) -> Result<Self, DeclaredSchemaError> {
        jsonschema::validator_for(schema).map(Self).map_err(|e| DeclaredSchemaError(e.to_string()))
    }

    /// Every violation of `instance`, with its instance path.
    pub fn validate(&self, instance: &Value) -> Result<(), Vec<Violation>> {
        violations(&self.0, instance)
    }
}

type Compiled = HashMap<SchemaId, (Value, jsonschema::Validator)>;

fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let docs: Vec<(SchemaId, Value)> = SchemaId::ALL
            .iter()
            .map(|&id| {
                let doc = serde_json::from_str(id.source())
                    .unwrap_or_else(|e| panic!("schemas/{} is not JSON: {e}", id.file_name()));
                (id, doc)
            })
            .collect();
        let mut builder = jsonschema::Registry::new();
        for (id, doc) in &docs {
            builder = builder
                .add(id.uri(), doc.clone())
                .unwrap_or_else(|e| panic!("schemas/{} cannot be registered: {e}", id.file_name()));
        }
        let registry = builder.prepare().expect("the embedded schemas form a registry");
        docs.into_iter()
            .map(|(id, doc)| {
                let validator = jsonschema::options()
                    .with_registry(&registry)
                    .should_validate_formats(true)
                    .build(&serde_json::json!({"$ref": id.uri()}))
                    .unwrap_or_else(|e| panic!("schemas/{} does not compile: {e}", id.file_name()));
                (id, (doc, validator))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_compiles_and_has_its_id() {
        for &id in SchemaId::ALL {
            assert_eq!(id.json()["$id"], Value::String(id.uri()), "{}", id.file_name());
        }
    }

    #[test]
    fn declared_schemas_compile_alone_or_say_why_not() {
        let declared = DeclaredSchema::compile(&serde_json::json!({
            "type": "object", "required": ["action"], "properties": {"severity": {"enum": ["high", "low"]}}
        }))
        .unwrap();
        assert!(declared.validate(&serde_json::json!({"action": "x", "severity": "high"})).is_ok());
        let errors = declared.validate(&serde_json::json!({"severity": "major"})).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().any(|e| e.instance_path == "/severity"), "{errors:?}");
        // The project's own family schemas compile as a vendor's declaration (the mock declares them).
        for id in [SchemaId::EventDataAlarm, SchemaId::EventDataAccess, SchemaId::EventDataVideo] {
            DeclaredSchema::compile(id.json()).unwrap_or_else(|e| panic!("{}: {e}", id.file_name()));
        }
        assert!(DeclaredSchema::compile(&serde_json::json!({"type": 12})).is_err());
        assert!(DeclaredSchema::compile(&serde_json::json!({"$ref": "https://example.invalid/x.json"})).is_err());
    }

    #[test]
    fn violations_carry_the_instance_path() {
        let page = serde_json::json!({
            "devices": [{"device_id": "d", "name": "n", "type": "camera", "status": "online"}],
            "pagination": {"page": 1, "per_page": 50, "total_pages": 1, "total_count": 1}
        });
        let errors = SchemaId::InventoryPage.validate(&page).unwrap_err();
        assert!(errors.iter().any(|e| e.instance_path == "/devices/0" && e.message.contains("site_id")), "{errors:?}");
    }
}
