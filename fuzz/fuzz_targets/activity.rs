//! ActivityStreams documents as inboxes and fetches receive them: activities and actors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rookery_activitypub::vocab::{Activity, RemoteActor};

fuzz_target!(|data: &[u8]| {
    if let Ok(activity) = Activity::parse(data) {
        let _ = activity.check_authorship(&activity.actor);
    }
    if let Ok(actor) = RemoteActor::parse(data) {
        let _ = actor.delivery_inbox();
        assert!(
            actor
                .assertion_method
                .iter()
                .all(|k| k.controller == actor.id)
        );
    }
});
