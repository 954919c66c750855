//! rookery-media's integration tests: one binary (link time), fixtures generated at test time
//! with the `image` crate and ffmpeg.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod images;
mod sniffing;
mod support;
mod video;
