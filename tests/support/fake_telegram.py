"""A strict fake Telegram Bot API server on loopback, for end-to-end tests of the bot.

The server (aiohttp) listens on 127.0.0.1 on a free port and runs in a background thread with its
own event loop; tests use a synchronous API that hands every call to that loop with
``asyncio.run_coroutine_threadsafe`` (the server's state is only ever touched in its loop).
Import it as ``from support.fake_telegram import FakeTelegram`` (``tests/`` is not a package).

    with FakeTelegram(token=TOKEN, bot_username="healthbot_test_bot") as tg:
        env = {**os.environ, "TELEGRAM_API_URL": tg.api_url}  # "http://127.0.0.1:PORT/bot"
        # start `healthbot run` with env, then:
        tg.wait_call("getUpdates")                      # the bot is polling (or "setWebhook")
        lan = tg.user(1001, "Lan", username="lan_vn", language_code="vi")
        tg.send_text(lan, "/start")                     # commands get a bot_command entity
        [greeting, menu] = tg.wait_replies(lan.id, count=2)   # Reply objects, in order
        assert "Nhật Bản" in menu.button_texts
        tg.press(lan, menu, "country:jp")               # must be a button on the message now
        tg.press(lan, menu, text="🚨 Cấp cứu")           # or press a button by its label
        [edited] = tg.wait_replies(lan.id)              # e.g. editMessageText of the menu
        tg.press_raw(lan, menu, "forged:data")          # any data, no check
        tg.assert_no_reply(group_id, within=0.5)

Users and chats: ``user(id, first_name, last_name, username, language_code)`` registers a user
and their private chat, which counts as started once the user sends anything (until then the bot
gets 403 "Forbidden: bot can't initiate conversation with a user"); ``group(id, title,
type="group")``; ``block(user)`` (403 "Forbidden: bot was blocked by the user").

Updates from the test (each returns the message dict, or the query id):
``send_text(user, text, chat=None, reply_to=None)`` (bot_command, mention and url entities are
added as Telegram does), ``edit_text(user, message, text)`` (edited_message),
``send_media(user, kind, chat=None, caption=None)`` with kind in ``MEDIA_KINDS``,
``press(user, message, data=None, *, text=None)`` and ``press_raw(user, message, data)``
(callback_query with chat_instance; ``message`` is a Reply or a message dict),
``inline_query(user, query)``, ``send_update({"kind": {...}})`` (anything else).  Real clients
cannot send empty or over-long texts; ``send_text`` lets a test do so.

What the bot did: ``wait_replies(chat_id, count=1, timeout=10)`` returns the next unread replies
(successful send*/editMessage* calls for that chat, in order) or raises AssertionError;
``replies(chat_id)`` all of them; ``assert_no_reply(chat_id, within=0.5)``.  A ``Reply`` has
``method, params, message, at`` (time.monotonic() when recorded) and ``chat_id, message_id,
text`` (or caption), ``buttons`` (rows), ``button_texts``, ``callback_data``.
``wait_callback_answer(query_id)`` / ``wait_inline_answer(query_id)`` return the answer's
params; ``wait_call(method, count=1)``; ``calls`` [(method, params)] every call received, params
JSON-decoded; ``calls_to(method)`` [params]; ``errors`` [(method, status, description)] every
non-2xx answer (status 0: connection dropped); ``chat_state(chat_id)`` the messages as they are
now, after edits and deletions; ``commands`` {(scope, language_code): [{command, description}]}
with scope "default", "all_private_chats", "chat:<id>"...; ``uploads`` {file_id: (file_name,
bytes)}; ``webhook_info``; ``webhook_deliveries`` [(update_id, HTTP status or error text)].

Faults, each consumed by the next matching request (method "*" matches any):
``fail_next(method, status=500, retry_after=None, description=None, times=1)`` (429 answers
"Too Many Requests: retry after N" with parameters.retry_after), ``delay_next(method, seconds,
times=1, after=False)``, ``drop_next(method, times=1, after=False)`` (close the connection
without an answer).  With ``after=True`` the request is carried out first (the message is sent,
the updates are returned) and only the answer is late or lost.  ``clear_faults()``.

Strict like Telegram: its error texts (message too long or empty, callback data over
64 bytes, HTML that does not parse, an edit that changes nothing, message to edit not found, chat
not found, stale or repeated callback query answers, more than 100 buttons, blank button text),
401 "Unauthorized" for a wrong token, 404 "Not Found" for an unknown method, 409 for getUpdates
while a webhook is set or when a newer getUpdates arrives, an edit without reply_markup removes
the inline keyboard, queries expire after ``query_timeout`` seconds (15).  Not modelled:
MarkdownV2/Markdown are not validated (the bot uses HTML), Telegram's own flood limits (use
fail_next), answering a webhook request with a method.  Webhook delivery is sequential and in
order, with the secret token header, retried after ``webhook_retry`` seconds doubling up to 2 s.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from aiohttp import web

from .telegram_html import BadRequest, auto_entities, check_markup, format_text

DEFAULT_TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
MEDIA_KINDS = ("sticker", "photo", "voice", "audio", "video", "animation", "document", "location", "contact", "dice")
JSON_FIELDS = set(
    "reply_markup entities caption_entities commands scope allowed_updates results reply_parameters link_preview_options".split()
)
INT_FIELDS = set("offset limit timeout message_id reply_to_message_id cache_time max_connections message_thread_id user_id".split())
BOOL_FIELDS = set("disable_notification protect_content show_alert is_personal drop_pending_updates allow_sending_without_reply".split())
DEFAULT_ALLOWED = set(
    "message edited_message channel_post edited_channel_post inline_query chosen_inline_result callback_query my_chat_member"
    " shipping_query pre_checkout_query poll poll_answer chat_join_request business_message".split()
)
CHAT_ACTIONS = set(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document choose_sticker find_location"
    " record_video_note upload_video_note".split()
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply"
    " markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class Call(NamedTuple):
    method: str
    params: dict


class ApiError(NamedTuple):
    method: str
    status: int
    description: str


class Fail(Exception):
    """Raised by a method to answer with an error."""

    def __init__(self, status: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_dict(self) -> dict:
        fields = ("id", "is_bot", "first_name", "last_name", "username", "language_code")
        return {k: getattr(self, k) for k in fields if getattr(self, k) is not None}


@dataclass(frozen=True)
class Reply:
    """One successful send*/editMessage* call of the bot, with the message as it was returned."""

    method: str
    params: dict
    message: dict
    at: float = 0.0

    @property
    def chat_id(self) -> int:
        return self.message["chat"]["id"]

    @property
    def message_id(self) -> int:
        return self.message["message_id"]

    @property
    def text(self) -> str:
        return self.message.get("text", self.message.get("caption", ""))

    @property
    def buttons(self) -> list[list[dict]]:
        """The inline keyboard rows (empty if the message has none)."""
        return (self.message.get("reply_markup") or {}).get("inline_keyboard", [])

    @property
    def button_texts(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]


@dataclass
class _Fault:
    method: str
    kind: str  # "fail" | "delay" | "drop"
    times: int
    status: int = 500
    description: str | None = None
    retry_after: int | None = None
    seconds: float = 0.0
    after: bool = False


class _Signal:
    """Wakes every coroutine waiting for a change (used only inside the server loop)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float | None) -> None:
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            pass


