//! The queues (Mastodon's names where they exist, same meaning).

use std::collections::BTreeMap;
use std::fmt;

/// A queue. Each worker process runs some of them, each with its own concurrency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Queue {
    /// Local side effects: fan-out, notifications, indexing, link previews.
    Default,
    /// Processing activities received in inboxes.
    Ingress,
    /// Delivering activities to remote inboxes.
    Push,
    /// Fetching remote actors, objects, collections and media.
    Pull,
    /// E-mail.
    Mailers,
    /// Thumbnails, transcoding, metadata stripping.
    Media,
    /// Periodic maintenance.
    Scheduler,
}

impl Queue {
    /// Every queue.
    pub const ALL: [Queue; 7] = [
        Queue::Default,
        Queue::Ingress,
        Queue::Push,
        Queue::Pull,
        Queue::Mailers,
        Queue::Media,
        Queue::Scheduler,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Default => "default",
            Queue::Ingress => "ingress",
            Queue::Push => "push",
            Queue::Pull => "pull",
            Queue::Mailers => "mailers",
            Queue::Media => "media",
            Queue::Scheduler => "scheduler",
        }
    }

    /// Reads a queue name.
    pub fn parse(text: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.as_str() == text)
    }

    /// Concurrency when nothing else is configured (sized for a small one-process instance).
    pub fn default_concurrency(self) -> usize {
        match self {
            Queue::Default => 4,
            Queue::Ingress => 4,
            Queue::Push => 8,
            Queue::Pull => 4,
            Queue::Mailers => 1,
            Queue::Media => 1,
            Queue::Scheduler => 1,
        }
    }
}

impl fmt::Display for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses `ingress=8,push=16,pull=4` (a bare name takes its default concurrency).
pub fn parse_queue_list(text: &str) -> Result<BTreeMap<Queue, usize>, String> {
    let mut out = BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, n) = match part.split_once('=') {
            Some((name, n)) => (name.trim(), Some(n.trim())),
            None => (part, None),
        };
        let queue = Queue::parse(name).ok_or_else(|| {
            format!(
                "unknown queue {name:?} (queues: {})",
                Queue::ALL.map(Queue::as_str).join(", ")
            )
        })?;
        let n = match n {
            None => queue.default_concurrency(),
            Some(n) => n
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= 10_000)
                .ok_or_else(|| format!("{name}: {n:?} is not a concurrency between 0 and 10000"))?,
        };
        if out.insert(queue, n).is_some() {
            return Err(format!("queue {name} is listed twice"));
        }
    }
    if out.is_empty() {
        return Err("no queues given".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists() {
        let m = parse_queue_list("ingress=8, push=16,pull").unwrap();
        assert_eq!(m[&Queue::Ingress], 8);
        assert_eq!(m[&Queue::Push], 16);
        assert_eq!(m[&Queue::Pull], 4);
        for bad in [
            "",
            "nope=1",
            "push=x",
            "push=-1",
            "push=1,push=2",
            "push=99999",
        ] {
            assert!(parse_queue_list(bad).is_err(), "{bad}");
        }
    }
}
