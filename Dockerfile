# One image for every role (web, worker, beat, migrate): the command picks the role.
# Templates, static files, migrations and examples are package data (see pyproject.toml), so
# the code finds them through the installed package, editable here or from a wheel.
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