class _Upload(NamedTuple):
    filename: str
    content_type: str
    data: bytes


def _check_utf8(value: Any) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("strings must be encoded in UTF-8") from None
    elif isinstance(value, dict):
        for item in value.values():
            _check_utf8(item)
    elif isinstance(value, list):
        for item in value:
            _check_utf8(item)


def _coerce(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            what = "reply keyboard markup" if name == "reply_markup" else name
            raise BadRequest(f"can't parse {what} JSON object") from None
    if name in INT_FIELDS or (name == "chat_id" and re.fullmatch(r"-?\d+", value)):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                raise BadRequest(f"wrong parameter {name} specified") from None
    if name in BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


async def _read_params(request: web.Request) -> dict:
    params: dict[str, Any] = dict(request.query)
    body_type = request.content_type
    try:
        if body_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if part.filename is not None:
                    params[part.name] = _Upload(
                        part.filename, part.headers.get("Content-Type", "application/octet-stream"), await part.read()
                    )
                else:
                    params[part.name] = (await part.read()).decode("utf-8")
        elif request.can_read_body:
            body = await request.read()
            if body_type == "application/json":
                data = json.loads(body) if body.strip() else {}
                if not isinstance(data, dict):
                    raise BadRequest("request body must be a JSON object")
                params.update(data)
            else:
                params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict"))
    except UnicodeDecodeError:
        raise BadRequest("strings must be encoded in UTF-8") from None
    except ValueError:
        raise BadRequest("can't parse JSON object") from None
    for key, value in params.items():  # multipart "attach://<name>" references
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value[len("attach://") :], value)
    params = {k: _coerce(k, v) for k, v in params.items()}
    _check_utf8(params)
    return params


