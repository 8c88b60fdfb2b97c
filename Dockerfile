# assetmap API and web pages. Database: ASSETMAP_DATABASE_URL (PostGIS in docker-compose.yml);
# without it the app uses a SpatiaLite file under /app/data (a volume, owned by the app's user).
#
# Three stages; every RUN line is a step of scripts/build-image-steps.sh, which CI runs in a temp
# dir (tests/packaging/test_wheel.py), so the image is built the way CI tests it:
#   web:   the front-end files pages load (Leaflet and plugins), from the npm packages pinned in
#          package-lock.json (they must equal the committed copies: tests/packaging checks);
#   wheel: the one artefact, assetmap-*.whl, with the compiled catalogues, migrations and data
#          inside (setup.py);
#   the image: the wheel installed with its dependencies at the versions in constraints.txt,
#          run as the unprivileged user `assetmap`. No source tree is in it.

FROM node:20-bookworm-slim AS web
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/vendor-web.sh scripts/build-image-steps.sh scripts/
RUN scripts/build-image-steps.sh web /src

FROM python:3.11-slim-bookworm AS wheel
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY . .
COPY --from=web /src/app/web/static/vendor app/web/static/vendor
RUN scripts/build-image-steps.sh wheel /src /dist

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SPATIALITE_LIBRARY_PATH=mod_spatialite

COPY scripts/build-image-steps.sh constraints.txt /tmp/build/
COPY --from=wheel /dist/ /tmp/build/
RUN /tmp/build/build-image-steps.sh system \
    && /tmp/build/build-image-steps.sh install /tmp/build/assetmap-*.whl /tmp/build/constraints.txt \
    && /tmp/build/build-image-steps.sh user /app/data \
    && rm -rf /tmp/build

# The default SpatiaLite file is data/assetmap.sqlite under the working directory.
WORKDIR /app
USER assetmap
EXPOSE 8000
CMD ["assetmap", "serve", "--host", "0.0.0.0", "--port", "8000"]
