"""Shared fixtures: the sandbox (a local simulator), clients, fixture files."""

from __future__ import annotations

import os
import pathlib
import sysconfig
from typing import Iterator

import pytest

import velip
from velip.testing import Sandbox

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = pathlib.Path(os.environ.get("VELIP_FIXTURES", HERE.parent / "fixtures"))

# The suite tests the installed wheel, never the source tree.
_site = pathlib.Path(sysconfig.get_paths()["purelib"]).resolve()
assert pathlib.Path(velip.__file__).resolve().is_relative_to(_site), velip.__file__

# Sandbox data: 30 days ending on this day.
LAST_DAY = "2026-11-20"
FIRST_DAY = "2026-10-22"


@pytest.fixture(autouse=True)
def _own_quota_ledger(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test is a new user of this machine, with a quota ledger of its
    own: a sandbox on a port an earlier test's sandbox used must not meet
    that test's Retry-After or lock-out. (Clients read ``VELIP_STATE_DIR``
    when they are built; tests of sharing pass ``state_dir`` themselves.)"""
    monkeypatch.setenv("VELIP_STATE_DIR", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(scope="session")
def fixtures() -> pathlib.Path:
    return FIXTURES


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for read-only tests (do not change its faults/limits)."""
    with Sandbox(calls=3000) as sb:
        yield sb


@pytest.fixture()
def fresh_sandbox() -> Iterator[Sandbox]:
    """A sandbox of its own, for tests that change faults, limits or data."""
    with Sandbox(calls=600) as sb:
        yield sb


@pytest.fixture()
def client(sandbox: Sandbox) -> Iterator[velip.Client]:
    with velip.Client(sandbox.token, base_url=sandbox.url) as c:
        yield c
