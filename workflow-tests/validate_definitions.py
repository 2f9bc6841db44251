"""Validate state machine definitions with Step Functions' ValidateStateMachineDefinition.

    python validate_definitions.py [FOLDER_OR_FILE...]

Each ``.asl.json`` file named (in a folder: all of them; with no arguments: every one in the
folders the tests read, ``definitions.folders()``) is checked by the Step Functions API that
boto3 points at, after its ``${Placeholders}`` are filled in with example values. One line per
definition: ``OK``, or each problem with its code and location. Exits 1 if any definition fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import boto3
import definitions


def definition_files(arguments: list[str]) -> list[Path]:
    if not arguments:
        return definitions.files()
    files = []
    for argument in arguments:
        path = Path(argument)
        files += sorted(path.glob("*.asl.json")) if path.is_dir() else [path]
    return files


def validate(path: Path, sfn) -> bool:
    """Print what Step Functions says of the definition in ``path``; whether it is valid."""
    answer = sfn.validate_state_machine_definition(
        definition=json.dumps(definitions.load(path)), type="STANDARD"
    )
    problems = answer["diagnostics"]
    print(f"{path.name}: {'OK' if answer['result'] == 'OK' else 'FAIL'}")
    for problem in problems:
        where = problem.get("location", "")
        print(f"    {problem['severity']} {problem['code']} {where}: {problem['message']}")
    return answer["result"] == "OK"


def main(arguments: list[str]) -> int:
    files = definition_files(arguments)
    if not files:
        where = arguments or [str(folder) for folder in definitions.folders()]
        print("no .asl.json definitions found in", " ".join(where))
        return 1
    sfn = boto3.client("stepfunctions")
    results = [validate(path, sfn) for path in files]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
