"""The Celery application shared by front ends and workers (RUNNER=celery): its configuration and its one task.

A message is a job id and nothing else: no video, no result, no state (there is no result backend; a job's state
lives in the database). It is a turn: the worker that receives it starts the oldest job that may start now (first
come, first served, one running job per user), which is normally the job it names (`jobs.celery_worker`). So a
message delivered twice, or one left over from a cancelled job, does no harm: it finds nothing more to start.

Workers take one message at a time and acknowledge it when the job is over (acks late, prefetch 1, solo pool:
the job runs in the worker's own process, where the model was loaded once, and no process is forked after CUDA
was initialised). The broker's visibility timeout (after which Redis hands an unacknowledged message out again)
must exceed the job time limit (the settings refuse one that does not, at start-up).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import Celery
from kombu.connection import Connection
from kombu.utils.url import maybe_sanitize_url

RUN_JOB = "riffcut.run_job"
BROKER_CHECK_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class BrokerConfig:
    url: str  # CELERY_BROKER_URL, e.g. redis://redis:6379/0
    visibility_timeout_s: float  # CELERY_VISIBILITY_TIMEOUT_SECONDS
    queue: str = "riffcut"

    @property
    def shown_url(self) -> str:
        """The URL without its password, for logs and messages."""
        return str(maybe_sanitize_url(self.url))


def make_celery(config: BrokerConfig, *, turn: Callable[[int], None] | None = None) -> Celery:
    """The application; a worker passes `turn`, the body of its one task (blocking until the job is over)."""
    app = Celery("riffcut", broker=config.url, set_as_current=False)
    app.conf.update(
        task_default_queue=config.queue,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
        worker_pool="solo",
        worker_concurrency=1,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        worker_enable_remote_control=False,  # a solo worker busy with a job could not answer anyway
        worker_cancel_long_running_tasks_on_connection_loss=False,  # the job goes on; its state is in the database
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker waits for Redis to come back, however long
        broker_transport_options={"visibility_timeout": config.visibility_timeout_s},
    )
    if turn is not None:

        def run_job(job_id: int) -> None:
            turn(int(job_id))

        app.task(name=RUN_JOB, acks_late=True, reject_on_worker_lost=True)(run_job)
    return app


def enqueue(app: Celery, job_id: int) -> None:
    """Send a job's turn to the workers (blocking: call it in a thread); kombu's errors when the broker is down."""
    app.send_task(RUN_JOB, args=[job_id])


def broker_problem(config: BrokerConfig) -> str | None:
    """None when the broker answers; else why not, in a few words."""
    connection: Any = Connection(config.url, connect_timeout=BROKER_CHECK_TIMEOUT_S)
    try:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.5, timeout=BROKER_CHECK_TIMEOUT_S)
    except Exception as exc:
        return str(exc) or type(exc).__name__
    finally:
        connection.release()
    return None
