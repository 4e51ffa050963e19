"""faqbot against its peers, side by side in one run on the same data.

Runs faqbot (`faqbot eval --beir --json`, by words and meaning, and `--words-only`), bm25s,
SQLite FTS5, and sentence-transformers with all-MiniLM-L6-v2 alone and fused with bm25s
(peer.py) on SciFact's train split and on MedQuAD, each in its own process pinned to one
core, and prints one table: quality (nDCG@10, MRR@10, Recall@100), single-thread speed,
index build time (with embedding) and peak memory, then the ratios faqbot / peer and whether
each target of the semantic issue is met. Then it times faqbot's start-up on the bundled
knowledge and on MedQuAD loaded as a knowledge file, without a vector cache and with one.
Called by compare.sh, which builds faqbot and the Python environment.

For MedQuAD, each entry's own question is the query and the entry the one relevant
document, and no system indexes the question field: only the answer, titled by its focus.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time


def wait_measured(command, env=None):
    """Runs `command`, returning its standard output, wall seconds and peak resident MB."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(command)} failed with exit code {code}")
    return output.decode(), seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def pinned(command):
    """One core for every system, so "one thread" means the same for all."""
    if shutil.which("taskset"):
        return ["taskset", "-c", "0"] + command
    return command


def medquad_as_beir(source, target):
    """MedQuAD as a BEIR dataset: answers (titled by focus) as the corpus, questions as
    queries, each question's own entry as its one relevant document."""
    os.makedirs(os.path.join(target, "qrels"), exist_ok=True)
    with open(source, encoding="utf-8") as entries, \
            open(os.path.join(target, "corpus.jsonl"), "w", encoding="utf-8") as corpus, \
            open(os.path.join(target, "queries.jsonl"), "w", encoding="utf-8") as queries, \
            open(os.path.join(target, "qrels", "test.tsv"), "w", encoding="utf-8") as qrels:
        qrels.write("query-id\tcorpus-id\tscore\n")
        for line in entries:
            if not line.strip():
                continue
            entry = json.loads(line)
            corpus.write(json.dumps({
                "_id": entry["id"], "title": entry.get("focus") or "", "text": entry["answer"],
            }) + "\n")
            queries.write(json.dumps({"_id": entry["id"], "text": entry["question"]}) + "\n")
            qrels.write(f"{entry['id']}\t{entry['id']}\t1\n")
    return target


