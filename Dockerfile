# Riffcut on a CUDA machine: the PyTorch runtime image brings torch with CUDA, Debian/Ubuntu brings ffmpeg.
# Build:  docker build -t riffcut .
# Run:    docker run --gpus all --env-file .env -v riffcut-data:/data -v riffcut-hf:/home/riffcut/.cache/huggingface riffcut
FROM pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data \
    TEMPORARY_DIRECTORY=/tmp/riffcut \
    HF_HOME=/home/riffcut/.cache/huggingface

RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY engine ./engine
COPY jobs ./jobs
COPY storage ./storage
COPY riffcut ./riffcut
# torch is already in the image and satisfies the project's torch>=2.4 range, so pip keeps it.
RUN pip install . && useradd --create-home --uid 1000 riffcut \
 && mkdir -p /data /tmp/riffcut "$HF_HOME" && chown -R riffcut:riffcut /data /tmp/riffcut /home/riffcut

USER riffcut
VOLUME ["/data", "/home/riffcut/.cache/huggingface"]
CMD ["riffcut", "bot"]
