"""What a run costs: the helper's figures against examples worked out by hand from AWS's
pricing pages (Step Functions and Lambda, us-east-1 and Seoul, as in data/prices.json)."""

import datetime

import blog_orders
import pytest

from sfn_tutorial import costs


def events(*types, seconds=0.0):
    """A history of events of ``types``, the first at a start, the last ``seconds`` later."""
    start, last = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc), len(types) - 1
    return [
        {"type": kind, "timestamp": start + datetime.timedelta(seconds=seconds * i / last)}
        for i, kind in enumerate(types)
    ]


BLOG_PURCHASE = events(*blog_orders.PURCHASE_EVENT_TYPES)


def test_the_price_list_names_its_sources_date_and_regions():
    listing = costs.prices()
    assert {"us-east-1", "ap-northeast-2"} <= listing["regions"].keys()
    assert listing["retrieved"] and "step-functions/pricing" in listing["sources"]["stepfunctions"]
    assert listing["checked"]  # what was read on AWS's pages, and what could not be


def test_seoul_borrows_express_rates_from_us_east_1_and_its_lines_say_so():
    seoul = costs.rates("ap-northeast-2")
    assert seoul["express_region"] == "us-east-1"
    assert seoul["express_per_request"] == costs.rates("us-east-1")["express_per_request"]
    assert costs.rates("us-east-1")["express_region"] == "us-east-1"
    _, express = costs.monthly_comparison(2, 80, 1_000, "ap-northeast-2")
    table = costs.comparison_table({"Express": express}, "type", "a month")
    assert [row[1] for row in table.rows] == [
        "requests (us-east-1 rate)",
        "duration (us-east-1 rate)",
        "total",
    ]
    _, standard, _ = costs.map_design_estimates(1000, 50, 20, 128, "ap-northeast-2").values()
    assert "state transitions" in [row[0] for row in standard.table().rows]  # Seoul's own


def test_us_east_1_express_lines_carry_no_region():
    _, express = costs.monthly_comparison(2, 80, 1_000, "us-east-1")
    assert [row[0] for row in express.table().rows] == ["requests", "duration", "total"]


def test_standard_a_month_of_a_four_step_workflow_run_100000_times():
    # AWS's example: 100,000 executions × 4 transitions = 400,000; less the 4,000 free,
    # 396,000 × $0.025 per 1,000 = $9.90 in us-east-1.
    assert costs.monthly_standard(400_000, "us-east-1") == pytest.approx(9.90)
    # Seoul: $0.0271 per 1,000 transitions: 396,000 × 0.0000271 = $10.7316.
    assert costs.monthly_standard(400_000, "ap-northeast-2") == pytest.approx(10.7316)


def test_express_a_million_executions_of_30_seconds_in_64_mb():
    # 1,000,000 requests × $1.00 per million = $1.00; 1,000,000 × 30 s × 64/1024 GB =
    # 1,875,000 GB-s × $0.0000166667 = $31.25; in all $32.25.
    assert costs.monthly_express(1_000_000, 30_000, 64, "us-east-1") == pytest.approx(
        32.25, abs=0.01
    )


def test_express_duration_is_rounded_up_to_100_ms_and_memory_to_64_mb():
    assert costs.express_gb_seconds(101, 64) == pytest.approx(0.2 * 64 / 1024)
    assert costs.express_gb_seconds(50, 65) == pytest.approx(0.1 * 128 / 1024)


def test_lambda_three_million_one_second_invocations_of_512_mb():
    # AWS's Lambda example: 3M × 1 s × 0.5 GB = 1,500,000 GB-s; less 400,000 free =
    # 1,100,000 × $0.0000166667 = $18.33; 3M requests less 1M free = 2M × $0.20 per million
    # = $0.40; in all $18.73.
    assert costs.monthly_lambda(3_000_000, 1_500_000, "us-east-1") == pytest.approx(18.73, abs=0.01)


def test_report_lines_give_billed_requests_and_gb_seconds():
    lines = [
        "REPORT RequestId: 1\tDuration: 1.52 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB"
        "\tMax Memory Used: 40 MB\tInit Duration: 80.00 ms",
        "START RequestId: 2 Version: $LATEST",
        "REPORT RequestId: 2\tDuration: 998.1 ms\tBilled Duration: 999 ms\tMemory Size: 1024 MB"
        "\tMax Memory Used: 40 MB",
    ]
    requests, gb_seconds = costs.billed_lambda_usage(lines)
    assert requests == 2
    assert gb_seconds == pytest.approx(0.002 * 0.125 + 0.999 * 1.0)


def test_the_blogs_execution_costs_two_transitions_and_one_lambda_call():
    report = "REPORT RequestId: 1\tDuration: 1.52 ms\tBilled Duration: 100 ms\tMemory Size: 128 MB"
    estimate = costs.execution_estimate(BLOG_PURCHASE, "us-east-1", report_lines=[report])
    assert costs.state_transitions(BLOG_PURCHASE) == 2
    # 2 × $0.000025 + 1 × $0.0000002 + 0.1 s × 0.125 GB × $0.0000166667
    assert estimate.total == pytest.approx(0.00005 + 0.0000002 + 0.0125 * 0.0000166667)
    assert "total" in repr(estimate.table())


def test_each_retry_is_a_transition():
    retried = events(
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionFailed",
        "LambdaFunctionScheduled",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    )
    assert costs.state_transitions(retried) == 2


