//! ffprobe's JSON (`-print_format json -show_format -show_streams`), reduced to what the
//! server needs.

use serde::Deserialize;

use crate::error::MediaError;

/// What ffprobe says about a video or audio file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Probe {
    /// Duration in seconds (the container's, else the longest stream's).
    pub duration_secs: Option<f64>,
    /// Display width of the first video stream (rotation applied).
    pub width: Option<u32>,
    /// Display height of the first video stream (rotation applied).
    pub height: Option<u32>,
    /// Frame rate of the first video stream as a fraction, e.g. `30/1` or `30000/1001`.
    pub frame_rate: Option<String>,
    /// Overall bit rate in bits per second.
    pub bitrate: Option<u64>,
    /// Whether there is a real video stream (cover art attached to audio does not count).
    pub has_video: bool,
    /// Whether there is an audio stream.
    pub has_audio: bool,
    /// Codec of the first video stream, e.g. `h264`.
    pub video_codec: Option<String>,
    /// Codec of the first audio stream, e.g. `aac`.
    pub audio_codec: Option<String>,
}

/// A [`Probe`] and what the limits need beyond it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Parsed {
    pub probe: Probe,
    /// Width × height (before rotation) of every video stream whose size ffprobe could read, cover
    /// pictures and extra video streams included (ffmpeg may decode them while opening the
    /// file). A stream of unknown size is left out.
    pub video_sizes: Vec<(u32, u32)>,
}

#[derive(Debug, Deserialize)]
struct Output {
    #[serde(default)]
    streams: Vec<Stream>,
    format: Option<Format>,
}

#[derive(Debug, Deserialize)]
struct Stream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    duration: Option<String>,
    #[serde(default)]
    disposition: Disposition,
    #[serde(default)]
    tags: Tags,
    #[serde(default)]
    side_data_list: Vec<SideData>,
}

#[derive(Debug, Default, Deserialize)]
struct Disposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Debug, Default, Deserialize)]
struct Tags {
    rotate: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SideData {
    rotation: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Format {
    duration: Option<String>,
    bit_rate: Option<String>,
}

/// Parses ffprobe's output.
pub(crate) fn parse(json: &[u8]) -> Result<Parsed, MediaError> {
    let out: Output = serde_json::from_slice(json)
        .map_err(|e| MediaError::Failed(format!("unreadable ffprobe output: {e}")))?;
    let is = |s: &&Stream, kind: &str| s.codec_type.as_deref() == Some(kind);
    let video = out
        .streams
        .iter()
        .find(|s| is(s, "video") && s.disposition.attached_pic == 0);
    let audio = out.streams.iter().find(|s| is(s, "audio"));

    let format_duration = out
        .format
        .as_ref()
        .and_then(|f| f.duration.as_deref())
        .and_then(parse_positive);
    let stream_duration = out
        .streams
        .iter()
        .filter_map(|s| s.duration.as_deref().and_then(parse_positive))
        .reduce(f64::max);

    let (mut width, mut height) = (
        video.and_then(|v| v.width).filter(|&w| w > 0),
        video.and_then(|v| v.height).filter(|&h| h > 0),
    );
    if video.is_some_and(quarter_turn) {
        std::mem::swap(&mut width, &mut height);
    }
    let frame_rate = video.and_then(|v| {
        [&v.avg_frame_rate, &v.r_frame_rate]
            .into_iter()
            .flatten()
            .find(|r| valid_rate(r))
            .cloned()
    });

    let video_sizes = out
        .streams
        .iter()
        .filter(|s| is(s, "video"))
        .filter_map(|s| Some((s.width.filter(|&w| w > 0)?, s.height.filter(|&h| h > 0)?)))
        .collect();

    let probe = Probe {
        duration_secs: format_duration.or(stream_duration),
        width,
        height,
        frame_rate,
        bitrate: out
            .format
            .as_ref()
            .and_then(|f| f.bit_rate.as_deref())
            .and_then(|b| b.parse().ok()),
        has_video: video.is_some(),
        has_audio: audio.is_some(),
        video_codec: video.and_then(|v| v.codec_name.clone()),
        audio_codec: audio.and_then(|a| a.codec_name.clone()),
    };
    Ok(Parsed { probe, video_sizes })
}

fn parse_positive(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|d| d.is_finite() && *d >= 0.0)
}

/// Phone videos are often stored sideways with a 90° rotation to apply on display.
fn quarter_turn(s: &Stream) -> bool {
    let degrees = s
        .side_data_list
        .iter()
        .find_map(|d| d.rotation)
        .or_else(|| s.tags.rotate.as_deref().and_then(|r| r.parse().ok()));
    degrees.is_some_and(|d: f64| (d.rem_euclid(180.0) - 90.0).abs() < 1.0)
}

fn valid_rate(r: &str) -> bool {
    let Some((n, d)) = r.split_once('/') else {
        return false;
    };
    matches!((n.parse::<u64>(), d.parse::<u64>()), (Ok(n), Ok(d)) if n > 0 && d > 0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_video_with_rotation_and_cover_art_audio() {
        let json = br#"{
          "streams": [
            {"codec_type": "video", "codec_name": "h264", "width": 1920, "height": 1080,
             "avg_frame_rate": "0/0", "r_frame_rate": "30000/1001", "duration": "12.5",
             "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}]},
            {"codec_type": "audio", "codec_name": "aac", "duration": "12.6"}
          ],
          "format": {"duration": "12.600000", "bit_rate": "1234567"}
        }"#;
        let parsed = parse(json).unwrap();
        assert_eq!(parsed.video_sizes, [(1920, 1080)]);
        let p = parsed.probe;
        assert_eq!((p.width, p.height), (Some(1080), Some(1920)));
        assert_eq!(p.frame_rate.as_deref(), Some("30000/1001"));
        assert_eq!(p.duration_secs, Some(12.6));
        assert_eq!(p.bitrate, Some(1_234_567));
        assert!(p.has_video && p.has_audio);

        let mp3 = br#"{"streams": [
            {"codec_type": "audio", "codec_name": "mp3"},
            {"codec_type": "video", "codec_name": "mjpeg", "width": 500, "height": 500,
             "disposition": {"attached_pic": 1}}],
          "format": {"duration": "N/A"}}"#;
        let parsed = parse(mp3).unwrap();
        assert_eq!(
            parsed.video_sizes,
            [(500, 500)],
            "cover art counts for the limits"
        );
        let p = parsed.probe;
        assert!(!p.has_video && p.has_audio);
        assert_eq!(p.duration_secs, None);
        assert!(parse(b"not json").is_err());
        assert_eq!(parse(b"{}").unwrap(), Parsed::default());
    }
}
