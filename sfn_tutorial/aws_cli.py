"""The AWS CLI, installed on first use into a virtual environment of its own, run on the target.

Notebook 12 runs the commands a team types (``aws cloudformation package``, ``aws
cloudformation deploy``) with the real AWS CLI. Its pins (``requirements-aws-cli.txt``) are not
the tutorial's, so it lives apart from ``.venv``: in ``.aws-cli/`` at the project's root, made
the first time it is needed (about 10 seconds and 200 MB; ``make clean`` removes it). The AWS
CLI version 1 is used because it installs from PyPI in seconds with nothing but Python; the SAM
CLI is 340 MB of packages and its ``sam build`` needs the functions' exact Python (or Docker).

The CLI runs with the kernel's environment, so it reaches the same target as boto3: on the
local target ``helpers.connect()`` has set ``AWS_ENDPOINT_URL`` and the emulator's credentials;
on the aws target it uses your profile.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sfn_tutorial.i18n import t

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CLI_DIR = PROJECT_ROOT / ".aws-cli"
REQUIREMENTS = PROJECT_ROOT / "requirements-aws-cli.txt"
INSTALLED_MARKER = ".installed"  # holds the digest of the requirements it was installed from


class CliError(RuntimeError):
    """The AWS CLI could not be installed or run; the message says why."""


def executable() -> Path:
    """Where the installed ``aws`` program is."""
    return CLI_DIR / "bin" / "aws"


def _wanted() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def is_installed() -> bool:
    """Is the pinned AWS CLI installed in ``.aws-cli/``?"""
    marker = CLI_DIR / INSTALLED_MARKER
    return executable().exists() and marker.exists() and marker.read_text() == _wanted()


def install(progress=print) -> Path:
    """Install the pinned AWS CLI into ``.aws-cli/`` unless it is there; return ``aws``'s path.

    With ``uv`` on the PATH it makes the environment and installs with ``uv`` (seconds);
    otherwise with Python's ``venv`` and ``pip``. Only the pinned packages are installed
    (``--no-deps``), so nothing unpinned slips in."""
    if is_installed():
        return executable()
    progress(
        t(
            "Installing the AWS CLI ({version}) into {folder}/ (once, about 10 s)...",
            version=_version(),
            folder=CLI_DIR.name,
        )
    )
    shutil.rmtree(CLI_DIR, ignore_errors=True)
    uv = shutil.which("uv")
    python = CLI_DIR / "bin" / "python"
    if uv:
        commands = [
            [uv, "venv", "--quiet", "--python", sys.executable, str(CLI_DIR)],
            [
                uv,
                "pip",
                "install",
                "--quiet",
                "--python",
                str(python),
                "--no-deps",
                "-r",
                str(REQUIREMENTS),
            ],
        ]
    else:
        commands = [
            [sys.executable, "-m", "venv", str(CLI_DIR)],
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "-r",
                str(REQUIREMENTS),
            ],
        ]
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise CliError(
                f"Installing the AWS CLI failed ({' '.join(command[:3])} ...):\n"
                f"{(done.stderr or done.stdout).strip()[-2000:]}"
            )
    (CLI_DIR / INSTALLED_MARKER).write_text(_wanted())
    return executable()


def _version() -> str:
    for line in REQUIREMENTS.read_text().splitlines():
        if line.startswith("awscli=="):
            return "awscli " + line.split("==", 1)[1]
    return "awscli"


def run(arguments: list[str], cwd: Path | str | None = None) -> subprocess.CompletedProcess:
    """Run ``aws ARGUMENTS`` (installing the CLI first if needed) with the kernel's
    environment, so on the current target; return the finished process (text output)."""
    program = install()
    environment = dict(os.environ, AWS_PAGER="")  # print, never page
    return subprocess.run(
        [str(program), *arguments], cwd=cwd, env=environment, capture_output=True, text=True
    )
