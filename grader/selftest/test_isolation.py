"""Choosing the isolation mode, and the feedback filter, without grading anything (fast)."""

import pytest

from grader.engine import isolation, redact
from grader.engine.phases import REPO


@pytest.fixture
def machine(monkeypatch):
    """A machine whose bubblewrap and root-ness the test decides."""

    def configure(bwrap: bool, root: bool, setting: str | None = None) -> None:
        isolation._mode.cache_clear()
        monkeypatch.setattr(isolation, "bubblewrap_binary", lambda: "/usr/bin/bwrap" if bwrap else None)
        monkeypatch.setattr(isolation.os, "geteuid", lambda: 0 if root else 1000)
        if setting is None:
            monkeypatch.delenv("GRADER_SANDBOX", raising=False)
        else:
            monkeypatch.setenv("GRADER_SANDBOX", setting)

    yield configure
    isolation._mode.cache_clear()


@pytest.mark.parametrize("bwrap, root, expected", [(True, True, "bwrap"), (True, False, "bwrap"),
                                                   (False, True, "user"), (False, False, "none")])
def test_auto_takes_the_first_mode_that_works(machine, bwrap, root, expected):
    machine(bwrap, root)
    assert isolation.mode() == expected


def test_a_class_never_falls_back_to_no_isolation_silently(machine):
    machine(bwrap=False, root=False)
    with pytest.raises(isolation.IsolationError, match="GRADER_SANDBOX=none"):
        isolation.mode(require=True)
    assert isolation.summary()["warning"]  # a learner's own grade runs, and says so


def test_only_an_explicit_none_grades_a_class_with_limits_alone(machine):
    machine(bwrap=True, root=True, setting="none")
    info = isolation.summary(require=True)
    assert info["mode"] == "none" and "GRADER_SANDBOX=none" in info["warning"]


@pytest.mark.parametrize("setting, bwrap, root", [("bwrap", False, True), ("user", False, False)])
def test_a_mode_asked_for_is_never_replaced_by_another(machine, setting, bwrap, root):
    machine(bwrap, root, setting)
    with pytest.raises(isolation.IsolationError, match=setting):
        isolation.mode()


def test_an_unknown_setting_names_the_choices(machine):
    machine(True, True, "docker")
    with pytest.raises(ValueError, match="auto, bwrap, user, none.*'docker'"):
        isolation.mode()


def test_the_feedback_filter_withholds_secrets_and_keeps_ordinary_messages():
    hidden = (REPO / "phase0_math/tests/hidden/test_softmax.py").read_text()
    result = {"phases": [{"tests": [
        {"message": f"RuntimeError: {hidden}"},
        {"message": f"FileNotFoundError: {REPO}/solutions/phase0_math/softmax.py"},
        {"message": "not started: softmax (phase0_math/softmax.py:12)"},
        {"message": "softmax(x) has shape (2, 3), expected (3, 2)"},
    ]}]}
    messages = [t["message"] for t in redact.feedback(result)["phases"][0]["tests"]]
    assert messages[:2] == [redact.WITHHELD, redact.WITHHELD]
    assert messages[2:] == ["not started: softmax (phase0_math/softmax.py:12)",
                            "softmax(x) has shape (2, 3), expected (3, 2)"]
