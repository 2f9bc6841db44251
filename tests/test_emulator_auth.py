"""Only the emulator's owner gets in: each probe an attacker tried, and what it gets now.

A web page (DNS rebinding, cross-origin requests), another local user, or any program without
the emulator's credentials is refused, with the answer AWS gives for a missing, unknown or
wrong signature. Legitimate clients sign as boto3 and the AWS CLI always do.
"""

import datetime
import http.client
import json
import uuid

import boto3
import botocore.exceptions
import pytest

from sfn_tutorial.emulator import auth, server

LIST_STATE_MACHINES = {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Target": "AWSStepFunctions.ListStateMachines",
}


@pytest.fixture
def record(emulator):
    return server.running()


def raw_request(record, method, path, headers, body=b""):
    """Send a request as a browser or another program could; status, headers and body."""
    connection = http.client.HTTPConnection("127.0.0.1", record.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, response.read()
    finally:
        connection.close()


def role_names():
    return {role["RoleName"] for role in boto3.client("iam").list_roles()["Roles"]}


def create_role_request(host: str, record) -> dict:
    body = "Action=CreateRole&Version=2010-05-08&RoleName=planted&AssumeRolePolicyDocument=%7B%7D"
    return {
        "Host": host,
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Amz-Date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
        "Authorization": (
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/iam/aws4_request"
            ", SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
        ),
    }, body


def test_a_rebinding_page_with_another_host_name_is_refused(record):
    headers, body = create_role_request(f"rebind.attacker.example:{record.port}", record)
    status, _, answer = raw_request(record, "POST", "/", headers, body)
    assert status == 403 and b"Host header" in answer
    assert "planted" not in role_names()


def test_a_made_up_signature_is_refused_as_aws_refuses_an_unknown_key(record):
    # AWS (IAM, query protocol): 403 InvalidClientTokenId, "The security token included in the
    # request is invalid."
    headers, body = create_role_request(f"127.0.0.1:{record.port}", record)
    status, _, answer = raw_request(record, "POST", "/", headers, body)
    assert status == 403
    assert b"<Code>InvalidClientTokenId</Code>" in answer
    assert "planted" not in role_names()


def test_an_unsigned_request_is_refused_as_aws_refuses_it(record):
    # AWS (JSON protocol): 403 MissingAuthenticationTokenException, "Missing Authentication Token"
    headers = {**LIST_STATE_MACHINES, "Host": f"127.0.0.1:{record.port}"}
    status, response_headers, answer = raw_request(record, "POST", "/", headers, b"{}")
    assert status == 403
    assert json.loads(answer)["__type"] == "MissingAuthenticationTokenException"
    assert response_headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"


def test_another_key_and_a_wrong_secret_get_awss_errors(record):
    endpoint = server.endpoint_url(record.port)
    unknown = boto3.client(
        "stepfunctions",
        endpoint_url=endpoint,
        aws_access_key_id="AKIA" + "X" * 16,
        aws_secret_access_key="y" * 40,
    )
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        unknown.list_state_machines()
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"
    wrong_secret = boto3.client(
        "stepfunctions",
        endpoint_url=endpoint,
        aws_access_key_id=record.access_key_id,
        aws_secret_access_key="y" * 40,
    )
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        wrong_secret.list_state_machines()
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_s3_refusals_are_in_s3s_words(record):
    unknown = boto3.client(
        "s3",
        endpoint_url=server.endpoint_url(record.port),
        aws_access_key_id="AKIA" + "X" * 16,
        aws_secret_access_key="y" * 40,
    )
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        unknown.list_buckets()
    assert refused.value.response["Error"] == {
        "Code": "InvalidAccessKeyId",
        "Message": "The AWS Access Key Id you provided does not exist in our records.",
    }


def test_a_request_signed_long_ago_is_refused(record):
    # AWS refuses a request whose X-Amz-Date is more than 15 minutes away from now, so a
    # recorded request cannot be replayed later.
    url = server.endpoint_url(record.port) + "/"
    credentials = auth.Credentials(record.access_key_id, record.secret_access_key)
    headers = auth.sign(credentials, "POST", url, b"{}", LIST_STATE_MACHINES, "states")
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    headers["X-Amz-Date"] = old.strftime("%Y%m%dT%H%M%SZ")
    status, _, answer = raw_request(record, "POST", "/", headers, b"{}")
    assert status == 403 and json.loads(answer)["__type"] == "InvalidSignatureException"


def test_a_cross_origin_page_can_neither_reset_nor_read(record):
    marker = f"kept-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(
        Bucket=marker, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"}
    )
    page = {"Host": f"127.0.0.1:{record.port}", "Origin": "http://evil.example"}
    status, headers, _ = raw_request(record, "POST", "/moto-api/reset", page)
    assert status == 403 and "access-control-allow-origin" not in headers
    status, headers, _ = raw_request(record, "GET", "/", page)  # ListBuckets
    assert status == 403 and "access-control-allow-origin" not in headers
    preflight = {**page, "Access-Control-Request-Method": "POST"}
    status, headers, _ = raw_request(record, "OPTIONS", "/moto-api/reset", preflight)
    assert "access-control-allow-origin" not in headers
    assert marker in {bucket["Name"] for bucket in boto3.client("s3").list_buckets()["Buckets"]}


