use std::time::{Duration, Instant};

use image::{GenericImageView, Rgb, RgbImage, Rgba, RgbaImage};
use rookery_media::{
    ImageOptions, MediaError, blurhash_is_valid, gif_is_animated, preview_from_frame,
    process_image, sniff,
};

use crate::support::{
    TempDir, XorShift, contains, encode_jpeg, encode_png_rgba, exif_block, ffmpeg, gps_bytes,
    photo, png_bomb, with_exif, with_png_chunks,
};

fn opts() -> ImageOptions {
    ImageOptions::default()
}

/// Left half red, right half blue: after a 90° clockwise turn the top is red.
fn halves(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([230, 20, 20])
        } else {
            Rgb([20, 20, 230])
        }
    })
}

fn assert_no_metadata(bytes: &[u8]) {
    assert!(!contains(bytes, b"Exif"), "EXIF left in output");
    assert!(
        !contains(bytes, b"II\x2a\x00"),
        "TIFF header left in output"
    );
    assert!(
        !contains(bytes, b"MM\x00\x2a"),
        "TIFF header left in output"
    );
    assert!(!contains(bytes, &gps_bytes()), "GPS data left in output");
    assert!(
        !contains(bytes, b"http://ns.adobe.com/xap"),
        "XMP left in output"
    );
}

#[test]
fn jpeg_exif_orientation_applied_and_gps_stripped() {
    let source = with_exif(&encode_jpeg(&halves(120, 80), 90), &exif_block(6));
    assert!(contains(&source, &gps_bytes()) && contains(&source, b"Exif\0\0"));
    assert_eq!(sniff(&source).unwrap().mime, "image/jpeg");

    let done = process_image(&source, &opts()).unwrap();
    let original = &done.original;
    assert_eq!((original.mime, original.ext), ("image/jpeg", "jpg"));
    assert_eq!(
        (original.width, original.height),
        (80, 120),
        "orientation 6 swaps sides"
    );
    assert_no_metadata(&original.bytes);
    assert_no_metadata(&done.preview.bytes);

    // Rotated 90° clockwise: the left (red) half is now on top.
    let decoded = image::load_from_memory(&original.bytes).unwrap();
    assert_eq!(decoded.dimensions(), (80, 120));
    let top = decoded.get_pixel(40, 10);
    let bottom = decoded.get_pixel(40, 110);
    assert!(top[0] > 180 && top[2] < 80, "top should be red: {top:?}");
    assert!(
        bottom[2] > 180 && bottom[0] < 80,
        "bottom should be blue: {bottom:?}"
    );

    // Small image: the preview is the same size, never enlarged.
    assert_eq!((done.preview.width, done.preview.height), (80, 120));
    assert_eq!(
        done.blurhash.len(),
        36,
        "4×4 components: 1+1+4+2×15 characters"
    );
    assert!(blurhash_is_valid(&done.blurhash));
}

