"""Start a zygote (`_zygote.py`) under bubblewrap, or plainly as the fallback (stdlib only).

Imported by the trusted worker script. Under bubblewrap the zygote sees, read-only, only
/usr, the interpreter's own tree and the two sandbox scripts; everything else (benchmark,
project, home, /root, /etc) is absent. It gets private PID, IPC, network, UTS and user
namespaces and no capabilities, and dies with the worker (`--die-with-parent`).

When the worker runs as root, bubblewrap is started as nobody (so that the sandbox's
processes are not root on the host, and RLIMIT_NPROC applies to them). Nobody may not be
able to reach the interpreter (e.g. under /root, mode 700): the launcher first bind-mounts
the needed directories onto world-traversable staging directories, in a mount namespace
private to the bubblewrap process, and bubblewrap binds them back to their real paths.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
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
                preexec_fn=preexec,
            )
        except OSError:
            self.close_root()
            raise
        finally:
            theirs.close()
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
        if self.info.get("error"):
            self.close()
            raise OSError(self.info["error"])
        if self.proc.stderr is not None:
            self.proc.stderr.close()

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

    def close_root(self) -> None:
        if self.tmp_root:
            shutil.rmtree(self.tmp_root, ignore_errors=True)

    def kill(self) -> None:
        self.proc.kill()
        self.close()
