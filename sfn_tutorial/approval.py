"""A human approval form: the approver's inbox for executions waiting on a task token.

A state machine's ``sqs:sendMessage.waitForTaskToken`` state puts ``{"TaskToken": ...,
"Purchase": {...}}`` on the approvals queue and waits. ``ApprovalForm(queue_url)`` takes the
oldest request from the queue, tells Step Functions a human has it (``SendTaskHeartbeat``, which
resets the state's ``HeartbeatSeconds`` clock), shows the purchase, and answers with its buttons:
**Approve** sends ``SendTaskSuccess``, **Reject** sends ``SendTaskFailure`` with the error
``PurchaseRejected`` and the reason typed in the form.
"""

from __future__ import annotations

import html
import json

import boto3
import botocore.exceptions
import ipywidgets as widgets

from sfn_tutorial.i18n import t

REJECTED = "PurchaseRejected"
WAIT_FOR_REQUEST_S = 20  # SQS's longest long poll


class ApprovalForm(widgets.VBox):
    """Approve or reject the oldest purchase waiting in the approvals queue.

    ``ApprovalForm(queue_url)`` is a widget: make it the last line of a cell to show it. What it
    shows is also kept on the object (``message``, ``request``), so code and tests can drive it
    with ``approve_button.click()`` or ``reject_button.click()``.
    """

    def __init__(self, queue_url: str, approver: str = "you", wait_s: int = WAIT_FOR_REQUEST_S):
        self.queue_url = queue_url
        self.approver = approver
        self.request: dict | None = None
        self._receipt_handle: str | None = None
        self.details = widgets.HTML()
        self.reason = widgets.Text(
            description=t("Reason"), placeholder=t("why you reject it (sent as the cause)")
        )
        self.approve_button = widgets.Button(description=t("Approve"), button_style="success")
        self.reject_button = widgets.Button(description=t("Reject"), button_style="danger")
        self.status = widgets.HTML()
        self.approve_button.on_click(lambda _button: self.approve())
        self.reject_button.on_click(lambda _button: self.reject())
        super().__init__(
            [
                self.details,
                self.reason,
                widgets.HBox([self.approve_button, self.reject_button]),
                self.status,
            ]
        )
        self.take_next(wait_s)

    def __repr__(self) -> str:
        # short and stable: the default repr lists every child widget
        purchase = (self.request or {}).get("Purchase", {})
        return f"ApprovalForm({purchase.get('PurchaseId', 'no request')})"

    @property
    def message(self) -> str:
        """The status line, as plain text."""
        return html.unescape(self.status.value.split(">", 1)[-1].rsplit("<", 1)[0])

    def _say(self, text: str, colour: str = "black") -> None:
        self.status.value = f"<span style='color:{colour}'>{html.escape(text)}</span>"

    def _buttons(self, enabled: bool) -> None:
        self.approve_button.disabled = self.reject_button.disabled = not enabled

    def take_next(self, wait_s: int = WAIT_FOR_REQUEST_S) -> dict | None:
        """Take the oldest waiting request off the queue (waiting up to ``wait_s`` seconds),
        send a heartbeat for it and show it; ``None`` when nothing is waiting."""
        self._buttons(False)
        self._say(t("Looking for a purchase waiting for approval ..."), "#2471a3")
        received = boto3.client("sqs").receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=wait_s
        )
        messages = received.get("Messages", [])
        if not messages:
            self.request = None
            self.details.value = ""
            self._say(t("No purchase is waiting for approval."), "#7b7d7d")
            return None
        body = json.loads(messages[0]["Body"])
        self.request, self._receipt_handle = body, messages[0]["ReceiptHandle"]
        boto3.client("stepfunctions").send_task_heartbeat(taskToken=body["TaskToken"])
        purchase = body.get("Purchase", {})
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(key))}</th>"
            f"<td>{html.escape(_shown(value))}</td></tr>"
            for key, value in purchase.items()
        )
        heading = html.escape(t("Purchase waiting for approval"))
        self.details.value = f"<b>{heading}</b><table>{rows}</table>"
        self._say(t("Waiting for your decision."))
        self._buttons(True)
        return body

    def approve(self) -> bool:
        """Answer the waiting execution with ``SendTaskSuccess``."""
        output = {"approved": True, "approver": self.approver}
        return self._answer("send_task_success", {"output": json.dumps(output)})

    def reject(self) -> bool:
        """Answer the waiting execution with ``SendTaskFailure`` (``PurchaseRejected``)."""
        cause = self.reason.value.strip() or "rejected without a reason"
        return self._answer("send_task_failure", {"error": REJECTED, "cause": cause})

    def _answer(self, action: str, fields: dict) -> bool:
        if self.request is None:
            self._say(t("There is nothing to answer: no purchase is waiting."), "#c0392b")
            return False
        purchase_id = self.request.get("Purchase", {}).get("PurchaseId", "?")
        try:
            getattr(boto3.client("stepfunctions"), action)(
                taskToken=self.request["TaskToken"], **fields
            )
        except botocore.exceptions.ClientError as error:
            code = error.response["Error"]["Code"]
            self._say(
                t(
                    "Step Functions did not take the answer ({code}): the execution no longer "
                    "waits for it (it timed out, or was answered or stopped).",
                    code=code,
                ),
                "#c0392b",
            )
            return False
        finally:
            self._buttons(False)
            boto3.client("sqs").delete_message(
                QueueUrl=self.queue_url, ReceiptHandle=self._receipt_handle
            )
        if action == "send_task_success":
            self._say(t("Approved purchase {purchase}.", purchase=purchase_id), "#1e8449")
        else:
            self._say(t("Rejected purchase {purchase}.", purchase=purchase_id), "#c0392b")
        self.request = None
        return True


def _shown(value) -> str:
    """A purchase field as a person reads it: text as it is, numbers with separators."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,}"
    return json.dumps(value, ensure_ascii=False)
