"""The part length rule and the split plan: pure arithmetic, the rule the CLI, render and bot all use."""

from __future__ import annotations

import pytest

from engine.errors import BadInput
from engine.parts import check_part_count, plan, split_points, valid_part_counts
from engine.words import format_time


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (10.04, range(1, 11)),  # 10 parts of 1.004 s; 11 would be 0.91 s
        (30.0, range(1, 31)),
        (60.0, range(1, 61)),  # exactly at the maximum: 1 part of 60 s is allowed
        (60.5, range(2, 61)),
        (125.0, range(3, 126)),
        (0.07, range(0)),
        (1.0, range(1, 2)),
    ],
)
def test_valid_part_counts(duration: float, expected: range) -> None:
    assert valid_part_counts(duration, 1.0, 60.0) == expected


def test_counts_survive_float_noise_at_the_limits() -> None:
    assert 3 in valid_part_counts(0.3 * 10, 1.0, 60.0)  # 3.0000000000000004 s
    assert 10 in valid_part_counts(0.1 * 3 * 100 / 3, 1.0, 60.0)


def test_no_count_for_a_long_video_with_a_narrow_window() -> None:
    # 10 s parts to 12 s parts: a 25 s video needs 2.08 to 2.5 parts: none works.
    assert valid_part_counts(25.0, 10.0, 12.0) == range(0)
    with pytest.raises(BadInput, match="too long for any number of parts"):
        check_part_count(25.0, 2, 10.0, 12.0)


def test_refusal_names_the_working_range() -> None:
    with pytest.raises(BadInput) as err:
        check_part_count(10.04, 11, 1.0, 60.0)
    assert "too short" in err.value.message and "1 to 10 parts" in err.value.message
    with pytest.raises(BadInput) as err:
        check_part_count(125.0, 2, 1.0, 60.0)
    assert "too long" in err.value.message and "3 to 125" in err.value.message


def test_too_short_video_says_so() -> None:
    with pytest.raises(BadInput, match=r"0\.07 s, too short to split.*at least 1 s"):
        check_part_count(0.07, 1, 1.0, 60.0)


def test_a_single_working_count_is_named_exactly() -> None:
    with pytest.raises(BadInput, match=r"use exactly 1 part[.]"):
        check_part_count(1.5, 2, 1.0, 60.0)


@pytest.mark.parametrize("bad", [0, -3])
def test_zero_or_negative_parts(bad: int) -> None:
    with pytest.raises(BadInput, match=r"at least 1.*1 to 10"):
        check_part_count(10.0, bad, 1.0, 60.0)


@pytest.mark.parametrize("bad", [2.5, "3", None, True])
def test_parts_must_be_a_whole_number(bad: object) -> None:
    with pytest.raises(BadInput, match="whole number"):
        check_part_count(10.0, bad, 1.0, 60.0)


def test_whole_float_is_accepted() -> None:
    assert check_part_count(10.0, 4.0, 1.0, 60.0) == 4


def test_plan_lays_out_equal_parts_ending_at_the_duration() -> None:
    p = plan(10.04, 4, 2, 1.0, 60.0)
    assert p.part_duration == pytest.approx(2.51)
    assert p.ranges[0] == pytest.approx((0.0, 2.51))
    assert p.ranges[-1][1] == 10.04
    assert p.chosen_range == pytest.approx((2.51, 5.02))
    assert [start for start, _ in p.ranges[1:]] == pytest.approx([2.51, 5.02, 7.53])  # where the cuts go
    assert p.chosen_range_text() == "00:00:02.51 - 00:00:05.02"
    # Consecutive parts touch: no gap, no overlap.
    assert all(a[1] == b[0] for a, b in zip(p.ranges, p.ranges[1:], strict=False))


@pytest.mark.parametrize("chosen", [0, 5, -1])
def test_plan_refuses_a_chosen_part_out_of_range(chosen: int) -> None:
    with pytest.raises(BadInput, match="from 1 to 4"):
        plan(10.04, 4, chosen, 1.0, 60.0)


def test_plan_checks_the_length_rule_first() -> None:
    with pytest.raises(BadInput, match="1 to 10"):
        plan(10.04, 20, 1, 1.0, 60.0)


def test_split_points_single_part() -> None:
    assert split_points(7.5, 1) == ((0.0, 7.5),)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "00:00:00"),
        (75.5, "00:01:15.50"),
        (3600, "01:00:00"),
        (3725.257, "01:02:05.26"),
        (59.999, "00:01:00"),
        (360000, "100:00:00"),
    ],
)
def test_format_time(seconds: float, text: str) -> None:
    assert format_time(seconds) == text


def test_format_time_refuses_negative() -> None:
    with pytest.raises(ValueError):
        format_time(-1)
