use rookery_media::{Kind, sniff};

use crate::support::{TempDir, XorShift, encode_jpeg, ffmpeg, photo};

#[test]
fn sniffs_generated_files_by_content() {
    let dir = TempDir::new();
    let src = ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10"];
    let sine = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"];
    let cases: Vec<(Vec<u8>, &str, Kind)> = vec![
        (encode_jpeg(&photo(64, 48), 80), "image/jpeg", Kind::Image),
        (
            ffmpeg(
                &[&src[..], &["-frames:v", "1"]].concat(),
                &dir.path("a.png"),
            ),
            "image/png",
            Kind::Image,
        ),
        (
            ffmpeg(
                &[&src[..], &["-frames:v", "1"]].concat(),
                &dir.path("a.webp"),
            ),
            "image/webp",
            Kind::Image,
        ),
        (
            ffmpeg(&[&src[..], &["-t", "0.3"]].concat(), &dir.path("a.gif")),
            "image/gif",
            Kind::Gif,
        ),
        (
            ffmpeg(
                &[&src[..], &["-t", "0.3", "-pix_fmt", "yuv420p"]].concat(),
                &dir.path("a.mp4"),
            ),
            "video/mp4",
            Kind::Video,
        ),
        (
            ffmpeg(
                &[&src[..], &["-t", "0.3", "-f", "mov"]].concat(),
                &dir.path("a.mov"),
            ),
            "video/quicktime",
            Kind::Video,
        ),
        (
            ffmpeg(
                &[&src[..], &["-t", "0.3", "-c:v", "libvpx", "-b:v", "100k"]].concat(),
                &dir.path("a.webm"),
            ),
            "video/webm",
            Kind::Video,
        ),
        (
            ffmpeg(
                &[&src[..], &["-t", "0.3", "-c:v", "mjpeg"]].concat(),
                &dir.path("a.mkv"),
            ),
            "video/x-matroska",
            Kind::Video,
        ),
        (ffmpeg(&sine, &dir.path("a.wav")), "audio/wav", Kind::Audio),
        (ffmpeg(&sine, &dir.path("a.mp3")), "audio/mpeg", Kind::Audio),
        (
            ffmpeg(
                &[&sine[..], &["-id3v2_version", "0"]].concat(),
                &dir.path("b.mp3"),
            ),
            "audio/mpeg",
            Kind::Audio,
        ),
        (ffmpeg(&sine, &dir.path("a.ogg")), "audio/ogg", Kind::Audio),
        (
            ffmpeg(&sine, &dir.path("a.flac")),
            "audio/flac",
            Kind::Audio,
        ),
        (
            ffmpeg(
                &[&sine[..], &["-c:a", "aac", "-f", "ipod"]].concat(),
                &dir.path("a.m4a"),
            ),
            "audio/mp4",
            Kind::Audio,
        ),
    ];
    for (i, (bytes, mime, kind)) in cases.iter().enumerate() {
        let sniffed = sniff(bytes).unwrap_or_else(|| panic!("case {i} ({mime}) not recognised"));
        assert_eq!((sniffed.mime, sniffed.kind), (*mime, *kind), "case {i}");
    }
}

/// The name and the declared type are never consulted: PNG bytes saved as `.jpg` are a PNG,
/// and random bytes saved as `.png` are nothing.
#[test]
fn extension_that_lies() {
    let dir = TempDir::new();
    let png = ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48",
            "-frames:v",
            "1",
            "-f",
            "image2",
            "-c:v",
            "png",
        ],
        &dir.path("liar.jpg"),
    );
    let sniffed = sniff(&png).unwrap();
    assert_eq!((sniffed.mime, sniffed.ext), ("image/png", "png"));
    let done = rookery_media::process_image(&png, &Default::default()).unwrap();
    assert_eq!(done.original.mime, "image/png");

    let mut rng = XorShift(0x5EED);
    let mut random: Vec<u8> = (0..4096).map(|_| rng.next() as u8).collect();
    // Make sure the random bytes do not start with a real signature by chance.
    random[0] = b'x';
    std::fs::write(dir.path("random.png"), &random).unwrap();
    let read = std::fs::read(dir.path("random.png")).unwrap();
    assert_eq!(sniff(&read), None);
    assert!(matches!(
        rookery_media::process_image(&read, &Default::default()),
        Err(rookery_media::MediaError::Unsupported)
    ));
}

#[test]
fn text_and_html_are_refused() {
    for bytes in [
        &b"<!DOCTYPE html><html>"[..],
        b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        b"#EXTM3U\n#EXT-X-VERSION:3\n",
        b"%PDF-1.7",
        b"PK\x03\x04",
        b"",
        b"\x00",
    ] {
        assert_eq!(sniff(bytes), None, "{bytes:?}");
    }
}
