# Convscope for a classroom or a cluster: gunicorn, several workers, no dev dependencies.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CONVSCOPE_DATA_DIR=/data \
    CONVSCOPE_PORT=8000

WORKDIR /srv/convscope
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY gunicorn.conf.py .
COPY cnn_core/ cnn_core/
COPY app/ app/
COPY templates/ templates/
COPY static/ static/

RUN useradd --system --uid 10001 --home-dir /srv/convscope convscope \
    && mkdir -p /data && chown convscope /data
USER 10001
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/api/health', timeout=2)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "app:create_app()"]
