//! Bearer-token authentication: each rule of the contract's policy with crafted tokens.

mod common;

use common::{Mock, test_config};
use contract::SchemaId;
use contract::token::{self, b64_json, sign_hs256};
use serde_json::json;

#[tokio::test]
async fn a_fresh_token_works_on_every_endpoint() {
    let m = Mock::start(test_config()).await;
    for path in ["/api/v1/account", "/api/v1/account/sites", "/api/v1/webhooks", "/api/v1/event-types"] {
        let (status, _, _) = m.get(0, path).await;
        assert_eq!(status, 200, "{path}");
    }
}

#[tokio::test]
async fn every_broken_token_gets_a_401_that_leaks_nothing() {
    let m = Mock::start(test_config()).await;
    let now = contract::unix_now();
    let minter = &m.minters[0];
    let h = minter.header();
    let claims = |c: serde_json::Value| minter.mint_custom(&h, &c).expose().to_owned();
    let stranger = token::generate_keypair(1024).unwrap();
    let stranger = contract::TokenMinter::from_pem(&stranger.private_pem, None).unwrap();
    let public_pem = token::public_pem_of(&contract::Secret::new(
        std::fs::read_to_string(&m.mock.credentials.accounts[0].private_key_path).unwrap(),
    ))
    .unwrap();
    let good = m.token(0);
    let (gh, gc, gs) = {
        let mut parts = good.split('.');
        (parts.next().unwrap().to_owned(), parts.next().unwrap().to_owned(), parts.next().unwrap().to_owned())
    };
    let mut tampered_claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &gc).unwrap(),
    )
    .unwrap();
    tampered_claims["exp"] = json!(now + 3000);
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        ("garbage", Some("Bearer garbage".into())),
        ("basic scheme", Some(format!("Basic {good}"))),
        ("two segments", Some(format!("Bearer {gh}.{gc}"))),
        ("four segments", Some(format!("Bearer {good}.x"))),
        (
            "expired just now",
            Some(format!("Bearer {}", claims(json!({"iss": "convergint", "iat": now - 3700, "exp": now - 100})))),
        ),
        (
            "expired an hour ago",
            Some(format!("Bearer {}", claims(json!({"iss": "convergint", "iat": now - 7200, "exp": now - 3600})))),
        ),
        ("another key", Some(format!("Bearer {}", stranger.mint(now).expose()))),
        ("alg none", Some(format!("Bearer {}.{}.", b64_json(&json!({"alg": "none"})), gc))),
        (
            "hs256 with the public key",
            Some(format!(
                "Bearer {}",
                sign_hs256(
                    &json!({"alg": "HS256", "kid": m.mock.credentials.accounts[0].kid}),
                    &json!({"iss": "convergint", "iat": now, "exp": now + 60}),
                    public_pem.as_bytes()
                )
                .expose()
            )),
        ),
        ("no exp", Some(format!("Bearer {}", claims(json!({"iss": "convergint", "iat": now}))))),
        ("wrong iss", Some(format!("Bearer {}", claims(json!({"iss": "mallory", "iat": now, "exp": now + 60}))))),
        ("no iss", Some(format!("Bearer {}", claims(json!({"iat": now, "exp": now + 60}))))),
        ("tampered payload", Some(format!("Bearer {gh}.{}.{gs}", b64_json(&tampered_claims)))),
        (
            "exp as a string",
            Some(format!("Bearer {}", claims(json!({"iss": "convergint", "iat": now, "exp": (now + 60).to_string()})))),
        ),
        (
            "lifetime two hours",
            Some(format!("Bearer {}", claims(json!({"iss": "convergint", "iat": now, "exp": now + 7200})))),
        ),
        (
            "iat in an hour",
            Some(format!("Bearer {}", claims(json!({"iss": "convergint", "iat": now + 3600, "exp": now + 3900})))),
        ),
    ];
    for (what, auth) in cases {
        let mut req = m.http.get(m.url("/api/v1/account/sites"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let (status, headers, body) = m.send(req).await;
        assert_eq!(status, 401, "{what}");
        assert!(headers["www-authenticate"].to_str().unwrap().starts_with("Bearer"), "{what}");
        assert!(SchemaId::Error.is_valid(&body), "{what}: {body}");
        assert!(body.get("sites").is_none(), "{what}: no data");
        let text = body.to_string();
        assert!(
            !text.contains("BEGIN") && !text.contains("jsonwebtoken") && !text.contains("backtrace"),
            "{what}: {text}"
        );
    }
}

#[tokio::test]
async fn bursts_of_bad_tokens_are_rate_limited() {
    let config = mock_vendor::MockConfig {
        rate_limit: mock_vendor::config::RateLimit {
            max_failures: 5,
            window: std::time::Duration::from_secs(60),
            retry_after_secs: 7,
        },
        ..test_config()
    };
    let m = Mock::start(config).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let (status, headers, _) = m.get_with_token("garbage", "/api/v1/account").await;
        if status == 429 {
            assert_eq!(headers["retry-after"], "7");
        }
        statuses.push(status);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
    let (status, _, _) = m.get(0, "/api/v1/account").await;
    assert_eq!(status, 200, "valid tokens still pass");
}
