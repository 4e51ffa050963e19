//! Meaning: questions and passages as vectors, so that "I'm 30 weeks pregnant, can I still
//! come" finds the passage about massage during pregnancy though they share no word.
//!
//! The model is all-MiniLM-L6-v2, a sentence transformer (see `models/README.md` for where it
//! comes from, its licence and how to regenerate the files), run on the CPU ([`bert`], its
//! dense layers in 8-bit integers where the processor has AVX-512 VNNI, [`int8`]) from local
//! files only: nothing is fetched at run time. This module turns text into unit vectors
//! (mean-pooled over the real tokens, never the padding), keeps recent questions' vectors, and
//! keeps the vectors of passages in a cache ([`cache`]); the search engine decides how much
//! closeness of meaning counts beside BM25.

mod bert;
pub mod cache;
mod int8;
mod passages;

pub use bert::Precision;

pub use passages::{Closeness, PassageVectors};

use std::path::{Path, PathBuf};

use crate::sync::lock;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config;
use sha2::{Digest, Sha256};
use thiserror::Error;
use tokenizers::Tokenizer;

/// The model folder's files the embedder needs.
const MODEL_FILES: [&str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];
/// Tokens of a text that count (the model was trained on up to 256): a passage is at most
/// 800 characters, about 200 tokens, so this only bounds what a pasted essay costs.
const MAX_TOKENS: usize = 256;
/// Texts embedded in one pass of the model. Measured (`cargo bench --bench runtimes --
/// batches`, 256 SciFact abstracts): one text at a time, on each core at once, is the fastest,
/// 14.4 ms an abstract on two cores; 2, 4, 8 and 32 together took 15.0, 15.6, 20.4 and
/// 34.9 ms, as their larger intermediate results leave the processor's caches and padding
/// costs work.
const BATCH: usize = 1;
/// Questions whose vectors are kept (about 1.5 kB each).
const QUESTIONS_KEPT: std::num::NonZeroUsize = std::num::NonZeroUsize::new(1_024).unwrap();
/// How the shipped model's dense layers multiply (see [`bert`]).
const PRECISION: Precision = Precision::Int8;

/// Lets each text be embedded on one core, and several texts on several cores at once.
///
/// candle splits large element-wise operations over a pool of its own threads, whose
/// hand-overs cost more than they save on this model's sizes and, shared, serialise texts
/// embedded at once (measured: two cores embedded abstracts no faster than one). One thread
/// per text leaves the cores to [`Embedder::embed_all`]'s batches. Call it first thing in
/// `main`; an explicit `CANDLE_NUM_THREADS` is kept.
pub fn one_core_per_text() {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // SAFETY: called at the start of `main`, before any other thread exists that could
        // read the environment at the same time.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
    }
}

/// The model cannot be used; faqbot then answers by words alone.
#[derive(Debug, Error)]
pub enum MeaningError {
    /// A file of the model is not there.
    #[error(
        "the sentence-embedding model is incomplete: {path} is missing (restore the models/ folder from the repository, or set semantic.enabled = false)"
    )]
    Missing {
        /// The missing file.
        path: PathBuf,
    },
    /// The files are there but do not load.
    #[error(
        "the sentence-embedding model in {dir} cannot be loaded ({message}); restore the models/ folder from the repository, or regenerate it with models/regenerate.sh"
    )]
    Broken {
        /// The model folder.
        dir: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The model failed on a text (a bug, or memory exhaustion).
    #[error("the sentence-embedding model failed: {0}")]
    Failed(String),
}

/// Turns text into unit vectors whose dot product says how alike two texts' meanings are.
pub struct Embedder {
    model: bert::Encoder,
    tokenizer: Tokenizer,
    id: String,
    dim: usize,
    dir: PathBuf,
    /// Recent questions' vectors: members repeat each other's questions, and autocomplete and
    /// *More answers* ask again.
    questions: std::sync::Mutex<lru::LruCache<String, Vec<f32>>>,
    /// Texts run through the model so far.
    embedded: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder").field("id", &self.id).finish()
    }
}

