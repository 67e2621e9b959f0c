"""`make demo` and the CLI work offline, as a newcomer runs them."""

from __future__ import annotations

import pytest

from langchain_gloo_gravix import cli, demo

# the demo is what a newcomer copies: it must not trip the package's own warnings about risky settings
pytestmark = pytest.mark.filterwarnings("error::langchain_gloo_gravix.core.warnings.GlooGravixWarning")


def test_demo_runs_every_part_offline(capsys):
    assert demo.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Backend: Gloo: embedded emulator")
    assert "routing_mechanism  auto_routing" in out and "tradition          evangelical" in out
    assert "tokens: " in out and "usage from the stream: {'input_tokens'" in out
    assert "model calls tool: get_weather({'city': 'Paris'})" in out
    assert "tool returns:     It is 21 degrees and sunny in Paris." in out
    assert "expire after one hour" in out  # the query engine answered from the retrieved document
    assert "Demo finished." in out


def test_demo_rag_parts_use_gravix_embeddings(capsys):
    import inspect

    assert "MockEmbedding" not in inspect.getsource(demo)  # real (emulated) vectors only
    assert demo.main(["--offline"]) == 0
    out = capsys.readouterr().out
    assert (
        "retrieved first: Gloo tokens come from the OAuth2 client-credentials grant and expire after one hour." in out
    )
    assert "top source: Gravix Layer also serves embeddings at /v1/inference/embeddings" in out


def test_demo_uses_live_gravix_only_when_its_key_is_set(monkeypatch):
    monkeypatch.setenv("GRAVIXLAYER_API_KEY", "k")
    with demo._backends(offline=False) as backends:
        assert "Gravix Layer: LIVE" in backends["label"] and "Gloo: embedded emulator" in backends["label"]
        assert "base_url" not in backends["gravix"] and backends["gloo"]["base_url"].startswith("http://127.0.0.1:")


def test_cli_chat_and_check_against_the_emulator(capsys):
    assert (
        cli.main(["chat", "Hello there", "--endpoint", "gloo-v2", "--emulator", "--stream", "--tradition", "catholic"])
        == 0
    )
    captured = capsys.readouterr()
    assert 'You said: "Hello there"' in captured.out
    assert "routing_mechanism=auto_routing" in captured.err and "tradition=catholic" in captured.err
    assert cli.main(["check", "--emulator"]) == 0
    out = capsys.readouterr().out
    assert out.count("OK       completion") == 3 and "OK       token exchange" in out


def test_cli_check_without_credentials_says_what_to_set(capsys):
    assert cli.main(["check"]) == 2
    out = capsys.readouterr().out
    assert "GLOO_CLIENT_ID" in out and "GRAVIXLAYER_API_KEY" in out and "nothing was checked" in out


def test_cli_chat_reports_bad_input_plainly(capsys):
    assert cli.main(["chat", "hi", "--endpoint", "gloo-v2", "--emulator", "--tradition", "reformed"]) == 1
    assert "tradition must be one of" in capsys.readouterr().err


@pytest.mark.parametrize("stream", [False, True])
def test_cli_chat_on_the_grounded_route(capsys, stream):
    args = ["chat", "What does the Bible say about forgiveness?", "--endpoint", "gloo-v2-grounded", "--emulator"]
    assert cli.main(args + (["--stream"] if stream else [])) == 0
    captured = capsys.readouterr()
    assert "forgive" in captured.out.lower()
    assert "sources_returned=True" in captured.err


def test_cli_help_is_written_for_users(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "``" not in out  # no reST markup from a docstring
    assert "GLOO_CLIENT_ID" in out and "GRAVIXLAYER_API_KEY" in out and "--emulator" in out
