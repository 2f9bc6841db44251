"""How fast Lambda runs on the local target: in a Map state, warm and cold.

Starts its own emulator on a free port and prints one JSON line per figure:

* ``map_lambda_vs_pass``: a Map over 1,000 items whose ItemProcessor is one Lambda Task, against
  the same Map with a Pass state, each timed by the execution's own start and stop dates. The
  two run in pairs, one right after the other, 9 times; ``ratio`` is the median of the pairs'
  ratios and ``lambda_s``, ``pass_s`` the medians of each. On a shared machine the speed drifts
  by a factor of two from one second to the next; the two runs of a pair see the same machine,
  and the median ignores the pairs that did not. Goal: ``ratio`` at most 2.0.
* ``invoke_warm_ms``: ``lambda.invoke`` round trips through the emulator's HTTP server, on a warm
  execution environment. Goal: ``median`` at most 3 ms. ``client_cpu_ms`` and ``emulator_cpu_ms``
  say how much CPU time one round trip costs boto3 and the emulator: on a busy machine, waiting
  for a CPU inflates the round trip, not these.
* ``invoke_warm_vs_noop``: the same warm round trip against a read that does no work
  (``GetFunctionConfiguration``) through the same emulator and client, the two alternating so
  both see the same machine. ``ratio`` is the median invoke over the median read: what running
  the handler adds to a call, whatever boto3's own CPU costs on this machine. Goal: at most 1.5.
* ``invoke_cold_ms``: the same right after ``UpdateFunctionConfiguration``, which replaces the
  execution environment, so each invoke starts a new one and runs the module's init code.
* ``invoke_reclaimed_ms``: the same for a function whose environment the emulator reclaimed
  because more functions were used since than it keeps warm (``workers.MAX_WARM``): a cold
  start, as on AWS, which ``cold_starts`` counts from the REPORT lines' ``Init Duration``.
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import time

import common

ITEMS = 1000
MAP_RUNS = 9
WARM_INVOKES = 300
COLD_INVOKES = 15
REGION = "ap-northeast-2"
HANDLER_SOURCE = "import json\n\n\ndef handler(event, context):\n    return event\n"


def _client(service: str):
    import boto3
    from botocore.config import Config

    from sfn_tutorial.emulator import server

    record = server.running()
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=server.endpoint_url(record.port),
        aws_access_key_id=record.access_key_id,
        aws_secret_access_key=record.secret_access_key,
        config=Config(retries={"max_attempts": 0}, read_timeout=300),
    )


def _echo(name: str, role_arn: str) -> str:
    """A new function ``name`` that answers its event; its ARN."""
    import lambda_code

    return lambda_code.python_function(name, HANDLER_SOURCE, role_arn, client=_client("lambda"))


def _deploy() -> tuple[str, str]:
    """An echo function and a role for Step Functions; their ARNs."""
    import policies

    trust = policies.trust("lambda.amazonaws.com", "states.amazonaws.com")
    role_arn = _client("iam").create_role(
        RoleName="bench-role", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    function_arn = _echo("bench-echo", role_arn)
    _client("iam").put_role_policy(  # the state machine invokes the function as this role
        RoleName="bench-role",
        PolicyName="invoke",
        PolicyDocument=json.dumps(policies.allowing("lambda:InvokeFunction", function_arn)),
    )
    return function_arn, role_arn


def _map_machine(name: str, item_state: dict, role_arn: str) -> str:
    import asl

    definition = asl.map_over_items("Work", item_state)
    return _client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=role_arn
    )["stateMachineArn"]


def _run_seconds(state_machine_arn: str) -> float:
    """How long one execution ran, by its own clock: DescribeExecution's ``startDate`` to
    ``stopDate``. Polling for the end is slow on purpose: every poll is a request the emulator
    serves while the Map runs, and a longer run would pay for more of them."""
    sfn = _client("stepfunctions")
    items = [{"n": n} for n in range(ITEMS)]
    execution_arn = sfn.start_execution(
        stateMachineArn=state_machine_arn, input=json.dumps({"items": items})
    )["executionArn"]
    while True:
        execution = sfn.describe_execution(executionArn=execution_arn)
        if execution["status"] != "RUNNING":
            break
        time.sleep(0.2)
    if execution["status"] != "SUCCEEDED":
        raise RuntimeError(f"{state_machine_arn} ended {execution['status']}")
    return (execution["stopDate"] - execution["startDate"]).total_seconds()


def map_lambda_vs_pass(function_arn: str, role_arn: str) -> dict:
    """The Lambda Map against the Pass Map, in pairs of runs one right after the other."""
    with_lambda = _map_machine(
        "bench-map-lambda", {"Type": "Task", "Resource": function_arn}, role_arn
    )
    with_pass = _map_machine("bench-map-pass", {"Type": "Pass"}, role_arn)
    _run_seconds(with_lambda)  # warm-up: workers started, code paths imported
    _run_seconds(with_pass)
    pairs = [(_run_seconds(with_lambda), _run_seconds(with_pass)) for _ in range(MAP_RUNS)]
    return {
        "name": "map_lambda_vs_pass",
        "items": ITEMS,
        "lambda_s": round(statistics.median(lambda_s for lambda_s, _ in pairs), 3),
        "pass_s": round(statistics.median(pass_s for _, pass_s in pairs), 3),
        "ratio": round(statistics.median(lambda_s / pass_s for lambda_s, pass_s in pairs), 2),
        "pairs": MAP_RUNS,
    }


def _invoke_ms(client, function_arn: str) -> float:
    started = time.perf_counter()
    response = client.invoke(FunctionName=function_arn, Payload=b'{"n": 1}')
    response["Payload"].read()
    elapsed = (time.perf_counter() - started) * 1000
    if "FunctionError" in response:
        raise RuntimeError(f"invoke failed: {response}")
    return elapsed


def _summary(name: str, times: list[float]) -> dict:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return {"name": name, "median": round(statistics.median(ordered), 2), "p95": round(p95, 2)}


def invoke_warm(function_arn: str) -> dict:
    """Round trips of one client on one warm execution environment; also the CPU time each one
    costs the client (botocore) and the emulator, which a busy machine inflates less."""
    client = _client("lambda")
    for _ in range(20):
        _invoke_ms(client, function_arn)
    client_cpu, emulator_cpu = time.process_time(), _emulator_cpu_s()
    times = [_invoke_ms(client, function_arn) for _ in range(WARM_INVOKES)]
    figure = _summary("invoke_warm_ms", times)
    figure["client_cpu_ms"] = round((time.process_time() - client_cpu) * 1000 / WARM_INVOKES, 2)
    if emulator_cpu is not None:
        used = _emulator_cpu_s() - emulator_cpu
        figure["emulator_cpu_ms"] = round(used * 1000 / WARM_INVOKES, 2)
    return figure


def _emulator_cpu_s() -> float | None:
    """CPU seconds the emulator process has used so far (Linux only), or ``None``."""
    from sfn_tutorial.emulator import server

    try:
        with open(f"/proc/{server.running().pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def invoke_warm_vs_noop(function_arn: str) -> dict:
    """Warm invokes and no-op reads, alternating on one client; the ratio of their medians."""
    client = _client("lambda")
    invokes, reads = [], []
    for _ in range(WARM_INVOKES):
        invokes.append(_invoke_ms(client, function_arn))
        started = time.perf_counter()
        client.get_function_configuration(FunctionName=function_arn)
        reads.append((time.perf_counter() - started) * 1000)
    invoke_ms, read_ms = statistics.median(invokes), statistics.median(reads)
    return {
        "name": "invoke_warm_vs_noop",
        "ratio": round(invoke_ms / read_ms, 2),
        "invoke_ms": round(invoke_ms, 2),
        "noop_ms": round(read_ms, 2),
    }


def invoke_cold(function_arn: str) -> dict:
    """Round trips right after a configuration change, which retires the warm environment."""
    client = _client("lambda")
    times = []
    for number in range(COLD_INVOKES):
        client.update_function_configuration(
            FunctionName=function_arn, Environment={"Variables": {"RUN": str(number)}}
        )
        times.append(_invoke_ms(client, function_arn))
    return _summary("invoke_cold_ms", times)


def invoke_reclaimed(function_arn: str, role_arn: str) -> dict:
    """Round trips of an invocation whose warm environment was reclaimed: since its last one,
    as many other functions as the emulator keeps warm were invoked."""
    from sfn_tutorial.emulator.awslambda.workers import MAX_WARM

    client = _client("lambda")
    others = [_echo(f"bench-other-{number}", role_arn) for number in range(MAX_WARM)]
    times, cold_starts = [], 0
    for _ in range(COLD_INVOKES):
        for other in others:
            _invoke_ms(client, other)
        started = time.perf_counter()
        response = client.invoke(FunctionName=function_arn, Payload=b"{}", LogType="Tail")
        response["Payload"].read()
        times.append((time.perf_counter() - started) * 1000)
        cold_starts += "Init Duration" in base64.b64decode(response["LogResult"]).decode()
    return {**_summary("invoke_reclaimed_ms", times), "cold_starts": cold_starts}


def main() -> None:
    """Start an emulator on a free port, print the figures, stop it."""
    with common.own_emulator("bench-lambda-"):
        function_arn, role_arn = _deploy()
        for figure in (
            invoke_warm(function_arn),
            invoke_warm_vs_noop(function_arn),
            invoke_cold(function_arn),
            invoke_reclaimed(function_arn, role_arn),
            map_lambda_vs_pass(function_arn, role_arn),
        ):
            print(json.dumps(figure), flush=True)


if __name__ == "__main__":
    main()
