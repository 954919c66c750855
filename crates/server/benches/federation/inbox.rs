//! Inbox throughput: signed `Create` activities from a fake remote server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

// ---- 2. inbox ---------------------------------------------------------------------------------

/// The fake remote server's actor.
pub(crate) struct Remote {
    pub(crate) key: KeyPair,
    pub(crate) base: String,
    pub(crate) actor: String,
}

pub(crate) fn remote_router(remote: &Arc<Remote>) -> Router {
    let r = remote.clone();
    let actor = move || {
        let r = r.clone();
        async move {
            let doc = json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": r.actor,
                "type": "Person",
                "preferredUsername": "s",
                "name": "Sender",
                "inbox": format!("{}/inbox", r.actor),
                "outbox": format!("{}/outbox", r.actor),
                "followers": format!("{}/followers", r.actor),
                "endpoints": { "sharedInbox": format!("{}/inbox", r.base) },
                "publicKey": {
                    "id": format!("{}#main-key", r.actor),
                    "owner": r.actor,
                    "publicKeyPem": r.key.public_key_pem(),
                },
            });
            (
                [(header::CONTENT_TYPE, "application/activity+json")],
                doc.to_string(),
            )
        }
    };
    let r = remote.clone();
    let webfinger = move || {
        let r = r.clone();
        async move {
            let host = r.base.trim_start_matches("http://").to_owned();
            axum::Json(json!({
                "subject": format!("acct:s@{host}"),
                "links": [{ "rel": "self", "type": "application/activity+json", "href": r.actor }],
            }))
        }
    };
    Router::new()
        .route("/users/s", axum::routing::get(actor))
        .route("/.well-known/webfinger", axum::routing::get(webfinger))
        .fallback(|| async { StatusCode::ACCEPTED })
}

/// A signed `Create(Note)`, ready to send.
pub(crate) struct Prepared {
    pub(crate) body: Vec<u8>,
    pub(crate) headers: Vec<(String, String)>,
}

pub(crate) fn prepare(remote: &Remote, target_host: &str, tag: &str, i: usize) -> Prepared {
    let now = SystemClock.now();
    let note = format!("{}/statuses/{tag}-{i}", remote.actor);
    let followers = format!("{}/followers", remote.actor);
    let body = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note}/activity"),
        "type": "Create",
        "actor": remote.actor,
        "published": now.to_rfc3339(),
        "to": [PUBLIC],
        "cc": [followers],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": remote.actor,
            "published": now.to_rfc3339(),
            "url": note,
            "to": [PUBLIC],
            "cc": [followers],
            "content": format!("<p>Inbox benchmark note number {i}, with a little text in it \
                so that it looks like a post someone would write.</p>"),
        },
    })
    .to_string()
    .into_bytes();
    let mut parts = RequestParts {
        method: "POST".into(),
        path_and_query: "/inbox".into(),
        headers: vec![
            ("host".into(), target_host.to_owned()),
            ("date".into(), signatures::http_date(now.as_millis() / 1000)),
            ("digest".into(), signatures::digest_header(&body)),
            ("content-type".into(), "application/activity+json".into()),
        ],
    };
    let signature = signatures::sign(
        &parts,
        &remote.key,
        &format!("{}#main-key", remote.actor),
        &SIGNED,
    )
    .unwrap();
    parts.headers.push(("signature".into(), signature));
    Prepared {
        body,
        headers: parts.headers,
    }
}

/// Sends every request with `senders` concurrent connections; (per-request latency in ms by
/// status code, time until the last answer).
pub(crate) async fn send_all(
    url: String,
    requests: Vec<Prepared>,
    senders: usize,
) -> (BTreeMap<u16, Vec<f64>>, Duration) {
    let http = reqwest::Client::new();
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..senders {
        let (http, requests, next, url) =
            (http.clone(), requests.clone(), next.clone(), url.clone());
        tasks.spawn(async move {
            let mut out: Vec<(u16, f64)> = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = requests.get(i) else { break };
                let mut r = http.post(&url).body(p.body.clone());
                for (k, v) in &p.headers {
                    r = r.header(k.as_str(), v.as_str());
                }
                let t = Instant::now();
                let status = match r.send().await {
                    Ok(resp) => {
                        let s = resp.status().as_u16();
                        let _ = resp.bytes().await;
                        s
                    }
                    Err(_) => 0,
                };
                out.push((status, t.elapsed().as_secs_f64() * 1000.0));
            }
            out
        });
    }
    let mut by_status: BTreeMap<u16, Vec<f64>> = BTreeMap::new();
    while let Some(done) = tasks.join_next().await {
        for (s, ms) in done.unwrap() {
            by_status.entry(s).or_default().push(ms);
        }
    }
    (by_status, start.elapsed())
}

/// What the database showed while the inbox was being fed.
#[derive(Default)]
pub(crate) struct Progress {
    /// When all notes were stored as statuses / were in the home feed (since the start).
    pub(crate) stored: Option<Duration>,
    pub(crate) in_feed: Option<Duration>,
    pub(crate) stored_count: i64,
    pub(crate) feed_count: i64,
    pub(crate) max_ingress_backlog: i64,
    pub(crate) max_default_backlog: i64,
}

