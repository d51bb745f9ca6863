"""Upper tails of the normal and chi-square distributions, as scipy computes them, without scipy.

Importing ``scipy.special`` costs a tenth of a second or more; a drift check on small samples
needs only two of its functions: ``ndtr`` (the z test) and ``chdtrc`` (the chi-square test).
Both are Cephes routines (Moshier, *Methods and Programs for Mathematical Functions*, 1989)
as scipy 1.17 compiles them (its ``xsf`` library), and this module follows them operation
for operation, with the same coefficients and the same ``exp``, ``log`` and ``pow`` from the
C library, so the floats agree:

- :func:`ndtr`: ``erf`` / ``erfc`` by rational approximations (Cephes ``ndtr.c``);
- :func:`chi2_sf`: ``Q(df / 2, x / 2)``, the regularized upper incomplete gamma function
  (Cephes ``igamc``): DLMF 8.11.4's power series or 8.9.2's continued fraction, with the
  prefactor :math:`x^a e^{-x} / \\Gamma(a)` through a Lanczos sum near ``x = a`` (Maddock et
  al., "Incomplete Gamma Functions", Boost.Math), and Cephes' ``lgam`` elsewhere.

Where Cephes switches to Temme's uniform asymptotic expansion (``a > 20`` and ``x`` within
30 % of ``a``; ``a > 200`` and ``x`` within ``4.5 / sqrt(a)`` of ``a``: more than 40 degrees
of freedom and a statistic close to them), :func:`chi2_sf` asks scipy, so a value never
depends on which path ran.

Examples
--------
>>> ndtr(1.0), ndtr(-2.5)
(0.8413447460685429, 0.006209665325776132)
>>> chi2_sf(16.0, 1)        # scipy.special.chdtrc(1, 16.0)
6.334248366623988e-05
>>> chi2_sf(3.0, 2), chi2_sf(0.0, 5), chi2_sf(float("inf"), 5)
(0.22313016014842982, 1.0, 0.0)
"""

from __future__ import annotations

import math

# constants of Cephes' const.h
MACHEP = 1.11022302462515654042e-16  # 2**-53
MAXLOG = 7.09782712893383996732e2  # log(DBL_MAX)
SQRT1_2 = 0.70710678118654752440
LS2PI = 0.91893853320467274178  # log(sqrt(2 pi))

# erfc for 1 <= x < 8 (P / Q), x >= 8 (R / S); erf for |x| <= 1 (T / U); a leading 1 of Q, S, U implied
ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
          4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
          9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
ERFC_Q = (1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
          9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
          1.65666309194161350182e3, 5.57535340817727675546e2)
ERFC_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
          6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)
ERFC_S = (2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
          1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)
ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
         7.00332514112805075473e3, 5.55923013010394962768e4)
ERF_U = (3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
         2.26290000613890934246e4, 4.92673942608635921086e4)

# log Gamma: Stirling's correction for x >= 13 (A); a rational function on [2, 3] (B / C)
LGAM_A = (8.11614167470508450300e-4, -5.95061904284301438324e-4, 7.93650340457716943945e-4,
          -2.77777777730099687205e-3, 8.33333333333331927722e-2)
LGAM_B = (-1.37825152569120859100e3, -3.88016315134637840924e4, -3.31612992738871184744e5,
          -1.16237097492762307383e6, -1.72173700820839662146e6, -8.53555664245765465627e5)
LGAM_C = (-3.51815701436523470549e2, -1.70642106651881159223e4, -2.20528590553854454839e5,
          -1.13933444367982507207e6, -2.53252307177582951285e6, -2.01889141433532773231e6)

# Lanczos approximation (g = 6.0246800407767296, 13 terms), its sum scaled by exp(-g)
LANCZOS_G = 6.024680040776729583740234375
LANCZOS_NUM = (0.006061842346248906525783753964555936883222, 0.5098416655656676188125178644804694509993,
               19.51992788247617482847860966235652136208, 449.9445569063168119446858607650988409623,
               6955.999602515376140356310115515198987526, 75999.29304014542649875303443598909137092,
               601859.6171681098786670226533699352302507, 3481712.15498064590882071018964774556468,
               14605578.08768506808414169982791359218571, 43338889.32467613834773723740590533316085,
               86363131.28813859145546927288977868422342, 103794043.1163445451906271053616070238554,
               56906521.91347156388090791033559122686859)
