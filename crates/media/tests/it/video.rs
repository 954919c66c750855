use std::path::{Path, PathBuf};
use std::time::Duration;

use rookery_media::{
    Ffmpeg, FfmpegOptions, Kind, MediaError, blurhash_is_valid, preview_from_frame, sniff,
};

use crate::support::{TempDir, contains, ffmpeg, streams};

fn runner() -> Ffmpeg {
    Ffmpeg::new(FfmpegOptions::default())
}

/// A clip with test-pattern video and a sine tone, tagged with metadata that must not survive.
fn clip(dir: &TempDir, name: &str, size: &str, seconds: &str) -> PathBuf {
    let path = dir.path(name);
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc=size={size}:rate=25"),
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            "-t",
            seconds,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-metadata",
            "title=SECRET-TITLE",
            "-metadata",
            "location=+52.5200+013.4049/",
        ],
        &path,
    );
    path
}

fn dimensions(path: &Path) -> (u32, u32) {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
        ])
        .args(["-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let (w, h) = text.trim().split_once(',').unwrap();
    (w.parse().unwrap(), h.parse().unwrap())
}

#[tokio::test]
async fn mp4_probe_and_transcode() {
    let dir = TempDir::new();
    let input = clip(&dir, "in.mp4", "1280x720", "2");
    let bytes = std::fs::read(&input).unwrap();
    assert_eq!(sniff(&bytes).unwrap().kind, Kind::Video);

    let ffmpeg = Ffmpeg::new(FfmpegOptions {
        max_width: 640,
        max_height: 640,
        ..FfmpegOptions::default()
    });
    assert!(ffmpeg.available().await);
    let probe = ffmpeg.probe(&input).await.unwrap();
    assert!(probe.has_video && probe.has_audio);
    assert_eq!((probe.width, probe.height), (Some(1280), Some(720)));
    assert_eq!(probe.frame_rate.as_deref(), Some("25/1"));
    assert_eq!(probe.video_codec.as_deref(), Some("h264"));
    let duration = probe.duration_secs.unwrap();
    assert!((1.9..2.2).contains(&duration), "{duration}");
    assert!(probe.bitrate.is_some());

    let output = dir.path("out.mp4");
    let stats = ffmpeg
        .transcode_video(&input, &output, false)
        .await
        .unwrap();
    assert!(stats.seconds > 0.0);
    if let Some(rss) = stats.peak_rss_bytes {
        assert!(rss > 1024 * 1024, "{rss}");
    }
    assert_eq!(streams(&output), ["video:h264", "audio:aac"]);
    assert_eq!(dimensions(&output), (640, 360), "fits 640×640, aspect kept");
    let out_bytes = std::fs::read(&output).unwrap();
    assert!(
        !contains(&out_bytes, b"SECRET-TITLE"),
        "metadata must be stripped"
    );
    assert!(
        !contains(&out_bytes, b"+52.5200"),
        "location must be stripped"
    );
    // faststart: the index (moov) comes before the media data (mdat).
    let moov = out_bytes.windows(4).position(|w| w == b"moov").unwrap();
    let mdat = out_bytes.windows(4).position(|w| w == b"mdat").unwrap();
    assert!(moov < mdat);
    let again = ffmpeg.probe(&output).await.unwrap();
    assert!(again.has_audio);
}

#[tokio::test]
async fn odd_sizes_become_even_and_are_never_enlarged() {
    let dir = TempDir::new();
    // H.264 in 4:2:0 cannot have odd sides; FFV1 in Matroska can.
    let input = dir.path("odd.mkv");
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=321x241:rate=10",
            "-t",
            "0.5",
            "-c:v",
            "ffv1",
        ],
        &input,
    );
    let output = dir.path("odd.mp4");
    runner()
        .transcode_video(&input, &output, false)
        .await
        .unwrap();
    assert_eq!(dimensions(&output), (320, 240));
}

