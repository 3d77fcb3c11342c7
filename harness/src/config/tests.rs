//! `vendor.toml` loading and validation: the template, deviations, secrets never echoed.

use contract::Secret;

use super::*;

#[test]
fn the_template_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vendor.toml");
    std::fs::write(&path, VendorConfig::TEMPLATE).unwrap();
    let config = VendorConfig::load(&path).unwrap();
    assert_eq!(config.profile, Profile::default());
    assert_eq!(config.auth.private_key_path, Some(dir.path().join("keys/vendor.pem")));
    assert!(matches!(config.trigger, TriggerConfig::Passive));
}

#[test]
fn deviations_load_from_the_config_and_the_file_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let entry = |check: &str, requirement: &str| {
        format!(
            "[[deviations]]\ncheck = \"{check}\"\nrequirement = \"{requirement}\"\nreason = \"r\"\nreference = \"T-1\"\nexpires = \"2027-03-31\"\n"
        )
    };
    std::fs::write(dir.path().join("agreed.toml"), entry("webhooks.ping", "WHM-4")).unwrap();
    let path = dir.path().join("vendor.toml");
    let text =
        format!("deviations_file = \"agreed.toml\"\n{}\n{}", VendorConfig::TEMPLATE, entry("events.catalog", "EVT-5"));
    std::fs::write(&path, &text).unwrap();
    let config = VendorConfig::load(&path).unwrap();
    let checks: Vec<&str> = config.deviations.iter().map(|d| d.check.as_str()).collect();
    assert_eq!(checks, ["events.catalog", "webhooks.ping"]);
    std::fs::write(&path, text.replace("EVT-5", "EVT-9")).unwrap();
    let err = format!("{:#}", VendorConfig::load(&path).unwrap_err());
    assert!(err.contains("`deviations[0].requirement`: `EVT-9`"), "{err}");
    // An entry of the named file is named in that file.
    std::fs::write(&path, &text).unwrap();
    std::fs::write(dir.path().join("agreed.toml"), entry("webhooks.ping", "WHM-9")).unwrap();
    let err = format!("{:#}", VendorConfig::load(&path).unwrap_err());
    assert!(err.contains("agreed.toml: `deviations[0].requirement`: `WHM-9`"), "{err}");
}

#[test]
fn trigger_kinds_parse() {
    let parse = |t: &str| toml::from_str::<TriggerConfig>(t).unwrap();
    assert_eq!(
        parse("kind = \"mock-control\"\nadmin_url = \"http://127.0.0.1:1\"\nadmin_token_env = \"T\""),
        TriggerConfig::MockControl {
            admin_url: "http://127.0.0.1:1".into(),
            admin_token_env: Some("T".into()),
            admin_token: None
        }
    );
    assert_eq!(
        parse("kind = \"command\"\nargv = [\"x\", \"{device_id}\"]"),
        TriggerConfig::Command {
            argv: vec!["x".into(), "{device_id}".into()],
            status_argv: None,
            event_argv: None,
            ping_argv: None,
            timeout_secs: 60
        }
    );
    assert!(matches!(
        parse("kind = \"command\"\nevent_argv = [\"emit\", \"{data}\"]"),
        TriggerConfig::Command { argv, event_argv: Some(e), .. } if argv.is_empty() && e[1] == "{data}"
    ));
    assert_eq!(parse("kind = \"prompt\""), TriggerConfig::Prompt { wait_secs: 120 });
    assert_eq!(parse("kind = \"ping\""), TriggerConfig::Ping);
}

#[test]
fn a_config_round_trips_and_never_prints_an_inline_secret() {
    let mut config = VendorConfig::new("v", "http://127.0.0.1:9", AuthConfig::from_key_path("k.pem", None));
    config.webhook.secret = WebhookSecretSource::Inline { value: Secret::new("whsec_topsecret") };
    assert!(!format!("{config:?}").contains("whsec_topsecret"));
    let back: VendorConfig = toml::from_str(&toml::to_string(&config).unwrap()).unwrap();
    assert_eq!(back, config);
}

#[test]
fn unknown_capability_and_family_names_are_refused_with_the_valid_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vendor.toml");
    let with = |capabilities: &str| {
        let text = VendorConfig::TEMPLATE
            .replace("declared = []\n", "")
            .replace("event_families = [\"health\"]", capabilities);
        std::fs::write(&path, text).unwrap();
        VendorConfig::load(&path).map_err(|e| format!("{e:#}"))
    };
    let err = with("declared = [\"webhook-managment\"]").unwrap_err();
    assert!(err.contains("unknown capability `webhook-managment`"), "{err}");
    for (name, _) in suites::CAPABILITIES {
        assert!(err.contains(&format!("`{name}`")), "{err} does not list {name}");
    }
    let err = with("event_families = [\"alarms\"]").unwrap_err();
    assert!(err.contains("unknown event family `alarms`") && err.contains("`video`"), "{err}");
    with("declared = [\"webhook-management\", \"ping\", \"event-types\", \"secret-rotation\"]").unwrap();
}

#[test]
fn a_webhook_registered_outside_the_run_is_named_by_id_with_its_secret() {
    let text = "webhook_id = \"2fd2826d\"\nsecret = { from = \"inline\", value = \"whsec_console\" }";
    let webhook: WebhookConfig = toml::from_str(text).unwrap();
    assert_eq!(webhook.webhook_id.as_deref(), Some("2fd2826d"));
    webhook.validate().unwrap();
    let created = WebhookConfig { secret: WebhookSecretSource::ManagementApi, ..webhook.clone() };
    assert!(format!("{:#}", created.validate().unwrap_err()).contains("registered outside the run"));
    let empty = WebhookConfig { webhook_id: Some(String::new()), ..webhook };
    assert!(empty.validate().is_err());
}

#[test]
fn a_toml_error_names_the_line_but_never_echoes_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vendor.toml");
    let secret = "whsec_do_not_print_me";
    // A syntax error on the line of an inline secret (the parser quotes that line)...
    let broken = VendorConfig::TEMPLATE.replace(
        "secret = { from = \"none\" }",
        &format!("secret = {{ from = \"inline\", value = \"{secret}\" }} oops"),
    );
    std::fs::write(&path, broken).unwrap();
    let err = format!("{:#}", VendorConfig::load(&path).unwrap_err());
    assert!(!err.contains(secret), "{err}");
    assert!(err.contains("line ") && err.contains("(`secret`)"), "{err}");
    // ...and a value of the wrong type, which serde would quote.
    let wrong = VendorConfig::TEMPLATE.replace("secret = { from = \"none\" }", &format!("secret = \"{secret}\""));
    std::fs::write(&path, wrong).unwrap();
    let err = format!("{:#}", VendorConfig::load(&path).unwrap_err());
    assert!(!err.contains(secret), "{err}");
    assert!(err.contains("failed to parse"), "{err}");
}

#[test]
fn bad_configs_are_refused_up_front() {
    let config = VendorConfig::new("v", "ftp://x", AuthConfig::from_key_path("k.pem", None));
    assert!(config.validate().is_err());
}
