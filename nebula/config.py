"""Settings: built-in defaults, then a YAML file, then `NEBULA_*` environment variables.

Every process of a deployment (web, handler, worker) reads the same settings, so the only
state they share is what these settings point at: the database and the object store.
"""

from __future__ import annotations

import enum
import os
import secrets
import socket
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nebula.errors import ConfigError

DEFAULT_CONFIG_FILE = "nebula.yml"
ENV_PREFIX = "NEBULA_"
CONFIG_FILE_VARIABLE = "NEBULA_CONFIG"
BUNDLED_TOOL_PANEL = Path(__file__).parent / "tools" / "tool_panel.yml"


class RunnerKind(enum.StrEnum):
    """The runner that executes job commands: on this host, or on Celery workers."""

    LOCAL = "local"
    CELERY = "celery"


class Settings(BaseModel):
    """All of Nebula's settings, with their defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Field(
        Path("nebula-data"),
        description="folder for the embedded database, datasets and job working directories",
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite in data_dir"
    )
    database_pool_size: int = Field(
        5, ge=1, description="connections kept open per process (PostgreSQL)"
    )
    object_store_dir: Path | None = Field(
        None, description="root of the disk object store; default: data_dir/objects"
    )
    job_working_dir: Path | None = Field(
        None, description="parent of job working directories; default: data_dir/jobs"
    )
    upload_dir: Path | None = Field(
        None, description="staging folder for uploads; default: data_dir/uploads"
    )
    host: str = Field("127.0.0.1", description="address the web server listens on")
    port: int = Field(8080, ge=1, le=65535, description="port the web server listens on")
    tool_panel: Path = Field(BUNDLED_TOOL_PANEL, description="tool panel configuration file")
    tool_data_dir: Path | None = Field(
        None, description="Galaxy tool-data folder with .loc files of locally cached genomes (optional)"
    )
    runner: RunnerKind = Field(RunnerKind.LOCAL, description="job runner")
    local_job_slots: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="jobs the local runner runs at once",
    )
    job_wall_time: float = Field(
        3600.0, gt=0, description="seconds a job may run before it is killed"
    )
    fork_server: bool = Field(
        True,
        description="run Nebula's own tool commands in forked children of a pre-imported process",
    )
    job_memory_limit_mb: int | None = Field(
        None, ge=16, description="address-space limit of a job's process, in MiB"
    )
    job_user_limit: int = Field(8, ge=1, description="running jobs per registered user")
    job_anonymous_limit: int = Field(2, ge=1, description="running jobs per anonymous session")
    handler_poll_interval: float = Field(
        0.2, gt=0, description="seconds between the handler's looks at the job table"
    )
    handler_id: str = Field(
        default_factory=lambda: f"{socket.gethostname()}.{os.getpid()}",
        description="name this process's job handler records on the jobs it claims",
    )
    handler_heartbeat_interval: float = Field(
        5.0, gt=0, description="seconds between a handler's heartbeats"
    )
    handler_dead_after: float = Field(
        30.0,
        gt=0,
        description="seconds without a heartbeat after which another handler takes over a handler's jobs",
    )
    celery_broker_url: str = Field(
        "redis://127.0.0.1:6379/0", description="Celery broker: redis://… or amqp://…"
    )
    celery_result_backend: str | None = Field(
        None,
        description="Celery result backend; default: the broker URL for Redis, rpc:// for RabbitMQ",
    )
    celery_queue: str = Field("nebula", description="Celery queue that Nebula's jobs are sent to")
    celery_max_in_flight: int = Field(
        16,
        ge=1,
        description="jobs a handler keeps dispatched to Celery at once; small keeps fair share",
    )
    celery_visibility_timeout: float | None = Field(
        None,
        gt=0,
        description="seconds before Redis redelivers an unacknowledged job; default: job_wall_time + 60",
    )
    worker_concurrency: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="jobs one `nebula worker` runs at once",
    )
    run_handler: bool = Field(True, description="whether `nebula serve` runs a job handler")
    handler_process: bool = Field(
        True,
        description="whether `nebula serve` runs its job handler in a child process (true) or in a thread of the web process (false)",
    )
    handler_wake_socket: Path | None = Field(
        None,
        description="Unix datagram socket on which a job handler hears of new jobs from web processes on its host; `nebula serve` sets one for the handler it starts",
    )
    secret_key: str | None = Field(
        None,
        description="key that signs sessions and encodes ids; default: generated once into data_dir/secret_key",
    )
    keep_alive_timeout: float = Field(
        75.0,
        gt=0,
        description="seconds a web process keeps an idle HTTP connection open; keep it longer than the load balancer's",
    )
    log_level: str = Field("INFO", description="logging level")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        levels = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
        if value.upper() not in levels:
            raise ValueError(f"must be one of {', '.join(sorted(levels))}")
        return value.upper()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir.resolve() / 'nebula.sqlite'}"

    @property
    def resolved_object_store_dir(self) -> Path:
        return (self.object_store_dir or self.data_dir / "objects").resolve()

    @property
    def resolved_job_working_dir(self) -> Path:
        return (self.job_working_dir or self.data_dir / "jobs").resolve()

    @property
    def resolved_upload_dir(self) -> Path:
        return (self.upload_dir or self.data_dir / "uploads").resolve()

    @property
    def resolved_celery_result_backend(self) -> str:
        if self.celery_result_backend:
            return self.celery_result_backend
        return (
            self.celery_broker_url
            if self.celery_broker_url.startswith(("redis://", "rediss://"))
            else "rpc://"
        )

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """Return the configured secret, creating and keeping one in data_dir if unset.

        Every web process of a deployment must share this key, so a multi-host deployment
        sets it explicitly or shares data_dir.
        """
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        try:
            with open(path, "x") as handle:
                handle.write(key)
            path.chmod(0o600)
        except FileExistsError:
            return path.read_text().strip()
        return key


def load_settings(
    config_file: str | Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Load settings from defaults, the YAML file, then NEBULA_* variables.

    Raises ConfigError naming the setting, its source and the bad value.
    """
    environ = dict(os.environ if environ is None else environ)
    path, explicit = _config_path(config_file, environ)

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if path is not None and path.exists():
        for key, value in _read_yaml(path).items():
            values[key] = value
            sources[key] = str(path)
    elif explicit:
        raise ConfigError(f"configuration file {path} does not exist")

    known = set(Settings.model_fields)
    for variable, value in environ.items():
        if not variable.startswith(ENV_PREFIX) or variable == CONFIG_FILE_VARIABLE:
            continue
        key = variable[len(ENV_PREFIX) :].lower()
        if key not in known:
            continue
        values[key] = value
        sources[key] = f"environment variable {variable}"

    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, values, sources)) from None


def _config_path(
    config_file: str | Path | None, environ: dict[str, str]
) -> tuple[Path | None, bool]:
    if config_file is not None:
        return Path(config_file), True
    if environ.get(CONFIG_FILE_VARIABLE):
        return Path(environ[CONFIG_FILE_VARIABLE]), True
    return Path(DEFAULT_CONFIG_FILE), False


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        content = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"configuration file {path} is not valid YAML: {exc}") from None
    if not isinstance(content, dict):
        raise ConfigError(
            f"configuration file {path} must contain a mapping of setting: value, got {type(content).__name__}"
        )
    return content


def _describe(exc: ValidationError, values: dict[str, Any], sources: dict[str, str]) -> str:
    problems = []
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else "?"
        if error["type"] == "extra_forbidden":
            allowed = ", ".join(sorted(Settings.model_fields))
            problems.append(
                f"unknown setting '{key}' in {sources.get(key, 'configuration')}; known settings: {allowed}"
            )
            continue
        source = sources.get(key, "default")
        problems.append(
            f"invalid setting '{key}' = {values.get(key)!r} (from {source}): {error['msg']}"
        )
    return "; ".join(problems)
