//! Passage vectors kept between runs, in the data folder, by model and text.
//!
//! A restart or a reload embeds only the texts it has not seen: each vector is stored under
//! a hash of its text, in a file named after the model that made it, so new weights never
//! reuse old vectors (and the files of other weights are deleted). The file holds the
//! vectors of the current knowledge only (it is rewritten after each build that embedded
//! something), so edits do not grow it forever; the vectors shipped beside the model are
//! always at hand too, so a run on other knowledge never costs the bundled knowledge a new
//! embedding. A checksum of the vectors guards the file: a damaged or foreign file is set
//! aside with a warning, as vectors can always be made again. When the file cannot be
//! written (a full disk), the new vectors stay in memory, so the next reload does not embed
//! them again.

use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tracing::{info, warn};

use super::{Embedder, MeaningError};

/// The start of every cache file, with its layout's version: the magic, the vectors' size
/// and count, the SHA-256 of everything after the header, then the records.
const MAGIC: &[u8; 8] = b"FQBVEC02";
/// The header's length: magic, size, count, checksum.
const HEADER: usize = 8 + 4 + 4 + 32;
/// Texts embedded at a time, between two progress reports.
const CHUNK: usize = 2_000;

/// A text's key in the cache: the start of its SHA-256, enough to never collide in practice.
type Key = [u8; 16];

/// Vectors by text, for one model.
#[derive(Debug)]
pub struct VectorCache {
    path: Option<PathBuf>,
    dim: usize,
    /// The vectors kept in memory: all of them for a cache without a file; for one with a
    /// file, only the vectors shipped with the model, until the file exists. A file's vectors
    /// are read straight into the rows a build needs, never held twice: for a large FAQ they
    /// are as large as the index itself.
    memory: HashMap<Key, Box<[f32]>>,
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
    /// corpus) in `data_dir`; the file is read by each build.
    pub fn open(data_dir: &Path, collection: &str, embedder: &Embedder) -> VectorCache {
        let folder = data_dir.join("embeddings");
        forget_other_models(&folder, embedder);
        VectorCache {
            path: Some(folder.join(file_name(collection, embedder))),
            dim: embedder.dim(),
            memory: seed(collection, embedder),
        }
    }

    /// A cache that lives only in memory (tests, benchmarks, one-off evaluations), starting
    /// from the vectors shipped with the model for `collection`, if any.
    pub fn in_memory(collection: &str, embedder: &Embedder) -> VectorCache {
        VectorCache {
            path: None,
            dim: embedder.dim(),
            memory: seed(collection, embedder),
        }
    }

