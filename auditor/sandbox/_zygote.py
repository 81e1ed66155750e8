"""Inside the sandbox: a long-lived zygote that forks one disposable monitor per program.

Run as a script (`python -S -s -P _zygote.py`), under bubblewrap when the host allows it.
Never imported by the auditor. Three kinds of process live here:

  zygote   started once per worker with numpy preloaded; reads only small control messages
           ("run" + two pipe fds, passed with SCM_RIGHTS) from the trusted worker on fd 3.
           It never sees code, inputs or outputs, so nothing a later candidate inherits by
           fork tells it about earlier candidates or expected outputs.
  monitor  one fork per job. With namespaces it enters a new user, mount, PID and IPC
           namespace, mounts size-capped tmpfs on /tmp and /dev/shm, and forks the child as
           PID 1 of the new PID namespace: killing the child kills every process of the
           job. It reads the request from the worker's pipe, enforces the time caps and the
           report size, relays the child's frames to the worker and appends its own
           summary frame ("Z"), which the child cannot write (it holds no fd to the worker).
  child    drops every capability (or, without namespaces, today's confinement: rlimits,
           nobody, private network), applies EvalPlus's reliability guard and runs the
           program on the inputs. It reports outputs, never verdicts: the worker compares.

Frames: kind (1 byte), arg (u32: input or phase index), length (u32), payload. Child kinds:
S phase start, V value (f64 time + encoded value), E exception (f64 time + name), T timeout,
L the program did not load (name), R a probe's least times over its repeated timing passes
(one f64 per input), D phase done, C crash. Between phases the child waits
for one control byte from the worker: "n" next phase, anything else stop; during a phase
a "q" byte stops it early (the worker has seen a failure).
"""

# mypy: ignore-errors
# (the reliability guard deliberately stubs out stdlib; ctypes for namespaces and capabilities)

import _signal as _signal_c  # signal.signal's C function, without the enum wrapping
import builtins
import contextlib
import copy
import ctypes
import faulthandler
import io
import json
import math
import os
import resource
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _codec

HEADER = struct.Struct("<cII")
TIME = struct.Struct("<d")
FRAME_CAP = 256 << 20  # one output
REPORT_CAP = 1 << 30  # everything one job may report
CHILD_KINDS = frozenset(b"SVETLDCR")
COALESCE_S, COALESCE_BYTES = 0.0005, 1 << 16
# The monitor's own cap on one input, over the child's per-input timer (which a program can
# switch off): twice the limit plus half a second, in the request's clock.
ITEM_FACTOR, ITEM_GRACE_S = 2.0, 0.5

_LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWUTS = 0x08000000, 0x40000000, 0x04000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_KEEPCAPS = 1, 4, 8
PR_CAPBSET_DROP, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 24, 36, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
CAP_DAC_READ_SEARCH = 2

# Captured builtins: the child keeps reporting when a candidate patches `builtins`.
_type, _isinstance, _len, _str, _exc, _enumerate = (
    type,
    isinstance,
    len,
    str,
    BaseException,
    enumerate,
)
# The builtin exception classes by identity (`id`: a class's `__eq__`/`__hash__` are its
# metaclass's to rig), captured before any program runs: an exception is reported as the
# nearest of them in its class's MRO (read with type's own descriptor), so a program's own
# `class ValueError(Exception)` reports Exception and `class Neg(ValueError)` ValueError.
_BUILTIN_EXC = {
    id(c): c.__name__  # not the alias (IOError is OSError)
    for c in vars(builtins).values()
    if isinstance(c, type) and issubclass(c, BaseException)
}
_mro, _id = type.__dict__["__mro__"].__get__, id


def _exc_class_name(exc: BaseException) -> str:
    """The class's name if it is a builtin exception, else "Name.Builtin": its own name and
    the nearest builtin exception class in its MRO (the last dot-part is the builtin)."""
    cls = _type(exc)
    for base in _mro(cls):
        name = _BUILTIN_EXC.get(_id(base))
        if name is not None:
            return name if base is cls else _str(cls.__name__)[:40] + "." + name
    return _str(cls.__name__)[:40] + ".BaseException"


