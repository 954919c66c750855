//! Running ffmpeg/ffprobe: no stdin, bounded output, a time limit, the child killed when the
//! limit passes or the caller gives up, and its peak memory sampled from `/proc`. A run in
//! which a decoder refused a frame over `-max_pixels` fails, even if ffmpeg carried on.

use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use crate::error::MediaError;

/// What one ffmpeg run cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunStats {
    /// Wall-clock seconds from spawn to exit.
    pub seconds: f64,
    /// Peak resident memory of the child (`VmHWM`, else the largest `VmRSS` seen), sampled
    /// every 50 ms; `None` where `/proc` is unavailable or the child exited before a sample.
    pub peak_rss_bytes: Option<u64>,
}

/// A finished, successful run.
pub(crate) struct Output {
    pub stdout: Vec<u8>,
    pub stats: RunStats,
}

/// Limits on one run.
pub(crate) struct RunLimits {
    pub timeout: Duration,
    /// Stdout beyond this is an error (ffprobe's JSON is small); 0 discards stdout.
    pub max_stdout: usize,
    /// Only the last this-many bytes of stderr are kept.
    pub stderr_tail: usize,
}

const SAMPLE_EVERY: Duration = Duration::from_millis(50);
/// What libavutil prints when a decoder refuses a frame over `-max_pixels`. ffmpeg logs it and
/// goes on with the frames it can decode, so a success can hide it.
const PIXEL_LIMIT_MARKER: &str = "exceeds specified max pixel count";
/// Lines of stderr quoted in [`MediaError::Failed`].
const ERROR_LINES: usize = 8;

pub(crate) async fn run(
    program: &Path,
    args: &[OsString],
    limits: &RunLimits,
) -> Result<Output, MediaError> {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(if limits.max_stdout == 0 {
            Stdio::null()
        } else {
            Stdio::piped()
        })
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| spawn_error(program, e))?;
    let pid = child.id();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();

    let mut peak: Option<u64> = None;
    let outcome = tokio::time::timeout(limits.timeout, async {
        let work = async {
            tokio::join!(
                child.wait(),
                read_capped(stdout, limits.max_stdout),
                read_tail(stderr, limits.stderr_tail),
            )
        };
        tokio::pin!(work);
        let mut ticker = tokio::time::interval(SAMPLE_EVERY);
        loop {
            tokio::select! {
                done = &mut work => break done,
                _ = ticker.tick() => {
                    if let Some(pid) = pid {
                        sample_rss(pid, &mut peak);
                    }
                }
            }
        }
    })
    .await;

    let Ok((status, stdout, (stderr, over_pixel_limit))) = outcome else {
        // Kill and reap now rather than leave it to `kill_on_drop`, so the process is gone
        // when we return.
        let _ = child.start_kill();
        let _ = child.wait().await;
        tracing::warn!(program = %program.display(), ?limits.timeout, "media subprocess timed out");
        return Err(MediaError::Timeout);
    };
    let status = status?;
    let stats = RunStats {
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_bytes: peak,
    };
    if let Some(line) = over_pixel_limit {
        // Frames were skipped (a stream or a resolution change the probe never saw): the
        // result would be a video with pieces missing.
        return Err(MediaError::TooLarge(line));
    }
    if !status.success() {
        let tail = last_lines(&stderr, ERROR_LINES);
        return Err(MediaError::Failed(if tail.is_empty() {
            format!("{} exited with {status}", display_name(program))
        } else {
            tail
        }));
    }
    let stdout = stdout.map_err(|()| {
        MediaError::Failed(format!(
            "{} printed more than {} bytes",
            display_name(program),
            limits.max_stdout
        ))
    })?;
    Ok(Output { stdout, stats })
}

fn display_name(program: &Path) -> String {
    program
        .file_name()
        .unwrap_or(program.as_os_str())
        .to_string_lossy()
        .into_owned()
}

fn spawn_error(program: &Path, e: std::io::Error) -> MediaError {
    match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
            MediaError::NotInstalled(format!(
                "{} could not be started ({e}); install the Debian package `ffmpeg` \
                 (apt-get install ffmpeg) or set the ffmpeg/ffprobe paths",
                program.display()
            ))
        }
        _ => MediaError::Io(e),
    }
}

