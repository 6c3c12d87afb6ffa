"""`python -m fastact demo --quick`: it runs, its report has the promised
structure, and the effects it exists to show are in its numbers."""
import json
import os
import subprocess
import sys

import pytest

import fastact
from fastact import _catalog, _demo


@pytest.fixture(scope="module")
def report():
    """One quick run through the CLI, as a user would start it, in JSON."""
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "fastact", "demo", "--quick", "--json"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    # Piped: no progress output.
    assert proc.stderr == ""
    return json.loads(proc.stdout)


def runs(report, setting):
    return {r["activation"]: r for r in report["runs"] if r["setting"] == setting}


def test_demo_trains_every_catalogue_activation_with_forward_and_backward(report):
    expected = [a for a in _catalog.activations()
                if a in _demo.demo_activations()]
    assert {"sigmoid", "relu", "leaky_relu"} <= set(expected)
    for setting in ("deep", "dying"):
        assert list(runs(report, setting)) == expected


def test_demo_report_structure(report):
    deep = report["settings"]["deep"]
    for r in runs(report, "deep").values():
        assert r["layers"] == [2] + [deep["width"]] * deep["depth"] + [3]
        assert len(r["loss_curve"]) == r["epochs"] == deep["epochs"]
        assert len(r["grad_norms"]) == deep["depth"] + 1
        assert len(r["dead_fraction_per_layer"]) == deep["depth"]
        assert 0 <= r["accuracy"] <= 1 and 0 <= r["dead_fraction"] <= 1
        assert r["seconds_per_epoch"] > 0 and r["seconds_per_epoch_reference"] > 0
        assert r["speedup"] > 0 and r["activation_speedup"] > 0
        assert 0 < r["activation_seconds_per_epoch"] < r["seconds_per_epoch"]


def test_fastact_and_numpy_loops_train_the_same_network(report):
    # The timing comparison is only fair if both loops do the same work:
    # the losses of the epochs run with fastact.reference match fastact's.
    for r in runs(report, "deep").values():
        ref = r["loss_curve_reference"]
        assert ref == pytest.approx(r["loss_curve"][:len(ref)], rel=1e-3, abs=1e-5)


def test_relu_learns_the_spirals(report):
    assert runs(report, "deep")["relu"]["accuracy"] > 0.8


def test_deep_sigmoid_gradients_vanish_towards_the_input(report):
    deep = runs(report, "deep")
    sig = deep["sigmoid"]["grad_norms"]
    relu = deep["relu"]["grad_norms"]
    # Orders of magnitude between the last and the first layer for sigmoid,
    # far more than for relu.
    assert sig[-1] / sig[0] > 100
    assert sig[-1] / sig[0] > 30 * (relu[-1] / relu[0])


def test_large_learning_rate_kills_relu_units_but_not_leaky_relu_units(report):
    dying = runs(report, "dying")
    assert dying["relu"]["dead_fraction"] > 0.05
    assert dying["leaky_relu"]["dead_fraction"] == 0


def test_demo_prints_tables_and_writes_a_plot(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "demo.png"
    proc = subprocess.run([sys.executable, "-m", "fastact", "demo", "--quick",
                           "--activations", "relu,sigmoid", "--plot", str(path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "deep net" in proc.stdout and "dying units" in proc.stdout
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_rejects_an_unknown_activation():
    proc = subprocess.run([sys.executable, "-m", "fastact", "demo", "--activations", "nope"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "unknown activation" in proc.stderr


def test_demo_leaves_the_thread_setting_as_it_found_it():
    before = fastact.get_num_threads()
    _demo.main(["--quick", "--activations", "relu", "--json", "--threads", "1"])
    assert fastact.get_num_threads() == before


def test_demo_shows_progress_on_a_terminal():
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "fastact", "demo", "--quick",
                             "--activations", "relu"],
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:     # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    proc.stdout.read()
    proc.stdout.close()
    assert proc.wait(timeout=600) == 0
    assert b"relu" in seen and b"epoch 1/" in seen
