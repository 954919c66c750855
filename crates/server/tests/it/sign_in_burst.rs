//! A burst of 200 concurrent sign-ins against a real `rookery serve`: password hashing takes
//! turns (each Argon2id hash needs 19 MiB), so the process's memory stays bounded however many
//! sign-ins arrive at once, and unknown logins cost the same work as known ones.

use std::time::Instant;

use rookery_testkit::{Backend, TempDir, TestDb};
use serde_json::Value;

use crate::e2e::{create_user, start_serve};

/// A `/proc/PID/status` memory figure, in KiB.
fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {status}"))
}

#[test]
fn a_burst_of_sign_ins_keeps_memory_bounded() {
    let db = TestDb::new(Backend::Sqlite);
    let dir = TempDir::new("rookery-burst").unwrap();
    let extra = vec![(
        "ROOKERY_RATE_LIMITS__ENABLED".to_owned(),
        "false".to_owned(),
    )];
    let (server, port) = start_serve(&db, &dir, &extra);
    create_user(&dir, &db, port, &extra, "alice");
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(burst(port, server.pid()));
}

async fn burst(port: u16, pid: u32) {
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let app: Value = client
        .post(format!("{base}/api/v1/apps"))
        .form(&[
            ("client_name", "burst"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = app["client_id"].as_str().unwrap().to_owned();
    let secret = app["client_secret"].as_str().unwrap().to_owned();
    let sign_in = |login: String| {
        let (client, base, id, secret) = (client.clone(), base.clone(), id.clone(), secret.clone());
        async move {
            client
                .post(format!("{base}/oauth/token"))
                .form(&[
                    ("grant_type", "password"),
                    ("client_id", id.as_str()),
                    ("client_secret", secret.as_str()),
                    ("username", login.as_str()),
                    ("password", "a good password"),
                    ("scope", "read"),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Warmed up: one sign-in before measuring.
    assert_eq!(sign_in("alice@example.com".into()).await, 200);
    let before = memory_kib(pid, "VmRSS:");

    let started = Instant::now();
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..200 {
        // Half the right login, half logins nobody has (hashed against a dummy all the same).
        let login = if i % 2 == 0 {
            "alice@example.com".to_owned()
        } else {
            format!("nobody{i}@example.com")
        };
        burst.spawn(sign_in(login));
    }
    let mut statuses = Vec::new();
    while let Some(status) = burst.join_next().await {
        statuses.push(status.unwrap());
    }
    let elapsed = started.elapsed();
    let peak = memory_kib(pid, "VmHWM:");
    let after = memory_kib(pid, "VmRSS:");
    println!(
        "200 concurrent sign-ins in {elapsed:?}: RSS {} MiB before, {} MiB after, peak {} MiB",
        before / 1024,
        after / 1024,
        peak / 1024
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        100,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        100,
        "{statuses:?}"
    );
    // Two hashes at a time, their memory kept: some tens of MiB over the resting size (the
    // requests themselves), never 200 × 19 MiB (nor the half gigabyte that allocating per
    // hash cost, through the allocator keeping memory per thread).
    assert!(
        peak < before + 200 * 1024,
        "peak {peak} KiB against {before} KiB at rest"
    );
}
