"""The test registry: which test Evidently 0.7 picks by default (``_get_default_stattest``),
and the list of test ids the docs and the validator show."""

from __future__ import annotations

import numpy as np
import pytest

from mlmon.stats import univariate as U


@pytest.mark.parametrize("n_reference, n_unique, column_type, expected", [
    # up to 1000 reference rows: ks for a numerical column with more than 5 values, else
    # chisquare for more than 2 values, else z
    (1000, 6, "numerical", "ks"), (1000, 5, "numerical", "chisquare"), (1000, 3, "numerical", "chisquare"),
    (1000, 2, "numerical", "z"), (1000, 3, "categorical", "chisquare"), (1000, 2, "categorical", "z"),
    (1000, 40, "categorical", "chisquare"),
    # above 1000: wasserstein for a numerical column with more than 5 values, else jensenshannon
    (1001, 6, "numerical", "wasserstein"), (1001, 5, "numerical", "jensenshannon"),
    (1001, 2, "numerical", "jensenshannon"), (1001, 40, "categorical", "jensenshannon"),
])
def test_default_method_follows_evidentlys_choice_at_each_boundary(n_reference, n_unique, column_type, expected):
    assert U.default_method(n_reference, n_unique, column_type) == expected


def test_known_ids_are_every_test_in_case_insensitive_order():
    assert U.known_ids() == [
        "anderson", "chisquare", "chisquare_pooled", "cramer_von_mises", "domain_classifier", "ed", "empirical_mmd",
        "es", "fisher_exact", "g_test", "hellinger", "jensenshannon", "kl_div", "ks", "mannw", "mmd", "mmd_linear",
        "psi", "psi_quantile", "t_test", "TVD", "wasserstein", "z"]
    assert sorted(U.available(), key=str.lower) == U.known_ids()
    assert all(U.available()[k].id == k for k in U.known_ids())


@pytest.mark.parametrize("exp", [40, 600])
def test_tests_declared_unit_free_score_the_same_in_any_power_of_two_unit(exp):
    """The catalog's ``unit_free``: the same columns times 2**40, or 2**600 (beyond 1e150, where
    the tests take them in a smaller unit), score what they score as they are; the energy
    distance, declared in the data's unit, does not."""
    from mlmon.stats.univariate import catalog

    rng = np.random.default_rng(12)
    ref, cur = rng.normal(0, 1, 400), rng.normal(0.3, 1.2, 300)
    for spec in catalog.CATALOG:
        if catalog.NUMERICAL not in spec.column_types:
            continue
        test = U.get(spec.id)
        plain = test(ref, cur, catalog.NUMERICAL).score
        scaled = test(np.ldexp(ref, exp), np.ldexp(cur, exp), catalog.NUMERICAL).score
        if spec.unit_free:
            assert scaled == pytest.approx(plain, rel=1e-9, abs=1e-12), spec.id
        else:
            assert scaled != pytest.approx(plain, rel=1e-3), spec.id
