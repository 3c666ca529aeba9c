"""The `nebula` command: serve, db upgrade, user create, tool-test."""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nebula.config import Settings, load_settings
from nebula.errors import NebulaError

if TYPE_CHECKING:
    from nebula.app import NebulaApp

logger = logging.getLogger("nebula")

# How often `nebula handler` checks for a stop request and for the serve that started it,
# because a serve killed with SIGKILL cannot stop it.
STOP_CHECK_SECONDS = 0.2
PR_SET_PDEATHSIG = 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except NebulaError as exc:
        print(f"nebula: error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nebula", description="Nebula: a web platform for interactive genome analysis."
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the web server (and, by default, a job handler)",
        description="Run the web server. On the embedded SQLite database, migrations are applied. A job handler runs in a child process (setting handler_process) unless run_handler is false.",
    )
    _add_config_option(serve)
    serve.add_argument("--host", help="address to listen on (setting: host; default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (setting: port; default 8080)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="web processes sharing the port (default 1)",
    )
    serve.set_defaults(run=_serve)

    handler = commands.add_parser(
        "handler",
        help="run a standalone job handler",
        description="Run a job handler: claim new jobs fairly and run them with the configured runner. "
        "Any number of handlers can share one PostgreSQL database; each job runs once.",
    )
    _add_config_option(handler)
    handler.add_argument(
        "--name",
        help="handler name recorded on the jobs it claims (setting: handler_id; default HOST.PID)",
    )
    handler.add_argument(
        "--exit-with-parent",
        type=int,
        metavar="PID",
        help="exit when process PID ends, leaving running jobs to the next start (nebula serve starts its handler this way)",
    )
    handler.set_defaults(run=_handler)

    worker = commands.add_parser(
        "worker",
        help="run a Celery worker that executes Nebula jobs",
        description="Run a Celery worker for Nebula's jobs (settings: celery_broker_url, worker_concurrency). "
        "It needs the tool definitions and the object store, not the database.",
    )
    _add_config_option(worker)
    worker.add_argument(
        "--concurrency", type=int, help="jobs run at once (setting: worker_concurrency)"
    )
    worker.add_argument("--hostname", help="Celery node name (default: nebula@HOST)")
    worker.set_defaults(run=_worker)

    db = commands.add_parser(
        "db", help="manage the database schema", description="Manage the database schema."
    )
    db_commands = db.add_subparsers(title="commands", metavar="COMMAND")
    upgrade = db_commands.add_parser(
        "upgrade",
        help="apply pending migrations",
        description="Apply every pending migration to the configured database.",
    )
    _add_config_option(upgrade)
    upgrade.set_defaults(run=_db_upgrade)

    user = commands.add_parser("user", help="manage users", description="Manage users.")
    user_commands = user.add_subparsers(title="commands", metavar="COMMAND")
    create = user_commands.add_parser(
        "create",
        help="create a user and print a new API key",
        description="Create a user. The new user's API key is printed on the last line of the output.",
    )
    _add_config_option(create)
    create.add_argument("email", help="the user's email address")
    create.add_argument("--password", help="password for logging in to the web pages (optional)")
    create.add_argument("--username", help="public name (default: derived from the email address)")
    create.add_argument("--admin", action="store_true", help="make the user an administrator")
    create.set_defaults(run=_user_create)

    tool_test = commands.add_parser(
        "tool-test",
        help="run tools' XML tests through the real job path",
        description="Run the <tests> of tool XML files through a temporary Nebula server: upload the inputs, run the tool as a job, compare the outputs. Prints one line per test and a total.",
    )
    _add_config_option(tool_test)
    tool_test.add_argument("tool_ids", nargs="*", metavar="TOOL_ID", help="tools to test")
    tool_test.add_argument("--all", action="store_true", help="test every tool of the tool panel")
    tool_test.set_defaults(run=_tool_test)
    return parser


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="YAML settings file (default: ./nebula.yml when present, or $NEBULA_CONFIG)",
    )


