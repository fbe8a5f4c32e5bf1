"""Where a world's names come from: the shipped en_US lists, or Faker for any other locale.

The default locale, en_US, reads `names`: data taken once from Faker and shipped, so a seed
gives the same bytes whatever Faker version is installed. Any other locale Faker knows
(`locale: de_DE` in a run file) is drawn from Faker when the world is built: names, companies,
jobs, cities and phrases in that language, the same for a seed within one Faker version (Faker
does not promise its seeded output across versions; the README says so). Web page slugs stay the
shipped ASCII words, so every URL stays plain.

`python -m simulator.payloads.locales en_US` prints the lists in `names`' layout: that is how
`names` was made, and how to remake it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from simulator.payloads import names

SHIPPED = "en_US"
_TRIES = 40  # draws per wanted name before a locale counts as too small
_WIDTH = 99  # the shipped file's line length


class UnknownLocale(ValueError):
    """Faker has no such locale, or too few names in it for a world."""


@dataclass(frozen=True, slots=True)
class NameLists:
    """The lists a world samples its names from (`World.build` says how many of each)."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    companies: tuple[str, ...]
    domains: tuple[str, ...]
    jobs: tuple[str, ...]
    phrases: tuple[str, ...]
    words: tuple[str, ...]
    cities: tuple[str, ...]
    catch_phrases: tuple[str, ...]


# Each list's size in `names`, and the Faker method that fills it. One table for both
# directions: reading a locale, and printing the shipped file.
_FAKER_METHODS: dict[str, tuple[str, int, str]] = {
    "first_names": ("first_name", 200, "first names"),
    "last_names": ("last_name", 200, "last names"),
    "companies": ("company", 60, "company names"),
    "domains": ("domain_name", 60, "internet domains"),
    "jobs": ("job", 60, "job titles"),
    "phrases": ("bs", 60, "business phrases (program and nurture names)"),
    "words": ("word", 300, "words (web page slugs)"),
    "cities": ("city", 60, "cities"),
    "catch_phrases": ("catch_phrase", 40, "catch phrases (webinar titles)"),
}


def shipped() -> NameLists:
    """The en_US lists shipped in `names`."""
    return NameLists(
        first_names=names.FIRST_NAMES,
        last_names=names.LAST_NAMES,
        companies=names.COMPANIES,
        domains=names.DOMAINS,
        jobs=names.JOBS,
        phrases=names.PHRASES,
        words=names.WORDS,
        cities=names.CITIES,
        catch_phrases=names.CATCH_PHRASES,
    )


def name_lists(locale: str, minimum: dict[str, int]) -> NameLists:
    """The lists for `locale`, each holding at least `minimum[field]` names."""
    if locale == SHIPPED:
        return shipped()
    drawn = from_faker(locale, minimum)
    # Slugs go into URLs: the shipped ASCII words keep them plain in every locale.
    return NameLists(**{**_as_dict(drawn), "words": names.WORDS})


def from_faker(locale: str, minimum: dict[str, int] | None = None) -> NameLists:
    """Draw every list from Faker's `locale`, seeded with 0, sorted; sizes as in `names`."""
    fake = _faker(locale)
    lists: dict[str, tuple[str, ...]] = {}
    for field_name, (method, size, _) in _FAKER_METHODS.items():
        drawn = _distinct(getattr(fake, method), size)
        needed = size if minimum is None else minimum.get(field_name, 0)
        if len(drawn) < needed:
            raise UnknownLocale(
                f"Faker's locale {locale!r} gives only {len(drawn)} different {method} values "
                f"and a world needs {needed}: pick another locale"
            )
        lists[field_name] = tuple(sorted(drawn))
    return NameLists(**lists)


def check_locale(locale: str) -> str:
    """`locale` if the shipped one or one Faker knows; else `UnknownLocale` with near names."""
    if locale == SHIPPED:
        return locale
    # Imported here: Faker takes about 0.3 s to import, and the default locale never needs it.
    from faker.config import AVAILABLE_LOCALES

    if locale not in AVAILABLE_LOCALES:
        near = sorted(x for x in AVAILABLE_LOCALES if x.split("_")[0] == locale.split("_")[0])
        hint = f"; this language has {', '.join(near)}" if near else ""
        raise UnknownLocale(f"Faker has no locale {locale!r}{hint}")
    return locale


def _faker(locale: str) -> Any:
    from faker import Faker

    fake = Faker(check_locale(locale))
    fake.seed_instance(0)
    return fake


def _distinct(draw: Callable[[], str], size: int) -> set[str]:
    """Up to `size` different values of `draw`, giving up after `_TRIES` draws per value."""
    seen: set[str] = set()
    for _ in range(size * _TRIES):
        if len(seen) == size:
            break
        seen.add(draw())
    return seen


def _as_dict(lists: NameLists) -> dict[str, tuple[str, ...]]:
    return {f.name: getattr(lists, f.name) for f in fields(lists)}


def render(lists: NameLists) -> str:
    """`lists` as the body of `names`: one commented tuple per list, 100 columns wide."""
    out = ["# fmt: off"]
    for field_name, (_, _, what) in _FAKER_METHODS.items():
        values = getattr(lists, field_name)
        out.extend(["", f"# {len(values)} {what}"])
        out.append(f"{field_name.upper()}: tuple[str, ...] = (")
        line = ""
        for value in values:
            item = f"{json.dumps(value, ensure_ascii=False)},"
            if line and len(line) + 1 + len(item) > _WIDTH:
                out.append(line)
                line = ""
            line = f"{line} {item}" if line else f"    {item}"
        out.append(line)
        out.append(")")
    out.append("# fmt: on")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    print(render(from_faker(sys.argv[1] if len(sys.argv) > 1 else SHIPPED)))
