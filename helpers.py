"""The tutorial's one import: connect to a target, deploy, draw, run and clean up.

Every notebook starts with::

    import helpers
    target = helpers.connect()

Each function here is short and calls into the ``sfn_tutorial`` package, where the machinery
lives: ``target`` (local or AWS), ``resources`` (create, update, clean up),
``emulator`` (the local AWS), ``graph`` (pictures), ``executions``, ``widgets`` (the
execution runner), ``inspector`` (the data-flow inspector), ``asl_editor`` (the live editor),
``deployment`` (templates to stacks), ``aws_cli`` (the real AWS CLI) and ``exercises`` (the
checks of the exercises).
The notebooks themselves use plain boto3, exactly as AWS's documentation does.

What these functions print speaks the notebook's language: English, or Korean for the notebooks
in ``notebooks/ko/`` (``i18n`` finds it from the notebook's folder; ``connect(language=...)``
chooses). Files of the project are read through ``PROJECT``, so a notebook's code runs the same
from either folder.
"""

from __future__ import annotations

import base64
import json
import shlex

import boto3

from sfn_tutorial import (
    approval,
    aws_cli,
    costs,
    deployment,
    environment_check,
    executions,
    exercises,
    graph,
    i18n,
    inspector,
    integrations,
    invoke_urls,
    operations,
    resources,
    widgets,
)
from sfn_tutorial import asl_editor as _asl_editor
from sfn_tutorial import target as _target
from sfn_tutorial.deployment import TEMPLATE  # noqa: F401  (the blog's SAM template)
from sfn_tutorial.graph import DefinitionError  # noqa: F401  (raised by draw)
from sfn_tutorial.i18n import t
from sfn_tutorial.resources import (  # noqa: F401  (names the notebooks use)
    BLOG_DEFINITION_FILE,
    BLOG_FUNCTIONS,
    BLOG_STACK,
    BLOG_STATES_POLICY,
    INVOKE_POLICY_NAME,
    LAMBDA_LOGS_POLICY,
    LAMBDA_ROLE,
    STATE_MACHINE,
    STATES_ROLE,
    blog_definition,
    invoke_policy,
    lambda_zip,
    resource_name,
    retry_while_iam_propagates,
    substitute,
    tags,
    trust_policy,
)
from sfn_tutorial.tables import Table, key_value_table

# The tutorial's folder, with lambdas/, statemachine/ and template.yaml: a notebook reads a file
# as ``helpers.PROJECT / "lambdas/ProcessPurchase/lambda_function.py"``, from any folder.
PROJECT = resources.PROJECT_ROOT
# ---------------------------------------------------------------- where we work


def connect(target: str | None = None, language: str | None = None) -> _target.Target:
    """Point boto3 at the local emulator (default) or, with ``TUTORIAL_TARGET=aws``, your account.

    Starts the emulator if it is not running yet, prints where resources will be created, and
    returns a ``Target`` (``.name``, ``.region``, ``.account_id``, ``.is_local``).
    ``language`` (``"en"`` or ``"ko"``) chooses the language of what the tutorial's code prints
    from now on; without it, a notebook in ``notebooks/ko/`` speaks Korean, any other English.
    """
    if language is not None:
        i18n.choose(language)
    chosen = _target.connect(target)
    print(chosen.banner())
    return chosen


def check_environment() -> None:
    """Print ``[ OK ]`` or ``[FAIL]`` for Python, each pinned package and graphviz's ``dot``."""
    lines = environment_check.check()
    print(environment_check.report(lines))
    if all(ok for ok, _ in lines):
        print(t("Everything the tutorial needs is here."))
    else:
        print(
            t("Fix the [FAIL] lines first: `make lab` installs everything in the pinned versions.")
        )


# ---------------------------------------------------------------- what the notebooks create


def ensure_blog_functions() -> dict[str, str]:
    """Create (or update) notebook 01's role and two functions; return ``{name: function ARN}``."""
    arns = resources.ensure_blog_functions()
    print(t("Ready: {names}", names=", ".join(resource_name(folder) for folder in arns)))
    return arns


