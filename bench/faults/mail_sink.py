"""The SMTP server the run controls (aiosmtpd, in a thread of the runner): it accepts and keeps
every message, or refuses connections (nothing listens), or hangs (connections accepted, never
answered, so a sender waits for its EMAIL_TIMEOUT)."""

import hashlib
import socket
import threading
from collections import Counter

from aiosmtpd.controller import Controller


class _Keep:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.sink.received(envelope)
        return "250 OK"


class MailSink:
    def __init__(self, port: int):
        self.port = port
        self.messages: Counter = Counter()  # (recipients, SHA-256 of the content) → times received
        self.lock = threading.Lock()
        self.controller: Controller | None = None
        self.hanging: socket.socket | None = None
        self.held: list[socket.socket] = []

    def received(self, envelope) -> None:
        # The Message-ID and Date differ on every send, so two sends of one mail are one key.
        body = b"\n".join(line for line in envelope.original_content.splitlines()
                          if not line.lower().startswith((b"message-id:", b"date:")))
        with self.lock:
            self.messages[(tuple(sorted(envelope.rcpt_tos)), hashlib.sha256(body).hexdigest())] += 1

    @property
    def total(self) -> int:
        return sum(self.messages.values())

    @property
    def duplicated(self) -> int:
        """Sends beyond the first of one message to the same people."""
        return sum(n - 1 for n in self.messages.values() if n > 1)

    def accept(self) -> None:
        self._close_hanging()
        if self.controller is None:
            controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)
            controller.start()
            self.controller = controller

    def refuse(self) -> None:
        self._close_hanging()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def hang(self) -> None:
        self.refuse()
        self.hanging = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self.hanging.settimeout(0.2)
        self.holder = threading.Thread(target=self._hold, args=(self.hanging,), daemon=True)
        self.holder.start()

    def _hold(self, listener: socket.socket) -> None:
        while self.hanging is listener:
            try:
                connection, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            self.held.append(connection)

    def _close_hanging(self) -> None:
        listener, self.hanging = self.hanging, None
        if listener is not None:
            self.holder.join()  # the port is free once its accept() has returned
            listener.close()
        for connection in self.held:
            connection.close()
        self.held.clear()

    def stop(self) -> None:
        self.refuse()
