import os
import subprocess
import sys

from models.memory import cap_malloc_arenas


def test_the_arena_cap_is_taken_on_glibc_and_left_to_the_environment_where_it_speaks():
    script = "from models.memory import cap_malloc_arenas; print(cap_malloc_arenas(2), cap_malloc_arenas(0))"
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert run.stdout.split() == ["True", "False"]  # the machines here run glibc
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env | {"MALLOC_ARENA_MAX": "4"}, check=True)  # fmt: skip
    assert run.stdout.split() == ["False", "False"]
    assert cap_malloc_arenas(0) is False
