//! Delivery throughput: a local account's followers on a signature-checking sink.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

// ---- 3. delivery ------------------------------------------------------------------------------

/// The remote servers' inboxes: counts signed POSTs and checks each signature.
#[derive(Default)]
pub(crate) struct Sink {
    /// The sender's public key, once known.
    pub(crate) key: OnceLock<String>,
    pub(crate) received: AtomicUsize,
    pub(crate) bad: AtomicUsize,
    /// Nanoseconds since `epoch` of the latest arrival.
    pub(crate) last: AtomicU64,
    pub(crate) arrivals: Mutex<Vec<Instant>>,
    pub(crate) epoch: OnceLock<Instant>,
    pub(crate) per_port: Mutex<BTreeMap<u16, usize>>,
}

pub(crate) async fn sink_inbox(State(sink): State<Arc<Sink>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let port = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.rsplit_once(':'))
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .unwrap_or(0);
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let request = RequestParts {
        method: parts.method.as_str().to_owned(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
        headers: parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
    };
    let valid = (|| {
        let key = sink.key.get()?;
        let sig = SignatureHeader::parse(request.header("signature")?).ok()?;
        signatures::verify_digest(request.header("digest")?, &body).ok()?;
        signatures::verify(&request, &sig, key).ok()
    })()
    .is_some();
    if !valid {
        sink.bad.fetch_add(1, Ordering::Relaxed);
    }
    if let Ok(mut p) = sink.per_port.lock() {
        *p.entry(port).or_default() += 1;
    }
    let epoch = *sink.epoch.get_or_init(Instant::now);
    let now = Instant::now();
    sink.last.fetch_max(
        now.saturating_duration_since(epoch).as_nanos() as u64,
        Ordering::Relaxed,
    );
    if let Ok(mut a) = sink.arrivals.lock() {
        a.push(now);
    }
    sink.received.fetch_add(1, Ordering::Relaxed);
    StatusCode::ACCEPTED.into_response()
}

pub(crate) struct DeliveryRound {
    pub(crate) posts: usize,
    pub(crate) expected: usize,
    pub(crate) received: usize,
    pub(crate) first_ms: f64,
    /// When half, and nine in ten, of the deliveries had arrived.
    pub(crate) half_secs: f64,
    pub(crate) p90_secs: f64,
    pub(crate) all_secs: f64,
}

impl DeliveryRound {
    pub(crate) fn rate(&self) -> f64 {
        self.received as f64 / self.all_secs
    }
}

pub(crate) struct DeliveryResult {
    pub(crate) followers: usize,
    pub(crate) servers: usize,
    pub(crate) single: DeliveryRound,
    pub(crate) burst: Option<DeliveryRound>,
    pub(crate) bad: usize,
    pub(crate) uneven: String,
    pub(crate) cpu: CpuSpent,
    pub(crate) deferred: f64,
    pub(crate) retried: f64,
    pub(crate) deliver_ms: f64,
    pub(crate) federate_ms: f64,
}

pub(crate) async fn post_status(http: &reqwest::Client, base: &str, token: &str, text: &str) {
    let r = http
        .post(format!("{base}/api/v1/statuses"))
        .bearer_auth(token)
        .form(&[("status", text)])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "posting: {}", r.status());
    let _ = r.bytes().await;
}

