"""The tables: users with their settings, the current video per (chat, user), jobs with their files.

Times are stored in UTC and read back timezone-aware on every database. Telegram ids (users, chats, messages)
are 64-bit. A job keeps a copy of the settings it was made with, so that changing /settings later does not
change a job already waiting. Columns read back typed: settings as `UserOptions` (decoded once, when the row
is loaded; a stored value no longer allowed falls back to its default), states as `JobState`, stages as
`engine.stages.Stage`, and a video as one `VideoRef` (the same columns in `current_videos` and `jobs`).
"""

from __future__ import annotations

import enum
import logging
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, composite, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

from engine.errors import BadInput
from engine.options import SPECS_BY_NAME, UserOptions
from engine.stages import Stage
from storage.video_ref import VideoRef

log = logging.getLogger(__name__)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back with tzinfo=UTC (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use storage.models.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def options_from_json(data: dict[str, Any] | None) -> UserOptions:
    """Stored settings back as UserOptions; a value no longer allowed (ranges changed) falls back to its default."""
    values: dict[str, Any] = {}
    for name, value in (data or {}).items():
        spec = SPECS_BY_NAME.get(name)
        if spec is None:
            continue
        try:
            values[name] = spec.check(value)
        except BadInput as exc:
            log.warning("stored setting %s=%r is no longer allowed (%s); using the default", name, value, exc.message)
    return UserOptions(**values)


def options_to_json(options: UserOptions) -> dict[str, Any]:
    return options.model_dump(mode="json")


class OptionsJSON(TypeDecorator[UserOptions]):
    """`UserOptions` kept as JSON, checked by the options' specs when read."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: UserOptions | None, dialect: Dialect) -> dict[str, Any] | None:
        return None if value is None else options_to_json(value)

    def process_result_value(self, value: dict[str, Any] | None, dialect: Dialect) -> UserOptions:
        return options_from_json(value)


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    CHOOSING = "choosing"  # its takes are made; it waits, holding nothing, for its member to pick one
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


def _enum_column(kind: type[enum.StrEnum], length: int) -> Enum:
    """A StrEnum kept as its value in a VARCHAR (no database enum type: new members need no migration)."""
    return Enum(
        kind, native_enum=False, create_constraint=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


# Each VideoRef field's column type, in the order of the dataclass's fields.
_VIDEO_TYPES: dict[str, TypeEngine[Any]] = {
    "file_id": String(255),
    "file_unique_id": String(255),
    "file_name": String(255),
    "size_bytes": BigInteger(),
    "duration": Float(),
    "width": Integer(),
    "height": Integer(),
    "has_audio": Boolean(),
}
if list(_VIDEO_TYPES) != [item.name for item in fields(VideoRef)]:
    raise TypeError("storage.models._VIDEO_TYPES must name every VideoRef field, in order")


def video_columns(prefix: str) -> Any:
    """A `VideoRef` mapped onto one column per field, named `prefix + field`."""
    return composite(
        VideoRef.from_columns,
        *(
            mapped_column(f"{prefix}{name}", sql_type, nullable=name != "file_id")
            for name, sql_type in _VIDEO_TYPES.items()
        ),
    )


UNFINISHED = (JobState.QUEUED, JobState.RUNNING)
FINISHED = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)
_UNFINISHED_SQL = "state IN ('queued', 'running')"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # Telegram user id
    options: Mapped[UserOptions] = mapped_column(OptionsJSON, default=UserOptions)
    telegram_language: Mapped[str | None] = mapped_column(String(16))  # Telegram's language_code
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CurrentVideo(Base):
    """The video a user last sent in a chat, with the prompt and parts chosen for it."""

    __tablename__ = "current_videos"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    video: Mapped[VideoRef] = video_columns("")
    prompt: Mapped[str | None] = mapped_column(Text)
    parts: Mapped[int] = mapped_column(Integer, default=1)
    part: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_state_id", "state", "id"),
        Index("ix_jobs_user_id_id", "user_id", "id"),
        # A double tap finds the job already waiting instead of making a second one (see jobs_repo).
        Index(
            "uq_jobs_active_request",
            "user_id",
            "request_key",
            unique=True,
            sqlite_where=text(_UNFINISHED_SQL),
            postgresql_where=text(_UNFINISHED_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    reply_to_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    video: Mapped[VideoRef] = video_columns("video_")
    prompt: Mapped[str] = mapped_column(Text)
    parts: Mapped[int] = mapped_column(Integer)
    part: Mapped[int] = mapped_column(Integer)
    options: Mapped[UserOptions] = mapped_column(OptionsJSON)  # the settings this job was made with
    request_key: Mapped[str] = mapped_column(String(64))
    state: Mapped[JobState] = mapped_column(_enum_column(JobState, 16), default=JobState.QUEUED)
    stage: Mapped[Stage | None] = mapped_column(_enum_column(Stage, 32))
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1 within the whole job
    error: Mapped[str | None] = mapped_column(Text)  # for the user, one sentence
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    seed: Mapped[int | None] = mapped_column(BigInteger)  # the seed actually used (the chosen take's)
    chosen_take: Mapped[int | None] = mapped_column(Integer)  # the take picked (from 1), with several takes
    result_dir: Mapped[str | None] = mapped_column(Text)  # DATA_DIR/results/<id> until removed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    results_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    files: Mapped[list[JobFile]] = relationship(
        back_populates="job",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="JobFile.id",
        lazy="selectin",
    )

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


class JobFile(Base):
    """One result file of a job and, once sent, how it was delivered (Telegram's file id, message, time)."""

    __tablename__ = "job_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(Integer, ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # zip, part, preview, music, full_cut, ...
    path: Mapped[str] = mapped_column(Text)
    part: Mapped[int | None] = mapped_column(Integer)  # 1-based part number, where the file is one part's
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # width, height, duration, thumbnail...
    telegram_file_id: Mapped[str | None] = mapped_column(String(255))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    job: Mapped[Job] = relationship(back_populates="files")


class JobStageTime(Base):
    """How long one stage of one job attempt took; the admin's averages come from here."""

    __tablename__ = "job_stage_times"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(Integer, ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    stage: Mapped[Stage] = mapped_column(_enum_column(Stage, 32))
    seconds: Mapped[float] = mapped_column(Float)
