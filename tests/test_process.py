"""What importing sphere_toy sets up for the process: one XLA device per core, and few malloc arenas."""

import ctypes.util
import os
import platform

import jax

import sphere_toy


def test_a_cpu_gets_one_xla_device_per_core():
    if jax.default_backend() == "cpu":
        assert len(jax.devices()) == min(os.cpu_count() or 1, 8)


def test_malloc_keeps_two_arenas_unless_the_user_said_otherwise(monkeypatch):
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc" and ctypes.util.find_library("c")
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert sphere_toy._fewer_malloc_arenas() == bool(glibc)
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert sphere_toy._fewer_malloc_arenas() is False  # the user's own setting stands
