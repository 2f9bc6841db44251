"""Definitions judged as AWS judges them, on the evidence next to this repository.

- ``../shared/conformance/localstack_validation_cases.jsonl``: definitions AWS refused at
  CreateStateMachine or judged with ValidateStateMachineDefinition; the 27 marked
  ``aws_recorded`` are AWS's own answers, and the emulator must give the same ones, except those
  in KNOWN_DIFFERENCES.
- ``../shared/asl-corpus/``: 163 definitions from aws-samples' workflows collection, which AWS
  accepts: the emulator's own checks (``validation``'s steps 1-3) must accept every one, and the
  emulator as a whole every one except those moto's parser cannot read (KNOWN_PARSER_GAPS).

Both folders are next to the repository, not in it: without them these tests are skipped.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import botocore.exceptions
import broad_roles
import pytest

from sfn_tutorial.emulator.stepfunctions import validation

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
VALIDATION_CASES = SHARED / "conformance" / "localstack_validation_cases.jsonl"
CORPUS = SHARED / "asl-corpus"
ROLE = "arn:aws:iam::123456789012:role/any"

# Recorded case (name without its test file's path) -> why the emulator's answer differs.
KNOWN_DIFFERENCES = {
    "TestBaseScenarios::test_illegal_escapes[ESCAPE_SEQUENCES_ILLEGAL_INTRINSIC_FUNCTION]"
    "#exception": "moto's parser accepts the escaped quotes inside an intrinsic function",
    "TestBaseScenarios::test_illegal_escapes[ESCAPE_SEQUENCES_ILLEGAL_INTRINSIC_FUNCTION_2]"
    "#exception": "moto's parser accepts the escaped quotes inside an intrinsic function",
    "TestSfnApiValidation::test_validate_state_machine_definition_not_a_definition[NOT_A_DEF]"
    "#validation_response": (
        "AWS words JSON syntax errors as its Java parser (Jackson) does; the emulator as Python's"
    ),
    "TestSfnApiValidation::test_validate_state_machine_definition_type_standard"
    "[VALID_QUERY_LANGUAGE_PASS]#validation_response": (
        "a real difference: moto's parser refuses a JSONPath state inside the ItemProcessor of a "
        "JSONata Map, which AWS accepts"
    ),
    "TestSfnApiValidation::test_validate_state_machine_definition_type_express"
    "[VALID_QUERY_LANGUAGE_PASS]#validation_response": (
        "a real difference: moto's parser refuses a JSONPath state inside the ItemProcessor of a "
        "JSONata Map, which AWS accepts"
    ),
}
# Corpus definition (file name prefix) -> why the emulator refuses it.
KNOWN_PARSER_GAPS = {
    "0023__": "moto refuses custom error names that begin with 'States.', which AWS accepts",
    "0047__": "moto refuses custom error names that begin with 'States.', which AWS accepts",
    "0086__": "moto refuses custom error names that begin with 'States.', which AWS accepts",
    "0033__": "moto's parser does not know the HTTP Task (arn:aws:states:::http:invoke)",
    "0034__": "moto's parser does not know the HTTP Task (arn:aws:states:::http:invoke)",
    "0119__": "moto's parser needs InputType in an ItemReader's ReaderConfig",
    "0124__": 'invalid: "QueryLanguage" sits inside "States" (tests/test_graph.py)',
}


def _short(name: str) -> str:
    return name.split(".py::", 1)[-1]


def _recorded_cases() -> list:
    if not VALIDATION_CASES.is_file():
        reason = f"the AWS-recorded validation cases are not at {VALIDATION_CASES}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-cases")]
    cases = [json.loads(line) for line in VALIDATION_CASES.read_text().splitlines() if line]
    return [pytest.param(case, id=_short(case["name"])) for case in cases if case["aws_recorded"]]


def _corpus() -> list:
    """The corpus's 163 definitions, each with its placeholders replaced where it had any."""
    if not CORPUS.is_dir():
        reason = f"the corpus of real definitions is not at {CORPUS}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-corpus")]
    entries = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines()]
    files = [entry["substituted_file"] or entry["file"] for entry in entries]
    return [pytest.param(CORPUS / name, id=name) for name in files]


