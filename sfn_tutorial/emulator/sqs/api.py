"""Where moto's SQS answers differently from SQS, fixed and named.

``apply()`` is called once, in the emulator process; ``tests/test_sqs_api.py`` checks each fix
against the running emulator.
"""

from __future__ import annotations

from sfn_tutorial.emulator import service_models


def apply() -> None:
    """Make moto's SQS refuse requests as SQS does."""
    missing_parameters_are_asked_for()


def missing_parameters_are_asked_for() -> None:
    """A request without one of its action's required parameters (``SendMessage`` without
    ``MessageBody``, as the AWS SDK sends a null body) is refused with HTTP 400,
    ``MissingParameter``: ``The request must contain the parameter MessageBody.``

    moto goes on without it and fails with HTTP 500.
    """
    from botocore import xform_name
    from moto.sqs.exceptions import MissingParameter
    from moto.sqs.responses import SQSResponse

    model = service_models.service_model("sqs")
    for operation_name in model.operation_names:
        method_name = xform_name(operation_name)
        original = getattr(SQSResponse, method_name, None)
        required = model.operation_model(operation_name).input_shape.required_members
        if original is None or not required:
            continue

        def checked(self, original=original, required=tuple(required)):
            for name in required:
                if self._get_param(name) is None:
                    raise MissingParameter(name)
            return original(self)

        setattr(SQSResponse, method_name, checked)
