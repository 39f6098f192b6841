"""Jupyter Server tweaks the workbench loads into its embedded server (on PYTHONPATH, selected by config)."""

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection


class NoDelayWebsocketConnection(ZMQChannelsWebsocketConnection):
    """Kernel websocket with TCP_NODELAY.

    Execute requests and replies are small frames: with Nagle's algorithm on (Jupyter Server never turns it
    off) they meet the client's delayed ACK and every round trip waits ~40 ms.
    """

    def connect(self):
        self.websocket_handler.set_nodelay(True)
        return super().connect()
