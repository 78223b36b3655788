# Riffcut on a GPU host (linux/amd64): Debian 12 with its FFmpeg 5.1 (the tests run on the same), Python 3.11,
# and exactly the versions in requirements/gpu.lock: the ones the tests ran (requirements/all.lock) without the
# dev tools, with torch's CUDA build from PyPI and the CUDA libraries it needs. The host needs only the NVIDIA
# driver (580 or later for torch 2.13's CUDA 13.0) and the NVIDIA Container Toolkit.
#   docker build -t riffcut .
#   docker run --gpus all --env-file .env -v riffcut-data:/data -v riffcut-hf:/home/riffcut/.cache/huggingface riffcut
# or with docker-compose.yml: docker compose up -d
FROM python:3.11-slim-bookworm
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    DATA_DIR=/data \
    TEMPORARY_DIRECTORY=/tmp/riffcut \
    HF_HOME=/home/riffcut/.cache/huggingface

# FFmpeg from Debian 12 (5.1; the engine needs 5.1 or later and says so at start-up). Not pinned to a Debian
# revision: security updates replace it in the archive, and any 5.1.x serves.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && ffmpeg -version | head -n 1

# The locked packages first, in their own layer: a code change does not download torch again.
COPY requirements/gpu.lock /tmp/gpu.lock
RUN pip install -r /tmp/gpu.lock && rm /tmp/gpu.lock

# The project itself, without resolving anything again (its dependencies are all in the lock).
WORKDIR /app
COPY . .
RUN pip install --no-deps --no-build-isolation . \
 && pip check \
 && useradd --create-home --uid 1000 riffcut \
 && mkdir -p /data /tmp/riffcut "$HF_HOME" \
 && chown -R riffcut:riffcut /data /tmp/riffcut /home/riffcut

USER 1000:1000
VOLUME ["/data", "/home/riffcut/.cache/huggingface"]
CMD ["riffcut", "bot"]
