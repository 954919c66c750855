//! Video and audio through ffmpeg/ffprobe subprocesses: bounded in time, threads, concurrency
//! and output size; metadata stripped; H.264/AAC MP4 and MP3 out.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;

use crate::error::MediaError;
use crate::probe::{self, Probe};
use crate::process::{self, RunLimits, RunStats};
use crate::sniff::{SNIFF_LEN, sniff};

/// A `Vec<OsString>` of arguments from strings, `String`s and `OsString`s.
macro_rules! args {
    ($($a:expr),* $(,)?) => { vec![$(::std::ffi::OsString::from($a)),*] };
}

/// How ffmpeg is run.
#[derive(Debug, Clone, PartialEq)]
pub struct FfmpegOptions {
    /// The ffmpeg binary; a bare name is looked up in `PATH`. Default `ffmpeg`.
    pub ffmpeg: PathBuf,
    /// The ffprobe binary. Default `ffprobe`.
    pub ffprobe: PathBuf,
    /// Decoder and encoder threads per ffmpeg run (filters always get one). Default 1.
    pub threads: u32,
    /// Time limit for one transcode or frame extraction, not counting the wait for a turn
    /// (see `max_concurrent`). Default 10 minutes.
    pub timeout: Duration,
    /// Time limit for one ffprobe run. Default 30 s.
    pub probe_timeout: Duration,
    /// ffmpeg runs at once per [`Ffmpeg`] (and its clones); others wait their turn. Default 1.
    pub max_concurrent: usize,
    /// ffprobe runs at once; separate so probes do not queue behind long transcodes. Default 4.
    pub max_concurrent_probes: usize,
    /// Videos are scaled down to fit this width (never up). Default 1920.
    pub max_width: u32,
    /// Videos are scaled down to fit this height (never up). Default 1080.
    pub max_height: u32,
    /// Longer inputs are refused by [`Ffmpeg::probe`], and outputs are cut here. Default 3600.
    pub max_duration_secs: f64,
    /// Inputs with a video stream (cover pictures included) of more pixels are refused by
    /// [`Ffmpeg::probe`], and ffmpeg's and ffprobe's decoders refuse any frame over it
    /// (`-max_pixels`, capped at `i32::MAX`): a run that met such a frame fails with
    /// [`MediaError::TooLarge`]. Default 33,177,600 (7680×4320).
    pub max_input_pixels: u64,
    /// Frame rates above this are reduced to it. Default 60.
    pub max_frame_rate: u32,
    /// x264 constant rate factor (lower is better and bigger). Default 23.
    pub crf: u8,
    /// x264 preset. Default `veryfast`.
    pub preset: String,
    /// AAC bit rate in video, kbit/s. Default 128.
    pub video_audio_kbps: u32,
    /// MP3 bit rate for audio, kbit/s. Default 192.
    pub audio_kbps: u32,
    /// Extracted frames fit within this many pixels on each side. Default 1280.
    pub frame_max_side: u32,
    /// Bytes of stderr kept from each run (the end is what explains a failure). Default 16 KiB.
    pub stderr_tail_bytes: usize,
    /// ffmpeg stops writing an output past this size (`-fs`), and the run fails with
    /// [`MediaError::TooLarge`] rather than keep a cut-off file. Default 256 MiB.
    pub max_output_bytes: u64,
    /// Largest single allocation ffmpeg may make (`-max_alloc`): frames bigger than the
    /// pixel limit cannot be decoded even if the probe never saw them (a resolution change
    /// mid-stream, a hidden stream). Default 512 MiB.
    pub max_alloc_bytes: u64,
}

impl Default for FfmpegOptions {
    fn default() -> Self {
        Self {
            ffmpeg: PathBuf::from("ffmpeg"),
            ffprobe: PathBuf::from("ffprobe"),
            threads: 1,
            timeout: Duration::from_secs(600),
            probe_timeout: Duration::from_secs(30),
            max_concurrent: 1,
            max_concurrent_probes: 4,
            max_width: 1920,
            max_height: 1080,
            max_duration_secs: 3600.0,
            max_input_pixels: 7680 * 4320,
            max_frame_rate: 60,
            crf: 23,
            preset: "veryfast".into(),
            video_audio_kbps: 128,
            audio_kbps: 192,
            frame_max_side: 1280,
            stderr_tail_bytes: 16 * 1024,
            max_output_bytes: 256 * 1024 * 1024,
            max_alloc_bytes: 512 * 1024 * 1024,
        }
    }
}

