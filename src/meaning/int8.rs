//! Dense layers in 8-bit integers: the sentence model's products at the speed of the hardware.
//!
//! A dense layer's weights are quantized once, when the model loads: each output's row gets its
//! own scale (its largest weight becomes ±127). Each input row is quantized as it arrives, with
//! its own scale, so one loud token does not flatten the others. The product of the two is
//! exact in 32-bit integers, and one scale multiplication per output turns it back into floats.
//!
//! On x86-64 processors with AVX-512 VNNI (most servers since 2019) one instruction multiplies
//! and adds 64 byte pairs, four times the float32 work per instruction; elsewhere the model
//! keeps its float32 layers, so this module is never slower than what it replaces.

/// Outputs computed side by side: one 512-bit register of 32-bit sums.
const LANES: usize = 16;
/// Input values per 32-bit group that the integer instruction multiplies at once.
const GROUP: usize = 4;
/// Input rows sharing one pass over the weights.
const ROWS: usize = 8;

/// A dense layer's weights, quantized and laid out for the integer kernel.
pub struct QuantizedDense {
    inputs: usize,
    outputs: usize,
    /// `outputs / LANES` blocks, each `inputs / GROUP` groups of `LANES × GROUP` bytes.
    packed: Vec<i8>,
    /// Each output's scale.
    scales: Vec<f32>,
    /// Each output's sum of quantized weights times 128: inputs are stored offset by 128, as
    /// the instruction wants unsigned bytes, and this takes the offset back out.
    offsets: Vec<i32>,
    bias: Vec<f32>,
    /// Whether inputs are quantized twice: once, then what that left out, for about 14 bits
    /// of each input at twice the products.
    twice: bool,
}

impl QuantizedDense {
    /// Quantizes inputs twice (see `twice`).
    pub fn with_inputs_twice(mut self) -> Self {
        self.twice = true;
        self
    }

    /// Whether this processor runs the integer kernel.
    pub fn supported() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// Quantizes `weight` (`outputs × inputs`, row-major) and keeps `bias`; `None` when the
    /// shape does not fit the kernel (outputs a multiple of 16, inputs of 4).
    pub fn new(weight: &[f32], bias: &[f32], outputs: usize, inputs: usize) -> Option<Self> {
        if outputs == 0
            || inputs == 0
            || !outputs.is_multiple_of(LANES)
            || !inputs.is_multiple_of(GROUP)
            || weight.len() != outputs * inputs
            || bias.len() != outputs
        {
            return None;
        }
        let mut quantized = vec![0i8; outputs * inputs];
        let mut scales = vec![0f32; outputs];
        let mut offsets = vec![0i32; outputs];
        for (output, row) in weight.chunks_exact(inputs).enumerate() {
            let scale = scale_of(row);
            scales[output] = scale;
            let target = &mut quantized[output * inputs..][..inputs];
            for (q, w) in target.iter_mut().zip(row) {
                *q = quantize(*w, scale);
            }
            offsets[output] = 128 * target.iter().map(|&q| i32::from(q)).sum::<i32>();
        }
        let groups = inputs / GROUP;
        let mut packed = vec![0i8; outputs * inputs];
        for block in 0..outputs / LANES {
            for group in 0..groups {
                for lane in 0..LANES {
                    let output = block * LANES + lane;
                    let from = &quantized[output * inputs + group * GROUP..][..GROUP];
                    let at = ((block * groups + group) * LANES + lane) * GROUP;
                    packed[at..at + GROUP].copy_from_slice(from);
                }
            }
        }
        Some(QuantizedDense {
            inputs,
            outputs,
            packed,
            scales,
            offsets,
            bias: bias.to_vec(),
            twice: false,
        })
    }

