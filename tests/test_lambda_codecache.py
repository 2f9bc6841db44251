"""Functions' code on disk: Lambda's size limit, safe unpacking, a private directory, removal."""

import io
import os
import stat
import zipfile

import pytest

from sfn_tutorial.emulator.awslambda import codecache


def package(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def with_declared_size(code_zip: bytes, size: int) -> bytes:
    """The package with its (one) file's uncompressed size in the central directory replaced."""
    data = bytearray(code_zip)
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = size.to_bytes(4, "little")
    return bytes(data)


def test_the_limit_is_lambdas():
    assert codecache.UNZIPPED_LIMIT == 250 * 1024 * 1024 == 262_144_000
    assert str(codecache.PackageTooLarge()) == "Unzipped size must be smaller than 262144000 bytes"


def test_a_package_is_refused_by_the_sizes_it_declares_before_anything_is_written(tmp_path):
    bomb = with_declared_size(package({"lambda_function.py": b"x"}), 300 << 20)
    with pytest.raises(codecache.PackageTooLarge):
        codecache.check(bomb)
    with pytest.raises(codecache.PackageTooLarge):
        codecache.unpack(bomb, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_package_that_understates_its_size_writes_no_more_than_it_declares(tmp_path):
    # The directory says 1,000 bytes; the data unzips to 10 MB. Unpacking stops at what was
    # declared (and the checksum no longer matches).
    lying = with_declared_size(package({"big.bin": bytes(10 << 20)}), 1000)
    with pytest.raises(zipfile.BadZipFile):
        codecache.unpack(lying, tmp_path)
    assert (tmp_path / "big.bin").stat().st_size <= 1000


def test_unpacking_counts_what_it_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(codecache, "UNZIPPED_LIMIT", 5 << 20)
    monkeypatch.setattr(codecache, "check", lambda code_zip: None)  # as if the headers lied
    with pytest.raises(codecache.PackageTooLarge):
        codecache.unpack(package({"a.bin": bytes(3 << 20), "b.bin": bytes(3 << 20)}), tmp_path)
    written = sum(path.stat().st_size for path in tmp_path.iterdir())
    assert written <= 5 << 20


def test_names_stay_inside_the_folder(tmp_path):
    target = tmp_path / "code"
    target.mkdir()
    files = {"../escape.py": b"1", "/etc/absolute.py": b"2", "pkg/./mod.py": b"3", "dir/": b""}
    codecache.unpack(package(files, zipfile.ZIP_STORED), target)
    found = sorted(str(path.relative_to(target)) for path in target.rglob("*"))
    assert found == ["dir", "escape.py", "etc", "etc/absolute.py", "pkg", "pkg/mod.py"]
    assert not (tmp_path / "escape.py").exists()


CODE = package({"lambda_function.py": b"def handler(event, context):\n    return 1\n"})


@pytest.fixture
def cache():
    cache = codecache.CodeCache(prefix="sfn-tutorial-test-code-")
    yield cache
    cache.close()


def test_the_directory_is_private_and_new(cache):
    root = cache.root
    info = root.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o700, os.geteuid())
    other = codecache.CodeCache(prefix="sfn-tutorial-test-code-")
    try:
        assert other.root != root  # never a path another process could know in advance
    finally:
        other.close()


def test_a_function_and_code_is_unpacked_once(cache):
    first = cache.acquire("fn", "abc", CODE)
    assert cache.acquire("fn", "abc", CODE) == first
    assert (first / "lambda_function.py").read_bytes() == (
        b"def handler(event, context):\n    return 1\n"
    )
    assert cache.acquire("other", "abc", CODE) != first  # each function has its own
    assert first.parent == cache.root


def test_a_forgotten_folder_goes_with_its_last_user(cache):
    folder = cache.acquire("fn", "abc", CODE)
    cache.acquire("fn", "abc", CODE)
    cache.forget("fn")
    cache.release(folder)
    assert folder.exists()
    cache.release(folder)
    assert not folder.exists()
    again = cache.acquire("fn", "abc", CODE)
    assert again != folder and again.exists()


def test_an_unused_folder_goes_when_its_function_is_forgotten(cache):
    folder = cache.acquire("fn", "abc", CODE)
    kept = cache.acquire("other", "abc", CODE)
    cache.release(folder)
    cache.forget("fn")
    assert not folder.exists() and kept.exists()
    cache.forget(None)
    cache.release(kept)
    assert not kept.exists()


def test_closing_removes_everything(cache):
    folder = cache.acquire("fn", "abc", CODE)
    root = cache.root
    cache.close()
    assert not root.exists()
    cache.release(folder)  # a worker stopping after the emulator's end: nothing to do


def test_a_package_over_the_limit_leaves_nothing_behind(cache):
    bomb = with_declared_size(package({"lambda_function.py": b"x"}), 300 << 20)
    with pytest.raises(codecache.PackageTooLarge):
        cache.acquire("fn", "abc", bomb)
    assert list(cache.root.iterdir()) == []
