"""The short hash that names stored runs, thread-spread records and transfer tables."""

import lthsiren as L
from lthsiren.hashing import short_hash


def test_short_hash_is_eight_hex_digits_of_the_sorted_json():
    assert short_hash({"b": [1, 2], "a": "x"}) == "5125d018"  # pinned: stored names use it
    assert short_hash({"a": "x", "b": [1, 2]}) == short_hash({"b": [1, 2], "a": "x"})
    assert short_hash({"a": "y", "b": [1, 2]}) != "5125d018"


def test_a_run_key_is_the_short_hash_of_its_settings():
    cfg = L.make_config("tiny")
    key = cfg.key("0" * 64)
    assert len(key) == 8 and int(key, 16) >= 0
    assert cfg.key("1" * 64) != key
