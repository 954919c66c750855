//! Real media files for the tests, made with ffmpeg (Debian package `ffmpeg`) in a temp dir.

use std::path::PathBuf;
use std::process::Command;

/// Bytes in the test JPEG's GPS block, looked for in processed files.
pub const GPS_MARKER: &[u8] = b"ROOKERYGPS";

fn scratch() -> rookery_testkit::TempDir {
    rookery_testkit::TempDir::new("rookery-media-it").unwrap()
}

/// Runs ffmpeg with `args` (inputs from lavfi) writing `out_name`; returns the file.
pub fn ffmpeg(args: &[&str], out_name: &str) -> Vec<u8> {
    let dir = scratch();
    let out: PathBuf = dir.path().join(out_name);
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("cannot run ffmpeg ({e}): install the Debian package `ffmpeg`"));
    assert!(status.success(), "ffmpeg {args:?} failed");
    std::fs::read(out).unwrap()
}

pub fn make_png(w: u32, h: u32) -> Vec<u8> {
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc=size={w}x{h}"),
            "-frames:v",
            "1",
        ],
        "out.png",
    )
}

pub fn make_jpeg(w: u32, h: u32) -> Vec<u8> {
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc=size={w}x{h}"),
            "-frames:v",
            "1",
        ],
        "out.jpg",
    )
}

pub fn make_gif() -> Vec<u8> {
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=10",
            "-t",
            "1",
        ],
        "out.gif",
    )
}

pub fn make_mp4() -> Vec<u8> {
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            "-t",
            "2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
        ],
        "out.mp4",
    )
}

pub fn make_audio() -> Vec<u8> {
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            "-t",
            "2",
            "-c:a",
            "libvorbis",
        ],
        "out.ogg",
    )
}

/// A JPEG carrying EXIF with a GPS block (marked with [`GPS_MARKER`]).
pub fn make_jpeg_with_gps(w: u32, h: u32) -> Vec<u8> {
    let jpeg = make_jpeg(w, h);
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    // TIFF, big-endian: IFD0 (orientation 1, pointer to the GPS IFD) and a GPS IFD with
    // GPSMapDatum = "ROOKERYGPS".
    let mut tiff: Vec<u8> = b"MM\x00\x2A\x00\x00\x00\x08".to_vec();
    let entry = |tag: u16, kind: u16, count: u32, value: u32| {
        let mut e = Vec::new();
        e.extend_from_slice(&tag.to_be_bytes());
        e.extend_from_slice(&kind.to_be_bytes());
        e.extend_from_slice(&count.to_be_bytes());
        e.extend_from_slice(&value.to_be_bytes());
        e
    };
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend(entry(0x0112, 3, 1, 1 << 16)); // Orientation = 1 (SHORT, left-aligned)
    tiff.extend(entry(0x8825, 4, 1, 38)); // GPSInfo IFD at 38
    tiff.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(tiff.len(), 38);
    let datum = b"ROOKERYGPS\0";
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend(entry(0x0012, 2, datum.len() as u32, 56)); // GPSMapDatum
    tiff.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(tiff.len(), 56);
    tiff.extend_from_slice(datum);
    let mut app1 = vec![0xFF, 0xE1];
    let len = (2 + 6 + tiff.len()) as u16;
    app1.extend_from_slice(&len.to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend(tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend(app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A valid PNG that declares 50,000 × 50,000 pixels (2.5 gigapixels) in a few hundred bytes.
pub fn make_png_bomb() -> Vec<u8> {
    let png = make_png(16, 16);
    // IHDR is the first chunk: 8-byte signature, length, "IHDR", width, height, …, CRC.
    let mut out = png.clone();
    out[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    out[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    let crc = crc32(&out[12..29]);
    out[29..33].copy_from_slice(&crc.to_be_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A still WebP (opaque, so it becomes a JPEG).
pub fn make_webp(w: u32, h: u32) -> Vec<u8> {
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc=size={w}x{h}"),
            "-frames:v",
            "1",
            "-c:v",
            "libwebp",
        ],
        "out.webp",
    )
}

/// ffprobe's view of a file (`-show_streams -show_format`, JSON).
pub fn ffprobe(bytes: &[u8]) -> serde_json::Value {
    let dir = scratch();
    let path = dir.path().join("probed");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
        ])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run ffprobe ({e}): install the Debian package `ffmpeg`")
        });
    assert!(out.status.success(), "ffprobe failed: {:?}", out);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `(codec_type, codec_name)` of each stream.
pub type Codecs = Vec<(String, String)>;

/// The codecs of each stream, and the first video stream's size.
pub fn streams(bytes: &[u8]) -> (Codecs, Option<(u64, u64)>) {
    let probe = ffprobe(bytes);
    let list = probe["streams"].as_array().cloned().unwrap_or_default();
    let codecs = list
        .iter()
        .map(|s| {
            (
                s["codec_type"].as_str().unwrap_or_default().to_owned(),
                s["codec_name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let size = list
        .iter()
        .find(|s| s["codec_type"] == "video")
        .and_then(|s| Some((s["width"].as_u64()?, s["height"].as_u64()?)));
    (codecs, size)
}

/// Bytes no sniffer recognises (a fixed pseudo-random sequence).
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}
