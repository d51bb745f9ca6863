"""Jensen-Shannon without scipy.special (whose import costs a small drift check more than its
tests), and more exact than scipy where it matters: ``js_terms`` against
``scipy.special.rel_entr`` term by term, ``js_distance`` against the distance computed in
60-digit decimals from the same counts, and against ``scipy.spatial.distance.jensenshannon``
(what Evidently's jensenshannon test calls)."""

from __future__ import annotations

from decimal import Decimal, getcontext

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import jensenshannon as scipy_js
from scipy.special import rel_entr as scipy_rel_entr

from mlmon.stats.univariate.jensenshannon import js_distance, js_terms

EPS = np.finfo(float).eps
counts = arrays(np.int64, st.integers(1, 40), elements=st.integers(0, 10_000))


def exact_distance(a, b) -> float:
    """sqrt((KL(p||m) + KL(q||m)) / 2) of the counts, in 60-digit decimals."""
    getcontext().prec = 60
    ta, tb = sum(int(x) for x in a), sum(int(x) for x in b)
    p = [Decimal(int(x)) / ta for x in a]
    q = [Decimal(int(x)) / tb for x in b]
    m = [(x + y) / 2 for x, y in zip(p, q)]
    js = sum((x * (x / y).ln() for x, y in zip(p, m) if x > 0), Decimal(0))
    js += sum((x * (x / y).ln() for x, y in zip(q, m) if x > 0), Decimal(0))
    return float(max(js / 2, Decimal(0)).sqrt())  # identical shares: a rounding below zero is zero


@settings(max_examples=300, deadline=None)
@given(a=counts, seed=st.integers(0, 2**32 - 1), near=st.booleans())
def test_terms_equal_scipys_and_the_distance_is_never_less_exact(a, seed, near):
    rng = np.random.default_rng(seed)
    b = a + rng.integers(-1, 2, a.size).clip(-a) if near else rng.integers(0, 50, a.size)  # near: a count or two apart
    if a.sum() == 0 or b.sum() == 0:
        return
    p, q = a / a.sum(), b / b.sum()
    m = (p + q) / 2.0
    theirs = scipy_rel_entr(p, m) + scipy_rel_entr(q, m)
    # scipy goes through m, rounded: each term may differ by a few ulp of the shares
    assert (np.abs(js_terms(p, q) - theirs) <= 8 * EPS * (p + q)).all()
    exact = exact_distance(a, b)
    ours, scipys = js_distance(a.astype(float), b.astype(float)), float(scipy_js(p, q))
    assert abs(ours - exact) <= abs(scipys - exact) + 1e-12 * exact + 1e-300  # ~eps / |p - q| at worst
    assert abs(ours - scipys) <= 1e-9


def test_two_near_identical_distributions_keep_their_digits():
    # a binary column of a million rows a side, three rows apart: scipy (and Evidently) keep six
    # digits of the distance, js_terms eleven
    a, b = np.array([799_971.0, 200_029.0]), np.array([799_974.0, 200_026.0])
    exact = exact_distance(a, b)
    assert abs(js_distance(a, b) - exact) <= 1e-11 * exact
    assert abs(float(scipy_js(a / a.sum(), b / b.sum())) - exact) > 1e-7 * exact  # what it improves on


def test_one_reference_broadcasts_over_rows_of_windows():
    p = np.array([0.5, 0.5, 0.0])
    q = np.array([[0.2, 0.3, 0.5], [0.5, 0.5, 0.0]])
    m = (p + q) / 2.0
    want = scipy_rel_entr(p, m) + scipy_rel_entr(q, m)
    assert (np.abs(js_terms(p, q) - want) <= 8 * EPS).all()
    assert js_terms(p, q)[1].tolist() == [0.0, 0.0, 0.0]  # identical shares: no divergence


def test_hand_values():
    # disjoint supports: each side's KL to the mixture is ln 2, the distance sqrt(ln 2), its maximum
    assert js_terms(np.array([1.0, 0.0]), np.array([0.0, 1.0])).tolist() == [np.log(2.0), np.log(2.0)]
    assert abs(js_distance(np.array([1.0, 0.0]), np.array([0.0, 1.0])) - np.sqrt(np.log(2.0))) < 1e-15
