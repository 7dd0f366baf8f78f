"""Token-budget batching: sort by length, fill each batch up to a budget of padded tokens.

Sorting keeps padding low (the main cost of batched seq2seq decoding on CPU); the caller gets results
back in its own order through `restore_order`."""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def token_budget_batches(lengths: Sequence[int], max_tokens: int, max_size: int) -> list[list[int]]:
    """Index batches, longest first, where len(batch) * max(length) <= max_tokens.

    An item longer than the budget on its own gets a batch of one (it cannot be split here)."""
    if max_tokens < 1 or max_size < 1:
        raise ValueError("max_tokens and max_size must be positive")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    current_width = 0
    for index in order:
        width = max(current_width, lengths[index])
        if current and ((len(current) + 1) * width > max_tokens or len(current) >= max_size):
            batches.append(current)
            current, width = [], lengths[index]
        current.append(index)
        current_width = width
    if current:
        batches.append(current)
    return batches


def restore_order(batches: list[list[int]], batch_results: list[list[T]]) -> list[T]:
    total = sum(len(b) for b in batches)
    out: list[T | None] = [None] * total
    for batch, results in zip(batches, batch_results, strict=True):
        for index, result in zip(batch, results, strict=True):
            out[index] = result
    return out  # type: ignore[return-value]


def run_in_batches(lengths: Sequence[int], max_tokens: int, max_size: int,
                   translate_batch: Callable[[list[int]], list[T]],
                   on_batch: Callable[[list[int], list[T]], None] | None = None) -> list[T]:
    """Token-budget batches of the items, `translate_batch(positions)` on each, results in input order;
    `on_batch(positions, results)` after every batch (progress, caching)."""
    batches = token_budget_batches(lengths, max_tokens, max_size)
    results: list[list[T]] = []
    for batch in batches:
        results.append(translate_batch(batch))
        if on_batch:
            on_batch(batch, results[-1])
    return restore_order(batches, results)


def run_in_flight(lengths: Sequence[int], max_tokens: int, max_size: int,
                  submit_batch: Callable[[list[int]], Callable[[], list[T]]], in_flight: int,
                  on_batch: Callable[[list[int], list[T]], None] | None = None) -> list[T]:
    """Like `run_in_batches`, for engines that translate several batches at once: `submit_batch(positions)`
    starts a batch and returns a function that waits for its results. `in_flight` batches run together and
    one more waits in the engine's queue, so no worker idles between batches; results are collected (and
    `on_batch` called) in submission order."""
    if in_flight < 1:
        raise ValueError("in_flight must be positive")
    batches = token_budget_batches(lengths, max_tokens, max_size)
    results: list[list[T]] = []
    pending: deque[tuple[list[int], Callable[[], list[T]]]] = deque()
    for batch in batches:
        pending.append((batch, submit_batch(batch)))
        if len(pending) > in_flight:
            _collect(pending, results, on_batch)
    while pending:
        _collect(pending, results, on_batch)
    return restore_order(batches, results)


def _collect(pending: deque, results: list, on_batch) -> None:
    batch, wait = pending.popleft()
    results.append(wait())
    if on_batch:
        on_batch(batch, results[-1])
