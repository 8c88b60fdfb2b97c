# assetmap API and web pages. Database: ASSETMAP_DATABASE_URL (PostGIS in docker-compose.yml);
# without it the app uses a SpatiaLite file under /app/data.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SPATIALITE_LIBRARY_PATH=mod_spatialite

RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-mod-spatialite gdal-bin \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
# Editable: alembic.ini, migrations/ and data/ stay beside the package, where app/ finds them.
RUN pip install -e . \
    && useradd --create-home --uid 10001 assetmap \
    && mkdir -p /app/data \
    && chown assetmap:assetmap /app/data

USER assetmap
EXPOSE 8000
CMD ["assetmap", "serve", "--host", "0.0.0.0", "--port", "8000"]
