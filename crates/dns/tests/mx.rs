//! MX lookups against a real DNS server (dnsmasq, Debian `dnsmasq-base`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use std::time::{Duration, Instant};

use rookery_dns::{DnsError, DnsSettings, MxLookup};
use rookery_testkit::DnsServer;

fn asking(addr: &str, secs: u64) -> MxLookup {
    MxLookup::new(&DnsSettings {
        server: Some(addr.parse().unwrap()),
        timeout: Duration::from_secs(secs),
    })
    .unwrap()
}

#[tokio::test]
async fn exchangers_come_in_preference_order_lower_cased() {
    // dnsmasq gives the records preferences 10, 11, 12 in this order.
    let dns = DnsServer::start(&[
        ("shop.example", "MX1.Provider.example"),
        ("shop.example", "mx2.provider.example"),
        ("shop.example", "mx1.provider.example"),
    ])
    .unwrap();
    let mx = asking(&dns.addr(), 2);
    assert_eq!(
        mx.mx_hosts("Shop.Example.").await.unwrap(),
        ["mx1.provider.example", "mx2.provider.example"]
    );
    // A name the server will not answer for is an error, not an empty list.
    assert!(mx.mx_hosts("elsewhere.example").await.is_err());
    assert!(matches!(mx.mx_hosts(" ").await, Err(DnsError::Name(..))));
}

#[tokio::test]
async fn a_silent_server_costs_the_timeout_at_most() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mx = asking(&silent.local_addr().unwrap().to_string(), 1);
    let started = Instant::now();
    assert!(mx.mx_hosts("shop.example").await.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}
