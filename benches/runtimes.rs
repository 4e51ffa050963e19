//! Ways to run the sentence model (all-MiniLM-L6-v2) side by side, on the same texts, with
//! the figures the README's table quotes: a question's time (median and p99), a passage's,
//! and how close each way's vectors are to float32's.
//!
//! ```sh
//! cargo bench --bench runtimes                    # the table, on one core
//! cargo bench --bench runtimes -- batches         # texts per batch, on every core
//! ```
//!
//! The table runs on one thread; pin it to one core too (`taskset -c 0`), as the README's
//! figures were. Questions are SciFact's claims, passages its abstracts cut to 800
//! characters (a knowledge passage's limit), from `../shared/eval/scifact`
//! (`FAQBOT_SHARED_DIR` if elsewhere).

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use faqbot::meaning::{Embedder, Precision, closeness};

const MODEL: &str = "models/all-minilm-l6-v2";
const QUESTIONS: usize = 300;
const PASSAGES: usize = 256;

fn main() {
    faqbot::meaning::one_core_per_text();
    let batches = std::env::args().skip(1).any(|arg| arg == "batches");
    if !batches {
        // SAFETY: nothing else runs yet; the table is measured on one thread.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
    }
    let shared = std::env::var_os("FAQBOT_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared"));
    let scifact = shared.join("eval/scifact");
    let questions = texts(&scifact.join("queries.jsonl"), QUESTIONS);
    let passages = texts(&scifact.join("corpus.jsonl"), PASSAGES);
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join(MODEL);
    if batches {
        batch_sizes(&model, &passages);
    } else {
        table(&model, &questions, &passages);
    }
}

/// The first `count` texts of a BEIR JSONL file, each cut to 800 characters.
fn texts(path: &Path, count: usize) -> Vec<String> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("{}: {err} (set FAQBOT_SHARED_DIR)", path.display()));
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|entry| {
            entry["text"]
                .as_str()
                .map(|t| t.chars().take(800).collect())
        })
        .take(count)
        .collect()
}

type Embed<'a> = Box<dyn Fn(&[String]) -> Vec<Vec<f32>> + 'a>;

fn table(model: &Path, questions: &[String], passages: &[String]) {
    let reference = Reference::load(model);
    let want_questions: Vec<Vec<f32>> = questions.iter().map(|q| reference.embed(q)).collect();
    let want_passages: Vec<Vec<f32>> = passages.iter().map(|p| reference.embed(p)).collect();
    let embedders: Vec<(&str, Precision)> = vec![
        ("faqbot's encoder, float32", Precision::F32),
        ("faqbot's encoder, candle Q8_0 (8-bit)", Precision::CandleQ8),
        (
            "faqbot's encoder, 8-bit with AVX-512 VNNI (shipped)",
            Precision::Int8,
        ),
    ];
    println!(
        "| way | question p50 | question p99 | passage p50 | least cosine to float32 | mean cosine |"
    );
    println!("|---|---|---|---|---|---|");
    let before: Embed = Box::new(|texts| texts.iter().map(|t| reference.embed(t)).collect());
    row(
        "candle-transformers' BertModel, float32 (before)",
        &before,
        questions,
        passages,
        (&want_questions, &want_passages),
    );
    for (name, precision) in embedders {
        let embedder = Embedder::load_with(model, precision).expect("the model loads");
        if precision != precision.available() {
            println!("| {name} | not on this processor | | | | |");
            continue;
        }
        let embed: Embed = Box::new(|texts| embedder.embed_all(texts).expect("embeds"));
        row(
            name,
            &embed,
            questions,
            passages,
            (&want_questions, &want_passages),
        );
    }
    onnx_rows(
        &reference.tokenizer,
        questions,
        passages,
        (&want_questions, &want_passages),
    );
}

/// The same model as ONNX graphs (`bash models/export-onnx.sh` writes them to
/// `target/onnx/`), run by rten, a pure-Rust ONNX runtime, on one thread.
#[cfg(feature = "onnx-runtimes")]
fn onnx_rows(
    tokenizer: &tokenizers::Tokenizer,
    questions: &[String],
    passages: &[String],
    wanted: (&[Vec<f32>], &[Vec<f32>]),
) {
    let graphs = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/onnx");
    for (name, file) in [
        ("rten 0.27 (ONNX), float32", "all-minilm-l6-v2.onnx"),
        (
            "rten 0.27 (ONNX), int8 (ONNX Runtime's dynamic quantization)",
            "all-minilm-l6-v2-int8.onnx",
        ),
    ] {
        let path = graphs.join(file);
        let Ok(graph) = rten::Model::load_file(&path) else {
            println!(
                "| {name} | {} missing: bash models/export-onnx.sh | | | | |",
                path.display()
            );
            continue;
        };
        let options = rten::RunOptions::default().with_thread_pool(Some(std::sync::Arc::new(
            rten::ThreadPool::with_num_threads(1),
        )));
        let (ids, mask, out) = (
            graph.node_id("input_ids").expect("an input_ids input"),
            graph
                .node_id("attention_mask")
                .expect("an attention_mask input"),
            graph
                .node_id("sentence_embedding")
                .expect("a sentence_embedding output"),
        );
        let embed: Embed = Box::new(|texts| {
            texts
                .iter()
                .map(|text| {
                    let encoding = tokenizer.encode(text.as_str(), true).expect("tokens");
                    let tokens: Vec<i32> = encoding.get_ids().iter().map(|&id| id as i32).collect();
                    let length = tokens.len();
                    let ones = vec![1i32; length];
                    let input = |values: Vec<i32>| {
                        rten::Value::from_shape([1, length], values)
                            .expect("a 1 × tokens tensor")
                            .into()
                    };
                    let [vector] = graph
                        .run_n(
                            vec![(ids, input(tokens)), (mask, input(ones))],
                            [out],
                            Some(options.clone()),
                        )
                        .expect("the graph runs");
                    let (_, vector): ([usize; 2], Vec<f32>) =
                        vector.into_shape_vec().expect("one vector of floats");
                    vector
                })
                .collect()
        });
        row(name, &embed, questions, passages, wanted);
    }
}

