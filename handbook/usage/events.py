"""Anonymous events: what the conversation core reports for counting.

An event never carries who sent a message. The only text it may carry is the normalised text of a
question that got no answer (`Event.text`), which the usage log keeps only when misses are recorded
(opt-in) and after stripping anything that could identify a person.
"""

from __future__ import annotations

from dataclasses import dataclass

# name -> what it means (the fields it uses)
EVENT_NAMES = {
    "message": "any update from a user that the bot handled (text, button, command, media)",
    "start": "/start (value: the deep-link payload or None)",
    "question": "a free-text question was searched (lang, country)",
    "answered": "the question got a direct answer (entry, lang, country)",
    "choices": "the question got a 'did you mean' list",
    "smalltalk": "a greeting, thanks, goodbye, 'who are you', ok, emoji or insult got the small-talk reply (value: its kind)",
    "alternative_chosen": "a 'not what you meant?' button beside an answer was pressed (entry: the one chosen instead)",
    "no_answer": "the question got no answer (text: the normalised question, for opt-in miss records)",
    "urgent": "the message had danger signs; the emergency block was shown first",
    "entry_shown": "an entry was shown (entry, via: search|menu|related|deeplink|inline|choice)",
    "helpful": "👍 on an entry (entry)",
    "not_helpful": "👎 on an entry (entry)",
    "menu_open": "a chapter menu was opened (chapter)",
    "emergency": "the emergency block was asked for (/emergency or its button)",
}

VIAS = ("search", "menu", "related", "deeplink", "inline", "choice", "alternative")


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    entry: str | None = None
    via: str | None = None
    chapter: str | None = None
    lang: str | None = None
    country: str | None = None
    value: str | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        if self.name not in EVENT_NAMES:
            raise ValueError(f"unknown event {self.name!r}; known: {', '.join(EVENT_NAMES)}")
        if self.via is not None and self.via not in VIAS:
            raise ValueError(f"unknown via {self.via!r}; known: {', '.join(VIAS)}")
