import json
import statistics

from zoo import benchmark, reporting


def test_median_seconds_takes_the_median_after_warmup(monkeypatch):
    ticks = iter([0.0, 1.0, 10.0, 13.0, 20.0, 22.0])  # durations 1, 3, 2
    monkeypatch.setattr(benchmark.time, "perf_counter", lambda: next(ticks))
    calls = []
    assert benchmark.median_seconds(lambda: calls.append(1), repeats=3, warmup=2) == statistics.median([1, 3, 2])
    assert len(calls) == 5


def test_load_times_loads_the_first_pretrained_weight_of_each_architecture(monkeypatch):
    codes = []
    monkeypatch.setattr(benchmark, "fresh_process_seconds", lambda code, repeats: codes.append(code) or 1.5)
    rows = benchmark.load_times(["a", "b"], {"a.y", "a.x", "ab.z"}, repeats=2)
    assert [what for what, _ in rows] == ["`import zoo`", "`zoo.load('a.x')`",
                                          "`zoo.load('b')` (random weights: no pretrained file)"]
    assert {seconds for _, seconds in rows} == {1.5}
    assert "pretrained=True" in codes[1] and "pretrained=False" in codes[2]


def test_record_writes_the_result_with_figures_relative_to_docs(tmp_path, monkeypatch):
    monkeypatch.setattr(benchmark.sys, "argv", ["tools/x/bench.py", "--flag=1"])
    table = reporting.Table(["a", "b"], [["1", "2"]], "caption")
    path = benchmark.record("x_speed", tmp_path, tables=[table], figures=["docs/images/x.png"], notes=["setting"],
                            data={"speedup": [1.0]})
    recorded = json.loads(path.read_text())
    assert path == tmp_path / "x_speed.json"
    assert recorded["command"] == "python tools/x/bench.py --flag=1" and recorded["figures"] == ["images/x.png"]
    assert recorded["tables"][0]["rows"] == [["1", "2"]] and recorded["data"] == {"speedup": [1.0]}


def test_record_only_prints_without_a_directory(tmp_path, capsys):
    assert benchmark.record("x", "", tables=[reporting.Table(["a"], [["1"]])], notes=["setting"]) is None
    assert capsys.readouterr().out == "setting\n\n| a |\n|---|\n| 1 |\n"
    assert not list(tmp_path.iterdir())


def test_save_figure_writes_the_png_and_makes_its_directory(tmp_path):
    figure, _ = benchmark.pyplot().subplots()
    path = benchmark.save_figure(figure, tmp_path / "images" / "x.png")
    assert path.read_bytes().startswith(b"\x89PNG")
