"""Functions' code on disk for the local Lambda runtime: checked, private, and removed.

Lambda refuses a deployment package whose files add up to more than 250 MB unzipped
(``check``, at CreateFunction and UpdateFunctionCode). ``CodeCache`` unpacks a package once per
function and code, into a folder of its own under a directory that this emulator creates for
itself when it first needs it (``tempfile.mkdtemp``: a random name, mode 0700). No path is
predictable and nothing found on disk is ever used, so another user of the machine can neither
plant code that runs instead of the learner's nor read it. Unpacking writes the files itself and
counts what it writes, so a package whose headers understate its size stops at the same limit.

A function's folders are removed when it is deleted, and all of them when the emulator is reset
or stops, each once no execution environment runs in it any more.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path

UNZIPPED_LIMIT = 262_144_000  # bytes: Lambda's quota for a function's code, unzipped (250 MiB)
COPY_CHUNK = 1 << 20


class PackageTooLarge(ValueError):
    """A deployment package over Lambda's unzipped size limit; the message is Lambda's."""

    def __init__(self) -> None:
        super().__init__(f"Unzipped size must be smaller than {UNZIPPED_LIMIT} bytes")


def check(code_zip: bytes) -> None:
    """Raise ``PackageTooLarge`` if the package's files, as its directory declares them, add up
    to more than Lambda allows. A package that is not a zip file is left to fail later."""
    try:
        with zipfile.ZipFile(io.BytesIO(code_zip)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return
    if declared > UNZIPPED_LIMIT:
        raise PackageTooLarge


def unpack(code_zip: bytes, target: Path) -> None:
    """Extract a package into the folder ``target`` (as ``ZipFile.extractall`` names the files:
    absolute paths made relative, ``..`` dropped), at most ``UNZIPPED_LIMIT`` bytes in all."""
    check(code_zip)
    written = 0
    with zipfile.ZipFile(io.BytesIO(code_zip)) as archive:
        for info in archive.infolist():
            parts = [part for part in info.filename.split("/") if part not in ("", ".", "..")]
            if not parts:
                continue
            path = target.joinpath(*parts)
            if info.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, open(path, "wb") as destination:
                while chunk := source.read(COPY_CHUNK):
                    written += len(chunk)
                    if written > UNZIPPED_LIMIT:
                        raise PackageTooLarge
                    destination.write(chunk)


class CodeCache:
    """Unpacked code by function and code, in a private directory; each folder counts the
    execution environments that run in it, so that it is removed only once none does."""

    def __init__(self, prefix: str = "sfn-tutorial-lambda-code-") -> None:
        self.prefix = prefix
        self._lock = threading.Lock()
        self._root: Path | None = None
        self._folders: dict[tuple[str, str], Path] = {}  # (function, code digest) -> folder
        self._users: dict[Path, int] = {}
        self._forgotten: set[Path] = set()  # to be removed once nobody uses them

    @property
    def root(self) -> Path:
        """The private directory, made on first use: mode 0700, owned by this process's user."""
        with self._lock:
            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix=self.prefix))
            return self._root

    def acquire(self, function: str, digest: str, code_zip: bytes) -> Path:
        """The folder with ``code_zip`` unpacked for ``function``; counts one user until
        ``release``. Raises ``PackageTooLarge`` for a package over the limit."""
        key = (function, digest)
        with self._lock:
            folder = self._folders.get(key)
            if folder is not None:
                self._users[folder] += 1
                return folder
        readable = "".join(char for char in digest if char.isalnum())[:16]  # (base64 has "/")
        fresh = Path(tempfile.mkdtemp(prefix=readable + "-", dir=self.root))
        try:
            unpack(code_zip, fresh)
        except BaseException:
            _remove(fresh)
            raise
        with self._lock:
            folder = self._folders.get(key)
            if folder is None:  # else another start unpacked it meanwhile: use that one
                folder = self._folders[key] = fresh
                self._users[folder] = 0
            self._users[folder] += 1
        if folder is not fresh:
            _remove(fresh)
        return folder

    def release(self, folder: Path) -> None:
        """One user of ``folder`` is done; a forgotten folder goes with its last user."""
        with self._lock:
            if folder not in self._users:  # removed with the whole directory already
                return
            self._users[folder] -= 1
            doomed = self._users[folder] == 0 and folder in self._forgotten
            if doomed:
                del self._users[folder]
                self._forgotten.discard(folder)
        if doomed:
            _remove(folder)

    def forget(self, function: str | None = None) -> None:
        """``function`` was deleted (every function, if ``None``): its folders go now, or with
        their last user; a function created again under the name unpacks afresh."""
        doomed = []
        with self._lock:
            for key in [key for key in self._folders if function is None or key[0] == function]:
                folder = self._folders.pop(key)
                if self._users[folder]:
                    self._forgotten.add(folder)
                else:
                    del self._users[folder]
                    doomed.append(folder)
        for folder in doomed:
            _remove(folder)

    def close(self) -> None:
        """Remove the private directory and everything in it (the emulator is stopping)."""
        with self._lock:
            root, self._root = self._root, None
            self._folders.clear()
            self._users.clear()
            self._forgotten.clear()
        if root is not None:
            _remove(root)


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    if os.path.lexists(folder):  # e.g. a folder the handler made read-only
        for parent, directories, _ in os.walk(folder):
            for name in directories:
                os.chmod(os.path.join(parent, name), 0o700)
        os.chmod(folder, 0o700)
        shutil.rmtree(folder, ignore_errors=True)
