"""Storage's refusals, by code (see `engine.errors.Refusal`): the queue limits and a member's choices."""

from __future__ import annotations

from engine.errors import Refusal

TOO_MANY_JOBS = Refusal(
    "too_many_jobs",
    "You already have {limit} {limit:job|jobs} waiting or running; wait for one to finish or cancel one first.",
)
QUEUE_FULL = Refusal(
    "queue_full", "The queue is full ({limit} jobs); nothing was added, please try again in a few minutes."
)
SETTINGS_OUT_OF_RANGE = Refusal("settings_out_of_range", "Some settings are out of range; nothing was changed.")
NO_CURRENT_VIDEO = Refusal("no_current_video", "Send a video first.")
SPLIT_PARTS_BELOW_ONE = Refusal("split_parts_below_one", "The number of parts must be 1 or more; {parts} is not.")
SPLIT_PART_OUT_OF_RANGE = Refusal("split_part_out_of_range", "The part must be 1 to {parts}; {part} is out of range.")
STORAGE_READ_ONLY = Refusal(
    "storage_read_only",
    "The server's storage cannot be written right now, so I cannot take new videos or jobs; please try again later.",
)
