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


def test_naming_metric_attribution_is_one_per_dataset_group() -> None:
    assert naming.metric_attribution("ap", "demo") == "ap-demo-attribution"
    assert naming.NAME_PATTERN.fullmatch(naming.metric_attribution("ap", "g" * 80))
    assert len(naming.metric_attribution("ap", "g" * 80)) <= naming.MAX_NAME


def test_naming_attribution_metric_keeps_safe_event_types_and_hashes_the_others() -> None:
    assert naming.attribution_metric("click") == "click_COUNT"
    assert naming.attribution_metric("Click") == "Click_COUNT"  # event types are compared as written
    spaced, underscored = naming.attribution_metric("add to cart"), naming.attribution_metric("add_to_cart")
    assert spaced.startswith("add_to_cart_") and spaced.endswith("_COUNT")
    assert spaced != underscored  # two event types never share a metric
    assert len(naming.attribution_metric("x" * 256)) <= 256
