"""Gloo's input guardrail, as a deterministic rule.

Gloo answers prompts its safety layer will not serve with a typed refusal
(``finish_reason: "content_filter"`` and ``message.refusal``); its canary checks
this with a DAN-style jailbreak asking for a controlled substance. The real
classifier is unpublished, so the emulator refuses, on Gloo v1 and v2 only (the
Gravix/Ollama backend has no guardrail), the last user message when:

1. it tries to switch the rules off: "ignore (all) previous/prior/above
   instructions", "you are now DAN", "DAN mode" or "do anything now"; or
2. it asks how to make or get a mass-harm or illegal-harm item: a how-to phrase
   ("how do I", "how to", "step by step", "instructions for", "recipe for",
   "synthesize", "manufacture", "build", "make", ...) *and* a hazard word
   (explosives and bombs, nerve and chemical or biological weapons, named toxins,
   methamphetamine, fentanyl, heroin, "controlled substance", untraceable or ghost
   guns, ransomware and malware); or
3. it contains the test marker :data:`REFUSAL_MARKER` (any case).

Questions *about* such things ("what is the history of the atomic bomb?") pass:
rule 2 needs the how-to phrase too (docs/emulator.md#guardrail).
"""

from __future__ import annotations

import re

#: Put this in the last user message to be refused whatever the rest says (tests, demos).
REFUSAL_MARKER = "[refuse]"
REFUSAL_TEXT = "I'm sorry, but I can't help with that request."

_JAILBREAK = re.compile(
    r"\bignore\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+)?(?:previous|prior|above|earlier)\s+"
    r"(?:instructions|rules|prompts?|guidelines)\b"
    r"|\byou\s+are\s+now\s+dan\b|\bdan\s+mode\b|\bdo\s+anything\s+now\b",
    re.IGNORECASE,
)
_HOW_TO = re.compile(
    r"\bhow\s+(?:do|can|could|would|should)\s+(?:i|you|we|one)\b|\bhow\s+to\b|\bstep[-\s]by[-\s]step\b"
    r"|\bsteps?\s+(?:to|for)\b|\binstructions?\s+(?:for|to|on)\b|\brecipe\s+for\b|\bteach\s+me\b"
    r"|\bsynthesi[sz]\w*|\bmanufactur\w*|\bbuild(?:ing)?\b|\bmak(?:e|ing)\b|\bproduc(?:e|ing)\b|\bcook(?:ing)?\b",
    re.IGNORECASE,
)
_HAZARD = re.compile(
    r"\b(?:(?:pipe\s+|dirty\s+|nail\s+)?bombs?|explosives?|detonators?|napalm|thermite"
    r"|nerve\s+agents?|sarin|vx\s+gas|ricin|anthrax|botulinum|(?:bio|biological|chemical)\s*weapons?"
    r"|methamphetamine|meth|fentanyl|heroin|controlled\s+substances?"
    r"|ghost\s+guns?|untraceable\s+(?:guns?|firearms?)|ransomware|malware)\b",
    re.IGNORECASE,
)


def guardrail_refuses(text: str) -> bool:
    """True when the guardrail rule above refuses ``text`` (the last user message)."""
    if REFUSAL_MARKER in text.lower():
        return True
    if _JAILBREAK.search(text):
        return True
    return bool(_HOW_TO.search(text) and _HAZARD.search(text))
