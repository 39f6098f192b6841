# Jupyter Server with the same pinned Python packages as the embedded venv.
FROM python:3.11-slim-bookworm
COPY python/requirements.lock.txt /tmp/requirements.lock.txt
RUN pip install --no-cache-dir -r /tmp/requirements.lock.txt && useradd --system --uid 10002 --create-home jupyter
USER jupyter
WORKDIR /home/jupyter
EXPOSE 8888
CMD ["jupyter-server", "--ServerApp.ip=0.0.0.0", "--ServerApp.port=8888", "--no-browser"]
