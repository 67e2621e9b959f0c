"""The environment variables a test must never inherit from the developer's shell.

The package reads credentials, base URLs and default models from these (core/endpoints.py), and httpx
reads the proxy variables; a real value in the shell would change what a test sends, or leak into it.
``tests/conftest.py``'s ``clean_env`` fixture removes all of them before every test.
"""

from __future__ import annotations

#: credentials, base URLs and model defaults the package reads.
PACKAGE_ENV_VARS = (
    "GLOO_CLIENT_ID",
    "GLOO_CLIENT_SECRET",
    "GLOO_AI_CLIENT_ID",
    "GLOO_AI_CLIENT_SECRET",
    "GLOO_API_KEY",
    "GLOO_BASE_URL",
    "GRAVIXLAYER_API_KEY",
    "GRAVIXLAYER_BASE_URL",
    "GRAVIXLAYER_MODEL",
    "GRAVIXLAYER_EMBEDDING_MODEL",
)

#: the proxy settings httpx honours (lower case wins over upper case, as in urllib).
PROXY_ENV_VARS = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)

ENV_VARS = PACKAGE_ENV_VARS + PROXY_ENV_VARS