def _fault_error(fault: _Fault) -> Fail:
    if fault.status == 429:
        description = fault.description or f"Too Many Requests: retry after {fault.retry_after}"
        return Fail(429, description, {"retry_after": fault.retry_after})
    defaults = {400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error", 502: "Bad Gateway"}
    return Fail(fault.status, fault.description or defaults.get(fault.status, "Error"))


def _media_fields(kind: str, n: int, caption: str | None) -> dict:
    file = {"file_id": f"FAKE-{kind}-{n:06d}", "file_unique_id": f"U{kind[:3]}{n:06d}"}
    shapes = {
        "sticker": {"type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "😀"},
        "voice": {"duration": 3, "mime_type": "audio/ogg", "file_size": 9000},
        "audio": {"duration": 120, "mime_type": "audio/mpeg", "file_size": 900000},
        "video": {"width": 640, "height": 360, "duration": 10, "file_size": 500000},
        "animation": {"width": 320, "height": 240, "duration": 2},
        "document": {"file_name": "scan.pdf", "mime_type": "application/pdf", "file_size": 20000},
    }
    if kind in shapes:
        fields: dict[str, Any] = {kind: {**file, **shapes[kind]}}
        if kind == "animation":
            fields["document"] = {**file, "file_name": "anim.mp4", "mime_type": "video/mp4"}
    elif kind == "photo":
        fields = {
            "photo": [{**file, "file_id": file["file_id"] + s, "width": w, "height": w} for s, w in (("s", 90), ("m", 320), ("x", 800))]
        }
    elif kind == "location":
        fields = {"location": {"latitude": 35.6812, "longitude": 139.7671}}
    elif kind == "contact":
        fields = {"contact": {"phone_number": "+81000000000", "first_name": "Friend"}}
    elif kind == "dice":
        fields = {"dice": {"emoji": "🎲", "value": 4}}
    else:
        raise ValueError(f"unknown media kind {kind!r}; use one of {MEDIA_KINDS}")
    if caption is not None and kind not in ("sticker", "location", "contact", "dice"):
        fields["caption"] = caption
    return fields


class FakeTelegram:
    """A strict fake Bot API server; see the module docstring for the API."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "healthbot_test_bot",
        *,
        bot_name: str = "Healthbot Test",
        host: str = "127.0.0.1",
        port: int = 0,
        query_timeout: float = 15.0,
        webhook_retry: float = 0.2,
    ) -> None:
        self.token, self.host = token, host
        self.query_timeout, self.webhook_retry = query_timeout, webhook_retry
        self.bot = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": bot_name, "username": bot_username}
        self.port = port  # 0: any free port (known once started)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._methods = {name[4:].lower(): getattr(self, name) for name in dir(self) if name.startswith("api_")}
        self._counter = itertools.count(1)
        self._calls: list[Call] = []
        self._errors: list[ApiError] = []
        self._faults: list[_Fault] = []
        self._users: dict[int, User] = {}
        self._chats: dict[int, dict] = {}
        self._messages: dict[int, dict[int, dict]] = {}
        self._next_message_id: dict[int, int] = {}
        self._started: set[int] = set()
        self._blocked: set[int] = set()
        self._replies: dict[int, list[Reply]] = {}
        self._read: dict[int, int] = {}
        self._queries: dict[str, dict] = {}
        self._pending: list[dict] = []
        self._next_update_id = 100_000_001
        self._allowed: set[str] = DEFAULT_ALLOWED
        self._poll_generation, self._poll_end_reason = 0, ""
        self._webhook: dict | None = None
        self._webhook_task: asyncio.Task | None = None
        self._deliveries: list[tuple[int, Any]] = []
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self._settings: dict[str, str] = {}
        self._uploads: dict[str, tuple[str, bytes]] = {}
        self._closing = False

    # ----- lifecycle -------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    def __enter__(self) -> FakeTelegram:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        started = threading.Event()
        failure: list[BaseException] = []
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._astart())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                started.set()
                return
            started.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._astop())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="fake-telegram", daemon=True)
        self._thread.start()
        started.wait(10)
        if failure:
            raise failure[0]

    def stop(self) -> None:
        if self._thread and self._thread.is_alive() and self._loop:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(15)

    async def _astart(self) -> None:
        self._signal = _Signal()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def _astop(self) -> None:
        self._closing = True
        self._signal.notify()
        if self._webhook_task:
            self._webhook_task.cancel()
        await self._runner.cleanup()

    def _sync(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run fn in the server loop (or directly when the loop is not running)."""
        loop = self._loop
        if loop is None or not loop.is_running() or self._thread is None or threading.current_thread() is self._thread:
            return fn(*args, **kwargs)

        async def call() -> Any:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(call(), loop).result(30)

    def _wait_until(self, check: Any, timeout: float) -> Any:
        """Wait in the server loop until check() returns something other than None."""

        async def wait() -> Any:
            deadline = time.monotonic() + timeout
            while (result := check()) is None and time.monotonic() < deadline:
                await self._signal.wait(deadline - time.monotonic())
            return result if result is not None else check()

        assert self._loop is not None, "the server is not running"
        return asyncio.run_coroutine_threadsafe(wait(), self._loop).result(timeout + 10)

    # ----- HTTP ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        match = re.fullmatch(r"/bot([^/]*)/([A-Za-z0-9_]*)", request.path)
        method = match.group(2) if match else request.path
        handler = self._methods.get(method.lower()) if match else None
        method = handler.__name__[4:] if handler else method
        try:
            if not match or not re.fullmatch(r"\d+:[\w-]+", match.group(1)):
                raise Fail(404, "Not Found")
            if match.group(1) != self.token:
                raise Fail(401, "Unauthorized")
            params = await _read_params(request)
        except (Fail, BadRequest) as exc:
            return self._answer(method, exc)
        self._calls.append(Call(method, params))
        self._signal.notify()
        fault = self._take_fault(method)
        if fault and not fault.after:
            if fault.kind == "fail":
                return self._answer(method, _fault_error(fault))
            if fault.kind == "drop":
                return self._drop(request, method)
            await asyncio.sleep(fault.seconds)
        try:
            if handler is None:
                raise Fail(404, "Not Found")
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
            response = self._answer(method, None, result)
        except (Fail, BadRequest) as exc:
            response = self._answer(method, exc)
        except Exception as exc:  # a bug in this fake: make it visible in tg.errors
            response = self._answer(method, Fail(500, f"Internal Server Error (fake server: {exc!r})"))
        finally:
            self._signal.notify()
        if fault and fault.after:
            if fault.kind == "drop":
                return self._drop(request, method)
            await asyncio.sleep(fault.seconds)
        return response

    def _answer(self, method: str, error: Fail | BadRequest | None, result: Any = None) -> web.Response:
        if isinstance(error, BadRequest):
            error = Fail(400, f"Bad Request: {error}")
        if error is None:
            body: dict = {"ok": True, "result": result}
            status = 200
        else:
            status = error.status
            body = {"ok": False, "error_code": status, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
            self._errors.append(ApiError(method, status, error.description))
        return web.Response(text=json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")

    def _drop(self, request: web.Request, method: str) -> web.Response:
        self._errors.append(ApiError(method, 0, "connection dropped"))
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=204)

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method in ("*", method.lower()):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # ----- state helpers (server loop only) --------------------------------------------------

    def _chat_for_bot(self, chat_id: Any) -> dict:
        if chat_id is None or chat_id == "":
            raise BadRequest("chat_id is empty")
        if isinstance(chat_id, str):  # "@username" of a group
            found = [c for c in self._chats.values() if f"@{c.get('username')}" == chat_id]
            chat_id = found[0]["id"] if found else None
        chat = self._chats.get(chat_id)  # type: ignore[arg-type]
        if chat is None:
            raise BadRequest("chat not found")
        if chat["type"] == "private":
            if chat["id"] in self._blocked:
                raise Fail(403, "Forbidden: bot was blocked by the user")
            if chat["id"] not in self._started:
                raise Fail(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _new_message(self, chat: dict, sender: dict, fields: dict) -> dict:
        message_id = self._next_message_id.get(chat["id"], 1)
        self._next_message_id[chat["id"]] = message_id + 1
        message = {"message_id": message_id, "from": sender, "chat": chat, "date": int(time.time()), **fields}
        self._messages.setdefault(chat["id"], {})[message_id] = message
        return message

    def _bot_reply(self, method: str, params: dict, message: dict) -> dict:
        result = copy.deepcopy(message)
        chat_id = message["chat"]["id"]
        self._replies.setdefault(chat_id, []).append(Reply(method, params, result, time.monotonic()))
        return copy.deepcopy(result)

    def _add_update(self, kind: str, payload: dict) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        if kind in self._allowed:  # Telegram does not create updates of unwanted types
            self._pending.append({"update_id": update_id, kind: copy.deepcopy(payload)})
        self._signal.notify()
        return update_id

    def _reply_to(self, chat: dict, params: dict) -> dict:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return {}
        target = self._messages.get(chat["id"], {}).get(message_id)
        if target is None:
            if reply.get("allow_sending_without_reply") or params.get("allow_sending_without_reply"):
                return {}
            raise BadRequest("message to be replied not found")
        return {"reply_to_message": {k: v for k, v in target.items() if k != "reply_to_message"}}

    def _query(self, query_id: Any) -> dict:
        query = self._queries.get(str(query_id))
        if query is None or query["answer"] is not None or (time.monotonic() - query["time"] > self.query_timeout):
            raise BadRequest(QUERY_TOO_OLD)
        return query

    # ----- Bot API methods (server loop; names are case-insensitive like Telegram's) ---------

    def api_getMe(self, p: dict) -> dict:
        return {
            **self.bot,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def api_getUpdates(self, p: dict) -> list[dict]:
        if self._webhook:
            raise Fail(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        offset, limit = p.get("offset") or 0, min(max(p.get("limit") or 100, 1), 100)
        if offset < 0:
            del self._pending[: max(len(self._pending) + offset, 0)]
        elif offset:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if isinstance(p.get("allowed_updates"), list):
            self._allowed = set(p["allowed_updates"]) or DEFAULT_ALLOWED
        self._poll_generation += 1
        generation = self._poll_generation
        self._poll_end_reason = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
        deadline = time.monotonic() + max(p.get("timeout") or 0, 0)
        while True:
            if generation != self._poll_generation:
                raise Fail(409, self._poll_end_reason)
            if self._pending or self._closing or time.monotonic() >= deadline:
                return copy.deepcopy(self._pending[:limit])
            await self._signal.wait(deadline - time.monotonic())

    def api_setWebhook(self, p: dict) -> bool:
        url = p.get("url") or ""
        if not url:
            return self.api_deleteWebhook(p)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadRequest("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise BadRequest("bad webhook: secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self._pending.clear()
        if isinstance(p.get("allowed_updates"), list):
            self._allowed = set(p["allowed_updates"]) or DEFAULT_ALLOWED
        self._webhook = {"url": url, "secret_token": secret, "max_connections": p.get("max_connections") or 40}
        self._poll_generation += 1
        self._poll_end_reason = "Conflict: terminated by setWebhook request"
        if self._webhook_task:
            self._webhook_task.cancel()
        self._webhook_task = asyncio.get_running_loop().create_task(self._deliver())
        return True

    def api_deleteWebhook(self, p: dict) -> bool:
        if p.get("drop_pending_updates"):
            self._pending.clear()
        self._webhook = None
        if self._webhook_task:
            self._webhook_task.cancel()
            self._webhook_task = None
        return True

    def api_getWebhookInfo(self, p: dict) -> dict:
        info: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._pending)}
        if self._webhook:
            info.update(
                url=self._webhook["url"],
                max_connections=self._webhook["max_connections"],
                ip_address="127.0.0.1",
                allowed_updates=sorted(self._allowed),
            )
            for key in ("last_error_date", "last_error_message"):
                if key in self._webhook:
                    info[key] = self._webhook[key]
        return info

    async def _deliver(self) -> None:
        delay = self.webhook_retry
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            while self._webhook and not self._closing:
                if not self._pending:
                    await self._signal.wait(None)
                    continue
                update, hook = self._pending[0], self._webhook
                headers = {"Content-Type": "application/json"}
                if hook["secret_token"]:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
                try:
                    async with session.post(hook["url"], data=json.dumps(update), headers=headers) as response:
                        status: Any = response.status
                        error = None if 200 <= status < 300 else (f"Wrong response from the webhook: {status} {response.reason}")
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status = error = f"Connection failed: {exc.__class__.__name__}"
                self._deliveries.append((update["update_id"], status))
                if error is None:
                    if self._pending and self._pending[0] is update:
                        self._pending.pop(0)
                    delay = self.webhook_retry
                    self._signal.notify()
                    continue
                hook.update(last_error_date=int(time.time()), last_error_message=error)
                self._signal.notify()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    def api_sendMessage(self, p: dict) -> dict:
        chat = self._chat_for_bot(p.get("chat_id"))
        text, entities = format_text(p, "text", 4096, required=True)
        fields: dict[str, Any] = {"text": text}
        if entities:
            fields["entities"] = entities
        if markup := check_markup(p.get("reply_markup")):
            fields["reply_markup"] = markup
        fields.update(self._reply_to(chat, p))
        return self._bot_reply("sendMessage", p, self._new_message(chat, self.bot, fields))

    def _send_file(self, kind: str, p: dict) -> dict:
        chat = self._chat_for_bot(p.get("chat_id"))
        caption, entities = format_text(p, "caption", 1024, required=False)
        markup = check_markup(p.get("reply_markup"))
        file = p.get(kind)
        if file is None or file == "":
            raise BadRequest(f"there is no {kind} in the request")
        n = next(self._counter)
        fields = _media_fields(kind, n, caption or None)
        if isinstance(file, _Upload):
            if not file.data:
                raise BadRequest("file must be non-empty")
            self._uploads[f"FAKE-{kind}-{n:06d}"] = (file.filename, file.data)
            if kind == "document":
                fields[kind].update(file_name=file.filename, mime_type=file.content_type, file_size=len(file.data))
        elif not str(file).startswith(("http://", "https://", "FAKE-")):
            raise BadRequest("wrong file identifier/HTTP URL specified")
        if entities:
            fields["caption_entities"] = entities
        if markup:
            fields["reply_markup"] = markup
        fields.update(self._reply_to(chat, p))
        method = "send" + kind.capitalize()
        return self._bot_reply(method, p, self._new_message(chat, self.bot, fields))

    def api_sendDocument(self, p: dict) -> dict:
        return self._send_file("document", p)

    def api_sendPhoto(self, p: dict) -> dict:
        return self._send_file("photo", p)

    def _editable(self, p: dict) -> dict:
        if p.get("inline_message_id"):
            raise BadRequest("MESSAGE_ID_INVALID")
        chat = self._chat_for_bot(p.get("chat_id"))
        if p.get("message_id") is None:
            raise BadRequest("message identifier is not specified")
        message = self._messages.get(chat["id"], {}).get(p["message_id"])
        if message is None:
            raise BadRequest("message to edit not found")
        if message["from"]["id"] != self.bot["id"]:
            raise BadRequest("message can't be edited")
        return message

    def _edit(self, method: str, p: dict, message: dict, content: dict) -> dict:
        """Replace the message's content (empty values: absent) and keyboard, as Telegram does:
        an edit without reply_markup removes the inline keyboard."""
        new = {k: v for k, v in content.items() if v}
        if markup := check_markup(p.get("reply_markup")):
            new["reply_markup"] = markup
        keys = ("text", "entities", "caption", "caption_entities", "reply_markup")
        if {k: message[k] for k in keys if k in message} == new:
            raise BadRequest(NOT_MODIFIED)
        for key in keys:
            message.pop(key, None)
        message.update(new, edit_date=int(time.time()))
        return self._bot_reply(method, p, message)

    def api_editMessageText(self, p: dict) -> dict:
        message = self._editable(p)
        text, entities = format_text(p, "text", 4096, required=True)
        if "text" not in message:
            raise BadRequest("there is no text in the message to edit")
        return self._edit("editMessageText", p, message, {"text": text, "entities": entities})

    def api_editMessageCaption(self, p: dict) -> dict:
        message = self._editable(p)
        caption, entities = format_text(p, "caption", 1024, required=False)
        if "text" in message:
            raise BadRequest("there is no caption in the message to edit")
        content = {"caption": caption, "caption_entities": entities}
        return self._edit("editMessageCaption", p, message, content)

    def api_editMessageReplyMarkup(self, p: dict) -> dict:
        message = self._editable(p)
        keys = ("text", "entities", "caption", "caption_entities")
        content = {k: message[k] for k in keys if k in message}
        return self._edit("editMessageReplyMarkup", p, message, content)

    def api_deleteMessage(self, p: dict) -> bool:
        chat = self._chat_for_bot(p.get("chat_id"))
        messages = self._messages.get(chat["id"], {})
        message = messages.get(p.get("message_id"))  # type: ignore[arg-type]
        if message is None:
            raise BadRequest("message to delete not found")
        if chat["type"] != "private" and message["from"]["id"] != self.bot["id"]:
            raise BadRequest("message can't be deleted")
        del messages[message["message_id"]]
        return True

    def api_sendChatAction(self, p: dict) -> bool:
        self._chat_for_bot(p.get("chat_id"))
        if p.get("action") not in CHAT_ACTIONS:
            raise BadRequest("wrong parameter action in request")
        return True

    def api_answerCallbackQuery(self, p: dict) -> bool:
        query = self._query(p.get("callback_query_id"))
        if len(str(p.get("text") or "")) > 200:
            raise BadRequest("MESSAGE_TOO_LONG")
        query["answer"] = p
        return True

    def api_answerInlineQuery(self, p: dict) -> bool:
        query = self._query(p.get("inline_query_id"))
        results = p.get("results")
        if not isinstance(results, list):
            raise BadRequest("can't parse inline query results JSON object")
        if len(results) > 50:
            raise BadRequest("RESULTS_TOO_MUCH")
        seen = set()
        for result in results:
            if not isinstance(result, dict) or not result.get("type"):
                raise BadRequest("can't parse InlineQueryResult JSON object")
            rid = str(result.get("id", ""))
            if not 1 <= len(rid.encode("utf-8")) <= 64:
                raise BadRequest("RESULT_ID_INVALID")
            if rid in seen:
                raise BadRequest("RESULT_ID_DUPLICATE")
            seen.add(rid)
            if result["type"] == "article" and not result.get("title"):
                raise BadRequest("RESULT_TITLE_EMPTY")
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                format_text(content, "message_text", 4096, required=True)
            check_markup(result.get("reply_markup"))
        query["answer"] = p
        return True

    def _scope(self, p: dict) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        language = str(p.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise BadRequest("invalid language code specified")
        kinds = ("default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat", "chat_administrators", "chat_member")
        if not isinstance(scope, dict) or scope.get("type") not in kinds:
            raise BadRequest("can't parse BotCommandScope JSON object")
        key = scope["type"]
        if key.startswith("chat"):
            key += f":{scope.get('chat_id')}"
            if scope["type"] == "chat_member":
                key += f":{scope.get('user_id')}"
        return key, language

    def api_setMyCommands(self, p: dict) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise BadRequest("can't parse commands JSON object")
        if len(commands) > 100:
            raise BadRequest("too many commands specified")
        for command in commands:
            if not isinstance(command, dict):
                raise BadRequest("can't parse BotCommand JSON object")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise BadRequest("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise BadRequest("command description must be non-empty")
        key = self._scope(p)
        if commands:
            self._commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        else:
            self._commands.pop(key, None)
        return True

    def api_getMyCommands(self, p: dict) -> list[dict]:
        return copy.deepcopy(self._commands.get(self._scope(p), []))

    def api_deleteMyCommands(self, p: dict) -> bool:
        self._commands.pop(self._scope(p), None)
        return True

    def _set_text(self, p: dict, key: str, limit: int) -> bool:
        value = str(p.get(key) or "")
        if len(value) > limit:
            raise BadRequest(f"{key.replace('_', ' ')} is too long")
        self._settings[f"{key}:{self._scope(p)[1]}"] = value
        return True

    def api_setMyDescription(self, p: dict) -> bool:
        return self._set_text(p, "description", 512)

    def api_setMyShortDescription(self, p: dict) -> bool:
        return self._set_text(p, "short_description", 120)

    def api_setMyName(self, p: dict) -> bool:
        return self._set_text(p, "name", 64)

    def api_getMyDescription(self, p: dict) -> dict:
        return {"description": self._settings.get(f"description:{self._scope(p)[1]}", "")}

    def api_getMyShortDescription(self, p: dict) -> dict:
        key = f"short_description:{self._scope(p)[1]}"
        return {"short_description": self._settings.get(key, "")}

    def api_close(self, p: dict) -> bool:
        return True

    def api_logOut(self, p: dict) -> bool:
        return True

    # ----- the test's side: users, chats and updates -----------------------------------------

    def user(
        self, id: int, first_name: str = "User", last_name: str | None = None, username: str | None = None, language_code: str | None = None
    ) -> User:
        user = User(id, first_name, last_name, username, language_code)
        chat = {"id": id, "type": "private", "first_name": first_name}
        chat.update({k: v for k, v in (("last_name", last_name), ("username", username)) if v})

        def register() -> None:
            self._users[id] = user
            self._chats[id] = chat

        self._sync(register)
        return user

    def group(self, id: int, title: str = "Group", type: str = "group", username: str | None = None) -> dict:
        chat = {"id": id, "type": type, "title": title}
        if username:
            chat["username"] = username
        self._sync(self._chats.__setitem__, id, chat)
        return dict(chat)

    def block(self, user: User, blocked: bool = True) -> None:
        self._sync(self._blocked.add if blocked else self._blocked.discard, user.id)

    def _from_user(self, user: User, chat: dict | None, fields: dict) -> dict:
        if user.id not in self._chats:
            self.user(user.id, user.first_name, user.last_name, user.username, user.language_code)
        chat = self._chats[chat["id"] if chat else user.id]
        if chat["type"] == "private":
            self._started.add(user.id)
        message = self._new_message(chat, user.to_dict(), fields)
        self._add_update("message", message)
        return copy.deepcopy(message)

    def send_text(self, user: User, text: str, chat: dict | None = None, reply_to: dict | Reply | None = None) -> dict:
        """The user sends a text message (private chat by default); returns the message."""
        fields: dict[str, Any] = {"text": text}
        if entities := auto_entities(text):
            fields["entities"] = entities
        if reply_to is not None:
            fields["reply_to_message"] = reply_to.message if isinstance(reply_to, Reply) else reply_to
        return self._sync(self._from_user, user, chat, fields)

    def send_media(self, user: User, kind: str, chat: dict | None = None, caption: str | None = None) -> dict:
        """The user sends a sticker, photo, voice, document, location... (see MEDIA_KINDS)."""
        return self._sync(lambda: self._from_user(user, chat, _media_fields(kind, next(self._counter), caption)))

    def edit_text(self, user: User, message: dict, text: str) -> dict:
        """The user edits one of their text messages: an edited_message update."""

        def edit() -> dict:
            stored = self._messages[message["chat"]["id"]][message["message_id"]]
            assert stored["from"]["id"] == user.id, "users can only edit their own messages"
            stored.update(text=text, edit_date=int(time.time()))
            stored.pop("entities", None)
            if entities := auto_entities(text):
                stored["entities"] = entities
            self._add_update("edited_message", stored)
            return copy.deepcopy(stored)

        return self._sync(edit)

    def send_update(self, update: dict) -> int:
        """Queue a raw update ({"message": {...}} etc., without update_id); returns its id."""
        [(kind, payload)] = update.items()
        return self._sync(self._add_update, kind, payload)

    def _new_query(self, kind: str, payload: dict) -> str:
        query_id = str(4_000_000_000_000_000 + next(self._counter))
        self._queries[query_id] = {"time": time.monotonic(), "answer": None}
        self._add_update(kind, {"id": query_id, **payload})
        return query_id

    def press(self, user: User, message: dict | Reply, data: str | None = None, *, text: str | None = None) -> str:
        """Press a button (by callback_data or by its text) that the message shows now."""
        target = message.message if isinstance(message, Reply) else message

        def press() -> str:
            stored = self._messages.get(target["chat"]["id"], {}).get(target["message_id"])
            assert stored is not None, f"message {target['message_id']} is not in the chat"
            rows = (stored.get("reply_markup") or {}).get("inline_keyboard", [])
            buttons = [b for row in rows for b in row if "callback_data" in b]
            chosen = [b for b in buttons if (b["text"] == text if text is not None else b["callback_data"] == data)]
            assert chosen, f"no button {text or data!r} on the message now: {buttons}"
            return self._press(user, stored, chosen[0]["callback_data"])

        return self._sync(press)

    def press_raw(self, user: User, message: dict | Reply, data: str) -> str:
        """Send a callback query with any data (forged, stale, oversized) for the message."""
        target = message.message if isinstance(message, Reply) else message

        def press() -> str:
            stored = self._messages.get(target["chat"]["id"], {}).get(target["message_id"])
            return self._press(user, stored or target, data)

        return self._sync(press)

    def _press(self, user: User, message: dict, data: str) -> str:
        chat_id = message["chat"]["id"]
        if chat_id == user.id:
            self._started.add(user.id)
        payload = {"from": user.to_dict(), "message": message, "data": data, "chat_instance": str(-(7_000_000_000_000 + abs(chat_id)))}
        return self._new_query("callback_query", payload)

    def inline_query(self, user: User, query: str, offset: str = "", chat_type: str = "private") -> str:
        payload = {"from": user.to_dict(), "query": query, "offset": offset, "chat_type": chat_type}
        return self._sync(self._new_query, "inline_query", payload)

    # ----- the test's side: what the bot did -------------------------------------------------

    def wait_replies(self, chat_id: int, count: int = 1, timeout: float = 10.0) -> list[Reply]:
        """The next `count` unread replies to the chat, in order; AssertionError if they do not
        all arrive within `timeout` seconds."""

        def check() -> list[Reply] | None:
            start = self._read.get(chat_id, 0)
            replies = self._replies.get(chat_id, [])
            if len(replies) - start < count:
                return None
            self._read[chat_id] = start + count
            return replies[start : start + count]

        result = self._wait_until(check, timeout)
        if result is None:
            got = self._sync(lambda: self._replies.get(chat_id, [])[self._read.get(chat_id, 0) :])
            raise AssertionError(
                f"expected {count} replies to chat {chat_id} within {timeout}s,"
                f" got {[r.text[:80] for r in got]}; errors: {self.errors[-5:]}"
            )
        return result

    def assert_no_reply(self, chat_id: int, within: float = 0.5) -> None:
        """Wait `within` seconds and fail if the bot replied to the chat (unread replies)."""
        got = self._wait_until(lambda: True if len(self._replies.get(chat_id, [])) > self._read.get(chat_id, 0) else None, within)
        if got:
            unread = self._sync(lambda: self._replies[chat_id][self._read.get(chat_id, 0) :])
            raise AssertionError(f"unexpected replies to chat {chat_id}: {[r.text[:80] for r in unread]}")

    def replies(self, chat_id: int) -> list[Reply]:
        return self._sync(lambda: list(self._replies.get(chat_id, [])))

    def wait_callback_answer(self, query_id: str, timeout: float = 10.0) -> dict:
        return self._wait_answer(query_id, timeout)

    def wait_inline_answer(self, query_id: str, timeout: float = 10.0) -> dict:
        return self._wait_answer(query_id, timeout)

    def _wait_answer(self, query_id: str, timeout: float) -> dict:
        answer = self._wait_until(lambda: self._queries[query_id]["answer"], timeout)
        if answer is None:
            raise AssertionError(f"query {query_id} was not answered within {timeout}s")
        return answer

    def wait_call(self, method: str, count: int = 1, timeout: float = 10.0) -> Call:
        """Wait until the bot has made `count` calls of `method` in all; returns the last one."""

        def check() -> Call | None:
            calls = [c for c in self._calls if c.method.lower() == method.lower()]
            return calls[count - 1] if len(calls) >= count else None

        call = self._wait_until(check, timeout)
        if call is None:
            raise AssertionError(f"the bot did not call {method} {count} time(s) in {timeout}s")
        return call

    @property
    def calls(self) -> list[Call]:
        return self._sync(lambda: list(self._calls))

    def calls_to(self, method: str) -> list[dict]:
        return [c.params for c in self.calls if c.method.lower() == method.lower()]

    @property
    def errors(self) -> list[ApiError]:
        return self._sync(lambda: list(self._errors))

    def chat_state(self, chat_id: int) -> list[dict]:
        return self._sync(lambda: copy.deepcopy(sorted(self._messages.get(chat_id, {}).values(), key=lambda m: m["message_id"])))

    @property
    def commands(self) -> dict[tuple[str, str], list[dict]]:
        return self._sync(lambda: copy.deepcopy(self._commands))

    @property
    def uploads(self) -> dict[str, tuple[str, bytes]]:
        return self._sync(lambda: dict(self._uploads))

    @property
    def webhook_info(self) -> dict:
        return self._sync(self.api_getWebhookInfo, {})

    @property
    def webhook_deliveries(self) -> list[tuple[int, Any]]:
        return self._sync(lambda: list(self._deliveries))

    # ----- faults ----------------------------------------------------------------------------

    def fail_next(
        self, method: str, status: int = 500, retry_after: int | None = None, description: str | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` calls of `method` with an error (429 needs retry_after)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        self._add_fault(_Fault(method.lower(), "fail", times, status, description, retry_after))

    def delay_next(self, method: str, seconds: float, times: int = 1, after: bool = False) -> None:
        self._add_fault(_Fault(method.lower(), "delay", times, seconds=seconds, after=after))

    def drop_next(self, method: str, times: int = 1, after: bool = False) -> None:
        self._add_fault(_Fault(method.lower(), "drop", times, after=after))

    def clear_faults(self) -> None:
        self._sync(self._faults.clear)

    def _add_fault(self, fault: _Fault) -> None:
        self._sync(self._faults.append, fault)
