"""A refused request in plain words: pydantic's validation errors turned
into the ``error`` text of a 400, each naming its field."""

from __future__ import annotations

from typing import Any, Iterable

from pydantic import BaseModel, ValidationError

# The problems the models can report, by pydantic's error type. Our own
# field types raise custom errors whose message is already plain words.
_TEXTS = {
    "string_type": "a string is expected",
    "string_too_short": "must not be empty",
    "string_too_long": "at most {max_length} characters",
    "int_type": "a whole number is expected",
    "int_parsing": "a whole number is expected",
    "int_from_float": "a whole number is expected",
    "bool_type": "true or false",
    "greater_than_equal": "at least {ge}",
    "less_than_equal": "at most {le}",
    "literal_error": "one of {expected}",
    "list_type": "a list is expected",
}


def explain(error: ValidationError, model: type[BaseModel], where: str) -> str:
    """The problems of ``error`` (validating ``model`` from the request's
    ``where``: "query" or "body"), one sentence each, joined by "; "."""
    texts = []
    for problem in error.errors(include_url=False):
        texts.append(_sentence(problem, model, where))
    return "; ".join(dict.fromkeys(texts))


def _sentence(problem: dict, model: type[BaseModel], where: str) -> str:
    kind = problem["type"]
    field = ".".join(str(part) for part in problem["loc"])
    if kind == "extra_forbidden":
        return "unknown %s %s; %s" % (
            "query parameter" if where == "query" else "field", field, _takes(model, where))
    if not field:           # the whole request: not an object, or a rule across fields
        if kind in ("model_type", "dict_type"):
            return "a JSON object is expected as the request body"
        return problem["msg"]
    if kind == "missing":
        choices = _choices(model, field)
        return "%s: one of %s is required" % (field, choices) if choices else \
            "%s is required" % field
    template = _TEXTS.get(kind)
    if template is None:
        return "%s: %s" % (field, problem["msg"])
    context = {key: _plain(value) for key, value in (problem.get("ctx") or {}).items()}
    return "%s: %s" % (field, template.format(**context))


def _plain(value: Any) -> str:
    """pydantic's ``'a', 'b' or 'c'`` as ``a, b, c``."""
    return str(value).replace("'", "").replace(" or ", ", ")


def _choices(model: type[BaseModel], field: str) -> str:
    schema = model.model_json_schema().get("properties", {}).get(field, {})
    return ", ".join(schema.get("enum", ()))


def _takes(model: type[BaseModel], where: str) -> str:
    names = list(_names(model))
    if where == "query":
        return "this path takes %s" % (", ".join(names) if names else "none")
    return "this request takes %s" % (", ".join(names) if names else "no fields")


def _names(model: type[BaseModel]) -> Iterable[str]:
    for name, info in model.model_fields.items():
        yield info.alias or name