# (`_signal_c.signal` is what `signal.signal` calls, minus ~5 us of enum conversion per call)
_write, _exit, _setitimer, _signal = os.write, os._exit, signal.setitimer, _signal_c.signal
_read, _pack, _tpack, _dumps, _min = os.read, HEADER.pack, TIME.pack, _codec.dumps, min
_monotonic, _sum = time.monotonic, sum


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _compile(program: str):
    return compile(program, "<candidate>", "exec", dont_inherit=True)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[_write(fd, view) :]


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        b = os.read(fd, min(n - got, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


def _read_part(fd: int) -> bytes:
    """One length-prefixed part of a request."""
    head = _read_exact(fd, 8)
    if head is None:
        raise EOFError("request cut short")
    body = _read_exact(fd, struct.unpack("<Q", head)[0])
    if body is None:
        raise EOFError("request cut short")
    return body


# ---------------------------------------------------------------------------------------------
# The child: confinement


class _CappedIO(io.StringIO):
    """Write-only capped text stream (EvalPlus's WriteOnlyStringIO, bounded)."""

    cap = 1 << 16

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def write(self, s):
        n = _len(s)
        if self.total < self.cap:
            super().write(s[: self.cap - self.total])
        self.total += n
        return n

    def read(self, *args, **kwargs):
        raise OSError

    def readline(self, *args, **kwargs):
        raise OSError

    def readlines(self, *args, **kwargs):
        raise OSError

    def readable(self, *args, **kwargs):
        return False


_STREAM = _CappedIO()


class _swallow_io:
    """The standard streams swapped for the capped stream (EvalPlus's `swallow_io`; a class:
    entered once per call, it cost more as a generator than a quick call itself)."""

    __slots__ = ("saved",)

    def __enter__(self) -> None:
        self.saved = sys.stdout, sys.stderr, sys.stdin
        sys.stdout = sys.stderr = sys.stdin = _STREAM

    def __exit__(self, *exc_info) -> None:
        sys.stdout, sys.stderr, sys.stdin = self.saved


def _reliability_guard() -> None:
    """evalplus.eval.utils.reliability_guard (memory rlimits set by the caller)."""
    import builtins

    faulthandler.disable()
    builtins.exit = None
    builtins.quit = None
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in (
        "kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid",
        "fork", "forkpty", "killpg", "rename", "renames", "truncate", "replace", "unlink",
        "fchmod", "fchown", "chmod", "chown", "chroot", "lchflags", "lchmod", "lchown",
        "getcwd", "chdir",
    ):  # fmt: skip
        setattr(os, name, None)
    builtins.open = None
    shutil.rmtree = None
    shutil.move = None
    shutil.chown = None
    subprocess.Popen = None
    builtins.help = None
    for mod in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[mod] = None


def _stub_network() -> None:
    """Fallback when no network namespace could be made: sockets cannot be created."""
    import _socket

    def _refuse(*args, **kwargs):
        raise OSError("network disabled in the sandbox")

    socket.socket = _refuse
    _socket.socket = _refuse
    socket.create_connection = _refuse


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _capset(mask: int) -> None:
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    data[0].effective = data[0].permitted = mask
    _check(_LIBC.capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def _drop_all_capabilities() -> None:
    """Empty bounding, ambient, permitted and effective sets; no privilege regained by exec."""
    for cap in range(64):
        if _LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability the kernel knows
    _LIBC.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    _capset(0)
    _check(_LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _drop_to_nobody(uid: int, gid: int) -> None:
    """Fallback (root without namespaces): become nobody, keeping only CAP_DAC_READ_SEARCH
    (the interpreter may live under a directory nobody cannot read, e.g. /root/.pyenv)."""
    _LIBC.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    _capset(1 << CAP_DAC_READ_SEARCH)


def _mount(source: str, target: str, fstype: str, flags: int, data: str) -> None:
    rc = _LIBC.mount(source.encode(), target.encode(), fstype.encode(), flags, data.encode())
    _check(rc, f"mount {target}")


def _private_mounts(cfg: dict) -> None:
    """In the child's own mount namespace: its own /proc, fresh capped /tmp and /dev/shm."""
    _check(_LIBC.unshare(CLONE_NEWNS), "unshare mount namespace")
    flags = MS_NOSUID | MS_NODEV
    try:
        _mount("proc", "/proc", "proc", flags | MS_NOEXEC, "")
    except OSError:  # a proc mount the kernel deems too revealing: hide /proc instead
        _mount("tmpfs", "/proc", "tmpfs", flags | MS_NOEXEC | MS_RDONLY, "size=4k,mode=555")
    size = cfg["tmpfs_bytes"]
    for target in ("/tmp", "/dev/shm"):
        _mount("tmpfs", target, "tmpfs", flags, f"size={size},mode=1777")


def _rlimits(cfg: dict) -> None:
    mem = cfg["memory_bytes"]
    limits = [
        (resource.RLIMIT_AS, mem),
        (resource.RLIMIT_DATA, mem),
        (resource.RLIMIT_STACK, mem),
        (resource.RLIMIT_FSIZE, cfg["file_size_bytes"]),
        (resource.RLIMIT_NOFILE, cfg["open_files"]),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_CPU, cfg["cpu_seconds"]),
    ]
    if cfg["nproc"]:
        limits.append((resource.RLIMIT_NPROC, cfg["nproc"]))
    for which, value in limits:
        _soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))  # hard = soft: cannot be raised back


def _confine(cfg: dict, keep: tuple[int, ...], workdir: str) -> None:
    """Everything the child does to itself before it touches the program."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    os.closerange(3, min(keep))
    for a, b in zip(sorted(keep), [*sorted(keep)[1:], 1 << 16], strict=True):
        os.closerange(a + 1, b)
    if cfg["namespaces"]:
        _private_mounts(cfg)
        workdir = "/tmp"
    else:
        os.setpgid(0, 0)
    os.chdir(workdir)
    os.environ.clear()
    os.environ.update(cfg["child_env"])
    os.environ["TMPDIR"] = os.environ["HOME"] = workdir
    tempfile.tempdir = workdir
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # oversized writes fail instead of killing
    _rlimits(cfg)
    if cfg["namespaces"]:
        _drop_all_capabilities()
    else:
        _check(_LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        if cfg["drop_to"] is not None:
            _drop_to_nobody(*cfg["drop_to"])
        if not cfg["netns"]:
            _stub_network()
    _reliability_guard()


# ---------------------------------------------------------------------------------------------
# The child: running a program


class _TimeoutException(Exception):
    pass


class _Child:
    """Runs one request's phases, writing frames to `wfd`, reading control bytes on `cfd`."""

    def __init__(self, req: dict, wfd: int, cfd: int) -> None:
        self.req, self.wfd, self.cfd = req, wfd, cfd
        self.timed_out, self.checked, self.started = False, 0.0, 0.0
        cpu = req["clock"] == "cpu"
        # the thread's CPU clock: RLIMIT_CPU arms the process CPU timer, which makes the
        # process clock tick-grained (references' times must be finer)
        self.clock = time.thread_time if cpu else time.monotonic
        self.timer = signal.ITIMER_PROF if cpu else signal.ITIMER_REAL
        self.signum = signal.SIGPROF if cpu else signal.SIGALRM

    def frame(self, kind: bytes, arg: int, payload: bytes = b"") -> None:
        _write_all(self.wfd, _pack(kind, arg, _len(payload)) + payload)

    def _alarm(self, signum, frame):
        self.timed_out = True
        raise _TimeoutException("Timed out!")

    def _stopped(self) -> bool:
        """The worker said "q" (looked at most every 0.5 ms: a syscall per input adds up)."""
        now = _monotonic()
        if now - self.checked < 0.0005:
            return False
        self.checked = now
        try:
            return _read(self.cfd, 1) == b"q"
        except BlockingIOError:
            return False

    def _load(self, code) -> dict:
        """The globals of one run of a compiled program (`_compile`)."""
        g: dict = {}
        with _swallow_io():
            exec(code, g)
        return g

    def _call(self, fn, inp, limit: float, deep: bool):
        """`fn(*inp)` and its time. A reference (`deep`) runs without a per-input timer, as
        in EvalPlus: an armed ITIMER_PROF makes the process CPU clock tick-grained; the
        monitor's phase caps still bound it."""
        self.timed_out = False
        if deep:  # the deep copy may raise: its time counts
            self.started = self.clock()
        _setitimer(self.timer, 0 if deep else limit)
        _signal(self.signum, self._alarm)
        try:
            with _swallow_io():
                args = copy.deepcopy(inp) if deep else inp
                start = self.started = self.clock()
                out = fn(*args)
                took = self.clock() - start
        finally:
            _setitimer(self.timer, 0)
        if self.timed_out:
            raise _TimeoutException("Timed out!")
        return out, took

    def _report_exc(self, i: int, exc: BaseException) -> None:
        if self.timed_out:
            self.frame(b"T", i)
            return
        took = self.clock() - self.started  # until the raise (probes record it)
        if self.req.get("verbose"):  # the benchmark's reference: its class and message help
            name = _str(_type(exc).__name__)[:60]
            with contextlib.suppress(_exc):
                name = (name + ": " + _str(exc))[:300]
        else:  # a candidate's: with the builtin class it is (`pytest.raises` judges by class)
            name = _exc_class_name(exc)
        self.frame(b"E", i, _tpack(took) + name.encode("utf-8", "replace"))

    def _report_value(self, i: int, out, took: float) -> None:
        try:
            data = _dumps(out)
        except _exc as exc:
            self.frame(b"E", i, _tpack(took) + b"Unencodable:" + _str(_type(exc).__name__).encode())
            return
        if _len(data) > FRAME_CAP:
            self.frame(b"E", i, _tpack(took) + b"OutputTooLarge")
            return
        self.frame(b"V", i, _tpack(took) + data)

    def run_phase(self, p: int, phase: dict) -> None:
        deep = self.req["mode"] == "ref"
        if phase.get("repeats"):
            phase["encoded_copy"] = phase["encoded"]
        phase["inputs"] = _codec.loads(phase.pop("encoded"))
        self.frame(b"S", p)
        if "suffix" in phase:
            self._original(phase)
            return
        try:
            code = _compile(self.req["code"])
            fn = self._load(code)[self.req["entry_point"]]
        except _exc as exc:
            self.frame(b"L", p, _str(_type(exc).__name__)[:60].encode("utf-8", "replace"))
            return
        encoded = phase.pop("encoded_copy", None)
        budget_end = self.clock() + phase.get("total_s", 1e12)
        times: list = []  # each input's time; None for a timeout
        leash = 1e12  # probes: the per-input cap once the program has timed out
        for i, inp in _enumerate(phase["inputs"]):
            if self._stopped():
                break
            left = budget_end - self.clock()
            if left <= 0:
                break  # probes: the worker counts the rest as timeouts
            try:
                out, took = self._call(fn, inp, _min(phase["limits"][i], left, leash), deep)
            except _exc as exc:
                self._report_exc(i, exc)
                times.append(None if self.timed_out else self.clock() - self.started)
                if self.timed_out and phase.get("after_timeout_s"):
                    leash = phase["after_timeout_s"]
                continue
            self._report_value(i, out, took)
            times.append(took)
        if phase.get("repeats") and _len(times) == _len(phase["inputs"]):
            self._retime(phase, code, encoded, times)
        self.frame(b"D", p)

    def _retime(self, phase: dict, code, encoded: bytes, times: list) -> None:
        """Probes: time every input again `repeats` times, each pass on a fresh load of the
        program and a fresh decoding of the inputs (no memo or mutated input carries over),
        and report each input's least time ("R" frame). Only when the first pass took under
        `repeat_below_s`: microsecond calls are where one timing is mostly noise, and where
        repeating costs little."""
        done = [t for t in times if t is not None]
        if _len(done) < _len(times) or _sum(done) >= phase["repeat_below_s"]:
            return
        best = list(times)
        # a program fast once may hang the next time: the passes stop at twice their budget
        end = self.clock() + 2 * phase["repeats"] * phase["repeat_below_s"]
        for _ in range(phase["repeats"]):
            left = end - self.clock()
            if self._stopped() or left <= 0:
                break
            g: dict = {}
            try:  # the load is timed too: module-level work counts against the passes' cap
                self._call(exec, (code, g), left, False)
                fn = g[self.req["entry_point"]]
                inputs = _codec.loads(encoded)
            except _exc:
                break
            if not self._time_pass(fn, inputs, best, end):
                break
        self.frame(b"R", 0, b"".join(_tpack(t) for t in best))

    def _time_pass(self, fn, inputs, best: list, end: float) -> bool:
        """One timing pass lowering `best`: each call timed alone (an exception until its
        raise), all under one alarm at the passes' end, so a hang ends the passes (it may
        outlast a per-input limit shorter than that budget; `ExecConfig`'s 0.1 s is longer
        than its passes' 0.04 s). False when the alarm went off."""
        clock = self.clock
        left = end - clock()
        if left <= 0:
            return False
        self.timed_out = False
        _signal(self.signum, self._alarm)
        try:
            with _swallow_io():
                _setitimer(self.timer, left)
                for i, inp in _enumerate(inputs):
                    start = clock()
                    try:  # noqa: SIM105 - suppress() would sit inside the timed region
                        fn(*inp)
                    except _exc:
                        pass
                    took = clock() - start
                    if self.timed_out:
                        return False
                    if took < best[i]:
                        best[i] = took
        except _TimeoutException:  # the alarm between two calls
            return False
        finally:
            _setitimer(self.timer, 0)
        return True

    def _original(self, phase: dict) -> None:
        """The benchmark's own assert-based test: the program and its test suffix together."""
        program = self.req["code"] + "\n" + phase["suffix"]
        start = self.clock()
        try:
            deep = self.req["mode"] != "cand"
            self._call(lambda: self._load(_compile(program)), (), phase["limits"][0], deep)
        except _exc as exc:
            self._report_exc(0, exc)
        else:
            self.frame(b"V", 0, _tpack(self.clock() - start) + b"null")
        self.frame(b"D", 0)

    def run(self) -> None:
        for p, phase in _enumerate(self.req["phases"]):
            if p:
                os.set_blocking(self.cfd, True)
                if _read(self.cfd, 1) != b"n":
                    return
                os.set_blocking(self.cfd, False)
            self.run_phase(p, phase)


def _child_main(req: dict, cfg: dict, wfd: int, cfd: int, workdir: str) -> None:
    """Confine, run, report. Never returns."""
    try:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _confine(cfg, (wfd, cfd), workdir)
        os.set_blocking(cfd, False)
        _Child(req, wfd, cfd).run()
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            why = f"{type(exc).__name__}: {exc}"[:200].encode("utf-8", "replace")
            _write_all(wfd, HEADER.pack(b"C", 0, len(why)) + why)
    _exit(0)


# ---------------------------------------------------------------------------------------------
# The monitor


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except (OSError, ValueError):
        return []


def _tree_cpu_seconds(pid: int, limit: int = 1024) -> float:
    """CPU seconds of a process and its live descendants (a fork bomb's tree counts, not
    only its root; processes that exited are not counted)."""
    total, todo, seen = 0.0, [pid], 0
    while todo and seen < limit:
        p = todo.pop()
        seen += 1
        total += _cpu_seconds(p)
        todo.extend(_children(p))
    return total


def _enter_namespaces(uid: int, gid: int) -> None:
    """New user (same ids), mount, PID, IPC, network and UTS namespaces; the next fork is
    PID 1. Each job its own network namespace: socket state a job leaves behind (a port in
    TIME_WAIT outlives its process) would otherwise carry bits to the zygote's next jobs.
    No user namespace can be made inside: a nested one would give the job the right to
    mount filesystems (an uncapped tmpfs: memory no rlimit counts)."""
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS
    _check(_LIBC.unshare(flags), "unshare")
    for path, text in (
        ("/proc/self/uid_map", f"{uid} {uid} 1"),
        ("/proc/self/setgroups", "deny"),
        ("/proc/self/gid_map", f"{gid} {gid} 1"),
    ):
        with open(path, "w") as fh:
            fh.write(text)
    # This namespace's own limit (kernel >= 4.9). Where /proc/sys is read-only it stays as
    # it was: the job's memory is then bounded as the rlimits bound it (docs/SANDBOX.md).
    with contextlib.suppress(OSError), open("/proc/sys/user/max_user_namespaces", "w") as fh:
        fh.write("0")


def _kill_descendants() -> None:
    """Fallback cleanup: kill and reap every process left under this (subreaper) monitor."""
    me = os.getpid()
    while True:
        try:
            with open(f"/proc/{me}/task/{me}/children") as fh:
                pids = [int(p) for p in fh.read().split()]
        except OSError:
            pids = []
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in pids:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, 0)


