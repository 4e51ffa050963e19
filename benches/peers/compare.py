"""faqbot against its peers, side by side in one run on the same data.

Runs faqbot (`faqbot eval --beir --json`), bm25s and SQLite FTS5 (peer.py) on SciFact's
train split and on MedQuAD, each in its own process pinned to one core, and prints one
table: quality (nDCG@10, MRR@10, Recall@100), single-thread speed, index build time and
peak memory, then the ratios faqbot / peer and whether each target of the benchmark issue
is met. Then it times faqbot's start-up on the bundled knowledge and on MedQuAD loaded as a
knowledge file. Called by compare.sh, which builds faqbot and the Python environment.

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
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    systems = {
        "faqbot": lambda d, q: [args.faqbot, "eval", "--beir", d, "--qrels", q, "--json"],
        "bm25s": lambda d, q: [sys.executable, os.path.join(here, "peer.py"), "bm25s", d, q],
        "fts5": lambda d, q: [sys.executable, os.path.join(here, "peer.py"), "fts5", d, q],
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
    header = (f"{'dataset':<14} {'system':<7} {'nDCG@10':>8} {'MRR@10':>7} {'R@100':>6} "
              f"{'top-10 q/s':>10} {'depth-100 q/s':>13} {'p99 ms':>7} {'build s':>8} {'peak MB':>8}")
    print(header)
    print("-" * len(header))
    for name, _, _ in datasets:
        for system in systems:
            r = results[(name, system)]
            p99 = f"{r['latency_ms_p99']:.3f}" if "latency_ms_p99" in r else "-"
            print(f"{name:<14} {system:<7} {r['ndcg_at_10']:>8.4f} {r['mrr_at_10']:>7.4f} "
                  f"{r['recall_at_100']:>6.4f} {r['queries_per_second']:>10.0f} "
                  f"{r['ranked_per_second']:>13.0f} {p99:>7} {r['index_seconds']:>8.2f} "
                  f"{r['peak_mb']:>8.0f}")
    print()
    print("faqbot / peer")
    print(f"{'dataset':<14} {'peer':<7} {'nDCG@10':>8} {'MRR@10':>7} {'R@100':>6} "
          f"{'top-10 q/s':>10} {'depth-100 q/s':>13} {'build s':>8} {'peak MB':>8}")
    for name, _, _ in datasets:
        ours = results[(name, "faqbot")]
        for peer in ("bm25s", "fts5"):
            theirs = results[(name, peer)]
            cells = [ratio(ours[k], theirs[k]) for k in (
                "ndcg_at_10", "mrr_at_10", "recall_at_100", "queries_per_second",
                "ranked_per_second", "index_seconds", "peak_mb")]
            print(f"{name:<14} {peer:<7} {cells[0]:>8.3f} {cells[1]:>7.3f} {cells[2]:>6.3f} "
                  f"{cells[3]:>10.2f} {cells[4]:>13.2f} {cells[5]:>8.2f} {cells[6]:>8.2f}")

    # Start-up: the whole `faqbot ask` process, reading the files, indexing them and
    # answering one question.
    medquad_knowledge = os.path.join(args.work, "medquad-knowledge")
    os.makedirs(medquad_knowledge, exist_ok=True)
    shutil.copyfile(medquad_file, os.path.join(medquad_knowledge, "medquad.jsonl"))
    startup = {}
    for name, folder, question in [
        ("bundled", args.knowledge, "What happens during a therapeutic massage?"),
        ("MedQuAD", medquad_knowledge, "What are the symptoms of glaucoma?"),
    ]:
        runs = [wait_measured(pinned([args.faqbot, "ask", "--knowledge", folder, question]))
                for _ in range(3)]
        startup[name] = {
            "seconds": min(seconds for _, seconds, _ in runs),
            "peak_mb": max(peak for _, _, peak in runs),
        }
    print()
    print("Start-up: `faqbot ask` reading, indexing and answering once (best of 3)")
    for name, figures in startup.items():
        print(f"  {name:<8} {figures['seconds']:.2f} s, peak {figures['peak_mb']:.0f} MB")

    sci = {s: results[("SciFact train", s)] for s in systems}
    med = {s: results[("MedQuAD", s)] for s in systems}
    targets = [
        ("SciFact nDCG@10 >= bm25s + 0.02",
         sci["faqbot"]["ndcg_at_10"] >= sci["bm25s"]["ndcg_at_10"] + 0.02,
         f"{sci['faqbot']['ndcg_at_10']:.4f} vs {sci['bm25s']['ndcg_at_10']:.4f} + 0.02"),
        ("MedQuAD nDCG@10 >= bm25s",
         med["faqbot"]["ndcg_at_10"] >= med["bm25s"]["ndcg_at_10"],
         f"{med['faqbot']['ndcg_at_10']:.4f} vs {med['bm25s']['ndcg_at_10']:.4f}"),
    ]
    for name, figures in (("SciFact", sci), ("MedQuAD", med)):
        ours = figures["faqbot"]["queries_per_second"]
        targets.append((f"{name} q/s >= 20 x FTS5", ours >= 20 * figures["fts5"]["queries_per_second"],
                        f"{ours:.0f} vs 20 x {figures['fts5']['queries_per_second']:.0f}"))
        targets.append((f"{name} q/s >= bm25s", ours >= figures["bm25s"]["queries_per_second"],
                        f"{ours:.0f} vs {figures['bm25s']['queries_per_second']:.0f}"))
    targets += [
        ("MedQuAD p99 < 2 ms", med["faqbot"]["latency_ms_p99"] < 2.0,
         f"{med['faqbot']['latency_ms_p99']:.3f} ms"),
        ("bundled ready < 1 s", startup["bundled"]["seconds"] < 1.0,
         f"{startup['bundled']['seconds']:.2f} s"),
        ("MedQuAD ready < 5 s", startup["MedQuAD"]["seconds"] < 5.0,
         f"{startup['MedQuAD']['seconds']:.2f} s"),
        ("MedQuAD loaded < 200 MB", startup["MedQuAD"]["peak_mb"] < 200,
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
