"""The environment check of notebook 00."""

from sfn_tutorial import environment_check


def test_installed_pins_are_ok():
    lines = environment_check.check()
    assert all(ok for ok, _ in lines), environment_check.report(lines)
    assert any("graphviz dot" in text for _, text in lines)


def test_missing_and_mismatched_packages_fail_with_advice():
    lines = environment_check.package_lines({"boto3": "0.0.1", "not-a-package": "1.0"})
    report = environment_check.report(lines)
    assert "[FAIL] boto3" in report and "(pinned 0.0.1)" in report
    assert "[FAIL] not-a-package is not installed (want 1.0): run `make lab`" in report


def test_missing_dot_is_explained(monkeypatch):
    monkeypatch.setattr(environment_check.shutil, "which", lambda name: None)
    ok, text = environment_check.dot_line()
    assert not ok and "apt-get install graphviz" in text
