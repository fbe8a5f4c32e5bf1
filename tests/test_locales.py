"""Where a world's names come from: shipped en_US data by default, Faker for other locales."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.errors import ScenarioError
from simulator.payloads import locales
from simulator.payloads.world import World
from simulator.runfile.scenario import parse_run

NAMES_FILE = Path(locales.__file__).with_name("names.py")
BASE = "munchkinId: 123-ABC-456\nsubscriptions:\n  - name: leads\n"


def test_the_shipped_file_is_in_the_generators_layout() -> None:
    """`names.py` holds exactly what `python -m simulator.payloads.locales` prints for its
    lists, so remaking it from Faker changes only the names, never the layout."""
    text = NAMES_FILE.read_text()
    body = text[text.index("# fmt: off") : text.index("# fmt: on") + len("# fmt: on")]
    assert body == locales.render(locales.shipped())


def test_the_default_locale_never_imports_faker() -> None:
    """An en_US world is built from the shipped lists alone (Faker's seeded output is not
    stable across its versions; the shipped lists are)."""
    assert locales.name_lists("en_US", {}) == locales.shipped()


def test_another_locale_draws_its_names_from_faker() -> None:
    """A de_DE world's people have names from Faker's German lists, none from the shipped ones
    that German lacks."""

    world = World.build(3, locale="de_DE")
    pool = locales.from_faker("de_DE", {})
    assert set(world.first_names) <= set(pool.first_names)
    assert set(world.companies) <= set(pool.companies)
    assert not set(world.first_names) <= set(locales.shipped().first_names)


def test_a_locale_world_is_the_same_for_the_same_seed() -> None:
    """Two builds of one seed and locale in one process are equal."""
    assert World.build(5, locale="fr_FR") == World.build(5, locale="fr_FR")


def test_slugs_stay_ascii_in_every_locale() -> None:
    """Web page slugs keep the shipped ASCII words, so URLs stay plain in ja_JP too."""
    assert locales.name_lists("ja_JP", {}).words == locales.shipped().words


def test_an_unknown_locale_names_its_line_and_the_languages_variants() -> None:
    """`locale: de_XX` is refused at its line, with the locales Faker has for German."""
    with pytest.raises(ScenarioError) as caught:
        parse_run("locale: de_XX\n" + BASE, file="bad.yaml")
    message = str(caught.value)
    assert message.startswith("bad.yaml:1: locale: Faker has no locale 'de_XX'; this language has ")
    assert "de_DE" in message


def test_a_run_file_sets_the_locale() -> None:
    """`locale:` reaches the run spec; without it the run is en_US."""
    assert parse_run("locale: pt_BR\n" + BASE, file="f.yaml").locale == "pt_BR"
    assert parse_run(BASE, file="f.yaml").locale == "en_US"