def _settings(args: argparse.Namespace, **overrides: object) -> Settings:
    settings = load_settings(args.config)
    changes = {key: value for key, value in overrides.items() if value is not None}
    if changes:
        settings = load_settings(args.config, environ=_environ_with(changes))
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return settings


def _environ_with(changes: dict[str, object]) -> dict[str, str]:
    environ = dict(os.environ)
    for key, value in changes.items():
        environ[f"NEBULA_{key.upper()}"] = str(value)
    return environ


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from nebula.app import build_app
    from nebula.jobs.supervisor import HandlerFailed, HandlerProcess
    from nebula.jobs.wakeup import WakeSocketError, remove_stale_socket, wake_socket_path
    from nebula.web.app import create_app

    if args.workers < 1:
        print(f"nebula: error: --workers must be 1 or more, got {args.workers}", file=sys.stderr)
        return 2
    settings = _settings(args, host=args.host, port=args.port)
    separate_handler = settings.run_handler and settings.handler_process
    if separate_handler and settings.handler_wake_socket is None:
        # The handler and every web process read it from the environment.
        wake_socket = wake_socket_path(Path(tempfile.gettempdir()), settings.data_dir)
        os.environ["NEBULA_HANDLER_WAKE_SOCKET"] = str(wake_socket)
        settings = settings.model_copy(update={"handler_wake_socket": wake_socket})
    nebula = build_app(settings, migrate=settings.is_sqlite)
    logger.info(
        "Nebula serving on http://%s:%s with %d web process(es) (data in %s)",
        settings.host,
        settings.port,
        args.workers,
        settings.data_dir.resolve(),
    )
    handler_process = None
    if separate_handler:
        handler_process = HandlerProcess(Path(args.config).resolve() if args.config else None)
        assert settings.handler_wake_socket is not None
        try:
            # A socket left by a killed handler would look like a handler that is ready.
            remove_stale_socket(settings.handler_wake_socket)
            handler_process.start(ready=settings.handler_wake_socket)
        except (HandlerFailed, WakeSocketError) as exc:
            print(f"nebula: error: {exc}", file=sys.stderr)
            return 1
        # uvicorn shuts down on SIGTERM and then raises the signal again with this handler in
        # place. The default handler would end the process before it stops the job handler.
        signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        if args.workers == 1:
            uvicorn.run(
                create_app(nebula, run_handler=settings.run_handler and not separate_handler),
                host=settings.host,
                port=settings.port,
                log_level=settings.log_level.lower(),
                timeout_keep_alive=settings.keep_alive_timeout,
            )
            return 0
        return _serve_workers(args, settings, nebula, run_handler=not separate_handler)
    finally:
        if handler_process is not None:
            handler_process.stop()


