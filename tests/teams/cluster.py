"""A team's services on loopback for the end-to-end test: PostgreSQL, Orthancs on it, JupyterHub.

PostgreSQL refuses to run as root, and JupyterHub's ``LocalProcessSpawner`` runs each
reviewer's server as that reviewer's Linux user. Run as root (CI), the database runs
as ``nobody`` (``runuser``) and each reviewer is a throwaway account made with
``useradd`` and removed with ``userdel`` at the end. Run as anyone else (a developer),
the database runs as that user and the reviewers' servers run as that user too
(``SimpleLocalProcessSpawner``, a password-checking authenticator): the hub's
separation of reviewers (tokens, OAuth, one server each) is the same; the separation
of their files by Unix permissions is not tested there.

As root with a checkout or an environment other users cannot read (under ``/root``,
mode 0700), the reviewers cannot be separate accounts either: the servers then run as
root (``--allow-root``) as in the developer's mode. ``WORKBENCH_TEST_ONE_USER=1``
chooses that mode on purpose.

Folders the throwaway users must enter live under a separate ``0755`` temporary
folder: pytest's own temporary root is private to the user running the tests (0700).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parents[1]))
from orthanc_server import free_port

ROOT = Path(__file__).parents[2]
CHP = Path(__file__).parent / "node_modules" / ".bin" / "configurable-http-proxy"
AS_ROOT = os.geteuid() == 0


def _reachable(path: Path) -> bool:
    """Whether any user may enter every folder down to *path* (o+x) and read it."""
    path = path.resolve()
    folders = [path, *path.parents] if path.is_dir() else list(path.parents)
    return all(f.stat().st_mode & 0o001 for f in folders) and bool(path.stat().st_mode & 0o004)


def _site_packages() -> Path:
    return next(p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir())


#: Reviewers as throwaway Linux accounts: as root, when they can read the checkout and the
#: environment's packages (a checkout under /root, mode 0700, they cannot: then every server
#: runs as root, as for a developer without root; the test says so).
SEPARATE_USERS = (
    AS_ROOT
    and not os.environ.get("WORKBENCH_TEST_ONE_USER")  # to try the other mode as root
    and _reachable(ROOT / "workbench")
    and _reachable(_site_packages())
)


def postgres_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` holding initdb, pg_ctl and postgres."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    for initdb in reversed(found):
        if (initdb.parent / "pg_ctl").exists() and (initdb.parent / "postgres").exists():
            return initdb.parent
    which = shutil.which("initdb")
    return Path(which).parent if which and shutil.which("pg_ctl") else None


def proxy_command() -> str | None:
    """configurable-http-proxy: the project-local npm install, else one on PATH."""
    return str(CHP) if CHP.exists() else shutil.which("configurable-http-proxy")


def wait_for(what: str, check: Callable[[], bool], timeout: float, log: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready within {timeout} s:\n{log()}")


def _tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


class Postgres:
    """A throwaway PostgreSQL cluster in *root*: loopback TCP on a free port, password auth."""

    def __init__(self, root: Path) -> None:
        binary = postgres_bin()
        if binary is None:
            raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin, self.root = binary, root
        self.port = free_port()
        self.user, self.password, self.database = "orthanc", secrets.token_hex(12), "orthanc"
        self.owner = "nobody" if AS_ROOT else None

    def _run(self, *args: str) -> None:
        cmd = ["runuser", "-u", self.owner, "--", *args] if self.owner else list(args)
        subprocess.run(cmd, check=True, capture_output=True, cwd="/", timeout=60)

    def start(self) -> Postgres:
        self.root.mkdir(parents=True, exist_ok=True)
        pwfile = self.root / "pw"
        pwfile.write_text(self.password)
        if self.owner:
            uid = pwd.getpwnam(self.owner).pw_uid
            os.chown(self.root, uid, -1)
            os.chown(pwfile, uid, -1)
        data = self.root / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-U", self.user, "-E", "UTF8",
                  "--auth=scram-sha-256", f"--pwfile={pwfile}", "--no-sync")  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.root / "pg.log"),
                  "-w", "-t", "30", "-o", options, "start")  # fmt: skip
        env = {**os.environ, "PGPASSWORD": self.password}
        subprocess.run(
            [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
             self.database],
            check=True, capture_output=True, env=env, timeout=30,
        )  # fmt: skip
        return self

    def orthanc_settings(self) -> dict[str, object]:
        return {"Host": "127.0.0.1", "Port": self.port, "Database": self.database,
                "Username": self.user, "Password": self.password}  # fmt: skip

    def stop(self) -> None:
        data = self.root / "data"
        if (data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")


class Reviewer:
    """A hub user: a throwaway Linux account when running as root."""

    def __init__(self, name: str, base: Path) -> None:
        self.name = name
        self.password = secrets.token_urlsafe(12)
        self.home = base / "home" / name
        self.token = ""
        self.created = False

    def create(self) -> None:
        if not SEPARATE_USERS:
            self.home.mkdir(parents=True)
            return
        self.home.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["useradd", "--create-home", "--home-dir", str(self.home), "--shell",
                        "/usr/sbin/nologin", "--user-group", self.name],
                       check=True, capture_output=True, timeout=30)  # fmt: skip
        self.created = True
        subprocess.run(["chpasswd"], input=f"{self.name}:{self.password}\n", text=True,
                       check=True, capture_output=True, timeout=30)  # fmt: skip

    def remove(self) -> None:
        if self.created:
            subprocess.run(["pkill", "-KILL", "-u", self.name], capture_output=True, timeout=10)
            subprocess.run(["userdel", "--remove", self.name], capture_output=True, timeout=30)
            self.created = False


def reviewer_python(base: Path) -> Path:
    """An interpreter the reviewers' accounts can run, with this environment's packages.

    The test's own interpreter may sit where other users cannot enter (pyenv under
    ``/root``, mode 0700): the trap the example's comment warns about. As root, a
    package-less venv of the system's Python of the same version is made in *base*, and a
    ``.pth`` file adds this environment's site-packages (editable installs included).
    """
    if not SEPARATE_USERS:
        return Path(sys.executable)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    system = Path(f"/usr/bin/python{version}")
    if not system.exists():
        raise FileNotFoundError(f"{system} (the reviewers' interpreter) is not installed")
    venv = base / "reviewer-venv"
    subprocess.run([str(system), "-m", "venv", "--without-pip", str(venv)], check=True,
                   capture_output=True, timeout=60)  # fmt: skip
    ours = _site_packages()
    theirs = venv / "lib" / f"python{version}" / "site-packages"
    (theirs / "workbench-env.pth").write_text(f"import site; site.addsitedir({str(ours)!r})\n")
    return venv / "bin" / "python"


class Hub:
    """JupyterHub from ``examples/jupyterhub_config.py``, adapted to loopback and throwaways."""

    def __init__(
        self, root: Path, reviewers: list[Reviewer], environment: dict[str, str], python: Path
    ) -> None:
        self.root, self.reviewers, self.environment = root, reviewers, environment
        self.python = python
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> str:
        names = {r.name for r in self.reviewers}
        lines = [
            f"load_subconfig({str(ROOT / 'examples' / 'jupyterhub_config.py')!r})",
            f"c.JupyterHub.hub_port = {free_port()}",
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{free_port()}'",
            f"c.ConfigurableHTTPProxy.command = [{proxy_command()!r}]",
            "c.JupyterHub.cleanup_servers = True",
            "c.Spawner.interrupt_timeout = c.Spawner.term_timeout = c.Spawner.kill_timeout = 2",
            f"c.Spawner.cmd = [{str(self.python)!r}, '-m', 'jupyterhub.singleuser']",
        ]
        if not SEPARATE_USERS:  # no other Linux accounts: every server runs as this user
            passwords = {r.name: r.password for r in self.reviewers}
            lines += [
                "from jupyterhub.auth import Authenticator",
                "class PasswordAuthenticator(Authenticator):",
                f"    passwords = {passwords!r}",
                "    async def authenticate(self, handler, data):",
                "        name = data.get('username', '')",
                "        if self.passwords.get(name) == data.get('password'):",
                "            return name",
                "        return None",
                "c.JupyterHub.authenticator_class = PasswordAuthenticator",
                "c.JupyterHub.spawner_class = 'simple'",
                "c.SimpleLocalProcessSpawner.home_dir_template = "
                f"{str(self.reviewers[0].home.parent / '{username}')!r}",
            ]
            if AS_ROOT:
                lines.append("c.Spawner.args = ['--allow-root']")
        lines.append(f"c.Authenticator.allowed_users = {names!r}")
        return "\n".join(lines) + "\n"

    def start(self) -> Hub:
        """Start the hub (and its proxy) in the background; :meth:`wait` for it."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "hub_config.py"
        path.write_text(self.config())
        env = {
            **os.environ,
            **self.environment,
            "WORKBENCH_HUB_URL": self.url,
            "WORKBENCH_HUB_STATE": str(self.root),
            "WORKBENCH_REVIEWERS": ",".join(r.name for r in self.reviewers),
            "WORKBENCH_COORDINATORS": "",
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        }
        env.pop("WORKBENCH_DEID_SECRET", None)
        log = (self.root / "hub.log").open("wb")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("jupyterhub")), "-f", str(path)],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.root, env=env,
            start_new_session=True,
        )  # fmt: skip
        return self

    def wait(self, timeout: float = 60) -> Hub:
        """Wait until the hub's API answers through the proxy."""
        wait_for("JupyterHub", lambda: self._alive() and requests.get(
            f"{self.url}/hub/api/", timeout=1).ok, timeout, self.log_tail)  # fmt: skip
        return self

    def _alive(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"JupyterHub exited at start:\n{self.log_tail()}")
        return True

    def log_tail(self) -> str:
        return _tail(self.root / "hub.log")

    def login(self, reviewer: Reviewer) -> str:
        """A token for *reviewer*, from their user name and password (the hub's authenticator)."""
        answer = requests.post(
            f"{self.url}/hub/api/users/{reviewer.name}/tokens",
            json={"auth": {"username": reviewer.name, "password": reviewer.password},
                  "note": "teams test", "expires_in": 600},
            timeout=30,
        )  # fmt: skip
        answer.raise_for_status()
        reviewer.token = str(answer.json()["token"])
        return reviewer.token

    def api(self, method: str, path: str, token: str, **kwargs: object) -> requests.Response:
        return requests.request(
            method, self.url + path, headers={"Authorization": f"token {token}"},
            timeout=30, **kwargs,  # type: ignore[arg-type]
        )  # fmt: skip

    def start_server(self, reviewer: Reviewer) -> None:
        answer = self.api("POST", f"/hub/api/users/{reviewer.name}/server", reviewer.token)
        if answer.status_code not in (201, 202):
            raise RuntimeError(f"spawn of {reviewer.name}: {answer.status_code} {answer.text}")

    def wait_server(self, reviewer: Reviewer, timeout: float = 60) -> None:
        def ready() -> bool:
            user = self.api("GET", f"/hub/api/users/{reviewer.name}", reviewer.token).json()
            server = user.get("servers", {}).get("", {})
            return bool(server.get("ready"))

        wait_for(f"{reviewer.name}'s server", ready, timeout, self.log_tail)

    def stop(self) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # the hub, the proxy and the servers
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


def run_in_kernel(hub: Hub, reviewer: Reviewer, code: str, timeout: float = 60) -> str:
    """Start a kernel on *reviewer*'s server (REST), run *code* (websocket), return its stdout."""
    import websocket  # websocket-client, in the lock as a Jupyter dependency

    base = f"/user/{reviewer.name}/api"
    answer = hub.api("POST", f"{base}/kernels", reviewer.token, json={"name": "python3"})
    answer.raise_for_status()
    kernel = answer.json()["id"]
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{hub.port}{base}/kernels/{kernel}/channels",
        header=[f"Authorization: token {reviewer.token}"],
        timeout=timeout,
    )
    try:
        msg_id = secrets.token_hex(8)
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": reviewer.name, "session": msg_id,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        }))  # fmt: skip
        out: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                raise RuntimeError(f"{reviewer.name}'s kernel: " + "\n".join(content["traceback"]))
            elif kind == "execute_reply":
                return "".join(out)
        raise RuntimeError(f"{reviewer.name}'s kernel did not answer within {timeout} s")
    finally:
        ws.close()
        hub.api("DELETE", f"{base}/kernels/{kernel}", reviewer.token)
