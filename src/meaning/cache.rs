//! Passage vectors kept between runs, in the data folder, by model and text.
//!
//! A restart or a reload embeds only the texts it has not seen: each vector is stored under
//! a hash of its text, in a file named after the model that made it, so new weights never
//! reuse old vectors. The file holds the vectors of the current knowledge only (it is
//! rewritten after each build that embedded something), so edits do not grow it forever. A
//! damaged or foreign file is set aside with a warning: vectors can always be made again.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tracing::{info, warn};

use super::{Embedder, MeaningError};

/// The start of every cache file, with its layout's version.
const MAGIC: &[u8; 8] = b"FQBVEC01";
/// Texts embedded at a time, between two progress reports.
const CHUNK: usize = 2_000;

/// A text's key in the cache: the start of its SHA-256, enough to never collide in practice.
type Key = [u8; 16];
/// One text's vector.
pub type Vector = Box<[f32]>;

/// Vectors by text, for one model.
#[derive(Debug)]
pub struct VectorCache {
    path: Option<PathBuf>,
    dim: usize,
    vectors: HashMap<Key, Box<[f32]>>,
}

/// How a build used the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheUse {
    /// Texts whose vector was in the cache.
    pub reused: usize,
    /// Texts embedded now.
    pub embedded: usize,
}

impl VectorCache {
    /// The cache of `embedder`'s vectors of `collection` (the knowledge, or a benchmark's
    /// corpus) in `data_dir`, read if it exists.
    pub fn open(data_dir: &Path, collection: &str, embedder: &Embedder) -> VectorCache {
        let path = data_dir
            .join("embeddings")
            .join(file_name(collection, embedder));
        let vectors = match read(&path, embedder.dim()) {
            Ok(vectors) => vectors,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => seed(collection, embedder),
            Err(err) => {
                warn!(path = %path.display(), %err, "the vector cache cannot be read; its vectors will be made again");
                seed(collection, embedder)
            }
        };
        VectorCache {
            path: Some(path),
            dim: embedder.dim(),
            vectors,
        }
    }

    /// A cache that lives only in memory (tests, benchmarks, one-off evaluations), starting
    /// from the vectors shipped with the model for `collection`, if any.
    pub fn in_memory(collection: &str, embedder: &Embedder) -> VectorCache {
        VectorCache {
            path: None,
            dim: embedder.dim(),
            vectors: seed(collection, embedder),
        }
    }

    /// The vector of every text, in order: from the cache, or embedded now (and kept).
    /// `progress` hears (done, to do) as texts not in the cache are embedded. Afterwards the
    /// cache holds the vectors of `texts` only.
    pub fn vectors(
        &mut self,
        embedder: &Embedder,
        texts: &[String],
        progress: &dyn Fn(usize, usize),
    ) -> Result<(Vec<Vector>, CacheUse), MeaningError> {
        let keys: Vec<Key> = texts.iter().map(|text| key(text)).collect();
        let mut missing: Vec<usize> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (index, key) in keys.iter().enumerate() {
            if !self.vectors.contains_key(key) && seen.insert(*key) {
                missing.push(index);
            }
        }
        let usage = CacheUse {
            reused: texts.len() - missing.len(),
            embedded: missing.len(),
        };
        for (done, chunk) in missing.chunks(CHUNK).enumerate() {
            progress(done * CHUNK, missing.len());
            let batch: Vec<String> = chunk.iter().map(|&index| texts[index].clone()).collect();
            for (&index, vector) in chunk.iter().zip(embedder.embed_all(&batch)?) {
                self.vectors.insert(keys[index], vector.into_boxed_slice());
            }
        }
        if !missing.is_empty() {
            progress(missing.len(), missing.len());
        }
        let wanted: std::collections::HashSet<Key> = keys.iter().copied().collect();
        self.vectors.retain(|key, _| wanted.contains(key));
        let found = keys
            .iter()
            .map(|key| {
                self.vectors
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| vec![0.0; self.dim].into_boxed_slice())
            })
            .collect();
        if usage.embedded > 0 {
            self.save();
        }
        Ok((found, usage))
    }

    /// Writes the cache file (atomically); a failure only costs embedding again next time.
    fn save(&self) {
        let Some(path) = &self.path else { return };
        let mut bytes = Vec::with_capacity(16 + self.vectors.len() * (16 + 4 * self.dim));
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(self.dim as u32).to_le_bytes());
        bytes.extend_from_slice(&(self.vectors.len() as u32).to_le_bytes());
        for (key, vector) in &self.vectors {
            bytes.extend_from_slice(key);
            for value in vector.iter() {
                bytes.extend_from_slice(&value.to_le_bytes());
            }
        }
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| crate::live::write_atomically(path, &bytes));
        match written {
            Ok(()) => {
                info!(path = %path.display(), vectors = self.vectors.len(), "vector cache saved")
            }
            Err(err) => {
                warn!(path = %path.display(), %err, "the vector cache cannot be saved; vectors will be made again next time")
            }
        }
    }
}

