# The portal and its workers for the scaled set-up (docker-compose.yml); `make run` needs none of this.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY portal portal
COPY models models
COPY indexer indexer
COPY templates templates
COPY static static
RUN pip install --no-cache-dir '.[server]'
RUN useradd --create-home assetport && mkdir -p /data && chown assetport /data
USER assetport
ENV ASSETPORT_INSTANCE_DIR=/data
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "4", "--threads", "4", "portal.wsgi:app"]
