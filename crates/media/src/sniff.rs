//! Content sniffing: the real type from the first bytes (magic numbers), never from a file
//! name or a declared Content-Type.

/// What a file is, broadly; decides which pipeline processes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A still image: JPEG, PNG, WebP.
    Image,
    /// A GIF: a still image when it has one frame, a silent looping video ("gifv") otherwise;
    /// [`crate::gif_is_animated`] decides.
    Gif,
    /// A video container (MP4, MOV, WebM, Matroska). Whether it really holds video is for
    /// [`crate::Ffmpeg::probe`] to say.
    Video,
    /// An audio file (MP3, Ogg, WAV, FLAC, M4A).
    Audio,
}

/// The result of [`sniff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sniffed {
    /// The MIME type, e.g. `image/png`.
    pub mime: &'static str,
    /// Which pipeline handles it.
    pub kind: Kind,
    /// The usual file extension, without the dot.
    pub ext: &'static str,
}

const fn sniffed(mime: &'static str, kind: Kind, ext: &'static str) -> Sniffed {
    Sniffed { mime, kind, ext }
}

/// How many leading bytes [`sniff`] looks at, at most. Passing more is harmless; passing fewer
/// may miss a WebM doctype or what follows an ID3 tag.
pub const SNIFF_LEN: usize = 4096;

/// Detects the type of a file from its first bytes. `None` means "not something we accept".
///
/// ```
/// use rookery_media::{sniff, Kind};
/// let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
/// assert_eq!(sniff(png).map(|s| s.kind), Some(Kind::Image));
/// assert_eq!(sniff(b"hello"), None);
/// ```
#[must_use]
pub fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    let b = &bytes[..bytes.len().min(SNIFF_LEN)];
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(sniffed("image/jpeg", Kind::Image, "jpg"));
    }
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(sniffed("image/png", Kind::Image, "png"));
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return Some(sniffed("image/gif", Kind::Gif, "gif"));
    }
    if b.len() >= 12 && b.starts_with(b"RIFF") {
        return match &b[8..12] {
            b"WEBP" => Some(sniffed("image/webp", Kind::Image, "webp")),
            b"WAVE" => Some(sniffed("audio/wav", Kind::Audio, "wav")),
            _ => None,
        };
    }
    if b.len() >= 12 && &b[4..8] == b"ftyp" {
        return iso_media(b);
    }
    if b.len() >= 8 && matches!(&b[4..8], b"moov" | b"mdat" | b"wide") {
        // Old QuickTime files start with an atom other than `ftyp`.
        return Some(sniffed("video/quicktime", Kind::Video, "mov"));
    }
    if b.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(if contains(b, b"webm") {
            sniffed("video/webm", Kind::Video, "webm")
        } else {
            sniffed("video/x-matroska", Kind::Video, "mkv")
        });
    }
    if b.starts_with(b"OggS") {
        return Some(sniffed("audio/ogg", Kind::Audio, "ogg"));
    }
    if b.starts_with(b"fLaC") {
        return Some(sniffed("audio/flac", Kind::Audio, "flac"));
    }
    if b.len() >= 10 && b.starts_with(b"ID3") {
        // An ID3v2 tag may precede MP3 frames (usually) or FLAC (rarely): look past it when we
        // have the bytes, otherwise call it MP3.
        let size = syncsafe(&b[6..10]);
        let rest = 10usize.saturating_add(size);
        if let Some(after) = b.get(rest..).filter(|r| r.len() >= 4)
            && let Some(inner) = sniff(after)
            && inner.kind == Kind::Audio
        {
            return Some(inner);
        }
        return Some(sniffed("audio/mpeg", Kind::Audio, "mp3"));
    }
    if is_mpeg_audio_frame(b) {
        return Some(sniffed("audio/mpeg", Kind::Audio, "mp3"));
    }
    None
}

