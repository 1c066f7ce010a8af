"""The papermill report runner: parameter validation, the failure path, manifest and index."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from analysis.reports import ParameterError
from analysis.reports import runner as reports


def _notebook(path: Path, params: str, body: str, key: str = 'show_key_numbers({"x": x})'):
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    }
    nb.cells = [
        new_markdown_cell(f"# Test notebook {path.stem}"),
        new_code_cell(params, metadata={"tags": ["parameters"]}),
        new_code_cell("from analysis.reports import show_key_numbers\n" + body),
        new_code_cell("# NBVAL_CHECK_OUTPUT\n" + key, metadata={"tags": ["key-numbers"]}),
    ]
    nbformat.write(nb, path)


PARAMS = """\
x = 1  # a number
window_days = 14  # days in the window
direction = "around"  # one of: before, after, around
period_start = "2014-01-01"  # ISO date
period_end = "2026-01-01"  # ISO date
ratio = 0.5  # a float
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "proj"
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "t.csv").write_text("id\n1\n")
    (root / "pyproject.toml").write_text("")
    nbs = root / "notebooks"
    nbs.mkdir()
    _notebook(nbs / "01_first.ipynb", PARAMS, "assert x < 5, f'x too large: {x}'")
    _notebook(
        nbs / "02_second.ipynb", "y = 2  # another", "z = y * 2", 'show_key_numbers({"z": z})'
    )
    nb = nbformat.read(nbs / "02_second.ipynb", as_version=4)
    nb.cells.append(
        new_code_cell(
            "from IPython.display import HTML\nHTML('<p>The <b>answer</b> is ' + str(z) + '</p>')",
            metadata={"tags": ["answer"]},
        )
    )
    nbformat.write(nb, nbs / "02_second.ipynb")
    monkeypatch.setenv("BARGAINING_CHIP_ROOT", str(root))
    return root


def test_discover_in_order_and_only(project):
    books = reports.discover_notebooks(project / "notebooks")
    assert [b.stem for b in books] == ["01_first", "02_second"]
    assert [b.stem for b in reports.discover_notebooks(project / "notebooks", ["02"])] == [
        "02_second"
    ]
    with pytest.raises(ParameterError, match="'07' matches no notebook"):
        reports.discover_notebooks(project / "notebooks", ["07"])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"nope": 1}, "unknown parameter(s) 'nope'"),
        ({"x": "one"}, "parameter 'x' (notebook 01_first) = 'one' has type str; allowed: int"),
        ({"x": True}, "has type bool; allowed: int"),
        ({"window_days": 0}, "'window_days' (notebook 01_first) = 0; allowed: a number > 0"),
        ({"window_days": -3}, "allowed: a number > 0"),
        ({"direction": "sideways"}, "= 'sideways' is not allowed; one of: before, after, around"),
        ({"period_end": "2010-01-01"}, "'period_end' (notebook 01_first) = '2010-01-01' is before"),
        ({"period_start": "2014-13-01"}, "allowed: ISO dates YYYY-MM-DD"),
    ],
)
def test_parameter_validation_errors(project, params, message):
    books = reports.discover_notebooks(project / "notebooks")
    with pytest.raises(ParameterError) as exc:
        reports.validate_parameters(books, params)
    assert message in str(exc.value)


def test_parameter_validation_accepts_and_routes(project):
    books = reports.discover_notebooks(project / "notebooks")
    out = reports.validate_parameters(books, {"y": 5, "ratio": 1}, {"01": {"x": 3}})
    assert out == {"01_first": {"ratio": 1.0, "x": 3}, "02_second": {"y": 5}}
    assert isinstance(out["01_first"]["ratio"], float)
    with pytest.raises(ParameterError, match="unknown parameter 'y' for notebook '01_first'"):
        reports.validate_parameters(books, {}, {"01_first": {"y": 1}})
    with pytest.raises(ParameterError, match="not among those run"):
        reports.validate_parameters(books, {}, {"09": {"x": 1}})


