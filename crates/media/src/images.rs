//! Still images: bounded decoding, EXIF orientation, metadata-free re-encoding, previews and
//! blurhashes. Synchronous and CPU-heavy: call from `tokio::task::spawn_blocking`.

use std::borrow::Cow;
use std::io::Cursor;
use std::time::{Duration, Instant};

use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::metadata::Orientation;
use image::{
    ColorType, DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageError,
    ImageFormat, ImageReader, Limits,
};

use crate::error::MediaError;
use crate::sniff::sniff;
use crate::{blurhash, header, resample};

/// Limits and quality settings for [`process_image`] and [`preview_from_frame`].
#[derive(Debug, Clone, PartialEq)]
pub struct ImageOptions {
    /// Largest accepted input file, in bytes. Default 16 MiB.
    pub max_bytes: usize,
    /// Most pixels (width × height) an input may declare. Default 33,177,600 (7680×4320).
    pub max_pixels: u64,
    /// Longest accepted side, in pixels. Default 16,384.
    pub max_side: u32,
    /// Most bytes the decoder may allocate. Default 256 MiB (a 33 MP RGBA image takes 133 MB).
    pub max_alloc: u64,
    /// Originals with more pixels are scaled down to fit. Default 8,294,400 (3840×2160).
    pub original_max_pixels: u64,
    /// Previews fit within this many pixels (never upscaled). Default 230,400 (640×360).
    pub preview_max_pixels: u64,
    /// JPEG quality of re-encoded originals. Default 88.
    pub jpeg_quality: u8,
    /// JPEG quality of previews. Default 80.
    pub preview_jpeg_quality: u8,
    /// BlurHash components (x, y), each 1..=9. Default 4×4.
    pub blurhash_components: (u32, u32),
    /// Keep the ICC colour profile (not personal data; without it wide-gamut photos look dull).
    /// Default true. EXIF, XMP, IPTC and every other metadata block are always dropped.
    pub keep_icc_profile: bool,
}

impl Default for ImageOptions {
    fn default() -> Self {
        Self {
            max_bytes: 16 * 1024 * 1024,
            max_pixels: 7680 * 4320,
            max_side: 16_384,
            max_alloc: 256 * 1024 * 1024,
            original_max_pixels: 3840 * 2160,
            preview_max_pixels: 640 * 360,
            jpeg_quality: 88,
            preview_jpeg_quality: 80,
            blurhash_components: (4, 4),
            keep_icc_profile: true,
        }
    }
}

/// An encoded image ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// `image/jpeg` or `image/png`.
    pub mime: &'static str,
    /// `jpg` or `png`.
    pub ext: &'static str,
    /// Width in pixels, after orientation and scaling.
    pub width: u32,
    /// Height in pixels, after orientation and scaling.
    pub height: u32,
}

/// How long each step of [`process_image`] took (for metrics and benchmarks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImageTimings {
    /// Checks, decoding and applying the orientation.
    pub decode: Duration,
    /// Scaling the original down (zero when it is small enough).
    pub scale: Duration,
    /// Encoding the original.
    pub original: Duration,
    /// Scaling and encoding the preview.
    pub preview: Duration,
    /// Computing the blurhash.
    pub blurhash: Duration,
}

/// The result of [`process_image`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedImage {
    /// The upright, metadata-free original (scaled down past `original_max_pixels`).
    pub original: Encoded,
    /// The small version.
    pub preview: Encoded,
    /// The BlurHash of the image.
    pub blurhash: String,
    /// Time spent per step.
    pub timings: ImageTimings,
}