impl Embedder {
    /// Loads the model in `dir`: `model.safetensors` (BERT weights, float16 or float32),
    /// `tokenizer.json` and `config.json`, as `models/regenerate.sh` writes them.
    pub fn load(dir: &Path) -> Result<Embedder, MeaningError> {
        Self::load_with(dir, PRECISION)
    }

    /// [`Embedder::load`] with the dense layers in `precision`, to compare them.
    pub fn load_with(dir: &Path, precision: Precision) -> Result<Embedder, MeaningError> {
        let precision = precision.available();
        let broken = |message: String| MeaningError::Broken {
            dir: dir.to_path_buf(),
            message,
        };
        for name in MODEL_FILES {
            let path = dir.join(name);
            if !path.is_file() {
                return Err(MeaningError::Missing { path });
            }
        }
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|err| broken(format!("{name}: {err}")))
        };
        let weights = read("model.safetensors")?;
        // The cache is keyed by the weights themselves: regenerated or replaced weights never
        // reuse vectors made by others.
        let digest = Sha256::digest(&weights);
        // And by how they are multiplied: 8-bit products give slightly other vectors.
        let id = format!(
            "{}-{}{}",
            model_name(dir),
            hex(&digest[..6]),
            precision.id_suffix()
        );
        let config: Config = serde_json::from_slice(&read("config.json")?)
            .map_err(|err| broken(format!("config.json: {err}")))?;
        check_config(&config).map_err(|why| broken(format!("config.json: {why}")))?;
        let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)
            .map_err(|err| broken(format!("tokenizer.json: {err}")))?;
        // The shipped tokenizer pads every text to 128 tokens; pooling over that padding
        // makes unrelated sentences look alike. Batches are padded by hand, with a mask.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|err| broken(format!("tokenizer.json: {err}")))?;
        // Weights stored as float16 (half the repository's size) compute in float32.
        let vars = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
            .map_err(|err| broken(format!("model.safetensors: {err}")))?;
        let model = bert::Encoder::load(vars, &config, precision)
            .map_err(|err| broken(format!("model.safetensors: {err}")))?;
        let embedder = Embedder {
            model,
            tokenizer,
            id,
            dim: config.hidden_size,
            dir: dir.to_path_buf(),
            questions: std::sync::Mutex::new(lru::LruCache::new(QUESTIONS_KEPT)),
            embedded: std::sync::atomic::AtomicUsize::new(0),
        };
        // A model that loads but gives no usable vector is as broken as one that does not load.
        let probe = embedder
            .embed("massage")
            .map_err(|err| broken(err.to_string()))?;
        if probe.len() != embedder.dim || probe.iter().any(|x| !x.is_finite()) {
            return Err(broken("it gives no usable vector".into()));
        }
        Ok(embedder)
    }

    /// Names the model and its weights, e.g. `all-minilm-l6-v2-860248b56eb1`: what cached
    /// vectors were made with.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// How many numbers a vector has.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The model's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The unit vector of `text`.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, MeaningError> {
        Ok(self
            .embed_all(&[text.to_string()])?
            .pop()
            .unwrap_or_default())
    }

    /// The unit vectors of questions, in order: [`Embedder::embed_all`], except that a
    /// question asked recently is not run through the model again.
    pub fn embed_questions(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, MeaningError> {
        let mut vectors: Vec<Option<Vec<f32>>> = {
            let mut kept = lock(&self.questions);
            texts.iter().map(|text| kept.get(text).cloned()).collect()
        };
        let missing: Vec<String> = texts
            .iter()
            .zip(&vectors)
            .filter(|(_, vector)| vector.is_none())
            .map(|(text, _)| text.clone())
            .collect();
        if !missing.is_empty() {
            let mut made = self.embed_all(&missing)?.into_iter();
            let mut kept = lock(&self.questions);
            for (text, vector) in texts.iter().zip(vectors.iter_mut()) {
                if vector.is_none() {
                    let new = made.next().unwrap_or_default();
                    kept.put(text.clone(), new.clone());
                    *vector = Some(new);
                }
            }
        }
        Ok(vectors.into_iter().map(Option::unwrap_or_default).collect())
    }

    /// Forgets the questions' vectors kept so far: to time a new question's whole path.
    pub fn forget_questions(&self) {
        lock(&self.questions).clear();
    }

    /// How many texts have been run through the model since it loaded (the probe included).
    pub fn texts_embedded(&self) -> usize {
        self.embedded.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The unit vectors of `texts`, in order. Texts of similar length are run together, in
    /// batches spread over every core.
    pub fn embed_all(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, MeaningError> {
        self.embed_in_batches(texts, BATCH)
    }

    /// [`Embedder::embed_all`] with at most `batch` texts run together (to measure which
    /// batch size is best).
    pub fn embed_in_batches(
        &self,
        texts: &[String],
        batch: usize,
    ) -> Result<Vec<Vec<f32>>, MeaningError> {
        use rayon::prelude::*;
        let failed = |err: &dyn std::fmt::Display| MeaningError::Failed(err.to_string());
        // A member's question is one text: handing it to the thread pool and back (the
        // tokenizer's batch path does too) costs two thread wake-ups, a tenth of its time.
        let alone = texts.len() == 1;
        let encodings = if alone {
            vec![
                self.tokenizer
                    .encode(texts[0].as_str(), true)
                    .map_err(|err| failed(&err))?,
            ]
        } else {
            self.tokenizer
                .encode_batch(texts.to_vec(), true)
                .map_err(|err| failed(&err))?
        };
        // Sorted by length, each batch's texts are padded little.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&index| encodings[index].get_ids().len());
        let batches: Vec<Vec<(usize, Vec<f32>)>> = if alone {
            vec![self.embed_batch(&order, &encodings)?]
        } else {
            order
                .par_chunks(batch.max(1))
                .map(|batch| self.embed_batch(batch, &encodings))
                .collect::<Result<_, MeaningError>>()?
        };
        let mut vectors = vec![Vec::new(); texts.len()];
        for (index, vector) in batches.into_iter().flatten() {
            vectors[index] = vector;
        }
        self.embedded
            .fetch_add(texts.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(vectors)
    }

    /// The vectors of the texts at `batch` (indexes into `encodings`), run together.
    fn embed_batch(
        &self,
        batch: &[usize],
        encodings: &[tokenizers::Encoding],
    ) -> Result<Vec<(usize, Vec<f32>)>, MeaningError> {
        let failed = |err: &dyn std::fmt::Display| MeaningError::Failed(err.to_string());
        let longest = batch
            .iter()
            .map(|&index| encodings[index].get_ids().len())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut ids = Vec::with_capacity(batch.len() * longest);
        let mut mask = Vec::with_capacity(batch.len() * longest);
        for &index in batch {
            let own = encodings[index].get_ids();
            ids.extend_from_slice(own);
            ids.extend(std::iter::repeat_n(0, longest - own.len()));
            mask.extend(std::iter::repeat_n(1u32, own.len()));
            mask.extend(std::iter::repeat_n(0u32, longest - own.len()));
        }
        let pooled = self
            .pool(&ids, &mask, batch.len(), longest)
            .map_err(|err| failed(&err))?;
        Ok(batch.iter().copied().zip(pooled).collect())
    }

    /// One pass of the model over a padded batch, mean-pooled over the real tokens and
    /// normalised.
    fn pool(
        &self,
        ids: &[u32],
        mask: &[u32],
        texts: usize,
        length: usize,
    ) -> candle_core::Result<Vec<Vec<f32>>> {
        let device = Device::Cpu;
        let ids = Tensor::from_slice(ids, (texts, length), &device)?;
        let mask = Tensor::from_slice(mask, (texts, length), &device)?;
        let hidden = self.model.forward(&ids, &mask)?;
        bert::pooled(&hidden, &mask)
    }
}

/// Refuses a config the BERT code would divide by or index with unchecked (a zero head
/// count panicked in candle): every size positive, the hidden size a multiple of the head
/// count, and the layer norm's epsilon a small positive number. The weights are checked by
/// loading them against it.
fn check_config(config: &Config) -> Result<(), String> {
    let sizes = [
        ("vocab_size", config.vocab_size),
        ("hidden_size", config.hidden_size),
        ("num_hidden_layers", config.num_hidden_layers),
        ("num_attention_heads", config.num_attention_heads),
        ("intermediate_size", config.intermediate_size),
        ("max_position_embeddings", config.max_position_embeddings),
        ("type_vocab_size", config.type_vocab_size),
    ];
    if let Some((name, _)) = sizes.iter().find(|(_, size)| *size == 0) {
        return Err(format!("{name} is 0"));
    }
    if !config
        .hidden_size
        .is_multiple_of(config.num_attention_heads)
    {
        return Err(format!(
            "hidden_size {} is not a multiple of num_attention_heads {}",
            config.hidden_size, config.num_attention_heads
        ));
    }
    if !(config.layer_norm_eps.is_finite() && config.layer_norm_eps > 0.0) {
        return Err(format!(
            "layer_norm_eps {} is not a small positive number",
            config.layer_norm_eps
        ));
    }
    Ok(())
}

/// The cache collection of the knowledge's own passages.
pub const KNOWLEDGE: &str = "knowledge";

/// The model and the cache of its passage vectors, shared by every build of the index (the
/// first build at start-up, and each reload).
pub struct Semantic {
    embedder: std::sync::Arc<Embedder>,
    cache: std::sync::Mutex<cache::VectorCache>,
}

/// Whether answers match by meaning, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeaningStatus {
    /// Matching by meaning, with this model.
    On(String),
    /// Embedding this many new texts of the knowledge (a large export just added): answers
    /// match by words alone until it is done, so that new files answer at once.
    CatchingUp(usize),
    /// Turned off in the config (`semantic.enabled = false`).
    Off,
    /// The model could not be loaded: by words alone, and this is why.
    Broken(String),
}

impl std::fmt::Display for MeaningStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MeaningStatus::On(model) => write!(f, "on (model {model})"),
            MeaningStatus::CatchingUp(texts) => write!(
                f,
                "embedding {texts} new texts; answers match words alone until it is done"
            ),
            MeaningStatus::Off => {
                f.write_str("off (semantic.enabled = false): answers match words only")
            }
            MeaningStatus::Broken(why) => write!(f, "OFF, answers match words only: {why}"),
        }
    }
}

