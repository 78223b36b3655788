"""`riffcut worker [--gpu N]`: one Celery worker for one GPU, taking jobs queued by front ends with RUNNER=celery
(README: "Scaling out"). Exit 2: a setting that cannot work, or the broker out of reach; exit 1: the model could
not be loaded (or this worker was taken for lost by the others)."""

from __future__ import annotations

import argparse
import sys

from riffcut.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "worker",
        help="run jobs queued by the bot's front ends (RUNNER=celery): one worker per GPU",
        description="Runs jobs that `riffcut bot` front ends with RUNNER=celery queue in CELERY_BROKER_URL: "
        "one job at a time on one GPU, then sends the results to their chat.",
    )
    parser.add_argument("--gpu", type=int, metavar="N", help="the GPU to use (cuda:N); default: DEVICE")
    parser.add_argument("--name", help="the worker's name in /queue; default: HOST-gpuN (HOST-cpu)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.gpu is not None and args.gpu < 0:
        print("riffcut: --gpu takes a GPU number, 0 or more", file=sys.stderr)
        return 2
    # Imported here: Celery and the model are needed only when a worker runs.
    try:
        from riffcut.worker import run_worker
    except ImportError as exc:
        print(
            f"riffcut: a worker needs Celery (and Redis's client): pip install 'riffcut[scale]' ({exc})",
            file=sys.stderr,
        )
        return 2

    return run_worker(settings, args.gpu, args.name)
