"""Danger signs as data (content/lexicon.yaml `danger_signs`): explicit phrases, signs described by
their parts, and the calm cues that tell a mention from an emergency.

- `groups`: phrases, any one of which is a danger sign (tự tử, khó thở, đột quỵ).
- `entry`: the entry that answers the sign, or a list of them: the first one the handbook holds is
  used (a newer, closer entry first; the last one must exist).
- `signs`: a sign described by its parts. Each part is a list of alternatives; the sign is present
  when every part is, within `window` words of each other (the whole message when not given).
  Chest + pain + spreading to the arm; swallowing + a whole strip of pills.
- A group or sign that is `firm` (suicidal thoughts, sexual assault) is never set aside by calm cues.
- `calm`: phrases that make a mention calm. `prevention` (phòng tránh, học sơ cứu, bị muỗi đốt) always;
  `past` (năm ngoái, hồi nhỏ, hay bị) unless a `now` phrase (vừa, bây giờ, đột nhiên) says it is
  happening again; `question` (có nguy hiểm không, là gì, how to) sets aside plain phrases (not signs
  of several parts) unless a `now` or a `person` phrase (bạn em, anh ấy, my friend) puts the danger on
  someone, and keeps an urgent entry's own flag off when no sign is present; `advice` (có nên, should I
  see a doctor) only does the last.
- `unless`: phrases that make an overlapping match harmless (ngộ độc thực phẩm).
- `negation`: phrases that, right before a part of a sign that is not firm, say it is absent
  ("không khó thở nhưng ngứa lắm": no trouble breathing). A firm sign is never negated away.

In every phrase the word `#` stands for a number of 5 or more (uống 20 viên).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from handbook.search.phrases import PhraseMatcher, Token

CALM_KINDS = ("prevention", "past", "question", "advice")


@dataclass(frozen=True, slots=True)
class Sign:
    choices: tuple[str, ...]  # the entries that answer it, closest first; empty for none
    parts: int  # how many parts must all be present (1 for a plain phrase)
    firm: bool  # never set aside by a calm cue
    window: int | None  # the most words the parts may spread over; None: the whole message


@dataclass
class DangerSigns:
    signs: list[Sign] = field(default_factory=list)
    phrases: PhraseMatcher = field(default_factory=PhraseMatcher)  # phrase -> (sign number, part number)
    harmless: PhraseMatcher = field(default_factory=PhraseMatcher)
    calm: dict[str, PhraseMatcher] = field(default_factory=lambda: {k: PhraseMatcher() for k in CALM_KINDS})
    now: PhraseMatcher = field(default_factory=PhraseMatcher)
    person: PhraseMatcher = field(default_factory=PhraseMatcher)
    negation: PhraseMatcher = field(default_factory=PhraseMatcher)
    held: frozenset[str] | None = None  # the handbook's entry ids, once known

    def add_sign(self, entry: object, parts: list[list[str]], *, firm: bool = False, window: int | None = None,
                 expand=None) -> None:
        number = len(self.signs)
        choices = tuple(str(e) for e in (entry if isinstance(entry, list) else [entry]) if e)
        self.signs.append(Sign(choices, len(parts), firm, window))
        for k, alternatives in enumerate(parts):
            for phrase in alternatives:
                self.phrases.add(str(phrase), (number, k), expand)

    def present(self, toks: list[Token]) -> list[Sign]:
        """Every sign whose parts are all in the tokens (calm cues not yet considered)."""
        harmless = [(s, e) for s, e, _ in self.harmless.find_all(toks)]
        negated = {e for _, e, _ in self.negation.find_every(toks)}  # where a "không", "không bị"... ends
        seen: dict[int, list[tuple[int, int, int]]] = {}  # sign -> (start, end, part)
        for start, end, (number, part) in self.phrases.find_every(toks):
            if start in negated and not self.signs[number].firm:
                continue
            if not any(s < end and start < e for s, e in harmless):
                seen.setdefault(number, []).append((start, end, part))
        standing = {n: found for n, found in seen.items() if _all_parts_near(found, self.signs[n])}
        # a plain phrase that is only a part of another standing sign (one of several parts, or a longer
        # phrase) says nothing more: bất tỉnh in "run bần bật rồi bất tỉnh" is the fit, "không tỉnh" in
        # "ngủ mãi không tỉnh lại nữa" is the wish not to wake, "ngộ độc" in "ngộ độc khí than" is the gas
        spans = [(s, e, n, self.signs[n].parts > 1) for n, found in standing.items() for s, e, _ in found]

        def explained(n: int, s: int, e: int) -> bool:
            return any(m != n and ms <= s and e <= me and (several or me - ms > e - s) for ms, me, m, several in spans)

        return [self.signs[n] for n, found in sorted(standing.items())
                if self.signs[n].parts > 1 or self.signs[n].firm or not all(explained(n, s, e) for s, e, _ in found)]

    def calm_kinds(self, toks: list[Token]) -> set[str]:
        """Which kinds of calm cue the message holds: a past one only when nothing says it is happening
        now, a question only when no one is said to be in danger now."""
        kinds = {kind for kind, matcher in self.calm.items() if matcher.find_all(toks)}
        if kinds & {"past", "question", "advice"} and self.now.find_all(toks):
            kinds -= {"past", "question", "advice"}
        if "question" in kinds and self.person.find_all(toks):
            kinds.discard("question")
        return kinds

    def found(self, toks: list[Token]) -> tuple[list[str], bool]:
        """(entry ids of the signs that stand, "" for a sign with no entry; is the message calm?)."""
        calm = self.calm_kinds(toks)
        vetoing = bool(calm & {"prevention", "past"})
        asking = "question" in calm
        signs = [s for s in self.present(toks) if s.firm or not (vetoing or (asking and s.parts == 1))]
        return [self.entry_of(s) for s in signs], bool(calm) and not signs

    def use_entries(self, ids: set[str] | frozenset[str]) -> None:
        """Tell the signs which entries the handbook holds, so each names the first of its choices it has."""
        self.held = frozenset(ids)

    def entry_of(self, sign: Sign) -> str:
        held = [e for e in sign.choices if self.held is None or e in self.held]
        return held[0] if held else ""

    def entries(self) -> set[str]:
        """The entries that must exist: the last choice of every sign."""
        return {s.choices[-1] for s in self.signs if s.choices}


def _all_parts_near(found: list[tuple[int, int, int]], sign: Sign) -> bool:
    """Are all the sign's parts present, within its window (the smallest span holding one of each)?"""
    if len({part for _, _, part in found}) < sign.parts:
        return False
    if sign.window is None or sign.parts == 1:
        return True
    found = sorted(found)
    counts: dict[int, int] = {}
    left = 0
    for _, end, part in found:
        counts[part] = counts.get(part, 0) + 1
        while len(counts) == sign.parts:
            if end - found[left][0] <= sign.window:
                return True
            first = found[left][2]
            counts[first] -= 1
            if not counts[first]:
                del counts[first]
            left += 1
    return False


