"""heap.frozen_heap: the collector is quieter inside, and exactly as it was afterwards (nested uses included)."""

from __future__ import annotations

import gc

import pytest

from autopersonalize.heap import YOUNG_THRESHOLD, frozen_heap


def test_heap_frozen_inside_and_restored_after_nested_uses() -> None:
    before = gc.get_threshold()
    with frozen_heap():
        outer_frozen = gc.get_freeze_count()
        made = [[i] for i in range(1000)]  # objects made inside: the nested use freezes them too
        with frozen_heap():
            assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
            assert gc.get_freeze_count() >= outer_frozen + len(made)
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])

    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_heap_restored_when_the_body_raises() -> None:
    before = gc.get_threshold()
    with pytest.raises(KeyError, match="boom"), frozen_heap():
        raise KeyError("boom")

    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)
