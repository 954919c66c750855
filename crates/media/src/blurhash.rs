//! A BlurHash encoder (<https://blurha.sh>), written from the algorithm's description.
//!
//! The image is projected onto a few 2-D cosine basis functions in linear light; the average
//! colour (DC) and the quantised coefficients (AC) are packed into base-83 characters.

use std::f32::consts::PI;

const BASE83: &[u8; 83] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

/// Encodes packed 8-bit RGB pixels (`width * height * 3` bytes) with `cx` × `cy` components
/// (each 1..=9). Returns `None` for an empty image, a buffer of the wrong size or bad counts.
#[must_use]
pub fn encode(rgb: &[u8], width: u32, height: u32, cx: u32, cy: u32) -> Option<String> {
    let (w, h) = (width as usize, height as usize);
    if w == 0 || h == 0 || !(1..=9).contains(&cx) || !(1..=9).contains(&cy) {
        return None;
    }
    if rgb.len() != w.checked_mul(h)?.checked_mul(3)? {
        return None;
    }
    let to_linear: Vec<f32> = (0..=255u8).map(srgb_to_linear).collect();
    let (cx, cy) = (cx as usize, cy as usize);
    let cos_x = cos_table(cx, w);
    let cos_y = cos_table(cy, h);

    // factors[j * cx + i] = (r, g, b)
    let mut factors = vec![[0f32; 3]; cx * cy];
    for (y, row) in rgb.chunks_exact(w * 3).enumerate() {
        for (x, px) in row.chunks_exact(3).enumerate() {
            let lin = [
                to_linear[usize::from(px[0])],
                to_linear[usize::from(px[1])],
                to_linear[usize::from(px[2])],
            ];
            for j in 0..cy {
                let by = cos_y[j * h + y];
                for i in 0..cx {
                    let basis = by * cos_x[i * w + x];
                    let f = &mut factors[j * cx + i];
                    f[0] += basis * lin[0];
                    f[1] += basis * lin[1];
                    f[2] += basis * lin[2];
                }
            }
        }
    }
    let pixels = (w * h) as f32;
    for (k, f) in factors.iter_mut().enumerate() {
        let norm = if k == 0 { 1.0 } else { 2.0 } / pixels;
        for c in f.iter_mut() {
            *c *= norm;
        }
    }

    let mut out = String::with_capacity(4 + 2 * cx * cy);
    push_base83(&mut out, ((cx - 1) + (cy - 1) * 9) as u32, 1);
    let (dc, ac) = factors.split_first()?;
    let max_value = if ac.is_empty() {
        push_base83(&mut out, 0, 1);
        1.0
    } else {
        let actual = ac.iter().flatten().fold(0f32, |m, v| m.max(v.abs()));
        let quantised = (actual * 166.0 - 0.5).floor().clamp(0.0, 82.0) as u32;
        push_base83(&mut out, quantised, 1);
        (quantised + 1) as f32 / 166.0
    };
    let dc_value =
        (linear_to_srgb(dc[0]) << 16) | (linear_to_srgb(dc[1]) << 8) | linear_to_srgb(dc[2]);
    push_base83(&mut out, dc_value, 4);
    for f in ac {
        let q = |v: f32| {
            (sign_pow(v / max_value, 0.5) * 9.0 + 9.5)
                .floor()
                .clamp(0.0, 18.0) as u32
        };
        push_base83(&mut out, q(f[0]) * 19 * 19 + q(f[1]) * 19 + q(f[2]), 2);
    }
    Some(out)
}

/// `table[k * n + p] = cos(pi * k * p / n)`.
fn cos_table(components: usize, n: usize) -> Vec<f32> {
    let mut t = Vec::with_capacity(components * n);
    for k in 0..components {
        for p in 0..n {
            t.push((PI * k as f32 * p as f32 / n as f32).cos());
        }
    }
    t
}

fn srgb_to_linear(v: u8) -> f32 {
    let v = f32::from(v) / 255.0;
    if v <= 0.040_45 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn linear_to_srgb(v: f32) -> u32 {
    let v = v.clamp(0.0, 1.0);
    let s = if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    };
    (s * 255.0 + 0.5) as u32
}

fn sign_pow(v: f32, exp: f32) -> f32 {
    v.abs().powf(exp).copysign(v)
}

fn push_base83(out: &mut String, value: u32, digits: u32) {
    for d in (0..digits).rev() {
        let digit = (value / 83u32.pow(d)) % 83;
        out.push(char::from(BASE83[digit as usize]));
    }
}

/// Whether `s` is a well-formed BlurHash: the length its size flag announces, base-83 only.
#[must_use]
pub fn is_valid(s: &str) -> bool {
    let Some(&flag) = s.as_bytes().first() else {
        return false;
    };
    let Some(size) = BASE83.iter().position(|&c| c == flag) else {
        return false;
    };
    let (cx, cy) = (size % 9 + 1, size / 9 + 1);
    s.len() == 4 + 2 * cx * cy && s.bytes().all(|b| BASE83.contains(&b))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn gradient(w: u32, h: u32) -> Vec<u8> {
        let mut v = Vec::new();
        for y in 0..h {
            for x in 0..w {
                v.extend_from_slice(&[
                    (x * 255 / w) as u8,
                    (y * 255 / h) as u8,
                    ((x + y) * 97 % 256) as u8,
                ]);
            }
        }
        v
    }

    /// Reference hashes computed with the C reference implementation (woltapp/blurhash,
    /// `create_hash_from_pixels`) on the same generated pixels.
    #[test]
    fn matches_reference_implementation() {
        let cases = [
            (32, 32, 4, 4, "UxG[]22swxX8l}WCjre;gJfhfRflnmWpjvfP"),
            (48, 20, 4, 3, "LyH2Ta2s$4SxqRWVjraygIfifPfl"),
            (7, 13, 1, 1, "00Fila"),
            (
                64,
                40,
                9,
                9,
                "|zHB}N2Z$6Sgo0bIa}j[a{l}a#jsf8fPf6fPf6fQgKfifQfifOfkfRfkfPnma{jtfPfRfSfPfQfQfkfQfQ\
                 fQfRfPfPfQfPoMa{jtfPfQfPfQfPfPe;fQfQfQfRfQfQfQfRofa{jtfPfQfPfQfPfQe;fQfQfQfRfQfQfQfR",
            ),
        ];
        for (w, h, cx, cy, reference) in cases {
            let ours = encode(&gradient(w, h), w, h, cx, cy).unwrap();
            assert_eq!(ours, reference, "{w}x{h} {cx}x{cy}");
            assert!(is_valid(&ours));
        }
    }

    #[test]
    fn lengths_and_solid_colour() {
        let white = vec![255u8; 8 * 8 * 3];
        let hash = encode(&white, 8, 8, 4, 4).unwrap();
        assert_eq!(hash.len(), 36);
        // Size flag (4-1)+(4-1)*9 = 30 = "U"; DC #ffffff = 16777215 = "TSUA" in base 83.
        assert_eq!(&hash[..1], "U");
        assert_eq!(&hash[2..6], "TSUA");
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(encode(&[], 0, 0, 4, 4), None);
        assert_eq!(encode(&[0; 5], 1, 1, 4, 4), None);
        assert_eq!(encode(&[0; 3], 1, 1, 0, 4), None);
        assert_eq!(encode(&[0; 3], 1, 1, 4, 10), None);
        assert!(!is_valid(""));
        assert!(!is_valid("U0~qj8"));
    }
}