class _Watch:
    """The monitor's view of the child's frames: time caps, size caps, protocol."""

    def __init__(self, req: dict, pid: int, setup_s: float) -> None:
        self.req, self.pid, self.setup_s = req, pid, setup_s
        self.cpu_clock = req["clock"] == "cpu"
        self.t0 = time.monotonic()
        self.deadline = self.t0 + setup_s
        self.cpu_cap = self.cpu0 = self.phase_end = self.cpu_checked = 0.0
        self.phase: dict | None = None
        self.started = -1  # the last phase started: each starts once, in order
        self.items = self.items_checked = 0  # inputs answered in the phase; at the last check
        self.item_cpu0 = 0.0  # the tree's CPU seconds when the current input began
        self.total = 0
        self.killed = ""

    def header(self, kind: int, arg: int, size: int) -> None:
        """Account for one frame header; sets `killed` when the child must be stopped."""
        self.total += HEADER.size + size
        now = time.monotonic()
        if kind not in CHILD_KINDS:
            self.killed = "garbage"
        elif size > FRAME_CAP or self.total > REPORT_CAP:
            self.killed = "flood"
        elif kind == ord("S"):
            self._start(arg, now)
        elif kind == ord("D"):
            self.phase = None
            self.deadline = now + self.setup_s
        elif kind in b"VET" and self.phase is not None:
            self.items += 1
            self._next_item(now)

    def _start(self, p: int, now: float) -> None:
        """Phase `p` begins. A phase started again or out of order is a forged frame (it
        would reset the caps: a program re-announcing its phase ran unbounded)."""
        if not self.started < p < len(self.req["phases"]):
            self.killed = "garbage"
            return
        self.started, self.phase = p, self.req["phases"][p]
        self.items = self.items_checked = 0
        if self.cpu_clock:
            self.cpu_cap, self.cpu0 = self.phase["cap"], _tree_cpu_seconds(self.pid)
            self.item_cpu0 = self.cpu0
        self.phase_end = self.deadline = now + self.phase["wall"]
        self._next_item(now)

    def _item_cap(self) -> float:
        """The monitor's cap on the current input of a candidate (references run without a
        per-input timer; probes have `item_wall`). Unbounded (inf) on a phase's first input: it
        shares the program's load, which only the phase cap bounds, as in EvalPlus."""
        assert self.phase is not None
        limits = self.phase.get("limits", ())
        if self.req["mode"] != "cand" or not 1 <= self.items < len(limits):
            return math.inf
        return ITEM_FACTOR * limits[self.items] + ITEM_GRACE_S

    def _next_item(self, now: float) -> None:
        """Each input's wall time is capped: probes' by `item_wall`, a candidate's under the
        wall clock by the item cap (under the CPU clock `_cpu_over` caps its CPU seconds)."""
        assert self.phase is not None
        wall = self.phase.get("item_wall") or (math.inf if self.cpu_clock else self._item_cap())
        self.deadline = min(self.phase_end, now + wall)

    def _cpu_over(self, now: float) -> bool:
        """At most every 0.1 s (walking the tree costs /proc reads)."""
        if now - self.cpu_checked < 0.1:
            return False
        self.cpu_checked = now
        cpu = _tree_cpu_seconds(self.pid)
        if self.items != self.items_checked:  # an input was answered since: the next began
            self.items_checked, self.item_cpu0 = self.items, cpu
        return cpu - self.cpu0 > self.cpu_cap or cpu - self.item_cpu0 > self._item_cap()

    def wait_s(self) -> float:
        """How long to wait for the next bytes; 0 once a cap is exceeded (sets `killed`)."""
        now = time.monotonic()
        over_cpu = self.phase is not None and self.cpu_clock and self._cpu_over(now)
        if now >= self.deadline or over_cpu:
            self.killed = self.killed or "cap"
        if self.killed:
            return 0.0
        return min(self.deadline - now, 0.2) if self.phase is not None else self.deadline - now