    /// The vector of every text, as rows of one array in the order of `texts`: from the
    /// cache, or embedded now (and kept). `progress` hears (done, to do) as texts not in the
    /// cache are embedded. Afterwards the cache holds the vectors of `texts` only.
    pub fn vectors(
        &mut self,
        embedder: &Embedder,
        texts: &[String],
        progress: &dyn Fn(usize, usize),
    ) -> Result<(Vec<f32>, CacheUse), MeaningError> {
        let dim = self.dim;
        let keys: Vec<Key> = texts.iter().map(|text| key(text)).collect();
        // Where each distinct text goes, first place first.
        let mut places: HashMap<Key, Vec<usize>> = HashMap::with_capacity(keys.len());
        for (index, key) in keys.iter().enumerate() {
            places.entry(*key).or_default().push(index);
        }
        let mut rows = vec![0.0_f32; keys.len() * dim];
        let mut found: std::collections::HashSet<Key> = Default::default();
        let put = |rows: &mut Vec<f32>, key: &Key, vector: &[f32]| {
            if let Some(indices) = places.get(key) {
                for &index in indices {
                    rows[index * dim..(index + 1) * dim].copy_from_slice(vector);
                }
                true
            } else {
                false
            }
        };
        let mut file_read = false;
        if let Some(path) = &self.path {
            let result = read(path, dim, &mut |key, vector| {
                if put(&mut rows, key, vector) {
                    found.insert(*key);
                }
            });
            match result {
                Ok(()) => file_read = true,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => {
                    warn!(path = %path.display(), %err, "the vector cache cannot be read; the vectors it lacks will be made again");
                }
            }
        }
        for (key, vector) in &self.memory {
            if !found.contains(key) && put(&mut rows, key, vector) {
                found.insert(*key);
            }
        }
        let missing: Vec<usize> = keys
            .iter()
            .enumerate()
            .filter(|(index, key)| !found.contains(*key) && places[*key][0] == *index)
            .map(|(index, _)| index)
            .collect();
        let usage = CacheUse {
            reused: texts.len() - missing.len(),
            embedded: missing.len(),
        };
        for (done, chunk) in missing.chunks(CHUNK).enumerate() {
            progress(done * CHUNK, missing.len());
            let batch: Vec<String> = chunk.iter().map(|&index| texts[index].clone()).collect();
            for (&index, vector) in chunk.iter().zip(embedder.embed_all(&batch)?) {
                put(&mut rows, &keys[index], &vector);
            }
        }
        if !missing.is_empty() {
            progress(missing.len(), missing.len());
        }
        let kept = match &self.path {
            // Nothing new, and the file was read: it already holds them.
            Some(_) if usage.embedded == 0 && file_read => true,
            Some(path) => save(path, dim, &keys, &rows),
            None => false,
        };
        if !kept {
            // Without a file (in memory by design, or one that cannot be written), memory
            // keeps them: the next build must not embed them again.
            self.memory.clear();
            for (index, key) in keys.iter().enumerate() {
                self.memory
                    .entry(*key)
                    .or_insert_with(|| rows[index * dim..(index + 1) * dim].into());
            }
        }
        Ok((rows, usage))
    }
}

impl VectorCache {
    /// How many of `texts` (distinct) this cache lacks: what [`VectorCache::vectors`] would
    /// embed.
    pub fn missing(&self, texts: &[String]) -> usize {
        let mut wanted: std::collections::HashSet<Key> = texts.iter().map(|t| key(t)).collect();
        wanted.retain(|key| !self.memory.contains_key(key));
        if let Some(path) = &self.path
            && !wanted.is_empty()
        {
            // A file that cannot be read counts as empty: its vectors would be made again.
            let _ = read(path, self.dim, &mut |key, _| {
                wanted.remove(key);
            });
        }
        wanted.len()
    }
}

/// Writes the vectors of `keys` (rows of `rows`, each once) to `path`, atomically; a failure
/// only costs embedding again next time. Says whether it was written.
fn save(path: &Path, dim: usize, keys: &[Key], rows: &[f32]) -> bool {
    let mut seen = std::collections::HashSet::new();
    let distinct: Vec<usize> = (0..keys.len()).filter(|&i| seen.insert(keys[i])).collect();
    // Written as it is made, the checksum last: a large FAQ's file (77 MB for MedQuAD) is
    // never a second time in memory beside its vectors.
    let write = |file: &mut std::fs::File| -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom, Write};
        let mut out = std::io::BufWriter::new(&mut *file);
        out.write_all(MAGIC)?;
        out.write_all(&(dim as u32).to_le_bytes())?;
        out.write_all(&(distinct.len() as u32).to_le_bytes())?;
        out.write_all(&[0u8; 32])?;
        let mut checksum = Sha256::new();
        let mut entry = Vec::with_capacity(16 + 4 * dim);
        for &index in &distinct {
            entry.clear();
            entry.extend_from_slice(&keys[index]);
            for value in &rows[index * dim..(index + 1) * dim] {
                entry.extend_from_slice(&value.to_le_bytes());
            }
            checksum.update(&entry);
            out.write_all(&entry)?;
        }
        out.flush()?;
        drop(out);
        file.seek(SeekFrom::Start(16))?;
        file.write_all(&checksum.finalize())
    };
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| crate::files::write_atomically_with(path, write));
    match written {
        Ok(()) => {
            info!(path = %path.display(), vectors = distinct.len(), "vector cache saved");
            true
        }
        Err(err) => {
            warn!(path = %path.display(), %err, "the vector cache cannot be saved; vectors will be made again next time");
            false
        }
    }
}