def test_signed_answers_grant_no_other_origin(record):
    url = server.endpoint_url(record.port) + "/"
    credentials = auth.Credentials(record.access_key_id, record.secret_access_key)
    headers = auth.sign(credentials, "POST", url, b"{}", LIST_STATE_MACHINES, "states")
    headers["Origin"] = "http://evil.example"  # not signed: a page adds it to any request
    status, response_headers, _ = raw_request(record, "POST", "/", headers, b"{}")
    assert status == 200
    assert "access-control-allow-origin" not in response_headers


def test_api_gateway_invoke_urls_stay_open_as_on_aws(record):
    # AWS: an API's invoke URL needs no signature unless an authoriser says so. An unknown API
    # answers API Gateway's 403 "Forbidden" body, not a signature error.
    headers = {"Host": f"127.0.0.1:{record.port}"}
    status, _, answer = raw_request(
        record, "GET", "/_aws/execute-api/nosuchapi/prod/transactions", headers
    )
    assert b"MissingAuthenticationToken" not in answer and b"InvalidSignature" not in answer
    assert status != 500


def test_the_health_check_needs_no_credentials_and_tells_no_secret(record):
    status, _, answer = raw_request(
        record, "GET", server.HEALTH_PATH, {"Host": f"127.0.0.1:{record.port}"}
    )
    assert status == 200
    assert record.secret_access_key.encode() not in answer
    assert record.access_key_id.encode() not in answer


# ---------------------------------------------------------------- role sessions (the hook)


class _Sessions:
    """A ``sessions`` hook for ``auth.guard`` that knows one role session and refuses it all."""

    def __init__(self, credentials: auth.Credentials, token: str) -> None:
        self.known = {credentials.access_key_id: (credentials, token)}
        self.asked = []

    def lookup(self, access_key_id):
        return self.known.get(access_key_id)

    def authorise(self, environ, access_key_id):
        self.asked.append(access_key_id)
        return auth.Denial(400, "AccessDeniedException", "AccessDenied", "AccessDenied", "no")


def _signed_environ(credentials: auth.Credentials, token: str | None, port: int = 4599) -> dict:
    """A WSGI environ for a ``ListStateMachines`` request signed with ``credentials``."""
    import io

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotocoreCredentials

    body = b"{}"
    headers = {"X-Amz-Target": "AWSStepFunctions.ListStateMachines"}
    request = AWSRequest("POST", f"http://127.0.0.1:{port}/", data=body, headers=headers)
    key = BotocoreCredentials(credentials.access_key_id, credentials.secret_access_key, token)
    SigV4Auth(key, "states", "us-east-1").add_auth(request)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_HOST": f"127.0.0.1:{port}",
    }
    for name, value in request.headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def _served(environ, start_response):
    start_response("200 OK", [])
    return [b"served"]


def _answer(app, environ) -> tuple[str, bytes]:
    seen = {}

    def start_response(status, headers):
        seen["status"] = status

    body = b"".join(app(environ, start_response))
    return seen["status"], body


def test_a_role_session_is_checked_then_authorised_by_the_hook():
    owner, session = auth.Credentials.generate(), auth.Credentials.generate()
    sessions = _Sessions(session, "the-token")
    app = auth.guard(_served, owner, 4599, sessions=sessions)
    status, body = _answer(app, _signed_environ(session, "the-token"))
    assert status.startswith("400") and b"AccessDeniedException" in body
    assert sessions.asked == [session.access_key_id]
    status, body = _answer(app, _signed_environ(owner, None))  # the owner is never asked about
    assert (status, body, sessions.asked) == ("200 OK", b"served", [session.access_key_id])


def test_a_role_session_with_another_token_or_unknown_key_is_refused_before_the_hook():
    owner, session = auth.Credentials.generate(), auth.Credentials.generate()
    sessions = _Sessions(session, "the-token")
    app = auth.guard(_served, owner, 4599, sessions=sessions)
    for credentials, token in ((session, "forged"), (auth.Credentials.generate(), "the-token")):
        status, body = _answer(app, _signed_environ(credentials, token))
        assert status.startswith("403") and b"UnrecognizedClientException" in body
    assert sessions.asked == []


def test_without_a_hook_only_the_owner_is_served():
    owner, session = auth.Credentials.generate(), auth.Credentials.generate()
    app = auth.guard(_served, owner, 4599)
    status, body = _answer(app, _signed_environ(session, "the-token"))
    assert status.startswith("403") and b"UnrecognizedClientException" in body
