//! Cheap structural reads of image headers: dimensions before any decoder allocates, JPEG
//! completeness and GIF frame counting. Every read is bounds-checked; malformed input gives
//! `None`/`false`/a short count, never a panic.

use image::ImageFormat;

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

/// Width and height as the file's header declares them.
pub(crate) fn dimensions(b: &[u8], format: ImageFormat) -> Option<(u32, u32)> {
    match format {
        ImageFormat::Png => {
            // Signature (8), IHDR length (4), "IHDR", width, height.
            (b.get(12..16)? == b"IHDR").then_some(())?;
            Some((be32(b, 16)?, be32(b, 20)?))
        }
        ImageFormat::Gif => Some((u32::from(le16(b, 6)?), u32::from(le16(b, 8)?))),
        ImageFormat::WebP => webp_dimensions(b),
        ImageFormat::Jpeg => jpeg_dimensions(b),
        _ => None,
    }
}

fn webp_dimensions(b: &[u8]) -> Option<(u32, u32)> {
    match b.get(12..16)? {
        b"VP8 " => {
            // Frame tag (3), start code 9D 01 2A, then 14-bit width and height.
            (b.get(23..26)? == [0x9D, 0x01, 0x2A]).then_some(())?;
            Some((
                u32::from(le16(b, 26)? & 0x3FFF),
                u32::from(le16(b, 28)? & 0x3FFF),
            ))
        }
        b"VP8L" => {
            (*b.get(20)? == 0x2F).then_some(())?;
            let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => Some((le24(b, 24)? + 1, le24(b, 27)? + 1)),
        _ => None,
    }
}

/// Walks the marker segments up to the first start-of-frame.
fn jpeg_dimensions(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    loop {
        let (marker, next) = jpeg_marker(b, i)?;
        match marker {
            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                // Length (2), precision (1), height (2), width (2).
                let height = be16(b, next + 3)?;
                let width = be16(b, next + 5)?;
                return Some((u32::from(width), u32::from(height)));
            }
            0xDA | 0xD9 => return None,
            _ => i = jpeg_skip_segment(b, marker, next)?,
        }
    }
}

/// The marker at `i` (skipping fill bytes) and the offset just after it.
fn jpeg_marker(b: &[u8], mut i: usize) -> Option<(u8, usize)> {
    (*b.get(i)? == 0xFF).then_some(())?;
    while *b.get(i + 1)? == 0xFF {
        i += 1;
    }
    Some((*b.get(i + 1)?, i + 2))
}

/// The offset after the segment whose marker ended at `next`.
fn jpeg_skip_segment(b: &[u8], marker: u8, next: usize) -> Option<usize> {
    if matches!(marker, 0x01 | 0xD0..=0xD7) {
        return Some(next); // no length field
    }
    let len = usize::from(be16(b, next)?);
    (len >= 2).then_some(next + len)
}

/// Whether a JPEG's entropy-coded data is followed by an end-of-image marker. A truncated
/// upload lacks it; byte stuffing guarantees `FF D9` cannot occur inside the scan data.
pub(crate) fn jpeg_is_complete(b: &[u8]) -> bool {
    let mut i = 2;
    loop {
        let Some((marker, next)) = jpeg_marker(b, i) else {
            return false;
        };
        if marker == 0xDA {
            let Some(scan) = b.get(next..) else {
                return false;
            };
            // The marker is usually at or near the very end: search backwards.
            return scan.windows(2).rev().any(|w| w == [0xFF, 0xD9]);
        }
        if marker == 0xD9 {
            return false;
        }
        match jpeg_skip_segment(b, marker, next) {
            Some(n) => i = n,
            None => return false,
        }
    }
}

/// Counts image descriptors in a GIF, stopping at `limit`.
pub(crate) fn gif_frame_count(b: &[u8], limit: usize) -> usize {
    gif_frames(b, limit).unwrap_or_else(|count| count)
}

/// `Ok(count)` at the trailer or the limit, `Err(count so far)` on malformed or short input.
fn gif_frames(b: &[u8], limit: usize) -> Result<usize, usize> {
    let mut count = 0;
    if !(b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a")) {
        return Err(count);
    }
    let packed = *b.get(10).ok_or(count)?;
    let mut i = 13 + color_table_len(packed);
    loop {
        match *b.get(i).ok_or(count)? {
            0x21 => i = skip_sub_blocks(b, i + 2).ok_or(count)?,
            0x2C => {
                count += 1;
                if count >= limit {
                    return Ok(count);
                }
                let packed = *b.get(i + 9).ok_or(count)?;
                // Descriptor (10), colour table, LZW minimum code size (1), data sub-blocks.
                i = skip_sub_blocks(b, i + 10 + color_table_len(packed) + 1).ok_or(count)?;
            }
            0x3B => return Ok(count),
            _ => return Err(count),
        }
    }
}

fn color_table_len(packed: u8) -> usize {
    if packed & 0x80 == 0 {
        0
    } else {
        3 << ((packed & 0x07) + 1)
    }
}

/// The offset after a chain of data sub-blocks starting at `i`.
fn skip_sub_blocks(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let size = usize::from(*b.get(i)?);
        i += 1;
        if size == 0 {
            return Some(i);
        }
        i += size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_never_panics() {
        let inputs: [&[u8]; 6] = [
            b"",
            b"\xFF",
            b"\xFF\xD8\xFF",
            b"\xFF\xD8\xFF\xFF\xFF\xFF",
            b"\xFF\xD8\xFF\xE0\x00\x00",
            b"GIF89a\x01\x00\x01\x00\x80",
        ];
        for b in inputs {
            for f in [
                ImageFormat::Png,
                ImageFormat::Gif,
                ImageFormat::WebP,
                ImageFormat::Jpeg,
            ] {
                let _ = dimensions(b, f);
            }
            assert!(!jpeg_is_complete(b));
            assert!(gif_frame_count(b, 2) <= 1);
        }
    }

    #[test]
    fn webp_headers() {
        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        vp8x.extend_from_slice(&[0x9F, 0x86, 0x01, 0x9F, 0x86, 0x01]); // 99999+1 each
        assert_eq!(
            dimensions(&vp8x, ImageFormat::WebP),
            Some((100_000, 100_000))
        );
        let mut vp8l = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
        let bits: u32 = 319 | (239 << 14);
        vp8l.extend_from_slice(&bits.to_le_bytes());
        assert_eq!(dimensions(&vp8l, ImageFormat::WebP), Some((320, 240)));
    }
}