    /// How many values each row gives.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// `x W^T + b` for `x` of `rows × inputs` (row-major); `rows × outputs` out, each value
    /// passed through `then` (an activation, or nothing).
    pub fn forward(&self, x: &[f32], then: Then) -> Vec<f32> {
        let rows = x.len() / self.inputs;
        let mut out = vec![0f32; rows * self.outputs];
        #[cfg(target_arch = "x86_64")]
        if Self::supported() {
            // SAFETY: the processor has the instructions (checked just above); the kernel
            // reads and writes through slices of the lengths its loads and stores take.
            unsafe { self.fast(x, &mut out, then) };
            return out;
        }
        let (bytes, row_scales) = quantize_rows(x, self.inputs);
        self.portable(&bytes, &row_scales, &mut out, false);
        if self.twice {
            let rest = left_out(x, &bytes, &row_scales, self.inputs);
            let (bytes, row_scales) = quantize_rows(&rest, self.inputs);
            self.portable(&bytes, &row_scales, &mut out, true);
        }
        then.apply(&mut out);
        out
    }

    /// [`QuantizedDense::forward`] with AVX-512: the quantizing and activation loops are
    /// compiled for 512-bit registers too.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn fast(&self, x: &[f32], out: &mut [f32], then: Then) {
        let (bytes, row_scales) = quantize_rows(x, self.inputs);
        // SAFETY: as in `forward`.
        unsafe { self.kernel(&bytes, &row_scales, out, false) };
        if self.twice {
            let rest = left_out(x, &bytes, &row_scales, self.inputs);
            let (bytes, row_scales) = quantize_rows(&rest, self.inputs);
            // SAFETY: as in `forward`.
            unsafe { self.kernel(&bytes, &row_scales, out, true) };
        }
        then.apply(out);
    }

    /// The same sums in plain Rust: the reference the kernel is tested against.
    /// `add`: onto what `out` holds, instead of onto the bias.
    fn portable(&self, bytes: &[u8], row_scales: &[f32], out: &mut [f32], add: bool) {
        let groups = self.inputs / GROUP;
        for (row, input) in bytes.chunks_exact(self.inputs).enumerate() {
            for output in 0..self.outputs {
                let (block, lane) = (output / LANES, output % LANES);
                let mut sum = 0i32;
                for group in 0..groups {
                    let at = ((block * groups + group) * LANES + lane) * GROUP;
                    for i in 0..GROUP {
                        sum += i32::from(input[group * GROUP + i]) * i32::from(self.packed[at + i]);
                    }
                }
                let target = &mut out[row * self.outputs + output];
                let base = if add { *target } else { self.bias[output] };
                *target = self.finish(sum, output, row_scales[row], base);
            }
        }
    }

    fn finish(&self, sum: i32, output: usize, row_scale: f32, base: f32) -> f32 {
        // In the kernel's order, fused as it is, so both give the same bits.
        ((sum - self.offsets[output]) as f32 * row_scale).mul_add(self.scales[output], base)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn kernel(&self, bytes: &[u8], row_scales: &[f32], out: &mut [f32], add: bool) {
        use std::arch::x86_64::*;
        let groups = self.inputs / GROUP;
        let rows = row_scales.len().min(bytes.len() / self.inputs);
        let block_bytes = groups * LANES * GROUP;
        // Blocks outside, rows inside: a block's weights (6 to 24 KiB) stay in the nearest cache
        // while every row passes over them, so the whole matrix is read once per call rather
        // than once per few rows.
        for (block, weights) in self.packed.chunks_exact(block_bytes).enumerate() {
            let at = block * LANES;
            let lanes = at..at + LANES;
            // SAFETY: each slice is 16 values long, what each load reads.
            let (scales, offsets, bias) = unsafe {
                (
                    _mm512_loadu_ps(self.scales[lanes.clone()].as_ptr()),
                    _mm512_loadu_si512(self.offsets[lanes.clone()].as_ptr().cast()),
                    _mm512_loadu_ps(self.bias[lanes].as_ptr()),
                )
            };
            let mut first = 0;
            while first < rows {
                let left = rows - first;
                // Tiles of a size known when compiled: the row loop unrolls, with no count
                // to test in the innermost loop.
                let sums: &[__m512i] = if left >= ROWS {
                    &unsafe { tile::<ROWS>(weights, bytes, first, self.inputs) }
                } else if left >= 4 {
                    &unsafe { tile::<4>(weights, bytes, first, self.inputs) }
                } else if left >= 2 {
                    &unsafe { tile::<2>(weights, bytes, first, self.inputs) }
                } else {
                    &unsafe { tile::<1>(weights, bytes, first, self.inputs) }
                };
                for (r, sum) in sums.iter().enumerate() {
                    let row = first + r;
                    let exact = _mm512_cvtepi32_ps(_mm512_sub_epi32(*sum, offsets));
                    let scaled = _mm512_mul_ps(exact, _mm512_set1_ps(row_scales[row]));
                    let target = &mut out[row * self.outputs + at..][..LANES];
                    let base = if add {
                        // SAFETY: `target` is 16 values long, what the load reads.
                        unsafe { _mm512_loadu_ps(target.as_ptr()) }
                    } else {
                        bias
                    };
                    let value = _mm512_fmadd_ps(scaled, scales, base);
                    // SAFETY: as above, for the store.
                    unsafe { _mm512_storeu_ps(target.as_mut_ptr(), value) };
                }
                first += sums.len();
            }
        }
    }
}

