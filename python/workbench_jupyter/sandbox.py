"""The workbench's kernel provisioner: every kernel runs in a bubblewrap sandbox bound to one workspace.

Jupyter Server hands the provisioner the kernel's working folder (``cwd``), which it computed itself from the
``path`` of ``POST /api/kernels`` under its ``root_dir`` (the workbench's ``<DATA_DIR>/workspaces``). The
provisioner derives the workspace from that folder alone and refuses anything but ``<root>/<id>/data``; the
kernel's own input (its environment, its files) is never consulted.

Inside the sandbox the kernel sees: ``/usr`` and the Python environment read-only, its workspace folder
read-write at the same absolute path (Parquet hand-over paths stay valid), a private ``/tmp`` and ``/dev/shm``,
its own ``/proc``, and one folder holding its connection file and ZMQ IPC sockets. Nothing else of the data
folder (keys, metadata DB, other workspaces, other kernels' connection files) exists in its mount view. It has
its own network namespace (no interface but a loopback of its own), its own PID namespace, a clean
environment, resource limits (prlimit), and -- when the server runs as root -- its own unprivileged uid.

A remote Jupyter / Enterprise Gateway deployment replaces this class with a container-per-workspace
provisioner; the workbench sends the same ``path`` and a ``KERNEL_WORKSPACE_ID`` env entry for that case.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from tornado.web import HTTPError
from traitlets import Int, Unicode

WORKSPACE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# The server keeps these open in-process; the kernel may read them but never write them in place.
SERVER_FILES = frozenset({"workspace.duckdb", "workspace.duckdb.wal"})
# Read-only files of /etc a Python process needs (dynamic linker cache, time zone, CA bundle).
ETC_FILES = ("ld.so.cache", "localtime", "ssl", "ca-certificates", "mime.types")

# Runs inside the sandbox as the workspace uid: make sure the per-workspace pip layer exists (a venv whose
# site-packages comes first and pulls in the shared environment through a .pth), then exec the kernel with it.
LAUNCHER = r"""
set -e
layer="$1"; shared_site="$2"; base_python="$3"; version="$4"; home="$5"; forwarder="$6"; shift 6
site="$layer/lib/python$version/site-packages"
if [ ! -x "$layer/bin/python3" ] || [ ! -f "$layer/pyvenv.cfg" ] || [ ! -f "$site/_workbench_shared.pth" ]; then
  mkdir -p "$layer/bin" "$site"
  printf 'home = %s\ninclude-system-site-packages = false\nversion = %s\n' "$(dirname "$base_python")" "$version" > "$layer/pyvenv.cfg"
  ln -sf "$base_python" "$layer/bin/python3"
  ln -sf python3 "$layer/bin/python"
  printf 'import site; site.addsitedir(%s)\n' "'$shared_site'" > "$site/_workbench_shared.pth"
fi
mkdir -p .exchange "$home" "${MPLCONFIGDIR:-.python/matplotlib}"
if [ -n "$forwarder" ] && [ -S /run/workbench-egress/proxy.sock ]; then
  "$base_python" -I -c "$forwarder" </dev/null >/dev/null 2>&1 || true
fi
shift
exec "$layer/bin/python3" "$@"
"""

# Run by the kernel at start (IPKernelApp.exec_lines): `%pip install` says where it installed, since the answer
# ("this workspace only") is not what a Jupyter user expects from one shared environment.
PIP_NOTICE = r"""
def __wb_pip_notice():
    import os
    shell = get_ipython()
    original = shell.find_line_magic("pip")
    if original is None:
        return
    where = os.environ.get("VIRTUAL_ENV", "")

    def pip(line=""):
        result = original(line)
        if line.split()[:1] == ["install"]:
            print(
                f"[workbench] pip installs into this workspace's own environment ({where}): only this "
                "workspace's kernels see it; the shared environment is unchanged."
            )
        return result

    pip.__doc__ = original.__doc__
    shell.register_magic_function(pip, "line", "pip")