def ensure_states_role(function_arns: list[str]) -> str:
    """Create (or update) notebook 02's role for Step Functions; return its ARN."""
    arn = resources.ensure_states_role(function_arns)
    print(t("Ready: {names}", names=STATES_ROLE))
    return arn


def ensure_blog_stack() -> resources.BlogStack:
    """Create (or update) everything notebooks 01-03 make, so any later notebook can run alone.

    Returns the ARNs: ``.purchase_arn``, ``.refund_arn``, ``.state_machine_arn``, ...
    """
    stack = resources.ensure_blog_stack()
    print(t("Ready: functions, roles and state machine {name}", name=STATE_MACHINE))
    return stack


def deploy_function(folder: str, handler: str, **settings) -> str:
    """Deploy ``lambdas/<folder>`` as function ``sfn-tutorial-<folder>`` (create or update) with
    the tutorial's Lambda role; ``settings`` are extra ``CreateFunction`` fields such as
    ``Timeout``. Returns the function's ARN."""
    role_arn = resources.ensure_role(
        LAMBDA_ROLE, "lambda.amazonaws.com", [resources.LAMBDA_LOGS_POLICY]
    )
    configuration = resources.ensure_function(folder, handler, role_arn, **settings)
    print(t("Ready: {names}", names=configuration["FunctionName"]))
    return configuration["FunctionArn"]


def ensure_service_role(name: str, service: str, policy: dict) -> str:
    """Create (or update) role ``sfn-tutorial-<name>`` that ``service`` (such as
    ``events.amazonaws.com``) may assume, with ``policy`` as its only permissions.

    On the aws target a new role is given a few seconds to spread through AWS first: the
    service would otherwise fail quietly with it. Returns the role's ARN."""
    return resources.ensure_service_role(resource_name(name), service, policy)


def start_execution_policy(state_machine_arns: list[str], action="states:StartExecution") -> dict:
    """Least privilege for a trigger: start executions of these state machines, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": state_machine_arns}],
    }


def executions_started_since(state_machine_arn: str, since, wait_s: float = 20) -> list[dict]:
    """Executions of a state machine that started after ``since`` (a datetime), waiting up to
    ``wait_s`` seconds for the first one: triggers start executions asynchronously."""
    return executions.executions_started_since(state_machine_arn, since, wait_s)


def invoke_url(api_id: str, stage: str = "$default") -> str:
    """The base URL of an API Gateway API's stage, on the current target: on AWS
    ``https://{api_id}.execute-api.{region}.amazonaws.com/{stage}``, on the local target the
    emulator's address for it. An HTTP API's ``$default`` stage has no stage part."""
    return invoke_urls.invoke_url(api_id, stage)


def find_tutorial_resources() -> Table:
    """A table of every resource on the current target tagged as the tutorial's."""
    found = resources.find_tutorial_resources()
    rows = [[t(r.kind), r.name] for r in found]
    return Table([t("Kind"), t("Name")], rows, t("{count} resources", count=len(found)))


def clean_up() -> list:
    """Delete everything the tutorial created on the current target (found by its tag)."""
    deleted = resources.clean_up()
    print(t("Deleted {count} resources.", count=len(deleted)))
    return deleted


# ---------------------------------------------------------------- Lambda


def function_summary(configuration: dict) -> Table:
    """The fields of a function's configuration that matter here, as a table."""
    fields = ["FunctionName", "FunctionArn", "Runtime", "Handler", "Role", "MemorySize", "Timeout"]
    shown = {field: configuration.get(field) for field in fields}
    shown["State"] = configuration.get("State", "")
    shown["Environment"] = json.dumps(configuration.get("Environment", {}).get("Variables", {}))
    return key_value_table(shown)


def show_invocation(response: dict) -> dict | str:
    """Print an ``Invoke`` response: status, any FunctionError, the payload, the log tail.

    Returns the payload, parsed from JSON.
    """
    payload_text = response["Payload"].read().decode()
    payload = json.loads(payload_text) if payload_text else None
    print(f"StatusCode: {response['StatusCode']}")
    if "FunctionError" in response:
        print(f"FunctionError: {response['FunctionError']}")
    print("Payload:", json.dumps(payload, indent=2))
    if "LogResult" in response:
        print(t("Log tail:"))
        print(base64.b64decode(response["LogResult"]).decode().rstrip())
    return payload