/// The 32-bit sums of `R` input rows from `first` on (each `inputs` bytes) with one block's
/// weights (`inputs / 4` groups of 64 bytes).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
unsafe fn tile<const R: usize>(
    weights: &[i8],
    bytes: &[u8],
    first: usize,
    inputs: usize,
) -> [std::arch::x86_64::__m512i; R] {
    use std::arch::x86_64::*;
    let rows: [&[u8]; R] = std::array::from_fn(|r| &bytes[(first + r) * inputs..][..inputs]);
    let mut sums = [_mm512_setzero_si512(); R];
    for (group, w) in weights
        .chunks_exact(LANES * GROUP)
        .take(inputs / GROUP)
        .enumerate()
    {
        // SAFETY: `w` is 64 bytes long, what the load reads.
        let w = unsafe { _mm512_loadu_si512(w.as_ptr().cast()) };
        for (sum, row) in sums.iter_mut().zip(&rows) {
            // The group's four input bytes, as the one 32-bit word the instruction broadcasts.
            // SAFETY: `group < inputs / 4`, so the four bytes lie within the row's `inputs`.
            let four = unsafe {
                row.as_ptr()
                    .add(group * GROUP)
                    .cast::<i32>()
                    .read_unaligned()
            };
            *sum = _mm512_dpbusd_epi32(*sum, _mm512_set1_epi32(four), w);
        }
    }
    sums
}

/// What is done to each output value before it is handed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// Nothing.
    Keep,
    /// GELU, `x Φ(x)` with the exact normal distribution (BERT's "gelu").
    Gelu,
}

impl Then {
    #[inline(always)]
    fn apply(self, values: &mut [f32]) {
        if self == Then::Gelu {
            for v in values {
                *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
            }
        }
    }
}

/// The error function in float32, as a rational function of x (no branch, no `exp`, so the
/// loop above runs in wide registers): Eigen's `generic_fast_erf_float`, which is within a few
/// units in the last place of the exact value; tested against `libm`'s below.
#[inline(always)]
fn erf(x: f32) -> f32 {
    // Beyond ±4 erf is ±1 in single precision.
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = x2.mul_add(-2.726_142_3e-10, 2.770_681_4e-8);
    p = x2.mul_add(p, -2.101_024e-6);
    p = x2.mul_add(p, -5.692_506_4e-5);
    p = x2.mul_add(p, -7.349_906_3e-4);
    p = x2.mul_add(p, -2.954_600_2e-3);
    p = x2.mul_add(p, -1.609_603_3e-2);
    let mut q = x2.mul_add(-1.456_607_2e-5, -2.133_740_6e-4);
    q = x2.mul_add(q, -1.682_827e-3);
    q = x2.mul_add(q, -7.373_329e-3);
    q = x2.mul_add(q, -1.426_474e-2);
    x * p / q
}

