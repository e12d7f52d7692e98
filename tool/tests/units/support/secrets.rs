use paved::support::secrets::*;
use serde_json::json;

#[test]
fn names_of_secrets() {
    for name in [
        "DB_PASSWORD",
        "dbPassword",
        "db-password",
        "spring.datasource.password",
        "DBPASSWORD",
        "PSP_API_KEY",
        "apiKey",
        "GITHUB_TOKEN",
        "CLIENT_SECRET",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID_AND_SECRET",
        "JWT_SIGNING_KEY",
        "GOOGLE_APPLICATION_CREDENTIALS_JSON",
        "ssh_private_key",
        "--api-token",
        "SECRETS",
    ] {
        assert!(secret_name(name).is_some(), "{name}");
    }
    for name in [
        "LOG_LEVEL",
        "TOKEN_TTL",
        "PASSWORD_MIN_LENGTH",
        "DB_PASSWORD_FILE",
        "SECRET_NAME",
        "TOKENIZER_MODEL",
        "AUTH_TOKEN_URL",
        "CONSUMER_GROUP",
        "FEATURE_NEW_BASKET",
        "INDEX_REFRESH_SECONDS",
        "MAX_IN_FLIGHT",
        "PSP_MODE",
        "KEYBOARD",
        "CACHE_KEY_PREFIX",
        "PWD",
    ] {
        assert_eq!(secret_name(name), None, "{name}");
    }
}

#[test]
fn values_under_secret_names() {
    assert!(detect(Some("DB_PASSWORD"), "hunter2").is_some());
    for harmless in [
        "",
        "  ",
        "3600",
        "true",
        "${DB_PASSWORD}",
        "/run/secrets/db",
    ] {
        assert_eq!(detect(Some("DB_PASSWORD"), harmless), None, "{harmless}");
    }
    assert_eq!(detect(Some("LOG_LEVEL"), "hunter2"), None);
}

#[test]
fn token_runs_split_at_every_other_character() {
    let runs: Vec<&str> = token_runs("a-b+c/d= x.y\u{e9}z__").collect();
    assert_eq!(runs, ["a-b+c/d=", "x", "y", "z__"]);
    assert_eq!(token_runs("").count(), 0);
    assert_eq!(token_runs(" .. ").count(), 0);
}

#[test]
fn shapes_of_secrets() {
    let shaped = [
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "AKIAIOSFODNN7EXAMPLE",
        "key=AKIAIOSFODNN7EXAMPLE;",
        "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKl",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "postgres://app:hunter2@db.internal:5432/orders",
        "redis://:s3cr3tPass@cache:6379",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "Bearer abcdef123456",
        "Basic dXNlcjpwYXNz",
        "Zq8vN3xR7tK2mW9pL4sY6hB1",
    ];
    for value in shaped {
        assert!(secret_shape(value).is_some(), "{value}");
    }
    let plain = [
        "order-events",
        "sandbox",
        "tee, t-shirt, tshirt\nsneaker, trainer, running shoe\n",
        "registry.northwind.dev/storefront/web-shop:2.14.0",
        "sha256:5f1b2c9a0e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180716f5e4d3c2b1a090",
        "5f1b2c9a0e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180716f5e4d3c2b1a090",
        "123e4567-e89b-12d3-a456-426614174000",
        "https://login.northwind.dev/oauth/token",
        "postgres://db.internal:5432/orders",
        "postgres://app:${DB_PASSWORD}@db.internal:5432/orders",
        "/etc/web-shop/application-config.properties",
        "com.northwind.storefront.WebShopApplication",
        "--spring.profiles.active=production",
        "MyApplicationStarterService2",
        "io.opentelemetry.exporter.otlp.OtlpGrpcSpanExporter",
        "AKIA is not a key",
    ];
    for value in plain {
        assert_eq!(secret_shape(value), None, "{value}");
    }
}

#[test]
fn scans_config_maps_containers_and_files() {
    let config = json!({
        "kind": "ConfigMap",
        "metadata": {"name": "web-env"},
        "data": {
            "DB_PASSWORD": "hunter2",
            "LOG_LEVEL": "info",
            "app.properties": "server.port=8080\nspring.datasource.password=hunter2\n",
        },
    });
    let hits = scan(&config);
    let names: Vec<&str> = hits.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["DB_PASSWORD", "app.properties"]);
    assert_eq!(hits[1].secret, "hunter2");

    let deployment = json!({
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{
            "name": "app",
            "env": [{"name": "API_TOKEN", "value": "abc123def"}, {"name": "MODE", "value": "live"}],
            "args": ["--db-password", "hunter2", "--mode=live", "--api-key=s3cret"],
            "command": ["run", "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"],
        }]}}},
    });
    let hits = scan(&deployment);
    let found: Vec<(&str, &str)> = hits
        .iter()
        .map(|h| (h.name.as_str(), h.pointer.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("API_TOKEN", "/spec/template/spec/containers/0/env/0/value"),
            ("command[1]", "/spec/template/spec/containers/0/command/1"),
            ("args[1]", "/spec/template/spec/containers/0/args/1"),
            ("args[3]", "/spec/template/spec/containers/0/args/3"),
        ]
    );
    assert_eq!(hits[3].secret, "s3cret");

    let probed = json!({
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"template": {
            "metadata": {"annotations": {"note": "AKIAIOSFODNN7EXAMPLE"}},
            "spec": {"containers": [{
                "name": "app",
                "livenessProbe": {"httpGet": {"path": "/", "port": 80, "httpHeaders": [{"name": "Authorization", "value": "hunter2hunter2"}]}},
                "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", "curl -H 'X: ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789' x"]}}},
            }]},
        }},
    });
    let found: Vec<String> = scan(&probed).into_iter().map(|h| h.pointer).collect();
    assert_eq!(
        found,
        [
            "/spec/template/metadata/annotations/note",
            "/spec/template/spec/containers/0/livenessProbe/httpGet/httpHeaders/0/value",
            "/spec/template/spec/containers/0/lifecycle/preStop/exec/command/2",
        ]
    );
}
