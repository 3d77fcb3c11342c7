//! Triggers: the mock's control API (paths, bodies, admin header) and commands with placeholders.

use contract::Secret;
use harness::config::TriggerConfig;
use harness::trigger::{MockControlTrigger, fill_placeholders, from_config};
use serde_json::json;
use suites::{Action, Trigger, TriggerError};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn offline() -> Action {
    Action::DeviceStatus { site_id: "s-1".into(), device_id: "d-1".into(), status: "offline".into() }
}

#[tokio::test]
async fn mock_control_posts_status_and_events_with_the_admin_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/_mock/devices/d-1/status"))
        .and(header("X-Admin-Token", "admin-secret"))
        .and(body_json(json!({"status": "offline"})))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/_mock/devices/d-1/events"))
        .and(header("X-Admin-Token", "admin-secret"))
        .and(body_json(json!({"event_type": "alarm", "data": {"condition": "tamper", "state": "active"}})))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let trigger = MockControlTrigger::new(&server.uri(), Secret::new("admin-secret")).unwrap();
    trigger.act(&offline()).await.unwrap();
    let alarm = Action::DeviceEvent {
        site_id: "s-1".into(),
        device_id: "d-1".into(),
        event_type: "alarm".into(),
        data: json!({"condition": "tamper", "state": "active"}),
    };
    let done = trigger.act(&alarm).await.unwrap();
    assert!(!done.contains("admin-secret"));
    assert!(!format!("{trigger:?}").contains("admin-secret"));
}

#[tokio::test]
async fn mock_control_reports_a_refusal_as_a_failed_trigger() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(401)).mount(&server).await;
    let config = TriggerConfig::MockControl {
        admin_url: server.uri(),
        admin_token_env: None,
        admin_token: Some(Secret::new("t")),
    };
    let trigger = from_config(&config, true, None).unwrap();
    assert!(matches!(trigger.act(&offline()).await, Err(TriggerError::Failed(m)) if m.contains("401")));
}

#[tokio::test]
async fn mock_control_reports_an_unknown_device_as_such() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    let config = TriggerConfig::MockControl {
        admin_url: server.uri(),
        admin_token_env: None,
        admin_token: Some(Secret::new("t")),
    };
    let trigger = from_config(&config, true, None).unwrap();
    let err = trigger.act(&offline()).await.unwrap_err();
    assert!(matches!(&err, TriggerError::UnknownDevice { detail, .. } if detail.contains("404")), "{err}");
    assert_eq!(suites::act::trigger_outcome(&err).status, suites::Status::Skip);
}

#[test]
fn placeholders_are_filled_per_action() {
    assert_eq!(fill_placeholders("{site_id}/{device_id}/{status}/{event_type}", &offline()), "s-1/d-1/offline/health");
    assert_eq!(fill_placeholders("{action}:{data}", &offline()), r#"status:{"status":"offline"}"#);
    let ping = Action::Ping { webhook_id: "wh-1".into() };
    assert_eq!(fill_placeholders("{action} {webhook_id} {other}", &ping), "ping wh-1 {other}");
    // One pass: a vendor id that holds a placeholder's name is not filled again.
    let sly = Action::DeviceStatus { site_id: "{status}".into(), device_id: "d".into(), status: "offline".into() };
    assert_eq!(fill_placeholders("{site_id}", &sly), "{status}");
}

/// Runs `[trigger] kind = "command"` as a config would write it, with `sh -c 'echo "$@" > file' --`
/// per action, and reads what each command was given.
#[tokio::test]
async fn a_command_per_action_gets_the_data_the_check_asks_for_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).display().to_string();
    let argv = |name: &str, args: &[&str]| {
        let mut argv = vec!["sh".to_owned(), "-c".into(), format!("echo \"$@\" > {}", file(name)), "--".into()];
        argv.extend(args.iter().map(|a| (*a).to_owned()));
        argv
    };
    let text = format!(
        "kind = \"command\"\nargv = {:?}\nevent_argv = {:?}\nping_argv = {:?}\ntimeout_secs = 10\n",
        argv("fallback", &["{action}", "{device_id}", "{data}"]),
        argv("event", &["{device_id}", "{event_type}", "{data}"]),
        argv("ping", &["{webhook_id}"]),
    );
    let config: TriggerConfig = toml::from_str(&text).unwrap();
    let trigger = from_config(&config, true, None).unwrap();
    let alarm = Action::DeviceEvent {
        site_id: "s-1".into(),
        device_id: "d-1".into(),
        event_type: "alarm".into(),
        data: json!({"condition": "tamper", "state": "active"}),
    };
    trigger.act(&alarm).await.unwrap();
    trigger.act(&Action::Ping { webhook_id: "wh-9".into() }).await.unwrap();
    // No `status_argv`: a status change runs `argv`.
    trigger.act(&offline()).await.unwrap();
    let read = |name: &str| std::fs::read_to_string(file(name)).unwrap().trim_end().to_owned();
    let event = read("event");
    let (head, data) = event.split_at(event.find('{').unwrap());
    assert_eq!(head, "d-1 alarm ");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(data).unwrap(),
        json!({"condition": "tamper", "state": "active"})
    );
    assert_eq!(read("ping"), "wh-9");
    assert_eq!(read("fallback"), r#"status d-1 {"status":"offline"}"#);
    // Without `argv`, an action with no command of its own is not something this trigger can do.
    let only_events: TriggerConfig =
        toml::from_str(&format!("kind = \"command\"\nevent_argv = {:?}", argv("event", &["{data}"]))).unwrap();
    let err = from_config(&only_events, true, None).unwrap().act(&offline()).await.unwrap_err();
    assert!(matches!(err, TriggerError::Unsupported { trigger: "command", .. }), "{err}");
}

#[tokio::test]
async fn a_command_runs_without_a_shell_and_its_failure_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    let script = format!("printf '%s %s' \"$1\" \"$2\" > {}", out.display());
    let config = TriggerConfig::Command {
        argv: vec!["sh".into(), "-c".into(), script, "trigger".into(), "{device_id}".into(), "{status}".into()],
        status_argv: None,
        event_argv: None,
        ping_argv: None,
        timeout_secs: 10,
    };
    from_config(&config, true, None).unwrap().act(&offline()).await.unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "d-1 offline");
    let failing = TriggerConfig::Command {
        argv: vec!["sh".into(), "-c".into(), "echo nope >&2; exit 3".into()],
        status_argv: None,
        event_argv: None,
        ping_argv: None,
        timeout_secs: 10,
    };
    let err = from_config(&failing, true, None).unwrap().act(&offline()).await.unwrap_err();
    assert!(matches!(&err, TriggerError::Failed(m) if m.contains("nope")), "{err}");
}

#[tokio::test]
async fn prompt_ping_and_passive_skip_what_they_cannot_do() {
    let prompt = from_config(&TriggerConfig::Prompt { wait_secs: 1 }, true, None).unwrap();
    assert_eq!(prompt.act(&offline()).await, Err(TriggerError::NonInteractive));
    for config in [TriggerConfig::Ping, TriggerConfig::Passive] {
        assert!(matches!(
            from_config(&config, false, None).unwrap().act(&offline()).await,
            Err(TriggerError::Unsupported { .. })
        ));
    }
}