/// Reads all of stdout; `Err(())` past `cap` bytes (the rest is drained so the child is not
/// blocked on a full pipe).
async fn read_capped<R: AsyncRead + Unpin>(stream: Option<R>, cap: usize) -> Result<Vec<u8>, ()> {
    let Some(mut stream) = stream else {
        return Ok(Vec::new());
    };
    let mut kept = Vec::new();
    let mut overflow = false;
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if kept.len() + n > cap {
                    overflow = true;
                } else {
                    kept.extend_from_slice(&buf[..n]);
                }
            }
        }
    }
    if overflow { Err(()) } else { Ok(kept) }
}

/// Reads all of stderr, keeping only the last `cap` bytes, and the first line (from anywhere
/// in the stream, not only the tail) saying a frame was over the pixel limit.
async fn read_tail<R: AsyncRead + Unpin>(
    stream: Option<R>,
    cap: usize,
) -> (Vec<u8>, Option<String>) {
    let Some(mut stream) = stream else {
        return (Vec::new(), None);
    };
    let mut kept = Vec::new();
    let mut over_limit = None;
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                if over_limit.is_none() {
                    // Complete lines only: a line cut at the end of this read comes again.
                    let complete = kept.iter().rposition(|&b| b == b'\n').unwrap_or(0);
                    over_limit = pixel_limit_line(&kept[..complete]);
                }
                // Keep enough to find a marker split across two reads.
                let keep = cap.max(PIXEL_LIMIT_MARKER.len() + 256);
                if kept.len() > keep {
                    let excess = kept.len() - keep;
                    kept.drain(..excess);
                }
            }
        }
    }
    if over_limit.is_none() {
        over_limit = pixel_limit_line(&kept);
    }
    if kept.len() > cap {
        let excess = kept.len() - cap;
        kept.drain(..excess);
    }
    (kept, over_limit)
}

/// The line of `stderr` saying a frame exceeds the pixel limit, from `Picture size` on, without
/// the advice: `Picture size 640x480 exceeds specified max pixel count 76800`.
fn pixel_limit_line(stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().find(|l| l.contains(PIXEL_LIMIT_MARKER))?;
    let from = line.find("Picture size").unwrap_or(0);
    let line = line[from..].trim();
    let line = line.split(", see the documentation").next().unwrap_or(line);
    Some(line.to_owned())
}

/// The last `n` non-empty lines, trimmed.
pub(crate) fn last_lines(bytes: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Updates `peak` from `/proc/<pid>/status`: `VmHWM` is the kernel's own high-water mark;
/// `VmRSS` is the fallback where it is missing.
fn sample_rss(pid: u32, peak: &mut Option<u64>) {
    // A few hundred bytes from procfs: cheap enough to read inline.
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return;
    };
    let value = |key: &str| {
        status.lines().find_map(|l| {
            let rest = l.strip_prefix(key)?.strip_prefix(':')?;
            let kb: u64 = rest.trim().strip_suffix("kB")?.trim().parse().ok()?;
            Some(kb * 1024)
        })
    };
    if let Some(bytes) = value("VmHWM").or_else(|| value("VmRSS")) {
        *peak = Some(peak.map_or(bytes, |p| p.max(bytes)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_keeps_the_end() {
        assert_eq!(last_lines(b"a\n\nb\n c \n", 2), "b\nc");
        assert_eq!(last_lines(b"", 3), "");
        assert_eq!(last_lines(b"\xff\xfeoops", 1), "\u{fffd}\u{fffd}oops");
    }

    #[test]
    fn pixel_limit_lines_are_found() {
        let stderr = b"[h264 @ 0x1] no frame!\n[mjpeg @ 0x2] [IMGUTILS @ 0x3] Picture size \
            640x480 exceeds specified max pixel count 76800, see the documentation if you wish \
            to increase it\n";
        assert_eq!(
            pixel_limit_line(stderr).as_deref(),
            Some("Picture size 640x480 exceeds specified max pixel count 76800")
        );
        assert_eq!(pixel_limit_line(b"[h264 @ 0x1] no frame!\n"), None);
    }

    #[tokio::test]
    async fn pixel_limit_is_found_across_reads_and_beyond_the_tail() {
        let mut stderr =
            b"Picture size 9x9 exceeds specified max pixel count 1, see the documentation\n"
                .to_vec();
        stderr.extend(vec![b'x'; 100_000]);
        stderr.push(b'\n');
        // Two reads, the marker cut between them.
        let (first, rest) = stderr.split_at(30);
        let (tail, line) = read_tail(Some(first.chain(rest)), 100).await;
        assert_eq!(tail.len(), 100);
        assert_eq!(
            line.as_deref(),
            Some("Picture size 9x9 exceeds specified max pixel count 1")
        );
    }
}