# ---------------------------------------------------------------- state machines and executions


def draw(definition, history=None):
    """Draw a state machine (dict or JSON text) with graphviz; with ``history``, colour the path.

    ``history`` is an execution's event list (``execution_history(arn)``). Succeeded states are
    green, failed red, running blue, caught errors orange, as in the AWS console.
    """
    return graph.draw(definition, history)


def wait_for_execution(execution_arn: str) -> dict:
    """Wait until an execution ends and return ``DescribeExecution``'s answer."""
    return executions.wait_for_execution(execution_arn)


def execution_history(execution_arn: str) -> list[dict]:
    """Every event of an execution, oldest first (all pages of ``GetExecutionHistory``)."""
    return executions.execution_history(execution_arn)


def show_execution(execution_arn: str) -> list[dict]:
    """Wait for an execution, print its status, path and output or error; return its events."""
    description = executions.wait_for_execution(execution_arn)
    events = executions.execution_history(execution_arn)
    print(executions.execution_report(description, events))
    return events


def deploy_state_machine(name: str, definition: dict, role_arn: str | None = None, **settings):
    """Create (or update) state machine ``sfn-tutorial-<name>`` and return its ARN.

    It runs as ``role_arn``, by default the tutorial's workflows role, which may invoke
    ``sfn-tutorial-*`` functions, use ``sfn-tutorial-*`` buckets, and run Distributed Map child
    executions. ``settings`` are more ``CreateStateMachine`` fields, such as ``type="EXPRESS"``
    and ``loggingConfiguration``.
    """
    role_arn = role_arn or resources.ensure_workflows_role()
    return resources.ensure_state_machine(resource_name(name), definition, role_arn, **settings)


def ensure_log_group(name: str) -> str:
    """Create (or find) the tagged log group ``/aws/vendedlogs/states/sfn-tutorial-<name>`` for
    a state machine's logs; return the ARN its ``loggingConfiguration`` names."""
    arn = resources.ensure_log_group(name)
    print(t("Ready: log group {name}", name=executions.log_group_name(arn)))
    return arn


def logged_history(log_group_arn: str, execution_arn: str) -> list[dict]:
    """An execution's events read back from the CloudWatch Logs group its state machine logs
    to (the only history an Express execution has), in the shape ``history_table`` reads.
    On AWS the events arrive some seconds late: this waits for the execution's last one."""
    return executions.logged_history(log_group_arn, execution_arn)


def run(state_machine_arn: str, execution_input=None) -> list[dict]:
    """Run a state machine once with ``execution_input``; print status, path and output or
    error, and return the execution's events (for ``draw`` and the tables)."""
    description, events = executions.start_and_wait(state_machine_arn, execution_input)
    print(executions.execution_report(description, events))
    return events


def execution_cost(execution_arn: str, region: str | None = None) -> Table:
    """What one execution would cost on AWS: its state transitions (Standard) or request and
    duration (Express, from the history its machine logs to CloudWatch Logs), and the Lambda
    calls it made, priced for ``region`` (default: the target's; the price list has Seoul and
    us-east-1). Free tiers are not subtracted."""
    sfn = boto3.client("stepfunctions")
    machine = sfn.describe_state_machine(stateMachineArn=executions.machine_of(execution_arn))
    if executions.is_express(execution_arn):  # no history in Step Functions: read the log
        destination = machine["loggingConfiguration"]["destinations"][0]
        group = destination["cloudWatchLogsLogGroup"]["logGroupArn"]
        events = executions.logged_history(group, execution_arn)
    else:
        executions.wait_for_execution(execution_arn)
        events = executions.execution_history(execution_arn)
    region = region or boto3.session.Session().region_name or "ap-northeast-2"
    estimate = costs.execution_estimate(events, region, machine["type"], costs.report_lines(events))
    table = estimate.table()
    table.title = t(
        "One execution in {region}, prices as of {date}",
        region=costs.rates(region)["name"],
        date=costs.as_of(),
    )
    return table


