# FieldLedger application image: web (gunicorn), Celery worker and beat all run from it.
# See docker-compose.yml and README "Running on PostgreSQL + Redis with a Celery worker and beat".
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    MEDIA_ROOT=/data/media

# WeasyPrint needs Pango; libharfbuzz-subset0 makes its font subsetting fast (seconds -> ~1 s for
# a 10-page CJK PDF); fonts-wqy-zenhei is the CJK font Chinese PDFs embed; gettext compiles the
# translations at build time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-wqy-zenhei gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first (a cached layer while only the code changes). pyproject declares no packages
# ([tool.setuptools] packages = []), so this non-editable install brings the pinned dependencies
# only; the application runs from the code copied into /app below.
COPY pyproject.toml constraints.txt README.md ./
RUN pip install -c constraints.txt '.[s3]'

COPY . .

# Static files are collected at build time and served by whitenoise; the keys are build-only
# dummies (collectstatic and compilemessages need loadable settings, not real secrets; the database
# URL is never opened).
RUN export SECRET_KEY=build-only-not-a-secret-padded-to-32-chars \
        PII_DIGEST_KEY=build-only-not-a-secret-padded-to-32-chars \
        DATABASE_URL=sqlite:////tmp/build-only.sqlite3 \
    && python manage.py collectstatic --noinput --verbosity 0 \
    && if find locale -name '*.po' | grep -q .; then python manage.py compilemessages --verbosity 0; fi

# Run as an unprivileged user. /data/media (evidence uploads) and /data/beat (beat's schedule) are
# volume mount points; named volumes take this ownership when they are first created.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin fieldledger \
    && mkdir -p /data/media /data/beat \
    && chown -R fieldledger:fieldledger /data /app/staticfiles

USER fieldledger
EXPOSE 8000

CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