#[test]
fn png_exif_text_and_xmp_chunks_are_dropped() {
    let image = RgbaImage::from_fn(60, 40, |x, _| {
        if x < 30 {
            Rgba([230, 20, 20, 255])
        } else {
            Rgba([20, 20, 230, 255])
        }
    });
    let source = with_png_chunks(
        &encode_png_rgba(&image),
        &[
            (b"eXIf", &exif_block(6)),
            (b"tEXt", b"Comment\0SECRET-COMMENT"),
            (b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta xmlns:x='adobe:ns:meta/'>http://ns.adobe.com/xap/1.0/</x:xmpmeta>"),
        ],
    );
    let done = process_image(&source, &opts()).unwrap();
    assert_eq!(done.original.mime, "image/png");
    assert_eq!(
        (done.original.width, done.original.height),
        (40, 60),
        "eXIf orientation applied"
    );
    for bytes in [&done.original.bytes, &done.preview.bytes] {
        assert_no_metadata(bytes);
        assert!(!contains(bytes, b"SECRET-COMMENT"));
        assert!(
            !contains(bytes, b"eXIf") && !contains(bytes, b"tEXt") && !contains(bytes, b"iTXt")
        );
    }
}

/// A JPEG APP2 segment carrying a (fake, header-only) ICC profile for `space`.
fn with_icc(jpeg: &[u8], space: &[u8; 4]) -> Vec<u8> {
    let mut profile = vec![0u8; 132];
    profile[..4].copy_from_slice(&132u32.to_be_bytes());
    profile[12..16].copy_from_slice(b"mntr");
    profile[16..20].copy_from_slice(space);
    profile[36..40].copy_from_slice(b"acsp");
    profile[100..120].copy_from_slice(b"ROOKERY-TEST-PROFILE");
    let mut payload = b"ICC_PROFILE\0\x01\x01".to_vec();
    payload.extend_from_slice(&profile);
    let len = u16::try_from(payload.len() + 2).unwrap();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE2]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn icc_profile_is_kept_when_it_matches() {
    let base = encode_jpeg(&photo(64, 48), 85);
    let done = process_image(&with_icc(&base, b"RGB "), &opts()).unwrap();
    assert!(contains(&done.original.bytes, b"ROOKERY-TEST-PROFILE"));
    assert!(contains(&done.preview.bytes, b"ROOKERY-TEST-PROFILE"));
    let done = process_image(&with_icc(&base, b"CMYK"), &opts()).unwrap();
    assert!(!contains(&done.original.bytes, b"ROOKERY-TEST-PROFILE"));
    let no_icc = ImageOptions {
        keep_icc_profile: false,
        ..opts()
    };
    let done = process_image(&with_icc(&base, b"RGB "), &no_icc).unwrap();
    assert!(!contains(&done.original.bytes, b"ROOKERY-TEST-PROFILE"));
}

#[test]
fn every_exif_orientation_gives_upright_dimensions() {
    let base = encode_jpeg(&halves(60, 40), 85);
    for orientation in 1..=8u16 {
        let done = process_image(&with_exif(&base, &exif_block(orientation)), &opts()).unwrap();
        let expected = if orientation >= 5 { (40, 60) } else { (60, 40) };
        let got = (done.original.width, done.original.height);
        assert_eq!(got, expected, "orientation {orientation}");
    }
    // Nonsense orientation values and broken EXIF are ignored, not errors.
    let done = process_image(&with_exif(&base, &exif_block(77)), &opts()).unwrap();
    assert_eq!((done.original.width, done.original.height), (60, 40));
    let done = process_image(&with_exif(&base, b"II\x2a\x00\xff\xff\xff\xff"), &opts()).unwrap();
    assert_eq!((done.original.width, done.original.height), (60, 40));
}

#[test]
fn big_photo_is_scaled_down_and_preview_fits() {
    let source = encode_jpeg(&photo(4000, 2500), 85);
    let done = process_image(&source, &opts()).unwrap();
    let (w, h) = (done.original.width, done.original.height);
    assert!(u64::from(w) * u64::from(h) <= 3840 * 2160, "{w}×{h}");
    assert!(w >= 3600, "scaled no more than needed: {w}×{h}");
    assert!((f64::from(w) / f64::from(h) - 1.6).abs() < 0.01);
    let (pw, ph) = (done.preview.width, done.preview.height);
    assert!(u64::from(pw) * u64::from(ph) <= 640 * 360, "{pw}×{ph}");
    assert!(pw >= 600, "{pw}×{ph}");
    assert_eq!(done.preview.mime, "image/jpeg");
    let decoded = image::load_from_memory(&done.preview.bytes).unwrap();
    assert_eq!(decoded.dimensions(), (pw, ph));
}

#[test]
fn png_stays_png_and_alpha_decides_the_preview_format() {
    let transparent = RgbaImage::from_fn(300, 200, |x, _| Rgba([10, 200, 10, (x % 256) as u8]));
    let done = process_image(&encode_png_rgba(&transparent), &opts()).unwrap();
    assert_eq!(done.original.mime, "image/png");
    assert_eq!(done.preview.mime, "image/png", "transparency needs PNG");
    let decoded = image::load_from_memory(&done.original.bytes).unwrap();
    assert!(decoded.color().has_alpha());

    // An alpha channel that is opaque everywhere is dropped; the preview is a JPEG.
    let opaque = RgbaImage::from_fn(300, 200, |x, y| Rgba([x as u8, y as u8, 90, 255]));
    let done = process_image(&encode_png_rgba(&opaque), &opts()).unwrap();
    assert_eq!(done.original.mime, "image/png");
    assert_eq!(done.preview.mime, "image/jpeg");
    let decoded = image::load_from_memory(&done.original.bytes).unwrap();
    assert!(!decoded.color().has_alpha());
}

#[test]
fn webp_and_gif_from_ffmpeg() {
    let dir = TempDir::new();
    let webp = ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240",
            "-frames:v",
            "1",
        ],
        &dir.path("out.webp"),
    );
    let done = process_image(&webp, &opts()).unwrap();
    assert_eq!(done.original.mime, "image/jpeg", "opaque WebP becomes JPEG");
    assert_eq!((done.original.width, done.original.height), (320, 240));
    assert!(blurhash_is_valid(&done.blurhash));

    let animated = ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=10",
            "-t",
            "1",
        ],
        &dir.path("out.gif"),
    );
    assert!(gif_is_animated(&animated));
    let still = ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120",
            "-frames:v",
            "1",
        ],
        &dir.path("still.gif"),
    );
    assert!(!gif_is_animated(&still));
    let done = process_image(&still, &opts()).unwrap();
    assert_eq!(done.original.mime, "image/png", "a still GIF becomes PNG");
    assert_eq!((done.original.width, done.original.height), (160, 120));
}