def _relay(rfd: int, out: int, watch: _Watch) -> None:
    """Forward the child's frames to the worker until EOF or a cap is hit: what each read
    brings is checked header by header and forwarded in one write (payloads stream)."""
    pending, skip = b"", 0  # an incomplete header; payload bytes still to pass through
    while not watch.killed:
        wait = watch.wait_s()
        if watch.killed:
            return
        ready, _, _ = select.select([rfd], [], [], wait)
        if not ready:
            continue
        chunk = os.read(rfd, 1 << 20)
        if not chunk:
            return
        data = pending + chunk if pending else chunk
        pos, end = 0, _len(data)
        while True:
            take = _min(skip, end - pos)
            pos, skip = pos + take, skip - take
            if skip or end - pos < HEADER.size:
                break
            kind, arg, size = HEADER.unpack_from(data, pos)
            watch.header(kind[0], arg, size)
            if watch.killed:
                break
            pos, skip = pos + HEADER.size, size
        _write_all(out, data[:pos])
        pending = data[pos:]
        if watch.phase is not None and _len(chunk) < COALESCE_BYTES:
            # a phase's frames come one per input: letting them gather for a moment saves
            # a wake-up of this monitor and of the worker per frame (most of a quick
            # input's cost). The child keeps no buffer, so a crash loses nothing.
            time.sleep(COALESCE_S)