#[tokio::test]
async fn gifv_has_no_audio() {
    let dir = TempDir::new();
    let gif = dir.path("in.gif");
    let bytes = ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=10",
            "-t",
            "1",
        ],
        &gif,
    );
    assert_eq!(sniff(&bytes).unwrap().kind, Kind::Gif);
    assert!(rookery_media::gif_is_animated(&bytes));

    let ffmpeg = runner();
    let probe = ffmpeg.probe(&gif).await.unwrap();
    assert!(probe.has_video && !probe.has_audio);
    let output = dir.path("gifv.mp4");
    ffmpeg.transcode_video(&gif, &output, true).await.unwrap();
    assert_eq!(streams(&output), ["video:h264"]);
    assert_eq!(dimensions(&output), (160, 120));

    // A video with audio loses it when converted as gifv.
    let input = clip(&dir, "with-audio.mp4", "160x120", "0.5");
    let output = dir.path("silent.mp4");
    ffmpeg.transcode_video(&input, &output, true).await.unwrap();
    assert_eq!(streams(&output), ["video:h264"]);
}

#[tokio::test]
async fn audio_becomes_mp3_without_tags() {
    let dir = TempDir::new();
    let input = dir.path("in.ogg");
    let bytes = ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=300:duration=2",
            "-metadata",
            "artist=SECRET-ARTIST",
        ],
        &input,
    );
    assert_eq!(sniff(&bytes).unwrap().kind, Kind::Audio);
    let ffmpeg = runner();
    let probe = ffmpeg.probe(&input).await.unwrap();
    assert!(probe.has_audio && !probe.has_video);
    let duration = probe.duration_secs.unwrap();
    assert!((1.9..2.2).contains(&duration), "{duration}");

    let output = dir.path("out.mp3");
    ffmpeg.transcode_audio(&input, &output).await.unwrap();
    let out = std::fs::read(&output).unwrap();
    let sniffed = sniff(&out).unwrap();
    assert_eq!((sniffed.mime, sniffed.kind), ("audio/mpeg", Kind::Audio));
    assert!(!out.starts_with(b"ID3"), "no ID3 tag is written");
    assert!(!contains(&out, b"SECRET-ARTIST"));
    assert_eq!(streams(&output), ["audio:mp3"]);

    // WAV in, too.
    let wav = dir.path("in.wav");
    ffmpeg_fixture_wav(&wav);
    let output = dir.path("wav.mp3");
    ffmpeg.transcode_audio(&wav, &output).await.unwrap();
    assert_eq!(streams(&output), ["audio:mp3"]);
}

fn ffmpeg_fixture_wav(path: &Path) {
    let bytes = ffmpeg(&["-f", "lavfi", "-i", "sine=duration=1"], path);
    assert_eq!(sniff(&bytes).unwrap().mime, "audio/wav");
}

#[tokio::test]
async fn frame_extraction_feeds_the_preview() {
    let dir = TempDir::new();
    let input = clip(&dir, "in.webm-like.mp4", "1920x1080", "0.5");
    let frame = dir.path("frame.png");
    runner().extract_frame(&input, &frame).await.unwrap();
    let png = std::fs::read(&frame).unwrap();
    assert_eq!(sniff(&png).unwrap().mime, "image/png");
    assert_eq!(dimensions(&frame), (1280, 720));

    let (preview, blurhash) = preview_from_frame(&png, &Default::default()).unwrap();
    assert_eq!((preview.width, preview.height), (640, 360));
    assert_eq!(preview.mime, "image/jpeg");
    assert!(blurhash_is_valid(&blurhash));
}

