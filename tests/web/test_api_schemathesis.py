"""schemathesis over the OpenAPI document (``/api/v1/openapi.json``): every operation, with
requests generated from its schemas (derandomized: the same requests on every run), sent
anonymously and with an API key of each role. No answer may be a 5xx, carry an undocumented
status or media type, or fall outside its documented schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_world import build_world

ROLES = (None, "company", "reviewer", "bureau", "citizen", "operator")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = build_world(tmp_path_factory.mktemp("schemathesis"))
    yield built
    built["rt"].close()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "checks", "examples"),
    [(GenerationMode.POSITIVE, CHECKS, 10), (GenerationMode.NEGATIVE, [not_a_server_error], 6)],
    ids=["requests its schemas allow", "requests its schemas refuse"],
)
def test_every_operation_answers_within_its_schema_for_every_role(world, mode, checks, examples):
    """Requests the schemas allow get documented answers; requests they refuse (a list where a
    code is, a number out of range, a field missing …) get a 4xx, never a 5xx."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world["app"])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    failures = []
    for operation in operations:

        @settings(
            max_examples=examples,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):  # type: ignore[no-untyped-def]
            for role in ROLES:
                headers = {"Accept-Encoding": "identity"}
                if role:
                    headers["Authorization"] = world["keys"][role]
                case.call_and_validate(headers=headers, checks=checks)

        try:
            run()
        except Unsatisfiable:  # nothing it takes can be refused (no parameter, no body)
            assert mode is GenerationMode.NEGATIVE, operation.label
            continue
        except (Exception, BaseExceptionGroup) as exc:  # every operation is tried, all reported
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
