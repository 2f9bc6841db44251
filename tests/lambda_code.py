"""Lambda functions for tests: a handler's source zipped as a deployment package, and a Python
function created from it on the target the test session is connected to."""

from __future__ import annotations

import io
import zipfile

import boto3


def zipped(source: str, module: str = "lambda_function") -> bytes:
    """A deployment package (zip) holding ``source`` as ``{module}.py``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}.py", source)
    return buffer.getvalue()


def python_function(
    name: str, source: str, role: str, *, wait: bool = False, client=None, **settings
) -> str:
    """Create the Python 3.12 function ``name`` whose ``lambda_function.handler`` is in
    ``source``, running as ``role``; its ARN. ``settings`` are further CreateFunction parameters
    (``Environment``, ``Timeout``, another ``Handler``...); ``client`` is the Lambda client to
    call (a default one if None); ``wait``: return only once the function is Active."""
    lam = client or boto3.client("lambda")
    settings = {"Handler": "lambda_function.handler", **settings}
    arn = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Code={"ZipFile": zipped(source)},
        **settings,
    )["FunctionArn"]
    if wait:
        lam.get_waiter("function_active_v2").wait(FunctionName=arn)
    return arn