def problems_in(danger: object) -> list[str]:
    """What is wrong with the `danger_signs` mapping, as sentences that say how to fix it."""
    how = ("danger_signs must be a mapping with `groups` (each {entry: id or null, phrases: [...]}), and optionally "
           "`signs` (each {entry, parts: [[...], [...]]}), `calm` (prevention/past/question/advice lists), `now`, `person`, `unless` and `negation`")
    if not isinstance(danger, dict):
        return [how]
    out = []
    groups = danger.get("groups")
    if not isinstance(groups, list) or not all(isinstance(g, dict) and isinstance(g.get("phrases"), list) for g in groups):
        out.append(how)
    for i, sign in enumerate(danger.get("signs") or [], 1):
        parts = sign.get("parts") if isinstance(sign, dict) else None
        if not isinstance(parts, list) or not parts or not all(isinstance(p, list) and p for p in parts):
            out.append(f"danger_signs sign {i} needs `parts`: a list of lists of phrases, each list not empty")
        elif sign.get("window") is not None and not (isinstance(sign["window"], int) and sign["window"] > 0):
            out.append(f"danger_signs sign {i}: `window` must be a whole number of words above 0")
    calm = danger.get("calm") or {}
    if not isinstance(calm, dict):
        out.append(f"danger_signs calm must map {', '.join(CALM_KINDS)} to lists of phrases")
    else:
        out += [f"danger_signs calm kind {k!r} is not one of {', '.join(CALM_KINDS)}" for k in calm if k not in CALM_KINDS]
    return out


def build(danger: dict, expand=None) -> DangerSigns:
    """The signs of a `danger_signs` mapping; `expand` reads chat abbreviations in the phrases (a → anh)."""
    signs = DangerSigns()
    for group in danger.get("groups") or []:
        entry, firm = group.get("entry"), bool(group.get("firm"))
        for phrase in group.get("phrases") or []:
            signs.add_sign(entry, [[phrase]], firm=firm, expand=expand)
    for sign in danger.get("signs") or []:
        signs.add_sign(sign.get("entry"), sign["parts"], firm=bool(sign.get("firm")), window=sign.get("window"), expand=expand)
    for phrase in danger.get("unless") or []:
        signs.harmless.add(str(phrase), True, expand)
    for kind, phrases in (danger.get("calm") or {}).items():
        for phrase in phrases or []:
            signs.calm[kind].add(str(phrase), True, expand)
    for phrase in danger.get("now") or []:
        signs.now.add(str(phrase), True, expand)
    for phrase in danger.get("person") or []:
        signs.person.add(str(phrase), True, expand)
    for phrase in danger.get("negation") or []:
        signs.negation.add(str(phrase), True, expand)
    return signs
