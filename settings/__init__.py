"""Configuration: one environment variable per setting, read once into a typed object."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

MAX_TEXT_CHARS = 4000  # longer messages are cut at a sentence boundary, with a warning
# What the agents re-read of each earlier utterance: a 4,000-character message read again in full
# with every later turn made each of them cost twice an ordinary one.
HISTORY_CHARS = 600


# What libraries read from the environment when they are first imported: nothing may download
# weights at run time, and none reports usage. Every entry point (the `empathyear` command, each
# benchmark) calls quiet_libraries() before it imports them; nothing sets these on import.
LIBRARY_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error",
    "ANONYMIZED_TELEMETRY": "False", "GRADIO_ANALYTICS_ENABLED": "False",
}  # fmt: skip
TOOL_PREFIX = "EMPATHYEAR_TOOL_"


def quiet_libraries() -> None:
    for name, value in LIBRARY_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _home() -> Path:
    return Path(_env("EMPATHYEAR_HOME") or "~/.empathyear").expanduser()


@dataclass(frozen=True)
class Settings:
    home: Path = field(
        default_factory=_home,
        metadata={"env": "EMPATHYEAR_HOME", "help": "data directory: database, index, media"},
    )
    database_url: str = field(
        default_factory=lambda: _env("EMPATHYEAR_DATABASE_URL"),
        metadata={"env": "EMPATHYEAR_DATABASE_URL", "help": "postgresql://... to keep sessions, turns and checkpoints in PostgreSQL (default: SQLite files in the data directory)"},
    )
    media_dir: Path | None = field(
        default_factory=lambda: Path(p).expanduser() if (p := _env("EMPATHYEAR_MEDIA_DIR")) else None,
        metadata={"env": "EMPATHYEAR_MEDIA_DIR", "help": "where uploads, speech and video go (default: the data directory's media/); a folder every replica shares"},
    )
    models: Path = field(
        default_factory=lambda: Path(p).expanduser() if (p := _env("EMPATHYEAR_MODELS")) else _home() / "models",
        metadata={"env": "EMPATHYEAR_MODELS", "help": "models assembled at set-up (default: the data directory's models/)"},
    )
    tool_choices: tuple[tuple[str, str], ...] = field(
        default_factory=lambda: tuple(sorted(
            (name[len(TOOL_PREFIX):].lower(), value.strip())
            for name, value in os.environ.items() if name.startswith(TOOL_PREFIX) and value.strip()
        )),
        metadata={"env": f"{TOOL_PREFIX}<ROLE>", "help": "the installed tool that takes a role, by its name, when several could"},
    )  # fmt: skip
    llm: str = field(
        default_factory=lambda: _env("EMPATHYEAR_LLM", "embedded").lower(),
        metadata={"env": "EMPATHYEAR_LLM", "help": "embedded | openai | transformers | a plugin's name"},
    )
    llm_base_url: str = field(
        default_factory=lambda: _env("EMPATHYEAR_LLM_BASE_URL", "http://127.0.0.1:8000/v1"),
        metadata={"env": "EMPATHYEAR_LLM_BASE_URL", "help": "OpenAI-compatible server, up to /v1"},
    )
    llm_model: str = field(
        default_factory=lambda: _env("EMPATHYEAR_LLM_MODEL", "default"),
        metadata={"env": "EMPATHYEAR_LLM_MODEL", "help": "model name the server knows"},
    )
    llm_api_key: str = field(
        default_factory=lambda: _env("EMPATHYEAR_LLM_API_KEY"),
        metadata={"env": "EMPATHYEAR_LLM_API_KEY", "help": "bearer token for the server, if any"},
    )
    llm_path: str = field(
        default_factory=lambda: _env("EMPATHYEAR_LLM_PATH"),
        metadata={"env": "EMPATHYEAR_LLM_PATH", "help": "local model folder for transformers"},
    )
    llm_timeout_s: float = field(
        default_factory=lambda: float(_env("EMPATHYEAR_LLM_TIMEOUT_S", "60")),
        metadata={"env": "EMPATHYEAR_LLM_TIMEOUT_S", "help": "seconds before a chat call fails"},
    )
    listener: str = field(
        default_factory=lambda: _env("EMPATHYEAR_LISTENER", "trained").lower(),
        metadata={
            "env": "EMPATHYEAR_LISTENER",
            "help": "trained (the fine-tuned 135M listener, templates as its fallback) | trained-1.5b (the "
            "opt-in local tier: `make local-listener`) | templates",
        },
    )
    encoder_precision: str = field(
        default_factory=lambda: _env("EMPATHYEAR_ENCODER_PRECISION", "auto").lower(),
        metadata={
            "env": "EMPATHYEAR_ENCODER_PRECISION",
            "help": "auto (bfloat16 on AMX, else int8) | int8 | bfloat16 | float32: how the emotion agent's "
            "sentence encoder runs",
        },
    )
    history_turns: int = field(
        default_factory=lambda: max(0, int(_env("EMPATHYEAR_HISTORY_TURNS", "6"))),
        metadata={"env": "EMPATHYEAR_HISTORY_TURNS", "help": "earlier turns the agents read"},
    )
    speech: str = field(
        default_factory=lambda: _env("EMPATHYEAR_SPEECH", "kokoro").lower(),
        metadata={
            "env": "EMPATHYEAR_SPEECH",
            "help": "kokoro | piper | styletts2 | a plugin's name (then Kokoro, then Piper)",
        },
    )
    face: str = field(
        default_factory=lambda: _env("EMPATHYEAR_FACE", "avatar").lower(),
        metadata={
            "env": "EMPATHYEAR_FACE",
            "help": "avatar | eat | a plugin's name (then the avatar renderer)",
        },
    )
    eat_command: str = field(
        default_factory=lambda: _env("EMPATHYEAR_EAT_COMMAND"),
        metadata={"env": "EMPATHYEAR_EAT_COMMAND", "help": "the command that runs EAT, with {audio} {image} {emotion} {output}"},
    )
    eat_timeout_s: str = field(  # kept as written: the EAT backend names a bad value when it is chosen
        default_factory=lambda: _env("EMPATHYEAR_EAT_TIMEOUT_S") or "600",
        metadata={"env": "EMPATHYEAR_EAT_TIMEOUT_S", "help": "seconds an EAT render may take"},
    )
    styletts2_checkpoint: str = field(
        default_factory=lambda: _env("EMPATHYEAR_STYLETTS2_CHECKPOINT"),
        metadata={"env": "EMPATHYEAR_STYLETTS2_CHECKPOINT", "help": "the StyleTTS2 checkpoint (.pth)"},
    )
    styletts2_config: str = field(
        default_factory=lambda: _env("EMPATHYEAR_STYLETTS2_CONFIG"),
        metadata={"env": "EMPATHYEAR_STYLETTS2_CONFIG", "help": "the StyleTTS2 checkpoint's config.yml"},
    )
    asr: str = field(
        default_factory=lambda: _env("EMPATHYEAR_ASR", "whisper").lower(),
        metadata={"env": "EMPATHYEAR_ASR", "help": "whisper, or a speech-recognition plugin's name"},
    )
    upload_s: float = field(
        default_factory=lambda: float(_env("EMPATHYEAR_UPLOAD_S", "120")),
        metadata={"env": "EMPATHYEAR_UPLOAD_S", "help": "seconds a turn's request body may take to arrive"},
    )
    turns_per_minute: int = field(
        default_factory=lambda: int(_env("EMPATHYEAR_TURNS_PER_MINUTE", "20")),
        metadata={"env": "EMPATHYEAR_TURNS_PER_MINUTE", "help": "turns a session may send a minute (0: no limit)"},
    )
    sessions_per_minute: int = field(
        default_factory=lambda: int(_env("EMPATHYEAR_SESSIONS_PER_MINUTE", "10")),
        metadata={"env": "EMPATHYEAR_SESSIONS_PER_MINUTE", "help": "sessions one client address may open a minute (0: no limit)"},
    )
    turn_lease_s: float = field(
        default_factory=lambda: float(_env("EMPATHYEAR_TURN_LEASE_S", "30")),
        metadata={"env": "EMPATHYEAR_TURN_LEASE_S", "help": "seconds a running turn's lease lasts unless its process renews it (every third of that)"},
    )
    active_turns: int = field(
        default_factory=lambda: int(_env("EMPATHYEAR_ACTIVE_TURNS", str(2 * (os.cpu_count() or 2)))),
        metadata={"env": "EMPATHYEAR_ACTIVE_TURNS", "help": "turns the server runs at once (default: twice the cores)"},
    )
    queued_turns: int = field(
        default_factory=lambda: int(_env("EMPATHYEAR_QUEUED_TURNS", "16")),
        metadata={"env": "EMPATHYEAR_QUEUED_TURNS", "help": "turns that may wait for a place; more get 503 with Retry-After"},
    )
    malloc_arenas: int = field(
        default_factory=lambda: int(_env("EMPATHYEAR_MALLOC_ARENAS", str(os.cpu_count() or 2))),
        metadata={"env": "EMPATHYEAR_MALLOC_ARENAS", "help": "glibc malloc arenas the server and chat may use (default: one a core; 0: glibc's eight a core, under which memory grows turn by turn)"},
    )
    trusted_proxies: frozenset[str] = field(
        default_factory=lambda: frozenset(a.strip() for a in _env("EMPATHYEAR_TRUSTED_PROXIES").split(",") if a.strip()),
        metadata={"env": "EMPATHYEAR_TRUSTED_PROXIES", "help": "proxy addresses whose X-Forwarded-For is believed, comma-separated"},
    )
    otel_user_content: bool = field(
        default_factory=lambda: _env("EMPATHYEAR_OTEL_USER_CONTENT") == "1",
        metadata={"env": "EMPATHYEAR_OTEL_USER_CONTENT", "help": "1 puts the user's words and the reply on the spans"},
    )
    crisis_resources: Path | None = field(
        default_factory=lambda: Path(p).expanduser() if (p := _env("EMPATHYEAR_CRISIS_RESOURCES")) else None,
        metadata={"env": "EMPATHYEAR_CRISIS_RESOURCES", "help": "JSON file of help resources"},
    )

    def tool_choice(self, role: str) -> str:
        """The tool named for `role` (EMPATHYEAR_TOOL_SPEECH=...), or "" for the first installed."""
        return dict(self.tool_choices).get(role, "")

    @property
    def database(self) -> Path:
        return self.home / "empathyear.sqlite"

    @property
    def index(self) -> Path:
        return self.home / "index"

    @property
    def checkpoints(self) -> Path:
        return self.home / "checkpoints.sqlite"

    @property
    def media(self) -> Path:
        return self.media_dir or self.home / "media"