def monthly_cost_comparison(
    standard_events: list[dict],
    express_events: list[dict],
    executions_per_month: int,
    region: str | None = None,
) -> Table:
    """A month of ``executions_per_month`` runs of one workflow, priced as Standard (with the
    state transitions of ``standard_events``) and as Express (with the duration of
    ``express_events``), free tier included; Lambda is left out, the same for both."""
    region = region or boto3.session.Session().region_name or "ap-northeast-2"
    standard, express = costs.monthly_comparison(
        costs.state_transitions(standard_events),
        costs.execution_duration_ms(express_events),
        executions_per_month,
        region,
    )
    title = t(
        "{count:,} executions a month in {region}, prices as of {date}",
        count=executions_per_month,
        region=costs.rates(region)["name"],
        date=costs.as_of(),
    )
    estimates = {"Standard": standard, "Express": express}
    return costs.comparison_table(estimates, t("type"), title, quantity_format=",.0f")


def map_cost_comparison(
    items: int, batch_size: int, ms_per_item: float, memory_mb: int = 128, region=None
) -> Table:
    """One Map run over ``items`` items priced three ways: an inline Map in a Standard
    workflow (a Lambda call per item), and a Distributed Map with Standard or Express children
    (a Lambda call per batch of ``batch_size``), each item taking ``ms_per_item`` of Lambda
    time at ``memory_mb``. Free tiers are not subtracted."""
    region = region or boto3.session.Session().region_name or "ap-northeast-2"
    estimates = costs.map_design_estimates(items, batch_size, ms_per_item, memory_mb, region)
    title = t(
        "{count:,} items, one run, in {region}, prices as of {date}",
        count=items,
        region=costs.rates(region)["name"],
        date=costs.as_of(),
    )
    return costs.comparison_table(estimates, t("design"), title, quantity_format=",.6g")


def show_cause(cause: str) -> None:
    """Print an error's ``Cause`` for reading: a Lambda error report (JSON text) as its type,
    message and the end of its stack trace."""
    print(executions.cause_text(cause))


def data_flow_table(events: list[dict]) -> Table:
    """Each state's input and output in an execution: how the data changed at every step."""
    return executions.data_flow_table(events)


def history_table(events: list[dict]) -> Table:
    """An execution's events as a readable table: id, type, state, and what each carries."""
    return executions.history_table(events)


def execution_runner(state_machine_arn: str, definition: dict, choices=("PURCHASE", "REFUND")):
    """A form to start executions with your own input and watch them run on the graph."""
    return widgets.ExecutionRunner(state_machine_arn, definition, choices)


def data_flow_inspector(state: dict, state_input=None) -> inspector.DataFlowInspector:
    """A form to run one state with the real ``TestState`` API and see its data at each step.

    Edit the state's JSON and the input, press *Test state*: it shows the input, the data after
    ``InputPath``, ``Parameters`` (or JSONata's ``Arguments``), the result, ``ResultSelector``,
    ``ResultPath``, the output and any variables, highlights what each step changed, and names
    the next state or the error as AWS reports it. A Task state really runs, as the tutorial's
    workflows role (the one ``deploy_state_machine`` uses).
    """
    return inspector.DataFlowInspector(state, state_input, resources.ensure_workflows_role())


def asl_editor(definition: dict, name: str, choices=(), field="TransactionType"):
    """An editor for a state machine: validated as you type, drawn while valid, deployed and run.

    Half a second after you stop typing, ``ValidateStateMachineDefinition`` checks the text and
    its diagnostics are listed; while it is valid the graph beside it is redrawn. *Deploy*
    creates or updates state machine ``sfn-tutorial-<name>`` (as ``deploy_state_machine``
    does); *Run* deploys what you see if it changed and runs it with the input below (pick one
    of ``choices`` for ``field``, or write your own), colouring the path on the graph.
    """
    role_arn = resources.ensure_workflows_role()
    return _asl_editor.AslEditor(definition, name, role_arn, choices, field)


# ---------------------------------------------------------------- service integrations


def permissions_table(definition: dict, statements: dict) -> Table:
    """Each Task state of ``definition`` beside the IAM statements it needs (``statements``
    from ``integrations.policy_statements``): what it calls, the actions, on what."""
    rows = integrations.permissions_rows(definition, statements)
    return Table([t("State"), t("Calls"), t("IAM actions"), t("Resource")], rows)