#[cfg(not(feature = "onnx-runtimes"))]
fn onnx_rows(_: &tokenizers::Tokenizer, _: &[String], _: &[String], _: (&[Vec<f32>], &[Vec<f32>])) {
    println!(
        "| rten (ONNX), float32 and int8 | run with --features onnx-runtimes after bash models/export-onnx.sh | | | | |"
    );
}

/// One line of the table: each text embedded alone, timed, and compared with float32's.
fn row(
    name: &str,
    embed: &Embed,
    questions: &[String],
    passages: &[String],
    (want_questions, want_passages): (&[Vec<f32>], &[Vec<f32>]),
) {
    let timed = |texts: &[String]| -> (Vec<f64>, Vec<Vec<f32>>) {
        // Warm: the first call sets up buffers and packs weights.
        embed(&texts[..1]);
        texts
            .iter()
            .map(|text| {
                let start = Instant::now();
                let vector = embed(std::slice::from_ref(text)).pop().unwrap_or_default();
                (start.elapsed().as_secs_f64() * 1e3, vector)
            })
            .unzip()
    };
    let (question_ms, got_questions) = timed(questions);
    let (passage_ms, got_passages) = timed(passages);
    let cosines: Vec<f32> = got_questions
        .iter()
        .zip(want_questions)
        .chain(got_passages.iter().zip(want_passages))
        .map(|(got, want)| closeness(got, want))
        .collect();
    let least = cosines.iter().copied().fold(f32::MAX, f32::min);
    let mean = cosines.iter().sum::<f32>() / cosines.len() as f32;
    println!(
        "| {name} | {:.2} ms | {:.2} ms | {:.1} ms | {least:.5} | {mean:.5} |",
        percentile(&question_ms, 0.5),
        percentile(&question_ms, 0.99),
        percentile(&passage_ms, 0.5),
    );
}

/// Passages embedded on every core, `batch` at a time, for each batch size.
fn batch_sizes(model: &Path, passages: &[String]) {
    let embedder = Embedder::load_with(model, Precision::Int8).expect("the model loads");
    for batch in [1, 2, 4, 8, 16, 32] {
        let start = Instant::now();
        embedder.embed_in_batches(passages, batch).expect("embeds");
        let each = start.elapsed().as_secs_f64() * 1e3 / passages.len() as f64;
        println!("{batch} per batch: {each:.2} ms a passage");
    }
}

fn percentile(values: &[f64], at: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() - 1) as f64 * at).round() as usize]
}

/// What faqbot ran before: candle-transformers' BERT in float32, one text at a time.
struct Reference {
    model: BertModel,
    tokenizer: tokenizers::Tokenizer,
}

impl Reference {
    fn load(dir: &Path) -> Reference {
        let mut tokenizer =
            tokenizers::Tokenizer::from_file(dir.join("tokenizer.json")).expect("tokenizer");
        tokenizer.with_padding(None);
        let truncation = tokenizers::TruncationParams {
            max_length: 256,
            ..Default::default()
        };
        tokenizer
            .with_truncation(Some(truncation))
            .expect("truncation");
        let config: Config =
            serde_json::from_slice(&std::fs::read(dir.join("config.json")).expect("config"))
                .expect("config");
        let weights = std::fs::read(dir.join("model.safetensors")).expect("weights");
        let vars = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
            .expect("weights");
        let model = BertModel::load(vars, &config).expect("model");
        Reference { model, tokenizer }
    }

    fn embed(&self, text: &str) -> Vec<f32> {
        let run = || -> candle_core::Result<Vec<f32>> {
            let encoding = self
                .tokenizer
                .encode(text, true)
                .map_err(candle_core::Error::msg)?;
            let ids = Tensor::new(encoding.get_ids(), &Device::Cpu)?.unsqueeze(0)?;
            let hidden = self
                .model
                .forward(&ids, &ids.zeros_like()?, Some(&ids.ones_like()?))?;
            let mean = hidden.mean(1)?;
            let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?;
            mean.broadcast_div(&norm)?.squeeze(0)?.to_vec1()
        };
        run().expect("the reference embeds")
    }
}
