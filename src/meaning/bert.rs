//! The sentence encoder's forward pass: BERT, the shape of all-MiniLM-L6-v2, on the CPU with
//! candle's tensors.
//!
//! candle-transformers' `BertModel` runs every dense layer in float32 and each of query, key
//! and value as its own product. Here the three are one product, and the dense layers (nine
//! tenths of the arithmetic) run in the [`Precision`] asked for: float32; candle's `Q8_0`
//! (measured, slower here); or faqbot's 8-bit layers ([`super::int8`]), quantized when the
//! model loads, so the shipped float16 weights stay the one source. Which one ships is
//! measured by `cargo bench --bench runtimes` (the README's table); the embeddings, layer
//! norms, attention and pooling stay float32 either way.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{D, DType, Module, Result, Tensor};
use candle_nn::{Embedding, VarBuilder};
use candle_transformers::models::bert::{Config, HiddenAct};

use super::int8::Then;

/// How the dense layers multiply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// float32 weights, as trained.
    F32,
    /// candle's `Q8_0`: 8-bit weights with a float scale per 32, activations likewise.
    CandleQ8,
    /// 8-bit weights with a scale per output, 8-bit inputs with a scale per row, summed in
    /// 32-bit integers by AVX-512 VNNI ([`super::int8`]); float32 where the processor lacks it.
    Int8,
}

impl Precision {
    /// `self`, or float32 where this processor cannot run it fast.
    pub fn available(self) -> Precision {
        match self {
            Precision::Int8 if !super::int8::QuantizedDense::supported() => Precision::F32,
            other => other,
        }
    }

    /// What the model's name gets, so that vectors of one precision never mix with another's.
    pub fn id_suffix(self) -> &'static str {
        match self {
            Precision::F32 => "",
            Precision::CandleQ8 => "-q8_0",
            Precision::Int8 => "-int8",
        }
    }
}

/// A dense layer: `x W^T + b`.
enum Dense {
    F32 { weight: Tensor, bias: Tensor },
    CandleQ8 { weight: QMatMul, bias: Tensor },
    Int8(super::int8::QuantizedDense),
}

impl Dense {
    /// The layer from its float weights (`out × in`) and bias (`out`).
    fn new(weight: Tensor, bias: Tensor, precision: Precision) -> Result<Dense> {
        Ok(match precision {
            Precision::CandleQ8 => Dense::CandleQ8 {
                weight: QMatMul::from_qtensor(QTensor::quantize(&weight, GgmlDType::Q8_0)?)?,
                bias,
            },
            Precision::Int8 if super::int8::QuantizedDense::supported() => {
                let (outputs, inputs) = weight.dims2()?;
                let values = weight.flatten_all()?.to_vec1::<f32>()?;
                match super::int8::QuantizedDense::new(
                    &values,
                    &bias.to_vec1::<f32>()?,
                    outputs,
                    inputs,
                ) {
                    Some(dense) => Dense::Int8(dense),
                    None => Dense::F32 { weight, bias },
                }
            }
            Precision::F32 | Precision::Int8 => Dense::F32 { weight, bias },
        })
    }

    /// The same layer, its 8-bit inputs quantized twice (see `QuantizedDense`).
    fn with_inputs_twice(self) -> Dense {
        match self {
            Dense::Int8(dense) => Dense::Int8(dense.with_inputs_twice()),
            other => other,
        }
    }

    fn load(vb: VarBuilder, inputs: usize, outputs: usize, precision: Precision) -> Result<Dense> {
        let weight = vb.get((outputs, inputs), "weight")?;
        let bias = vb.get(outputs, "bias")?;
        Dense::new(weight, bias, precision)
    }

    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        self.forward_then(xs, None)
    }

    /// [`Dense::forward`] followed by `activation`, fused into the integer layer's output.
    fn forward_then(&self, xs: &Tensor, activation: Option<HiddenAct>) -> Result<Tensor> {
        if let (Dense::Int8(dense), None | Some(HiddenAct::Gelu)) = (self, activation) {
            let (batch, tokens, _) = xs.dims3()?;
            let then = match activation {
                Some(_) => Then::Gelu,
                None => Then::Keep,
            };
            let out = dense.forward(&xs.flatten_all()?.to_vec1::<f32>()?, then);
            return Tensor::from_vec(out, (batch, tokens, dense.outputs()), xs.device());
        }
        let out = match self {
            Dense::F32 { weight, bias } => {
                let (batch, tokens, inputs) = xs.dims3()?;
                // One 2-D product over every token of the batch.
                let flat = xs.reshape((batch * tokens, inputs))?;
                let out = flat.matmul(&weight.t()?)?.broadcast_add(bias)?;
                out.reshape((batch, tokens, ()))?
            }
            Dense::CandleQ8 { weight, bias } => weight.forward(xs)?.broadcast_add(bias)?,
            Dense::Int8(_) => unreachable!("handled above"),
        };
        match activation {
            None => Ok(out),
            Some(HiddenAct::Gelu) => out.gelu_erf(),
            Some(HiddenAct::GeluApproximate) => out.gelu(),
            Some(HiddenAct::Relu) => out.relu(),
        }
    }
}

