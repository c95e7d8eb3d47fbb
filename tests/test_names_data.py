"""The surnames-by-language builder: 17 clean, sorted, reproducible files, built offline."""

from __future__ import annotations

import re
import socket
import sys

import pytest

from tools.names_data import LANGUAGES, PINS, build_names

NAME = re.compile(r"[A-Za-z' -]*[A-Za-z][A-Za-z' -]*")  # letters, at most space ' -

# floors a little under what the pinned packages give (counts in brackets)
MIN_COUNTS = {
    "Arabic": 250,  # 294
    "Chinese": 200,  # 225
    "Czech": 180,  # 200
    "Dutch": 1000,  # 1068
    "English": 450,  # 500
    "French": 360,  # 400
    "German": 360,  # 403
    "Greek": 1300,  # 1435
    "Irish": 2100,  # 2323
    "Italian": 1050,  # 1163
    "Japanese": 1600,  # 1771
    "Korean": 60,  # 66
    "Polish": 3500,  # 3866
    "Portuguese": 130,  # 144
    "Russian": 450,  # 500
    "Spanish": 950,  # 1034
    "Vietnamese": 10,  # 10: all Faker has
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    target = tmp_path_factory.mktemp("names")
    return target, build_names(target)


def test_seventeen_languages_written(built):
    target, counts = built
    assert LANGUAGES == tuple(sorted(LANGUAGES)) and len(LANGUAGES) == 17
    assert "Scottish" not in LANGUAGES
    assert tuple(counts) == LANGUAGES
    assert sorted(path.stem for path in target.glob("*.txt")) == list(LANGUAGES)


def test_files_are_ascii_sorted_unique_names(built):
    target, counts = built
    for language in LANGUAGES:
        data = (target / f"{language}.txt").read_bytes()
        assert data.isascii() and data.endswith(b"\n") and b"\r" not in data, language
        names = data.decode("ascii").splitlines()
        assert names == sorted(set(names)), language
        assert len(names) == counts[language], language
        bad = [name for name in names if not NAME.fullmatch(name)]
        assert not bad, (language, bad[:5])
        assert all(name == name.strip() and "  " not in name for name in names), language


@pytest.mark.parametrize("language", sorted(MIN_COUNTS))
def test_minimum_counts(built, language):
    assert built[1][language] >= MIN_COUNTS[language]


def test_known_names_are_folded_to_ascii(built):
    target, _ = built
    expected = {
        "Chinese": "Ouyang",  # 欧阳: syllables joined
        "Greek": "Papadopoulos",
        "Japanese": "Suzuki",
        "Korean": "Kim",
        "Russian": "Ivanov",
        "Vietnamese": "Nguyen",
    }
    for language, name in expected.items():
        assert name in (target / f"{language}.txt").read_text().splitlines(), language


def test_build_twice_is_byte_identical(built, tmp_path):
    first, _ = built
    build_names(tmp_path)
    for language in LANGUAGES:
        name = f"{language}.txt"
        assert (tmp_path / name).read_bytes() == (first / name).read_bytes(), language


def test_builds_with_sockets_disabled(built, tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket, "socket", no_network)
    # re-import the sources under the guard, not from the modules already loaded
    for module in list(sys.modules):
        if module.split(".")[0] in PINS:
            monkeypatch.delitem(sys.modules, module)
    assert build_names(tmp_path) == built[1]


def test_stale_text_files_are_removed(tmp_path):
    (tmp_path / "Scottish.txt").write_text("Smith\n")
    (tmp_path / "notes.md").write_text("kept\n")
    build_names(tmp_path)
    assert not (tmp_path / "Scottish.txt").exists()
    assert (tmp_path / "notes.md").exists()


def test_missing_package_names_the_pip_requirement(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "hangul_names", None)  # makes the import fail
    monkeypatch.setitem(sys.modules, "hangul_names.dramawiki", None)
    with pytest.raises(ImportError, match=re.escape("pip install 'hangul-names==0.4.2'")):
        build_names(tmp_path)


def test_target_must_be_a_folder_path(tmp_path):
    blocker = tmp_path / "names.txt"
    blocker.write_text("x\n")
    with pytest.raises(NotADirectoryError, match=r"names\.txt is a file; pass the folder"):
        build_names(blocker)
    with pytest.raises(TypeError, match="folder path"):
        build_names(None)
