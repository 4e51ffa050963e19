#!/usr/bin/env python3
"""Builds tests/members/questions.jsonl from the collected real questions.

Reads collected/*.jsonl (real members' questions from public pages, each labelled with the
sections of the bundled knowledge that answer it), drops held-out sites and duplicates, adds
variants made systematically from the real questions (misspelled, chat around the question),
and splits everything into folds by site, a variant always in its source question's fold.

Deterministic: run it again and the file is the same. Standard library only.
    python3 tests/members/build.py
"""

import json
import pathlib
import random
import re
import zlib

HERE = pathlib.Path(__file__).resolve().parent
FOLDS = 5
HELD_OUT = HERE.parent.parent.parent / "shared" / "eval" / "held-out-sites.txt"

# Text before a file's first heading is named by the file's title.
RENAMED = {
    "massage-therapy-for-insomnia.txt#(introduction: massage therapy as a natural remedy for "
    "insomnia / trouble sleeping)": "massage-therapy-for-insomnia.txt#Massage therapy for insomnia",
}

# Chat members put around a question: greetings, context, thanks. Written by the team; the
# question inside is always a real member's.
OPENERS = [
    "hi everyone!",
    "Hello, quick question.",
    "sorry if this has been asked before.",
    "I have my first appointment booked for next week.",
    "my friend recommended this place to me.",
    "so I've been meaning to ask this for a while.",
    "hey, hope you're all having a good day.",
    "I'm new here.",
    "ok so this might be a silly one lol.",
    "Good morning!",
]
CLOSERS = [
    "thanks in advance!",
    "any advice is appreciated :)",
    "cheers",
    "thank you so much",
    "just want to be prepared before I come in.",
    "sorry for the long message",
    "I couldn't find it on the website.",
    "would love to know before I book.",
]

SMALL_WORDS = set(
    "about after again before being could doing during every having massage might other "
    "should there these their those through under until where which while would your".split()
)


def seed(text):
    return zlib.crc32(text.encode("utf-8"))


def held_out():
    sites = set()
    for line in HELD_OUT.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            sites.add(line)
    return sites


def is_held_out(site, sites):
    return any(site == held or site.endswith("." + held) for held in sites)


def typo(word, rng):
    """One slip inside a word, never on its first letter (first letters are rarely mistyped)."""
    inner = range(1, len(word) - 1)
    kind = rng.choice(["drop", "swap", "double", "vowel"])
    if kind == "vowel":
        vowels = [i for i in inner if word[i] in "aeiou"]
        if vowels:
            i = rng.choice(vowels)
            other = rng.choice([v for v in "aeiou" if v != word[i]])
            return word[:i] + other + word[i + 1 :]
        kind = "drop"
    i = rng.choice(list(inner))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i] + word[i:]


def misspelled(question):
    """The question with one or two of its longer words mistyped, or None when it has none."""
    rng = random.Random(seed("typo:" + question))
    words = list(re.finditer(r"[A-Za-z]{5,}", question))
    words = [m for m in words if m.group().lower() not in SMALL_WORDS]
    if not words:
        return None
    count = 2 if len(question.split()) >= 6 and len(words) >= 2 else 1
    chosen = sorted(rng.sample(words, count), key=lambda m: m.start())
    text, offset = question, 0
    for match in chosen:
        slipped = typo(match.group(), rng)
        start, end = match.start() + offset, match.end() + offset
        text = text[:start] + slipped + text[end:]
        offset += len(slipped) - len(match.group())
    return text


def chatty(question):
    """The question with chat before it, after it, or both."""
    rng = random.Random(seed("chat:" + question))
    shape = rng.choice(["before", "after", "both"])
    parts = []
    if shape in ("before", "both"):
        parts.append(rng.choice(OPENERS))
    parts.append(question)
    if shape in ("after", "both"):
        parts.append(rng.choice(CLOSERS))
    return " ".join(parts)


def main():
    sites = held_out()
    real, seen = [], set()
    for path in sorted((HERE / "collected").glob("*.jsonl")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            key = " ".join(row["q"].lower().split())
            if key in seen:
                continue
            if is_held_out(row["site"], sites):
                raise SystemExit(f"{path.name}:{number}: {row['site']} is a held-out site")
            seen.add(key)
            row["sections"] = [RENAMED.get(s, s) for s in row["sections"]]
            real.append(row)

    variants = []
    for index, row in enumerate(real):
        if row["kind"] == "off-topic":
            continue
        if row["kind"] == "faq" and row["sections"] and index % 2 == 0:
            text = misspelled(row["q"])
            if text and text != row["q"]:
                variants.append(dict(row, q=text, kind="misspelled", variant_of=row["q"]))
        if row["kind"] in ("faq", "not-covered") and index % 3 == 1:
            variants.append(dict(row, q=chatty(row["q"]), kind="chat-around", variant_of=row["q"]))

    # Folds by site: the largest sites first, each into the fold with the fewest questions.
    weight = {}
    for row in real + variants:
        weight[row["site"]] = weight.get(row["site"], 0) + 1
    fold_of, sizes = {}, [0] * FOLDS
    for site in sorted(weight, key=lambda s: (-weight[s], s)):
        fold = min(range(FOLDS), key=lambda f: (sizes[f], f))
        fold_of[site] = fold + 1
        sizes[fold] += weight[site]

    out = []
    for row in real + variants:
        line = {"q": row["q"]}
        if row["sections"]:
            line["sections"] = row["sections"]
        else:
            line["expect_none"] = True
        line["kind"] = row["kind"]
        line["fold"] = fold_of[row["site"]]
        line["site"] = row["site"]
        line["source"] = row["source"]
        if "variant_of" in row:
            line["variant_of"] = row["variant_of"]
        out.append(line)
    out.sort(key=lambda line: line["fold"])
    with open(HERE / "questions.jsonl", "w", encoding="utf-8") as file:
        for line in out:
            file.write(json.dumps(line, ensure_ascii=False) + "\n")
    kinds = {}
    for line in out:
        kinds[line["kind"]] = kinds.get(line["kind"], 0) + 1
    print(f"{len(real)} real questions from {len(weight)} sites, {len(variants)} variants")
    print("kinds:", dict(sorted(kinds.items())))
    print("declined:", sum(1 for line in out if "expect_none" in line))
    print("fold sizes:", sizes)


if __name__ == "__main__":
    main()