def _monitor(fds: list[int], cfg: dict) -> None:
    """One job: read the request, fork the child, relay and police it, summarize."""
    req_fd, out = fds
    t0 = time.monotonic()
    summary: dict = {"killed": "", "status": None, "error": ""}
    try:
        req = _codec.loads(_read_part(req_fd))
        for phase in req["phases"]:  # decoded by the child when (if) it gets there
            phase["encoded"] = _read_part(req_fd)
        workdir = tempfile.mkdtemp(prefix="c", dir=cfg["tmp_root"]) if cfg["tmp_root"] else ""
        if workdir and cfg["drop_to"] is not None:
            os.chown(workdir, *cfg["drop_to"])
        if cfg["namespaces"]:
            _LIBC.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # or /proc/self/uid_map is not ours
            _enter_namespaces(cfg["uid"], cfg["gid"])
            _LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        else:
            _LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.close(r)
            os.close(out)
            _child_main(req, cfg, w, req_fd, workdir)
        os.close(w)
        os.close(req_fd)
        watch = _Watch(req, pid, cfg["setup_s"])
        try:
            _relay(r, out, watch)
        finally:
            summary["relay_s"] = time.monotonic() - t0
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)  # PID 1 of the job's namespace: all of it dies
            if not cfg["namespaces"]:
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
            # The kernel's account of the job's CPU (the child and all its threads: work
            # moved to a thread is missing from the child's own per-input times, measured
            # 0.001 s against 0.20 s here): the one time the candidate cannot misreport
            # (`exec.slowdown` bounds its own by it).
            _, status, usage = os.wait4(pid, 0)
            summary["cpu_s"] = usage.ru_utime + usage.ru_stime
            if not cfg["namespaces"]:
                _kill_descendants()
            if workdir:
                shutil.rmtree(workdir, ignore_errors=True)
        summary["killed"] = watch.killed
        summary["status"] = status
    except BaseException as exc:
        summary["error"] = f"{type(exc).__name__}: {exc}"[:300]
    summary["elapsed"] = time.monotonic() - t0
    body = json.dumps(summary).encode()
    with contextlib.suppress(OSError):
        _write_all(out, HEADER.pack(b"Z", 0, len(body)) + body)
    _exit(0)


