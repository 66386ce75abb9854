"""The one place that builds the application: configuration, content, storage and the core."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from handbook.content.library import ContentError, Library
from handbook.dialogue import conversation
from handbook.dialogue.conversation import Incoming, Reply, Settings
from handbook.usage import misses
from handbook.usage.keys import KeyFileError, KeySource, default_key_file
from handbook.usage.log import UsageLog
from handbook.usage.settings_store import SettingsStore

from .config import Config, ConfigError

log = logging.getLogger("healthbot")


@dataclass
class Core:
    """The conversation with its state: content, settings per user, anonymous counts."""

    config: Config
    library: Library
    usage: UsageLog | None
    settings: SettingsStore | None

    @property
    def keeps_misses(self) -> bool:
        """True when unanswered questions are stored (HEALTHBOT_RECORD_MISSES and a usage log)."""
        return self.config.record_misses and self.usage is not None

    def settings_of(self, user_id: int | None) -> Settings:
        if self.settings is None or user_id is None:
            return Settings()
        stored = self.settings.get(user_id)
        return Settings(stored.lang, stored.country)

    def handle(self, user_id: int | None, incoming: Incoming) -> Reply:
        """One update through the core: settings in, reply out, settings saved, events counted."""
        settings = self.settings_of(user_id)
        reply = conversation.handle(self.library.current, settings, incoming, keeps_misses=self.keeps_misses)
        if reply.settings is not None and self.settings is not None and user_id is not None:
            self.settings.update(user_id, lang=reply.settings.lang, country=reply.settings.country)
        self.count(reply.events, user_id)
        return reply

    def count(self, events, user_id: int | None) -> None:
        if self.usage is not None:
            self.usage.record(events, user=user_id)

    def reload(self) -> tuple[bool, str]:
        """(ok, text for the admin). On bad content the last good handbook stays live."""
        try:
            loaded = self.library.reload()
        except ContentError as exc:
            log.warning("content reload refused; keeping the last good handbook: %s", exc)
            return False, "\n".join(str(p) for p in exc.problems[:15])
        except Exception as exc:  # noqa: BLE001 - whatever the loader did not foresee
            log.warning("content reload failed; keeping the last good handbook", exc_info=True)
            return False, f"{self.library.directory}: the files could not be read ({type(exc).__name__}: {str(exc)[:200]})"
        log.info("content reloaded: %d entries", len(loaded.handbook.entries))
        return True, str(len(loaded.handbook.entries))

    def heartbeat(self) -> None:
        """Touch the heartbeat file next to the database; `healthbot health` checks its age."""
        try:
            heartbeat_path(self.config).touch()
        except OSError:
            pass

    def close(self) -> None:
        for part in (self.usage, self.settings):
            if part is not None:
                try:
                    part.close()
                except Exception:  # closing must never stop a shutdown
                    log.exception("closing %s failed", type(part).__name__)


def heartbeat_path(config: Config):
    return config.db.with_name(config.db.name + ".alive")


def build_core(*, config: Config | None = None, with_usage: bool = True) -> Core:
    """Read the environment once and build everything; ConfigError/ContentError say what to fix."""
    config = config or Config.from_env()
    if config.content.exists() and not config.content.is_dir():
        raise ConfigError(f"HEALTHBOT_CONTENT {str(config.content)!r} is a file, not a directory: set it to the folder with handbook/, lexicon.yaml and interface.yaml")
    if not config.content.is_dir():
        raise ConfigError(f"content directory {str(config.content)!r} does not exist; set HEALTHBOT_CONTENT to the folder with handbook/, lexicon.yaml and interface.yaml")
    if not (config.content / "handbook").is_dir():
        raise ConfigError(f"handbook directory {str(config.content / 'handbook')!r} does not exist; HEALTHBOT_CONTENT must be the folder with handbook/, lexicon.yaml and interface.yaml")
    library = Library(config.content)
    usage = settings = None
    if with_usage:
        keys = KeySource(key_file=config.key_file or default_key_file(config.db), env_secret=config.secret)
        try:
            keys.get()
        except KeyFileError as exc:
            if config.secret is not None or keys.key_file.exists():  # a bad secret or key file: say so now
                raise ConfigError(str(exc)) from None
            # a key file that cannot be made yet (a folder not mounted?): the stores warn and retry
        usage = UsageLog(config.db, keys=keys, record_misses=config.record_misses,
                         miss_filter=misses.for_library(lambda: library.current))
        settings = SettingsStore(config.db, keys=keys)
    return Core(config, library, usage, settings)