/// Decodes an uploaded image within `opts`' limits, turns it upright and re-encodes it without
/// metadata, with a preview and a blurhash.
///
/// JPEG stays JPEG, PNG stays PNG, a GIF becomes PNG (its first frame: animated GIFs belong to
/// [`crate::Ffmpeg::transcode_video`]), WebP becomes PNG when it uses transparency, JPEG
/// otherwise.
///
/// # Errors
/// [`MediaError::TooLarge`] past a byte, side or pixel limit (checked from the header, before
/// decoding), [`MediaError::Unsupported`] for other formats, [`MediaError::Invalid`] for
/// truncated or corrupt files, [`MediaError::Encode`] if encoding fails.
pub fn process_image(bytes: &[u8], opts: &ImageOptions) -> Result<ProcessedImage, MediaError> {
    let started = Instant::now();
    let decoded = decode(bytes, opts)?;
    let decode_time = started.elapsed();

    let started = Instant::now();
    let (width, height) = (decoded.pixels.width, decoded.pixels.height);
    let (ow, oh) = fit_within(width, height, opts.original_max_pixels);
    let pixels = if (ow, oh) == (width, height) {
        decoded.pixels
    } else {
        decoded.pixels.resized(ow, oh)?
    };
    let scale_time = started.elapsed();

    let started = Instant::now();
    let original_format = match decoded.format {
        ImageFormat::Jpeg => OutFormat::Jpeg(opts.jpeg_quality),
        ImageFormat::WebP if !pixels.has_alpha() => OutFormat::Jpeg(opts.jpeg_quality),
        _ => OutFormat::Png,
    };
    let original = encode(&pixels, original_format, decoded.icc.as_deref())?;
    let original_time = started.elapsed();

    let (preview, blurhash, preview_time, blurhash_time) =
        preview_and_blurhash(&pixels, decoded.icc.as_deref(), opts)?;
    Ok(ProcessedImage {
        original,
        preview,
        blurhash,
        timings: ImageTimings {
            decode: decode_time,
            scale: scale_time,
            original: original_time,
            preview: preview_time,
            blurhash: blurhash_time,
        },
    })
}

/// Makes a preview and a blurhash from a still (a video frame from
/// [`crate::Ffmpeg::extract_frame`], or any image [`process_image`] accepts).
///
/// # Errors
/// As [`process_image`].
pub fn preview_from_frame(
    bytes: &[u8],
    opts: &ImageOptions,
) -> Result<(Encoded, String), MediaError> {
    let decoded = decode(bytes, opts)?;
    let (preview, blurhash, _, _) =
        preview_and_blurhash(&decoded.pixels, decoded.icc.as_deref(), opts)?;
    Ok((preview, blurhash))
}

/// Whether a GIF has more than one frame. Walks the block structure without decoding pixels
/// (no allocation); anything that is not a well-formed GIF answers `false`.
#[must_use]
pub fn gif_is_animated(bytes: &[u8]) -> bool {
    header::gif_frame_count(bytes, 2) >= 2
}

struct Decoded {
    pixels: Pixels,
    format: ImageFormat,
    icc: Option<Vec<u8>>,
}

/// ICC profiles are a few KiB; anything much bigger is not worth carrying.
const MAX_ICC_BYTES: usize = 256 * 1024;

fn decode(bytes: &[u8], opts: &ImageOptions) -> Result<Decoded, MediaError> {
    if bytes.len() > opts.max_bytes {
        return Err(MediaError::TooLarge(format!(
            "the file is {} bytes; the limit is {} bytes",
            bytes.len(),
            opts.max_bytes
        )));
    }
    let format = match sniff(bytes).map(|s| s.mime) {
        Some("image/jpeg") => ImageFormat::Jpeg,
        Some("image/png") => ImageFormat::Png,
        Some("image/gif") => ImageFormat::Gif,
        Some("image/webp") => ImageFormat::WebP,
        _ => return Err(MediaError::Unsupported),
    };
    // Refuse decompression bombs from the header alone, before any decoder allocates.
    if let Some((w, h)) = header::dimensions(bytes, format) {
        check_dimensions(w, h, opts)?;
    }
    if format == ImageFormat::Jpeg && !header::jpeg_is_complete(bytes) {
        // The JPEG decoder is lenient and would fill the missing part with grey.
        return Err(MediaError::Invalid(
            "truncated JPEG (no end-of-image marker)".into(),
        ));
    }

    let mut limits = Limits::default();
    limits.max_image_width = Some(opts.max_side);
    limits.max_image_height = Some(opts.max_side);
    limits.max_alloc = Some(opts.max_alloc);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(from_image_error)?;
    let (w, h) = decoder.dimensions();
    check_dimensions(w, h, opts)?;
    // Broken EXIF is common and harmless: treat it as "no rotation".
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let icc = if opts.keep_icc_profile {
        decoder
            .icc_profile()
            .ok()
            .flatten()
            .filter(|p| p.len() <= MAX_ICC_BYTES)
    } else {
        None
    };
    let mut image = DynamicImage::from_decoder(decoder).map_err(from_image_error)?;
    image.apply_orientation(orientation);
    Ok(Decoded {
        pixels: Pixels::from_image(image),
        format,
        icc,
    })
}

