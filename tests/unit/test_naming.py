"""Resource names: deterministic, prefixed with the stack and the dataset group, valid, within 63 characters."""

from __future__ import annotations

from workflow import naming


def test_naming_joins_prefix_group_and_resource() -> None:
    assert naming.dataset_group("ap", "demo") == "ap-demo"
    assert naming.schema("ap", "demo", "Interactions") == "ap-demo-interactions"
    assert naming.solution("ap", "demo", "user-personalization") == "ap-demo-user-personalization"
    assert naming.campaign("ap", "demo", "up") == "ap-demo-up"
    assert naming.filter_("ap", "demo", "unseen") == "ap-demo-unseen"
    assert naming.event_tracker("ap", "demo") == "ap-demo-events"


def test_naming_runs_carry_the_run_id() -> None:
    assert naming.import_job("ap", "demo", "Items", "run-7") == "ap-demo-items-run-7"
    assert naming.solution_version("ap", "demo", "up", "run-7") == "ap-demo-up-run-7"


def test_naming_long_names_are_cut_to_63_with_a_hash_that_keeps_them_apart() -> None:
    group = "g" * 50
    first = naming.solution("ap", group, "user-personalization-a")
    second = naming.solution("ap", group, "user-personalization-b")
    assert len(first) <= naming.MAX_NAME and len(second) <= naming.MAX_NAME
    assert first != second
    assert naming.NAME_PATTERN.fullmatch(first)
    assert first == naming.solution("ap", group, "user-personalization-a")  # deterministic


def test_naming_run_id_is_name_safe_and_short() -> None:
    run = naming.run_id("9f3c:execution/with spaces and a very long tail of characters!")
    assert naming.NAME_PATTERN.fullmatch(run)
    assert len(run) <= 24
    assert naming.run_id("!!!") == "run"


def test_naming_ssm_parameters_live_under_the_prefix_and_group() -> None:
    assert naming.campaign_parameter("ap", "demo", "up") == "/ap/demo/campaigns/up"
    assert naming.filter_parameter("ap", "demo", "unseen") == "/ap/demo/filters/unseen"
    assert naming.event_tracker_parameter("ap", "demo") == "/ap/demo/event-tracker"
