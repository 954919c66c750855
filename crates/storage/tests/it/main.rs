//! rookery-storage's integration tests: the local backend on a temporary directory, the S3
//! backend against a real s3s-fs server (rookery-testkit's `S3Server`), which checks every
//! signature. A missing s3s-fs binary fails the S3 tests with instructions; they never skip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod local;
mod s3;
