"""API Gateway starts executions: HTTP APIs, REST APIs with mapping templates, and synchronous
EXPRESS answers (sfn_tutorial/emulator/apigateway/, stepfunctions/sync_executions.py).

Each test says what AWS does; the emulator must do the same.
"""

import json
import os
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config

from sfn_tutorial import executions, invoke_urls, resources
from sfn_tutorial.emulator.apigateway import execute_api, vtl

ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
GREET = {
    "StartAt": "Greet",
    "States": {
        "Greet": {
            "Type": "Pass",
            "Parameters": {"greeting.$": "States.Format('Hello, {}!', $.name)"},
            "End": True,
        }
    },
}
REST_TEMPLATE = '{"input": "$util.escapeJavaScript($input.json(\'$\'))", "stateMachineArn": "%s"}'


def start_policy(actions, machine_arns):
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": machine_arns}],
    }


def express_machine(name, definition, role_arn):
    sfn = boto3.client("stepfunctions")
    return sfn.create_state_machine(
        name=resources.resource_name(name),
        definition=json.dumps(definition),
        roleArn=role_arn,
        type="EXPRESS",
        tags=resources.tags("key"),
    )["stateMachineArn"]


@pytest.fixture(scope="module")
def stack(blog_stack):
    states_role = blog_stack.states_role_arn
    echo = resources.ensure_state_machine(resources.resource_name("echo"), ECHO, states_role)
    greet = express_machine("greet", GREET, states_role)
    machines = [blog_stack.state_machine_arn, echo, greet]
    actions = ["states:StartExecution", "states:StartSyncExecution"]
    role = resources.ensure_role(
        resources.resource_name("apigateway-role"),
        "apigateway.amazonaws.com",
        inline_policies={"start-tutorial-machines": start_policy(actions, machines)},
    )
    lambda_role = boto3.client("iam").get_role(RoleName=resources.LAMBDA_ROLE)["Role"]["Arn"]
    weak_role = resources.ensure_role(
        resources.resource_name("apigateway-weak-role"),
        "apigateway.amazonaws.com",
        inline_policies={"blog-only": start_policy(actions, [blog_stack.state_machine_arn])},
    )
    return {
        "blog": blog_stack.state_machine_arn,
        "echo": echo,
        "greet": greet,
        "role": role,
        "untrusted_role": lambda_role,
        "weak_role": weak_role,
    }


