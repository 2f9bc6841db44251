"""Who may use the emulator: only its owner, as Jupyter lets only its owner use its server.

The emulator runs whatever Lambda code it is sent, as the learner, on a machine that may hold
real AWS keys or be shared by a whole workshop. So every request must:

* name this emulator's own loopback address in its ``Host`` header. A web page whose host name
  an attacker points at 127.0.0.1 (DNS rebinding) sends its own host name, and is refused;
* be signed with AWS Signature Version 4, as boto3 and the AWS CLI sign every request, with the
  credentials generated for this emulator when it started. They are kept in a file only the
  learner can read (``instances``). A request without a signature, with another access key or
  with a wrong signature gets the answer AWS gives for each, in the service's own error format.

A role's temporary credentials, which the emulator issues itself (to the Step Functions
interpreter, to a Lambda handler, or to the owner's own ``sts.assume_role``), are accepted too
when ``guard`` is given a ``sessions`` hook (``iam.authorization``): their signature and session
token are checked the same way, and the hook then decides, as IAM does, whether the role may
make the call. Getting such credentials takes the owner's own, so only the owner can.

Only API Gateway invoke URLs stay open, as they are on AWS (public unless an authoriser says
otherwise), and the health check, which says nothing secret. Nothing grants other web origins
access (moto's global CORS headers are turned off by the server).

The signature is checked as moto's own IAM checks do it (``moto.iam.access_control``): the
request is rebuilt from the signed headers and botocore's signer computes what its signature
must be.
"""

from __future__ import annotations

import datetime
import hmac
import io
import json
import secrets
import string
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_CLOCK_SKEW = datetime.timedelta(minutes=15)
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
# Services whose errors are XML in the AWS query protocol's shape; S3 and EC2 have their own.
QUERY_PROTOCOL_SERVICES = {
    "autoscaling",
    "cloudformation",
    "elasticache",
    "elasticloadbalancing",
    "iam",
    "monitoring",
    "rds",
    "redshift",
    "ses",
    "sns",
    "sts",
}
INVALID_KEY_MESSAGE = "The security token included in the request is invalid."
BAD_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True)
class Credentials:
    """An access key pair, as AWS issues them: an ``AKIA...`` id and a 40-character secret."""

    access_key_id: str
    secret_access_key: str

    @classmethod
    def generate(cls) -> Credentials:
        """A fresh, random pair for one emulator's lifetime."""
        upper = string.ascii_uppercase + string.digits
        secret = string.ascii_letters + string.digits + "+/"
        return cls(
            "AKIA" + "".join(secrets.choice(upper) for _ in range(16)),
            "".join(secrets.choice(secret) for _ in range(40)),
        )


_served: dict[str, Credentials] = {}


def serve_with(credentials: Credentials) -> None:
    """Make ``credentials`` the ones this process serves and signs its own calls with."""
    _served["credentials"] = credentials


def served() -> Credentials | None:
    """The credentials this emulator process serves (set by the server when it starts);
    ``None`` outside an emulator process."""
    return _served.get("credentials")


