//! Downscaling of interleaved 8-bit pixels with a triangle (tent) filter widened by the scale
//! factor, so every source pixel contributes (no aliasing at any ratio). Separable, fixed-point
//! weights; several times faster than the `image` crate's generic f32 resize, which matters for
//! 12-megapixel phone photos.

/// Fixed-point precision of the weights.
const SHIFT: u32 = 14;
const ONE: i32 = 1 << SHIFT;

/// For each output position, the first input index and the weights (summing to `ONE`).
struct Taps {
    start: Vec<usize>,
    len: Vec<usize>,
    weights: Vec<i32>,
    /// Offset into `weights` of each output position's taps.
    offset: Vec<usize>,
}

fn taps(src: usize, dst: usize) -> Taps {
    let scale = dst as f64 / src as f64;
    // The tent's radius in source pixels: 1 when enlarging, 1/scale when shrinking.
    let radius = (1.0 / scale).max(1.0);
    let mut t = Taps {
        start: Vec::with_capacity(dst),
        len: Vec::with_capacity(dst),
        weights: Vec::new(),
        offset: Vec::with_capacity(dst),
    };
    let mut raw = Vec::new();
    for i in 0..dst {
        let center = (i as f64 + 0.5) / scale;
        let lo = ((center - radius).floor().max(0.0) as usize).min(src - 1);
        let hi = ((center + radius).ceil() as usize).clamp(lo + 1, src);
        raw.clear();
        raw.extend((lo..hi).map(|j| (1.0 - ((j as f64 + 0.5 - center) / radius).abs()).max(0.0)));
        let sum: f64 = raw.iter().sum();
        t.start.push(lo);
        t.len.push(hi - lo);
        t.offset.push(t.weights.len());
        if sum <= 0.0 {
            // Cannot happen with a radius ≥ 1, but never divide by zero: take the nearest pixel.
            t.weights.push(ONE);
            t.weights.extend(std::iter::repeat_n(0, hi - lo - 1));
            continue;
        }
        let first = t.weights.len();
        t.weights.extend(
            raw.iter()
                .map(|w| (w / sum * f64::from(ONE)).round() as i32),
        );
        // Put the rounding error on the largest weight so the sum is exactly ONE.
        let total: i32 = t.weights[first..].iter().sum();
        if let Some(max) = t.weights[first..].iter_mut().max() {
            *max += ONE - total;
        }
    }
    t
}

fn to_u8(acc: i32) -> u8 {
    ((acc + (ONE >> 1)) >> SHIFT).clamp(0, 255) as u8
}

/// Resizes `src` (`width`×`height`, `channels` bytes per pixel, 1..=4) to `new_w`×`new_h`.
/// All sizes must be non-zero and `src` exactly `width * height * channels` bytes; otherwise returns
/// `None`.
pub(crate) fn resize(
    src: &[u8],
    (width, height): (u32, u32),
    channels: usize,
    (new_w, new_h): (u32, u32),
) -> Option<Vec<u8>> {
    let (w, h, nw, nh) = (
        width as usize,
        height as usize,
        new_w as usize,
        new_h as usize,
    );
    if w == 0 || h == 0 || nw == 0 || nh == 0 || !(1..=4).contains(&channels) {
        return None;
    }
    if src.len() != w.checked_mul(h)?.checked_mul(channels)? {
        return None;
    }

    // Vertical pass first (whole rows at a time, which vectorises well), so the horizontal
    // pass only sees the `nh` output rows.
    let ty = taps(h, nh);
    let stride = w * channels;
    let mut tmp = vec![0u8; nh * stride];
    let mut acc = vec![0i32; stride];
    for (y, out) in tmp.chunks_exact_mut(stride).enumerate() {
        acc.fill(0);
        let weights = &ty.weights[ty.offset[y]..ty.offset[y] + ty.len[y]];
        for (k, &wt) in weights.iter().enumerate() {
            let row = &src[(ty.start[y] + k) * stride..(ty.start[y] + k + 1) * stride];
            for (a, &v) in acc.iter_mut().zip(row) {
                *a += wt * i32::from(v);
            }
        }
        for (o, &a) in out.iter_mut().zip(&acc) {
            *o = to_u8(a);
        }
    }

    let tx = taps(w, nw);
    let mut dst = vec![0u8; nh * nw * channels];
    match channels {
        1 => horizontal::<1>(&tmp, &mut dst, w, nw, &tx),
        2 => horizontal::<2>(&tmp, &mut dst, w, nw, &tx),
        3 => horizontal::<3>(&tmp, &mut dst, w, nw, &tx),
        _ => horizontal::<4>(&tmp, &mut dst, w, nw, &tx),
    }
    Some(dst)
}

/// Horizontal pass over rows of `w` pixels into rows of `nw` pixels, `C` channels each
/// (a constant, so the per-pixel loops unroll).
fn horizontal<const C: usize>(src: &[u8], dst: &mut [u8], w: usize, nw: usize, tx: &Taps) {
    for (row, out) in src.chunks_exact(w * C).zip(dst.chunks_exact_mut(nw * C)) {
        for (x, px_out) in out.chunks_exact_mut(C).enumerate() {
            let weights = &tx.weights[tx.offset[x]..tx.offset[x] + tx.len[x]];
            let pixels = &row[tx.start[x] * C..(tx.start[x] + tx.len[x]) * C];
            let mut acc = [0i32; C];
            for (px, &wt) in pixels.chunks_exact(C).zip(weights) {
                for c in 0..C {
                    acc[c] += wt * i32::from(px[c]);
                }
            }
            for c in 0..C {
                px_out[c] = to_u8(acc[c]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn weights_sum_to_one() {
        for (src, dst) in [(10, 3), (4032, 3325), (7, 7), (3, 10), (1, 1), (16_000, 1)] {
            let t = taps(src, dst);
            for i in 0..dst {
                let sum: i32 = t.weights[t.offset[i]..t.offset[i] + t.len[i]].iter().sum();
                assert_eq!(sum, ONE, "{src}->{dst} at {i}");
                assert!(t.start[i] + t.len[i] <= src);
            }
        }
    }

    #[test]
    fn flat_stays_flat_and_stripes_average_out() {
        let flat = vec![77u8; 9 * 5 * 3];
        assert_eq!(
            resize(&flat, (9, 5), 3, (4, 2)).unwrap(),
            vec![77u8; 4 * 2 * 3]
        );
        // One-pixel black/white stripes halved: mid grey, not aliased stripes.
        let stripes: Vec<u8> = (0..64 * 8)
            .map(|i| if i % 2 == 0 { 0 } else { 255 })
            .collect();
        let out = resize(&stripes, (64, 8), 1, (32, 4)).unwrap();
        for row in out.chunks_exact(32) {
            // The edge pixels see a truncated filter; the inside must be flat grey.
            assert!(
                row[1..31].iter().all(|&v| (125..=130).contains(&v)),
                "{row:?}"
            );
        }
        assert_eq!(resize(&flat, (9, 5), 3, (0, 2)), None);
        assert_eq!(resize(&flat[1..], (9, 5), 3, (4, 2)), None);
    }
}
