"""web/isolation.py with real child processes: a result comes back, a job over its time is killed, one over its
memory fails in the child (not in the server), and a job that dies or has a bug is reported, never waited for."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from zonewarden.web.isolation import Isolation, JobFailed, LimitExceeded, Limits

from . import jobs


@pytest.fixture(scope="module")
def isolation() -> Isolation:
    return Isolation(Limits(seconds=3, memory_mb=1024, parallel=2))


def test_the_result_comes_back(isolation):
    assert isolation.run(jobs.echo, {"plant": ["a", 1]}) == {"plant": ["a", 1]}
    assert isolation.run(jobs.allocate, 100) == 100  # well under the limit


@pytest.mark.parametrize("job", [jobs.sleep, jobs.spin])
def test_a_job_past_its_time_is_stopped_and_refused_with_422(isolation, job):
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as e:
        isolation.run(job, 60, what="the plant")
    assert e.value.status == 422 and "3 seconds" in str(e.value) and str(e.value).startswith("the plant")
    assert time.monotonic() - started < 10
    assert multiprocessing.active_children() == []  # killed and reaped, not left running


def peak_rss_mib() -> int:
    with open(f"/proc/{os.getpid()}/status") as f:
        return next(int(line.split()[1]) // 1024 for line in f if line.startswith("VmHWM:"))


def test_a_job_past_its_memory_fails_in_the_child_with_413(isolation):
    before = peak_rss_mib()
    with pytest.raises(LimitExceeded) as e:
        isolation.run(jobs.allocate, 4096)  # 4 GiB against a limit of 1 GiB
    assert e.value.status == 413 and "1,024 MiB" in str(e.value)
    assert peak_rss_mib() - before < 512  # the server itself never held it
    assert isolation.run(jobs.echo, "still there") == "still there"


def test_a_bug_in_a_job_is_reported_with_the_child_traceback(isolation):
    with pytest.raises(JobFailed) as e:
        isolation.run(jobs.fail)
    assert "ValueError" in str(e.value) and "a bug in the job" in str(e.value)


def test_a_job_that_dies_is_reported_not_waited_for(isolation):
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as e:
        isolation.run(jobs.die, 3)
    assert "exit status 3" in str(e.value) and time.monotonic() - started < 3