impl Semantic {
    /// The model `settings` name, with the cache of `collection`'s vectors (the knowledge, or
    /// a benchmark's corpus) in `data_dir`, or in memory when `None`; `None` when matching by
    /// meaning is turned off.
    pub fn load(
        settings: &crate::config::SemanticSettings,
        data_dir: Option<&Path>,
        collection: &str,
    ) -> Result<Option<Semantic>, MeaningError> {
        if !settings.enabled {
            return Ok(None);
        }
        let precision = match settings.precision {
            crate::config::ModelPrecision::Int8 => Precision::Int8,
            crate::config::ModelPrecision::Float32 => Precision::F32,
        };
        let embedder = Embedder::load_with(&settings.model_dir(), precision)?;
        let cache = match data_dir {
            Some(dir) => cache::VectorCache::open(dir, collection, &embedder),
            None => cache::VectorCache::in_memory(collection, &embedder),
        };
        Ok(Some(Semantic {
            embedder: std::sync::Arc::new(embedder),
            cache: std::sync::Mutex::new(cache),
        }))
    }

    /// [`Semantic::load`], and what it means for answers, as start-up and status report it.
    pub fn load_reported(
        settings: &crate::config::SemanticSettings,
        data_dir: Option<&Path>,
    ) -> (Option<Semantic>, MeaningStatus) {
        match Self::load(settings, data_dir, KNOWLEDGE) {
            Ok(Some(semantic)) => {
                let status = MeaningStatus::On(semantic.embedder.id().to_string());
                (Some(semantic), status)
            }
            Ok(None) => (None, MeaningStatus::Off),
            Err(err) => (None, MeaningStatus::Broken(err.to_string())),
        }
    }

