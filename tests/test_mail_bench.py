"""Slow: benchmarks/mail_bench.py runs once, small and untimed, so the benchmark cannot rot.

The kehoach half runs the real deliver-mail flow; the prefect-email half runs when prefect-email
(the bench extra) is installed. No timing is asserted: rates depend on the machine.
"""
import importlib.util
import smtplib
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "mail_bench.py"
RECIPIENTS = 5


def benchmark():
    """benchmarks/mail_bench.py, loaded as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("mail_bench", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def has_prefect_email() -> bool:
    try:
        import prefect_email  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def bench():
    return benchmark()


@pytest.fixture(scope="module")
def result(bench, tmp_path_factory):
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        return bench.run(tmp_path_factory.mktemp("mail_bench"), RECIPIENTS, runs=1,
                         prefect_email=has_prefect_email())


def test_the_benchmark_delivers_its_plan_with_the_real_deliver_mail_flow_and_every_message_arrives(bench, result):
    (side,) = result.kehoach
    (batch,) = result.batches
    assert side.sent == side.received == side.expected == len(batch.messages) == RECIPIENTS
    assert side.task_runs == bench.kehoach_task_runs(batch) >= 2  # the pending rows, then one task per chunk
    assert side.complete_seconds >= side.seconds  # counted until the server held the task runs' records
    assert 38 * 1024 < len(batch.content) < 44 * 1024  # the issued .docx, padded to about 40 KB
    seen = bench.inspect(side.files[-1], batch)
    assert seen["from_ok"] and seen["file_name_ok"] and seen["attachment_ok"] and seen["subject_ok"]
    assert seen["date"] and seen["message_id"] and seen["cc"] is None
    (alone,) = result.sink_alone
    assert alone.received == RECIPIENTS


def test_the_benchmark_sends_the_same_messages_with_prefect_email_one_task_each(bench, result):
    pytest.importorskip("prefect_email", reason="prefect-email is in the bench extra: pip install -e '.[bench]'")
    (side,) = result.prefect_email
    (batch,) = result.batches
    assert side.sent == side.received == RECIPIENTS
    assert side.task_runs == RECIPIENTS  # one task per message, all recorded before the server stopped
    seen = bench.inspect(side.files[-1], batch)
    assert seen["attachment_ok"] and seen["subject_ok"]  # what it mangles is reported, not asserted
    lines, complete = bench.summary(result)
    assert complete and any(line.startswith("prefect-email (one task per message)") for line in lines)
    report = "\n".join(bench.ratios(result))
    assert "the sink's ceiling" in report and "at the flows' return" in report
    assert "counted until its records were in" in report.splitlines()[-1]  # the headline: complete runs


def test_the_ratio_is_taken_on_the_runs_complete_with_their_records_and_both_variants_are_printed(bench):
    ours = bench.Side(seconds=1.0, sent=100, received=100, expected=100, flow_run_id="a", recorded_after=0.25,
                      task_runs=3)
    theirs = bench.Side(seconds=2.0, sent=100, received=100, expected=100, flow_run_id="b", recorded_after=3.0,
                        task_runs=100)
    alone = bench.Side(seconds=0.2, sent=100, received=100, expected=100)
    result = bench.Result(kehoach=[ours], prefect_email=[theirs], sink_alone=[alone])
    assert (ours.rate, ours.rate_at_return, theirs.rate, theirs.rate_at_return) == (80.0, 100.0, 20.0, 50.0)
    ceiling, at_return, why, headline = bench.ratios(result)
    assert ceiling.startswith("the sink's ceiling: 500.0 messages/s") and "25.0×" in ceiling
    assert "kehoach 100.0/s, prefect-email 50.0/s, 2.0×" in at_return
    assert "records" in why
    assert headline.startswith("kehoach delivers 4.0× the rate of prefect-email") and "80.0/s" in headline


@pytest.mark.parametrize("stock", [False, True], ids=["DATA read in one piece", "aiosmtpd's own DATA handler"])
def test_each_sink_runs_in_a_process_of_its_own_and_stores_the_bytes_sent_dots_unstuffed(bench, tmp_path, stock):
    messages = [b".Subject: one begins with a dot\r\n\r\n.a dot\r\n..two dots\r\nend\r\n",
                b"Subject: two, 150 KB\r\n\r\n" + (b"QUFBQUFB" * 9 + b"\r\n") * 1000 + b".\r\n"
                + (b"QUFBQUFB" * 9 + b"\r\n") * 1000 + b".\r\n"]
    with bench.SinkProcess(tmp_path / "sink", stock=stock) as sink:
        with smtplib.SMTP(sink.host, sink.port) as smtp:  # smtplib dot-stuffs; the sink must undo it
            for data in messages:
                smtp.sendmail("a@hoabinh.example.vn", ["b@hoabinh.example.vn"], data)
        assert sink.count == len(messages)
        stored = [path.read_bytes() for path in sorted(sink.directory.glob("*.eml"))]
    assert stored == messages


def test_the_benchmark_says_how_to_install_prefect_email_when_it_is_missing(bench, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "prefect_email", None)  # import prefect_email now raises ImportError
    for key in ("PREFECT_SERVER_ANALYTICS_ENABLED", "PREFECT_LOGGING_LEVEL"):
        monkeypatch.delenv(key, raising=False)  # main() sets them; monkeypatch puts them back as they were
    assert bench.main(["--recipients", "1"]) == 2
    assert "prefect-email is not installed" in capsys.readouterr().err