def post(url, body, content_type="application/json"):
    """POST with urllib; (status, parsed JSON body) whatever the status."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# ---------------------------------------------------------------- HTTP APIs


def http_api(machine_arn, role_arn, subtype="StepFunctions-StartExecution", stage="$default"):
    """An HTTP API: POST /transactions -> Step Functions, deployed on ``stage``."""
    client = boto3.client("apigatewayv2")
    api_id = client.create_api(
        Name=resources.resource_name("transactions-http"),
        ProtocolType="HTTP",
        Tags=resources.tags(),
    )["ApiId"]
    integration = client.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationSubtype=subtype,
        CredentialsArn=role_arn,
        PayloadFormatVersion="1.0",
        RequestParameters={"StateMachineArn": machine_arn, "Input": "$request.body"},
    )["IntegrationId"]
    client.create_route(
        ApiId=api_id, RouteKey="POST /transactions", Target=f"integrations/{integration}"
    )
    client.create_stage(ApiId=api_id, StageName=stage, AutoDeploy=True)
    return api_id


def test_http_api_starts_the_blogs_machine(stack):
    # AWS: the StepFunctions-StartExecution integration answers with StartExecution's response.
    api_id = http_api(stack["blog"], stack["role"])
    url = invoke_urls.invoke_url(api_id) + "/transactions"
    status, body = post(url, {"TransactionType": "PURCHASE"})
    assert status == 200
    assert body["executionArn"].startswith(stack["blog"].replace(":stateMachine:", ":execution:"))
    description = executions.wait_for_execution(body["executionArn"], timeout_s=60)
    assert description["status"] == "SUCCEEDED"
    assert json.loads(description["input"]) == {"TransactionType": "PURCHASE"}


def test_http_api_named_stage_is_in_the_url(stack):
    api_id = http_api(stack["echo"], stack["role"], stage="dev")
    assert invoke_urls.invoke_url(api_id, "dev").endswith(f"/{api_id}/dev")
    status, body = post(invoke_urls.invoke_url(api_id, "dev") + "/transactions", {"a": 1})
    assert status == 200 and "executionArn" in body


def test_http_api_sync_express_answers_with_the_output(stack):
    # AWS: StepFunctions-StartSyncExecution waits for the EXPRESS execution and returns
    # StartSyncExecution's response: status, output (a JSON string), billingDetails, ...
    api_id = http_api(stack["greet"], stack["role"], "StepFunctions-StartSyncExecution")
    status, body = post(invoke_urls.invoke_url(api_id) + "/transactions", {"name": "Seoul"})
    assert status == 200
    assert body["status"] == "SUCCEEDED"
    assert json.loads(body["output"]) == {"greeting": "Hello, Seoul!"}
    assert body["billingDetails"]["billedMemoryUsedInMB"] == 64


def test_http_api_unknown_route_is_404(stack):
    # AWS (HTTP APIs): a request that matches no route gets 404 {"message":"Not Found"}.
    api_id = http_api(stack["echo"], stack["role"])
    assert post(invoke_urls.invoke_url(api_id) + "/refunds", {}) == (
        404,
        {"message": "Not Found"},
    )


def test_http_api_body_that_is_not_json_is_a_400(stack):
    # AWS: Step Functions rejects input that is not JSON (InvalidExecutionInput, 400) and the
    # HTTP API passes the 400 and the service's error message on.
    api_id = http_api(stack["echo"], stack["role"])
    status, body = post(invoke_urls.invoke_url(api_id) + "/transactions", b"{TransactionType")
    assert status == 400
    assert "message" in body and body["__type"].endswith("InvalidExecutionInput")


def test_http_api_role_it_cannot_use_is_a_500(stack):
    # AWS: when API Gateway cannot assume the credentials role, or the role may not call
    # states:StartExecution on the machine, an HTTP API answers 500 Internal Server Error.
    for role in (stack["untrusted_role"], stack["weak_role"]):
        api_id = http_api(stack["echo"], role)
        assert post(invoke_urls.invoke_url(api_id) + "/transactions", {}) == (
            500,
            {"message": "Internal Server Error"},
        )


def test_http_api_parameter_mappings():
    sources = {
        "body": '{"order": {"id": 7}, "who": "kim"}',
        "header": {"x-trace": "t-1"},
        "querystring": {"q": "1"},
        "path": {"id": "42"},
        "context": {"requestId": "r-1", "identity": {"sourceIp": "127.0.0.1"}},
        "stageVariables": {"env": "dev"},
    }
    evaluate = execute_api.evaluate_parameter
    assert evaluate("$request.body", sources) == sources["body"]
    assert evaluate("$request.body.who", sources) == "kim"
    assert json.loads(evaluate("$request.body.order", sources)) == {"id": 7}
    assert evaluate("$request.header.X-Trace", sources) == "t-1"
    assert evaluate("order-${request.path.id}-$context.requestId", sources) == "order-42-r-1"
    assert evaluate("arn:aws:states:::constant", sources) == "arn:aws:states:::constant"


# ---------------------------------------------------------------- REST APIs


def rest_api(machine_arn, role_arn, error_responses=True, response_template=None):
    """A REST API: POST /transactions -> states:action/StartExecution with a mapping template;
    integration responses 200 (default, mapped by ``response_template`` if given) and, with
    ``error_responses``, 400 for 4XX."""
    client = boto3.client("apigateway")
    region = client.meta.region_name
    api_id = client.create_rest_api(
        name=resources.resource_name("transactions-rest"), tags=resources.tags()
    )["id"]
    root = client.get_resources(restApiId=api_id)["items"][0]["id"]
    resource = client.create_resource(restApiId=api_id, parentId=root, pathPart="transactions")
    method = {"restApiId": api_id, "resourceId": resource["id"], "httpMethod": "POST"}
    client.put_method(**method, authorizationType="NONE")
    client.put_integration(
        **method,
        type="AWS",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{region}:states:action/StartExecution",
        credentials=role_arn,
        requestTemplates={"application/json": REST_TEMPLATE % machine_arn},
    )
    client.put_method_response(**method, statusCode="200")
    templates = {"application/json": response_template} if response_template else {}
    client.put_integration_response(
        **method, statusCode="200", selectionPattern="", responseTemplates=templates
    )
    if error_responses:
        client.put_method_response(**method, statusCode="400")
        client.put_integration_response(**method, statusCode="400", selectionPattern="4\\d{2}")
    client.create_deployment(restApiId=api_id, stageName="prod")
    return api_id


def test_rest_api_mapping_template_starts_the_blogs_machine(stack):
    # AWS: the mapping template turns the body into StartExecution's request; the default
    # integration response passes StartExecution's response on.
    api_id = rest_api(stack["blog"], stack["role"])
    url = invoke_urls.invoke_url(api_id, "prod") + "/transactions"
    status, body = post(url, {"TransactionType": "REFUND"})
    assert status == 200
    description = executions.wait_for_execution(body["executionArn"], timeout_s=60)
    assert description["status"] == "SUCCEEDED", (
        description.get("error"),
        description.get("cause"),
    )
    assert json.loads(description["input"]) == {"TransactionType": "REFUND"}


def test_rest_api_response_template_sees_the_method_requests_parameters(stack):
    # AWS: in an integration response's mapping template, $input is the service's answer, but
    # $input.params() are still the method request's path, query string and headers.
    template = '{"kind": "$input.params(\'kind\')", "arn": $input.json(\'$.executionArn\')}'
    api_id = rest_api(stack["echo"], stack["role"], response_template=template)
    url = invoke_urls.invoke_url(api_id, "prod") + "/transactions?kind=refund"
    status, body = post(url, {})
    assert status == 200
    assert body["kind"] == "refund"
    assert body["arn"].startswith("arn:aws:states:")


def test_rest_api_body_that_is_not_json_is_a_400(stack):
    # AWS: $input.json('$') on a body that is not JSON fails the request with 400
    # {"message": "Could not parse request body into json: ..."}.
    api_id = rest_api(stack["echo"], stack["role"])
    url = invoke_urls.invoke_url(api_id, "prod") + "/transactions"
    status, body = post(url, b"TransactionType=PURCHASE")
    assert status == 400
    assert body["message"].startswith("Could not parse request body into json")


def test_rest_api_input_step_functions_rejects_is_a_400(stack):
    # AWS: $util.escapeJavaScript turns ' into \', which is not valid JSON (the reference says
    # so): Step Functions refuses the request (400 SerializationException) and the 4\d{2}
    # integration response passes its error body on.
    api_id = rest_api(stack["echo"], stack["role"])
    url = invoke_urls.invoke_url(api_id, "prod") + "/transactions"
    status, body = post(url, {"note": "it's"})
    assert status == 400
    assert body["__type"].endswith("SerializationException")


def test_rest_api_unknown_path_is_missing_authentication_token(stack):
    # AWS (REST APIs): a path or method that does not exist gets 403
    # {"message":"Missing Authentication Token"}; so does an unknown stage.
    api_id = rest_api(stack["echo"], stack["role"])
    missing = (403, {"message": "Missing Authentication Token"})
    assert post(invoke_urls.invoke_url(api_id, "prod") + "/refunds", {}) == missing
    assert post(invoke_urls.invoke_url(api_id, "test") + "/transactions", {}) == missing


def test_rest_api_role_without_permission_gets_access_denied(stack):
    # AWS: Step Functions refuses the call with AccessDeniedException ("User: ...assumed-role/...
    # is not authorized to perform: states:StartExecution on resource: ...").
    api_id = rest_api(stack["echo"], stack["weak_role"])
    status, body = post(invoke_urls.invoke_url(api_id, "prod") + "/transactions", {})
    assert status == 400
    assert body["__type"] == "AccessDeniedException"
    assert "is not authorized to perform: states:StartExecution" in body["message"]


def test_rest_api_role_it_cannot_assume_is_a_500(stack):
    # AWS: API Gateway cannot assume the credentials role: 500 Internal server error.
    api_id = rest_api(stack["echo"], stack["untrusted_role"])
    status, body = post(invoke_urls.invoke_url(api_id, "prod") + "/transactions", {})
    assert (status, body) == (500, {"message": "Internal server error"})


def guarded_trust(api_id, account):
    """A trust policy for API Gateway whose conditions name one API (its methods' ARNs)."""
    region = boto3.client("apigateway").meta.region_name
    condition = {
        "ArnLike": {"aws:SourceArn": f"arn:aws:execute-api:{region}:{account}:{api_id}/*"},
        "StringEquals": {"aws:SourceAccount": account},
    }
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": condition,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.mark.parametrize("kind", ["http", "rest"])
def test_a_role_whose_trust_names_another_api_cannot_be_used(stack, kind):
    # The role's trust policy sees the API method API Gateway acts for as aws:SourceArn: a
    # condition naming another API refuses the role (500), one naming this API lets it start
    # the machine.
    iam = boto3.client("iam")
    account = stack["echo"].split(":")[4]
    name = resources.resource_name(f"apigateway-guarded-{kind}")
    try:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=guarded_trust("other", account))
    except iam.exceptions.EntityAlreadyExistsException:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=guarded_trust("other", account))
    actions = ["states:StartExecution"]
    policy = json.dumps(start_policy(actions, [stack["echo"]]))
    iam.put_role_policy(RoleName=name, PolicyName="start", PolicyDocument=policy)
    role_arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    if kind == "http":
        api_id = http_api(stack["echo"], role_arn)
        url = invoke_urls.invoke_url(api_id) + "/transactions"
    else:
        api_id = rest_api(stack["echo"], role_arn)
        url = invoke_urls.invoke_url(api_id, "prod") + "/transactions"
    status, _ = post(url, {})
    assert status == 500
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=guarded_trust(api_id, account))
    status, body = post(url, {})
    assert status == 200 and "executionArn" in body


