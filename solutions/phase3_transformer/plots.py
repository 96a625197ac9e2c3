"""Given: a picture of your positional encoding (nothing to write here).

    .venv/bin/python -m phase3_transformer.plots [OUT_DIR]    # default build/plots/phase3_transformer

draws, with *your* ``sinusoidal_encoding``, the encoding of 100 positions in 64 dimensions as a
heatmap (one row per position, one column per dimension), and the first few columns as curves.
Read the pictures: row 0 alternates 0 and 1 (sin 0, cos 0); the left columns oscillate fast
(wavelength 2 pi), the right ones so slowly that they look constant; neighbouring rows look alike,
distant ones do not.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from phase3_transformer.positional_encoding import sinusoidal_encoding

DEFAULT_OUT = Path("build/plots/phase3_transformer")
T, D_MODEL = 100, 64


def main(out_dir: str | Path = DEFAULT_OUT) -> list[Path]:
    """Write the PNG files into out_dir; return their paths."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pe = np.asarray(sinusoidal_encoding(T, D_MODEL))  # (T, D)
    written = []

    fig, ax = plt.subplots(figsize=(7.5, 5.0))
    image = ax.imshow(pe, cmap="RdBu", vmin=-1.0, vmax=1.0, aspect="auto", interpolation="nearest")
    ax.set_xlabel("dimension (even: sine, odd: cosine)")
    ax.set_ylabel("position")
    ax.set_title(f"sinusoidal positional encoding, {T} positions x {D_MODEL} dimensions")
    fig.colorbar(image, ax=ax, label="value")
    fig.tight_layout()
    path = out_dir / "positional_encoding.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)

    fig, ax = plt.subplots(figsize=(9.0, 3.8))
    for column in (6, 7, 16, 30):
        kind = "sin" if column % 2 == 0 else "cos"
        wavelength = 2 * np.pi * 10000 ** ((column - column % 2) / D_MODEL)
        ax.plot(pe[:, column], label=f"dim {column} ({kind}, wavelength {wavelength:.3g})")
    ax.set_xlabel("position")
    ax.set_ylabel("value")
    ax.set_title("columns of the encoding: a sine and a cosine per frequency")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path = out_dir / "positional_encoding_columns.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)
    return written


if __name__ == "__main__":
    for written_path in main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT):
        print(f"wrote {written_path}")
