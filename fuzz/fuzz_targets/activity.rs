//! ActivityStreams documents as inboxes and fetches receive them: activities and actors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rookery_activitypub::vocab::{Activity, RemoteActor};

fuzz_target!(|data: &[u8]| {
    if let Ok(activity) = Activity::parse(data) {
        let _ = activity.check_authorship(&activity.actor);
        if let Some(object) = activity.embedded_object() {
            let _ = object.quote();
            if let Some((automatic, manual)) = object.quote_policy(None, None) {
                // Only the four flags Mastodon defines come out of a remote policy.
                assert!(automatic < 16 && manual < 16);
            }
        }
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