/// Posts `posts` statuses back to back and waits until the sink has `per_post` more for each.
pub(crate) async fn delivery_round(
    a: &Instance,
    sink: &Arc<Sink>,
    token: &str,
    posts: usize,
    per_post: usize,
) -> DeliveryRound {
    let http = reqwest::Client::new();
    let before = sink.received.load(Ordering::Relaxed);
    let expected = posts * per_post;
    let epoch = *sink.epoch.get_or_init(Instant::now);
    let start = Instant::now();
    for i in 0..posts {
        post_status(
            &http,
            &a.base,
            token,
            &format!("delivery benchmark post {i}"),
        )
        .await;
    }
    let mut first = None;
    let deadline = start + PATIENCE;
    loop {
        let got = sink.received.load(Ordering::Relaxed) - before;
        if first.is_none() && got > 0 {
            first = Some(start.elapsed());
        }
        if got >= expected || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let received = sink.received.load(Ordering::Relaxed) - before;
    let mut since: Vec<f64> = sink
        .arrivals
        .lock()
        .map(|a| {
            a.iter()
                .skip(before)
                .map(|t| t.saturating_duration_since(start).as_secs_f64())
                .collect()
        })
        .unwrap_or_default();
    since.sort_by(f64::total_cmp);
    // The last arrival as the sink saw it (not when this loop noticed it).
    let last = if received > 0 {
        epoch + Duration::from_nanos(sink.last.load(Ordering::Relaxed))
    } else {
        Instant::now()
    };
    DeliveryRound {
        posts,
        expected,
        received,
        first_ms: first.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        half_secs: percentile(&since, 0.5),
        p90_secs: percentile(&since, 0.9),
        all_secs: last.saturating_duration_since(start).as_secs_f64(),
    }
}

pub(crate) async fn bench_delivery(a: &Instance, client: &Handle) -> DeliveryResult {
    let followers = env_usize("BENCH_FOLLOWERS", 1000).max(1);
    let servers = env_usize("BENCH_SERVERS", 10).clamp(1, followers);
    let posts = env_usize("BENCH_DELIVERY_POSTS", 5);
    let sink = Arc::new(Sink::default());
    let router = Router::new().fallback(sink_inbox).with_state(sink.clone());
    let mut ports = Vec::new();
    for _ in 0..servers {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        ports.push(listener.local_addr().unwrap().port());
        serve_on(client, listener, router.clone());
    }
    let poster = a.local_account("poster").await;
    sink.key.set(poster.public_key_pem.clone()).unwrap();
    let token = a.token("poster").await;
    // The followers: remote accounts, each with its own inbox, spread over the ports.
    let seed_started = Instant::now();
    let any_key = KeyPair::generate().unwrap().public_key_pem();
    let now = a.services.clock.now();
    let mut tx = a.services.store.begin().await.unwrap();
    for i in 0..followers {
        let host = format!("127.0.0.1:{}", ports[i % servers]);
        let uri = format!("http://{host}/users/f{i}");
        let follower = Account {
            id: a.services.ids.next_id(),
            username: Username::parse(&format!("f{i}")).unwrap(),
            domain: Some(Domain::parse(&host).unwrap()),
            display_name: format!("Follower {i}"),
            note: String::new(),
            uri: Some(uri.clone()),
            url: Some(uri.clone()),
            inbox_url: Some(format!("{uri}/inbox")),
            shared_inbox_url: None,
            followers_url: Some(format!("{uri}/followers")),
            avatar_remote_url: None,
            header_remote_url: None,
            avatar_key: None,
            header_key: None,
            actor_type: ActorType::Person,
            public_key_pem: any_key.clone(),
            private_key_pem: None,
            locked: false,
            discoverable: true,
            profile: Default::default(),
            fields: Vec::new(),
            followers_count: 0,
            following_count: 1,
            statuses_count: 0,
            last_status_at: None,
            suspended_at: None,
            silenced_at: None,
            sensitized_at: None,
            fetched_at: Some(now),
            created_at: now,
            updated_at: now,
        };
        tx.insert_account(&follower).await.unwrap();
        tx.insert_follow(&a.follow(&follower, &poster).await)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    println!(
        "delivery: {followers} remote followers on {servers} ports seeded in {:.2} s",
        seed_started.elapsed().as_secs_f64()
    );

    let cpu_before = cpu();
    let single = delivery_round(a, &sink, &token, 1, followers).await;
    println!(
        "delivery: 1 post: {}/{} deliveries in {:.2} s",
        single.received, single.expected, single.all_secs
    );
    let burst = if posts > 0 {
        let r = delivery_round(a, &sink, &token, posts, followers).await;
        println!(
            "delivery: {posts} posts: {}/{} deliveries in {:.2} s",
            r.received, r.expected, r.all_secs
        );
        Some(r)
    } else {
        None
    };
    let cpu = cpu_spent(cpu_before, cpu());
    let counts: Vec<usize> = sink
        .per_port
        .lock()
        .map(|p| p.values().copied().collect())
        .unwrap_or_default();
    let uneven = format!(
        "{}–{} per port",
        counts.iter().min().copied().unwrap_or(0),
        counts.iter().max().copied().unwrap_or(0)
    );
    DeliveryResult {
        followers,
        servers,
        single,
        burst,
        bad: sink.bad.load(Ordering::Relaxed),
        uneven,
        cpu,
        deferred: a.job_metric("jobs_deferred_total", "deliver"),
        retried: a.job_metric("jobs_failed_total", "deliver"),
        deliver_ms: a.mean_job_ms("deliver"),
        federate_ms: a.mean_job_ms("federate"),
    }
}
