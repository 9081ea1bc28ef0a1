# Stride Coach: the Discord bot with its index built in, running as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    COACH_BACKEND=onnx \
    COACH_KNOWLEDGE_DIR=/app/knowledge \
    COACH_INDEX_DIR=/app/.index \
    COACH_PROMPTS_DIR=/app/prompts \
    COACH_LOG_PATH=/data/coach.sqlite3 \
    COACH_HEALTH_PATH=/data/health.json

WORKDIR /app

# CPU-only PyTorch first, from PyTorch's CPU index, so no CUDA packages are pulled in. Torch exports the
# model to ONNX when the index is built below; answering never imports it (see the README).
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir .

COPY prompts ./prompts
COPY knowledge ./knowledge

RUN groupadd --gid 10001 coach \
    && useradd --create-home --uid 10001 --gid 10001 coach \
    && mkdir -p /data \
    && chown -R 10001:10001 /app /data
USER 10001:10001

# Build the index into the image, with the model exported to ONNX inside it, and answer one question so
# its derived caches are in the image too: the bot is ready about a second after it starts.
RUN coach index && coach ask --no-log "why do my hips drop?"

VOLUME ["/app/knowledge", "/data"]

HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 CMD ["coach", "health"]

CMD ["coach", "run"]
