"""The clock the multi-process tests share through a file (services.clock.FileClock): a process
reading it while the test moves it reads the time before or after, never nothing."""
import threading
from datetime import timedelta

from services.clock import FileClock
from tests.conftest import START


def test_a_reader_never_sees_the_clock_file_half_written(tmp_path):
    path = tmp_path / "now"
    FileClock.write(path, START)
    clock, moments, done = FileClock(str(path)), [START + timedelta(minutes=n) for n in range(2)], threading.Event()

    def move():
        for n in range(2000):
            FileClock.write(path, moments[n % 2])
        done.set()
    mover = threading.Thread(target=move)
    mover.start()
    seen = set()
    while not done.is_set():
        seen.add(clock())   # a half-written file raised ValueError here
    mover.join()
    assert seen <= set(moments) and clock() == moments[1]
