"""Runs one peer retriever on a BEIR-format dataset and prints what faqbot's
`eval --beir --json` prints: nDCG@10, MRR@10, Recall@100 (ranking to depth 100), queries
per second on one thread to depth 100 and to the top 10 (what a bot shows and checks),
and index build seconds.

    python peer.py bm25s|fts5 DATASET_DIR QRELS_TSV

The peers get what a developer would give them: bm25s as its README sets it up for BEIR
(PyStemmer English stemmer, English stop words, k1=1.5, b=0.75), and SQLite FTS5 with the
porter tokenizer, its built-in bm25() ranking and the question's words OR-ed together (stop
words dropped, as bm25s drops them, so FTS5 is not slowed by "the").
"""

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


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("bm25s", "fts5"):
        sys.exit("usage: peer.py bm25s|fts5 DATASET_DIR QRELS_TSV")
    system, directory, qrels = sys.argv[1:]
    corpus = read_jsonl(os.path.join(directory, "corpus.jsonl"))
    queries = {q["_id"]: q["text"] for q in read_jsonl(os.path.join(directory, "queries.jsonl"))}
    judged = [(qid, rel) for qid, rel in sorted(read_qrels(qrels).items()) if qid in queries]
    questions = [queries[qid] for qid, _ in judged]
    started = time.perf_counter()
    peer = Bm25s(corpus) if system == "bm25s" else Fts5(corpus)
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
