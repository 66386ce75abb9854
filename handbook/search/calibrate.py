"""Fitting the answer decision on the content's own regression queries (content/regression/*.yaml).

    healthbot calibrate [--content DIR] [--write]

Every regression query is searched; its features (decision.FEATURES) are labelled 1 when the best
entry is an expected one, 0 otherwise (a wrong best entry, or a query the handbook does not cover).
A plain logistic regression, fitted by gradient descent with a small L2 penalty, gives the
probability that the best entry is right; the cut-offs (answer, did-you-mean, tie, strong) are then
chosen on the same queries to favour right answers and heavily punish wrong ones and out-of-scope
answers. Deterministic: the same content gives the same file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from handbook.search.decision import FEATURES, Decision
from handbook.search.engine import SearchIndex
from handbook.search.evaluate import Case, read_cases

STEPS, RATE, L2 = 4000, 0.5, 0.001
OOS_WEIGHT = 3.0  # out-of-scope queries are few in the set but costly when answered: each counts this much
# what one query's outcome is worth when choosing the cut-offs
GAIN_RIGHT, COST_WRONG, COST_OOS_ANSWERED = 1.0, 5.0, 6.0
GAIN_CHOICES_HOLD_RIGHT, GAIN_OOS_NONE, COST_OOS_CHOICES = 0.4, 1.0, 3.0
ALTERNATIVES_SHARE = 0.6
SMOOTH = 0.05  # the answer cut-off is chosen on the worth summed over this much either side
TIES = (0.0, 0.02, 0.04, 0.06, 0.08, 0.1)  # leads (as a share of the best score) tried as the tie cut-off


@dataclass(frozen=True)
class Sample:
    features: tuple[float, ...]
    right: bool  # the best entry is an expected one
    in_top3: bool
    in_scope: bool
    forced: bool  # a danger sign decided the answer: the model does not


def regression_cases(content_dir: Path) -> list[Case]:
    cases: list[Case] = []
    for path in sorted((content_dir / "regression").glob("*.yaml")):
        cases += read_cases(path)
    return cases


def samples(index: SearchIndex, cases: list[Case]) -> list[Sample]:
    out = []
    for case in cases:
        result = index.search(case.q, limit=3)
        if not result.features:
            continue
        feats = dict(result.features)
        ids = [h.id for h in result.hits]
        forced = bool(index.analyse(case.q).danger) and result.outcome == "answer"
        out.append(Sample(tuple(feats[k] for k in FEATURES), bool(case.expect) and ids[0] in case.expect,
                          any(i in case.expect for i in ids[:3]), bool(case.expect), forced))
    return out


def fit(data: list[Sample]) -> dict[str, float]:
    """Logistic regression by full-batch gradient descent on standardised features."""
    names = list(FEATURES)
    n, k = len(data), len(names)
    cols = [[s.features[j] for s in data] for j in range(k)]
    mean = [sum(c) / n for c in cols]
    std = [math.sqrt(sum((x - m) ** 2 for x in c) / n) or 1.0 for c, m in zip(cols, mean)]
    xs = [[(s.features[j] - mean[j]) / std[j] for j in range(k)] for s in data]
    ys = [1.0 if s.right else 0.0 for s in data]
    sw = [1.0 if s.in_scope else OOS_WEIGHT for s in data]
    total = sum(sw)
    w, b = [0.0] * k, 0.0
    for _ in range(STEPS):
        gw, gb = [0.0] * k, 0.0
        for x, y, weight in zip(xs, ys, sw):
            z = b + sum(wj * xj for wj, xj in zip(w, x))
            err = weight * (1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))) - y)
            gb += err
            for j in range(k):
                gw[j] += err * x[j]
        b -= RATE * gb / total
        w = [wj - RATE * (g / total + L2 * wj) for wj, g in zip(w, gw)]
    weights = {name: round(wj / sj, 4) for name, wj, sj in zip(names, w, std)}
    weights["bias"] = round(b - sum(wj * mj / sj for wj, mj, sj in zip(w, mean, std)), 4)
    return weights


def choose_cutoffs(decision: Decision, data: list[Sample]) -> tuple[float, float, float, float]:
    """The (answer, choices, tie, strong) cut-offs: first when to answer (and what counts as a tie), by
    the worth of direct answers alone; then, below that, when a did-you-mean list beats "no answer"."""
    lead_at = list(FEATURES).index("lead_share")
    probs = [(decision.probability(dict(zip(FEATURES, s.features))), s) for s in data if not s.forced]
    grid = [i / 100 for i in range(5, 100)]

    def answer_worth(answer: float, tie: float) -> float:
        return sum(((GAIN_RIGHT if s.right else -COST_WRONG) if s.in_scope else -COST_OOS_ANSWERED)
                   for p, s in probs if p >= answer and s.features[lead_at] >= tie)

    worth = {(a, t): answer_worth(a, t) for a in grid for t in TIES}
    # the worth is flat near its top and a handful of queries decide the exact peak: take the cut-off
    # whose neighbourhood (SMOOTH either side) is worth most, so that a few new queries cannot swing it
    smooth = {(a, t): sum(worth[(b, t)] for b in grid if abs(b - a) <= SMOOTH + 1e-9) for a, t in worth}
    answer, tie = max(smooth, key=lambda at: (smooth[at], at[1], at[0]))
    rest = [(p, s) for p, s in probs if not (p >= answer and s.features[lead_at] >= tie)]

    best_at = list(FEATURES).index("best")

    def choices_worth(choices: float, strong: float) -> float:
        return sum((GAIN_CHOICES_HOLD_RIGHT * s.in_top3 if s.in_scope else -COST_OOS_CHOICES)
                   if p >= choices or s.features[best_at] >= strong
                   else (0.0 if s.in_scope else GAIN_OOS_NONE) for p, s in rest)

    strongs = [i / 100 for i in range(50, 101, 5)]
    choices, strong = max(((c, g) for c in grid if c <= answer for g in strongs),
                          key=lambda cg: (choices_worth(*cg), cg[0], cg[1]))
    return answer, choices, tie, strong


def calibrate(index: SearchIndex, cases: list[Case]) -> tuple[Decision, list[Sample]]:
    data = samples(index, cases)
    weights = fit([s for s in data if not s.forced])
    answer, choices, tie, strong = choose_cutoffs(Decision(weights, 0.5, 0.2, ALTERNATIVES_SHARE), data)
    return Decision(weights, answer, choices, ALTERNATIVES_SHARE, tie, strong), data


def to_yaml(decision: Decision, n: int) -> str:
    lines = [
        "# When the bot answers: a logistic model of the probability that the best entry is right, and its cut-offs.",
        "# Written by `healthbot calibrate --write` from content/regression/*.yaml; review the diff like any content",
        "# change, and refit after the handbook or the lexicon changes a lot. Features: handbook/search/decision.py.",
        f"fitted: {{queries: {n}, command: healthbot calibrate --write}}",
        "weights:",
        *(f"  {k}: {v}" for k, v in decision.weights.items()),
        f"answer: {decision.answer}  # probability at or above which the best entry is answered directly",
        f"choices: {decision.choices}  # at or above this (below answer): did-you-mean; below: no answer",
        f"alternatives: {decision.alternatives}  # beside an answer, the next entries scoring this share of it are offered",
        f"tie: {decision.tie}  # a lead below this share of the best score is a tie: did-you-mean however likely the best looks",
        f"strong: {decision.strong}  # a best score at or above this is never 'no answer': at least did-you-mean",
    ]
    return "\n".join(lines) + "\n"
