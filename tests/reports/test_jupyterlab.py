"""JupyterLab, for real: the server starts, offers the lozells-analysis kernel, and a report
notebook opens and renders in Chromium.

The server runs on a free loopback port with a random token, over a temporary copy of the
notebooks (so opening one never writes checkpoints or workspace files into the repository),
and with its runtime, config and workspace folders in the test's temporary folder. It is shut
down (with the kernel it started) whatever happens.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .. import browser_support as support

pytestmark = pytest.mark.slow

ROOT = support.ROOT
JUPYTER = Path(sys.executable).parent / "jupyter"
KERNEL = "lozells-analysis"
NOTEBOOK = "01_data_quality.ipynb"
PATIENCE = 120.0  # a guard against a hung server, never an assertion about speed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str, token: str) -> tuple[int, object]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def first_heading(notebook: Path) -> str:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"])
            for line in source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    pytest.fail(f"{notebook} has no markdown title ('# ...') to look for")


def notebooks_dir() -> Path:
    return Path(os.environ.get("LOZELLS_TEST_NOTEBOOKS") or ROOT / "notebooks")


def the_notebook() -> Path:
    path = notebooks_dir() / NOTEBOOK
    if path.is_file():
        return path
    others = sorted(notebooks_dir().glob("*.ipynb"))
    if not others:
        pytest.fail("notebooks/ holds no notebook to open in JupyterLab")
    return others[0]


def test_first_heading_reads_the_markdown_title(tmp_path):
    nb = tmp_path / "x.ipynb"
    nb.write_text(
        json.dumps(
            {
                "cells": [
                    {"cell_type": "code", "source": "# not a title"},
                    {"cell_type": "markdown", "source": ["Intro\n", "# Data quality: Lozells\n"]},
                ]
            }
        )
    )
    assert first_heading(nb) == "Data quality: Lozells"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running JupyterLab over a copy of notebooks/: (base URL, token, root folder)."""
    tmp_path = tmp_path_factory.mktemp("lab")
    if not JUPYTER.is_file():
        pytest.fail(f"{JUPYTER} is missing: run `make install`")
    root = tmp_path / "project"
    shutil.copytree(
        notebooks_dir(), root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    port, token = free_port(), secrets.token_hex(24)
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
    }
    log = open(tmp_path / "lab.log", "w")  # noqa: SIM115 - closed in the finally below
    server = subprocess.Popen(
        [
            str(JUPYTER),
            "lab",
            "--no-browser",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.open_browser=False",
            "--ServerApp.port_retries=0",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=root,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            if server.poll() is not None:
                pytest.fail(
                    "jupyter lab exited early:\n" + (tmp_path / "lab.log").read_text()[-3000:]
                )
            try:
                status, _ = get_json(f"{base}/api/status", token)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    "jupyter lab did not answer /api/status:\n"
                    + (tmp_path / "lab.log").read_text()[-3000:]
                )
            time.sleep(0.2)
        yield base, token, root
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)  # stops its kernels too
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        log.close()


def test_jupyterlab_refuses_requests_without_the_token(lab):
    base, token, _ = lab
    status, _ = get_json(f"{base}/api/kernelspecs", "wrong-" + token)
    assert status == 403


def test_jupyterlab_offers_the_project_kernel(lab):
    base, token, _ = lab
    status, specs = get_json(f"{base}/api/kernelspecs", token)
    assert status == 200
    assert KERNEL in specs["kernelspecs"], sorted(specs["kernelspecs"])
    spec = specs["kernelspecs"][KERNEL]["spec"]
    assert spec["language"] == "python"
    assert "lozells" in spec["display_name"].lower()


def test_a_report_notebook_opens_and_renders_in_jupyterlab(lab, tmp_path):
    base, token, root = lab
    notebook = the_notebook()
    title = first_heading(notebook)
    kernelspec = json.loads(notebook.read_text())["metadata"].get("kernelspec", {})
    assert kernelspec.get("name") == KERNEL, f"{notebook.name} does not use the {KERNEL} kernel"
    url = f"{base}/lab/tree/notebooks/{notebook.name}?token={token}"
    with support.chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        # the markdown title rendered as a heading in the notebook panel
        heading = page.locator(".jp-Notebook .jp-RenderedMarkdown h1", has_text=title).first
        heading.wait_for(state="visible", timeout=PATIENCE * 1000)
        # the parameters cell is there as code
        page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(
            state="visible", timeout=PATIENCE * 1000
        )
        # and the notebook is attached to the project's kernel (the session appears once
        # the kernel has started)
        deadline = time.monotonic() + PATIENCE
        while True:
            status, sessions = get_json(f"{base}/api/sessions", token)
            kernels = {
                s["kernel"]["name"]
                for s in sessions or []
                if notebook.name in (s.get("name"), Path(s.get("path", "")).name)
            }
            if kernels or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        page.screenshot(
            path=str(support.screenshot_path(tmp_path, f"jupyterlab-{notebook.stem}", 1280))
        )
        context.close()
    assert status == 200
    assert kernels == {KERNEL}, sessions