def approval_form(queue_url: str) -> approval.ApprovalForm:
    """A form to approve or reject the oldest purchase waiting in the approvals queue: it sends
    ``SendTaskSuccess`` or ``SendTaskFailure`` with the task token the execution sent."""
    return approval.ApprovalForm(queue_url)


def log_lines(group: str, stream: str) -> list[str]:
    """The messages of a CloudWatch Logs stream, oldest first (an ECS task's output)."""
    events = boto3.client("logs").get_log_events(
        logGroupName=group, logStreamName=stream, startFromHead=True
    )["events"]
    return [event["message"] for event in events]


# ---------------------------------------------------------------- stacks (notebook 12)


def lint_template(template_text: str) -> Table:
    """``cfn-lint``'s errors and warnings for a template (what ``sam validate --lint`` runs),
    checked for the target's region."""
    return deployment.findings_table(deployment.lint(template_text))


def start_without_stack(stack_name: str) -> None:
    """Delete the stack ``stack_name`` if an earlier run left it, so this run starts from
    nothing (and wait until CloudFormation has deleted what it made)."""
    if deployment.delete_if_present(stack_name):
        print(t("Deleted {name}, left by an earlier run: starting from nothing.", name=stack_name))
    else:
        print(t("No stack {name} yet: starting from nothing.", name=stack_name))


def artifacts_bucket() -> str:
    """The tutorial's bucket for packaged code and definitions (made, tagged, if missing)."""
    return deployment.artifacts_bucket()


def package_template(template_path=deployment.TEMPLATE) -> str:
    """What ``aws cloudformation package`` does: upload each local file or folder the
    template names (zipping folders) to the tutorial's artifacts bucket and return the template
    (JSON) pointing there instead."""
    bucket = deployment.artifacts_bucket()
    packaged = deployment.package(template_path, bucket)
    print(t("Packaged into s3://{bucket}/", bucket=bucket))
    return packaged


def stack_workspace():
    """A working copy of the stack's files (template, ASL files, Lambda code) in a new
    temporary folder, to change without touching the repository; returns its path."""
    return deployment.workspace()


def change_set_table(change_set: dict) -> Table:
    """A change set's ``Changes``: action, resource, type, replacement, what changed and why."""
    return deployment.changes_table(change_set)


def stack_events(stack_name: str, since=None) -> Table:
    """A stack's events, oldest first (only those from ``since``, a datetime, if given)."""
    return deployment.events_table(stack_name, since)


def stack_resources(stack_name: str) -> Table:
    """A stack's resources: logical ID, type, status and the physical ID each one got."""
    return deployment.resources_table(stack_name)


def stack_outputs(stack_name: str) -> dict[str, str]:
    """A stack's outputs, ``{OutputKey: OutputValue}``."""
    return deployment.outputs(stack_name)


def wait_for_new_roles(stack_name: str) -> None:
    """On AWS, wait until the roles the stack has just made can be used by services acting on
    their own (EventBridge): about 10 s after they were made. At once on the local target."""
    deployment.wait_for_new_roles(stack_name)


def stack_leftovers(stack_name: str) -> Table:
    """The tutorial's resources on the target whose name says the stack made them: after the
    stack is deleted, none should be left."""
    found = [r for r in resources.find_tutorial_resources() if stack_name in r.name]
    rows = [[t(r.kind), r.name] for r in found]
    return Table([t("Kind"), t("Name")], rows, t("{count} left", count=len(found)))


def install_aws_cli() -> None:
    """Install the pinned AWS CLI into ``.aws-cli/`` (its own virtual environment, once)."""
    program = aws_cli.install()
    print(t("Ready: {names}", names=program.relative_to(aws_cli.PROJECT_ROOT)))


def aws(command: str, cwd=None) -> None:
    """Run the real AWS CLI, ``aws COMMAND`` as you would type it (e.g. ``"cloudformation
    describe-stacks"``), on the current target, in folder ``cwd``; print what it prints. A
    command that fails raises ``aws_cli.CliError`` with its output."""
    arguments = shlex.split(command)
    done = aws_cli.run(arguments, cwd=cwd)
    printed = (done.stdout + done.stderr).strip()
    if done.returncode:
        command = " ".join(arguments[:2])
        raise aws_cli.CliError(
            t("aws {command} failed: {printed}", command=command, printed=printed)
        )
    print(printed)