    /// The embedder.
    pub fn embedder(&self) -> std::sync::Arc<Embedder> {
        std::sync::Arc::clone(&self.embedder)
    }

    /// How many of `passages`' texts would have to be embedded; `None` while another build
    /// is embedding (it holds the cache).
    pub fn missing(&self, passages: &[crate::knowledge::Passage]) -> Option<usize> {
        let cache = match self.cache.try_lock() {
            Ok(cache) => cache,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        Some(PassageVectors::missing(&cache, passages))
    }

    /// The vectors of `passages`, embedding only those the cache does not hold; `progress`
    /// hears (done, to do).
    pub fn vectors(
        &self,
        passages: &[crate::knowledge::Passage],
        progress: &dyn Fn(usize, usize),
    ) -> Result<(PassageVectors, cache::CacheUse), MeaningError> {
        let mut cache = lock(&self.cache);
        PassageVectors::build(&self.embedder, &mut cache, passages, progress)
    }
}

/// The dot product of two vectors: their cosine, as both are unit vectors.
#[inline(always)]
pub fn closeness(a: &[f32], b: &[f32]) -> f32 {
    // Eight running sums the compiler keeps in one SIMD register: a plain `sum()` must add in
    // order, one lane at a time, and this is most of a question's time on a large knowledge.
    const LANES: usize = 8;
    let mut sums = [0.0_f32; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..LANES {
            sums[lane] += x[lane] * y[lane];
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// [`closeness`] of `question` to each row of `rows` (rows as wide as `question`, one after
/// another): every question scans all of a knowledge base's vectors, so on processors with
/// 256-bit registers the scan is compiled for them (the portable build has 128-bit ones).
pub fn closeness_to_rows(question: &[f32], rows: &[f32]) -> Vec<f32> {
    // A plain loop, inlined whole: an iterator adapter's `fold` would be a function of its
    // own, compiled without the wide registers.
    #[inline(always)]
    fn scan(question: &[f32], rows: &[f32]) -> Vec<f32> {
        let width = question.len().max(1);
        let mut scores = Vec::with_capacity(rows.len() / width);
        for row in rows.chunks_exact(width) {
            scores.push(closeness(question, row));
        }
        scores
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        fn wide(question: &[f32], rows: &[f32]) -> Vec<f32> {
            scan(question, rows)
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has the instructions `wide` was compiled for.
            return unsafe { wide(question, rows) };
        }
    }
    scan(question, rows)
}

fn model_name(dir: &Path) -> String {
    dir.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".to_string())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(crate::config::DEFAULT_MODEL_DIR)
    }

    fn bundled() -> Embedder {
        Embedder::load(&model_dir()).expect("the bundled model loads")
    }

    /// The reference sentences of `../shared/docs/embeddings.md`.
    const REFERENCE_PAIRS: [(&str, &str, f32); 4] = [
        (
            "That is a happy person",
            "That is a very happy person",
            0.9428,
        ),
        ("That is a happy person", "That is a happy dog", 0.6945),
        ("That is a happy person", "Today is a sunny day", 0.2567),
        (
            "is it ok to get a massage when pregnant",
            "Is massage safe during pregnancy?",
            0.9353,
        ),
    ];

    #[test]
    fn closeness_to_rows_is_closeness_to_each_row() {
        let question: Vec<f32> = (0..20).map(|i| (i as f32 * 0.7).sin()).collect();
        let rows: Vec<f32> = (0..20 * 5).map(|i| (i as f32 * 0.3).cos()).collect();
        let each: Vec<f32> = rows
            .chunks_exact(20)
            .map(|r| closeness(&question, r))
            .collect();
        let all = closeness_to_rows(&question, &rows);
        assert_eq!(all.len(), 5);
        for (a, b) in all.iter().zip(&each) {
            assert!((a - b).abs() < 1e-5, "{a} against {b}");
        }
    }

    #[test]
    fn similar_questions_are_closer_than_unrelated_ones() {
        let embedder = bundled();
        let pregnant = embedder
            .embed("is it ok to get a massage when pregnant")
            .unwrap();
        let safe = embedder.embed("Is massage safe during pregnancy?").unwrap();
        let cup = embedder.embed("who won the world cup").unwrap();
        assert!(closeness(&pregnant, &safe) > closeness(&pregnant, &cup) + 0.2);
        let length: f32 = closeness(&safe, &safe);
        assert!((length - 1.0).abs() < 1e-4, "{length}");
        assert_eq!(safe.len(), embedder.dim());
        assert!(
            embedder.id().starts_with("all-minilm-l6-v2-"),
            "{}",
            embedder.id()
        );
    }

    /// The reference values of `../shared/docs/embeddings.md` (float32 weights, a tanh GELU):
    /// the float16 weights and candle's exact GELU stay within a few thousandths.
    #[test]
    fn float_vectors_match_the_reference_implementation() {
        let embedder = Embedder::load_with(&model_dir(), Precision::F32).expect("loads");
        let cosine =
            |a: &str, b: &str| closeness(&embedder.embed(a).unwrap(), &embedder.embed(b).unwrap());
        for (a, b, expected) in REFERENCE_PAIRS {
            let got = cosine(a, b);
            assert!(
                (got - expected).abs() < 0.003,
                "{a} / {b}: {got}, expected {expected}"
            );
        }
        let vector = embedder
            .embed("What happens during a therapeutic massage?")
            .unwrap();
        for (got, expected) in vector
            .iter()
            .zip([-0.01897, -0.00023, -0.03377, 0.05024, -0.05047])
        {
            assert!((got - expected).abs() < 0.001, "{:?}", &vector[..5]);
        }
    }

    /// What ships (8-bit products where the processor has them) keeps every vector within
    /// cosine 0.99 of float32's, and the reference closeness within a hundredth.
    #[test]
    fn shipped_vectors_stay_within_a_hundredth_of_float() {
        let float = Embedder::load_with(&model_dir(), Precision::F32).expect("loads");
        let shipped = bundled();
        let mut texts: Vec<String> = REFERENCE_PAIRS
            .iter()
            .flat_map(|(a, b, _)| [a.to_string(), b.to_string()])
            .collect();
        let knowledge = crate::knowledge::KnowledgeBase::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
        )
        .expect("the bundled knowledge");
        texts.extend(knowledge.passages().step_by(7).map(|p| p.plain.clone()));
        let (want, got) = (
            float.embed_all(&texts).unwrap(),
            shipped.embed_all(&texts).unwrap(),
        );
        for ((text, want), got) in texts.iter().zip(&want).zip(&got) {
            let cosine = closeness(want, got);
            assert!(cosine >= 0.99, "{cosine} for {text:?}");
        }
        for (a, b, expected) in REFERENCE_PAIRS {
            let got = closeness(&shipped.embed(a).unwrap(), &shipped.embed(b).unwrap());
            assert!(
                (got - expected).abs() < 0.01,
                "{a} / {b}: {got}, expected {expected}"
            );
        }
    }

    /// Padding never changes a vector: alone or beside a longer text in one batch, the same.
    #[test]
    fn padding_in_a_batch_changes_no_vector() {
        for precision in [Precision::F32, Precision::Int8] {
            let embedder = Embedder::load_with(&model_dir(), precision).expect("loads");
            let both = embedder
                .embed_in_batches(
                    &[
                        "hot stone".to_string(),
                        "a much longer text about deep tissue massage and pressure".to_string(),
                    ],
                    2,
                )
                .unwrap();
            let alone = embedder.embed("hot stone").unwrap();
            assert!(closeness(&both[0], &alone) > 0.9999, "{precision:?}");
        }
    }

    #[test]
    fn a_question_asked_again_is_not_embedded_again() {
        let embedder = bundled();
        let before = embedder.texts_embedded();
        let first = embedder
            .embed_questions(&["can massage help me sleep?".into(), "parking?".into()])
            .unwrap();
        assert_eq!(embedder.texts_embedded(), before + 2);
        let again = embedder
            .embed_questions(&["parking?".into(), "can massage help me sleep?".into()])
            .unwrap();
        assert_eq!(embedder.texts_embedded(), before + 2, "both were kept");
        assert_eq!((&again[0], &again[1]), (&first[1], &first[0]));
        let mixed = embedder
            .embed_questions(&["parking?".into(), "what is reflexology?".into()])
            .unwrap();
        assert_eq!(embedder.texts_embedded(), before + 3, "only the new one");
        assert_eq!(mixed[0], first[1]);
        assert_eq!(mixed[1], embedder.embed("what is reflexology?").unwrap());
    }

    #[test]
    fn the_model_name_says_how_it_multiplies() {
        let float = Embedder::load_with(&model_dir(), Precision::F32).expect("loads");
        let shipped = bundled();
        assert!(!float.id().ends_with("-int8"), "{}", float.id());
        assert_eq!(
            shipped.id().ends_with("-int8"),
            Precision::Int8.available() == Precision::Int8,
            "{}",
            shipped.id()
        );
        assert!(shipped.id().starts_with(float.id()));
    }

    #[test]
    fn a_missing_or_broken_model_says_what_to_do() {
        let empty = tempfile::tempdir().unwrap();
        let err = Embedder::load(empty.path()).unwrap_err().to_string();
        assert!(
            err.contains("model.safetensors is missing") && err.contains("semantic.enabled"),
            "{err}"
        );
        for name in MODEL_FILES {
            std::fs::write(empty.path().join(name), b"not a model").unwrap();
        }
        let err = Embedder::load(empty.path()).unwrap_err().to_string();
        assert!(
            err.contains("cannot be loaded") && err.contains("regenerate.sh"),
            "{err}"
        );
    }

    /// Before: `num_attention_heads: 0` panicked (a division by zero in candle's BERT) and the
    /// process exited 101, instead of answering by words with a clear message.
    #[test]
    fn a_config_the_model_code_cannot_use_is_refused_not_panicked_on() {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/all-minilm-l6-v2");
        let config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(shipped.join("config.json")).unwrap()).unwrap();
        for (key, value) in [
            ("num_attention_heads", serde_json::json!(0)),
            ("num_attention_heads", serde_json::json!(5)),
            ("hidden_size", serde_json::json!(0)),
            ("layer_norm_eps", serde_json::json!(-1.0)),
        ] {
            let dir = tempfile::tempdir().unwrap();
            for name in MODEL_FILES {
                std::fs::copy(shipped.join(name), dir.path().join(name)).unwrap();
            }
            let mut bad = config.clone();
            bad[key] = value.clone();
            std::fs::write(dir.path().join("config.json"), bad.to_string()).unwrap();
            let err = Embedder::load(dir.path()).unwrap_err().to_string();
            assert!(
                err.contains("config.json") && err.contains(key),
                "{key} {value}: {err}"
            );
        }
    }
}