#[tokio::test]
async fn probe_refusals() {
    let dir = TempDir::new();
    let garbage = dir.path("garbage.mp4");
    std::fs::write(
        &garbage,
        b"\0\0\0\x20ftypisom this is not really a video at all",
    )
    .unwrap();
    let err = runner().probe(&garbage).await.unwrap_err();
    assert!(matches!(err, MediaError::Invalid(_)), "{err:?}");

    let empty = dir.path("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        runner().probe(&empty).await,
        Err(MediaError::Unsupported)
    ));
    assert!(matches!(
        runner().probe(&dir.path("missing.mp4")).await,
        Err(MediaError::Io(_))
    ));

    let input = clip(&dir, "long.mp4", "160x120", "2");
    let strict = Ffmpeg::new(FfmpegOptions {
        max_duration_secs: 1.0,
        ..FfmpegOptions::default()
    });
    let err = strict.probe(&input).await.unwrap_err();
    assert!(matches!(err, MediaError::TooLarge(_)), "{err:?}");
    let small = Ffmpeg::new(FfmpegOptions {
        max_input_pixels: 100 * 100,
        ..FfmpegOptions::default()
    });
    assert!(matches!(
        small.probe(&input).await,
        Err(MediaError::TooLarge(_))
    ));
    // Frames the probe never saw (a hidden stream, a size change mid-stream) meet the same
    // limit in the decoder: transcoding without a probe still refuses them.
    let output = dir.path("out.mp4");
    let err = small
        .transcode_video(&input, &output, false)
        .await
        .unwrap_err();
    let MediaError::TooLarge(why) = &err else {
        panic!("expected TooLarge, got {err:?}");
    };
    assert!(why.contains("max pixel count"), "{why}");
    assert!(!output.exists());
    // Outputs stop growing at the size limit, and a cut-off output is an error, not a result.
    let full = dir.path("full.mp4");
    runner()
        .transcode_video(&input, &full, false)
        .await
        .unwrap();
    let full_size = std::fs::metadata(&full).unwrap().len();
    let tiny = Ffmpeg::new(FfmpegOptions {
        max_output_bytes: full_size / 4,
        ..FfmpegOptions::default()
    });
    let err = tiny
        .transcode_video(&input, &output, false)
        .await
        .unwrap_err();
    assert!(matches!(err, MediaError::TooLarge(_)), "{err:?}");
    assert!(!output.exists(), "the cut-off output is removed");
    let roomy = Ffmpeg::new(FfmpegOptions {
        max_output_bytes: full_size * 2,
        ..FfmpegOptions::default()
    });
    roomy.transcode_video(&input, &output, false).await.unwrap();
}

/// An MP4 whose `moov` lists `udta` (where the cover art lives) before the tracks: ffmpeg then
/// numbers the cover picture 0, ahead of the real video. Sizes are unchanged, so the chunk
/// offsets stay right.
fn cover_first(mp4: &[u8]) -> Vec<u8> {
    let be32 = |b: &[u8], at: usize| u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    let children = |b: &[u8], mut at: usize, end: usize| {
        let mut found = Vec::new();
        while at < end {
            let size = be32(b, at);
            found.push((at, size, b[at + 4..at + 8].to_vec()));
            at += size;
        }
        found
    };
    let mut out = mp4.to_vec();
    let (moov, size, _) = children(mp4, 0, mp4.len())
        .into_iter()
        .find(|(_, _, kind)| kind == b"moov")
        .unwrap();
    let boxes = children(mp4, moov + 8, moov + size);
    let rank = |kind: &[u8]| match kind {
        b"mvhd" => 0,
        b"udta" => 1,
        _ => 2,
    };
    let mut sorted = boxes.clone();
    sorted.sort_by_key(|(_, _, kind)| rank(kind));
    assert_ne!(sorted, boxes, "the fixture has udta after the tracks");
    let body: Vec<u8> = sorted
        .iter()
        .flat_map(|&(at, size, _)| mp4[at..at + size].to_vec())
        .collect();
    out[moov + 8..moov + size].copy_from_slice(&body);
    out
}

