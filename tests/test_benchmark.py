import statistics

from zoo import benchmark


def test_median_seconds_takes_the_median_after_warmup(monkeypatch):
    ticks = iter([0.0, 1.0, 10.0, 13.0, 20.0, 22.0])  # durations 1, 3, 2
    monkeypatch.setattr(benchmark.time, "perf_counter", lambda: next(ticks))
    calls = []
    assert benchmark.median_seconds(lambda: calls.append(1), repeats=3, warmup=2) == statistics.median([1, 3, 2])
    assert len(calls) == 5


def test_write_section_replaces_only_its_own_section(tmp_path):
    path = tmp_path / "B.md"
    benchmark.write_section(path, "A", "first", "cmd a")
    benchmark.write_section(path, "B", "second", "cmd b")
    benchmark.write_section(path, "A", "third", "cmd a2")
    text = path.read_text()
    assert text.count("## A") == 1 and "third" in text and "first" not in text
    assert "second" in text and "`cmd a2`" in text and "CPU cores" in text
    assert text.index("## A") < text.index("## B")


def test_markdown_table():
    assert benchmark.markdown_table(("a", "b"), [(1, 2)]) == "| a | b |\n|---|---|\n| 1 | 2 |"