# ---------------------------------------------------------------------------------------------
# The zygote


def _self_test(cfg: dict) -> str:
    """ "" when a monitor can make its namespaces here, else why not."""
    pid = os.fork()
    if pid == 0:
        try:
            _enter_namespaces(cfg["uid"], cfg["gid"])
            pid2 = os.fork()
            if pid2 == 0:
                _private_mounts(cfg)
                _drop_all_capabilities()
                _exit(0)
            _, status = os.waitpid(pid2, 0)
            _exit(0 if status == 0 else 2)
        except BaseException:
            _exit(1)
    _, status = os.waitpid(pid, 0)
    return "" if status == 0 else f"namespaces unavailable inside the sandbox (status {status})"


def _setup(cfg: dict) -> dict:
    """Once per zygote: preloads, and (fallback) private network and a temp root."""
    sys.path.extend(p for p in cfg.get("site_paths", ()) if p not in sys.path)
    for mod in cfg.get("preload", ()):
        with contextlib.suppress(Exception):
            __import__(mod)
    info: dict = {"pid": os.getpid()}
    cfg["netns"], cfg["drop_to"] = True, None
    if cfg["namespaces"]:
        info["error"] = _self_test(cfg)
        _LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        return info
    # No bubblewrap to end us with the worker: SIGTERM when it dies (`_end_on_sigterm`), so
    # that `main`'s cleanup removes the temp root (the launcher does when it stops us itself).
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != cfg["worker_pid"]:  # it died before the line above
        raise SystemExit(0)
    cfg["netns"] = os.geteuid() == 0 and _LIBC.unshare(CLONE_NEWNET) == 0
    cfg["drop_to"] = (cfg["uid"], cfg["gid"]) if os.geteuid() == 0 else None
    info.update(netns=cfg["netns"], drop_to=cfg["drop_to"], error="")
    return info


