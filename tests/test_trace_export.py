"""`empathyear trace TURN --json`: every node on the turn's clock, and the nodes' share of the wall time."""

import json

from graph.trace_export import union_ms
from ui.cli import main


def test_overlapping_intervals_are_counted_once():
    # Two side-by-side pairs, as the media steps run, then a gap, then one more node.
    intervals = [(0, 10), (12, 20), (14, 30), (15, 25), (40, 41), (5, 8)]
    assert union_ms(intervals) == 10 + 18 + 1
    assert union_ms([]) == 0
    assert union_ms([(3, 3)]) == 0


def test_the_exported_trace_times_every_node_of_a_full_turn(runner, capsys):
    result = runner.run(runner.request(text="I passed my driving test today!"))
    assert result["speech"] and result["video"]
    capsys.readouterr()
    assert main(["trace", result["turn"], "--json"]) == 0
    exported = json.loads(capsys.readouterr().out)

    assert exported["turn"] == result["turn"] and exported["session"] == result["session"]
    assert exported["timings_ms"] == result["timings_ms"]
    nodes = {e["node"] for e in exported["events"]}
    assert nodes == set(result["timings_ms"]) - {"total"}
    assert {"retrieve_voice", "retrieve_face", "synthesize_speech", "animate_face"} <= nodes
    for event in exported["events"]:
        assert event["start"] and event["start_ms"] >= 0
        assert abs(event["end_ms"] - event["start_ms"] - event["duration_ms"]) < 0.02  # rounding only
    agents = {
        e["node"]: e for e in exported["events"] if e["node"] in ("emotion", "scene", "responder", "profile")
    }
    assert agents["emotion"]["parsed"] == result["meta"]["emotion"]
    assert agents["profile"]["parsed"] == result["meta"]["profile"]
    # The media steps overlap: the nodes' busy time is less than the sum of their durations.
    wall, busy = exported["wall_ms"], exported["nodes_ms"]
    assert busy < sum(e["duration_ms"] for e in exported["events"])
    assert abs(busy - wall) <= 0.10 * wall, (busy, wall)