__wb_pip_notice()
del __wb_pip_notice
"""

EGRESS_MOUNT = "/run/workbench-egress"
EGRESS_PORT = 3128
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "PIP_PROXY")
# Runs inside the sandbox, in the kernel's own network namespace: listens on 127.0.0.1:3128 and relays each
# connection to the workbench's egress proxy socket of this workspace (the only way out). It forks once it
# listens, so the kernel starts only when the proxy address answers.
FORWARDER = r"""
import os, socket, threading
SOCK = "/run/workbench-egress/proxy.sock"
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 3128))
srv.listen(64)
if os.fork():
    os._exit(0)
os.setsid()
def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass
def handle(c):
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        u.connect(SOCK)
    except OSError:
        c.close()
        return
    t = threading.Thread(target=pipe, args=(u, c), daemon=True)
    t.start()
    pipe(c, u)
    t.join()
    c.close()
    u.close()
while True:
    conn, _ = srv.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
"""


def egress_folder(root: str, workspace_id: str) -> str | None:
    """Asks the workbench for the workspace's egress proxy socket; its folder, or None (no egress)."""
    import socket

    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(os.path.join(root, "control.sock"))
            s.sendall(f"{workspace_id}\n".encode())
            answer = s.recv(64)
    except OSError:
        return None
    folder = os.path.join(root, workspace_id)
    return folder if answer.startswith(b"ok") and os.path.exists(os.path.join(folder, "proxy.sock")) else None


class WorkspaceRefused(HTTPError):
    """No kernel is started here (not a workspace folder, or the workspace is over its quota).

    An HTTPError, so Jupyter answers the start request with 403 and this message instead of "Unhandled error".
    """

    def __init__(self, message: str) -> None:
        super().__init__(403, message)


def workspace_of(cwd: str | None, root: str) -> tuple[str, str]:
    """The (workspace id, workspace folder) a kernel working folder belongs to, or WorkspaceRefused.

    Only ``<root>/<id>/data`` qualifies, with every component a real folder (no symlink anywhere).
    """
    if not cwd:
        raise WorkspaceRefused("a kernel must be started in a workspace folder")
    real_root = os.path.realpath(root)
    folder = os.path.normpath(cwd)
    if os.path.realpath(folder) != folder:
        raise WorkspaceRefused("the kernel folder must not contain symbolic links")
    parent, leaf = os.path.split(folder)
    grandparent, workspace_id = os.path.split(parent)
    if leaf != "data" or grandparent != real_root or not WORKSPACE_ID.match(workspace_id):
        raise WorkspaceRefused("the kernel folder is not a workspace folder")
    if not os.path.isdir(folder):
        raise WorkspaceRefused("the workspace folder does not exist")
    return workspace_id, folder


