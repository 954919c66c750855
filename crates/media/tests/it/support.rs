//! Fixtures made at test time: a temporary directory, files generated with ffmpeg, JPEGs with
//! hand-built EXIF, PNG headers for decompression bombs.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, RgbImage, RgbaImage};

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let random = RandomState::new().build_hasher().finish();
        let dir = std::env::temp_dir().join(format!(
            "rookery-media-{}-{random:016x}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs ffmpeg to make a fixture; panics with its stderr on failure.
pub fn ffmpeg(args: &[&str], out: &Path) -> Vec<u8> {
    let result = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(out)
        .output()
        .expect("ffmpeg must be installed (Debian package `ffmpeg`)");
    assert!(
        result.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    std::fs::read(out).unwrap()
}

/// `codec_type:codec_name` of each stream, per ffprobe.
pub fn streams(path: &Path) -> Vec<String> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,codec_name",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let mut parts = l.split(',');
            let name = parts.next().unwrap_or_default();
            let kind = parts.next().unwrap_or_default();
            format!("{kind}:{name}")
        })
        .collect()
}

/// A photo-like test image: gradients, stripes and a little pseudo-random noise.
pub fn photo(width: u32, height: u32) -> RgbImage {
    let mut seed = 0x9E37_79B9_u32;
    RgbImage::from_fn(width, height, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed & 0x1F) as u8;
        let r = (x * 255 / width) as u8;
        let g = (y * 255 / height) as u8;
        let b = if (x / 16 + y / 16) % 2 == 0 { 200 } else { 40 };
        image::Rgb([
            r.saturating_add(noise),
            g.saturating_sub(noise / 2),
            b ^ noise,
        ])
    })
}

pub fn encode_jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

pub fn encode_png_rgba(img: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgba8,
        )
        .unwrap();
    out
}

/// Distinctive GPS values: degrees 52/1, minutes 31/1, seconds 1234/100 — searched for in
/// outputs to prove they are gone.
pub const GPS_LATITUDE: [u32; 6] = [52, 1, 31, 1, 1234, 100];

/// A little-endian TIFF/EXIF block: IFD0 with Orientation and a GPSInfo pointer, and a GPS IFD
/// with latitude and longitude.
pub fn exif_block(orientation: u16) -> Vec<u8> {
    fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value);
    }
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    let ifd0 = 8u32;
    let gps_ifd = ifd0 + 2 + 2 * 12 + 4; // 38
    let gps_data = gps_ifd + 2 + 4 * 12 + 4; // 92
    let mut t = b"II\x2a\x00".to_vec();
    t.extend_from_slice(&ifd0.to_le_bytes());
    // IFD0
    t.extend_from_slice(&2u16.to_le_bytes());
    let o = orientation.to_le_bytes();
    entry(&mut t, 0x0112, SHORT, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, LONG, 1, gps_ifd.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD
    assert_eq!(t.len(), gps_ifd as usize);
    t.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut t, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, RATIONAL, 3, gps_data.to_le_bytes());
    entry(&mut t, 0x0003, ASCII, 2, *b"E\0\0\0");
    entry(&mut t, 0x0004, RATIONAL, 3, (gps_data + 24).to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(t.len(), gps_data as usize);
    for v in GPS_LATITUDE.into_iter().chain([13, 1, 24, 1, 5678, 100]) {
        t.extend_from_slice(&v.to_le_bytes());
    }
    t
}

/// The GPS latitude rationals as they sit in the file.
pub fn gps_bytes() -> Vec<u8> {
    GPS_LATITUDE.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Inserts an APP1 "Exif\0\0" segment right after the JPEG's SOI marker.
pub fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(tiff);
    let len = u16::try_from(payload.len() + 2).unwrap();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
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

pub fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A well-formed PNG header declaring `width`×`height` RGB pixels, with a tiny IDAT (a zlib
/// stream of a few zero bytes) — the shape of a decompression bomb.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, adaptive, no interlace
    png_chunk(&mut out, b"IHDR", &ihdr);
    // zlib: header 78 01, one stored final block of 4 zero bytes, adler32 of them (= 4 << 16 | 1).
    let idat = [
        0x78, 0x01, 0x01, 0x04, 0x00, 0xFB, 0xFF, 0, 0, 0, 0, 0x00, 0x04, 0x00, 0x01,
    ];
    png_chunk(&mut out, b"IDAT", &idat);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A tiny deterministic PRNG for mutation tests.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Inserts extra chunks right after a PNG's IHDR chunk.
pub fn with_png_chunks(png: &[u8], chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    // Signature (8) + IHDR (4 length + 4 type + 13 data + 4 CRC).
    let split = 8 + 25;
    let mut out = png[..split].to_vec();
    for (kind, data) in chunks {
        png_chunk(&mut out, kind, data);
    }
    out.extend_from_slice(&png[split..]);
    out
}
