"""The retry budget (Apollo's `experimental_retry`, tower's TpsBudget) on a clock the
test moves: how many retries answered fetches buy, the free `min_per_sec`, and
expiry after `ttl`."""

from __future__ import annotations

from router.traffic import RetryBudget


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _retries(budget: RetryBudget, most: int = 1000) -> int:
    count = 0
    while count < most and budget.withdraw():
        count += 1
    return count


def test_answered_fetches_buy_retries_at_retry_percent() -> None:
    budget = RetryBudget(ttl=10, min_per_sec=0, retry_percent=0.2, clock=_Clock())
    assert _retries(budget) == 0
    for _ in range(50):
        budget.deposit()
    assert _retries(budget) == 10


def test_min_per_sec_allows_retries_with_no_answer_at_all() -> None:
    budget = RetryBudget(ttl=10, min_per_sec=2, retry_percent=0.2, clock=_Clock())
    assert _retries(budget) == 20  # two a second over the ten-second window


def test_deposits_and_spending_expire_after_ttl() -> None:
    clock = _Clock()
    budget = RetryBudget(ttl=10, min_per_sec=1, retry_percent=1.0, clock=clock)
    for _ in range(5):
        budget.deposit()
    assert _retries(budget) == 15  # five bought, ten free
    clock.now += 5
    assert _retries(budget) == 0  # spent within the window
    clock.now += 7  # past ttl since the spending: it is forgiven, the deposits gone
    assert _retries(budget) == 10
