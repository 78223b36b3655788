"""`riffcut worker [--gpu N]`: one Celery worker for one GPU, taking jobs queued by front ends with RUNNER=celery
(README: "Scaling out"). Exit 2: a setting that cannot work, no broker; exit 1: the model cannot be loaded (not
found, or broken: the jobs wait for a worker that can), or this worker was taken for lost by the others."""

from __future__ import annotations

import argparse

from riffcut.command import CELERY, DATABASE, LOGGING, MODEL, RENDER, Command, Env

WORKER_TELEGRAM = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_FILE_BASE_URL",
    "TELEGRAM_LOCAL_MODE",
    "STARTUP_RETRY_SECONDS",
    "DELIVERY_RETRY_SECONDS",
    "MAX_FLOOD_WAIT_SECONDS",
)
WORKER_QUEUE = (
    "MAX_JOBS_PER_USER",
    "MAX_QUEUE",
    "JOB_TIME_LIMIT_SECONDS",
    "MIN_FREE_DISK_MB",
    "RESULT_RETENTION_HOURS",
)


def worker_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gpu", type=int, metavar="N", help="the GPU to use (cuda:N); default: DEVICE")
    parser.add_argument("--name", help="the worker's name in /queue; default: HOST-gpuN (HOST-cpu)")
    parser.set_defaults(handler=run)


COMMANDS = (
    Command(
        "worker",
        "run jobs queued by the bot's front ends (RUNNER=celery): one worker per GPU",
        worker_arguments,
        reads=LOGGING + CELERY + WORKER_TELEGRAM + DATABASE + WORKER_QUEUE + MODEL + RENDER,
    ),
)


def run(args: argparse.Namespace, env: Env) -> int:
    from riffcut.cli import fail

    if args.gpu is not None and args.gpu < 0:
        return fail("--gpu takes a GPU number, 0 or more", 2)
    # Imported here: Celery and the model are needed only when a worker runs.
    try:
        from riffcut.worker import run_worker
    except ImportError as exc:
        return fail(f"a worker needs Celery (and Redis's client): pip install 'riffcut[scale]' ({exc})", 2)
    return run_worker(env.settings, args.gpu, args.name)