LANCZOS_DENOM = (1.0, 66.0, 1925.0, 32670.0, 357423.0, 2637558.0, 13339535.0, 45995730.0, 105258076.0,
                 150917976.0, 120543840.0, 39916800.0, 0.0)

IGAM_MAXITER = 2000
IGAM_BIG, IGAM_BIGINV = 4.503599627370496e15, 2.22044604925031308085e-16


def _polevl(x: float, coef) -> float:
    ans = coef[0]
    for c in coef[1:]:
        ans = ans * x + c
    return ans


def _p1evl(x: float, coef) -> float:
    """Polynomial with an implied leading coefficient 1."""
    ans = x + coef[0]
    for c in coef[1:]:
        ans = ans * x + c
    return ans


def erfc(a: float) -> float:
    """Complementary error function (Cephes ``erfc``)."""
    if math.isnan(a):
        return math.nan
    x = abs(a)
    if x < 1.0:
        return 1.0 - erf(a)
    z = -a * a
    if z < -MAXLOG:
        return 2.0 if a < 0 else 0.0
    z = math.exp(z)
    if x < 8.0:
        p, q = _polevl(x, ERFC_P), _p1evl(x, ERFC_Q)
    else:
        p, q = _polevl(x, ERFC_R), _p1evl(x, ERFC_S)
    y = (z * p) / q
    if a < 0:
        y = 2.0 - y
    if y != 0.0:
        return y
    return 2.0 if a < 0 else 0.0


def erf(x: float) -> float:
    """Error function (Cephes ``erf``)."""
    if math.isnan(x):
        return math.nan
    if x < 0.0:
        return -erf(-x)
    if x > 1.0:
        return 1.0 - erfc(x)
    z = x * x
    return x * _polevl(z, ERF_T) / _p1evl(z, ERF_U)


def ndtr(a: float) -> float:
    """Standard normal CDF (``scipy.special.ndtr``)."""
    if math.isnan(a):
        return math.nan
    x = a * SQRT1_2
    z = abs(x)
    if z < 1.0:
        return 0.5 + 0.5 * erf(x)
    y = 0.5 * erfc(z)
    return 1.0 - y if x > 0 else y


def lgam(x: float) -> float:
    """log Gamma(x) for ``x > 0`` (Cephes ``lgam``)."""
    if not math.isfinite(x):
        return x
    if x < 13.0:
        z, p, u = 1.0, 0.0, x
        while u >= 3.0:
            p -= 1.0
            u = x + p
            z *= u
        while u < 2.0:
            if u == 0.0:
                return math.inf
            z /= u
            p += 1.0
            u = x + p
        z = abs(z)
        if u == 2.0:
            return math.log(z)
        p -= 2.0
        x = x + p
        p = x * _polevl(x, LGAM_B) / _p1evl(x, LGAM_C)
        return math.log(z) + p
    q = (x - 0.5) * math.log(x) - x + LS2PI
    if x >= 1000.0:
        if x > 1.0e8:
            return q
        p = 1.0 / (x * x)
        return q + ((7.9365079365079365079365e-4 * p - 2.7777777777777777777778e-3) * p
                    + 0.0833333333333333333333) / x
    p = 1.0 / (x * x)
    return q + _polevl(p, LGAM_A) / x


def _lanczos_sum_expg_scaled(x: float) -> float:
    """Cephes ``ratevl`` of the scaled Lanczos sum: in ``1 / x`` above 1, else in ``x``."""
    if abs(x) > 1:
        y, num, den = 1 / x, LANCZOS_NUM[::-1], LANCZOS_DENOM[::-1]
    else:
        y, num, den = x, LANCZOS_NUM, LANCZOS_DENOM
    return 1.0 * _polevl(y, num) / _polevl(y, den)


def _log1pmx(x: float) -> float:
    """``log(1 + x) - x``: by its series below ``|x| = 0.5``."""
    if abs(x) < 0.5:
        xfac, res = x, 0.0
        for n in range(2, 500):
            xfac *= -x
            term = xfac / n
            res += term
            if abs(term) < MACHEP * abs(res):
                break
        return res
    return math.log1p(x) - x