def test_an_express_execution_is_billed_by_request_and_duration():
    estimate = costs.execution_estimate(
        events("ExecutionStarted", "PassStateEntered", "ExecutionSucceeded", seconds=0.25),
        "ap-northeast-2",
        "EXPRESS",
    )
    # 1 request × $0.000001 + 0.3 s (rounded up) × 64/1024 GB × $0.0000166667
    assert estimate.total == pytest.approx(0.000001 + 0.3 * 0.0625 * 0.0000166667)


def test_an_unknown_region_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match="eu-west-9.*us-east-1"):
        costs.rates("eu-west-9")


def test_a_blog_execution_is_priced_from_its_history_and_its_functions_report_lines(blog_stack):
    import helpers

    arn = blog_orders.start(blog_stack, "PURCHASE")
    table = helpers.execution_cost(arn)
    items = {row[0]: row for row in table.rows}
    assert items["state transitions"][1] == "2"  # the Choice and one Task
    assert items["Lambda requests"][1] == "1"  # ProcessPurchase, once
    assert "Seoul" in table.title and f"prices as of {costs.as_of()}" in table.title


def test_a_month_of_the_blog_workflow_as_standard_and_as_express():
    # 1,000,000 runs of 2 transitions: 2,000,000 less the 4,000 free = 1,996,000 × $0.025 per
    # 1,000 = $49.90 in us-east-1. As Express, 80 ms each (billed 100 ms at 64 MB): 1,000,000 ×
    # $1.00 per million = $1.00, and 1,000,000 × 0.1 s × 64/1024 GB = 6,250 GB-s ×
    # $0.0000166667 = $0.1042; $1.1042 in all.
    standard, express = costs.monthly_comparison(2, 80, 1_000_000, "us-east-1")
    assert standard.total == pytest.approx(49.90)
    assert express.total == pytest.approx(1.1042, abs=0.0001)
    assert [line[1] for line in express.lines] == [1_000_000, pytest.approx(6250)]


def test_a_small_month_of_standard_is_free():
    standard, express = costs.monthly_comparison(2, 80, 1_000, "us-east-1")
    assert standard.total == 0  # 2,000 transitions, inside the 4,000 free
    assert express.total > 0  # Express has no free tier


def test_execution_duration_is_first_to_last_event():
    assert (
        costs.execution_duration_ms(events("ExecutionStarted", "ExecutionSucceeded", seconds=1.5))
        == 1500
    )


def test_a_map_over_1000_items_priced_three_ways_in_us_east_1():
    # 1,000 items, 20 ms of Lambda work each at 128 MB; Distributed batches of 50 (20 children).
    inline, standard, express = costs.map_design_estimates(1000, 50, 20, 128, "us-east-1").values()
    # Inline Map in Standard: the Map entered once + 1,000 iterations × 1 Task = 1,001
    # transitions × $0.000025 = $0.025025; 1,000 Lambda calls × $0.0000002 = $0.0002;
    # 1,000 × 0.020 s × 0.125 GB = 2.5 GB-s × $0.0000166667 = $0.00004166675.
    assert [line[1] for line in inline.lines] == [1001, 1000, pytest.approx(2.5)]
    assert inline.total == pytest.approx(0.025025 + 0.0002 + 0.00004166675)
    # Distributed, Standard children: 1 (Map) + 20 (one per child started) + 20 × 1 (each
    # child's Task) = 41 × $0.000025 = $0.001025; 20 Lambda calls of 1,000 ms: $0.000004 and
    # 20 × 1 s × 0.125 GB = 2.5 GB-s, $0.00004166675.
    assert [line[1] for line in standard.lines] == [41, 20, pytest.approx(2.5)]
    assert standard.total == pytest.approx(0.001025 + 0.000004 + 0.00004166675)
    # Distributed, Express children: 21 transitions in the parent ($0.000525); 20 Express
    # requests ($0.00002) of 1,000 ms at 64 MB: 20 × 1 s × 0.0625 GB = 1.25 GB-s ×
    # $0.0000166667 = $0.000020833375; Lambda as above.
    assert [line[1] for line in express.lines] == [21, 20, pytest.approx(1.25), 20, 2.5]
    assert express.total == pytest.approx(
        0.000525 + 0.00002 + 0.000020833375 + 0.000004 + 0.00004166675
    )


def test_map_designs_in_seoul_use_seouls_transition_price():
    # Seoul: $0.0271 per 1,000 transitions: 1,001 × 0.0000271 = $0.0271271.
    inline, *_ = costs.map_design_estimates(1000, 50, 20, 128, "ap-northeast-2").values()
    assert inline.lines[0][-1] == pytest.approx(0.0271271)


def test_a_last_partial_batch_is_one_more_child():
    _, standard, _ = costs.map_design_estimates(1001, 50, 20, 128, "us-east-1").values()
    assert standard.lines[0][1] == 1 + 21 + 21


def test_dollars_show_a_fraction_of_a_cent():
    assert costs.dollars(54.0912) == "$54.09"
    assert costs.dollars(0.0271271) == "$0.02713"
    assert costs.dollars(0.0000013104) == "$0.00000131"
    assert costs.dollars(0) == "$0.00"


def test_comparison_table_puts_each_estimate_s_lines_and_total_under_its_name():
    standard, express = costs.Estimate("us-east-1"), costs.Estimate("us-east-1")
    standard.add("state transitions", 4000, "transitions", 0.000025)
    express.add("requests", 1000, "requests", 0.000001)
    table = costs.comparison_table(
        {"Standard": standard, "Express": express}, "type", "a month", ",.0f"
    )
    assert table.rows == [
        ["Standard", "state transitions", "4,000 transitions", "$0.1"],
        ["Standard", "total", "", "$0.1"],
        ["Express", "requests", "1,000 requests", "$0.001"],
        ["Express", "total", "", "$0.001"],
    ]