def test_parse_cli_parameters(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("seed: 3\n02_coincidence:\n  window_days: 30\n  period_end: 2020-01-01\n")
    g, per = reports.parse_cli_parameters(
        ["direction=before", "02:null=uniform", "w=[7, 14]", "period_start=2019-05-01"], f
    )
    assert g == {"seed": 3, "direction": "before", "w": [7, 14], "period_start": "2019-05-01"}
    assert per == {
        "02_coincidence": {"window_days": 30, "period_end": "2020-01-01"},
        "02": {"null": "uniform"},
    }
    with pytest.raises(ParameterError, match="expected name=value"):
        reports.parse_cli_parameters(["oops"])
    with pytest.raises(ParameterError, match="does not exist"):
        reports.parse_cli_parameters([], tmp_path / "missing.yaml")


def test_main_rejects_bad_parameter_before_any_kernel(project, capsys):
    code = reports.main(["-p", "window_days=0", "--no-progress"])
    assert code == 2
    assert "window_days" in capsys.readouterr().err
    assert not (project / "reports").exists()


def test_run_success_then_failure_keeps_last_good_report(project, capsys):
    out = project / "reports"
    res = reports.run_reports(progress=False)
    assert res.ok
    good_html = (out / "01_first.html").read_text(encoding="utf-8")
    good_nb = (out / "01_first.ipynb").read_bytes()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["notebooks"]["01_first"]["key_numbers"] == {"x": "1"}
    assert manifest["notebooks"]["02_second"]["key_numbers"] == {"z": "4"}
    assert manifest["inputs_sha256"]["data/raw/t.csv"]
    assert manifest["notebooks"]["01_first"]["duration_s"] > 0
    assert "numpy" in manifest["versions"]
    index = (out / "index.html").read_text()
    assert "01_first.html" in index and "x: <b>1</b>" in index
    assert "<p>The <b>answer</b> is 4</p>" in index
    assert index.index("The answer") < index.index("<h2>Reports</h2>")

    code = reports.main(["-p", "01:x=10", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1
    assert "FAILED: notebook 01_first at cell" in err and "x too large: 10" in err
    # the last good report is untouched, the failed run kept for debugging
    assert (out / "01_first.html").read_text(encoding="utf-8") == good_html
    assert (out / "01_first.ipynb").read_bytes() == good_nb
    failed = nbformat.read(out / "failed" / "01_first.ipynb", as_version=4)
    injected = [c for c in failed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "x = 10" in injected[0].source
    # the other notebook still ran
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["notebooks"]["01_first"]
    assert entry["status"] == "ok" and entry["key_numbers"] == {"x": "1"}
    assert entry["last_failure"]["status"] == "failed"
    assert manifest["notebooks"]["02_second"]["status"] == "ok"
    assert "last run failed" in (out / "index.html").read_text()
    assert not (out / ".staging").exists()


def test_html_is_standalone(project):
    reports.run_reports(progress=False, only=["01"])
    page = (project / "reports" / "01_first.html").read_text(encoding="utf-8")
    assert 'src="http' not in page
    assert "code-hidden" in page and "Show code" in page


def test_store_key_outputs_round_trip(project):
    reports.run_reports(progress=False, only=["02"])
    src = project / "notebooks" / "02_second.ipynb"
    assert reports.store_key_outputs(project / "reports" / "02_second.ipynb", src)
    nb = nbformat.read(src, as_version=4)
    assert reports.read_key_numbers(nb) == {"z": "4"}
    assert not reports.store_key_outputs(project / "reports" / "02_second.ipynb", src)


def test_show_key_numbers_rounds(capsys):
    reports.show_key_numbers({"a": 0.123456, "b": 3, "c": "x"}, digits=2)
    assert capsys.readouterr().out == "a: 0.12\nb: 3\nc: x\n"


def _tree(folder: Path) -> dict[str, int]:
    """Relative path -> permission bits of every file under ``folder``."""
    return {
        str(p.relative_to(folder)): p.stat().st_mode & 0o777
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_parallel_run_matches_serial_run(project):
    serial = reports.run_reports(reports_dir=project / "serial", progress=False, jobs=1)
    parallel = reports.run_reports(reports_dir=project / "parallel", progress=False, jobs=2)
    assert serial.ok and parallel.ok
    assert (
        [r.name for r in parallel.runs]
        == [r.name for r in serial.runs]
        == [
            "01_first",
            "02_second",
        ]
    )
    assert [r.key_numbers for r in parallel.runs] == [r.key_numbers for r in serial.runs]
    assert [r.key_numbers for r in serial.runs] == [{"x": "1"}, {"z": "4"}]
    a = json.loads((project / "serial" / "manifest.json").read_text())
    b = json.loads((project / "parallel" / "manifest.json").read_text())
    assert list(a) == list(b)
    assert a["last_run"] == b["last_run"] and list(a["notebooks"]) == list(b["notebooks"])
    assert (a["jobs"], b["jobs"]) == (1, 2)
    for name in a["notebooks"]:
        assert a["notebooks"][name]["key_numbers"] == b["notebooks"][name]["key_numbers"]
        assert a["notebooks"][name]["answer_html"] == b["notebooks"][name]["answer_html"]
    # same files, every one readable by everyone; no staging folder left behind
    assert _tree(project / "serial") == _tree(project / "parallel")
    assert set(_tree(project / "parallel").values()) == {0o644}
    assert set(_tree(project / "parallel")) == {
        "01_first.html", "01_first.ipynb", "02_second.html", "02_second.ipynb",
        "index.html", "manifest.json",
    }  # fmt: skip


def test_parallel_failure_is_contained(project):
    out = project / "reports"
    res = reports.run_reports(progress=False, jobs=2, per_notebook={"01": {"x": 10}})
    assert [r.status for r in res.runs] == ["failed", "ok"]
    assert "x too large: 10" in res.runs[0].error
    assert (out / "failed" / "01_first.ipynb").stat().st_mode & 0o777 == 0o644
    assert (out / "02_second.html").is_file() and not (out / "01_first.html").exists()
    assert not (out / ".staging").exists()


@pytest.mark.parametrize("jobs", [0, -1, 1.5, True])
def test_bad_jobs(project, jobs):
    with pytest.raises(ParameterError, match=rf"jobs = {jobs!r}; allowed: a whole number >= 1"):
        reports.run_reports(progress=False, jobs=jobs)
    assert not (project / "reports").exists()


def test_atomic_write_mode(tmp_path):
    reports._atomic_write(tmp_path / "index.html", "<p>hi</p>")
    assert (tmp_path / "index.html").stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_kernel_start_failures_are_retried_but_cell_errors_are_not():
    from papermill.exceptions import PapermillExecutionError

    died = RuntimeError("Kernel died before replying to kernel_info")
    assert reports._kernel_start_failed(died)
    assert reports._kernel_start_failed(
        OSError("Address already in use (addr='tcp://127.0.0.1:1')")
    )
    cell = PapermillExecutionError(3, 1, "ValueError: bad", "ValueError", "bad", [])
    assert not reports._kernel_start_failed(cell)
    assert not reports._kernel_start_failed(ValueError("kernel_info"[:6]))


def test_a_kernel_that_dies_on_start_is_started_again(project, monkeypatch):
    import papermill

    real, calls = papermill.execute_notebook, []

    def flaky(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    res = reports.run_reports(project / "notebooks", project / "reports", only=["02"],
                              progress=False, jobs=1)  # fmt: skip
    assert res.ok and len(calls) == 2
    assert res.runs[0].key_numbers == {"z": "4"}


def test_kernels_start_quietly_on_ipc(project, capfd):
    """No "running over TCP without encryption" warning from the kernels on the console."""
    import os

    res = reports.run_reports(project / "notebooks", project / "reports", progress=False, jobs=2)
    assert res.ok
    err = capfd.readouterr().err
    if os.name != "nt":
        assert "without encryption" not in err
        assert "WARNING" not in err
    assert "KeyboardInterrupt" not in err


def test_kernel_config_is_ipc_in_its_own_short_folder():
    import os

    with reports._kernel_config() as first, reports._kernel_config() as second:
        quiet = ["--IPKernelApp.log_level=CRITICAL"]  # the kernel's log keeps to critical
        for c in (first, second):
            assert c["config"].NotebookClient.extra_arguments == quiet
        if os.name == "nt":
            return
        a, b = (c["config"].KernelManager for c in (first, second))
        assert a.transport == b.transport == "ipc"
        assert os.path.dirname(a.ip) != os.path.dirname(b.ip)
        assert os.path.isdir(os.path.dirname(a.ip)) and len(a.ip) < 90
    assert not os.path.exists(os.path.dirname(a.ip))