/// Each row of `x` (`inputs` wide) quantized with its own scale, offset by 128 to unsigned
/// bytes, and the scales.
#[inline(always)]
fn quantize_rows(x: &[f32], inputs: usize) -> (Vec<u8>, Vec<f32>) {
    let rows = x.len() / inputs;
    let mut bytes = vec![0u8; rows * inputs];
    let mut scales = vec![0f32; rows];
    for ((values, target), scale) in x
        .chunks_exact(inputs)
        .zip(bytes.chunks_exact_mut(inputs))
        .zip(scales.iter_mut())
    {
        *scale = scale_of(values);
        let inverse = 1.0 / *scale;
        for (b, v) in target.iter_mut().zip(values) {
            // -127..=127 offset by 128: 1..=255, never a wrapped value. `max` and `min` (not
            // `clamp`) turn a NaN into a bound, so the value is always a whole number in range.
            #[expect(
                clippy::manual_clamp,
                reason = "clamp keeps a NaN, which must not pass"
            )]
            let whole = nearest(*v * inverse).max(-127.0).min(127.0);
            // SAFETY: `whole` is finite and within -127..=127, so it fits an i32 exactly;
            // the unchecked conversion is one vector instruction where `as` is a scalar loop.
            *b = (unsafe { whole.to_int_unchecked::<i32>() } + 128) as u8;
        }
    }
    (bytes, scales)
}

/// What quantizing `x` into `bytes` with `row_scales` left out, value by value.
#[inline(always)]
fn left_out(x: &[f32], bytes: &[u8], row_scales: &[f32], inputs: usize) -> Vec<f32> {
    let mut rest = vec![0f32; x.len()];
    for (((rest, x), bytes), scale) in rest
        .chunks_exact_mut(inputs)
        .zip(x.chunks_exact(inputs))
        .zip(bytes.chunks_exact(inputs))
        .zip(row_scales)
    {
        for ((r, v), b) in rest.iter_mut().zip(x).zip(bytes) {
            *r = v - (f32::from(*b) - 128.0) * scale;
        }
    }
    rest
}

/// `value` rounded to the nearest integer (ties to even), for |value| < 2²²: adding and taking
/// away 1.5 × 2²³ leaves no fraction bits. Unlike `round`, it needs no library call.
#[inline(always)]
fn nearest(value: f32) -> f32 {
    const SHIFT: f32 = 12_582_912.0;
    (value + SHIFT) - SHIFT
}

/// The scale that maps the largest magnitude of `values` to 127 (1 for all zeros).
#[inline(always)]
fn scale_of(values: &[f32]) -> f32 {
    // Sixteen running maxima, as in `closeness`: one fold in order is one lane at a time.
    let mut lanes = [0f32; 16];
    let chunks = values.chunks_exact(16);
    let rest = chunks.remainder().iter().fold(0f32, |m, v| m.max(v.abs()));
    for chunk in chunks {
        for (m, v) in lanes.iter_mut().zip(chunk) {
            *m = m.max(v.abs());
        }
    }
    let largest = lanes.iter().fold(rest, |m, v| m.max(*v));
    if largest > 0.0 && largest.is_finite() {
        largest / 127.0
    } else {
        1.0
    }
}

