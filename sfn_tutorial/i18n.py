"""The language of the tutorial's own messages: English, or Korean in the Korean edition.

What a learner reads from the tutorial's code (the exercise checks' ✅/❌ lines and hints, the
execution report, the widgets' labels and status lines, the environment check, the banner of
``helpers.connect()``, the headings of the tables it makes) is written in English in the code,
as a ``str.format`` template, and goes through ``t``::

    t("There is no role {name} yet: create it with iam.create_role.", name=name)

``t`` fills in the template of the chosen language: the English one itself, or its entry in the
Korean catalogue (``messages_ko.KOREAN``, English template -> Korean template). What AWS says
(error names, causes, API answers) is never translated: it reaches a template only as a value.

The language is chosen once per notebook, never by editing shared code: a notebook's kernel
starts in the notebook's folder (JupyterLab and nbval both start it there), so a kernel started
in ``notebooks/ko/`` speaks Korean and any other English. ``helpers.connect(language="ko")``
(or ``"en"``) chooses explicitly instead, for the rest of the kernel's life.

``explain(english, translated)`` tells whether two lines say the same thing in two languages:
the English line is an instance of a catalogue entry and the translated line of the same
entry's translation, with the same values (or values that are themselves such a pair). The
test of the Korean twins (tests/test_korean_edition.py) accepts a difference in their stored
outputs only where it explains it.
"""

from __future__ import annotations

import string
from functools import cache, lru_cache
from pathlib import Path

from sfn_tutorial.messages_ko import KOREAN

ENGLISH = "en"
# Each translated language: its catalogue, and the folder (under notebooks/) of its notebooks.
CATALOGUES = {"ko": KOREAN}
LANGUAGES = (ENGLISH, *CATALOGUES)

_chosen: str | None = None


class LanguageError(ValueError):
    """A language the tutorial does not speak."""


def folder_language(folder: Path | None = None) -> str:
    """The language of the notebooks in ``folder`` (default: the working folder, where a
    notebook's kernel starts): a folder named after a language (``notebooks/ko``) speaks it."""
    name = (folder or Path.cwd()).name
    return name if name in CATALOGUES else ENGLISH


def choose(language: str | None) -> str:
    """Speak ``language`` (``"en"`` or ``"ko"``) from now on in this process; ``None`` goes
    back to the notebook folder's language. Returns the language now spoken."""
    global _chosen
    if language is not None and language not in LANGUAGES:
        raise LanguageError(
            f"Unknown language {language!r}: the tutorial speaks {', '.join(LANGUAGES)}."
        )
    _chosen = language
    return current()


def current() -> str:
    """The language spoken now: the one chosen, else the notebook folder's."""
    return _chosen or folder_language()


def t(template: str, **values) -> str:
    """``template`` (English, ``str.format`` style) in the current language, filled in."""
    language = current()
    if language != ENGLISH:
        template = CATALOGUES[language].get(template, template)
    return template.format(**values)


# ---------------------------------------------------------------- reading messages back


def fields(template: str) -> list[tuple[str, str, str | None]]:
    """The fields of a template: ``(name, format spec, conversion)`` for each, in order."""
    return [
        (name, spec or "", conversion)
        for _, name, spec, conversion in string.Formatter().parse(template)
        if name is not None
    ]


def _normal(text: str) -> str:
    """Text with each run of white space as one space, none at its ends: padding is layout."""
    return " ".join(text.split())


@cache
def _parts(template: str) -> tuple[str, ...]:
    """A template as alternating literal text and field names, ``(literal, name, literal, ...,
    literal)``: white space in literals made normal, none before the first or after the last."""
    parts = [""]
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        parts[-1] += literal
        if name is not None:
            parts += [name, ""]
    for index in range(0, len(parts), 2):
        literal = parts[index]
        inner = _normal(literal)
        parts[index] = (
            (" " if literal[:1].isspace() and index else "")
            + inner
            + (" " if literal[-1:].isspace() and index < len(parts) - 1 and inner else "")
        )
        if not inner and literal and 0 < index < len(parts) - 1:
            parts[index] = " "  # white space alone between two fields
    return tuple(parts)


def matches(template: str, text: str):
    """Every way ``text`` is an instance of ``template``: a ``{field: value}`` dict each (white
    space made normal in both; a field may hold any text, even none)."""
    parts = _parts(template)
    text = _normal(text)
    found = False
    # a field left empty leaves one space too few around it: try the text with one added
    for padded in (text, text + " ", " " + text, " " + text + " "):
        if padded.startswith(parts[0]):
            for values in _match_from(parts, 1, padded, len(parts[0]), {}):
                found = True
                yield values
        if found:
            return


def _match_from(parts, index, text, position, values):
    if index >= len(parts):
        if position == len(text):
            yield dict(values)
        return
    name, literal = parts[index], parts[index + 1]
    if index + 2 >= len(parts):  # the last field: the rest, up to the last literal
        ends = [len(text) - len(literal)] if text.endswith(literal) else []
    elif literal:  # each place the literal after the field is found
        ends, found = [], text.find(literal, position)
        while found != -1:
            ends.append(found)
            found = text.find(literal, found + 1)
    else:  # two fields side by side: any split
        ends = list(range(position, len(text) + 1))
    for end in ends:
        if end < position:
            continue
        value = text[position:end]
        if values.get(name, value) != value:
            continue
        yield from _match_from(parts, index + 2, text, end + len(literal), {**values, name: value})


@lru_cache(maxsize=100_000)
def explain(english: str, translated: str, language: str = "ko") -> str | None:
    """Why ``translated`` says what ``english`` says: ``""`` if they are the same text (white
    space aside), the English template of the catalogue entry they are both instances of
    (with values that are the same, or themselves explained), or ``None`` if nothing does."""
    if _normal(english) == _normal(translated):
        return ""
    catalogue = CATALOGUES[language]
    english_text = _normal(english)
    for source, target in catalogue.items():
        if not all(part.strip() in english_text for part in _parts(source)[::2]):
            continue
        for values in matches(source, english):
            for translated_values in matches(target, translated):
                if all(
                    explain(values[name], translated_values.get(name, ""), language) is not None
                    for name in values
                ):
                    return source
    return None