/// One transformer layer.
struct Layer {
    /// Query, key and value in one product (`3 × hidden` outputs).
    qkv: Dense,
    attention_out: Dense,
    attention_norm: Norm,
    intermediate: Dense,
    output: Dense,
    output_norm: Norm,
}

/// A layer norm computed on the calling thread. candle-nn's spreads its rows over rayon's
/// pool: for a question's few rows, waking a pool thread and waiting for it thirteen times a
/// question cost more than the arithmetic.
struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

impl Norm {
    fn load(vb: VarBuilder, size: usize, eps: f64) -> Result<Norm> {
        Ok(Norm {
            weight: vb.get(size, "weight")?.to_vec1()?,
            bias: vb.get(size, "bias")?.to_vec1()?,
            eps: eps as f32,
        })
    }

    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let mut values = xs.flatten_all()?.to_vec1::<f32>()?;
        let width = self.weight.len();
        for row in values.chunks_exact_mut(width) {
            // candle-nn's formula, in its order, so float32 vectors keep their bits.
            let (mut sum, mut squares) = (0f32, 0f32);
            for v in row.iter() {
                sum += v;
                squares += v * v;
            }
            let mean = sum / width as f32;
            let variance = squares / width as f32 - mean * mean;
            let inverse = (variance + self.eps).sqrt().recip();
            for ((v, weight), bias) in row.iter_mut().zip(&self.weight).zip(&self.bias) {
                *v = (*v - mean) * inverse * weight + bias;
            }
        }
        Tensor::from_vec(values, xs.shape(), xs.device())
    }
}

/// Softmax over the last dimension, on the calling thread (see [`Norm`]).
fn softmax_last_dim(xs: &Tensor) -> Result<Tensor> {
    let mut values = xs.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
    let width = xs.dim(D::Minus1)?.max(1);
    for row in values.chunks_exact_mut(width) {
        let largest = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0f32;
        for v in row.iter_mut() {
            *v = (*v - largest).exp();
            sum += *v;
        }
        for v in row.iter_mut() {
            *v /= sum;
        }
    }
    Tensor::from_vec(values, xs.shape(), xs.device())
}

/// BERT's encoder with its embeddings: token ids in, one vector per token out.
pub struct Encoder {
    words: Embedding,
    positions: Embedding,
    types: Embedding,
    embeddings_norm: Norm,
    layers: Vec<Layer>,
    heads: usize,
    activation: HiddenAct,
}

