# One image for every role (web, worker, beat, migrate): the command picks the role.
# The package is installed editable from /app, so /app/templates sits next to /app/outreach
# (the code loads templates relative to the repository root).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 outreach \
    && useradd --system --uid 10001 --gid outreach --create-home --home-dir /home/outreach outreach

WORKDIR /app
# README.m[d]: optional (a glob may match nothing when another source matches).
COPY pyproject.toml README.m[d] ./
COPY outreach ./outreach
COPY workers ./workers
COPY templates ./templates
COPY examples ./examples
RUN pip install -e . && outreach --help >/dev/null

USER outreach
EXPOSE 8000
CMD ["outreach", "--help"]
