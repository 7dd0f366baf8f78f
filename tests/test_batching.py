import random

import pytest

from seedmt.translate.batching import restore_order, token_budget_batches


def test_batches_respect_budget_and_restore_input_order():
    rng = random.Random(0)
    lengths = [rng.randint(3, 120) for _ in range(500)]
    batches = token_budget_batches(lengths, max_tokens=512, max_size=32)
    assert sorted(i for b in batches for i in b) == list(range(500))
    for batch in batches:
        assert len(batch) * max(lengths[i] for i in batch) <= 512 and len(batch) <= 32
    results = restore_order(batches, [[f"t{i}" for i in batch] for batch in batches])
    assert results == [f"t{i}" for i in range(500)]


def test_item_longer_than_budget_goes_alone():
    batches = token_budget_batches([10, 900, 10], max_tokens=100, max_size=8)
    assert [1] in batches and sorted(i for b in batches for i in b) == [0, 1, 2]


def test_invalid_budget():
    with pytest.raises(ValueError):
        token_budget_batches([1], max_tokens=0, max_size=1)