def _answer(sfn, case: dict) -> dict:
    """What the emulator answers to a recorded case, in the shape it was recorded in."""
    if case["api"] == "ValidateStateMachineDefinition":
        result = sfn.validate_state_machine_definition(
            definition=case["definition_raw"], type=case["state_machine_type"]
        )
        return {key: result[key] for key in ("result", "diagnostics", "truncated")}
    try:
        arn = sfn.create_state_machine(
            name=f"recorded-{uuid.uuid4().hex[:12]}",
            definition=case["definition_raw"],
            roleArn=broad_roles.role(),
            type=case["state_machine_type"],
        )["stateMachineArn"]
    except botocore.exceptions.ClientError as error:
        message = error.response["Error"]["Message"].replace("arn:aws:", "arn:<partition>:")
        return {
            "accepted": False,
            "error_code": error.response["Error"]["Code"],
            "message": message,
        }
    sfn.delete_state_machine(stateMachineArn=arn)
    return {"accepted": True}


@pytest.mark.parametrize("case", _recorded_cases())
def test_definitions_are_judged_as_recorded_on_aws(emulator, case):
    answer = _answer(boto3.client("stepfunctions"), case)
    expected = case["expected"]
    why = KNOWN_DIFFERENCES.get(_short(case["name"]))
    if why:
        assert answer != expected, "now answered as AWS did: remove it from KNOWN_DIFFERENCES"
        pytest.xfail(why)
    assert answer == expected


def test_known_differences_are_recorded_cases():
    if not VALIDATION_CASES.is_file():
        pytest.skip(f"the AWS-recorded validation cases are not at {VALIDATION_CASES}")
    lines = VALIDATION_CASES.read_text().splitlines()
    names = {_short(json.loads(line)["name"]) for line in lines if line}
    assert set(KNOWN_DIFFERENCES) <= names


@pytest.mark.parametrize("path", _corpus())
def test_the_emulators_own_checks_accept_every_corpus_definition(path):
    definition = json.loads(path.read_text(encoding="utf-8"))
    for check in (
        validation.missing_fields,
        validation.state_field_problems,
        validation.graph_problems,
    ):
        assert list(check(definition)) == []


def test_the_emulator_accepts_the_corpus_but_for_moto_parser_gaps(emulator):
    if not CORPUS.is_dir():
        pytest.skip(f"the corpus of real definitions is not at {CORPUS}")
    sfn = boto3.client("stepfunctions")
    refused = {}
    for param in _corpus():
        (path,) = param.values
        result = sfn.validate_state_machine_definition(definition=path.read_text("utf-8"))
        if result["result"] != "OK":
            refused[path.name[:6]] = result["diagnostics"]
    assert len(_corpus()) == 163
    assert set(refused) <= set(KNOWN_PARSER_GAPS), refused


def _problems(states: dict, **machine) -> list[tuple[str, str]]:
    definition = json.dumps({**machine, "StartAt": next(iter(states)), "States": states})
    return [(item["message"], item.get("location")) for item in validation.diagnostics(definition)]


@pytest.mark.parametrize(
    ("timestamp", "valid"),
    [
        ("2016-03-14T01:59:00Z", True),
        ("2016-03-14T01:59:00.123Z", True),
        # ASL: "an uppercase T ... and an uppercase Z"
        ("2016-03-14t01:59:00z", False),
        ("2016-02-30T01:59:00", False),
    ],
)
def test_a_wait_timestamp_is_rfc_3339_as_asl_restricts_it(timestamp, valid):
    found = _problems({"W": {"Type": "Wait", "Timestamp": timestamp, "End": True}})
    assert found == (
        [] if valid else [("String does not match RFC3339 timestamp", "/States/W/Timestamp")]
    )


def test_a_jsonata_wait_state_may_compute_its_timestamp():
    wait = {"Type": "Wait", "Timestamp": "{% $states.input.when %}", "End": True}
    assert _problems({"W": wait}, QueryLanguage="JSONata") == []
    # AWS-recorded: in a JSONPath state the same text is not a timestamp
    assert _problems({"W": wait}) == [
        ("String does not match RFC3339 timestamp", "/States/W/Timestamp")
    ]


def test_query_language_and_credentials_are_checked_at_any_depth():
    # AWS-recorded wording (localstack_validation_cases.jsonl); here inside a Parallel branch.
    inner = {
        "Call": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Credentials": {},
            "QueryLanguage": "JSONPath",
            "End": True,
        }
    }
    branch = {"Type": "Parallel", "Branches": [{"StartAt": "Call", "States": inner}], "End": True}
    where = "/States/Both/Branches[0]/States/Call"
    assert _problems({"Both": branch}, QueryLanguage="JSONata") == [
        (
            "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
            where,
        ),
        ("The field 'RoleArn' is required but was missing", f"{where}/Credentials"),
    ]
