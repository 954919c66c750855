//! Media throughput: `cargo bench -p rookery-media --bench media`.
//!
//! 1. `process_image` on photo-like JPEGs (made with ffmpeg), one thread, ~5 s each: images per
//!    second per core and the time per step.
//! 2. `transcode_video` of a 10 s 4K 30 fps H.264+AAC clip with the default limits (1080p out),
//!    with 1 and 2 ffmpeg threads: wall time, realtime factor, ffmpeg's peak RSS.
//!
//! `ROOKERY_MEDIA_BENCH=images` (or `video`) runs only one half.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rookery_media::{Ffmpeg, FfmpegOptions, ImageOptions, ImageTimings, process_image};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("rookery-media-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let outcome = run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

fn run(dir: &Path) -> Result<()> {
    // `ROOKERY_MEDIA_BENCH=images` or `=video` runs one half.
    let only = std::env::var("ROOKERY_MEDIA_BENCH").unwrap_or_default();
    if only != "video" {
        for (w, h) in [(2000, 1500), (4000, 3000)] {
            let jpeg = photo_jpeg(dir, w, h)?;
            bench_images(&jpeg, w, h)?;
        }
    }
    if only == "images" {
        return Ok(());
    }
    let video = make_4k_clip(dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    for threads in [1, 2] {
        runtime.block_on(bench_video(dir, &video, threads))?;
    }
    Ok(())
}

fn ffmpeg(args: &[&str]) -> Result<()> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()?;
    if !out.status.success() {
        return Err(format!("ffmpeg failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(())
}

/// A Mandelbrot render with film-grain noise: detailed, and noisy like a phone photo.
fn photo_jpeg(dir: &Path, w: u32, h: u32) -> Result<Vec<u8>> {
    let path = dir.join(format!("photo-{w}x{h}.jpg"));
    let source = format!("mandelbrot=size={w}x{h}:end_pts=1,noise=alls=10:allf=t");
    let path_str = path.to_string_lossy().into_owned();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &source,
        "-frames:v",
        "1",
        "-q:v",
        "3",
        "-pix_fmt",
        "yuvj420p",
        &path_str,
    ])?;
    Ok(std::fs::read(&path)?)
}

fn bench_images(jpeg: &[u8], w: u32, h: u32) -> Result<()> {
    let opts = ImageOptions::default();
    let first = process_image(jpeg, &opts)?;
    let mut total = ImageTimings::default();
    let mut count = 0u32;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        let done = process_image(jpeg, &opts)?;
        total.decode += done.timings.decode;
        total.scale += done.timings.scale;
        total.original += done.timings.original;
        total.preview += done.timings.preview;
        total.blurhash += done.timings.blurhash;
        count += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0 / f64::from(count);
    println!(
        "process_image {w}x{h} JPEG ({} KiB) -> original {}x{} ({} KiB), preview {}x{}",
        jpeg.len() / 1024,
        first.original.width,
        first.original.height,
        first.original.bytes.len() / 1024,
        first.preview.width,
        first.preview.height,
    );
    println!(
        "  {:.2} images/s/core ({count} in {elapsed:.1} s, 1 thread); per image: decode+orient \
         {:.1} ms, scale original {:.1} ms, encode original {:.1} ms, preview {:.1} ms, blurhash {:.2} ms",
        f64::from(count) / elapsed,
        ms(total.decode),
        ms(total.scale),
        ms(total.original),
        ms(total.preview),
        ms(total.blurhash),
    );
    Ok(())
}

/// 10 s of 3840×2160 at 30 fps, H.264 (`veryfast`) with AAC audio.
fn make_4k_clip(dir: &Path) -> Result<PathBuf> {
    let path = dir.join("4k.mp4");
    let path_str = path.to_string_lossy().into_owned();
    let started = Instant::now();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=3840x2160:rate=30,noise=alls=4:allf=t",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440",
        "-t",
        "10",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        &path_str,
    ])?;
    println!(
        "generated 10 s 3840x2160 30 fps H.264+AAC clip ({:.1} MiB) in {:.1} s",
        std::fs::metadata(&path)?.len() as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64()
    );
    Ok(path)
}

async fn bench_video(dir: &Path, input: &Path, threads: u32) -> Result<()> {
    let ffmpeg = Ffmpeg::new(FfmpegOptions {
        threads,
        ..FfmpegOptions::default()
    });
    let probe = ffmpeg.probe(input).await?;
    let duration = probe.duration_secs.unwrap_or(10.0);
    let output = dir.join(format!("out-{threads}.mp4"));
    let stats = ffmpeg.transcode_video(input, &output, false).await?;
    let out_probe = ffmpeg.probe(&output).await?;
    println!(
        "transcode_video 4K -> {}x{} threads={threads}: {:.1} s wall, {:.2}x realtime, \
         ffmpeg peak RSS {}, output {:.1} MiB",
        out_probe.width.unwrap_or(0),
        out_probe.height.unwrap_or(0),
        stats.seconds,
        duration / stats.seconds,
        stats.peak_rss_bytes.map_or("n/a".to_owned(), |b| format!(
            "{:.0} MiB",
            b as f64 / 1_048_576.0
        )),
        std::fs::metadata(&output)?.len() as f64 / 1_048_576.0,
    );
    Ok(())
}