def test_mapping_template_objects():
    # API Gateway mapping template reference: $input.json, $input.path, $input.params,
    # $util.escapeJavaScript/base64Encode/urlEncode, $context.
    variable = vtl.InputVariable(
        '{"a": {"b": [1, 2]}, "s": "x\\"y"}',
        {"path": {"id": "7"}, "querystring": {"q": "z"}, "header": {"Content-Type": "c"}},
    )
    template = (
        "$input.json('$.a') $input.path('$.a.b')[1] $input.params('id') $input.params('q') "
        "$input.params('content-type') $util.escapeJavaScript($input.path('$.s')) "
        "$util.base64Encode('hi') $util.urlEncode('a b') $context.requestId"
    )
    rendered = vtl.render(template, variable, {"requestId": "r-1"})
    assert rendered == '{"b":[1,2]} 2 7 z c x\\"y aGk= a+b r-1'


# ---------------------------------------------------------------- StartSyncExecution


def test_start_sync_execution_with_host_prefix_off(stack):
    # AWS: StartSyncExecution runs an EXPRESS machine and answers with its output. boto3 sends it
    # to a "sync-" host: against the emulator that prefix must be off.
    sfn = boto3.client("stepfunctions", config=Config(inject_host_prefix=False))
    result = sfn.start_sync_execution(stateMachineArn=stack["greet"], input='{"name": "Busan"}')
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"greeting": "Hello, Busan!"}
    assert result["stopDate"] >= result["startDate"]
    assert result["billingDetails"]["billedDurationInMilliseconds"] >= 100


