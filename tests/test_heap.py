"""The lab's start-up heap is collected once, then kept out of later full collections."""

import gc
import weakref

from tui_lab import heap


class Node:
    pass


def test_settle_collects_garbage_then_freezes_what_lives():
    garbage = Node()
    garbage.self = garbage  # a cycle: only the collector can free it
    gone = weakref.ref(garbage)
    del garbage
    alive = Node()
    alive.self = alive
    gc.unfreeze()
    try:
        heap.settle()
        assert gone() is None  # collected before the freeze, not kept for ever
        assert gc.get_freeze_count() > 0
        assert not any(o is alive for o in gc.get_objects())  # frozen: out of the collector's walks
    finally:
        gc.unfreeze()