/// ffprobe's JSON for one file is a few KiB; more means something is wrong.
const MAX_PROBE_OUTPUT: usize = 1024 * 1024;

/// Runs ffmpeg and ffprobe. Cheap to clone; clones share the concurrency limits.
#[derive(Debug, Clone)]
pub struct Ffmpeg {
    opts: Arc<FfmpegOptions>,
    runs: Arc<Semaphore>,
    probes: Arc<Semaphore>,
}

impl Ffmpeg {
    /// Builds the runner. Nothing is spawned until a method is called; see
    /// [`Ffmpeg::available`] for a start-up check.
    #[must_use]
    pub fn new(opts: FfmpegOptions) -> Self {
        let permits = |n: usize| Arc::new(Semaphore::new(n.clamp(1, Semaphore::MAX_PERMITS)));
        Self {
            runs: permits(opts.max_concurrent),
            probes: permits(opts.max_concurrent_probes),
            opts: Arc::new(opts),
        }
    }

    /// The options in force.
    #[must_use]
    pub fn options(&self) -> &FfmpegOptions {
        &self.opts
    }

    /// ffmpeg's version line, e.g. `ffmpeg version 5.1.6-0+deb12u1 ...`.
    ///
    /// # Errors
    /// [`MediaError::NotInstalled`] when ffmpeg cannot be started; others when it fails.
    pub async fn version(&self) -> Result<String, MediaError> {
        let out = self
            .run_small(&self.opts.ffmpeg, vec!["-version".into()])
            .await?;
        let text = String::from_utf8_lossy(&out);
        Ok(text.lines().next().unwrap_or_default().trim().to_owned())
    }

    /// Whether both ffmpeg and ffprobe can be run.
    pub async fn available(&self) -> bool {
        self.version().await.is_ok()
            && self
                .run_small(&self.opts.ffprobe, vec!["-version".into()])
                .await
                .is_ok()
    }

    async fn run_small(&self, program: &Path, args: Vec<OsString>) -> Result<Vec<u8>, MediaError> {
        let limits = RunLimits {
            timeout: self.opts.probe_timeout,
            max_stdout: MAX_PROBE_OUTPUT,
            stderr_tail: self.opts.stderr_tail_bytes,
        };
        Ok(process::run(program, &args, &limits).await?.stdout)
    }

    /// Reads a file's streams and duration with ffprobe.
    ///
    /// # Errors
    /// [`MediaError::Unsupported`] when the first bytes are not a video, audio or GIF format
    /// we accept (ffmpeg is not run), [`MediaError::Io`] when the file cannot be read,
    /// [`MediaError::Invalid`] when ffprobe cannot read it or it has neither audio nor video,
    /// or when it has a video stream of unknown size, [`MediaError::TooLarge`] past
    /// `max_duration_secs` or `max_input_pixels` (any video stream), and the
    /// subprocess errors ([`MediaError::Timeout`], [`MediaError::NotInstalled`]).
    pub async fn probe(&self, input: &Path) -> Result<Probe, MediaError> {
        let demuxer = demuxer_for(input).await?;
        let mut args = args!["-v", "error"];
        // ffprobe decodes a few frames of every stream (cover pictures included) to fill in
        // what the headers leave out: under the same bounds as ffmpeg.
        args.extend(self.decode_limits());
        args.extend(args![
            "-protocol_whitelist",
            "file",
            "-f",
            demuxer,
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            "-i",
            file_url(input),
        ]);
        let out = {
            let _permit = self
                .probes
                .acquire()
                .await
                .map_err(|_| MediaError::Failed("ffprobe runner closed".into()))?;
            self.run_small(&self.opts.ffprobe, args).await
        };
        let out = match out {
            Err(MediaError::Failed(why)) => return Err(MediaError::Invalid(why)),
            other => other?,
        };
        let parsed = probe::parse(&out)?;
        check_limits(&parsed, &self.opts)?;
        Ok(parsed.probe)
    }

