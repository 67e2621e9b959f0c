"""The cassette body matcher: independent of how the interpreter formats docstrings, and
still strict about everything a server could see differently."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool

from tests.support.cassette_format import json_body_matcher

INDENTED = "Multiply two numbers.\n\n    Args:\n        a: the first factor.\n        b: the second.\n    "
DEDENTED = "Multiply two numbers.\n\nArgs:\n    a: the first factor.\n    b: the second.\n"


def _request(description: str, content: str = "What is 3 times 4?") -> SimpleNamespace:
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": content}],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "multiply",
                    "description": description,
                    "parameters": {
                        "type": "object",
                        "properties": {"a": {"type": "integer", "description": "  the first factor"}},
                    },
                },
            }
        ],
    }
    return SimpleNamespace(body=json.dumps(body).encode())


def _matches(a: SimpleNamespace, b: SimpleNamespace) -> bool:
    try:
        json_body_matcher(a, b)
    except AssertionError:
        return False
    return True


def test_a_docstring_indented_as_python_3_12_matches_its_3_13_dedented_form():
    assert _matches(_request(INDENTED), _request(DEDENTED))
    assert _matches(_request(DEDENTED), _request(INDENTED))


def test_a_tool_built_from_a_real_docstring_matches_on_this_interpreter():
    @tool
    def multiply(a: int, b: int) -> int:
        """Multiply two numbers.

        Keep the sign of the first factor.
        """
        return a * b

    # __doc__ is dedented at compile time on 3.13 and kept indented on 3.10-3.12: the
    # request built here must match a recording made on either.
    live = convert_to_openai_tool(multiply)
    for recorded in (
        "Multiply two numbers.\n\n        Keep the sign of the first factor.\n        ",
        "Multiply two numbers.\n\nKeep the sign of the first factor.\n",
    ):
        other = json.loads(json.dumps(live))
        other["function"]["description"] = recorded
        assert _matches(
            SimpleNamespace(body=json.dumps({"tools": [live]})), SimpleNamespace(body=json.dumps({"tools": [other]}))
        )
        other["function"]["description"] = recorded.replace("sign", "magnitude")
        assert not _matches(
            SimpleNamespace(body=json.dumps({"tools": [live]})), SimpleNamespace(body=json.dumps({"tools": [other]}))
        )


@pytest.mark.parametrize(
    "changed",
    [
        INDENTED.replace("Multiply", "Divide"),  # other words
        INDENTED.replace("the second.", "the second one."),
        "Multiply two numbers.\n\nArgs:\n  a: the first factor.\n    b: the second.\n",  # relative indentation
        "Multiply two numbers.\nArgs:\n    a: the first factor.\n    b: the second.\n",  # a blank line dropped
    ],
)
def test_a_changed_description_still_fails_to_match(changed):
    assert not _matches(_request(DEDENTED), _request(changed))
    assert not _matches(_request(INDENTED), _request(changed))


def test_indentation_outside_descriptions_still_counts():
    assert not _matches(_request(DEDENTED, "What is\n    3 times 4?"), _request(DEDENTED, "What is\n3 times 4?"))


def test_a_parameter_description_is_normalised_the_same_way():
    a, b = _request(DEDENTED), _request(DEDENTED)
    body = json.loads(b.body)
    body["tools"][0]["function"]["parameters"]["properties"]["a"]["description"] = "the first factor"
    assert _matches(a, SimpleNamespace(body=json.dumps(body)))
    body["tools"][0]["function"]["parameters"]["properties"]["a"]["description"] = "the second factor"
    assert not _matches(a, SimpleNamespace(body=json.dumps(body)))