/// A cover picture numbered ahead of the video is neither transcoded as the video nor let
/// past the pixel limit.
#[tokio::test]
async fn cover_picture_in_front_is_never_the_video() {
    let dir = TempDir::new();
    let cover = dir.path("cover.png");
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=640x480",
            "-frames:v",
            "1",
        ],
        &cover,
    );
    let clip = clip(&dir, "clip.mp4", "160x120", "1");
    let with_cover = dir.path("with-cover.mp4");
    ffmpeg(
        &[
            "-i",
            cover.to_str().unwrap(),
            "-i",
            clip.to_str().unwrap(),
            "-map",
            "0",
            "-map",
            "1",
            "-c",
            "copy",
            "-disposition:v:0",
            "attached_pic",
        ],
        &with_cover,
    );
    let input = dir.path("cover-first.mp4");
    std::fs::write(&input, cover_first(&std::fs::read(&with_cover).unwrap())).unwrap();
    assert_eq!(streams(&input), ["video:png", "video:h264", "audio:aac"]);

    let ffmpeg = runner();
    let probe = ffmpeg.probe(&input).await.unwrap();
    assert_eq!((probe.width, probe.height), (Some(160), Some(120)));
    assert_eq!(probe.video_codec.as_deref(), Some("h264"));
    let output = dir.path("out.mp4");
    ffmpeg
        .transcode_video(&input, &output, false)
        .await
        .unwrap();
    assert_eq!(streams(&output), ["video:h264", "audio:aac"]);
    assert_eq!(dimensions(&output), (160, 120), "the video, not the cover");
    let frame = dir.path("frame.png");
    ffmpeg.extract_frame(&input, &frame).await.unwrap();
    assert_eq!(dimensions(&frame), (160, 120));

    // Under a limit the cover exceeds, both the probe and a transcode without it refuse.
    let small = Ffmpeg::new(FfmpegOptions {
        max_input_pixels: 320 * 240,
        ..FfmpegOptions::default()
    });
    let err = small.probe(&input).await.unwrap_err();
    assert!(matches!(err, MediaError::TooLarge(_)), "{err:?}");
    let err = small
        .transcode_video(&input, &output, false)
        .await
        .unwrap_err();
    assert!(matches!(err, MediaError::TooLarge(_)), "{err:?}");
    assert!(!output.exists());
}

/// H.264 may change resolution mid-stream; ffprobe reports only the start. The decoder's
/// pixel limit refuses the big frames, and the run fails rather than return a video with
/// pieces missing.
#[tokio::test]
async fn resolution_change_mid_stream_meets_the_pixel_limit() {
    let dir = TempDir::new();
    let mut raw = Vec::new();
    for (name, size) in [("small.h264", "160x120"), ("big.h264", "640x480")] {
        raw.extend(ffmpeg(
            &[
                "-f",
                "lavfi",
                "-i",
                &format!("testsrc=size={size}:rate=10"),
                "-t",
                "1",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
            ],
            &dir.path(name),
        ));
    }
    let both = dir.path("both.h264");
    std::fs::write(&both, raw).unwrap();
    let input = dir.path("both.mp4");
    ffmpeg(
        &[
            "-framerate",
            "10",
            "-f",
            "h264",
            "-i",
            both.to_str().unwrap(),
            "-c",
            "copy",
        ],
        &input,
    );

    let small = Ffmpeg::new(FfmpegOptions {
        max_input_pixels: 320 * 240,
        ..FfmpegOptions::default()
    });
    let probe = small.probe(&input).await.unwrap();
    assert_eq!((probe.width, probe.height), (Some(160), Some(120)));
    let output = dir.path("out.mp4");
    let err = small
        .transcode_video(&input, &output, false)
        .await
        .unwrap_err();
    let MediaError::TooLarge(why) = &err else {
        panic!("expected TooLarge, got {err:?}");
    };
    assert!(why.contains("640x480"), "{why}");
    assert!(!output.exists());
    let frame = dir.path("frame.png");
    small.extract_frame(&input, &frame).await.unwrap();
    // Without the limit the same file converts: the failure above is the limit's.
    runner()
        .transcode_video(&input, &output, false)
        .await
        .unwrap();
}

#[tokio::test]
async fn broken_input_reports_ffmpeg_stderr() {
    let dir = TempDir::new();
    let garbage = dir.path("garbage.mp4");
    std::fs::write(&garbage, b"\0\0\0\x20ftypisom garbage garbage garbage").unwrap();
    let output = dir.path("out.mp4");
    let err = runner()
        .transcode_video(&garbage, &output, false)
        .await
        .unwrap_err();
    let MediaError::Failed(stderr) = &err else {
        panic!("expected Failed, got {err:?}");
    };
    assert!(!stderr.is_empty());
    assert!(!output.exists(), "partial output is removed");
    assert!(matches!(
        runner().transcode_audio(&garbage, &output).await,
        Err(MediaError::Failed(_))
    ));
    assert!(matches!(
        runner().extract_frame(&garbage, &output).await,
        Err(MediaError::Failed(_))
    ));
}

