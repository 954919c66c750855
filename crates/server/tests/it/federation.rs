//! Federation policy as the use cases apply it.

use rookery_model::BlockSeverity;
use rookery_service::NewDomainBlock;
use rookery_testkit::Backend;

use crate::kit::{on_every_backend, spawn_with};

fn block(domain: &str, severity: &str) -> NewDomainBlock {
    NewDomainBlock {
        domain: domain.into(),
        severity: severity.into(),
        reject_media: false,
        reject_reports: false,
        private_comment: String::new(),
        public_comment: String::new(),
    }
}

async fn the_nearest_domain_block_applies(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let s = &app.services;
    s.block_domain(block("example.com", "silence"))
        .await
        .unwrap();
    s.block_domain(block("bad.example.com", "suspend"))
        .await
        .unwrap();
    let severity = |host: &'static str| async move {
        s.domain_block_for(host).await.unwrap().map(|b| b.severity)
    };
    assert_eq!(
        severity("a.bad.example.com").await,
        Some(BlockSeverity::Suspend)
    );
    assert_eq!(
        severity("BAD.example.com").await,
        Some(BlockSeverity::Suspend)
    );
    assert_eq!(
        severity("good.example.com").await,
        Some(BlockSeverity::Silence)
    );
    assert_eq!(severity("example.org").await, None);
    assert_eq!(severity("notexample.com").await, None);
    assert_eq!(severity("").await, None);
    // The instance's own domain (and its parents) cannot be blocked.
    assert!(
        s.block_domain(block("rookery.test", "suspend"))
            .await
            .is_err()
    );
    assert!(s.block_domain(block("test", "suspend")).await.is_err());
    let long = "x".repeat(1001);
    let mut b = block("c.example", "noop");
    b.private_comment = long;
    assert!(s.block_domain(b).await.is_err());
}

on_every_backend!(the_nearest_domain_block_applies);
