"""The stages a job goes through, in order: one vocabulary for the render, the job runner, storage and the bot.

The render (`engine.render`) emits probe to zip; the job runner (`jobs`) adds `fetch` before them (bringing the
video) and `keep` after them (moving the results out of the job's folder). Storage keeps a running job's stage
and each stage's seconds typed with this enum, and the bot words every member (a test checks each has words).
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    FETCH = "fetch"
    PROBE = "probe"
    SPLIT = "split"
    GENERATE = "generate"
    REMUX = "remux"
    PREVIEW = "preview"
    FULL_CUT = "full_cut"
    ZIP = "zip"
    KEEP = "keep"


RENDER_STAGES = (
    Stage.PROBE,
    Stage.SPLIT,
    Stage.GENERATE,
    Stage.REMUX,
    Stage.PREVIEW,
    Stage.FULL_CUT,
    Stage.ZIP,
)
