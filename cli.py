"""The `flask` commands (run with `flask --app app ...`) and `serve`, the supervisor of `make run`."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

BASE_DIR = Path(__file__).resolve().parent


def init_cli(app: Flask) -> None:
    for command in (seed_demo_command, setup_organisation_command, bench_data_command, backup_command,
                    restore_command, serve_command, mail_intake_command):
        app.cli.add_command(command)


def _profile_option(function):
    return click.option("--profile", default=lambda: os.environ.get("PROFILE") or "bank", show_default="bank",
                        help="the industry profile, profiles/NAME.yaml: bank, manufacturer, real-estate, "
                             "retail, hotline, insurer (or an organisation's own)")(function)


@click.command("seed-demo")
@click.option("--history", is_flag=True, help="also four months of handled complaints, for the statistics")
@_profile_option
@with_appcontext
def seed_demo_command(history: bool, profile: str):
    """Create the demo organisation and accounts of a profile (idempotent)."""
    from services.demo import seed_demo
    from services.profiles import ProfileError
    if history and profile != "bank":
        raise click.ClickException("--history writes the bank's demo history; it goes with --profile bank only")
    try:
        created = seed_demo(profile)
    except ProfileError as error:
        raise click.ClickException(str(error))
    click.echo(f"demo data created ({profile})" if created else "demo data already present")
    if history:
        from services.demo_history import seed_history
        click.echo(f"{seed_history()} complaints of demo history added")


@click.command("setup-organisation")
@_profile_option
@click.option("--admin", "username", default="admin", show_default=True, help="the administrator's username")
@click.option("--admin-email", default="", help="the administrator's e-mail address")
@click.option("--password", default=None, help="the administrator's password (default: a new one, printed once)")
@with_appcontext
def setup_organisation_command(profile: str, username: str, admin_email: str, password: str | None):
    """A real deployment's first set-up: the profile's units, categories, routing, rules and
    templates, no demo accounts, one administrator. Refused when an organisation is there already."""
    from services.profiles import ProfileError, set_up
    try:
        password, generated = set_up(profile, username, admin_email, password)
    except ProfileError as error:
        raise click.ClickException(str(error))
    except ValueError as error:
        raise click.ClickException(str(error))
    click.echo(f"Organisation set up from the profile {profile}; administrator: {username}")
    if generated:
        click.echo(f"One-time password (shown only now; to be changed at the first sign-in): {password}")


@click.command("bench-data")
@click.option("--complaints", "count", default=100_000, type=int, help="how many complaints to add")
@with_appcontext
def bench_data_command(count: int):
    """Add COUNT realistic complaints (states, dates over 3 years, deadlines, timelines) in bulk."""
    import time

    from services.benchdata import generate
    started = time.perf_counter()
    written = generate(count)
    click.echo(f"{written} in {time.perf_counter() - started:.1f} s")


@click.command("backup")
@click.option("--to", "destination", type=click.Path(file_okay=False),
              help="folder to write the backup into (default: instance/backups)")
@with_appcontext
def backup_command(destination: str | None):
    """Back up the database and the attachments folder into a new folder under --to."""
    from services.backup import BackupError, backup
    destination = destination or os.path.join(current_app.instance_path, "backups")
    try:
        folder = backup(Path(destination))
    except BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"backup written to {folder}")


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@with_appcontext
def restore_command(folder: str, yes: bool):
    """Replace the database and the attachments folder with those of a backup FOLDER."""
    from services.backup import BackupError, restore
    if not yes:
        click.confirm(f"Replace the database and attachments with the backup in {folder}?", abort=True)
    try:
        manifest = restore(Path(folder))
    except BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"restored the backup of {manifest['created_at']} ({manifest['complaints']} complaints)")


@click.command("mail-intake")
@click.option("--host", default=None, help="address to listen on (default MAIL_INTAKE_HOST, 127.0.0.1)")
@click.option("--port", default=None, type=int, help="port to listen on (default MAIL_INTAKE_PORT, 8024)")
@with_appcontext
def mail_intake_command(host: str | None, port: int | None):
    """Receive the complaints address's mail over SMTP: each message becomes a complaint (or a
    reply on one); Ctrl-C or SIGTERM stops."""
    import threading

    from services.mail_receiver import receiver
    controller = receiver(current_app._get_current_object(), host, port)
    controller.start()
    click.echo(f"Taking complaints by e-mail on {controller.hostname}:{controller.port} "
               f"for {', '.join(current_app.config['MAIL_INTAKE_ADDRESSES']) or 'any address'}")
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    try:
        stopped.wait()
    finally:
        controller.stop()


@click.command("serve")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int)
@click.option("--web-workers", default=2, type=int)
@_profile_option
@with_appcontext
def serve_command(port: int, web_workers: int, profile: str):
    """Migrate, seed when empty, start Redis (if needed), a mail sink (if needed), the worker,
    the receiver of complaints by e-mail and the web server; Ctrl-C stops everything started here."""
    from flask_migrate import upgrade

    from services.demo import seed_demo
    from services.redis_server import ensure_redis
    from services.profiles import ProfileError
    upgrade(directory=str(BASE_DIR / "migrations"))
    try:
        if seed_demo(profile):
            click.echo(f"Loaded the demo organisation of the profile {profile} (accounts in docs/guide.md).")
        elif profile != "bank":
            click.echo(f"The database holds an organisation already: the profile {profile} applies to an "
                       "empty database only.")
    except ProfileError as error:
        raise click.ClickException(str(error))
    children: list[subprocess.Popen] = []
    redis_url, redis_process = ensure_redis(current_app.instance_path)
    if redis_process:
        children.append(redis_process)
        click.echo(f"Started an embedded redis-server at {redis_url}")
    env = dict(os.environ, REDIS_URL=redis_url)
    mail_sink = _start_mail_sink(current_app)
    if mail_sink:
        children.append(mail_sink)
    children.append(subprocess.Popen([sys.executable, str(BASE_DIR / "worker.py")], env=env, cwd=BASE_DIR))
    children.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "mail-intake"], env=env,
                                     cwd=BASE_DIR))
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(web_workers),
                            "-b", f"127.0.0.1:{port}", "app:create_app()"], env=env, cwd=BASE_DIR)
    children.append(web)
    click.echo(f"Serving on http://127.0.0.1:{port}  (Ctrl-C stops)")
    # A SIGTERM (a supervisor, `timeout`, `docker stop`) stops all as Ctrl-C does: by default it would
    # end this process at once and leave the children running, the port taken.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        web.wait()
    except KeyboardInterrupt:
        pass
    finally:
        _stop(children)


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def _stop(children: list[subprocess.Popen]) -> None:
    """SIGTERM to each child still running (the last started first), then wait; kill what hangs."""
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


def _start_mail_sink(app: Flask) -> subprocess.Popen | None:
    """With the default MAIL_SERVER and nothing listening there, keep mail in instance/mail/."""
    import socket
    if os.environ.get("MAIL_SERVER"):
        return None
    port = app.config["MAIL_PORT"]
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            return None
    maildir = Path(app.instance_path) / "mail"
    click.echo(f"No SMTP server configured: mail goes to the Maildir {maildir}")
    return subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Mailbox", str(maildir)], cwd=BASE_DIR)