fn check_dimensions(w: u32, h: u32, opts: &ImageOptions) -> Result<(), MediaError> {
    if w == 0 || h == 0 {
        return Err(MediaError::Invalid(format!("image is {w}×{h} pixels")));
    }
    if w > opts.max_side || h > opts.max_side {
        return Err(MediaError::TooLarge(format!(
            "image is {w}×{h} pixels; the limit is {} pixels per side",
            opts.max_side
        )));
    }
    let pixels = u64::from(w) * u64::from(h);
    if pixels > opts.max_pixels {
        return Err(MediaError::TooLarge(format!(
            "image is {w}×{h} = {pixels} pixels; the limit is {} pixels",
            opts.max_pixels
        )));
    }
    Ok(())
}

fn from_image_error(e: ImageError) -> MediaError {
    match e {
        ImageError::Limits(l) => MediaError::TooLarge(l.to_string()),
        ImageError::Unsupported(u) => {
            tracing::debug!(error = %u, "unsupported image feature");
            MediaError::Unsupported
        }
        ImageError::Decoding(d) => MediaError::Invalid(d.to_string()),
        ImageError::Parameter(p) => MediaError::Invalid(p.to_string()),
        ImageError::IoError(io) => MediaError::Invalid(io.to_string()),
        ImageError::Encoding(e) => MediaError::Encode(e.to_string()),
    }
}

fn preview_and_blurhash(
    image: &Pixels,
    icc: Option<&[u8]>,
    opts: &ImageOptions,
) -> Result<(Encoded, String, Duration, Duration), MediaError> {
    let started = Instant::now();
    let (w, h) = (image.width, image.height);
    let (pw, ph) = fit_within(w, h, opts.preview_max_pixels);
    let scaled;
    let small = if (pw, ph) == (w, h) {
        image
    } else {
        scaled = image.resized(pw, ph)?;
        &scaled
    };
    let format = if small.has_alpha() {
        OutFormat::Png
    } else {
        OutFormat::Jpeg(opts.preview_jpeg_quality)
    };
    let preview = encode(small, format, icc)?;
    let preview_time = started.elapsed();

    let started = Instant::now();
    let hash = blurhash_of(small, opts.blurhash_components)?;
    Ok((preview, hash, preview_time, started.elapsed()))
}

/// Blurhash from a copy at most 64 pixels on its longest side: the hash only keeps a few
/// cosine components, so more pixels would cost time and change nothing visible.
fn blurhash_of(image: &Pixels, (cx, cy): (u32, u32)) -> Result<String, MediaError> {
    const SIDE: u32 = 64;
    let (w, h) = (image.width, image.height);
    let tiny;
    let source = if w > SIDE || h > SIDE {
        let scale = f64::from(SIDE) / f64::from(w.max(h));
        let size = |v: u32| ((f64::from(v) * scale).round() as u32).clamp(1, SIDE);
        tiny = image.resized(size(w), size(h))?;
        &tiny
    } else {
        image
    };
    blurhash::encode(&source.rgb(), source.width, source.height, cx, cy)
        .ok_or_else(|| MediaError::Encode("blurhash: bad dimensions or component counts".into()))
}

