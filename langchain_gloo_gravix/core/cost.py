"""What an answer cost, exactly, from its usage and the registry's prices.

Gloo's registry (``GET /platform/v2/models``, docs/providers.md#registry) gives each
model ``pricing = {input, output, cache_read?}``, each ``{rate_per_1k_tokens,
rate_per_1m_tokens}`` as **decimal strings**. Arithmetic is :class:`decimal.Decimal`
from those strings, never floats, so ``cost`` is exact: ``tokens * rate_per_1m / 10**6``
(the per-1M rate is the more precise of the two; the per-1K rate is used when it is the only one).

- ``input``: prompt tokens at the input rate; cache reads (usage_details.py) at the
  ``cache_read`` rate when the registry gives one, else at the input rate (the registry
  then states no other price for them);
- ``output``: completion tokens (reasoning tokens are part of them) at the output rate;
- ``total`` = input + output; ``currency``: the registry's when it states one, else
  ``"USD"`` (Gloo prices in US dollars).

No price, no cost: a model without ``pricing``, a rate that is not a decimal string or
number, or an answer without usage gives ``None``, never a guess. Pure and framework-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any, Mapping, Optional

from .usage_details import token_details

__all__ = ["Prices", "prices_of", "answer_cost", "add_costs", "format_amount", "CostTotals", "DEFAULT_CURRENCY"]

DEFAULT_CURRENCY = "USD"
_MILLION = Decimal(1_000_000)
_THOUSAND = Decimal(1_000)
_MAX_RATE_CHARS = 40  # a rate is a short decimal string; anything longer is not one


@dataclass(frozen=True)
class Prices:
    """Per-token prices of one model (``Decimal`` per token)."""

    input: Decimal
    output: Decimal
    cache_read: Optional[Decimal] = None
    currency: str = DEFAULT_CURRENCY


def _decimal(value: Any) -> Optional[Decimal]:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        number = Decimal(repr(value))  # the decimal the JSON number was written as
        return number if number.is_finite() else None
    if isinstance(value, str) and 0 < len(value.strip()) <= _MAX_RATE_CHARS:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _sane(number: Optional[Decimal]) -> Optional[Decimal]:
    # a rate is a non-negative amount per 1K / 1M tokens with a plausible exponent; "1e999999999"
    # is a finite decimal but no price, and would overflow the arithmetic that follows
    if number is None or number < 0:
        return None
    if number != 0 and not -30 <= number.adjusted() <= 15:
        return None
    return number


def _per_token(rate: Any) -> Optional[Decimal]:
    """The per-token price of one ``{rate_per_1k_tokens, rate_per_1m_tokens}`` object."""
    if not isinstance(rate, Mapping):
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        per_1m = _sane(_decimal(rate.get("rate_per_1m_tokens")))
        if per_1m is not None:
            return per_1m / _MILLION
        per_1k = _sane(_decimal(rate.get("rate_per_1k_tokens")))
        if per_1k is not None:
            return per_1k / _THOUSAND
    return None


def prices_of(entry: Any) -> Optional[Prices]:
    """The prices of one registry entry (a ``ModelInfo`` or a dict), or None when it has none usable."""
    if isinstance(entry, Mapping):
        pricing = entry.get("pricing")
        top_currency = entry.get("currency")
    else:
        extra = getattr(entry, "model_extra", None) or {}
        pricing = extra.get("pricing")
        top_currency = extra.get("currency")
    if not isinstance(pricing, Mapping):
        return None
    price_in = _per_token(pricing.get("input"))
    price_out = _per_token(pricing.get("output"))
    if price_in is None or price_out is None:
        return None
    currency = pricing.get("currency") or top_currency
    return Prices(
        input=price_in,
        output=price_out,
        cache_read=_per_token(pricing.get("cache_read")),
        currency=currency.strip().upper() if isinstance(currency, str) and currency.strip() else DEFAULT_CURRENCY,
    )


def format_amount(amount: Decimal) -> str:
    """A plain decimal string (never exponent notation), trailing zeros removed."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def answer_cost(usage: Any, prices: Optional[Prices]) -> Optional[dict[str, str]]:
    """``{"input", "output", "total", "currency"}`` (decimal strings) of one answer, or None."""
    if usage is None or prices is None:
        return None
    prompt = getattr(usage, "prompt_tokens", None)
    completion = getattr(usage, "completion_tokens", None)
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    cached = token_details(usage).cache_read or 0
    cached = min(cached, prompt)  # a cache read is part of the prompt; never more than it
    with localcontext() as ctx:
        ctx.prec = 80  # exact for any token count (at most 30 digits, wire.py) times any sane rate
        cache_rate = prices.cache_read if prices.cache_read is not None else prices.input
        try:
            cost_in = (prompt - cached) * prices.input + cached * cache_rate
            cost_out = completion * prices.output
            total = cost_in + cost_out
        except ArithmeticError:  # decimal's signals: never an error, never a guess
            return None
    return {
        "input": format_amount(cost_in),
        "output": format_amount(cost_out),
        "total": format_amount(total),
        "currency": prices.currency,
    }


def add_costs(a: Optional[Mapping[str, str]], b: Optional[Mapping[str, str]]) -> Optional[dict[str, str]]:
    """The sum of two costs in the same currency (None when either is None or they differ in currency)."""
    if a is None or b is None or a.get("currency") != b.get("currency"):
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        parts = {key: Decimal(a[key]) + Decimal(b[key]) for key in ("input", "output", "total")}
    return {**{key: format_amount(value) for key, value in parts.items()}, "currency": str(a["currency"])}


class CostTotals:
    """Costs summed by served model, thread-safe; what the frameworks' cost handlers keep.

    ``by_model[model]`` is a cost dict (decimal strings); :attr:`total` sums every model
    (None when currencies differ or nothing was priced); :attr:`unpriced` counts answers
    that came without a cost (no registry price, registry unreachable, no usage), so a
    total is never silently partial.
    """

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self.by_model: dict[str, dict[str, str]] = {}
        self.answers = 0
        self.unpriced = 0

    def add(self, model: Optional[str], cost: Optional[Mapping[str, str]]) -> None:
        with self._lock:
            self.answers += 1
            if cost is None:
                self.unpriced += 1
                return
            key = model or "unknown"
            before = self.by_model.get(key)
            summed = dict(cost) if before is None else add_costs(before, cost)
            if summed is None:  # another currency for the same model: kept apart, never mixed
                key = f"{key} ({cost.get('currency')})"
                before = self.by_model.get(key)
                summed = dict(cost) if before is None else add_costs(before, cost)
            self.by_model[key] = summed or dict(cost)

    @property
    def total(self) -> Optional[dict[str, str]]:
        with self._lock:
            costs = list(self.by_model.values())
        if not costs:
            return None
        total: Optional[dict[str, str]] = dict(costs[0])
        for cost in costs[1:]:
            total = add_costs(total, cost)
        return total

    def __repr__(self) -> str:
        total = self.total
        shown = f"{total['total']} {total['currency']}" if total else "none"
        return (
            f"CostTotals(total={shown}, models={len(self.by_model)}, answers={self.answers}, unpriced={self.unpriced})"
        )