def _igam_fac(a: float, x: float) -> float:
    """:math:`x^a e^{-x} / \\Gamma(a)`."""
    if abs(a - x) > 0.4 * abs(a):
        ax = a * math.log(x) - x - lgam(a)
        if ax < -MAXLOG:
            return 0.0
        return math.exp(ax)
    fac = a + LANCZOS_G - 0.5
    res = math.sqrt(fac / math.exp(1)) / _lanczos_sum_expg_scaled(a)
    if a < 200 and x < 200:
        res *= math.exp(a - x) * math.pow(x / fac, a)
    else:
        num = x - a - LANCZOS_G + 0.5
        res *= math.exp(a * _log1pmx(num / fac) + x * (0.5 - LANCZOS_G) / fac)
    return res


def _igamc_continued_fraction(a: float, x: float) -> float:
    """``Q(a, x)`` by DLMF 8.9.2."""
    ax = _igam_fac(a, x)
    if ax == 0.0:
        return 0.0
    y = 1.0 - a
    z = x + y + 1.0
    c = 0.0
    pkm2, qkm2 = 1.0, x
    pkm1, qkm1 = x + 1.0, z * x
    ans = pkm1 / qkm1
    for _ in range(IGAM_MAXITER):
        c += 1.0
        y += 1.0
        z += 2.0
        yc = y * c
        pk = pkm1 * z - pkm2 * yc
        qk = qkm1 * z - qkm2 * yc
        if qk != 0:
            r = pk / qk
            t = abs((ans - r) / r)
            ans = r
        else:
            t = 1.0
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        if abs(pk) > IGAM_BIG:
            pkm2 *= IGAM_BIGINV
            pkm1 *= IGAM_BIGINV
            qkm2 *= IGAM_BIGINV
            qkm1 *= IGAM_BIGINV
        if t <= MACHEP:
            break
    return ans * ax


def _igam_series(a: float, x: float) -> float:
    """``P(a, x)`` by DLMF 8.11.4."""
    ax = _igam_fac(a, x)
    if ax == 0.0:
        return 0.0
    r, c, ans = a, 1.0, 1.0
    for _ in range(IGAM_MAXITER):
        r += 1.0
        c *= x / r
        ans += c
        if c <= MACHEP * ans:
            break
    return ans * ax / a


def _igamc_series(a: float, x: float) -> float:
    """``Q(a, x)`` by DLMF 8.7.3, for small ``x`` and ``a`` (no cancellation against 1)."""
    fac, total = 1.0, 0.0
    for n in range(1, IGAM_MAXITER):
        fac *= -x / n
        term = fac / (a + n)
        total += term
        if abs(term) <= MACHEP * abs(total):
            break
    logx = math.log(x)
    term = -math.expm1(a * logx - math.lgamma(1.0 + a))
    return term - math.exp(a * logx - lgam(a)) * total


def temme_regime(a: float, x: float) -> bool:
    """Where Cephes' ``igamc`` uses Temme's uniform asymptotic expansion (``x`` close to ``a``)."""
    ratio = abs(x - a) / a
    return (20 < a < 200 and ratio < 0.3) or (a > 200 and ratio < 4.5 / math.sqrt(a))


def igamc(a: float, x: float) -> float:
    """Regularized upper incomplete gamma ``Q(a, x)`` for ``a > 0``, ``x >= 0``."""
    if math.isnan(a) or math.isnan(x) or x < 0 or a <= 0:
        return math.nan
    if x == 0:
        return 1.0
    if math.isinf(a):
        return math.nan if math.isinf(x) else 1.0
    if math.isinf(x):
        return 0.0
    if temme_regime(a, x):
        from scipy import special  # Temme's expansion and its coefficient table: scipy's own

        return float(special.gammaincc(a, x))
    if x > 1.1:
        if x < a:
            return 1.0 - _igam_series(a, x)
        return _igamc_continued_fraction(a, x)
    if x <= 0.5:
        if -0.4 / math.log(x) < a:
            return 1.0 - _igam_series(a, x)
        return _igamc_series(a, x)
    if x * 1.1 < a:
        return 1.0 - _igam_series(a, x)
    return _igamc_series(a, x)


def chi2_sf(statistic: float, dof: int) -> float:
    """Upper tail of the chi-square distribution (``scipy.special.chdtrc(dof, statistic)``)."""
    if statistic < 0:
        return math.nan
    return igamc(dof / 2.0, statistic / 2.0)
