"""Build the surnames-by-language dataset for the char-RNN lesson, offline and deterministically.

The classic PyTorch "names -> language" tutorial used 18 languages; we rebuild 17 of them
(there is no Scottish source) from name lists that ship inside pinned PyPI packages:

- Faker's per-locale surname lists (read directly, never randomly generated): Arabic from
  ``fr_DZ`` (Algerian surnames already romanized, e.g. "Benaissa"; the ``ar_*`` lists are in
  Arabic script, which folds to unreadable consonant skeletons), Portuguese from ``pt_PT`` plus
  ``pt_BR`` (``pt_PT`` alone has 96), Korean from ``ko_KR`` (Hangul), one locale for the rest.
- ``japanese-personal-name-dataset`` for Japanese surnames in Hepburn romaji ("Satou").
- ``hangul-names`` to romanize the Korean surnames twice: DramaWiki's popular spellings
  ("Kim", "Park") and Revised Romanization ("Gim", "Bak"), as real-world lists mix both.
- ``text-unidecode`` to fold everything to ASCII (Hanzi to pinyin, Greek/Cyrillic to Latin).

Each ``<Language>.txt`` holds one surname per line: ASCII letters plus at most space,
apostrophe and hyphen, capitalized as the source gives it, de-duplicated, sorted, UTF-8 with
``\\n`` line ends. Entries that do not fold to that alphabet are dropped. Vietnamese has only
the 10 surnames Faker ships.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from types import ModuleType

# import name -> the pip requirement the lists were built from (lists change between releases)
PINS: dict[str, str] = {
    "faker": "Faker==40.54.0",
    "japanese_personal_name_dataset": "japanese-personal-name-dataset==0.4.0",
    "hangul_names": "hangul-names==0.4.2",
    "text_unidecode": "text-unidecode==1.3",
}

# language -> (Faker locale, Provider attribute) pairs whose surnames are merged
FAKER_SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "Arabic": (("fr_DZ", "last_names"),),
    "Chinese": (("zh_CN", "last_names"), ("zh_CN", "last_romanized_names")),
    "Czech": (("cs_CZ", "last_names_male"), ("cs_CZ", "last_names_female")),
    "Dutch": (("nl_NL", "last_names"),),
    "English": (("en_GB", "last_names"),),
    "French": (("fr_FR", "last_names"),),
    "German": (("de_DE", "last_names"),),
    "Greek": (("el_GR", "last_names_male"), ("el_GR", "last_names_female")),
    "Irish": (("ga_IE", "last_names"),),
    "Italian": (("it_IT", "last_names"),),
    "Korean": (("ko_KR", "last_names"),),
    "Polish": (("pl_PL", "unisex_last_names"), ("pl_PL", "male_last_names")),
    "Portuguese": (("pt_PT", "last_names"), ("pt_BR", "last_names")),
    "Russian": (("ru_RU", "last_names_male"), ("ru_RU", "last_names_female")),
    "Spanish": (("es_ES", "last_names"),),
    "Vietnamese": (("vi_VN", "last_names"),),
}

LANGUAGES: tuple[str, ...] = tuple(sorted([*FAKER_SOURCES, "Japanese"]))

_NAME = re.compile(r"(?=.*[A-Za-z])[A-Za-z' -]+")


def _require(module: str) -> ModuleType:
    """Import a source package, checking it is installed at the pinned version."""
    pin = PINS[module.split(".")[0]]
    distribution, wanted = pin.split("==")
    try:
        imported = importlib.import_module(module)
        installed = metadata.version(distribution)
    except (ImportError, metadata.PackageNotFoundError) as exc:
        raise ImportError(f"the names dataset needs the {distribution} package: pip install '{pin}'") from exc
    if installed != wanted:
        raise RuntimeError(
            f"{distribution} {installed} is installed, but the names dataset is built from "
            f"{pin} (its data changes between releases): pip install '{pin}'"
        )
    return imported


def _raw_names(language: str) -> list[str]:
    """The surnames of ``language`` as the sources give them, before folding."""
    if language == "Japanese":
        dataset = _require("japanese_personal_name_dataset")
        last_names = dataset.load_dataset(include_last_names=True)[2]
        return [entry["en"].capitalize() for entry in last_names.values()]
    names = [
        name
        for locale, attribute in FAKER_SOURCES[language]
        for name in getattr(_require(f"faker.providers.person.{locale}").Provider, attribute)
    ]
    if language == "Korean":
        dramawiki = _require("hangul_names.dramawiki")
        romanizers = (dramawiki.DramaWiki(), dramawiki.DramaWikiRR())
        return [romanizer.romanize(name) for name in names for romanizer in romanizers]
    return names


def _fold(name: str, language: str, unidecode: Callable[[str], str]) -> str:
    """Fold one surname to ASCII; Chinese syllables are joined ("欧阳" -> "Ouyang")."""
    if language == "Chinese":
        return "".join(unidecode(char).strip() for char in name).capitalize()
    return " ".join(unidecode(name).split())


def build_names(target: str | os.PathLike) -> dict[str, int]:
    """Write ``<target>/<Language>.txt`` for the 17 languages and return {language: count}.

    ``target`` is created if needed; other ``*.txt`` files in it (e.g. a stale
    ``Scottish.txt``) are removed. Reads only installed packages: no network. Raises
    ``TypeError`` or ``NotADirectoryError`` when ``target`` is not a folder path,
    ``ImportError`` naming the pip package when a source is missing, ``RuntimeError`` when
    one is installed at another version than the pinned one.
    """
    if not isinstance(target, (str, os.PathLike)):
        raise TypeError(f"target must be a folder path (str or Path), got {type(target).__name__}")
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"target {target} is a file; pass the folder the <Language>.txt files go into")
    target.mkdir(parents=True, exist_ok=True)
    unidecode = _require("text_unidecode").unidecode
    counts: dict[str, int] = {}
    for language in LANGUAGES:
        folded = {_fold(name, language, unidecode) for name in _raw_names(language)}
        names = sorted(name for name in folded if _NAME.fullmatch(name))
        text = "".join(f"{name}\n" for name in names)
        (target / f"{language}.txt").write_text(text, encoding="utf-8", newline="\n")
        counts[language] = len(names)
    for stale in sorted(target.glob("*.txt")):
        if stale.stem not in LANGUAGES:
            stale.unlink()
    return counts
