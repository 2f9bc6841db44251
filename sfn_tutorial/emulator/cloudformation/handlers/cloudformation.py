"""CloudFormation's own types: ``AWS::CloudFormation::WaitConditionHandle``.

A wait condition handle is only a URL that something signals; CloudFormation makes nothing
else for it. (A ``WaitCondition`` waits for such signals: the emulator has no instance to send
them, so it cannot make one.)
"""

from __future__ import annotations

from sfn_tutorial.emulator.cloudformation.handlers import Handler, Made, Request


class WaitConditionHandle(Handler):
    type_name = "AWS::CloudFormation::WaitConditionHandle"

    def create(self, request: Request) -> Made:
        url = (
            f"https://cloudformation-waitcondition-{request.region}.s3.amazonaws.com/"
            f"{request.stack_id.replace(':', '%3A').replace('/', '%2F')}/{request.logical_id}"
        )
        return Made(url)

    def update(self, request: Request) -> Made:
        return request.previous

    def delete(self, request: Request, made: Made) -> None:
        return None


HANDLERS = [WaitConditionHandle()]
