//! The operating system's random source.

use rookery_model::Random;

/// Reads the OS's CSPRNG (`getrandom`).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRandom;

impl Random for SystemRandom {
    fn fill(&self, buf: &mut [u8]) {
        // getrandom only fails when the OS has no entropy source at all; there is no safe
        // fallback, so fall back to zeroes would be worse than stopping.
        #[allow(clippy::panic)]
        if let Err(e) = getrandom::fill(buf) {
            panic!("the operating system's random source failed: {e}");
        }
    }
}
