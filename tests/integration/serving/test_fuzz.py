"""Schemathesis over the live router's OpenAPI: whatever it sends, no 5xx comes back."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

EXAMPLES_PER_OPERATION = 40


def test_no_server_errors_on_any_operation(router: Any) -> None:
    schema = schemathesis.openapi.from_url(f"{router.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    calls: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            response = case.call(base_url=router.url, timeout=10)
            calls.append(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])

        check()
    assert len(calls) >= len(operations) * 5
    assert all(code < 500 for code in calls)
