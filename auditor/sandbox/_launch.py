"""Start a zygote (`_zygote.py`) under bubblewrap, or plainly as the fallback (stdlib only).

Imported by the trusted worker script. Under bubblewrap the zygote sees, read-only, only
/usr, the interpreter's own tree and the two sandbox scripts; everything else (benchmark,
project, home, /root, /etc) is absent. It gets private PID, IPC, network, UTS and user
namespaces and no capabilities, and dies with the worker (`--die-with-parent`).

Where the worker may make cgroups (cgroup v1's memory hierarchy, or v2 with the memory
controller delegated to its cgroup), each zygote and everything it starts live in a memory
cgroup of their own (`MemoryCgroup`), so that a job's memory is capped as a whole: the
rlimits cap each process, and a job with many processes, memfds or tmpfs pages took more
than the machine had. Elsewhere the zygote runs without one (`Zygote.memory_cap` is 0).

When the worker runs as root, bubblewrap is started as nobody (so that the sandbox's
processes are not root on the host, and RLIMIT_NPROC applies to them). Nobody may not be
able to reach the interpreter (e.g. under /root, mode 700): the launcher first bind-mounts
the needed directories onto world-traversable staging directories, in a mount namespace
private to the bubblewrap process, and bubblewrap binds them back to their real paths.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
INSIDE = "/opt/auditor-sandbox"  # where the sandbox scripts appear inside
SCRIPTS = ("_zygote.py", "_codec.py")
_LIBC = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNS, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x00020000, 4096, 16384, 1 << 18


def _python_roots(site_paths: list[str]) -> list[str]:
    """Directories the interpreter needs, outermost only, outside /usr."""
    exe = os.path.realpath(sys.executable)
    cands = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    cands.add(os.path.dirname(os.path.dirname(exe)))
    cands.update(os.path.realpath(p) for p in site_paths)
    roots: list[str] = []
    for path in sorted(cands, key=len):
        if path.startswith("/usr/") or path == "/usr" or not os.path.isdir(path):
            continue
        if not any(path == r or path.startswith(r + "/") for r in roots):
            roots.append(path)
    return roots


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


class Staging:
    """World-traversable mount points for directories nobody cannot reach (root only)."""

    def __init__(self, roots: list[str]) -> None:
        self.dir = tempfile.mkdtemp(prefix="auditor-stage-")
        os.chmod(self.dir, 0o755)
        self.pairs: list[tuple[str, str]] = []
        for i, root in enumerate([*roots, HERE]):
            point = os.path.join(self.dir, str(i))
            os.mkdir(point, 0o755)
            self.pairs.append((root, point))

    def where(self, path: str) -> str:
        for root, point in self.pairs:
            if path == root or path.startswith(root + "/"):
                return point + path[len(root) :]
        return path

    def mount(self) -> None:
        """In the child before exec: private mount namespace with the staging binds."""
        if _LIBC.unshare(_CLONE_NEWNS) != 0:
            raise OSError(ctypes.get_errno(), "unshare")
        if _LIBC.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
            raise OSError(ctypes.get_errno(), "mount private")
        for root, point in self.pairs:
            if _LIBC.mount(root.encode(), point.encode(), None, _MS_BIND | _MS_REC, None) != 0:
                raise OSError(ctypes.get_errno(), f"bind {root}")

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


_CGROUPS = "/sys/fs/cgroup"
ZYGOTE_HEADROOM = 256 << 20


def _memory_bases() -> list[tuple[str, str]]:
    """(the worker's own memory cgroup directory, its limit file name) per hierarchy that
    has one: cgroup v1's memory controller, then v2 when the memory controller is enabled
    for the worker's cgroup's children."""
    try:
        with open("/proc/self/cgroup") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return []
    bases = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            bases.append((f"{_CGROUPS}/memory{path}", "memory.limit_in_bytes"))
        elif controllers == "" and os.path.exists(f"{_CGROUPS}/cgroup.controllers"):
            with (
                contextlib.suppress(OSError),
                open(f"{_CGROUPS}{path}/cgroup.subtree_control") as f,
            ):
                if "memory" in f.read().split():
                    bases.append((f"{_CGROUPS}{path}", "memory.max"))
    return bases


class MemoryCgroup:
    """A memory cgroup under the worker's own, holding one zygote and all it starts."""

    def __init__(self, path: str, limit: int) -> None:
        self.path, self.limit = path, limit

    @classmethod
    def make(cls, limit_bytes: int) -> MemoryCgroup | None:
        """A new cgroup capped at `limit_bytes`, or None where none can be made."""
        for base, limit_file in _memory_bases():
            path = os.path.join(base, f"auditor-{os.getpid()}-{time.monotonic_ns()}")
            try:
                os.mkdir(path)
            except OSError:
                continue
            try:
                with open(os.path.join(path, limit_file), "w") as fh:
                    fh.write(str(limit_bytes))
                return cls(path, limit_bytes)
            except OSError:
                with contextlib.suppress(OSError):
                    os.rmdir(path)
        return None

    def join(self) -> None:
        """Move the calling process in (the child, before exec: all it starts follows)."""
        with open(os.path.join(self.path, "cgroup.procs"), "w") as fh:
            fh.write(str(os.getpid()))

    def holds(self, pid: int) -> bool:
        try:
            with open(os.path.join(self.path, "cgroup.procs")) as fh:
                return str(pid) in fh.read().split()
        except OSError:
            return False

    def remove(self) -> None:
        """Remove the cgroup once its last process is gone (killed processes linger briefly)."""
        for _ in range(20):
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.05)