def test_start_sync_execution_with_the_environment_switch(stack, monkeypatch):
    # AWS_DISABLE_HOST_PREFIX_INJECTION=true lets a plain boto3 client call it too.
    monkeypatch.setenv("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")
    sfn = boto3.session.Session().client("stepfunctions")
    result = sfn.start_sync_execution(stateMachineArn=stack["greet"], input='{"name": "Jeju"}')
    assert json.loads(result["output"]) == {"greeting": "Hello, Jeju!"}


def test_start_sync_execution_failure_and_standard_machines(stack):
    # AWS: a failed EXPRESS run is status FAILED with error and cause; a STANDARD machine is
    # StateMachineTypeNotSupported.
    sfn = boto3.client("stepfunctions", config=Config(inject_host_prefix=False))
    result = sfn.start_sync_execution(stateMachineArn=stack["greet"], input="{}")
    assert result["status"] == "FAILED" and result["error"]
    with pytest.raises(sfn.exceptions.StateMachineTypeNotSupported):
        sfn.start_sync_execution(stateMachineArn=stack["echo"], input="{}")


# ---------------------------------------------------------------- invoke URLs and clean-up


def test_invoke_url_on_aws(monkeypatch):
    monkeypatch.setenv("TUTORIAL_TARGET", "aws")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-2")
    monkeypatch.delenv("AWS_REGION", raising=False)
    base = "https://abc123.execute-api.ap-northeast-2.amazonaws.com"
    assert invoke_urls.invoke_url("abc123", "prod") == base + "/prod"
    assert invoke_urls.invoke_url("abc123") == base


def test_invoke_url_on_the_emulator(emulator):
    assert invoke_urls.invoke_url("abc123", "prod") == (
        f"{os.environ['AWS_ENDPOINT_URL']}/_aws/execute-api/abc123/prod"
    )


def test_clean_up_deletes_rules_and_apis(stack):
    events = boto3.client("events")
    events.put_rule(
        Name=resources.resource_name("to-delete"),
        EventPattern=json.dumps({"source": ["tutorial.shop"]}),
        Tags=resources.tags("Key"),
    )
    events.put_targets(
        Rule=resources.resource_name("to-delete"),
        Targets=[{"Id": "m", "Arn": stack["echo"], "RoleArn": stack["role"]}],
    )
    events.put_rule(Name="someone-elses-rule", ScheduleExpression="rate(1 day)")
    http_api(stack["echo"], stack["role"])
    rest_api(stack["echo"], stack["role"])
    kinds = {resource.kind for resource in resources.find_tutorial_resources()}
    assert {"EventBridge rule", "HTTP API", "REST API"} <= kinds
    resources.clean_up(progress=lambda message: None)
    assert resources.find_tutorial_resources() == []
    assert [rule["Name"] for rule in events.list_rules()["Rules"]] == ["someone-elses-rule"]
    assert boto3.client("apigatewayv2").get_apis()["Items"] == []
    assert boto3.client("apigateway").get_rest_apis()["items"] == []