/// Polls until the remote author has `target` statuses and the follower's feed `target` rows.
pub(crate) async fn watch_inbox(
    url: String,
    author: i64,
    reader: i64,
    target: i64,
    start: Instant,
) -> Progress {
    let mut probe = Probe::open(&url).await;
    let sql = "SELECT (SELECT count(*) FROM statuses WHERE account_id = $1), \
         (SELECT count(*) FROM home_feed WHERE account_id = $2), \
         (SELECT count(*) FROM jobs WHERE queue = 'ingress' AND state = 'ready'), \
         (SELECT count(*) FROM jobs WHERE queue = 'default' AND state = 'ready')";
    let mut p = Progress::default();
    while start.elapsed() < PATIENCE {
        let row = probe.row(sql, author, reader).await;
        p.stored_count = row[0];
        p.feed_count = row[1];
        p.max_ingress_backlog = p.max_ingress_backlog.max(row[2]);
        p.max_default_backlog = p.max_default_backlog.max(row[3]);
        if p.stored.is_none() && row[0] >= target {
            p.stored = Some(start.elapsed());
        }
        if p.in_feed.is_none() && row[1] >= target {
            p.in_feed = Some(start.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    p
}

pub(crate) struct InboxResult {
    pub(crate) n: usize,
    pub(crate) senders: usize,
    pub(crate) accepted: usize,
    pub(crate) other: String,
    pub(crate) accept_secs: f64,
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) max: f64,
    pub(crate) progress: Progress,
    pub(crate) cpu: CpuSpent,
    pub(crate) ingress_ms: f64,
    pub(crate) fanout_ms: f64,
}

pub(crate) async fn bench_inbox(a: &Instance, db: &BenchDb, client: &Handle) -> InboxResult {
    let n = env_usize("BENCH_ACTIVITIES", 2000).max(1);
    let senders = env_usize("BENCH_SENDERS", 16).max(1);
    // The remote server, and a local account following its actor.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let remote = Arc::new(Remote {
        key: KeyPair::generate().unwrap(),
        actor: format!("{base}/users/s"),
        base: base.clone(),
    });
    serve_on(client, listener, remote_router(&remote));
    let author = a
        .services
        .resolve_acct("s", base.trim_start_matches("http://"))
        .await
        .unwrap_or_else(|e| panic!("the remote actor did not resolve: {e}"));
    let reader = a.local_account("reader").await;
    let follow = a.follow(&reader, &author).await;
    let mut tx = a.services.store.begin().await.unwrap();
    tx.insert_follow(&follow).await.unwrap();
    tx.commit().await.unwrap();

    let url = format!("{}/inbox", a.base);
    let warm = 50.min(n);
    let sign_started = Instant::now();
    let (warmup, requests) = {
        let (remote, host) = (remote.clone(), a.domain.clone());
        client
            .spawn(async move {
                let warmup: Vec<Prepared> = (0..warm)
                    .map(|i| prepare(&remote, &host, "warm", i))
                    .collect();
                let requests: Vec<Prepared> =
                    (0..n).map(|i| prepare(&remote, &host, "run", i)).collect();
                (warmup, requests)
            })
            .await
            .unwrap()
    };
    println!(
        "inbox: {n} activities (+{warm} warm-up) signed in {:.2} s beforehand",
        sign_started.elapsed().as_secs_f64()
    );
    // Warm-up: connections, caches, the worker's first claims.
    client
        .spawn(send_all(url.clone(), warmup, senders))
        .await
        .unwrap();
    let warm_progress = client
        .spawn(watch_inbox(
            db.url.clone(),
            author.id.as_i64(),
            reader.id.as_i64(),
            warm as i64,
            Instant::now(),
        ))
        .await
        .unwrap();
    if warm_progress.in_feed.is_none() {
        println!(
            "inbox: warm-up did not complete ({} stored, {} in the feed)",
            warm_progress.stored_count, warm_progress.feed_count
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let cpu_before = cpu();
    let start = Instant::now();
    let watcher = client.spawn(watch_inbox(
        db.url.clone(),
        author.id.as_i64(),
        reader.id.as_i64(),
        (warm + n) as i64,
        start,
    ));
    let (by_status, accept_time) = client
        .spawn(send_all(url, requests, senders))
        .await
        .unwrap();
    let progress = watcher.await.unwrap();
    let cpu = cpu_spent(cpu_before, cpu());

    let mut ok = by_status.get(&202).cloned().unwrap_or_default();
    ok.sort_by(f64::total_cmp);
    let other = by_status
        .iter()
        .filter(|(s, _)| **s != 202)
        .map(|(s, l)| {
            format!(
                "{} × {}",
                l.len(),
                if *s == 0 {
                    "error".into()
                } else {
                    s.to_string()
                }
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    InboxResult {
        n,
        senders,
        accepted: ok.len(),
        other,
        accept_secs: accept_time.as_secs_f64(),
        p50: percentile(&ok, 0.5),
        p99: percentile(&ok, 0.99),
        max: ok.last().copied().unwrap_or(f64::NAN),
        progress: Progress {
            stored_count: progress.stored_count - warm as i64,
            feed_count: progress.feed_count - warm as i64,
            ..progress
        },
        cpu,
        ingress_ms: a.mean_job_ms("ingress"),
        fanout_ms: a.mean_job_ms("fanout"),
    }
}