def bwrap_argv(bwrap: str, cfg: dict[str, Any], staging: Staging | None, fd: int) -> list[str]:
    """The bubblewrap command line that starts a zygote talking on `fd`."""
    at = staging.where if staging is not None else (lambda p: p)
    uid, gid = (cfg["uid"], cfg["gid"]) if staging is not None else (os.getuid(), os.getgid())
    argv = [bwrap, "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-net"]
    argv += ["--unshare-uts", "--unshare-cgroup-try", "--uid", str(uid), "--gid", str(gid)]
    argv += _system_binds()
    for root in _python_roots(cfg["site_paths"]):
        argv += ["--ro-bind", at(root), root]
    for name in SCRIPTS:
        argv += ["--ro-bind", at(os.path.join(HERE, name)), f"{INSIDE}/{name}"]
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(16 << 20), "--tmpfs", "/tmp"]
    argv += ["--size", str(1 << 20), "--tmpfs", "/dev/shm", "--chdir", "/"]
    # Everything else read-only: the root and /dev are tmpfs every job of this zygote shares
    # (a file one program left there, a module first on the import path, reached the next)
    argv += ["--remount-ro", "/dev", "--remount-ro", "/"]
    argv += ["--cap-drop", "ALL", "--die-with-parent", "--new-session"]
    exe = os.path.realpath(sys.executable)
    return [*argv, "--", exe, "-S", "-s", "-P", f"{INSIDE}/_zygote.py", str(fd)]


def fallback_argv(fd: int, tmp_root: str) -> list[str]:
    """The command line that starts a zygote on the host talking on `fd`, with its root."""
    exe = os.path.realpath(sys.executable)
    return [exe, "-S", "-s", "-P", os.path.join(HERE, "_zygote.py"), str(fd), tmp_root]


class Zygote:
    """A running zygote and the worker's end of its control socket."""

    def __init__(self, cfg: dict[str, Any], sandboxed: bool) -> None:
        self.sandboxed = sandboxed
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.ctl = ours
        fd = theirs.fileno()
        self.staging: Staging | None = None
        self.tmp_root = ""
        # the zygote's own memory: numpy and the scripts, well under the headroom
        memory = cfg.get("memory_bytes")
        self.cgroup = MemoryCgroup.make(int(memory) + ZYGOTE_HEADROOM) if memory else None
        preexec = None
        if sandboxed:
            bwrap = cfg.get("bwrap")
            if not bwrap:
                raise OSError("bubblewrap (bwrap) not found")
            if os.geteuid() == 0:
                self.staging = Staging(_python_roots(cfg["site_paths"]))
                preexec = self._as_nobody(cfg)
            argv = bwrap_argv(bwrap, cfg, self.staging, fd)
        else:
            # The jobs' working directories (bubblewrap gives each its own /tmp instead);
            # removed by whichever of us outlives the other (`close`, or the zygote's exit,
            # which knows it from its command line even if we die before the hello).
            self.tmp_root = tempfile.mkdtemp(prefix="auditor-sandbox-")
            os.chmod(self.tmp_root, 0o711)
            argv = fallback_argv(fd, self.tmp_root)
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE if sandboxed else subprocess.DEVNULL,
                env=dict(cfg["child_env"]),
                cwd="/",
                pass_fds=(fd,),
                preexec_fn=self._joining(preexec),
            )
        except OSError:
            self.close_root()
            self.drop_cgroup()
            raise
        finally:
            theirs.close()
        if self.cgroup is not None and not self.cgroup.holds(self.proc.pid):
            self.drop_cgroup()  # not ours to move processes into: no cap
        hello = dict(cfg, namespaces=sandboxed, worker_pid=os.getpid())
        try:
            socket.send_fds(self.ctl, [json.dumps(hello).encode()], [])
            reply = self.ctl.recv(1 << 16)
        except OSError:
            reply = b""
        if self.staging is not None:  # the sandbox holds its own mounts by now
            self.staging.close()
            self.staging = None
        if not reply:
            why = self._stderr() or "zygote exited"
            self.close()
            raise OSError(why)
        self.info: dict[str, Any] = json.loads(reply)
        self.info["memory_cap"] = self.memory_cap
        if self.info.get("error"):
            self.close()
            raise OSError(self.info["error"])
        if self.proc.stderr is not None:
            self.proc.stderr.close()

    @property
    def memory_cap(self) -> int:
        """Bytes the zygote and its jobs may hold together (0: no cgroup caps them)."""
        return 0 if self.cgroup is None else self.cgroup.limit

    def _joining(self, then: Any) -> Any:
        """The child's pre-exec step: join the memory cgroup (if any), then `then`."""
        cgroup = self.cgroup

        def pre() -> None:
            if cgroup is not None:
                with contextlib.suppress(OSError):  # checked by `holds` after the start
                    cgroup.join()
            if then is not None:
                then()

        return pre

    def drop_cgroup(self) -> None:
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None

    def _as_nobody(self, cfg: dict[str, Any]) -> Any:
        staging, uid, gid = self.staging, cfg["uid"], cfg["gid"]

        def pre() -> None:
            assert staging is not None
            staging.mount()
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)

        return pre

    def _stderr(self) -> str:
        if self.proc.stderr is None:
            return ""
        try:
            self.proc.wait(timeout=5)
            text = self.proc.stderr.read().decode("utf-8", "replace").strip()
        except (OSError, subprocess.TimeoutExpired, ValueError):
            return ""
        return text.splitlines()[-1][:300] if text else ""

    def close(self) -> None:
        """Stop the zygote; under bubblewrap its PID namespace takes every job with it."""
        self.ctl.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.staging is not None:
            self.staging.close()
        self.close_root()
        self.drop_cgroup()

    def close_root(self) -> None:
        if self.tmp_root:
            shutil.rmtree(self.tmp_root, ignore_errors=True)

    def kill(self) -> None:
        self.proc.kill()
        self.close()
