"""Whether to answer: a calibrated probability that the best entry is the right one.

The search measures a few things about its best entry that do not depend on how long the message is
(how far it leads, how much of the entry's own phrasing the message carries, ...); a logistic model
turns them into the probability that this entry is what the worker meant. The weights and the
cut-offs live in content/decision.yaml, written by `healthbot calibrate` from the content's own
regression queries, so a reviewer sees every number and can refit after the handbook changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# name -> what it measures (every one is computed for the best entry of a search)
FEATURES = {
    "best": "the best entry's score (0..1)",
    "lead": "its score minus the second entry's score",
    "meaning": "share of the best entry's closest phrasing (IDF-weighted content words) found in the message",
    "meaning_lead": "that share minus the same share for the second entry",
    "coverage": "share of the message's content words (IDF-weighted) found in the best entry",
    "length": "log(1 + number of content words in the message)",
    "unknown": "share of the message's content words (IDF-weighted) that no entry knows at all",
    "matched": "log(1 + IDF of the message's distinct content words found in the best entry's phrasings)",
    "lead_share": "the lead as a share of the best score (a long message scores lower, its lead with it)",
    "agree": "1 when no other of the top three carries more of its own phrasing than the best entry does",
    "own": "share of the message's distinct content words (IDF-weighted) found in the best entry's own phrasings, not only in its answer",
    "lacks": "the rarest content word of the message that the best entry's phrasings lack, as its IDF over the largest IDF (0: it lacks none)",
    "off_topic": "share (IDF-weighted) of the message's content words in phrases of topics the handbook leaves out (lexicon `off_topic`: visa, rent, tax...) that the best entry does not speak of",
}
DECISION_KEYS = {"weights", "answer", "choices", "alternatives", "tie", "strong", "fitted"}
OPTIONAL = {"tie": 0.02, "strong": 0.55}  # keys a hand-written file may leave out


@dataclass(frozen=True)
class Decision:
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    answer: float = 0.5  # probability at or above which the best entry is answered directly
    choices: float = 0.2  # at or above (and below `answer`): did-you-mean; below: no answer
    alternatives: float = 0.6  # another entry is offered beside an answer when its score is this share of the best
    tie: float = 0.02  # a lead below this share of the best score is a tie: did-you-mean, however likely the best looks
    strong: float = 0.55  # a best score at or above this gets at least did-you-mean (a vague word that fits several entries)

    def probability(self, features: dict[str, float]) -> float:
        z = self.weights.get("bias", 0.0) + sum(self.weights.get(k, 0.0) * v for k, v in features.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


# used only when content/decision.yaml is missing (a fresh content directory): a cautious hand-set model
DEFAULT_WEIGHTS = {"bias": -6.0, "best": 5.0, "lead": 8.0, "meaning": 3.0, "meaning_lead": 1.0, "coverage": 2.0, "length": 0.0}


def problems_in(data: object) -> list[str]:
    """What is wrong with a parsed decision.yaml, as sentences that say how to fix it."""
    if not isinstance(data, dict):
        return ["decision.yaml must be a mapping with weights, answer, choices, alternatives (run `healthbot calibrate`)"]
    out = [f"unknown key {k!r} in decision.yaml (known: {', '.join(sorted(DECISION_KEYS))})" for k in data if k not in DECISION_KEYS]
    weights = data.get("weights")
    if not isinstance(weights, dict):
        out.append("decision.yaml needs `weights`: a mapping of feature name to number (run `healthbot calibrate`)")
    else:
        known = {"bias", *FEATURES}
        out += [f"unknown feature {k!r} in decision.yaml weights (known: {', '.join(sorted(known))})" for k in weights if k not in known]
        out += [f"weight {k!r} must be a number" for k, v in weights.items() if not _number(v)]
    for key in ("answer", "choices", "alternatives", "tie", "strong"):
        value = data.get(key, OPTIONAL.get(key))
        if not _number(value) or not 0.0 <= float(value) <= 1.0:
            out.append(f"decision.yaml `{key}` must be a number between 0 and 1")
    if not out and float(data["choices"]) > float(data["answer"]):
        out.append("decision.yaml `choices` must not be above `answer`")
    return out


def build(data: dict) -> Decision:
    return Decision({str(k): float(v) for k, v in data["weights"].items()}, float(data["answer"]),
                    float(data["choices"]), float(data["alternatives"]),
                    float(data.get("tie", OPTIONAL["tie"])), float(data.get("strong", OPTIONAL["strong"])))


def load(path: Path) -> Decision:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    problems = problems_in(data)
    if problems:
        raise ValueError(f"{path}: {problems[0]}")
    return build(data)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