def sign(
    credentials: Credentials,
    method: str,
    url: str,
    body: bytes = b"",
    headers: dict | None = None,
    service: str = "execute-api",
    region: str = "us-east-1",
) -> dict[str, str]:
    """The headers of a request signed with ``credentials``: for callers that send requests
    to the emulator without boto3 (its own reset and clock endpoints, ``urllib``)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotocoreCredentials

    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    key = BotocoreCredentials(credentials.access_key_id, credentials.secret_access_key)
    SigV4Auth(key, service, region).add_auth(request)
    return dict(request.headers.items())


# ---------------------------------------------------------------- checking a request


@dataclass(frozen=True)
class Denial:
    """Why a request is refused, as AWS names it: an error code per protocol and a message."""

    status: int
    json_code: str
    query_code: str
    s3_code: str
    message: str
    s3_message: str = ""  # S3 words some refusals its own way

    def message_for(self, service: str) -> str:
        """The message for ``service``."""
        return self.s3_message if service == "s3" and self.s3_message else self.message


NO_SIGNATURE = Denial(
    403,
    "MissingAuthenticationTokenException",
    "MissingAuthenticationToken",
    "AccessDenied",
    "Missing Authentication Token",
)
UNKNOWN_KEY = Denial(
    403,
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    INVALID_KEY_MESSAGE,
    "The AWS Access Key Id you provided does not exist in our records.",
)
BAD_SIGNATURE = Denial(
    403,
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "SignatureDoesNotMatch",
    BAD_SIGNATURE_MESSAGE,
    "The request signature we calculated does not match the signature you provided. Check your "
    "key and signing method.",
)
INCOMPLETE_SIGNATURE = Denial(
    400,
    "IncompleteSignatureException",
    "IncompleteSignature",
    "AuthorizationHeaderMalformed",
    "The request signature does not conform to AWS standards.",
)


def signature_fields(authorization: str) -> dict[str, str] | None:
    """``Credential``, ``SignedHeaders`` and ``Signature`` of a SigV4 ``Authorization`` header,
    or ``None`` when it is not one."""
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        return None
    fields = {}
    for part in rest.split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        return None
    return fields


def service_of(environ: dict) -> str:
    """The service a request is for, as its signature's credential scope names it (``states``,
    ``lambda``, ``s3``...), or ``""`` when it is not signed."""
    fields = signature_fields(environ.get("HTTP_AUTHORIZATION", "")) or {}
    scope = fields.get("Credential", "").split("/")
    return scope[3] if len(scope) == 5 else ""


def check_signature(environ: dict, credentials: Credentials, sessions=None) -> Denial | None:
    """``None`` when the request is signed with ``credentials`` (or with a role session's, which
    ``sessions.lookup(access_key_id)`` returns as ``(Credentials, session token)``); else why it
    is refused.

    Reads the request's body to check it, and puts it back for the application.
    """
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if not authorization:
        return NO_SIGNATURE
    fields = signature_fields(authorization)
    if fields is None:
        return INCOMPLETE_SIGNATURE
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        return INCOMPLETE_SIGNATURE
    access_key_id, _day, region, service, _ = scope
    if not hmac.compare_digest(access_key_id, credentials.access_key_id):
        found = sessions.lookup(access_key_id) if sessions is not None else None
        if found is None:
            return UNKNOWN_KEY
        credentials, token = found
        if not hmac.compare_digest(environ.get("HTTP_X_AMZ_SECURITY_TOKEN", ""), token):
            return UNKNOWN_KEY
    timestamp = environ.get("HTTP_X_AMZ_DATE", "")
    if not _recent(timestamp):
        return BAD_SIGNATURE
    expected = _expected_signature(environ, credentials, fields, region, service, timestamp)
    if expected is None or not hmac.compare_digest(expected, fields["Signature"]):
        return BAD_SIGNATURE
    return None


def _recent(timestamp: str) -> bool:
    """Whether an ``X-Amz-Date`` is within AWS's 15 minutes of now (a replayed request is not)."""
    try:
        moment = datetime.datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ")
    except ValueError:
        return False
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    return abs(now - moment) <= MAX_CLOCK_SKEW


def _expected_signature(environ, credentials, fields, region, service, timestamp) -> str | None:
    """The signature the request must carry, computed by botocore's signer over the request as
    received: its method, raw path and query, signed headers and body."""
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotocoreCredentials

    signed = fields["SignedHeaders"].split(";")
    headers = {name: value for name, value in request_headers(environ).items() if name in signed}
    if set(signed) - headers.keys():
        return None
    body = read_body(environ)
    url = f"http://{headers.get('host', '')}{environ.get('REQUEST_URI') or _uri(environ)}"
    if urlsplit(url).netloc != headers.get("host", ""):
        return None
    request = AWSRequest(method=environ["REQUEST_METHOD"], url=url, data=body, headers=headers)
    request.context["timestamp"] = timestamp
    signer_class = S3SigV4Auth if service == "s3" else SigV4Auth
    key = BotocoreCredentials(credentials.access_key_id, credentials.secret_access_key)
    signer = signer_class(key, service, region)
    canonical = signer.canonical_request(request)
    return signer.signature(signer.string_to_sign(request, canonical), request)


