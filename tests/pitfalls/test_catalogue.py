"""The pitfall catalogue itself: every unit names a gallery program that exists, and code mode's detectors,
judgements and explanations are exactly the catalogue's units, asked in the catalogue's order."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np

from bptrace.pitfalls import CATALOGUE
from bptrace.pitfalls.non_finite import non_finite_kinds

GALLERY = Path(__file__).resolve().parents[2] / "scenarios" / "gallery"


def test_every_finding_id_has_a_gallery_scenario() -> None:
    """Each catalogue unit names its gallery scenario, which exists and runs a program that exists."""
    stems = [pitfall.gallery for pitfall in CATALOGUE.values()]
    assert len(set(stems)) == len(stems), "two ids share a gallery program"
    for finding_id, pitfall in CATALOGUE.items():
        toml = GALLERY / f"{pitfall.gallery}.toml"
        assert toml.exists(), finding_id
        program = tomllib.loads(toml.read_text())["code"]["path"]
        assert (GALLERY / program).exists(), (finding_id, program)


def test_every_code_detector_is_a_catalogue_unit() -> None:
    """Code mode runs the catalogue's own detectors: the ids found once over the run are exactly the units
    that hold a detect_code, and the per-update judgements are the units that hold a judge_code."""
    with_code = {i for i, p in CATALOGUE.items() if p.detect_code is not None}
    assert with_code == {"shape-broadcast", "non-finite", "implicit-learning-rate", "exp-overflow",
                         "saturated-units", "dead-relu"}
    with_reference = {i for i, p in CATALOGUE.items() if p.detect_reference is not None}
    assert with_reference == {"non-finite", "implicit-learning-rate", "saturated-units", "dead-relu"}
    # A wrong update is asked of the units that judge one, in the catalogue's order: a negative factor is a
    # sign before it is a scale, and a bias's wrong sum before a transpose.
    judges = [i for i, p in CATALOGUE.items() if p.judge_code is not None]
    assert judges == ["update-sign", "gradient-scale", "bias-sum-axis", "transpose"]
    # A wrong matrix product reads a weight already updated before it is a missing transpose.
    products = [i for i, p in CATALOGUE.items() if p.explain_product is not None]
    assert products == ["stale-weights", "transpose"]
    locals_ = [i for i, p in CATALOGUE.items() if p.explain_local is not None]
    assert locals_ == ["derivative-on-preactivation", "derivative-on-activation"]


def test_non_finite_kinds_reads_every_entry() -> None:
    """Its one-pass test (a finite sum) must neither miss a NaN or inf nor call finite entries whose sum
    overflows non-finite."""
    huge = np.full((3, 4), np.finfo(np.float64).max)
    assert non_finite_kinds(huge) == []  # the sum overflows; no entry is inf
    assert non_finite_kinds(np.full(5, 6e4, dtype=np.float16)) == []
    both = np.array([[1.0, np.inf], [-np.inf, np.nan]])
    assert non_finite_kinds(both) == ["nan", "inf"]
    assert non_finite_kinds(np.array([np.inf, -np.inf])) == ["inf"]  # inf - inf: the sum is NaN, yet no NaN
    assert non_finite_kinds(np.array([1.0, np.nan], dtype=np.float32)) == ["nan"]
    assert non_finite_kinds(np.array([1 + 1j, complex(0, np.inf)])) == ["inf"]
    assert non_finite_kinds(np.float64(np.nan)) == ["nan"]
    assert non_finite_kinds(np.array([], dtype=np.float64)) == []
    assert non_finite_kinds(np.array([1, 2])) == []  # integers hold neither