# ---------------------------------------------------------------- operating a workflow


def replace_state_machine(name: str, definition: dict, role_arn: str, **settings) -> dict:
    """Create state machine ``sfn-tutorial-<name>`` anew: one made by an earlier run is deleted
    first (with its versions and aliases), so versions are numbered from 1 again. ``settings``
    are more ``CreateStateMachine`` fields (``publish``, ``tracingConfiguration``...). Returns
    ``CreateStateMachine``'s answer."""
    return operations.replace_state_machine(resource_name(name), definition, role_arn, **settings)


def version_table(state_machine_arn: str) -> Table:
    """The machine's published versions, newest first, with their descriptions."""
    rows = operations.version_rows(state_machine_arn)
    return Table([t("Version"), t("Description")], rows, t("{count} versions", count=len(rows)))


def alias_split(alias_arn: str) -> Table:
    """How the executions started through an alias were shared between its versions."""
    rows = operations.alias_split(alias_arn)
    return Table([t("Version"), t("Executions"), t("Share")], rows, alias_arn.rsplit(":", 1)[1])


def now():
    """The target's current time (UTC), which metric queries count back from: on AWS the
    wall clock, on the local target the emulator's clock (``wait_for_alarm`` moves it on)."""
    return operations.now()


def metrics_chart(state_machine_arn: str, names=None, minutes: int = 15):
    """A chart of a state machine's ``AWS/States`` metrics per minute over the last
    ``minutes`` (by default executions started, succeeded, failed and redriven)."""
    names = list(
        names
        or ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsRedriven"]
    )
    series = operations.metric_series(state_machine_arn, names, minutes)
    return operations.metrics_figure(series, state_machine_arn.rsplit(":", 1)[1])


def wait_for_alarm(alarm_name: str, state: str = "ALARM") -> dict:
    """Wait until a CloudWatch alarm is in ``state`` and print how it got there; return
    ``DescribeAlarms``' entry. On AWS this takes a minute or more; on the local target the
    emulator's clock moves on a minute at a time instead."""
    alarm = operations.wait_for_alarm(alarm_name, state)
    print(t("{name} is {state}", name=alarm["AlarmName"], state=alarm["StateValue"]))
    return alarm


def next_message(queue_url: str, contains: str) -> dict:
    """The first message in an SQS queue whose body contains ``contains``, parsed (an SNS
    notification's ``Message`` too); the messages read are deleted, older ones skipped."""
    return operations.next_message(queue_url, contains)


def queue_policy(queue_arn: str, service: str, source_arn: str) -> str:
    """A queue policy that lets ``service`` (``sns.amazonaws.com`` or
    ``events.amazonaws.com``) send to the queue for ``source_arn`` (a topic, a rule) only."""
    return operations.queue_policy(queue_arn, service, source_arn)


def timeline(events: list[dict], title: str = "timeline"):
    """An execution as a Gantt chart: a bar per state visit (green succeeded, red failed),
    a dashed line at each redrive, from its history events."""
    return operations.timeline_figure(operations.timeline_rows(events), title)


def trace_table(trace_header: str) -> Table:
    """The segments of an execution's X-Ray trace (from its ``traceHeader``): the execution's
    with a subsegment per state, and the Lambda service's and function's."""
    rows = operations.segment_rows(operations.trace_documents(trace_header))
    columns = [t("Origin"), t("Segment"), t("Subsegments")]
    return Table(columns, rows, t("{count} segments", count=len(rows)))


# ---------------------------------------------------------------- exercises


def check(exercise_id: str) -> None:
    """Check an exercise on the target, e.g. ``check("03-default")``: print ``✅`` and what is
    right, or ``❌``, what is wrong and a hint. It looks at what you built (the state machine,
    its executions, the role...; in notebook 14, it also runs the test you wrote), never at your
    code, and never raises."""
    print(exercises.check(exercise_id))
