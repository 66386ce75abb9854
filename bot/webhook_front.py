"""The public side of webhook mode: a small HTTP/1.1 server that checks a request before reading it.

python-telegram-bot's own webhook server (tornado) reads a whole request body, up to 100 MiB, before
it looks at the secret: twenty unauthenticated 90 MiB requests took the bot to gigabytes. This
server reads the request line and headers only (at most `HEADER_LIMIT` bytes), answers at once
  404 for another path, 405 for another method, 403 when the secret header is missing or wrong,
  411 without a Content-Length (chunked bodies are refused), 413 above `BODY_LIMIT` (1 MiB:
  Telegram's updates are a few kilobytes),
and only then reads the body (within `TIMEOUT` seconds) and hands it to python-telegram-bot's
server, which listens on a Unix socket only the bot's user can reach.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from .config import ConfigError

log = logging.getLogger("healthbot.webhook")

BODY_LIMIT = 1 << 20  # bytes of a request body (1 MiB)
HEADER_LIMIT = 16 << 10  # bytes of the request line and headers together
TIMEOUT = 10.0  # seconds to send a request's headers, or its body
IDLE = 60.0  # seconds a kept-alive connection may stay idle
SECRET_HEADER = "x-telegram-bot-api-secret-token"
REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           411: "Length Required", 413: "Content Too Large", 431: "Request Header Fields Too Large",
           500: "Internal Server Error", 502: "Bad Gateway"}


class _Refused(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class WebhookFront:
    """`await front.start()`, `await front.stop()`; `forward(body) -> status` delivers an update."""

    def __init__(self, *, listen: str, port: int, path: str, secret: str,
                 forward: Callable[[bytes], Awaitable[int]], body_limit: int = BODY_LIMIT):
        self.listen, self.port, self.secret, self.forward = listen, port, secret, forward
        self.path = "/" + path.lstrip("/")
        self.body_limit = body_limit
        self.refused = 0
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task] = set()

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(self._serve, self.listen, self.port, limit=HEADER_LIMIT)
        except OSError as exc:
            raise ConfigError(f"cannot listen for the webhook on {self.listen}:{self.port} ({exc.strerror or exc}): "
                              "choose another --port or --listen (another program may hold it)") from None
        log.info("webhook listening on %s:%d (bodies up to %d KiB, secret checked first)",
                 self.listen, self.port, self.body_limit >> 10)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            keep_alive = True
            while keep_alive:
                try:
                    async with asyncio.timeout(IDLE):
                        first = await reader.readuntil(b"\r\n")
                    async with asyncio.timeout(TIMEOUT):
                        head = first + (b"" if first == b"\r\n" else await reader.readuntil(b"\r\n\r\n"))
                        status, keep_alive = await self._handle(head, reader)
                except _Refused as refused:
                    self.refused += 1
                    status, keep_alive = refused.status, False
                except asyncio.LimitOverrunError:
                    status, keep_alive = 431, False
                except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
                    return
                await self._respond(writer, status, keep_alive)
        except Exception:  # noqa: BLE001 - one bad connection never stops the server
            log.warning("a webhook connection failed", exc_info=True)
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()

    async def _handle(self, head: bytes, reader: asyncio.StreamReader) -> tuple[int, bool]:
        try:
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ")
        except ValueError:
            raise _Refused(400) from None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, sep, value = line.partition(":")
                if not sep:
                    raise _Refused(400)
                headers[name.strip().lower()] = value.strip()
        if target.split("?", 1)[0] != self.path:
            raise _Refused(404)
        if method != "POST":
            raise _Refused(405)
        if not hmac.compare_digest(headers.get(SECRET_HEADER, "").encode(), self.secret.encode()):
            raise _Refused(403)
        if "transfer-encoding" in headers or not headers.get("content-length", "").isdigit():
            raise _Refused(411)
        length = int(headers["content-length"])
        if length > self.body_limit:
            raise _Refused(413)
        body = await reader.readexactly(length)
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        try:
            return await self.forward(body), keep_alive
        except Exception:  # noqa: BLE001 - Telegram sends it again on an error status
            log.warning("could not hand a webhook update to the bot", exc_info=True)
            return 502, False

    @staticmethod
    async def _respond(writer: asyncio.StreamWriter, status: int, keep_alive: bool) -> None:
        writer.write(f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Length: 0\r\n"
                     f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n".encode())
        try:
            await writer.drain()
        except ConnectionError:
            pass


def unix_forwarder(socket_path: Path, url_path: str, secret: str) -> Callable[[bytes], Awaitable[int]]:
    """Hands a checked body to python-telegram-bot's webhook server on a Unix socket."""
    client: list[httpx.AsyncClient] = []

    async def forward(body: bytes) -> int:
        if not client:  # made in the running loop
            client.append(httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=str(socket_path)), timeout=30.0))
        answer = await client[0].post(f"http://bot/{url_path}", content=body,
                                      headers={"Content-Type": "application/json", SECRET_HEADER: secret})
        return answer.status_code

    return forward
