"""The row cache shared by sentence vectors and target-model features (``analysis.io`` shards)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.io import cached_shard_keys, read_shard_rows, write_shard


def _rows(n: int, dim: int = 4, start: int = 0) -> np.ndarray:
    return np.arange(start * dim, (start + n) * dim, dtype=np.float64).reshape(n, dim)


def test_rows_come_back_by_key_from_several_shards(tmp_path):
    write_shard(tmp_path, ["a", "b", "c"], _rows(3), field="values")
    write_shard(tmp_path, ["d", "e"], _rows(2, start=3), field="values")
    got = read_shard_rows(tmp_path, ["e", "a", "zz"], field="values")
    assert sorted(got) == ["a", "e"]  # an absent key is left out, not an error
    np.testing.assert_array_equal(got["a"], _rows(1)[0])
    np.testing.assert_array_equal(got["e"], _rows(1, start=4)[0])


def test_an_empty_request_or_a_missing_folder_reads_nothing(tmp_path):
    assert read_shard_rows(tmp_path / "absent", ["a"], field="values") == {}
    write_shard(tmp_path, ["a"], _rows(1), field="values")
    assert read_shard_rows(tmp_path, [], field="values") == {}
    assert write_shard(tmp_path, [], _rows(0), field="values") is None
    assert len(list(tmp_path.glob("shard-*.npz"))) == 1


def test_the_shard_name_follows_the_keys_so_a_repeat_rewrites_one_file(tmp_path):
    first = write_shard(tmp_path, ["a", "b"], _rows(2), field="values")
    again = write_shard(tmp_path, ["a", "b"], _rows(2), field="values")
    other = write_shard(tmp_path, ["b", "a"], _rows(2), field="values")
    assert first == again != other
    assert len(list(tmp_path.glob("shard-*.npz"))) == 2


def test_key_lists_that_join_to_the_same_string_get_different_files(tmp_path):
    one = write_shard(tmp_path, ["ab", "c"], _rows(2), field="values")
    two = write_shard(tmp_path, ["a", "bc"], _rows(2, start=5), field="values")
    assert one != two
    got = read_shard_rows(tmp_path, ["ab", "c", "a", "bc"], field="values")
    np.testing.assert_array_equal(got["ab"], _rows(1)[0])
    np.testing.assert_array_equal(got["a"], _rows(1, start=5)[0])


def test_a_shard_rewritten_with_the_same_signature_is_not_trusted(tmp_path):
    path = write_shard(tmp_path, ["a", "b"], _rows(2), field="values")
    assert sorted(read_shard_rows(tmp_path, ["a", "b"], field="values")) == ["a", "b"]
    stat = path.stat()
    np.savez(path.with_suffix(""), keys=np.array(["b", "a"]), values=_rows(2, start=3))  # same size, keys swapped
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    got = read_shard_rows(tmp_path, ["a"], field="values")
    assert got == {}  # the stale index is dropped, not used to serve b's row as a's
    again = read_shard_rows(tmp_path, ["a"], field="values")  # indexed afresh on the next call
    np.testing.assert_array_equal(again["a"], _rows(1, start=4)[0])


def test_keys_and_rows_must_match(tmp_path):
    with pytest.raises(ValueError, match="3 rows for 2 keys"):
        write_shard(tmp_path, ["a", "b"], _rows(3), field="values")


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "wrong_field", "short_rows"])
def test_a_damaged_shard_counts_as_missing_and_the_others_are_read(tmp_path, damage):
    good = write_shard(tmp_path, ["a"], _rows(1), field="values")
    bad = write_shard(tmp_path, ["b", "c"], _rows(2, start=1), field="values")
    data = bad.read_bytes()
    if damage == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        bad.write_bytes(b"not a zip file at all")
    elif damage == "empty":
        bad.write_bytes(b"")
    elif damage == "wrong_field":
        np.savez(bad.with_suffix(""), keys=np.array(["b", "c"]), vectors=_rows(2))
    else:  # more keys than rows: the index points past the array
        np.savez(bad.with_suffix(""), keys=np.array(["b", "c"]), values=_rows(1))
    got = read_shard_rows(tmp_path, ["a", "b", "c"], field="values")
    assert sorted(got) == ["a"]
    assert good.exists()


def test_a_shard_rewritten_on_disk_is_indexed_again(tmp_path):
    path = write_shard(tmp_path, ["a", "b"], _rows(2), field="values")
    assert sorted(read_shard_rows(tmp_path, ["a", "b", "x"], field="values")) == ["a", "b"]
    np.savez(path.with_suffix(""), keys=np.array(["x", "y", "z"]), values=_rows(3, start=7))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))  # a clock that did not tick
    got = read_shard_rows(tmp_path, ["a", "b", "x"], field="values")
    assert sorted(got) == ["x"]
    np.testing.assert_array_equal(got["x"], _rows(1, start=7)[0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="abcdef", min_size=1, max_size=3), min_size=1, max_size=6, unique=True),
                min_size=1, max_size=5),
       st.sets(st.text(alphabet="abcdefg", min_size=1, max_size=3), max_size=10))
def test_every_wanted_key_that_was_written_comes_back_with_a_row_written_for_it(tmp_path_factory, batches, wanted):
    folder = tmp_path_factory.mktemp("shards")
    written: dict[str, list[np.ndarray]] = {}
    for b, keys in enumerate(batches):
        rows = np.array([[float(b), float(i)] for i in range(len(keys))])
        write_shard(folder, keys, rows, field="values")
        for key, row in zip(keys, rows):
            written.setdefault(key, []).append(row)
    got = read_shard_rows(folder, wanted, field="values")
    assert set(got) == wanted & set(written)
    for key, row in got.items():
        assert any(np.array_equal(row, r) for r in written[key])


def test_cached_keys_come_from_the_index_without_reading_rows(tmp_path):
    write_shard(tmp_path, ["a", "b"], _rows(2), field="values")
    keys_only = tmp_path / "shard-keysonly.npz"
    np.savez(keys_only.with_suffix(""), keys=np.array(["c"]))  # no rows at all: only the keys are consulted
    (tmp_path / "shard-broken.npz").write_bytes(b"not a zip")
    assert cached_shard_keys(tmp_path, ["a", "c", "x"]) == {"a", "c"}
    assert cached_shard_keys(tmp_path / "absent", ["a"]) == set()
    assert read_shard_rows(tmp_path, ["c"], field="values") == {}  # its rows cannot be read, so it is missing


def test_a_vanished_shard_and_one_written_again_under_its_name_are_read_right(tmp_path):
    from analysis import io

    path = write_shard(tmp_path, ["a"], _rows(1), field="values")
    assert cached_shard_keys(tmp_path, ["a"]) == {"a"}
    assert str(path) in io._SHARD_INDEX
    path.unlink()
    assert cached_shard_keys(tmp_path, ["a"]) == set()
    write_shard(tmp_path, ["a"], _rows(1, start=2), field="values")  # the same name, written again
    np.testing.assert_array_equal(read_shard_rows(tmp_path, ["a"], field="values")["a"], _rows(1, start=2)[0])