/// ffmpeg never guesses the format: playlists (which open other files) and stills are refused
/// before it runs, even under a video file name, and the demuxer is forced for the rest.
#[tokio::test]
async fn playlists_and_stills_never_reach_ffmpeg() {
    let dir = TempDir::new();
    // If ffmpeg were run, this missing binary would give NotInstalled instead.
    let ffmpeg = Ffmpeg::new(FfmpegOptions {
        ffmpeg: "/nonexistent/bin/ffmpeg".into(),
        ffprobe: "/nonexistent/bin/ffprobe".into(),
        ..FfmpegOptions::default()
    });
    let playlist = dir.path("evil.mp4");
    std::fs::write(
        &playlist,
        b"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n",
    )
    .unwrap();
    let png = dir.path("still.mp4");
    ffmpeg_fixture_png(&png);
    for input in [&playlist, &png] {
        assert!(matches!(
            ffmpeg.probe(input).await,
            Err(MediaError::Unsupported)
        ));
        let out = dir.path("out.mp4");
        let result = ffmpeg.transcode_video(input, &out, false).await;
        assert!(matches!(result, Err(MediaError::Unsupported)), "{result:?}");
        let result = ffmpeg.transcode_audio(input, &out).await;
        assert!(matches!(result, Err(MediaError::Unsupported)), "{result:?}");
    }
}

fn ffmpeg_fixture_png(path: &Path) {
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=32x32",
            "-frames:v",
            "1",
            "-f",
            "image2",
            "-c:v",
            "png",
        ],
        path,
    );
}

/// Command lines of running processes that mention `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(needle) {
                found.push(cmdline);
            }
        }
    }
    found
}

#[tokio::test]
async fn timeout_kills_ffmpeg() {
    let dir = TempDir::new();
    let input = clip(&dir, "in.mp4", "640x480", "2");
    let output = dir.path("timeout-output-7f3a.mp4");
    // No ffmpeg run reads a 2 s clip, encodes it and exits within 1 ms.
    let ffmpeg = Ffmpeg::new(FfmpegOptions {
        timeout: Duration::from_millis(1),
        ..FfmpegOptions::default()
    });
    let err = ffmpeg
        .transcode_video(&input, &output, false)
        .await
        .unwrap_err();
    assert!(matches!(err, MediaError::Timeout), "{err:?}");
    assert_eq!(
        processes_mentioning("timeout-output-7f3a"),
        Vec::<String>::new()
    );
    assert!(!output.exists());
}

#[tokio::test]
async fn missing_binaries_name_the_package() {
    let dir = TempDir::new();
    let ffmpeg = Ffmpeg::new(FfmpegOptions {
        ffmpeg: "/nonexistent/bin/ffmpeg".into(),
        ffprobe: "/nonexistent/bin/ffprobe".into(),
        ..FfmpegOptions::default()
    });
    assert!(!ffmpeg.available().await);
    let input = dir.path("in.mp4");
    std::fs::write(&input, b"\0\0\0\x20ftypisom not a real video").unwrap();
    for err in [
        ffmpeg
            .transcode_video(&input, &dir.path("o.mp4"), false)
            .await
            .unwrap_err(),
        ffmpeg.probe(&input).await.unwrap_err(),
        ffmpeg.version().await.unwrap_err(),
    ] {
        let MediaError::NotInstalled(message) = &err else {
            panic!("expected NotInstalled, got {err:?}");
        };
        assert!(message.contains("package `ffmpeg`"), "{message}");
        assert!(!err.is_client_error());
    }
}

#[tokio::test]
async fn concurrent_runs_share_the_limit() {
    let dir = TempDir::new();
    let input = clip(&dir, "in.mp4", "320x240", "0.5");
    let ffmpeg = runner();
    let other = ffmpeg.clone();
    let (a_png, b_png) = (dir.path("a.png"), dir.path("b.png"));
    let (a, b) = tokio::join!(
        ffmpeg.extract_frame(&input, &a_png),
        other.extract_frame(&input, &b_png),
    );
    a.unwrap();
    b.unwrap();
    assert!(
        ffmpeg
            .version()
            .await
            .unwrap()
            .starts_with("ffmpeg version")
    );
}
