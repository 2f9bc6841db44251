"""Pins: exact everywhere, one per package on each supported Python, and the same for pip
(requirements.txt, requirements-test.txt, constraints.txt, and the installers themselves in
requirements-bootstrap.txt) and conda (environment.yml)."""

import re
from collections import Counter
from pathlib import Path

from packaging.utils import canonicalize_name

from sfn_tutorial.environment_check import (
    SUPPORTED_PYTHONS,
    pinned_requirements,
    requirements,
)

ROOT = Path(__file__).resolve().parent.parent
LEARNER = ROOT / "requirements.txt"
TEST_TOOLS = ROOT / "requirements-test.txt"
CONSTRAINTS = ROOT / "constraints.txt"
BOOTSTRAP = ROOT / "requirements-bootstrap.txt"
PIN_FILES = (LEARNER, TEST_TOOLS, CONSTRAINTS, BOOTSTRAP)


def conda_pip_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        match = re.fullmatch(r"\s+- ([A-Za-z0-9_.\-]+)(?:\[[a-z,]+\])?==(\S+)", line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def conda_python() -> str:
    """The one Python environment.yml pins (a conda environment has exactly one)."""
    return re.search(r"^\s+- python=(\d+\.\d+)$", (ROOT / "environment.yml").read_text(), re.M)[1]


def test_every_pin_is_exact_with_at_most_a_python_version_marker():
    for path in PIN_FILES:
        for requirement in requirements(path):
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", (path.name, str(requirement))
            assert re.fullmatch(r"[0-9][0-9A-Za-z.]*", specifier.version), str(requirement)
            if requirement.marker is not None:
                assert re.fullmatch(r'python_version (<|>=) "3\.\d+"', str(requirement.marker))


def test_each_package_has_exactly_one_pin_on_each_supported_python():
    for path in PIN_FILES:
        everywhere = {canonicalize_name(r.name) for r in requirements(path) if r.marker is None}
        for python in SUPPORTED_PYTHONS:
            applying = Counter(
                canonicalize_name(r.name)
                for r in requirements(path)
                if r.marker is None or r.marker.evaluate({"python_version": python})
            )
            assert [name for name, count in applying.items() if count > 1] == [], python
            if path != CONSTRAINTS:  # what we install is the same list on every Python
                assert set(applying) == set(pinned_requirements(path, SUPPORTED_PYTHONS[-1]))
            assert everywhere <= set(applying)


def test_test_tools_are_kept_out_of_the_learners_requirements():
    tools = set(pinned_requirements(TEST_TOOLS))
    assert {"pytest", "nbval", "playwright", "ruff"} <= tools
    assert not tools & set(pinned_requirements(LEARNER))


def test_constraints_agree_with_requirements_on_each_supported_python():
    for python in SUPPORTED_PYTHONS:
        constraints = pinned_requirements(CONSTRAINTS, python)
        for path in (LEARNER, TEST_TOOLS):
            for name, version in pinned_requirements(path, python).items():
                assert constraints.get(name) == version, (python, name)


def test_environment_yml_has_the_learners_pins_for_its_one_python():
    # conda pins one Python, so environment.yml has no markers: it carries the pins that apply
    # to that Python, and, like `make lab`, not the test tools.
    assert conda_python() in SUPPORTED_PYTHONS
    assert conda_pip_pins() == pinned_requirements(LEARNER, conda_python())


def test_graphviz_binary_is_in_environment_yml():
    assert re.search(r"^\s+- graphviz=\d", (ROOT / "environment.yml").read_text(), re.M)


def test_supported_pythons_are_the_same_everywhere():
    first, last = SUPPORTED_PYTHONS[0], SUPPORTED_PYTHONS[-1]
    upper = f"3.{int(last.split('.')[1]) + 1}"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'requires-python = ">={first},<{upper}"' in pyproject
    for script in ("scripts/setup.sh", "scripts/check_pythons.sh"):
        listed = re.search(r'^SUPPORTED_PYTHONS="([0-9. ]+)"', (ROOT / script).read_text(), re.M)
        assert listed and sorted(listed[1].split()) == sorted(SUPPORTED_PYTHONS), script
    readme = (ROOT / "README.md").read_text()
    assert f"Python {', '.join(SUPPORTED_PYTHONS[:-1])} or {last}:" in readme


def test_the_installers_are_pinned_for_the_set_up():
    # scripts/setup.sh fetches this uv once and installs everything with it; pip goes into the
    # venv too (for `%pip` in a notebook, and as the fallback installer).
    assert set(pinned_requirements(BOOTSTRAP)) == {"uv", "pip"}
    assert "requirements-bootstrap.txt" in (ROOT / "scripts" / "setup.sh").read_text()


def test_the_aws_cli_has_exact_pins_of_its_own_apart_from_the_tutorials():
    # Notebook 12's AWS CLI goes into its own virtual environment (sfn_tutorial/aws_cli.py), so
    # its pins need not agree with the tutorial's; each is exact, with no markers.
    path = ROOT / "requirements-aws-cli.txt"
    pins = requirements(path)
    assert "awscli" in {canonicalize_name(r.name) for r in pins}
    for requirement in pins:
        (specifier,) = requirement.specifier
        assert specifier.operator == "==" and requirement.marker is None, str(requirement)
