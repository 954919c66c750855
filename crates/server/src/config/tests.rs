use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn write(text: &str) -> (rookery_testkit::TempDir, PathBuf) {
    let dir = rookery_testkit::TempDir::new("rookery-config").unwrap();
    let path = dir.path().join("rookery.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn no_config_at_all_gives_a_working_default() {
    let r = load(None, env(&[])).unwrap().resolve(None).unwrap();
    assert_eq!(r.listen.to_string(), "127.0.0.1:3000");
    assert_eq!(r.settings.domain.as_str(), "localhost:3000");
    assert!(!r.settings.https);
    assert_eq!(r.db.url, "sqlite://./data/rookery.db");
    assert!(r.auto_migrate);
}

#[test]
fn the_example_is_valid_and_matches_the_defaults() {
    let (_d, path) = write(EXAMPLE);
    let from_example = load(Some(&path), env(&[])).unwrap().resolve(None).unwrap();
    let defaults = load(None, env(&[])).unwrap().resolve(None).unwrap();
    assert_eq!(from_example.listen, defaults.listen);
    assert_eq!(from_example.db.url, defaults.db.url);
    assert_eq!(from_example.settings.title, defaults.settings.title);
    assert_eq!(
        from_example.settings.federation,
        defaults.settings.federation
    );
    assert_eq!(from_example.settings.trends, defaults.settings.trends);
    assert_eq!(from_example.mx_dns, defaults.mx_dns);
    assert_eq!(
        from_example.transport.per_host_concurrency,
        defaults.transport.per_host_concurrency
    );
}

#[test]
fn federation_options_are_checked() {
    let r = load(
        None,
        env(&[
            ("ROOKERY_FEDERATION__AUTHORIZED_FETCH", "true"),
            ("ROOKERY_FEDERATION__ALLOWED_ADDRESSES", "[\"10.0.0.7\"]"),
            ("ROOKERY_FEDERATION__ALLOW_PRIVATE_ADDRESSES", "true"),
        ]),
    )
    .unwrap()
    .resolve(None)
    .unwrap();
    assert!(r.settings.federation.authorized_fetch);
    assert!(r.transport.fetch.allow_private_addresses);
    assert!(r.transport.fetch.user_agent.starts_with("Rookery/"));
    for (key, value, option) in [
        (
            "ROOKERY_FEDERATION__INBOX_MAX_BYTES",
            "10485760",
            "federation.inbox_max_bytes",
        ),
        (
            "ROOKERY_FEDERATION__MAX_CLOCK_SKEW_SECS",
            "0",
            "federation.max_clock_skew_secs",
        ),
        (
            "ROOKERY_FEDERATION__ALLOWED_ADDRESSES",
            "[\"not-an-ip\"]",
            "federation.allowed_addresses",
        ),
        (
            "ROOKERY_FEDERATION__EXTRA_CA_FILE",
            "/nonexistent/ca.pem",
            "federation.extra_ca_file",
        ),
        (
            "ROOKERY_FEDERATION__PER_HOST_CONCURRENCY",
            "0",
            "federation",
        ),
    ] {
        let e = load(None, env(&[(key, value)]))
            .and_then(|c| c.resolve(None))
            .err()
            .unwrap_or_else(|| panic!("{key}={value} was accepted"));
        assert_eq!(e.option, option, "{key}={value}: {e}");
    }
}

#[test]
fn environment_overrides_the_file() {
    let (_d, path) = write("[database]\nurl = \"sqlite://x.db\"\nmax_connections = 3\n");
    let c = load(
        Some(&path),
        env(&[
            (
                "ROOKERY_DATABASE__URL",
                "postgres://u:p@db.example:5432/rookery",
            ),
            ("ROOKERY_DATABASE__MAX_CONNECTIONS", "20"),
            ("ROOKERY_SERVER__HTTPS", "true"),
            ("ROOKERY_INSTANCE__TITLE", "2024"),
            ("ROOKERY_DATA_DIR", "/srv/rookery"),
            ("ROOKERY_CONFIG", "ignored"),
            ("OTHER", "ignored"),
        ]),
    )
    .unwrap();
    assert_eq!(
        c.database.url.as_deref(),
        Some("postgres://u:p@db.example:5432/rookery")
    );
    assert_eq!(c.database.max_connections, 20);
    assert_eq!(c.server.https, Some(true));
    assert_eq!(c.instance.title.as_deref(), Some("2024"));
    assert_eq!(c.data_dir, Some(PathBuf::from("/srv/rookery")));
    let r = c.resolve(Some(Path::new("/flag"))).unwrap();
    assert_eq!(r.data_dir, PathBuf::from("/flag"));
    assert!(!r.auto_migrate);
}

#[test]
fn unknown_keys_are_named() {
    let (_d, path) = write("[database]\nurll = \"x\"\n");
    let e = load(Some(&path), env(&[])).unwrap_err();
    assert_eq!(e.option, "database.urll");
    assert!(e.reason.contains("unknown field"), "{e}");

    let (_d, path) = write("colour = 1\n");
    assert_eq!(load(Some(&path), env(&[])).unwrap_err().option, "colour");

    let e = load(None, env(&[("ROOKERY_SERVER__PORT", "1")])).unwrap_err();
    assert_eq!(e.option, "server.port");
    assert!(e.reason.contains("ROOKERY_SERVER__PORT"), "{e}");
}

#[test]
fn wrong_types_and_bad_values_are_named() {
    let (_d, path) = write("[database]\nmax_connections = \"many\"\n");
    assert_eq!(
        load(Some(&path), env(&[])).unwrap_err().option,
        "database.max_connections"
    );
    let e = load(None, env(&[("ROOKERY_DATABASE__MAX_CONNECTIONS", "lots")])).unwrap_err();
    assert_eq!(e.option, "database.max_connections");

    let bad = |toml: &str| {
        let (_d, path) = write(toml);
        load(Some(&path), env(&[]))
            .unwrap()
            .resolve(None)
            .unwrap_err()
    };
    assert_eq!(
        bad("[database]\nurl = \"mysql://x\"\n").option,
        "database.url"
    );
    assert_eq!(
        bad("[database]\nurl = \"postgres://\"\n").option,
        "database.url"
    );
    assert_eq!(
        bad("[database]\nurl = \"postgres://u:secret@ho st/db\"\n").option,
        "database.url"
    );
    assert!(
        !bad("[database]\nurl = \"postgres://u:secret@ho st/db\"\n")
            .reason
            .contains("secret")
    );
    assert_eq!(bad("[server]\nlisten = \"3000\"\n").option, "server.listen");
    assert_eq!(
        bad("[server]\ndomain = \"exa mple.com\"\n").option,
        "server.domain"
    );
    assert_eq!(
        bad("[instance]\nregistrations = \"maybe\"\n").option,
        "instance.registrations"
    );
    assert_eq!(
        bad("[instance]\nterms_of_service = \"Be kind.\"\n").option,
        "instance.terms_of_service_date"
    );
    assert_eq!(
        bad("[server]\ntrusted_proxies = [\"10.0.0.0/40\"]\n").option,
        "server.trusted_proxies"
    );
    assert_eq!(
        bad("[instance]\nrules = [\"  \"]\n").option,
        "instance.rules"
    );
    assert_eq!(
        bad(&format!("[instance]\nrules = [\"{}\"]\n", "x".repeat(301))).option,
        "instance.rules"
    );
    for date in ["2026-13-01", "2026-1-1", "tomorrow", ""] {
        assert_eq!(
            bad(&format!("[instance]\nterms_of_service_date = \"{date}\"\n")).option,
            "instance.terms_of_service_date",
            "{date}"
        );
    }
    assert_eq!(bad("[log]\nformat = \"xml\"\n").option, "log.format");
    assert_eq!(
        bad("[log]\nlevel = \"rookery=shouty\"\n").option,
        "log.level"
    );
}

#[test]
fn malformed_toml_is_one_line() {
    let (_d, path) = write("[database\nurl = ");
    let e = load(Some(&path), env(&[])).unwrap_err();
    assert_eq!(e.option, "config");
    assert!(!e.to_string().contains('\n'), "{e}");
}

#[test]
fn missing_file_is_reported() {
    let e = load(Some(Path::new("/nonexistent/rookery.toml")), env(&[])).unwrap_err();
    assert!(e.reason.contains("cannot read"), "{e}");
}

#[test]
fn unwritable_data_dir_is_reported() {
    let (_d, path) = write("");
    // A regular file cannot be a directory, whoever we are.
    let e = prepare_data_dir(&path.join("sub")).unwrap_err();
    assert_eq!(e.option, "data_dir");
}

#[test]
fn https_default_follows_the_domain() {
    let r = load(None, env(&[("ROOKERY_SERVER__DOMAIN", "social.example")]))
        .unwrap()
        .resolve(None)
        .unwrap();
    assert!(r.settings.https);
}

#[test]
fn trends_are_on_without_review_unless_configured() {
    let r = load(None, env(&[])).unwrap().resolve(None).unwrap();
    assert!(r.settings.trends.enabled);
    assert!(!r.settings.trends.review);
    let r = load(
        None,
        env(&[
            ("ROOKERY_TRENDS__ENABLED", "false"),
            ("ROOKERY_TRENDS__REVIEW", "true"),
        ]),
    )
    .unwrap()
    .resolve(None)
    .unwrap();
    assert!(!r.settings.trends.enabled);
    assert!(r.settings.trends.review);
}

#[test]
fn smtp_settings_are_checked_at_start_up() {
    let resolve = |pairs: &[(&str, &str)]| {
        let mut all = vec![("ROOKERY_SERVER__DOMAIN", "social.example:8443")];
        all.extend_from_slice(pairs);
        load(None, env(&all)).unwrap().resolve(None)
    };
    // Off without a host.
    assert!(resolve(&[]).unwrap().smtp.is_none());
    let r = resolve(&[("ROOKERY_SMTP__HOST", "smtp.example")]).unwrap();
    let smtp = r.smtp.unwrap();
    assert_eq!(smtp.port, 587);
    assert_eq!(smtp.from, "notifications@social.example");
    let r = resolve(&[
        ("ROOKERY_SMTP__HOST", "smtp.example"),
        ("ROOKERY_SMTP__SECURITY", "tls"),
    ]);
    assert_eq!(r.unwrap().smtp.unwrap().port, 465);
    let e = resolve(&[
        ("ROOKERY_SMTP__HOST", "smtp.example"),
        ("ROOKERY_SMTP__SECURITY", "ssl"),
    ])
    .unwrap_err();
    assert_eq!(e.option, "smtp.security");
    // A password in clear to another machine is refused; to this one it is allowed.
    let e = resolve(&[
        ("ROOKERY_SMTP__HOST", "smtp.example"),
        ("ROOKERY_SMTP__SECURITY", "none"),
        ("ROOKERY_SMTP__USERNAME", "u"),
        ("ROOKERY_SMTP__PASSWORD", "p"),
    ])
    .unwrap_err();
    assert_eq!(e.option, "smtp.security");
    assert!(
        resolve(&[
            ("ROOKERY_SMTP__HOST", "127.0.0.1"),
            ("ROOKERY_SMTP__SECURITY", "none"),
            ("ROOKERY_SMTP__USERNAME", "u"),
            ("ROOKERY_SMTP__PASSWORD", "p"),
        ])
        .is_ok()
    );
    let e = resolve(&[
        ("ROOKERY_SMTP__HOST", "smtp.example"),
        ("ROOKERY_SMTP__USERNAME", "u"),
    ])
    .unwrap_err();
    assert_eq!(e.option, "smtp.username");
    let e = resolve(&[
        ("ROOKERY_SMTP__HOST", "smtp.example"),
        ("ROOKERY_SMTP__FROM", "not an address\r\nBcc: x@y"),
    ])
    .unwrap_err();
    assert_eq!(e.option, "smtp.from");
    // A test instance on an IP address gets a sender that is an address.
    let r = load(
        None,
        env(&[
            ("ROOKERY_SERVER__DOMAIN", "127.0.0.1:3000"),
            ("ROOKERY_SMTP__HOST", "127.0.0.1"),
            ("ROOKERY_SMTP__SECURITY", "none"),
        ]),
    )
    .unwrap()
    .resolve(None)
    .unwrap();
    assert_eq!(r.smtp.unwrap().from, "notifications@localhost");
}

#[test]
fn mx_lookups_are_on_by_default_and_checked() {
    let resolve = |pairs: &[(&str, &str)]| load(None, env(pairs)).unwrap().resolve(None);
    let dns = resolve(&[]).unwrap().mx_dns.unwrap();
    assert_eq!(dns.server, None);
    assert_eq!(dns.timeout, std::time::Duration::from_secs(5));
    let dns = resolve(&[
        ("ROOKERY_EMAIL_DOMAIN_BLOCKS__DNS_SERVER", "127.0.0.1:5353"),
        ("ROOKERY_EMAIL_DOMAIN_BLOCKS__DNS_TIMEOUT_SECONDS", "2"),
    ])
    .unwrap()
    .mx_dns
    .unwrap();
    assert_eq!(dns.server, Some(SocketAddr::from(([127, 0, 0, 1], 5353))));
    assert_eq!(dns.timeout, std::time::Duration::from_secs(2));
    let off = resolve(&[("ROOKERY_EMAIL_DOMAIN_BLOCKS__CHECK_MX", "false")]).unwrap();
    assert!(off.mx_dns.is_none());
    let e = resolve(&[("ROOKERY_EMAIL_DOMAIN_BLOCKS__DNS_SERVER", "dns.example")]).unwrap_err();
    assert_eq!(e.option, "email_domain_blocks.dns_server");
    let e = resolve(&[("ROOKERY_EMAIL_DOMAIN_BLOCKS__DNS_TIMEOUT_SECONDS", "0")]).unwrap_err();
    assert_eq!(e.option, "email_domain_blocks.dns_timeout_seconds");
}