def sandbox_uid(state_dir: str, workspace_id: str, base: int) -> int:
    """The workspace's own uid: allocated once (never reused), kept in ``<state_dir>/sandbox-uids.json``."""
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    path = os.path.join(state_dir, "sandbox-uids.json")
    with open(os.path.join(state_dir, "sandbox-uids.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(path) as f:
                uids: dict[str, int] = json.load(f)
        except FileNotFoundError:
            uids = {}
        if workspace_id in uids:
            return uids[workspace_id]
        uid = max([base - 1, *uids.values()]) + 1
        uids[workspace_id] = uid
        temp = f"{path}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(uids, f)
        os.replace(temp, path)
        return uid


def adopt_folder(folder: str, uid: int) -> int:
    """Gives the workspace folder to its uid; returns the bytes it holds.

    The tree is writable by the sandbox, so walk it by file descriptor without following links (os.fwalk),
    and never chown a file with other hard links (it could be a planted link to a file outside).
    """
    total = 0
    top = os.lstat(folder)
    if top.st_uid != uid:
        os.chown(folder, uid, uid, follow_symlinks=False)
    for _dirpath, dirnames, filenames, dirfd in os.fwalk(folder, follow_symlinks=False):
        for name in dirnames + filenames:
            try:
                st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
            except FileNotFoundError:
                continue
            total += st.st_size
            if st.st_uid == uid or (dirfd_is_top(dirfd, top) and name in SERVER_FILES):
                continue
            if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
                continue
            os.chown(name, uid, uid, dir_fd=dirfd, follow_symlinks=False)
    return total


def dirfd_is_top(dirfd: int, top: os.stat_result) -> bool:
    st = os.fstat(dirfd)
    return st.st_ino == top.st_ino and st.st_dev == top.st_dev


class SandboxProvisioner(LocalProvisioner):
    """LocalProvisioner that launches the kernel inside bubblewrap, bound to its workspace."""

    workspaces_root = Unicode(help="Jupyter's root_dir: <DATA_DIR>/workspaces.").tag(config=True)
    state_dir = Unicode(help="Server-only folder for the workspace uid table.").tag(config=True)
    bwrap = Unicode("bwrap", help="The bubblewrap executable.").tag(config=True)
    uid_base = Int(200_000, help="First uid handed to a workspace (root only).").tag(config=True)
    memory_bytes = Int(8 * 1024**3, help="Address-space limit of each kernel process (0: none).").tag(config=True)
    cpu_seconds = Int(0, help="CPU seconds a kernel process may use (0: no limit).").tag(config=True)
    max_processes = Int(512, help="Processes and threads of one workspace uid (root only).").tag(config=True)
    max_open_files = Int(4096, help="Open files per kernel process.").tag(config=True)
    max_file_bytes = Int(16 * 1024**3, help="Largest file a kernel may write (0: none).").tag(config=True)
    tmp_bytes = Int(1024**3, help="Size of the kernel's private /tmp.").tag(config=True)
    egress_root = Unicode(
        "", help="The workbench's kernel egress proxy folder (control.sock, <workspace>/proxy.sock); empty: none."
    ).tag(config=True)
    disk_quota_bytes = Int(0, help="No kernel starts while the workspace folder holds more (0: none).").tag(
        config=True
    )

    socket_dir: str | None = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        km = self.parent
        root = self.workspaces_root or getattr(getattr(km, "parent", None), "root_dir", "")
        workspace_id, folder = workspace_of(kwargs.get("cwd"), root)
        privileged = os.geteuid() == 0
        uid = sandbox_uid(self.state_dir or os.path.join(root, "..", "jupyter"), workspace_id, self.uid_base) if privileged else os.getuid()
        if privileged:
            used = adopt_folder(folder, uid)
            if self.disk_quota_bytes and used > self.disk_quota_bytes:
                raise WorkspaceRefused(
                    f"the workspace folder holds {used >> 20} MiB, over its quota of {self.disk_quota_bytes >> 20} MiB: delete files first"
                )

        # Connection file and IPC sockets in one short private folder (socket paths are limited to 107 bytes).
        if self.socket_dir is None:
            self.socket_dir = tempfile.mkdtemp(prefix="wbk-")
            if privileged:
                os.chown(self.socket_dir, uid, uid)
        km.transport = "ipc"
        km.cache_ports = False
        km.ip = os.path.join(self.socket_dir, "s")
        km.connection_file = os.path.join(self.socket_dir, "connection.json")
        kwargs = await super().pre_launch(**kwargs)
        if privileged:
            os.chown(km.connection_file, uid, uid)
        self._write_identity(uid)

        shared_prefix = sys.prefix
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        shared_site = os.path.join(os.path.realpath(shared_prefix), "lib", f"python{version}", "site-packages")
        base_python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
        layer = os.path.join(folder, ".python", "venv")
        home = "/tmp/home"
        egress = egress_folder(self.egress_root, workspace_id) if self.egress_root else None
        if self.egress_root and egress is None:
            self.log.warning("kernel %s: the workbench egress proxy did not answer; no egress", self.kernel_id)
        cmd = [
            *self._limits(),
            self.bwrap,
            *self._namespaces(privileged),
            *self._mounts(folder, [shared_prefix, sys.base_prefix]),
            *(["--perms", "0755", "--dir", "/run", "--ro-bind", egress, EGRESS_MOUNT] if egress else []),
            "--chdir", folder,
            "--setenv", "JPY_PARENT_PID", "1",  # the launcher set the server pid: no parent poller inside
            "--",
            *(self._drop_privileges(uid) if privileged else []),
            "/bin/sh", "-c", LAUNCHER, "sh", layer, shared_site, base_python, version, home,
            FORWARDER if egress else "",
            *kwargs["cmd"],
            f"--IPKernelApp.exec_lines={PIP_NOTICE}",
        ]  # fmt: skip
        kwargs["cmd"] = cmd
        kwargs["env"] = {
            "PATH": f"{layer}/bin:/usr/local/bin:/usr/bin:/bin",
            "HOME": home,
            "LANG": "C.UTF-8",
            "TMPDIR": "/tmp",
            "VIRTUAL_ENV": layer,
            # The environment is read-only and /tmp is per kernel: matplotlib's config and font cache live in the
            # workspace, built once instead of at every kernel start.
            "MPLCONFIGDIR": os.path.join(folder, ".python", "matplotlib"),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "WORKBENCH_WORKSPACE_ID": workspace_id,
            **({k: f"http://127.0.0.1:{EGRESS_PORT}" for k in PROXY_VARS} if egress else {}),
            **({"JPY_SESSION_NAME": kwargs["env"]["JPY_SESSION_NAME"]} if "JPY_SESSION_NAME" in kwargs["env"] else {}),
        }
        kwargs["cwd"] = folder
        self.log.info("kernel %s: sandboxed in workspace %s (uid %s)", self.kernel_id, workspace_id, uid)
        return kwargs

    def _limits(self) -> list[str]:
        args = ["prlimit", f"--nofile={self.max_open_files}"]
        if self.memory_bytes:
            args.append(f"--as={self.memory_bytes}")
        if self.cpu_seconds:
            args.append(f"--cpu={self.cpu_seconds}")
        if self.max_file_bytes:
            args.append(f"--fsize={self.max_file_bytes}")
        if os.geteuid() == 0 and self.max_processes:
            args.append(f"--nproc={self.max_processes}")
        return [*args, "--"]

    def _namespaces(self, privileged: bool) -> list[str]:
        spaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        if not privileged:
            # Without root there is no other uid to give: a user namespace of our own uid, and no nested ones.
            spaces += ["--unshare-user", "--disable-userns"]
        return [*spaces, "--hostname", "workbench-kernel", "--die-with-parent", "--new-session"]

    def _mounts(self, folder: str, python_prefixes: list[str]) -> list[str]:
        args = ["--ro-bind", "/usr", "/usr"]
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        args += ["--perms", "0755", "--dir", "/etc"]
        for name in ETC_FILES:
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm"]
        args += ["--perms", "1777", "--size", str(self.tmp_bytes), "--tmpfs", "/tmp"]
        assert self.socket_dir is not None
        binds: list[tuple[str, str, str]] = []
        for prefix in python_prefixes:
            for dest in dict.fromkeys((prefix, os.path.realpath(prefix))):
                if not dest.startswith("/usr/"):
                    binds.append(("--ro-bind", os.path.realpath(prefix), dest))
        binds += [("--bind", folder, folder), ("--bind", self.socket_dir, self.socket_dir)]
        # bwrap creates missing parents of a mount point 0700 (root-only): make them traversable.
        parents: dict[str, None] = {}
        for _kind, _source, dest in binds:
            parent = os.path.dirname(dest)
            chain = []
            while parent not in ("/", ""):
                chain.append(parent)
                parent = os.path.dirname(parent)
            parents.update(dict.fromkeys(reversed(chain)))
        for parent in parents:
            if parent not in ("/usr", "/proc", "/dev") and not parent.startswith("/usr/"):
                args += ["--perms", "0755", "--dir", parent]
        for kind, source, dest in binds:
            args += [kind, source, dest]
        args += ["--ro-bind", os.path.join(self.socket_dir, "passwd"), "/etc/passwd"]
        args += ["--ro-bind", os.path.join(self.socket_dir, "group"), "/etc/group"]
        return args

    @staticmethod
    def _drop_privileges(uid: int) -> list[str]:
        return [
            "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
        ]  # fmt: skip

    def _write_identity(self, uid: int) -> None:
        assert self.socket_dir is not None
        for name, line in (
            ("passwd", f"root:x:0:0:root:/root:/usr/sbin/nologin\nkernel:x:{uid}:{uid}:kernel:/tmp/home:/bin/sh\n"),
            ("group", f"root:x:0:\nkernel:x:{uid}:\n"),
        ):
            path = os.path.join(self.socket_dir, name)
            with open(path, "w") as f:
                f.write(line)
            os.chmod(path, 0o644)

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if not restart and self.socket_dir:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
            self.socket_dir = None
