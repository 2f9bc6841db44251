"""Run every notebook against a real AWS account, clean up, and check that nothing is left.

For maintainers with an account (``make test-aws-account``): the notebooks run as a learner
runs them with ``TUTORIAL_TARGET=aws`` (outputs are not stored, nor compared: they differ on
AWS), then ``99_clean_up`` runs even if a notebook failed, then every resource still tagged
``created-by=sfn-tutorial`` is listed: there must be none. It creates real resources, so it
refuses to start unless ``AWS_PROFILE`` names the profile to use and
``SFN_TUTORIAL_CONFIRM_AWS=yes`` confirms it. Exit code 0 only if every cell ran and nothing
was left behind.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from notebook_runner import run_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CLEAN_UP = "99_clean_up.ipynb"
CONFIRM_VARIABLE = "SFN_TUTORIAL_CONFIRM_AWS"


def refusal() -> str | None:
    """Why the run may not start, or ``None``."""
    if not os.environ.get("AWS_PROFILE"):
        return "Set AWS_PROFILE to the profile of the account to use (nothing was created)."
    if os.environ.get(CONFIRM_VARIABLE) != "yes":
        return (
            f"This creates real resources in the account of profile {os.environ['AWS_PROFILE']}. "
            f"Confirm with {CONFIRM_VARIABLE}=yes (nothing was created)."
        )
    return None


def run(path: Path) -> str | None:
    """Run one notebook in a fresh kernel; the first failing cell's error, or ``None``."""
    print(f"running {path.name}", flush=True)
    _notebook, error = run_notebook(path, timeout=900)
    return error


def leftovers() -> list[str]:
    """Everything still tagged as the tutorial's: by the tagging API and service by service."""
    import boto3

    from sfn_tutorial import resources

    tagging = boto3.client("resourcegroupstaggingapi")
    found = [
        entry["ResourceARN"]
        for page in tagging.get_paginator("get_resources").paginate(
            TagFilters=[{"Key": resources.TAG_KEY, "Values": [resources.TAG_VALUE]}]
        )
        for entry in page["ResourceTagMappingList"]
    ]
    found += [resource.arn for resource in resources.find_tutorial_resources()]
    return sorted(set(found))


def main() -> int:
    problem = refusal()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    os.environ["TUTORIAL_TARGET"] = "aws"
    paths = [path for path in sorted(NOTEBOOKS.glob("[0-9]*.ipynb")) if path.name != CLEAN_UP]
    failures = []
    try:
        failures = [failure for failure in map(run, paths) if failure]
    finally:
        cleaned = run(NOTEBOOKS / CLEAN_UP)
    failures += [cleaned] if cleaned else []
    left = leftovers()
    for failure in failures:
        print(f"FAILED {failure}\n", file=sys.stderr)
    if left:
        print("Still tagged created-by=sfn-tutorial after clean-up:", *left, sep="\n  ")
    print(f"{len(paths) + 1} notebooks, {len(failures)} failed, {len(left)} resources left")
    return 1 if failures or left else 0


if __name__ == "__main__":
    sys.exit(main())