def _die_with_parent() -> None:
    """Have Linux kill this process when its parent ends; elsewhere the poll notices.

    A killed serve then leaves its handler's jobs running, as it did when the handler ran
    inside it, and the next start recovers them. SIGTERM would stop the jobs instead.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _exit_on_signal(number: int, _frame: object) -> None:
    raise SystemExit(0)


def _serve_workers(
    args: argparse.Namespace, settings: Settings, nebula: NebulaApp, run_handler: bool
) -> int:
    import uvicorn

    from nebula.jobs.service import start_job_handler

    # Worker processes are started fresh and read their settings from the environment.
    os.environ.update(
        {
            "NEBULA_RUN_HANDLER": "false",
            "NEBULA_HOST": settings.host,
            "NEBULA_PORT": str(settings.port),
        }
    )
    if args.config:
        os.environ["NEBULA_CONFIG"] = str(Path(args.config).resolve())
    handler = start_job_handler(nebula) if settings.run_handler and run_handler else None
    try:
        uvicorn.run(
            "nebula.web.factory:create_worker_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=args.workers,
            log_level=settings.log_level.lower(),
            timeout_keep_alive=settings.keep_alive_timeout,
            # A worker imports Nebula and loads every tool before it answers the supervisor's
            # health checks; on a loaded 2-core machine that took over uvicorn's default 5 s.
            timeout_worker_healthcheck=60,
        )
    finally:
        if handler is not None:
            handler.stop()
    return 0


def _handler(args: argparse.Namespace) -> int:
    from nebula.app import build_app
    from nebula.jobs.service import start_job_handler
    from nebula.jobs.wakeup import WakeListener, WakeSocketError

    settings = _settings(args, handler_id=args.name)
    nebula = build_app(settings, migrate=settings.is_sqlite)
    # The signal handler only sets a flag: one that set a threading.Event could deadlock,
    # when a second signal came while the first handler held the Event's lock.
    stopping: list[int] = []
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda received, _frame: stopping.append(received))
    if args.exit_with_parent is not None:
        _die_with_parent()
    handler = start_job_handler(nebula)
    # Bound once the handler has recovered its jobs: `nebula serve` takes the socket's
    # appearance as the sign that the handler is ready.
    try:
        listener = (
            WakeListener(settings.handler_wake_socket, handler.wake)
            if settings.handler_wake_socket is not None
            else None
        )
    except (WakeSocketError, OSError) as exc:
        print(f"nebula: error: cannot listen on handler_wake_socket: {exc}", file=sys.stderr)
        handler.stop()
        return 2
    logger.info(
        "job handler %s running with the %s runner", settings.handler_id, settings.runner.value
    )
    while not stopping:
        time.sleep(STOP_CHECK_SECONDS)
        if args.exit_with_parent is not None and os.getppid() != args.exit_with_parent:
            # As if killed with it: its jobs go on, and the next start recovers them.
            logger.warning(
                "job handler %s: its parent process %s ended; exiting without stopping its jobs",
                settings.handler_id,
                args.exit_with_parent,
            )
            os._exit(1)
    if listener is not None:
        listener.close()
    handler.stop()
    return 0


def _worker(args: argparse.Namespace) -> int:
    from nebula.jobs.runners.celery_app import configure_worker, make_celery

    settings = _settings(args, worker_concurrency=args.concurrency)
    # Load the tools before taking work, so that a broken tool file stops the worker at once.
    configure_worker(settings)
    celery = make_celery(settings)
    # Celery logs every task's return value at INFO; a job report contains the peeks of its outputs.
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
    argv = [
        "worker",
        f"--loglevel={settings.log_level}",
        f"--concurrency={settings.worker_concurrency}",
        f"--queues={settings.celery_queue}",
        f"--hostname={args.hostname or 'nebula@%h'}",
        "--without-gossip",
        "--without-mingle",
    ]
    celery.worker_main(argv)
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from nebula.model.database import upgrade

    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    print(f"database at {_redacted(settings.resolved_database_url)} is up to date")
    return 0


def _user_create(args: argparse.Namespace) -> int:
    from nebula.managers.users import create_api_key, create_user
    from nebula.model.database import make_engine, make_session_factory, transaction, upgrade

    settings = _settings(args)
    if settings.is_sqlite:
        upgrade(settings.resolved_database_url)
    factory = make_session_factory(make_engine(settings.resolved_database_url))
    with transaction(factory) as session:
        user = create_user(session, args.email, args.password, args.username, args.admin)
        key = create_api_key(session, user)
        role = "administrator" if user.is_admin else "user"
        print(f"created {role} {user.email} (username {user.username})")
        if not args.password:
            print("note: no password was set, so this user can use the API key but cannot log in to the web pages")
    print(key)
    return 0


def _tool_test(args: argparse.Namespace) -> int:
    from nebula.tools.testing.runner import run_tool_tests

    settings = _settings(args)
    # The temporary server's request and job lines would drown the one line per test.
    if "NEBULA_LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.WARNING)
    if not args.tool_ids and not args.all:
        print("nebula: error: name one or more TOOL_IDs, or use --all", file=sys.stderr)
        return 2
    return run_tool_tests(settings, args.tool_ids, run_all=args.all)


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
