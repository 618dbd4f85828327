import json
import logging

from opentelemetry import trace

from reelforge_common.logs import JsonFormatter


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("reelforge.test", logging.WARNING, __file__, 1, message, None, None)
    record.__dict__.update(extra)
    return record


def test_log_lines_are_json_with_service_level_message_and_extras() -> None:
    line = json.loads(JsonFormatter("gateway").format(_record("retrying", attempt=2)))
    assert (line["service"], line["level"], line["msg"], line["attempt"]) == ("gateway", "warning", "retrying", 2)
    assert "trace_id" not in line


def test_log_lines_inside_a_span_carry_its_trace_and_span_ids() -> None:
    with trace.get_tracer("test").start_as_current_span("work") as span:
        line = json.loads(JsonFormatter("gateway").format(_record("inside")))
    context = span.get_span_context()
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")


def test_exceptions_are_logged_with_their_traceback() -> None:
    try:
        raise ValueError("bad input")
    except ValueError:
        record = _record("failed")
        record.exc_info = __import__("sys").exc_info()
    line = json.loads(JsonFormatter("gateway").format(record))
    assert "ValueError: bad input" in line["exc"]
