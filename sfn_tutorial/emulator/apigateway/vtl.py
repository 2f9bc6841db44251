"""API Gateway mapping templates: Velocity (VTL), rendered by ``airspeed``, with the ``$input``,
``$util``, ``$context`` and ``$stageVariables`` objects that API Gateway gives a template
(API Gateway developer guide, "Mapping template and access logging variable reference").
"""

from __future__ import annotations

import base64
import json
import urllib.parse


class MappingTemplateError(ValueError):
    """The template could not be rendered; API Gateway then answers 500."""


class BodyNotJson(MappingTemplateError):
    """``$input.path``/``$input.json`` on a body that is not JSON; API Gateway answers 400
    ``{"message": "Could not parse request body into json: ..."}``."""


class InputVariable:
    """``$input``: the request (or integration response) body and the request's parameters."""

    def __init__(self, body: str, params: dict | None = None):
        self.body = body
        self._params = params or {"path": {}, "querystring": {}, "header": {}}

    def _document(self):
        try:
            return json.loads(self.body) if self.body.strip() else {}
        except ValueError as error:
            raise BodyNotJson(f"Could not parse request body into json: {error}") from None

    def path(self, expression: str):
        """``$input.path('$.a')``: the value at the JSONPath, as an object VTL can navigate."""
        return _select(self._document(), expression)

    def json(self, expression: str) -> str:
        """``$input.json('$.a')``: the value at the JSONPath as JSON text."""
        return json.dumps(_select(self._document(), expression), separators=(",", ":"))

    def params(self, name: str | None = None):
        """``$input.params()``: all parameters by kind; ``$input.params('x')``: the named one,
        looked up in the path, then the query string, then the headers."""
        if name is None:
            return self._params
        for kind in ("path", "querystring", "header"):
            found = _get_ignoring_case(self._params.get(kind, {}), name, kind == "header")
            if found is not None:
                return found
        return ""


def _get_ignoring_case(values: dict, name: str, ignore_case: bool):
    if name in values:
        return values[name]
    if ignore_case:
        for key, value in values.items():
            if key.lower() == name.lower():
                return value
    return None


def _select(document, expression: str):
    from jsonpath_ng.ext import parse

    if expression.strip() == "$":
        return document
    try:
        matches = [match.value for match in parse(expression).find(document)]
    except Exception as error:  # jsonpath_ng raises its own lexer/parser errors
        raise MappingTemplateError(f"invalid JSONPath {expression!r}: {error}") from None
    if not matches:
        return None
    return matches if len(matches) > 1 else matches[0]


class Util:
    """``$util``: the helper functions API Gateway offers templates."""

    @staticmethod
    def escapeJavaScript(text) -> str:  # noqa: N802  (the name templates use)
        """Escape as a JavaScript string literal does. As AWS notes, a single quote becomes
        ``\\'``, which is not valid JSON."""
        escapes = {'"': '\\"', "'": "\\'", "\\": "\\\\", "/": "\\/", "\b": "\\b"}
        escapes.update({"\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
        out = []
        for char in str(text):
            if char in escapes:
                out.append(escapes[char])
            elif ord(char) < 32 or ord(char) > 126:
                out.append(f"\\u{ord(char):04X}")
            else:
                out.append(char)
        return "".join(out)

    @staticmethod
    def parseJson(text: str):  # noqa: N802
        """A JSON string as an object."""
        try:
            return json.loads(text)
        except ValueError as error:
            raise MappingTemplateError(f"parseJson: {error}") from None

    @staticmethod
    def urlEncode(text: str) -> str:  # noqa: N802
        """application/x-www-form-urlencoded encoding."""
        return urllib.parse.quote_plus(str(text))

    @staticmethod
    def urlDecode(text: str) -> str:  # noqa: N802
        """The reverse of ``urlEncode``."""
        return urllib.parse.unquote_plus(str(text))

    @staticmethod
    def base64Encode(text: str) -> str:  # noqa: N802
        """Base64 of the text's UTF-8 bytes."""
        return base64.b64encode(str(text).encode()).decode()

    @staticmethod
    def base64Decode(text: str) -> str:  # noqa: N802
        """The text whose base64 this is."""
        return base64.b64decode(str(text)).decode()


def render(template: str, input_variable: InputVariable, context: dict, stage_variables=None):
    """Render a mapping template; raise ``MappingTemplateError`` if it cannot be rendered."""
    import airspeed

    namespace = {
        "input": input_variable,
        "util": Util(),
        "context": context,
        "stageVariables": stage_variables or {},
    }
    try:
        return airspeed.Template(template).merge(namespace)
    except MappingTemplateError:
        raise
    except Exception as error:  # airspeed's syntax and execution errors wrap ours
        cause = error
        while cause is not None and not isinstance(cause, MappingTemplateError):
            cause = cause.__cause__ or cause.__context__
        raise (cause or MappingTemplateError(str(error))) from None