    /// Converts a video (or an animated GIF, with `gifv`) to H.264/AAC MP4 with the index at
    /// the front, scaled down to fit `max_width`×`max_height` with even sides, at most
    /// `max_frame_rate` fps, metadata stripped. `gifv` (and inputs without audio) get no
    /// audio track.
    ///
    /// # Errors
    /// [`MediaError::Unsupported`] or [`MediaError::Io`] for the input as in [`Ffmpeg::probe`],
    /// [`MediaError::Timeout`], [`MediaError::Failed`] (with ffmpeg's last stderr lines),
    /// [`MediaError::NotInstalled`]. A partial output file is removed.
    pub async fn transcode_video(
        &self,
        input: &Path,
        output: &Path,
        gifv: bool,
    ) -> Result<RunStats, MediaError> {
        let o = &self.opts;
        let threads = o.threads.max(1).to_string();
        let mut args = self.input_args(input).await?;
        // `V`: the first video stream that is not a cover picture — the one the probe
        // describes (same demuxer, same rule), never a cover picture, whatever the order.
        args.extend(args!["-map", "0:V:0"]);
        if !gifv {
            args.extend(args!["-map", "0:a:0?"]);
        }
        args.extend(args![
            "-map_metadata",
            "-1",
            "-map_chapters",
            "-1",
            "-sn",
            "-dn",
            "-vf",
            format!(
                "{},format=yuv420p",
                even_fit_filter(o.max_width, o.max_height)
            ),
            "-fpsmax",
            o.max_frame_rate.max(1).to_string(),
            "-c:v",
            "libx264",
            "-preset",
            &o.preset,
            "-crf",
            o.crf.to_string(),
            "-threads",
            &threads,
        ]);
        if gifv {
            args.extend(args!["-an"]);
        } else {
            args.extend(args![
                "-c:a",
                "aac",
                "-b:a",
                format!("{}k", o.video_audio_kbps)
            ]);
        }
        args.extend(args![
            "-t",
            o.max_duration_secs.to_string(),
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            file_url(output),
        ]);
        self.run_ffmpeg(args, output).await
    }

    /// Converts audio to MP3 (libmp3lame at `audio_kbps`), dropping any video or cover art and
    /// all metadata (no ID3 tag is written).
    ///
    /// # Errors
    /// As [`Ffmpeg::transcode_video`].
    pub async fn transcode_audio(
        &self,
        input: &Path,
        output: &Path,
    ) -> Result<RunStats, MediaError> {
        let o = &self.opts;
        let mut args = self.input_args(input).await?;
        args.extend(args![
            "-map",
            "0:a:0",
            "-vn",
            "-sn",
            "-dn",
            "-map_metadata",
            "-1",
            "-map_chapters",
            "-1",
            "-c:a",
            "libmp3lame",
            "-b:a",
            format!("{}k", o.audio_kbps),
            "-threads",
            o.threads.max(1).to_string(),
            "-id3v2_version",
            "0",
            "-write_id3v1",
            "0",
            "-t",
            o.max_duration_secs.to_string(),
            "-f",
            "mp3",
            file_url(output),
        ]);
        self.run_ffmpeg(args, output).await
    }

    /// Writes the first video frame as a PNG fitting within `frame_max_side` on each side, for
    /// [`crate::preview_from_frame`].
    ///
    /// # Errors
    /// As [`Ffmpeg::transcode_video`].
    pub async fn extract_frame(
        &self,
        input: &Path,
        output_png: &Path,
    ) -> Result<RunStats, MediaError> {
        let side = self.opts.frame_max_side.max(1);
        let mut args = self.input_args(input).await?;
        args.extend(args![
            "-map",
            "0:V:0",
            "-map_metadata",
            "-1",
            "-frames:v",
            "1",
            "-vf",
            format!(
                "scale=w='min({side},iw)':h='min({side},ih)':force_original_aspect_ratio=decrease"
            ),
            "-c:v",
            "png",
            "-threads",
            self.opts.threads.max(1).to_string(),
            "-update",
            "1",
            "-f",
            "image2",
            file_url(output_png),
        ]);
        self.run_ffmpeg(args, output_png).await
    }

