"""A TLS front for Postfix's smtp-sink (which has no TLS), for the blast benchmark's TLS runs.

- mode "smtps": TLS from the first byte (implicit TLS, `smtps://`), then bytes are relayed.
- mode "starttls": relays the greeting, adds `STARTTLS` to the sink's EHLO reply, answers the
  client's STARTTLS itself, upgrades the client side, then relays bytes (the client's second
  EHLO goes to the sink).
- mode "plain": relays bytes only: the same extra hop without TLS, so that a TLS run is
  compared with a plain run through the same proxy (the hop costs CPU on a 2-core machine).

The certificate comes from a private CA (tests.fixtures.tls), so the sender verifies it for
real against OUTREACH_SMTP_CA_FILE. Runs in a thread with its own event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

CHUNK = 256 * 1024


@dataclass(frozen=True)
class Proxy:
    host: str
    port: int
    mode: str

    @property
    def url(self) -> str:
        scheme = {"smtps": "smtps", "starttls": "smtp+starttls", "plain": "smtp"}[self.mode]
        return f"{scheme}://localhost:{self.port}"


@contextmanager
def tls_proxy(upstream: tuple[str, int], mode: str, context: ssl.SSLContext | None,
              host: str = "127.0.0.1") -> Iterator[Proxy]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, asyncio.AbstractServer] = {}
    sock = socket.socket()
    sock.bind((host, 0))
    port = sock.getsockname()[1]

    async def start() -> None:
        handler = _Handler(upstream, mode, context)
        holder["server"] = await asyncio.start_server(
            handler.handle, sock=sock, ssl=context if mode == "smtps" else None, backlog=512)
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True, name=f"tls-proxy-{mode}")
    thread.start()
    ready.wait(10)
    try:
        yield Proxy(host, port, mode)
    finally:
        asyncio.run_coroutine_threadsafe(_shutdown(holder["server"]), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def _shutdown(server: asyncio.AbstractServer) -> None:
    server.close()
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class _Handler:
    def __init__(self, upstream: tuple[str, int], mode: str, context: ssl.SSLContext | None):
        self.upstream, self.mode, self.context = upstream, mode, context

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        try:
            if self.mode == "starttls":
                await self._starttls(reader, writer, up_reader, up_writer)
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError,
                asyncio.CancelledError):  # the client left, or the proxy is shutting down
            pass
        finally:
            for w in (writer, up_writer):
                with contextlib.suppress(Exception):
                    w.close()

    async def _starttls(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        up_reader: asyncio.StreamReader, up_writer: asyncio.StreamWriter) -> None:
        writer.write(await _reply(up_reader))  # greeting
        while True:
            line = await reader.readline()
            if not line:
                raise ConnectionError("client left")
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"STARTTLS":
                writer.write(b"220 2.0.0 Ready to start TLS\r\n")
                await writer.drain()
                await writer.start_tls(self.context)  # type: ignore[arg-type]
                return
            up_writer.write(line)
            reply = await _reply(up_reader)
            if verb in (b"EHLO", b"HELO"):
                lines = reply.split(b"\r\n")[:-1]
                reply = b"".join(b"250-" + x[4:] + b"\r\n" for x in lines) + b"250 STARTTLS\r\n"
            writer.write(reply)


async def _reply(reader: asyncio.StreamReader) -> bytes:
    """One SMTP reply, all its lines."""
    out = b""
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("server left")
        out += line
        if line[3:4] != b"-":
            return out


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(CHUNK):
        writer.write(data)
        await writer.drain()
    with contextlib.suppress(Exception):
        writer.write_eof()
