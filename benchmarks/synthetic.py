"""Inputs of the benchmarks: query sets and synthetic handbooks made from the real one.

- ``dev_queries``: the development queries (benchmarks/dev.yaml, the format of ``healthbot eval``).
- ``generated_queries``: each entry's own phrasings, perturbed the way people type them (diacritics
  dropped, a word dropped, two letters swapped); each expects the entry it came from.
- ``synthetic_handbook``: the real entries plus clones with new ids whose phrasings, titles and
  keywords have about a third of their words replaced by words of the same language drawn from the
  real handbook, so the text stays realistic but each clone is a distinct (distracting) entry. The
  clones keep their source's chapter, answer, country parts, sources and related ids.
- ``write_content``: a synthetic handbook as chapter YAML files in a content directory, with the real
  lexicon.yaml, interface.yaml and facts.yaml (numbers written back as {{keys}}), so that ``library.load`` can be timed on it.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from handbook.content import facts as facts_mod
from handbook.content import yamlines
from handbook.content.facts import Facts
from handbook.content.model import Chapter, Entry, Handbook
from handbook.search.evaluate import read_cases
from handbook.search.textnorm import fold

HERE = Path(__file__).resolve().parent
DEV_FILE = HERE / "dev.yaml"
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    expect: tuple[str, ...]  # empty: out of scope
    source: str  # "dev" or "gen"
    style: str

    @property
    def in_scope(self) -> bool:
        return bool(self.expect)


def dev_queries(path: str | Path = DEV_FILE) -> list[Query]:
    return [Query(c.q, c.expect, "dev", c.style) for c in read_cases(path)]


# --- generated queries -----------------------------------------------------------------------------


def drop_diacritics(text: str) -> str:
    return _WORD.sub(lambda m: fold(m.group()), text)


def drop_word(text: str, rng: random.Random) -> str:
    words = text.split()
    if len(words) < 3:
        return text
    del words[rng.randrange(len(words))]
    return " ".join(words)


def swap_letters(text: str, rng: random.Random) -> str:
    """A typo: two neighbouring letters of one longer word swapped."""
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


PERTURBATIONS = ("nodia", "drop", "typo", "nodia+typo")


def perturb(text: str, kind: str, rng: random.Random) -> str:
    if "nodia" in kind:
        text = drop_diacritics(text)
    if "drop" in kind:
        text = drop_word(text, rng)
    if "typo" in kind:
        text = swap_letters(text, rng)
    return text


def generated_queries(handbook: Handbook, per_entry: int = 4, seed: int = 6) -> list[Query]:
    """`per_entry` perturbed phrasings per entry, one perturbation kind after another."""
    rng = random.Random(seed)
    out: list[Query] = []
    for entry in handbook.entries.values():
        vi, en = list(entry.questions.get("vi", ())), list(entry.questions.get("en", ()))
        for k in range(per_entry):
            kind = PERTURBATIONS[k % len(PERTURBATIONS)]
            pool = vi if ("nodia" in kind or not en or rng.random() < 0.7) and vi else en
            if not pool:
                continue
            original = rng.choice(pool)
            text = perturb(original, kind, rng)
            if text == original and kind != "nodia":
                text = perturb(original, "nodia+typo", rng)
            out.append(Query(text, (entry.id,), "gen", kind))
    return out


def sample(queries: list[Query], n: int | None, seed: int = 6) -> list[Query]:
    """Up to n queries, the same ones every run, in their original order."""
    if n is None or n >= len(queries):
        return list(queries)
    keep = sorted(random.Random(seed).sample(range(len(queries)), n))
    return [queries[i] for i in keep]


# --- synthetic handbooks ---------------------------------------------------------------------------


class _Pools:
    def __init__(self, entries: Iterable[Entry]):
        self.words: dict[str, list[str]] = {"vi": [], "en": []}
        self.keywords: dict[str, list[str]] = {"vi": [], "en": []}
        for e in entries:
            for lang in ("vi", "en"):
                for text in (*e.questions.get(lang, ()), e.title.get(lang)):
                    # no digits: two numbers side by side ("119 119") would read as an unpublished phone number
                    self.words[lang].extend(w for w in text.split() if not any(c.isdigit() for c in w))
                self.keywords[lang].extend(e.keywords.get(lang, ()))


def _mutate(text: str, words: list[str], rng: random.Random, share: float = 0.35) -> str:
    out = text.split()
    if not out or not words:
        return text
    n = max(1, round(len(out) * share))
    for i in rng.sample(range(len(out)), min(n, len(out))):
        out[i] = rng.choice(words)
    return " ".join(out)


def _clone(entry: Entry, new_id: str, pools: _Pools, rng: random.Random) -> Entry:
    questions = {lang: tuple(_mutate(q, pools.words[lang], rng) for q in qs) for lang, qs in entry.questions.items()}
    keywords = {
        lang: tuple(_mutate(k, pools.words[lang], rng) if rng.random() < 0.5 else rng.choice(pools.keywords[lang] or [k]) for k in ks)
        for lang, ks in entry.keywords.items()
    }
    title = dataclasses.replace(
        entry.title, vi=_mutate(entry.title.vi, pools.words["vi"], rng), en=_mutate(entry.title.en, pools.words["en"], rng)
    )
    return dataclasses.replace(entry, id=new_id, title=title, questions=questions, keywords=keywords, urgent=False, file="", line=0)


def clone_id(source_id: str, n: int) -> str:
    return f"{source_id[:30].rstrip('-')}-{n:05d}"


def synthetic_handbook(real: Handbook, size: int, seed: int = 6) -> Handbook:
    """The real entries plus clones up to `size` entries in all (the real ones come first)."""
    rng = random.Random(seed)
    sources = list(real.entries.values())
    pools = _Pools(sources)
    extra: dict[str, list[Entry]] = {c.id: [] for c in real.chapters}
    for n in range(max(0, size - len(sources))):
        src = sources[n % len(sources)]
        extra[src.chapter].append(_clone(src, clone_id(src.id, n), pools, rng))
    chapters = tuple(Chapter(c.id, c.title, (*c.entries, *extra[c.id])) for c in real.chapters)
    return Handbook.of(chapters)


# --- writing a content directory -------------------------------------------------------------------


def _text(t, facts: Facts | None = None, country: str | None = None) -> dict:
    """A text as YAML; with `facts`, its phone numbers written back as {{keys}}, as editors write them."""
    if facts is None:
        return {"vi": t.vi, "en": t.en}
    return {lang: facts.to_placeholders(t.get(lang), country)[0] for lang in ("vi", "en")}


def entry_dict(e: Entry, facts: Facts | None = None) -> dict:
    d: dict = {"id": e.id, "title": _text(e.title), "questions": {k: list(v) for k, v in e.questions.items()}}
    if any(e.keywords.values()):
        d["keywords"] = {k: list(v) for k, v in e.keywords.items()}
    d["answer"] = _text(e.answer, facts)
    if e.countries:
        d["countries"] = {code: _text(t, facts, code) for code, t in e.countries.items()}
    if e.urgent:
        d["urgent"] = True
    if e.country_first:
        d["country_first"] = True
    if e.related:
        d["related"] = list(e.related)
    if e.sources:
        d["sources"] = [{"title": s.title, "url": s.url} for s in e.sources]
    if e.reviewed:
        d["reviewed"] = e.reviewed
    return d


def write_content(handbook: Handbook, real_content: Path, dest: Path) -> Path:
    """Chapter files NN-<id>.yaml under dest/handbook plus the real lexicon.yaml and interface.yaml."""
    (dest / "handbook").mkdir(parents=True, exist_ok=True)
    for name in ("lexicon.yaml", "interface.yaml", "facts.yaml"):
        shutil.copyfile(real_content / name, dest / name)
    class dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # noqa: N801
        def ignore_aliases(self, data):  # content refuses anchors and aliases: write shared values out
            return True

    facts = facts_mod.parse(yamlines.load((real_content / "facts.yaml").read_text(encoding="utf-8")), datetime.date.today())[0]
    for i, chapter in enumerate(handbook.chapters, 1):
        data = {"chapter": {"id": chapter.id, "title": _text(chapter.title)}, "entries": [entry_dict(e, facts) for e in chapter.entries]}
        text = yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False, width=4096, default_flow_style=False)
        (dest / "handbook" / f"{i:02d}-{chapter.id}.yaml").write_text(text, encoding="utf-8")
    return dest