#[test]
fn decompression_bombs_are_refused_from_the_header() {
    let cases = [
        png_bomb(100_000, 100_000), // over the per-side limit
        png_bomb(10_000, 10_000),   // sides fine, 100 M pixels
        png_bomb(16_384, 16_384),
        // GIF: 65535×65535 logical screen.
        b"GIF89a\xff\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
            .to_vec(),
        // WebP VP8X canvas 100000×100000.
        [
            &b"RIFF\x20\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0"[..],
            &[0x9F, 0x86, 0x01, 0x9F, 0x86, 0x01],
        ]
        .concat(),
    ];
    for (i, bomb) in cases.iter().enumerate() {
        let started = Instant::now();
        let result = process_image(bomb, &opts());
        assert!(
            matches!(result, Err(MediaError::TooLarge(_))),
            "case {i}: {result:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "case {i} was not refused early"
        );
    }
    // JPEG whose SOF declares 60000×60000.
    let mut jpeg = encode_jpeg(&photo(16, 16), 80);
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    assert!(matches!(
        process_image(&jpeg, &opts()),
        Err(MediaError::TooLarge(_))
    ));

    let message = process_image(&cases[1], &opts()).unwrap_err().to_string();
    assert!(message.contains("10000×10000"), "{message}");
}

#[test]
fn byte_limit() {
    let source = encode_jpeg(&photo(200, 200), 90);
    let small = ImageOptions {
        max_bytes: source.len() - 1,
        ..opts()
    };
    assert!(matches!(
        process_image(&source, &small),
        Err(MediaError::TooLarge(_))
    ));
}

#[test]
fn truncated_files_are_invalid() {
    let jpeg = encode_jpeg(&photo(300, 200), 90);
    let half = &jpeg[..jpeg.len() / 2];
    assert_eq!(sniff(half).unwrap().mime, "image/jpeg");
    assert!(matches!(
        process_image(half, &opts()),
        Err(MediaError::Invalid(_))
    ));
    assert!(matches!(
        preview_from_frame(half, &opts()),
        Err(MediaError::Invalid(_))
    ));

    let png = encode_png_rgba(&RgbaImage::from_fn(300, 200, |x, y| {
        Rgba([x as u8, y as u8, (x * y) as u8, 200])
    }));
    let half = &png[..png.len() / 2];
    assert!(matches!(
        process_image(half, &opts()),
        Err(MediaError::Invalid(_))
    ));
}

#[test]
fn garbage_empty_and_tiny_inputs() {
    let inputs: [&[u8]; 9] = [
        b"",
        b"\x00",
        b"\xFF",
        b"\xFF\xD8",
        b"\xFF\xD8\xFF",
        b"\x89PNG\r\n\x1a\n",
        b"GIF89a",
        b"RIFF\0\0\0\0WEBP",
        b"hello world",
    ];
    for input in inputs {
        assert!(process_image(input, &opts()).is_err(), "{input:?}");
        assert!(preview_from_frame(input, &opts()).is_err(), "{input:?}");
        assert!(!gif_is_animated(input));
        let _ = sniff(input);
    }
}

/// Truncations and byte flips of real files in every format: errors are fine, panics are not.
#[test]
fn mutated_files_never_panic() {
    let dir = TempDir::new();
    let originals = [
        encode_jpeg(&photo(96, 64), 85),
        encode_png_rgba(&RgbaImage::from_fn(64, 48, |x, y| {
            Rgba([x as u8, y as u8, 7, 128])
        })),
        ffmpeg(
            &["-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "1"],
            &dir.path("m.webp"),
        ),
        ffmpeg(
            &[
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=64x48:rate=10",
                "-t",
                "0.3",
            ],
            &dir.path("m.gif"),
        ),
        with_exif(&encode_jpeg(&photo(40, 30), 80), &exif_block(6)),
    ];
    let mut rng = XorShift(0xC0FFEE);
    for original in &originals {
        for cut in (0..original.len()).step_by((original.len() / 40).max(1)) {
            let _ = process_image(&original[..cut], &opts());
            let _ = gif_is_animated(&original[..cut]);
        }
        for _ in 0..60 {
            let mut bytes = original.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next() as u8;
            }
            let _ = process_image(&bytes, &opts());
            let _ = gif_is_animated(&bytes);
        }
    }
}
