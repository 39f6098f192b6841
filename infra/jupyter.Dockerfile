# Jupyter Server with the same pinned Python packages and server tweaks as the embedded one.
FROM python:3.11-slim-bookworm
COPY python/requirements.lock.txt /tmp/requirements.lock.txt
RUN pip install --no-cache-dir -r /tmp/requirements.lock.txt && useradd --system --uid 10002 --create-home jupyter
# TCP_NODELAY on kernel websockets (see python/workbench_jupyter): ~40 ms less per execute round trip.
COPY python/workbench_jupyter /opt/workbench/workbench_jupyter
ENV PYTHONPATH=/opt/workbench
USER jupyter
WORKDIR /home/jupyter
EXPOSE 8888
CMD ["jupyter-server", "--ServerApp.ip=0.0.0.0", "--ServerApp.port=8888", "--no-browser", \
     "--ServerApp.kernel_websocket_connection_class=workbench_jupyter.NoDelayWebsocketConnection", \
     "--ServerApp.iopub_data_rate_limit=0", "--ServerApp.iopub_msg_rate_limit=0"]