    /// Bounds on decoding, for ffmpeg and ffprobe alike: the largest single allocation (a
    /// global option), and decoders refusing frames over the pixel limit (an input option),
    /// whatever the probe saw — a resolution change mid-stream, a stream it did not check.
    fn decode_limits(&self) -> Vec<OsString> {
        args![
            "-max_alloc",
            self.opts.max_alloc_bytes.to_string(),
            "-max_pixels",
            self.opts.max_input_pixels.min(i32::MAX as u64).to_string(),
        ]
    }

    /// Global options and the input: quiet, no stdin, overwrite, decoding limits, one filter
    /// thread, decoder threads, local files only, the demuxer that matches the sniffed type;
    /// then the output size limit.
    async fn input_args(&self, input: &Path) -> Result<Vec<OsString>, MediaError> {
        let demuxer = demuxer_for(input).await?;
        let mut args = args!["-nostdin", "-hide_banner", "-loglevel", "error", "-y"];
        args.extend(self.decode_limits());
        args.extend(args![
            "-filter_threads",
            "1",
            "-filter_complex_threads",
            "1",
            "-threads",
            self.opts.threads.max(1).to_string(),
            "-protocol_whitelist",
            "file",
            "-f",
            demuxer,
            "-i",
            file_url(input),
            // An output option: the file stops growing at the limit.
            "-fs",
            self.opts.max_output_bytes.to_string(),
        ]);
        Ok(args)
    }

    async fn run_ffmpeg(&self, args: Vec<OsString>, output: &Path) -> Result<RunStats, MediaError> {
        let _permit = self
            .runs
            .acquire()
            .await
            .map_err(|_| MediaError::Failed("ffmpeg runner closed".into()))?;
        let limits = RunLimits {
            timeout: self.opts.timeout,
            max_stdout: 0,
            stderr_tail: self.opts.stderr_tail_bytes,
        };
        let result = match process::run(&self.opts.ffmpeg, &args, &limits).await {
            // `-fs` ends the output at the first packet past the limit, so a file that
            // reached it was cut short.
            Ok(out) => match tokio::fs::metadata(output).await {
                Ok(m) if m.len() >= self.opts.max_output_bytes => {
                    Err(MediaError::TooLarge(format!(
                        "the output reached the limit of {} bytes",
                        self.opts.max_output_bytes
                    )))
                }
                _ => Ok(out.stats),
            },
            Err(e) => Err(e),
        };
        if result.is_err() {
            let _ = tokio::fs::remove_file(output).await;
        }
        result
    }
}

/// The probe's verdict: refuses what has no audio or video, runs too long, has a video stream
/// of unknown size (nothing to check the pixel limit against), or any video stream — cover
/// pictures included — over the pixel limit.
fn check_limits(parsed: &probe::Parsed, o: &FfmpegOptions) -> Result<(), MediaError> {
    let probe = &parsed.probe;
    if !probe.has_video && !probe.has_audio {
        return Err(MediaError::Invalid("no audio or video stream".into()));
    }
    if let Some(d) = probe.duration_secs
        && d > o.max_duration_secs
    {
        return Err(MediaError::TooLarge(format!(
            "duration {d:.0} s; the limit is {:.0} s",
            o.max_duration_secs
        )));
    }
    if probe.has_video && (probe.width.is_none() || probe.height.is_none()) {
        return Err(MediaError::Invalid(
            "the video's frame size is unknown".into(),
        ));
    }
    for &(w, h) in &parsed.video_sizes {
        if u64::from(w) * u64::from(h) > o.max_input_pixels {
            return Err(MediaError::TooLarge(format!(
                "a video stream is {w}×{h} pixels; the limit is {} pixels",
                o.max_input_pixels
            )));
        }
    }
    Ok(())
}

