"""Try values of one scoring weight on the content's own regression set:
``python -m benchmarks.sweep W_KEYWORD 0 0.03 0.05 0.07 0.1``.

For each value the weight (a module constant of ``handbook.search.engine``) is set, the decision is refitted
on ``content/regression/*.yaml`` in memory (as ``healthbot calibrate`` would), and the regression set is
evaluated. Only the regression set is read: the development sets in ../shared/eval stay unseen by the choice.
Nothing is written; put the chosen value in engine.py, then run ``healthbot calibrate --write``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from handbook.content import library
from handbook.search import engine
from handbook.search.calibrate import calibrate, regression_cases
from handbook.search.evaluate import evaluate

FIGURES = ("top1", "top3", "answered_right", "wrong_answers", "out_of_scope_not_answered")


def sweep(name: str, values: list[float], content: Path) -> list[tuple[float, dict]]:
    if not isinstance(getattr(engine, name, None), float):
        raise SystemExit(f"sweep: {name} is not a numeric weight in handbook/search/engine.py")
    cases = regression_cases(content)
    loaded = library.load(content)
    original = getattr(engine, name)
    rows = []
    try:
        for value in values:
            setattr(engine, name, value)
            index = loaded.index
            index.decision, _ = calibrate(index, cases)
            figures = evaluate(index, cases).total.figures()
            rows.append((value, {k: figures.get(k) for k in FIGURES}))
    finally:
        setattr(engine, name, original)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="a weight of handbook/search/engine.py, e.g. W_KEYWORD")
    parser.add_argument("values", nargs="+", type=float)
    parser.add_argument("--content", type=Path, default=library.bundled_content())
    args = parser.parse_args(argv)
    rows = sweep(args.name, args.values, args.content)
    print(f"{args.name:>10}  " + "  ".join(f"{k[:16]:>16}" for k in FIGURES))
    for value, figures in rows:
        cells = ("-" if figures[k] is None else f"{100 * figures[k]:.1f}%" for k in FIGURES)
        print(f"{value:>10g}  " + "  ".join(f"{c:>16}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
