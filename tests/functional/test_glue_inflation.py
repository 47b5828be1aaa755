"""What inflates offline metrics, measured by the interactions export, and the same-second policy: keep, collapse,
refuse; the baselines on Personalize's split definition."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import export_interactions
import numpy as np
import pytest
from digests import MIX
from inflation import EventLog, baselines, measure
from job_io import ExportArgumentError
from moto import mock_aws

BUCKET = "autopersonalize-test"
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def doubled_log(users: int = 40, per_user: int = 20) -> str:
    """Each event logged twice in the same second, as a click and as a watch (a rating written as two events)."""
    rows = ["user,item,ts,event"]
    for u in range(users):
        for k in range(per_user):
            for event in ("click", "watch"):
                rows.append(f"u{u},i{(u * 7 + k) % 50},{1_700_000_000 + u * 1000 + k},{event}")
    return "\n".join(rows) + "\n"


def export(s3: Any, body: str, **extra: str) -> dict[str, Any]:
    s3.put_object(Bucket=BUCKET, Key="lake/events.csv", Body=body.encode())
    export_interactions.main(
        {
            "bucket": BUCKET,
            "run_id": "run-1",
            "schema": str(SCHEMAS / "interactions.avsc"),
            "source_type": "s3_csv",
            "source": f"s3://{BUCKET}/lake/",
            "mapping": "USER_ID=user,ITEM_ID=item,TIMESTAMP=ts,EVENT_TYPE=event",
            "chunk_rows": "300",  # several chunks: the measures and the collapse hold across them
            **extra,
        }
    )
    key = "exports/run-1/manifest/interactions.json"
    return dict(json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()))


def test_kept_same_second_duplicates_are_measured_and_warned_about(s3: Any) -> None:
    part = export(s3, doubled_log())

    inflation = part["inflation"]
    assert (part["rowsWritten"], inflation["sameSecondOtherType"]) == (1600, 800)
    assert inflation["sameSecondOtherTypeShare"] == pytest.approx(0.5)
    assert any("50% of interactions repeat a (user, item) in the same second" in w for w in inflation["warnings"])
    assert part["sameSecondDuplicates"] == {"policy": "keep", "prefer": None, "collapsed": 0}


def test_collapse_keeps_one_event_per_second_of_the_preferred_type(s3: Any) -> None:
    part = export(s3, doubled_log(), same_second_duplicates="collapse:watch")

    assert (part["rowsWritten"], part["sameSecondDuplicates"]["collapsed"]) == (800, 800)
    assert part["inflation"]["sameSecondOtherType"] == 0
    assert part["inflation"]["warnings"] == []  # each user's items are distinct: nothing else repeats
    body = "".join(
        s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read().decode()
        for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="exports/run-1/interactions/")["Contents"]
    )
    assert ",click," not in body and body.count(",watch,") == 800
    assert part["usersWithAtLeast2Interactions"] == 40


def test_refuse_fails_the_export_with_the_count_and_what_to_do(s3: Any) -> None:
    from inflation import SameSecondError

    with pytest.raises(SameSecondError, match=r"800 interactions \(50\.0%\) repeat .* collapse them"):
        export(s3, doubled_log(), same_second_duplicates="refuse")
    assert not s3.list_objects_v2(Bucket=BUCKET, Prefix="exports/run-1/manifest/").get("Contents")


def test_refuse_lets_clean_data_through_and_a_bad_policy_is_an_argument_error(s3: Any) -> None:
    clean = "\n".join(["user,item,ts,event", *(f"u{u},i{u},{1_700_000_000 + u},click" for u in range(30))]) + "\n"

    assert export(s3, clean, same_second_duplicates="refuse")["rowsWritten"] == 30
    with pytest.raises(ExportArgumentError, match="is not keep, collapse, collapse:<event type> or refuse"):
        export(s3, clean, same_second_duplicates="drop")


def test_history_baseline_wins_where_sessions_replay_items() -> None:
    """Users who replay their items: the user's own history beats popularity, and the replay is measured."""
    log = EventLog()
    rng = np.random.default_rng(1)
    users, items, stamps = [], [], []
    for u in range(200):
        own = rng.choice(1000, size=5, replace=False)
        for k in range(30):
            users.append(u)
            items.append(int(own[k % 5]))
            stamps.append(k)
    user_digests = np.array(users, np.uint64) * MIX  # digests, as the export logs them: spread over 64 bits
    item_digests = np.array(items, np.uint64)
    log.add(user_digests, item_digests, np.zeros(len(users), np.uint64), np.array(stamps))
    keys, counts = np.unique(item_digests, return_counts=True)

    found = baselines(log, keys, counts)
    measured = measure(log)

    assert 10 <= found["testUsers"] <= 35  # the 10 % of users the digests pick
    ndcg = "normalized_discounted_cumulative_gain_at_10"
    assert found["history"][ndcg] == pytest.approx(0.618, abs=0.001)  # its 3 held-out items at ranks 3, 4, 5
    assert found["popularity"][ndcg] < 0.1
    assert measured["newestRepeatingHistoryShare"] == 1.0


def test_past_the_exact_limit_the_log_keeps_a_tenth_of_the_users_and_the_shares_hold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import inflation

    rng = np.random.default_rng(2)
    n = 200_000
    users = rng.integers(0, 20_000, n).astype(np.uint64) * MIX
    items = rng.integers(0, 300, n).astype(np.uint64)
    doubled = np.r_[np.zeros(n, np.uint64), np.ones(n // 4, np.uint64)]  # a quarter logged again as another type
    columns = (np.r_[users, users[: n // 4]], np.r_[items, items[: n // 4]], doubled)
    stamps = np.r_[np.arange(n), np.arange(n // 4)]
    exact = EventLog()
    exact.add(*columns, stamps)
    monkeypatch.setattr(inflation, "EXACT_ROWS", 50_000)
    sampled = EventLog()
    for start in range(0, len(stamps), 25_000):  # chunk by chunk, as the export adds them
        sampled.add(*(c[start : start + 25_000] for c in columns), stamps[start : start + 25_000])

    assert sampled.sampling and 0.08 < sampled.kept / sampled.rows < 0.12
    assert measure(sampled)["measuredOn"] == "a 10% sample of users"
    for share in ("sameSecondOtherTypeShare", "newestRepeatingHistoryShare"):
        assert measure(sampled)[share] == pytest.approx(measure(exact)[share], abs=0.02)
    assert measure(exact)["sameSecondOtherTypeShare"] == pytest.approx(0.2)  # 50 k of 250 k


def test_the_sample_halves_while_it_holds_more_than_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import inflation

    monkeypatch.setattr(inflation, "EXACT_ROWS", 10_000)
    log = EventLog()
    users = np.random.default_rng(4).integers(0, 50_000, 400_000).astype(np.uint64) * MIX
    for start in range(0, len(users), 50_000):
        chunk = users[start : start + 50_000]
        log.add(chunk, chunk, chunk, np.arange(len(chunk)))

    assert log.level >= 2 and log.kept <= 10_000  # 10 % of 400 k is 40 k: halved at least twice
    assert measure(log)["measuredOn"] == f"a {100 * log.share:g}% sample of users"