/// `COLLECTION.MODEL-ID.vectors`: vectors of one collection, made by one model's weights.
fn file_name(collection: &str, embedder: &Embedder) -> String {
    format!("{collection}.{}.vectors", embedder.id())
}

/// The vectors shipped beside the model for `collection` (the bundled knowledge's, so that a
/// new clone answers its first question in a second, not after embedding every passage),
/// or none. Only texts that are still in the knowledge are ever used.
fn seed(collection: &str, embedder: &Embedder) -> HashMap<Key, Box<[f32]>> {
    let path = embedder.dir().join(file_name(collection, embedder));
    match read(&path, embedder.dim()) {
        Ok(vectors) => vectors,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
        Err(err) => {
            warn!(path = %path.display(), %err, "the vectors shipped with the model cannot be read");
            HashMap::new()
        }
    }
}

fn key(text: &str) -> Key {
    let digest = Sha256::digest(text.as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

fn read(path: &Path, dim: usize) -> std::io::Result<HashMap<Key, Box<[f32]>>> {
    let damaged =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.read_to_end(&mut bytes)?;
    let header = bytes.get(..16).ok_or_else(|| damaged("too short"))?;
    if &header[..8] != MAGIC {
        return Err(damaged("not a faqbot vector cache"));
    }
    let stored_dim = u32::from_le_bytes([header[8], header[9], header[10], header[11]]) as usize;
    let count = u32::from_le_bytes([header[12], header[13], header[14], header[15]]) as usize;
    if stored_dim != dim {
        return Err(damaged("made for vectors of another size"));
    }
    let entry = 16 + 4 * dim;
    let body = &bytes[16..];
    if body.len() != count * entry {
        return Err(damaged("cut short or padded"));
    }
    let mut vectors = HashMap::with_capacity(count);
    for record in body.chunks_exact(entry) {
        let mut key = [0u8; 16];
        key.copy_from_slice(&record[..16]);
        let vector: Box<[f32]> = record[16..]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if vector.iter().any(|x| !x.is_finite()) {
            return Err(damaged("holds numbers that are not numbers"));
        }
        vectors.insert(key, vector);
    }
    Ok(vectors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedder() -> Embedder {
        Embedder::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(crate::config::DEFAULT_MODEL_DIR),
        )
        .expect("the bundled model loads")
    }

    #[test]
    fn a_restart_embeds_only_what_changed() {
        let embedder = embedder();
        let data = tempfile::tempdir().unwrap();
        let texts: Vec<String> = ["hot stones", "deep tissue", "gift cards"]
            .map(String::from)
            .to_vec();
        let mut cache = VectorCache::open(data.path(), "knowledge", &embedder);
        let (first, usage) = cache.vectors(&embedder, &texts, &|_, _| {}).unwrap();
        assert_eq!(
            usage,
            CacheUse {
                reused: 0,
                embedded: 3
            }
        );
        let mut again = VectorCache::open(data.path(), "knowledge", &embedder);
        let changed = vec![texts[0].clone(), "parking".to_string(), texts[2].clone()];
        let (second, usage) = again.vectors(&embedder, &changed, &|_, _| {}).unwrap();
        assert_eq!(
            usage,
            CacheUse {
                reused: 2,
                embedded: 1
            }
        );
        assert_eq!(first[0], second[0]);
        assert_eq!(
            second[1].as_ref(),
            embedder.embed("parking").unwrap().as_slice()
        );
        // Only the current texts are kept.
        assert_eq!(
            read(&again.path.clone().unwrap(), embedder.dim())
                .unwrap()
                .len(),
            3
        );
    }

    #[test]
    fn a_damaged_cache_is_made_again() {
        let embedder = embedder();
        let data = tempfile::tempdir().unwrap();
        let texts = vec!["hot stones".to_string()];
        VectorCache::open(data.path(), "knowledge", &embedder)
            .vectors(&embedder, &texts, &|_, _| {})
            .unwrap();
        let path = VectorCache::open(data.path(), "knowledge", &embedder)
            .path
            .unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&path, bytes).unwrap();
        let mut cache = VectorCache::open(data.path(), "knowledge", &embedder);
        let (vectors, usage) = cache.vectors(&embedder, &texts, &|_, _| {}).unwrap();
        assert_eq!(usage.embedded, 1);
        assert_eq!(
            vectors[0].as_ref(),
            embedder.embed("hot stones").unwrap().as_slice()
        );
    }
}
