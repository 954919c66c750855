//! Domain blocks, on every engine.

use rookery_model::{BlockSeverity, Domain, DomainBlock, Id, Timestamp, domain_and_parents};
use rookery_store::Store;

use super::{Ctx, T0};

fn block(domain: &str, severity: BlockSeverity, at: i64) -> DomainBlock {
    DomainBlock {
        id: Id::from_i64((T0 + at) << 16 | domain.len() as i64),
        domain: Domain::parse(domain).unwrap(),
        severity,
        reject_media: false,
        reject_reports: false,
        private_comment: "spam wave; see ticket 12".into(),
        public_comment: String::new(),
        obfuscate: false,
        created_at: Timestamp::from_millis(T0 + at),
        updated_at: Timestamp::from_millis(T0 + at),
    }
}

pub async fn domain_blocks_upsert_match_parents_and_delete(ctx: Ctx) {
    let s = &ctx.store;
    assert!(s.domain_blocks().await.unwrap().is_empty());
    let mut tx = s.begin().await.unwrap();
    tx.put_domain_block(&block("bad.example", BlockSeverity::Suspend, 0))
        .await
        .unwrap();
    tx.put_domain_block(&block("loud.example", BlockSeverity::Silence, 0))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // A subdomain matches its parent's block; unrelated and look-alike domains do not.
    let hits = s
        .domain_blocks_matching(&domain_and_parents("cdn.bad.example"))
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].severity, BlockSeverity::Suspend);
    assert_eq!(hits[0].private_comment, "spam wave; see ticket 12");
    for other in ["notbad.example", "example", "good.example"] {
        assert!(
            s.domain_blocks_matching(&domain_and_parents(other))
                .await
                .unwrap()
                .is_empty(),
            "{other}"
        );
    }
    assert!(s.domain_blocks_matching(&[]).await.unwrap().is_empty());

    // Replacing keeps the creation time and changes the rest.
    let mut changed = block("loud.example", BlockSeverity::Noop, 5_000);
    changed.reject_media = true;
    let mut tx = s.begin().await.unwrap();
    tx.put_domain_block(&changed).await.unwrap();
    tx.commit().await.unwrap();
    let all = s.domain_blocks().await.unwrap();
    assert_eq!(
        all.iter().map(|b| b.domain.as_str()).collect::<Vec<_>>(),
        ["bad.example", "loud.example"]
    );
    let loud = &all[1];
    assert_eq!(loud.severity, BlockSeverity::Noop);
    assert!(loud.reject_media);
    assert_eq!(loud.created_at, Timestamp::from_millis(T0));
    assert_eq!(loud.updated_at, Timestamp::from_millis(T0 + 5_000));

    let mut tx = s.begin().await.unwrap();
    assert!(tx.delete_domain_block("bad.example").await.unwrap());
    assert!(!tx.delete_domain_block("bad.example").await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(s.domain_blocks().await.unwrap().len(), 1);
}
