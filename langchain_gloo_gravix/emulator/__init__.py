"""Local emulator of Gloo AI (OAuth2 token, Completions v1/v2, model registry)
and Gravix Layer chat completions and embeddings, for offline tests, demos and cassettes.

Stdlib only and independent of the rest of the package::

    from langchain_gloo_gravix.emulator import Emulator, Fault

    with Emulator() as emu:
        emu.inject(Fault.rate_limit(retry_after="1"), path="/ai/v2/chat/completions")
        ...  # point clients at emu.gloo_base_url / emu.gravix_base_url

Run it standalone with ``python -m langchain_gloo_gravix.emulator --port 8787``.
"""

from .emulator import Emulator, RecordedRequest
from .faults import Fault

__all__ = ["Emulator", "Fault", "RecordedRequest"]