/// The ffmpeg demuxer for a file, chosen from its first bytes by [`sniff`].
///
/// Naming the demuxer keeps ffmpeg from guessing one itself: its guesses include playlist and
/// concatenation formats that open other files, the classic way to make a media server read
/// local files.
async fn demuxer_for(input: &Path) -> Result<&'static str, MediaError> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    tokio::fs::File::open(input)
        .await?
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .await?;
    let sniffed = sniff(&head).ok_or(MediaError::Unsupported)?;
    Ok(match sniffed.mime {
        "video/mp4" | "video/quicktime" | "audio/mp4" => "mov",
        "video/webm" | "video/x-matroska" => "matroska",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/wav" => "wav",
        "audio/flac" => "flac",
        "image/gif" => "gif",
        _ => return Err(MediaError::Unsupported),
    })
}

/// `file:` in front, so a path is never taken for another protocol (`concat:`, `http:`) or an
/// option (`-x`).
fn file_url(path: &Path) -> OsString {
    let mut s = OsString::from("file:");
    s.push(path.as_os_str());
    s
}

/// A scale filter fitting within `max_w`×`max_h`, keeping the aspect ratio, never enlarging,
/// with even sides (yuv420p needs them) of at least 2.
fn even_fit_filter(max_w: u32, max_h: u32) -> String {
    let (max_w, max_h) = (max_w.max(2), max_h.max(2));
    let s = format!("min(1,min({max_w}/iw,{max_h}/ih))");
    format!("scale=w='max(2,trunc(iw*{s}/2)*2)':h='max(2,trunc(ih*{s}/2)*2)'")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn verdict(json: &str, max_input_pixels: u64) -> Result<(), MediaError> {
        let parsed = probe::parse(json.as_bytes()).unwrap();
        let opts = FfmpegOptions {
            max_input_pixels,
            ..FfmpegOptions::default()
        };
        check_limits(&parsed, &opts)
    }

    #[test]
    fn video_of_unknown_size_is_refused() {
        let ok = r#"{"streams": [{"codec_type": "video", "width": 320, "height": 240}]}"#;
        verdict(ok, 320 * 240).unwrap();
        for stream in [
            r#"{"codec_type": "video"}"#,
            r#"{"codec_type": "video", "width": 320}"#,
            r#"{"codec_type": "video", "width": 0, "height": 0}"#,
        ] {
            let json =
                format!(r#"{{"streams": [{stream}, {{"codec_type": "audio"}}], "format": {{}}}}"#);
            let err = verdict(&json, 320 * 240).unwrap_err();
            assert!(matches!(err, MediaError::Invalid(_)), "{stream}: {err:?}");
        }
        // Audio with cover art of unknown size: the cover is never decoded as the video.
        let mp3 = r#"{"streams": [{"codec_type": "audio"},
            {"codec_type": "video", "disposition": {"attached_pic": 1}}]}"#;
        verdict(mp3, 320 * 240).unwrap();
    }

    #[test]
    fn every_video_stream_meets_the_pixel_limit() {
        let over = |json: &str| matches!(verdict(json, 320 * 240), Err(MediaError::TooLarge(_)));
        // The main video is small; a cover picture in front of it is not.
        assert!(over(
            r#"{"streams": [
                {"codec_type": "video", "width": 4000, "height": 4000,
                 "disposition": {"attached_pic": 1}},
                {"codec_type": "video", "width": 320, "height": 240}]}"#
        ));
        // A second video stream.
        assert!(over(
            r#"{"streams": [
                {"codec_type": "video", "width": 320, "height": 240},
                {"codec_type": "video", "width": 321, "height": 240}]}"#
        ));
        assert!(!over(
            r#"{"streams": [{"codec_type": "video", "width": 320, "height": 240}]}"#
        ));
    }

    #[test]
    fn file_urls_and_filters() {
        assert_eq!(file_url(Path::new("-x.mp4")), OsString::from("file:-x.mp4"));
        assert_eq!(
            even_fit_filter(1920, 1080),
            "scale=w='max(2,trunc(iw*min(1,min(1920/iw,1080/ih))/2)*2)':\
             h='max(2,trunc(ih*min(1,min(1920/iw,1080/ih))/2)*2)'"
        );
    }
}
