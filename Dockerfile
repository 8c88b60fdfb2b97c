# assetmap API and web pages. Database: ASSETMAP_DATABASE_URL (PostGIS in docker-compose.yml);
# without it the app uses a SpatiaLite file under /app/data.
#
# Two stages, so the image serves every page with nothing built by hand beforehand:
#   web: the front-end files pages load (Leaflet and plugins), from the npm packages pinned in
#        package-lock.json, copied by scripts/vendor-web.sh as `make install` does;
#   app: the Python packages at the versions in constraints.txt, the compiled Welsh and English
#        catalogues (.mo, from the .po files), and the vendored files from the web stage.

FROM node:20-bookworm-slim AS web
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/vendor-web.sh scripts/
RUN bash scripts/vendor-web.sh

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
COPY --from=web /src/app/web/static/vendor app/web/static/vendor
# Editable: alembic.ini, migrations/ and data/ stay beside the package, where app/ finds them.
RUN pip install -c constraints.txt -e . \
    && pybabel compile --statistics -d app/i18n -D messages \
    && test -f app/web/static/vendor/leaflet/leaflet.js \
    && useradd --create-home --uid 10001 assetmap \
    && mkdir -p /app/data \
    && chown assetmap:assetmap /app/data

USER assetmap
EXPOSE 8000
CMD ["assetmap", "serve", "--host", "0.0.0.0", "--port", "8000"]
