"""docs/porting.md's "Errors: what to catch" table, checked against the code: the class each status becomes,
and the LangChain class each of ours is also raised as."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from langchain_core import exceptions as lc

from langchain_gloo_gravix import _lc_errors
from langchain_gloo_gravix.core import errors as core

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "porting.md"


def _rows() -> list[tuple[str, str, str, str]]:
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## Errors: what to catch", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1] and not set(cells[1]) <= {"-"} and cells[1] != "Status":
            ours, also = (re.match(r"`(\w+)`", cell) for cell in (cells[2], cells[3]))
            assert ours and also, line
            rows.append((cells[0], cells[1], ours.group(1), also.group(1)))
    return rows


ROWS = _rows()


def test_the_table_covers_the_sdk_classes_users_catch():
    was = {row[0] for row in ROWS}
    for name in ("APIError", "APIConnectionError", "APITimeoutError", "RateLimitError", "InternalServerError"):
        assert f"`{name}`" in was


@pytest.mark.parametrize("was, status, ours, also", ROWS, ids=[row[0] for row in ROWS])
def test_each_row_is_what_the_code_does(was, status, ours, also):
    cls = getattr(core, ours)
    if status.isdigit() and status != "200":
        assert type(core.error_from_response(int(status), {}, b"")) is cls
    if status == "other 4xx":
        assert type(core.error_from_response(418, {}, b"")) is cls
    if cls is core.GlooGravixError:
        # the base row: every class of the table is also raised as a LangChain ModelError
        assert all(issubclass(getattr(lc, row[3]), lc.ModelError) for row in ROWS)
        return
    twin = _lc_errors.to_langchain_error(cls("message"))
    assert isinstance(twin, cls) and isinstance(twin, getattr(lc, also)), (ours, type(twin).__mro__)