/// ISO base media files (MP4, M4A, MOV, 3GP): the major brand decides.
fn iso_media(b: &[u8]) -> Option<Sniffed> {
    match &b[8..12] {
        b"M4A " | b"M4B " | b"M4P " | b"F4A " | b"F4B " => {
            Some(sniffed("audio/mp4", Kind::Audio, "m4a"))
        }
        b"qt  " => Some(sniffed("video/quicktime", Kind::Video, "mov")),
        // HEIF/AVIF stills share the container; we do not decode them.
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" | b"avif"
        | b"avis" => None,
        b"crx " | b"jp2 " | b"jpx " | b"jpm " | b"mjp2" => None,
        _ => Some(sniffed("video/mp4", Kind::Video, "mp4")),
    }
}

/// An MPEG-1/2/2.5 audio frame header (layer I–III), checked enough to not match text.
fn is_mpeg_audio_frame(b: &[u8]) -> bool {
    let [b0, b1, b2, ..] = *b else {
        return false;
    };
    let sync = b0 == 0xFF && b1 & 0xE0 == 0xE0;
    let version_ok = (b1 >> 3) & 0b11 != 0b01;
    let layer_ok = (b1 >> 1) & 0b11 != 0b00; // 00 is reserved (and ADTS AAC)
    let bitrate_ok = b2 >> 4 != 0b1111;
    let rate_ok = (b2 >> 2) & 0b11 != 0b11;
    sync && version_ok && layer_ok && bitrate_ok && rate_ok
}

/// An ID3v2 "syncsafe" integer: four bytes of seven bits each.
fn syncsafe(b: &[u8]) -> usize {
    b.iter()
        .fold(0usize, |acc, &x| (acc << 7) | usize::from(x & 0x7F))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_empty_inputs() {
        for len in 0..16 {
            let zeros = vec![0u8; len];
            assert_eq!(sniff(&zeros), None);
        }
        assert_eq!(sniff(&[0xFF]), None);
        assert_eq!(sniff(b"RIFF"), None);
        assert_eq!(sniff(b"ID3"), None);
    }

    #[test]
    fn iso_brands() {
        let mk = |brand: &[u8; 4]| {
            let mut v = vec![0, 0, 0, 0x20];
            v.extend_from_slice(b"ftyp");
            v.extend_from_slice(brand);
            v
        };
        assert_eq!(sniff(&mk(b"isom")).map(|s| s.mime), Some("video/mp4"));
        assert_eq!(sniff(&mk(b"M4V ")).map(|s| s.mime), Some("video/mp4"));
        assert_eq!(sniff(&mk(b"qt  ")).map(|s| s.mime), Some("video/quicktime"));
        assert_eq!(sniff(&mk(b"M4A ")).map(|s| s.kind), Some(Kind::Audio));
        assert_eq!(sniff(&mk(b"heic")), None);
        assert_eq!(sniff(&mk(b"avif")), None);
    }

    #[test]
    fn id3_then_flac_and_mp3_sync() {
        let mut v = b"ID3\x04\x00\x00\x00\x00\x00\x02".to_vec();
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(b"fLaC\0\0\0\x22");
        assert_eq!(sniff(&v).map(|s| s.mime), Some("audio/flac"));
        assert_eq!(
            sniff(b"ID3\x04\0\0\0\0\0\0").map(|s| s.mime),
            Some("audio/mpeg")
        );
        // MPEG-1 layer III, 128 kbit/s, 44.1 kHz.
        assert_eq!(sniff(&[0xFF, 0xFB, 0x90, 0x64]).map(|s| s.ext), Some("mp3"));
        // ADTS AAC (layer 00) and reserved sample rates are not MP3.
        assert_eq!(sniff(&[0xFF, 0xF1, 0x50, 0x80]), None);
        assert_eq!(sniff(&[0xFF, 0xFB, 0x9C, 0x64]), None);
        // JPEG's FFD8 is not an audio frame.
        assert_eq!(sniff(&[0xFF, 0xD8, 0x00]), None);
    }

    #[test]
    fn riff_and_ebml() {
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WAVEfmt ").map(|s| s.kind),
            Some(Kind::Audio)
        );
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WEBPVP8 ").map(|s| s.kind),
            Some(Kind::Image)
        );
        assert_eq!(sniff(b"RIFF\0\0\0\0AVI LIST"), None);
        let webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm";
        assert_eq!(sniff(webm).map(|s| s.mime), Some("video/webm"));
        let mkv = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska";
        assert_eq!(sniff(mkv).map(|s| s.ext), Some("mkv"));
    }
}
