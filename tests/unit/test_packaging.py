"""The wheel's contents are declared by hand in pyproject.toml (the templates/ and examples/
folders are mapped into the package): check that the declaration covers the tree, so that a
new folder or a new kind of file cannot silently stay out of the wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
FOLDERS = {"outreach": "outreach", "workers": "workers", **CONFIG["package-dir"]}


def _shipped_folders() -> dict[str, list[Path]]:
    """package name -> its files, for every folder of the tree that holds files."""
    found: dict[str, list[Path]] = {}
    for package, folder in FOLDERS.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                inner = path.parent.relative_to(ROOT / folder).parts
                found.setdefault(".".join((package, *inner)), []).append(path)
    return found


def test_every_folder_is_a_listed_package() -> None:
    missing = set(_shipped_folders()) - set(CONFIG["packages"])
    assert not missing, missing


def test_every_data_file_matches_a_package_data_pattern() -> None:
    patterns = CONFIG["package-data"]["*"]
    files = [p for paths in _shipped_folders().values() for p in paths if p.suffix != ".py"]
    unmatched = [p for p in files if not any(p.match(pattern) for pattern in patterns)]
    assert files and not unmatched, unmatched


def test_mapped_folders_are_packages() -> None:
    for folder in CONFIG["package-dir"].values():
        assert (ROOT / folder / "__init__.py").is_file(), folder