impl Encoder {
    /// Loads the weights named as in a Hugging Face BERT checkpoint (with or without the
    /// `bert.` prefix), their dense layers in `precision`.
    pub fn load(vb: VarBuilder, config: &Config, precision: Precision) -> Result<Encoder> {
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let hidden = config.hidden_size;
        let eps = config.layer_norm_eps;
        let embeddings = vb.pp("embeddings");
        let table =
            |name: &str, rows: usize| candle_nn::embedding(rows, hidden, embeddings.pp(name));
        let words = table("word_embeddings", config.vocab_size)?;
        let positions = table("position_embeddings", config.max_position_embeddings)?;
        let types = table("token_type_embeddings", config.type_vocab_size)?;
        let embeddings_norm = Norm::load(embeddings.pp("LayerNorm"), hidden, eps)?;
        let layers = (0..config.num_hidden_layers)
            .map(|index| {
                let vb = vb.pp(format!("encoder.layer.{index}"));
                let attention = vb.pp("attention");
                let own = attention.pp("self");
                let part = |name: &str| -> Result<(Tensor, Tensor)> {
                    Ok((
                        own.pp(name).get((hidden, hidden), "weight")?,
                        own.pp(name).get(hidden, "bias")?,
                    ))
                };
                let (q, k, v) = (part("query")?, part("key")?, part("value")?);
                // Measured (500 SciFact claims and abstracts against float32):
                // quantizing every layer's inputs once gave a mean cosine of 0.99737 (least
                // 0.99473); this layer's inputs, a layer norm's output with a few large
                // values, lose most, and quantized twice here the mean is 0.99886 (least
                // 0.99798) for 7% more time. Twice in every layer: 0.99951, for 60% more.
                let qkv = Dense::new(
                    Tensor::cat(&[&q.0, &k.0, &v.0], 0)?,
                    Tensor::cat(&[&q.1, &k.1, &v.1], 0)?,
                    precision,
                )?
                .with_inputs_twice();
                let output = vb.pp("output");
                let attention_out =
                    Dense::load(attention.pp("output.dense"), hidden, hidden, precision)?;
                let intermediate = Dense::load(
                    vb.pp("intermediate.dense"),
                    hidden,
                    config.intermediate_size,
                    precision,
                )?;
                Ok(Layer {
                    qkv,
                    attention_out,
                    attention_norm: Norm::load(attention.pp("output.LayerNorm"), hidden, eps)?,
                    intermediate,
                    output: Dense::load(
                        output.pp("dense"),
                        config.intermediate_size,
                        hidden,
                        precision,
                    )?,
                    output_norm: Norm::load(output.pp("LayerNorm"), hidden, eps)?,
                })
            })
            .collect::<Result<Vec<Layer>>>()?;
        Ok(Encoder {
            words,
            positions,
            types,
            embeddings_norm,
            layers,
            heads: config.num_attention_heads,
            activation: config.hidden_act,
        })
    }

    /// The last layer's vector of every token: `ids` and `mask` are `batch × tokens` (`mask`
    /// 1 for a real token, 0 for padding, which no token attends to).
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (batch, tokens) = ids.dims2()?;
        let device = ids.device();
        let positions = Tensor::arange(0u32, tokens as u32, device)?;
        let mut xs = self
            .words
            .forward(ids)?
            .broadcast_add(&self.positions.forward(&positions)?)?
            .broadcast_add(&self.types.forward(&ids.zeros_like()?)?)?;
        xs = self.embeddings_norm.forward(&xs)?;
        // Padding gets a large negative score before the softmax: exp() makes it 0.
        let bias = ((mask.to_dtype(DType::F32)? - 1.0)? * 1e9)?.reshape((batch, 1, 1, tokens))?;
        for layer in &self.layers {
            xs = self.layer(layer, &xs, &bias)?;
        }
        Ok(xs)
    }

    fn layer(&self, layer: &Layer, xs: &Tensor, bias: &Tensor) -> Result<Tensor> {
        let (batch, tokens, hidden) = xs.dims3()?;
        let head = hidden / self.heads;
        let qkv = layer
            .qkv
            .forward(xs)?
            .reshape((batch, tokens, 3, self.heads, head))?;
        let part = |index: usize| -> Result<Tensor> {
            qkv.narrow(2, index, 1)?
                .squeeze(2)?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, k, v) = (part(0)?, part(1)?, part(2)?);
        let scores = (q.matmul(&k.t()?)? * (1.0 / (head as f64).sqrt()))?.broadcast_add(bias)?;
        let weights = softmax_last_dim(&scores)?;
        let context = weights
            .matmul(&v)?
            .transpose(1, 2)?
            .reshape((batch, tokens, hidden))?;
        let attended = layer
            .attention_norm
            .forward(&(layer.attention_out.forward(&context)? + xs)?)?;
        let inner = layer
            .intermediate
            .forward_then(&attended, Some(self.activation))?;
        layer
            .output_norm
            .forward(&(layer.output.forward(&inner)? + attended)?)
    }
}

/// Mean of the real tokens' vectors (never the padding's), as a unit vector per text.
pub fn pooled(hidden: &Tensor, mask: &Tensor) -> Result<Vec<Vec<f32>>> {
    let weights = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
    let summed = hidden.broadcast_mul(&weights)?.sum(1)?;
    let counts = weights.sum(1)?.clamp(1.0, f64::MAX)?;
    let mean = summed.broadcast_div(&counts)?;
    let norms = mean
        .sqr()?
        .sum_keepdim(D::Minus1)?
        .sqrt()?
        .clamp(1e-12, f64::MAX)?;
    mean.broadcast_div(&norms)?.to_vec2::<f32>()
}
