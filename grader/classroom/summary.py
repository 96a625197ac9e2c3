"""The instructor's summary of a class: ``summary.md`` and ``summary.png``.

Both hold the distribution of total scores (a histogram in tenths of the maximum), every phase's
average score and completion rate, and the hardest tests (lowest pass rate first, ties by name),
each labelled with its phase. The picture is drawn with matplotlib's headless Agg backend. Built
from gradebook rows only (see :mod:`grader.classroom.gradebook`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.classroom.gradebook import phase_names

HARDEST = 15


def histogram(rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """(label, count) for ten bins of the total score as a share of the maximum; ungraded rows count as 0."""
    counts = [0] * 10
    for row in rows:
        result = row["result"]
        share = result["score"] / result["max_score"] if result and result["max_score"] else 0.0
        counts[min(9, int(share * 10 + 1e-9))] += 1
    return [(f"{10 * i}-{10 * i + 10} %", n) for i, n in enumerate(counts)]


def phase_table(rows: list[dict[str, Any]]) -> list[tuple[str, float, float, float]]:
    """(phase, average score, max score, completion rate) over the graded students."""
    table = []
    graded = [r["result"] for r in rows if r["result"]]
    for name in phase_names(rows):
        phases = [p for result in graded for p in result["phases"] if p["name"] == name]
        average = sum(p["score"] for p in phases) / len(phases)
        table.append((name, average, phases[0]["max_score"], sum(p["complete"] for p in phases) / len(phases)))
    return table


def hardest(rows: list[dict[str, Any]]) -> list[tuple[str, str, float]]:
    """(phase, test, pass rate) for every test, lowest pass rate first, ties by phase order and name."""
    order = phase_names(rows)
    outcomes: dict[tuple[str, str], list[bool]] = {}
    for row in rows:
        for phase in (row["result"] or {}).get("phases", []):
            for test in phase["tests"]:
                outcomes.setdefault((phase["name"], test["id"].rsplit("::", 1)[-1]), []).append(test["passed"])
    rates = [(phase, test, sum(o) / len(o)) for (phase, test), o in outcomes.items()]
    return sorted(rates, key=lambda r: (r[2], order.index(r[0]), r[1]))


def write_summary(rows: list[dict[str, Any]], out: Path, skipped: list[tuple[str, str]] = ()) -> None:
    graded = [r for r in rows if r["result"]]
    lines = [f"# Class summary: {len(rows)} students, {len(graded)} graded", ""]
    missing = [r["student"] for r in rows if not r.get("submission")]
    broken = [r for r in rows if r["error"] and r.get("submission")]
    if missing:
        lines += [f"No submission: {', '.join(missing)}", ""]
    if broken:
        lines += ["Could not be graded:", "", *(f"- {r['student']}: {r['error'].strip().splitlines()[-1]}"
                                                for r in broken), ""]
    if skipped:
        lines += ["Skipped entries:", "", *(f"- `{name}`: {why}" for name, why in skipped), ""]
    lines += ["## Total scores", "", "| share of the maximum | students |", "| --- | ---: |"]
    lines += [f"| {label} | {count} |" for label, count in histogram(rows)]
    table = phase_table(rows)
    lines += ["", "## Phases", "", "| phase | average | max | complete |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {n} | {avg:.2f} | {mx:g} | {100 * rate:.0f} % |" for n, avg, mx, rate in table]
    worst = hardest(rows)[:HARDEST]
    lines += ["", "## Hardest tests", "", "| pass rate | phase | test |", "| ---: | --- | --- |"]
    lines += [f"| {100 * rate:.0f} % | {phase} | `{test}` |" for phase, test, rate in worst]
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    if graded:
        plot(rows, out / "summary.png")


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """Three panels: the score histogram, per-phase averages and completion, the hardest tests."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = histogram(rows)
    table = phase_table(rows)
    worst = hardest(rows)[:HARDEST]
    fig, axes = plt.subplots(3, 1, figsize=(10, 4 + 0.3 * (len(table) + len(worst))),
                             gridspec_kw={"height_ratios": [3, max(2, len(table)), max(3, len(worst))]})
    axes[0].bar([b[0] for b in bins], [b[1] for b in bins], color="#4a7ab5")
    axes[0].set_ylabel("students")
    axes[0].set_title("Total score (share of the maximum)")
    axes[0].tick_params(axis="x", labelsize=7)
    names = [t[0] for t in table]
    axes[1].barh(names, [100 * t[1] / t[2] if t[2] else 0 for t in table], color="#4a7ab5", label="average score")
    axes[1].scatter([100 * t[3] for t in table], names, color="#d9822b", zorder=3, label="complete")
    axes[1].set_xlim(0, 100)
    axes[1].invert_yaxis()
    axes[1].set_xlabel("% of the phase's points / % of students complete")
    axes[1].legend(loc="lower right", fontsize=7)
    labels = [f"{phase}: {test[:50]}" for phase, test, _ in worst]
    axes[2].barh(labels, [100 * r for _, _, r in worst], color="#b54a4a")
    axes[2].set_xlim(0, 100)
    axes[2].invert_yaxis()
    axes[2].tick_params(axis="y", labelsize=7)
    axes[2].set_xlabel("students passing (%)")
    axes[2].set_title("Hardest tests (lowest pass rate first)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