def _end_on_sigterm(ctl: socket.socket) -> None:
    """SIGTERM ends the loop as the worker closing the control socket does. The handler
    raises nothing: an exception would abort the cleanup wherever the signal lands in it,
    and the worker's death delivers both (EOF on its exit, SIGTERM a moment later)."""

    def handler(signum: int, frame: object) -> None:
        with contextlib.suppress(OSError):
            ctl.shutdown(socket.SHUT_RDWR)  # the pending recv returns b"" on its retry

    signal.signal(signal.SIGTERM, handler)


def _cleanup(tmp_root: str) -> None:
    """Fallback: stop the monitors (one starting a job would make its directory under the
    root as the root goes), then remove the root."""
    if tmp_root:
        _kill_descendants()
        shutil.rmtree(tmp_root, ignore_errors=True)


def main() -> None:
    ctl = socket.socket(fileno=int(sys.argv[1]))
    tmp_root = sys.argv[2] if len(sys.argv) > 2 else ""  # the fallback's, made by the launcher
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_on_sigterm(ctl)
    try:
        hello, _, _, _ = socket.recv_fds(ctl, 1 << 16, 0)
        cfg = json.loads(hello)  # raises on EOF: the worker died before saying it
        cfg["tmp_root"] = tmp_root
        ctl.sendall(json.dumps(_setup(cfg)).encode())
        while True:
            msg, fds, _, _ = socket.recv_fds(ctl, 16, 2)
            if msg != b"run" or len(fds) != 2:
                for fd in fds:
                    os.close(fd)
                break
            pid = os.fork()
            if pid == 0:
                ctl.close()
                signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the zygote's handler
                if not cfg["namespaces"]:
                    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
                _monitor(fds, cfg)
            for fd in fds:
                os.close(fd)
            with contextlib.suppress(ChildProcessError):
                while os.waitpid(-1, os.WNOHANG)[0] > 0:
                    pass
    finally:
        _cleanup(tmp_root)


if __name__ == "__main__":
    main()
