"""The test-only crash hook: off unless asked, refuses a malformed setting, and counts only
the resource it names (its firing is proven by the killed-mid-reconcile test)."""

from __future__ import annotations

import pytest

from cloud.operator.crash_hook import CRASH_AFTER_APPLIES_ENV, crash_after_applies_from_env
from cloud.operator.errors import OperatorError
from cloud.operator.model import ResourceRef


def test_off_unless_set() -> None:
    assert crash_after_applies_from_env({}) is None
    assert crash_after_applies_from_env({CRASH_AFTER_APPLIES_ENV: " "}) is None


@pytest.mark.parametrize("value", ["shop/commerce", "shop/commerce=0", "commerce=2", "a/b=x"])
def test_malformed_setting_is_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(OperatorError) as refused:
        crash_after_applies_from_env({CRASH_AFTER_APPLIES_ENV: value})
    assert CRASH_AFTER_APPLIES_ENV in str(refused.value)
    assert "<namespace>/<name>=<N>" in str(refused.value)
    assert not refused.value.retryable


def test_other_resources_do_not_count() -> None:
    hook = crash_after_applies_from_env({CRASH_AFTER_APPLIES_ENV: "shop/commerce=1"})
    assert hook is not None
    for name in ("other", "commerce-2"):
        hook(ResourceRef("shop", name, "u", 1))  # would exit the test run if it counted
    hook(ResourceRef("elsewhere", "commerce", "u", 1))
