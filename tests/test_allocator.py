import os
import platform
import subprocess
import sys

import pytest

from models.allocator import cap_malloc_arenas


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the cap is glibc's")
def test_the_arena_cap_is_taken_on_glibc_and_left_to_the_environment_where_it_speaks():
    script = "from models.allocator import cap_malloc_arenas as cap; print(cap(2), cap(0))"
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert run.stdout.split() == ["True", "False"]
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env | {"MALLOC_ARENA_MAX": "4"}, check=True)  # fmt: skip
    assert run.stdout.split() == ["False", "False"]


def test_no_cap_is_set_where_the_setting_is_zero():
    assert cap_malloc_arenas(0) is False
