# The inventory environment as a Hugging Face Space (Docker SDK; README frontmatter: app_port
# 8000, base_path /web): the API on port 8000 with openenv's web interface at /web and the play
# view at /play. Everything is installed at build time; the container needs no network to run.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Spaces run containers as uid 1000; so does this image.
RUN useradd --create-home --uid 1000 user

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so code changes reuse this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write('\n'.join(deps) + '\n')" \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project itself (README.md at /app is also what the web interface shows).
COPY . .
RUN pip install --no-deps . && rm -rf build *.egg-info

USER user
ENV HOME=/home/user \
    HOST=0.0.0.0 \
    PORT=8000 \
    ENABLE_WEB_INTERFACE=true \
    GRADIO_ANALYTICS_ENABLED=False \
    MAX_CONCURRENT_ENVS=64 \
    MAX_HTTP_EPISODES=1024 \
    HTTP_EPISODE_IDLE_SECONDS=1800 \
    FORWARDED_ALLOW_IPS="127.0.0.1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
# A Space's requests come through its proxy on a private address: trusting X-Forwarded-For
# from private networks only makes uvicorn take the right-most public address the proxy
# appended, which a client cannot forge (docs/security.md), so per-client limits stay per client.

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)" || exit 1

# server.app:main (the `server` console script): uvicorn with the limits of server/settings.py.
CMD ["server"]
