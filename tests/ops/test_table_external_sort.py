"""The external merge sort shared by the table tools."""

from __future__ import annotations

import random
from pathlib import Path

from nebula.ops import external_sort
from nebula.ops.external_sort import sort_file, sorted_lines


def _numbers(count: int, seed: int = 7) -> list[str]:
    generator = random.Random(seed)
    return [f"{generator.randrange(1000)}\trow{index}" for index in range(count)]


def _number_key(line: str) -> int:
    return int(line.split("\t", 1)[0])


def test_small_input_is_sorted_without_temporary_files(tmp_path: Path) -> None:
    lines = _numbers(50)

    with sorted_lines(lines, _number_key, temp_dir=tmp_path) as ordered:
        result = list(ordered)

    assert result == sorted(lines, key=_number_key)
    assert list(tmp_path.iterdir()) == []


def test_runs_on_disk_give_a_stable_sort(tmp_path: Path) -> None:
    lines = _numbers(2000)

    with sorted_lines(lines, _number_key, temp_dir=tmp_path, run_bytes=4000) as ordered:
        folders = list(tmp_path.iterdir())
        runs = list(folders[0].iterdir())
        result = list(ordered)

    assert result == sorted(lines, key=_number_key)
    assert len(folders) == 1
    assert len(runs) > 1
    assert list(tmp_path.iterdir()) == []


def test_many_runs_are_merged_in_several_passes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(external_sort, "MAX_FAN_IN", 3)
    lines = _numbers(500)

    with sorted_lines(lines, _number_key, temp_dir=tmp_path, run_bytes=1000) as ordered:
        run_files = list(next(tmp_path.iterdir()).iterdir())
        result = list(ordered)

    assert result == sorted(lines, key=_number_key)
    assert len(run_files) <= 3


def test_carriage_returns_and_undecodable_bytes_survive(tmp_path: Path) -> None:
    lines = ["b\rx", "a\udcff", "c"] * 40

    with sorted_lines(lines, str, temp_dir=tmp_path, run_bytes=200) as ordered:
        result = list(ordered)

    assert result == sorted(lines)


def test_sort_file_writes_lines_and_counts_them(tmp_path: Path) -> None:
    output = tmp_path / "sorted.txt"

    count = sort_file(["b", "c", "a"], output, str, temp_dir=tmp_path)

    assert count == 3
    assert output.read_text() == "a\nb\nc\n"


def test_empty_input_gives_empty_output(tmp_path: Path) -> None:
    output = tmp_path / "sorted.txt"

    count = sort_file([], output, str, temp_dir=tmp_path)

    assert count == 0
    assert output.read_text() == ""


def test_temporary_folder_is_removed_when_reading_stops_early(tmp_path: Path) -> None:
    lines = _numbers(1000)

    with sorted_lines(lines, _number_key, temp_dir=tmp_path, run_bytes=2000) as ordered:
        first = next(ordered)

    assert _number_key(first) == min(_number_key(line) for line in lines)
    assert list(tmp_path.iterdir()) == []