/// The largest size with the same aspect ratio and at most `max_pixels` pixels (never larger
/// than the input; at least 1×1).
pub(crate) fn fit_within(w: u32, h: u32, max_pixels: u64) -> (u32, u32) {
    let pixels = u64::from(w) * u64::from(h);
    if pixels <= max_pixels || pixels == 0 {
        return (w, h);
    }
    let scale = (max_pixels as f64 / pixels as f64).sqrt();
    let size = |v: u32, round: fn(f64) -> f64| (round(f64::from(v) * scale) as u32).clamp(1, v);
    let fits = |(a, b): (u32, u32)| u64::from(a) * u64::from(b) <= max_pixels;
    let rounded = (size(w, f64::round), size(h, f64::round));
    if fits(rounded) {
        return rounded;
    }
    let floored = (size(w, f64::floor), size(h, f64::floor));
    if fits(floored) {
        return floored;
    }
    // Only a side clamped up to 1 pixel can overshoot: give the other side what is left.
    let cap = |v: u32| u32::try_from(max_pixels).unwrap_or(u32::MAX).clamp(1, v);
    match floored {
        (nw, 1) => (cap(nw), 1),
        (1, nh) => (1, cap(nh)),
        other => other,
    }
}

/// Decoded 8-bit pixels, interleaved: 1 channel (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA).
/// An alpha channel is only kept when some pixel is not fully opaque.
struct Pixels {
    data: Vec<u8>,
    width: u32,
    height: u32,
    channels: usize,
}

impl Pixels {
    /// Converts to 8 bits per channel (16-bit and float images are reduced), without copying
    /// when the image already is 8-bit.
    fn from_image(image: DynamicImage) -> Self {
        let (width, height) = (image.width(), image.height());
        let grey = matches!(
            image.color(),
            ColorType::L8 | ColorType::L16 | ColorType::La8 | ColorType::La16
        );
        let alpha = image.color().has_alpha();
        let (data, channels) = match (grey, alpha) {
            (true, false) => (image.into_luma8().into_raw(), 1),
            (true, true) => (image.into_luma_alpha8().into_raw(), 2),
            (false, false) => (image.into_rgb8().into_raw(), 3),
            (false, true) => (image.into_rgba8().into_raw(), 4),
        };
        let pixels = Self {
            data,
            width,
            height,
            channels,
        };
        let opaque = pixels
            .data
            .chunks_exact(channels)
            .all(|px| px[channels - 1] == u8::MAX);
        if alpha && opaque {
            pixels.without_alpha()
        } else {
            pixels
        }
    }

    fn has_alpha(&self) -> bool {
        self.channels == 2 || self.channels == 4
    }

    fn without_alpha(&self) -> Self {
        if !self.has_alpha() {
            return Self {
                data: self.data.clone(),
                ..*self
            };
        }
        let keep = self.channels - 1;
        Self {
            data: self
                .data
                .chunks_exact(self.channels)
                .flat_map(|px| &px[..keep])
                .copied()
                .collect(),
            width: self.width,
            height: self.height,
            channels: keep,
        }
    }

    fn resized(&self, width: u32, height: u32) -> Result<Self, MediaError> {
        let data = resample::resize(
            &self.data,
            (self.width, self.height),
            self.channels,
            (width, height),
        )
        .ok_or_else(|| MediaError::Encode("resize: inconsistent image buffer".into()))?;
        Ok(Self {
            data,
            width,
            height,
            channels: self.channels,
        })
    }

