"""Schemathesis hooks for tests/fuzz/run (loaded through SCHEMATHESIS_HOOKS).

Three documented answers depend on more than one value, or on an earlier request, which
JSON Schema cannot state, so a schema-valid request can meet them: `min_price` above
`max_price` (listProducts, 400), a threshold above 100 on a rule measured in percent
(updateAlertRule, 400), and an `Idempotency-Key` reused with another body (checkout, 422).
Only those exact answers are dropped from the "schema-valid request rejected" check (ST202);
every other failure of those operations still counts.
"""

import schemathesis
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.openapi.checks import RejectedPositiveData

# Hypothesis' own caches go under target/, not into the checkout.
set_hypothesis_home_dir("target/hypothesis")

VALIDATION = "https://wasmart.dev/problems/validation"

# operationId -> (status, problem type, the only field error, or None when it has none).
STATEFUL_OR_CROSS_FIELD = {
    "listProducts": (400, VALIDATION, ("min_price", "must not exceed max_price")),
    "updateAlertRule": (400, VALIDATION, ("threshold", "must be a number from 0 to 100 (percent)")),
    "checkout": (422, "https://wasmart.dev/problems/idempotency-key-reused", None),
}


@schemathesis.hook
def filter_failure(context, failure, case, response):
    rule = STATEFUL_OR_CROSS_FIELD.get(case.operation.definition.raw.get("operationId"))
    if rule is None or not isinstance(failure, RejectedPositiveData):
        return True
    status, problem_type, field_error = rule
    try:
        problem = response.json()
    except ValueError:
        return True
    errors = [(e.get("field"), e.get("message")) for e in problem.get("errors", [])]
    expected = [field_error] if field_error else []
    return not (
        response.status_code == status and problem.get("type") == problem_type and errors == expected
    )
