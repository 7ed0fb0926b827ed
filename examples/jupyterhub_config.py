"""JupyterHub for the workbench's reviewers: one JupyterLab per reviewer, the PACS given to all.

    jupyterhub -f examples/jupyterhub_config.py

Settings come from the hub's environment (a systemd ``EnvironmentFile``), so that this
file holds no password:

``WORKBENCH_REVIEWERS``, ``WORKBENCH_COORDINATORS``
    Comma-separated Linux user names allowed to log in; coordinators are hub admins.
``WORKBENCH_CASES``
    The shared folder of case uploads, read-only to reviewers (default ``/srv/cases``).
``WORKBENCH_PACS_URL``
    The DICOMweb root, e.g. ``dicomweb+https://pacs.example.org/dicom-web``.
``WORKBENCH_PACS_USER``, ``WORKBENCH_PACS_PASSWORD``
    The reviewers' account on the PACS (see the README: Orthanc's basic authentication
    has no read-only users; use a separate account from the coordinators').
``WORKBENCH_HUB_URL``
    Where the hub listens (default ``http://127.0.0.1:8000``, behind a TLS proxy).
``WORKBENCH_HUB_STATE``
    The hub's own files: database, cookie secret (default ``/var/lib/jupyterhub``).

Each reviewer logs in with their Linux account (PAM) and gets their own server,
running as their own user, with their own workbench home (``~/.workbench``): their
workspaces, measurements and notebooks are theirs. JupyterHub puts the hub user
name in ``JUPYTERHUB_USER``; the workbench records it as the observer of every
measurement and as the reviewer of every case notebook and opinion page. The
de-identification secret is never passed on: reviewers read de-identified studies.
"""

import os
import sys
from pathlib import Path

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - JupyterHub provides it


def _names(variable: str) -> set[str]:
    return {n.strip() for n in os.environ.get(variable, "").split(",") if n.strip()}


reviewers = _names("WORKBENCH_REVIEWERS")
coordinators = _names("WORKBENCH_COORDINATORS")
state = Path(os.environ.get("WORKBENCH_HUB_STATE", "/var/lib/jupyterhub"))

# --- the hub ------------------------------------------------------------------------------
c.JupyterHub.bind_url = os.environ.get("WORKBENCH_HUB_URL", "http://127.0.0.1:8000")
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")

# --- who may log in: Linux accounts (PAM), only the listed ones -----------------------------
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = reviewers | coordinators
c.Authenticator.admin_users = coordinators
c.PAMAuthenticator.open_sessions = False  # no login session per server (systemd-logind)

# --- one server per reviewer, as that reviewer's own user -----------------------------------
c.JupyterHub.spawner_class = "localprocess"
# The single-user server from the environment the hub runs in; every reviewer's account must
# be able to read (and execute) it and the workbench package it imports.
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
c.Spawner.default_url = "/lab"
# Kernels talk to the server over CurveZMQ-encrypted loopback sockets (jupyter_client >= 8.10).
c.Spawner.args = ["--KernelManager.transport_encryption=auto"]
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
c.Spawner.environment = {
    # where the cases are, and the PACS every reviewer reads from
    "WORKBENCH_CASES": os.environ.get("WORKBENCH_CASES", "/srv/cases"),
    "WORKBENCH_PACS_URL": os.environ.get("WORKBENCH_PACS_URL", ""),
    "WORKBENCH_PACS_USER": os.environ.get("WORKBENCH_PACS_USER", ""),
    "WORKBENCH_PACS_PASSWORD": os.environ.get("WORKBENCH_PACS_PASSWORD", ""),
    # each reviewer's own workspaces (the default, said here so it is not changed by mistake)
    "WORKBENCH_HOME": "~/.workbench",
}
# A CT study in memory is about 1 GB; container spawners enforce this, LocalProcessSpawner not.
c.Spawner.mem_limit = "6G"
# Servers nobody has used for an hour are stopped by the idle culler, if installed
# (pip install jupyterhub-idle-culler; see its README for the service entry).