/// `COLLECTION.MODEL-ID.vectors`: vectors of one collection, made by one model's weights.
fn file_name(collection: &str, embedder: &Embedder) -> String {
    format!("{collection}.{}.vectors", embedder.id())
}

/// Deletes the cache files in `folder` made by other weights than `embedder`'s: they can
/// never be used again, and a large FAQ's are as large as its index.
fn forget_other_models(folder: &Path, embedder: &Embedder) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let own = format!(".{}.vectors", embedder.id());
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".vectors") && !name.ends_with(&own) {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => info!(file = %name, "deleted the vectors of other model weights"),
                Err(err) => {
                    warn!(file = %name, %err, "cannot delete the vectors of other model weights")
                }
            }
        }
    }
}

/// The vectors shipped beside the model for `collection` (the bundled knowledge's, so that a
/// new clone answers its first question in a second, not after embedding every passage),
/// or none. Only texts that are still in the knowledge are ever used.
fn seed(collection: &str, embedder: &Embedder) -> HashMap<Key, Box<[f32]>> {
    let path = embedder.dir().join(file_name(collection, embedder));
    let mut vectors = HashMap::new();
    match read(&path, embedder.dim(), &mut |key, vector| {
        vectors.insert(*key, vector.into());
    }) {
        Ok(()) => vectors,
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

/// Reads a cache file record by record, handing each vector to `each`, once its checksum
/// holds: a file that was damaged, or altered, gives none.
fn read(path: &Path, dim: usize, each: &mut dyn FnMut(&Key, &[f32])) -> std::io::Result<()> {
    let damaged =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    // Read record by record, in two passes (the checksum, then the vectors): the whole file
    // at once would double the memory a large FAQ's vectors take while they are read.
    let open = || -> std::io::Result<(BufReader<std::fs::File>, u64, [u8; HEADER])> {
        let file = std::fs::File::open(path)?;
        let length = file.metadata()?.len();
        let mut file = BufReader::new(file);
        let mut header = [0u8; HEADER];
        file.read_exact(&mut header)
            .map_err(|_| damaged("too short"))?;
        Ok((file, length, header))
    };
    let (mut file, length, header) = open()?;
    if &header[..8] != MAGIC {
        return Err(damaged("not a faqbot vector cache of this version"));
    }
    let stored_dim = u32::from_le_bytes([header[8], header[9], header[10], header[11]]) as usize;
    let count = u32::from_le_bytes([header[12], header[13], header[14], header[15]]) as usize;
    if stored_dim != dim {
        return Err(damaged("made for vectors of another size"));
    }
    let entry = 16 + 4 * dim;
    if length != HEADER as u64 + count as u64 * entry as u64 {
        return Err(damaged("cut short or padded"));
    }
    let mut digest = Sha256::new();
    std::io::copy(&mut file, &mut digest)?;
    if digest.finalize().as_slice() != &header[16..HEADER] {
        return Err(damaged("its checksum does not match its vectors"));
    }
    let (mut file, _, _) = open()?;
    let mut record = vec![0u8; entry];
    let mut vector = vec![0.0_f32; dim];
    for _ in 0..count {
        file.read_exact(&mut record)
            .map_err(|_| damaged("cut short"))?;
        let mut key = [0u8; 16];
        key.copy_from_slice(&record[..16]);
        for (value, b) in vector.iter_mut().zip(record[16..].chunks_exact(4)) {
            *value = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        if vector.iter().any(|x| !x.is_finite()) {
            return Err(damaged("holds numbers that are not numbers"));
        }
        each(&key, &vector);
    }
    Ok(())
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
        let dim = embedder.dim();
        assert_eq!(first[..dim], second[..dim]);
        assert_eq!(
            &second[dim..2 * dim],
            embedder.embed("parking").unwrap().as_slice()
        );
        // Only the current texts are kept.
        let mut stored = 0;
        read(&again.path.clone().unwrap(), dim, &mut |_, _| stored += 1).unwrap();
        assert_eq!(stored, 3);
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
        assert_eq!(vectors, embedder.embed("hot stones").unwrap());
    }

    /// Before: a well-formed cache with every value negated was trusted, and every question
    /// was declined. The checksum catches a file that was altered.
    #[test]
    fn an_altered_cache_is_not_trusted() {
        let embedder = embedder();
        let data = tempfile::tempdir().unwrap();
        let texts = vec!["hot stones".to_string(), "gift cards".to_string()];
        let mut cache = VectorCache::open(data.path(), "knowledge", &embedder);
        cache.vectors(&embedder, &texts, &|_, _| {}).unwrap();
        let path = cache.path.clone().unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        // Every value's sign flipped: still numbers, still the right length.
        for record in bytes[HEADER..].chunks_exact_mut(16 + 4 * embedder.dim()) {
            for value in record[16..].chunks_exact_mut(4) {
                value[3] ^= 0x80;
            }
        }
        std::fs::write(&path, bytes).unwrap();
        assert!(read(&path, embedder.dim(), &mut |_, _| {}).is_err());
        let mut again = VectorCache::open(data.path(), "knowledge", &embedder);
        let (vectors, usage) = again.vectors(&embedder, &texts, &|_, _| {}).unwrap();
        assert_eq!(usage.embedded, 2);
        assert_eq!(
            vectors[..embedder.dim()],
            embedder.embed("hot stones").unwrap()
        );
    }

    /// Before: when the cache could not be saved (a full disk), every reload embedded every
    /// passage again. The vectors stay in memory then.
    #[test]
    fn vectors_that_cannot_be_saved_are_kept_in_memory() {
        let embedder = embedder();
        let data = tempfile::tempdir().unwrap();
        // A file where the cache's folder should be: nothing can be written there.
        std::fs::write(data.path().join("embeddings"), b"in the way").unwrap();
        let texts = vec!["hot stones".to_string(), "gift cards".to_string()];
        let mut cache = VectorCache::open(data.path(), "knowledge", &embedder);
        let (first, usage) = cache.vectors(&embedder, &texts, &|_, _| {}).unwrap();
        assert_eq!(usage.embedded, 2);
        let more = vec![texts[0].clone(), texts[1].clone(), "parking".to_string()];
        let (second, usage) = cache.vectors(&embedder, &more, &|_, _| {}).unwrap();
        assert_eq!(
            usage,
            CacheUse {
                reused: 2,
                embedded: 1
            }
        );
        assert_eq!(first[..], second[..first.len()]);
    }

    /// Before: a cache made by other weights stayed on disk forever; and one run on other
    /// knowledge made the next start embed all of the bundled knowledge again, the shipped
    /// vectors being used only when no cache file existed.
    #[test]
    fn other_models_caches_go_and_the_shipped_vectors_always_count() {
        let embedder = embedder();
        let data = tempfile::tempdir().unwrap();
        let folder = data.path().join("embeddings");
        std::fs::create_dir_all(&folder).unwrap();
        let old = folder.join("knowledge.all-minilm-l6-v2-000000000000.vectors");
        std::fs::write(&old, b"old weights").unwrap();
        let mut other = VectorCache::open(data.path(), "knowledge", &embedder);
        assert!(!old.exists(), "the old model's cache is deleted");
        other
            .vectors(
                &embedder,
                &["a clinic's other text".to_string()],
                &|_, _| {},
            )
            .unwrap();
        assert!(other.path.as_ref().is_some_and(|p| p.exists()));
        // The shipped vectors are there whatever the file holds.
        let shipped = seed("knowledge", &embedder);
        assert!(!shipped.is_empty());
        let again = VectorCache::open(data.path(), "knowledge", &embedder);
        assert_eq!(again.memory.len(), shipped.len());
    }
}
