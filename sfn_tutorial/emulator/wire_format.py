"""The bytes of the services' answers, as AWS writes them.

Step Functions shows what a service answered a Task state: its headers, ``Content-Length``
included (``SdkHttpMetadata``). So the answers of the services the tutorial's Task states call are
written as AWS writes them, not only parsed the same way by boto3:

* JSON-protocol services (SQS, DynamoDB, Step Functions) send compact JSON: no spaces after ``:``
  and ``,``; moto sends ``json.dumps``' default spacing.
* Query-protocol services (SNS, IAM, STS) send XML indented by two spaces, one element a line,
  ending with a line break, and a request id that is a UUID; moto sends the XML on one line,
  with a 52-character request id.

``apply()`` is called once, in the emulator process; ``tests/test_emulator_wire_format.py``
checks the bytes on the running emulator.
"""

from __future__ import annotations

import json
import re
import uuid

XML_INDENT = "  "
_XML_REQUEST_ID = re.compile(r"(?<=<RequestId>)[^<]*(?=</RequestId>)")


def apply() -> None:
    """Make moto's serialisers write answers as AWS's services do."""
    json_answers_are_compact()
    query_answers_are_indented_xml()
    query_answers_have_uuid_request_ids()


def json_answers_are_compact() -> None:
    """AWS's JSON-protocol services answer ``{"MessageId":"...","MD5OfMessageBody":"..."}``,
    with no space after ``:`` or ``,`` (an SQS ``SendMessage`` answer is 106 bytes)."""
    from moto.core import serialize

    def _serialize_body(self, body) -> str:
        if self.pretty_print:
            return json.dumps(body, indent=4)
        return json.dumps(body, separators=(",", ":"))

    for serializer in (serialize.BaseJSONSerializer, serialize.QueryJSONSerializer):
        serializer._serialize_body = _serialize_body


def query_answers_are_indented_xml() -> None:
    """AWS's query-protocol services answer XML indented by two spaces, one element a line,
    ending with a line break (an SNS ``Publish`` answer is 294 bytes)."""
    import xmltodict
    from moto.core import serialize

    def _serialize_body(self, body) -> str:
        text = xmltodict.unparse(
            body, full_document=False, short_empty_elements=True, pretty=True, indent=XML_INDENT
        )
        return text + "\n"

    serialize.QuerySerializer._serialize_body = _serialize_body


def query_answers_have_uuid_request_ids() -> None:
    """The request id of an XML answer (``<RequestId>`` and the ``x-amzn-RequestId`` header) is
    a UUID, as SNS, IAM and STS send it."""
    from moto.core.responses import BaseResponse

    original = BaseResponse._enrich_response

    def _enrich_response(headers, body):
        headers, body = original(headers, body)
        if isinstance(body, str) and "<RequestId>" in body:
            request_id = str(uuid.uuid4())
            headers["x-amzn-requestid"] = request_id
            body = _XML_REQUEST_ID.sub(request_id, body, count=1)
        return headers, body

    BaseResponse._enrich_response = staticmethod(_enrich_response)