    /// Packed RGB (grey replicated, alpha dropped).
    fn rgb(&self) -> Cow<'_, [u8]> {
        match self.channels {
            3 => Cow::Borrowed(&self.data),
            4 => Cow::Owned(
                self.data
                    .chunks_exact(4)
                    .flat_map(|px| [px[0], px[1], px[2]])
                    .collect(),
            ),
            c => Cow::Owned(
                self.data
                    .chunks_exact(c)
                    .flat_map(|px| [px[0], px[0], px[0]])
                    .collect(),
            ),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum OutFormat {
    Jpeg(u8),
    Png,
}

/// Encodes pixels. Nothing but pixels (and the ICC profile) is written: no EXIF, XMP, text
/// chunks or comments. JPEG uses 4:2:0 chroma subsampling (averaged) below quality 90 and the
/// standard Huffman tables: optimised tables save ~8% but some decoders (zune-jpeg 0.5)
/// misread the degenerate ones flat images produce.
fn encode(pixels: &Pixels, format: OutFormat, icc: Option<&[u8]>) -> Result<Encoded, MediaError> {
    let (width, height) = (pixels.width, pixels.height);
    let icc = icc.filter(|p| icc_fits(p, pixels.channels));
    let mut bytes = Vec::new();
    let (mime, ext) = match format {
        OutFormat::Jpeg(quality) => {
            let opaque;
            let pixels = if pixels.has_alpha() {
                opaque = pixels.without_alpha();
                &opaque
            } else {
                pixels
            };
            let color = if pixels.channels == 1 {
                jpeg_encoder::ColorType::Luma
            } else {
                jpeg_encoder::ColorType::Rgb
            };
            let side = |v: u32| {
                u16::try_from(v)
                    .map_err(|_| MediaError::Encode(format!("{v} px is too wide for JPEG")))
            };
            let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, quality.clamp(1, 100));
            encoder.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
            if let Some(icc) = icc {
                // Fails only for profiles too large to embed; the image is fine without.
                let _ = encoder.add_icc_profile(icc);
            }
            encoder
                .encode(&pixels.data, side(width)?, side(height)?, color)
                .map_err(|e| MediaError::Encode(e.to_string()))?;
            ("image/jpeg", "jpg")
        }
        OutFormat::Png => {
            let color = match pixels.channels {
                1 => ExtendedColorType::L8,
                2 => ExtendedColorType::La8,
                3 => ExtendedColorType::Rgb8,
                _ => ExtendedColorType::Rgba8,
            };
            let mut encoder = PngEncoder::new_with_quality(
                &mut bytes,
                CompressionType::Fast,
                PngFilter::Adaptive,
            );
            if let Some(icc) = icc {
                let _ = encoder.set_icc_profile(icc.to_vec());
            }
            encoder
                .write_image(&pixels.data, width, height, color)
                .map_err(encode_error)?;
            ("image/png", "png")
        }
    };
    Ok(Encoded {
        bytes,
        mime,
        ext,
        width,
        height,
    })
}

/// Whether an ICC profile describes the pixels we write: its header names the colour space at
/// bytes 16..20. A CMYK JPEG's profile must not follow its pixels once they are converted to RGB.
fn icc_fits(profile: &[u8], channels: usize) -> bool {
    match profile.get(16..20) {
        Some(b"RGB ") => channels >= 3,
        Some(b"GRAY") => channels <= 2,
        _ => false,
    }
}

fn encode_error(e: ImageError) -> MediaError {
    MediaError::Encode(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_within_keeps_aspect_and_never_grows() {
        assert_eq!(fit_within(1920, 1080, 640 * 360), (640, 360));
        assert_eq!(fit_within(100, 50, 640 * 360), (100, 50));
        assert_eq!(fit_within(3840, 2160, 3840 * 2160), (3840, 2160));
        assert_eq!(fit_within(16_000, 1, 100), (100, 1));
        let (w, h) = fit_within(4000, 3000, 640 * 360);
        assert!(u64::from(w) * u64::from(h) <= 640 * 360);
        assert_eq!((w, h), (554, 415));
        let (w, h) = fit_within(7, 16_384, 1000);
        assert!(w >= 1 && u64::from(w) * u64::from(h) <= 1000);
    }
}