fn quantize(value: f32, scale: f32) -> i8 {
    nearest(value / scale).clamp(-127.0, 127.0) as i8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible spread of values, with a few large ones as real activations have.
    fn values(count: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).max(1);
        (0..count)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let unit = (state % 20_000) as f32 / 10_000.0 - 1.0;
                if i % 97 == 0 { unit * 8.0 } else { unit }
            })
            .collect()
    }

    fn float_product(x: &[f32], w: &[f32], b: &[f32], inputs: usize) -> Vec<f32> {
        x.chunks_exact(inputs)
            .flat_map(|row| {
                w.chunks_exact(inputs)
                    .zip(b)
                    .map(|(weights, bias)| {
                        row.iter().zip(weights).map(|(a, w)| a * w).sum::<f32>() + bias
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn the_kernel_gives_the_portable_sums_exactly_and_both_are_close_to_float() {
        let (inputs, outputs) = (384, 48);
        let weight = values(inputs * outputs, 7);
        let bias = values(outputs, 11);
        let dense = QuantizedDense::new(&weight, &bias, outputs, inputs).expect("a fitting shape");
        // Row counts that are and are not multiples of the kernel's four.
        for rows in [1, 3, 4, 9] {
            let x = values(rows * inputs, rows as u32 + 3);
            let got = dense.forward(&x, Then::Keep);
            let (bytes, scales) = quantize_rows(&x, inputs);
            let mut portable = vec![0f32; rows * outputs];
            dense.portable(&bytes, &scales, &mut portable, false);
            assert_eq!(got, portable, "{rows} rows");
            // Each row's outputs point where the float product's do.
            let exact = float_product(&x, &weight, &bias, inputs);
            for (want, got) in exact.chunks_exact(outputs).zip(got.chunks_exact(outputs)) {
                let dot: f32 = want.iter().zip(got).map(|(a, b)| a * b).sum();
                let norm = |v: &[f32]| v.iter().map(|a| a * a).sum::<f32>().sqrt();
                let cosine = dot / (norm(want) * norm(got));
                assert!(cosine > 0.995, "{rows} rows: cosine {cosine}");
            }
        }
    }

    #[test]
    fn erf_and_gelu_match_the_exact_functions() {
        let mut worst = 0f64;
        for i in -60_000..=60_000 {
            let x = i as f32 / 10_000.0;
            worst = worst.max((f64::from(erf(x)) - libm::erf(f64::from(x))).abs());
        }
        assert!(worst < 1e-6, "erf is off by {worst}");
        let mut values = vec![-3.0f32, -1.0, 0.0, 0.5, 2.0];
        let exact: Vec<f32> = values
            .iter()
            .map(|&x| (0.5 * f64::from(x) * (1.0 + libm::erf(f64::from(x) / 2f64.sqrt()))) as f32)
            .collect();
        Then::Gelu.apply(&mut values);
        for (got, want) in values.iter().zip(&exact) {
            assert!((got - want).abs() < 1e-6, "{got} against {want}");
        }
    }

    #[test]
    fn inputs_quantize_into_range_even_when_they_are_not_numbers() {
        let row = [0.5, -1.0, f32::NAN, f32::INFINITY, 1e30, -1e-30, 0.0, 0.25];
        let (bytes, scales) = quantize_rows(&row, row.len());
        assert!(bytes.iter().all(|&b| (1..=255).contains(&b)), "{bytes:?}");
        assert!(scales[0].is_finite() && scales[0] > 0.0);
        let (bytes, _) = quantize_rows(&[1.0, -1.0, 0.5, 0.0], 4);
        assert_eq!(bytes, [255, 1, 192, 128]);
    }

    #[test]
    fn rounding_is_to_the_nearest_integer() {
        for (value, rounded) in [
            (0.4, 0.0),
            (0.6, 1.0),
            (-0.6, -1.0),
            (126.7, 127.0),
            (2.5, 2.0),
        ] {
            assert_eq!(nearest(value), rounded, "{value}");
        }
    }

    #[test]
    fn shapes_the_kernel_cannot_take_are_refused() {
        assert!(QuantizedDense::new(&[0.0; 30], &[0.0; 10], 10, 3).is_none());
        assert!(QuantizedDense::new(&[0.0; 16 * 6], &[0.0; 16], 16, 6).is_none());
        assert!(QuantizedDense::new(&[0.0; 16 * 8], &[0.0; 15], 16, 8).is_none());
        assert!(QuantizedDense::new(&[0.0; 16 * 8], &[0.0; 16], 16, 8).is_some());
    }
}