def _uri(environ: dict) -> str:
    from urllib.parse import quote

    query = environ.get("QUERY_STRING", "")
    return quote(environ.get("PATH_INFO", "/")) + (f"?{query}" if query else "")


def request_headers(environ: dict) -> dict[str, str]:
    """A WSGI request's headers, by lower-case name."""
    headers = {
        name[5:].replace("_", "-").lower(): value
        for name, value in environ.items()
        if name.startswith("HTTP_")
    }
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers[name.replace("_", "-").lower()] = environ[name]
    return headers


def read_body(environ: dict) -> bytes:
    """The request's body; ``wsgi.input`` is replaced so that the application reads it too."""
    cached = environ.get("sfn_tutorial.body")
    if cached is not None:
        return cached
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["sfn_tutorial.body"] = body
    return body


def host_is_this_emulator(environ: dict, port: int) -> bool:
    """Whether the ``Host`` header names this emulator's loopback address and port."""
    host = environ.get("HTTP_HOST", "")
    return host in {f"{name}:{port}" for name in LOOPBACK_NAMES}


# ---------------------------------------------------------------- answering a refusal


def denial_response(environ: dict, denial: Denial) -> tuple[str, list, bytes]:
    """Status line, headers and body of ``denial`` in the format of the service asked."""
    service = service_of(environ)
    request_id = str(uuid.uuid4())
    status = f"{denial.status} {'Forbidden' if denial.status == 403 else 'Bad Request'}"
    if service == "s3":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{denial.s3_code}</Code><Message>{denial.message_for('s3')}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
        return status, [("Content-Type", "application/xml")], body.encode()
    if service in QUERY_PROTOCOL_SERVICES or _is_query_request(environ):
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{denial.query_code}</Code>"
            f"<Message>{denial.message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return status, [("Content-Type", "text/xml")], body.encode()
    body = json.dumps({"__type": denial.json_code, "message": denial.message})
    headers = [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("x-amzn-ErrorType", denial.json_code),
        ("x-amzn-RequestId", request_id),
    ]
    return status, headers, body.encode()


def _is_query_request(environ: dict) -> bool:
    """An unsigned request in the query protocol: a form whose fields name an ``Action``."""
    if "HTTP_X_AMZ_TARGET" in environ:
        return False
    form = environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
    return (form and b"Action=" in read_body(environ)) or "Action=" in environ.get(
        "QUERY_STRING", ""
    )


def access_key_of(environ: dict) -> str:
    """The access key id a request is signed with, or ``""``."""
    fields = signature_fields(environ.get("HTTP_AUTHORIZATION", "")) or {}
    return fields.get("Credential", "").split("/")[0]


def guard(
    app,
    credentials: Credentials,
    port: int,
    open_prefixes: tuple[str, ...] = (),
    sessions=None,
):
    """WSGI middleware: refuse requests for another host name, and unsigned or wrongly signed
    requests except under ``open_prefixes``; pass the rest to ``app``.

    ``sessions`` (optional) accepts role sessions: ``sessions.lookup(access_key_id)`` gives a
    session's ``(Credentials, token)`` or ``None``, and ``sessions.authorise(environ,
    access_key_id)`` a ``Denial`` when the role may not make the request, else ``None``.
    """

    def middleware(environ, start_response):
        if not host_is_this_emulator(environ, port):
            body = (
                f"Refused: the Host header must be 127.0.0.1:{port}, the emulator's own address "
                "(a web page may not talk to the emulator).\n"
            ).encode()
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [body]
        path = environ.get("PATH_INFO", "")
        if not path.startswith(open_prefixes):
            denial = check_signature(environ, credentials, sessions)
            key = access_key_of(environ)
            if denial is None and sessions is not None and key != credentials.access_key_id:
                denial = sessions.authorise(environ, key)
            if denial is not None:
                status, headers, body = denial_response(environ, denial)
                start_response(status, headers)
                return [body]
        return app(environ, start_response)

    return middleware
