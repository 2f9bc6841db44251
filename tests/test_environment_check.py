"""The environment check of notebook 00."""

from sfn_tutorial import environment_check


def test_installed_pins_are_ok():
    lines = environment_check.check()
    assert all(ok for ok, _ in lines), environment_check.report(lines)
    assert any("graphviz dot" in text for _, text in lines)


def test_only_the_learners_packages_are_checked():
    # `make lab` installs requirements.txt only: a learner must see [ OK ] everywhere without
    # the test tools, which `make test` adds from requirements-test.txt.
    texts = [text for _, text in environment_check.check()]
    assert any(text.startswith("boto3 ") for text in texts)
    for tool in ("pytest", "nbval", "playwright", "ruff"):
        assert not any(text.startswith(tool + " ") for text in texts), tool


def test_pins_with_a_python_version_marker_apply_where_it_holds(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text(
        "# comment\n"
        "moto[server]==5.2.5\n"
        'matplotlib==3.11.2; python_version >= "3.11"\n'
        'matplotlib==3.10.9; python_version < "3.11"  # 3.11 needs Python 3.11\n'
    )
    pins = environment_check.pinned_requirements
    assert pins(path, "3.10") == {"moto": "5.2.5", "matplotlib": "3.10.9"}
    assert pins(path, "3.13") == {"moto": "5.2.5", "matplotlib": "3.11.2"}


def test_python_outside_the_supported_versions_fails():
    assert environment_check.python_line("3.10.13") == (True, "Python 3.10.13")
    assert environment_check.python_line("3.13.0")[0]
    for version in ("3.9.18", "3.14.0"):
        ok, text = environment_check.python_line(version)
        assert not ok and "not supported" in text and "3.10 to 3.13" in text


def test_missing_and_mismatched_packages_fail_with_advice():
    lines = environment_check.package_lines({"boto3": "0.0.1", "not-a-package": "1.0"})
    report = environment_check.report(lines)
    assert "[FAIL] boto3" in report and "(pinned 0.0.1)" in report
    assert "[FAIL] not-a-package is not installed (want 1.0): run `make lab`" in report


def test_missing_dot_is_explained(monkeypatch):
    monkeypatch.setattr(environment_check.shutil, "which", lambda name: None)
    ok, text = environment_check.dot_line()
    assert not ok and "apt-get install graphviz" in text