def ratio(ours, theirs):
    return ours / theirs if theirs else float("inf")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faqbot", required=True, help="the release faqbot binary")
    parser.add_argument("--shared", required=True, help="the ../shared folder")
    parser.add_argument("--work", required=True, help="a folder for generated datasets")
    parser.add_argument("--knowledge", required=True, help="the bundled knowledge folder")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--model", required=True,
                        help="all-MiniLM-L6-v2 for the dense peers (a sentence-transformers folder)")
    args = parser.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    eval_dir = os.path.join(args.shared, "eval")
    scifact = os.path.join(eval_dir, "scifact")
    medquad_file = os.path.join(eval_dir, "medquad", "medquad.jsonl")
    medquad = medquad_as_beir(medquad_file, os.path.join(args.work, "medquad-beir"))
    datasets = [
        ("SciFact train", scifact, os.path.join(scifact, "qrels", "train.tsv")),
        ("MedQuAD", medquad, os.path.join(medquad, "qrels", "test.tsv")),
    ]
    # faqbot keeps the corpora's vectors in a data folder of its own here, so a second run
    # does not embed them again; the first run's build time is the embedding's.
    data_dir = os.path.join(args.work, "data")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1", RAYON_NUM_THREADS="1",
               FAQBOT_DATA_DIR=data_dir, PEER_VECTOR_CACHE=os.path.join(args.work, "dense-vectors"))
    env.pop("FAQBOT_CONFIG", None)
    peer = lambda name: (lambda d, q: [sys.executable, os.path.join(here, "peer.py"), name, d, q, args.model])
    systems = {
        "faqbot": lambda d, q: [args.faqbot, "eval", "--beir", d, "--qrels", q, "--json"],
        "faqbot words": lambda d, q: [args.faqbot, "eval", "--words-only", "--beir", d, "--qrels", q, "--json"],
        "bm25s": peer("bm25s"),
        "fts5": peer("fts5"),
        "dense": peer("dense"),
        "dense+bm25s": peer("dense+bm25s"),
    }

    results = {}
    for name, directory, qrels in datasets:
        for system, command in systems.items():
            print(f"running {system} on {name}...", file=sys.stderr, flush=True)
            output, _, peak_mb = wait_measured(pinned(command(directory, qrels)), env)
            figures = json.loads(output)
            figures["peak_mb"] = peak_mb
            results[(name, system)] = figures

    print()
    print("Side by side, one core each (taskset), same documents and queries")
    print()
    header = (f"{'dataset':<14} {'system':<12} {'nDCG@10':>8} {'MRR@10':>7} {'R@100':>6} "
              f"{'top-10 q/s':>10} {'depth-100 q/s':>13} {'p99 ms':>7} {'build s':>8} {'peak MB':>8}")
    print(header)
    print("-" * len(header))
    for name, _, _ in datasets:
        for system in systems:
            r = results[(name, system)]
            p99 = f"{r['latency_ms_p99']:.3f}" if "latency_ms_p99" in r else "-"
            print(f"{name:<14} {system:<12} {r['ndcg_at_10']:>8.4f} {r['mrr_at_10']:>7.4f} "
                  f"{r['recall_at_100']:>6.4f} {r['queries_per_second']:>10.0f} "
                  f"{r['ranked_per_second']:>13.0f} {p99:>7} {r['index_seconds']:>8.2f} "
                  f"{r['peak_mb']:>8.0f}")
    print()
    print("faqbot / peer")
    print(f"{'dataset':<14} {'peer':<12} {'nDCG@10':>8} {'MRR@10':>7} {'R@100':>6} "
          f"{'top-10 q/s':>10} {'depth-100 q/s':>13} {'build s':>8} {'peak MB':>8}")
    for name, _, _ in datasets:
        ours = results[(name, "faqbot")]
        for peer in ("bm25s", "fts5", "dense", "dense+bm25s"):
            theirs = results[(name, peer)]
            cells = [ratio(ours[k], theirs[k]) for k in (
                "ndcg_at_10", "mrr_at_10", "recall_at_100", "queries_per_second",
                "ranked_per_second", "index_seconds", "peak_mb")]
            print(f"{name:<14} {peer:<12} {cells[0]:>8.3f} {cells[1]:>7.3f} {cells[2]:>6.3f} "
                  f"{cells[3]:>10.2f} {cells[4]:>13.2f} {cells[5]:>8.2f} {cells[6]:>8.2f}")

    # Start-up: the whole `faqbot ask` process, reading the files, indexing them and
    # answering one question.
    medquad_knowledge = os.path.join(args.work, "medquad-knowledge")
    os.makedirs(medquad_knowledge, exist_ok=True)
    shutil.copyfile(medquad_file, os.path.join(medquad_knowledge, "medquad.jsonl"))
    # The first run has no vector cache: as on a clean clone for the bundled knowledge (its
    # vectors ship beside the model), and on both cores, as a deployment would, for MedQuAD,
    # whose 52,000 texts take most of an hour to embed: its cache is kept between runs of this
    # script, so only the first run measures that. The other runs find the cache warm.
    startup = {}
    for name, folder, question in [
        ("bundled", args.knowledge, "What happens during a therapeutic massage?"),
        ("MedQuAD", medquad_knowledge, "What are the symptoms of glaucoma?"),
    ]:
        cache = os.path.join(args.work, f"startup-{name}")
        if name == "bundled":
            shutil.rmtree(cache, ignore_errors=True)
        ask_env = dict(env, FAQBOT_DATA_DIR=cache)
        ask = [args.faqbot, "ask", "--knowledge", folder, question]
        cold, cold_peak = None, None
        if not os.path.isdir(os.path.join(cache, "embeddings")):
            cold_env = {k: v for k, v in ask_env.items() if k != "RAYON_NUM_THREADS"}
            _, cold, cold_peak = wait_measured(ask if name == "MedQuAD" else pinned(ask), cold_env)
        runs = [wait_measured(pinned(ask), ask_env) for _ in range(3)]
        startup[name] = {
            "cold_seconds": cold,
            "cold_peak_mb": cold_peak,
            "seconds": min(seconds for _, seconds, _ in runs),
            "peak_mb": max(peak for _, _, peak in runs),
        }
    print()
    print("Start-up: `faqbot ask` reading, indexing and answering once, on one core")
    for name, figures in startup.items():
        cold = figures["cold_seconds"]
        cold = (f"{cold:.2f} s, peak {figures['cold_peak_mb']:.0f} MB" if cold is not None
                else "measured by an earlier run")
        print(f"  {name:<8} no cache {cold}; warm cache {figures['seconds']:.2f} s"
              f" (best of 3), peak {figures['peak_mb']:.0f} MB")

    sci = {s: results[("SciFact train", s)] for s in systems}
    med = {s: results[("MedQuAD", s)] for s in systems}
    targets = [
        ("SciFact nDCG@10 >= 0.72", sci["faqbot"]["ndcg_at_10"] >= 0.72,
         f"{sci['faqbot']['ndcg_at_10']:.4f}"),
        ("MedQuAD nDCG@10 >= 0.70", med["faqbot"]["ndcg_at_10"] >= 0.70,
         f"{med['faqbot']['ndcg_at_10']:.4f}"),
    ]
    for name, figures in (("SciFact", sci), ("MedQuAD", med)):
        ours = figures["faqbot"]
        targets.append((f"{name} p99 < 10 ms", ours["latency_ms_p99"] < 10.0,
                        f"{ours['latency_ms_p99']:.2f} ms"))
        fused = figures["dense+bm25s"]["queries_per_second"]
        targets.append((f"{name} q/s >= dense+bm25s", ours["queries_per_second"] >= fused,
                        f"{ours['queries_per_second']:.0f} vs {fused:.0f}"))
        words = figures["faqbot words"]
        bm25s = figures["bm25s"]
        targets.append((f"{name} words only nDCG >= bm25s", words["ndcg_at_10"] >= bm25s["ndcg_at_10"],
                        f"{words['ndcg_at_10']:.4f} vs {bm25s['ndcg_at_10']:.4f}"))
        targets.append((f"{name} words only q/s >= bm25s",
                        words["queries_per_second"] >= bm25s["queries_per_second"],
                        f"{words['queries_per_second']:.0f} vs {bm25s['queries_per_second']:.0f}"))
    first = startup["MedQuAD"]["cold_seconds"]
    first = f"first embedding {first:.0f} s" if first is not None else "first embedding in an earlier run"
    targets += [
        ("bundled first answer < 3 s (no cache)", startup["bundled"]["cold_seconds"] < 3.0,
         f"{startup['bundled']['cold_seconds']:.2f} s"),
        ("bundled ready < 1 s (warm)", startup["bundled"]["seconds"] < 1.0,
         f"{startup['bundled']['seconds']:.2f} s"),
        ("MedQuAD ready < 5 s (warm)", startup["MedQuAD"]["seconds"] < 5.0,
         f"{startup['MedQuAD']['seconds']:.2f} s ({first})"),
        ("MedQuAD loaded < 400 MB", startup["MedQuAD"]["peak_mb"] < 400,
         f"{startup['MedQuAD']['peak_mb']:.0f} MB"),
    ]
    print()
    print("Targets")
    for name, met, figure in targets:
        print(f"  {'met ' if met else 'MISS'}  {name:<32} {figure}")

    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({
                "results": {f"{d} / {s}": r for (d, s), r in results.items()},
                "startup": startup,
                "targets": [{"target": n, "met": m, "figure": f} for n, m, f in targets],
            }, out, indent=2)


if __name__ == "__main__":
    main()
