"""Reference values for src/federated/dp-accountant.ts, computed with numpy and scipy.

Run from the repository root: /usr/bin/python3 test/reference/dp.py
It rewrites test/reference/dp.json, which test/federated/dp-accountant.test.ts reads (CI has no scipy,
so the values are stored). For each case (noise multiplier z, delta, rounds) it computes, independently
of the TypeScript code:

- rdp_grid: the RDP accountant the module implements: RDP(a) = rounds * a / (2 z^2) (Gaussian
  mechanism, composed by adding), converted with Balle et al. 2020 (Thm 21, as Opacus's
  get_privacy_spent) eps(a) = RDP(a) + log((a-1)/a) - (log(delta) + log(a)) / (a-1), minimized over
  the same grid of orders;
- rdp_continuous: the same conversion minimized over every real order a > 1 (scipy): a lower bound
  the grid value must come within a small margin of;
- exact: the exact (tight) eps of the composed Gaussian mechanism. `rounds` Gaussian mechanisms with
  multiplier z are mu-GDP with mu = sqrt(rounds) / z (Dong, Roth, Su 2019), whose exact delta(eps) is
  Phi(-eps/mu + mu/2) - exp(eps) Phi(-eps/mu - mu/2) (Balle and Wang 2018); solved for eps with brentq.
  No accountant can report less than this, so it is the check that the reported eps is not optimistic.
"""
import json
import math
import pathlib

import numpy as np
import scipy
from scipy.optimize import brentq, minimize_scalar
from scipy.stats import norm

ORDERS = (
    [x / 100 for x in range(101, 110)]
    + [x / 10 for x in range(11, 110)]
    + list(range(11, 257))
    + [x * 64 for x in range(5, 17)]
)

CASES = [
    (1.0, 1e-5, 1),
    (1.0, 1e-5, 10),
    (0.5, 1e-5, 10),
    (1.1, 1e-5, 100),
    (2.0, 1e-6, 50),
    (4.0, 1e-5, 1),
    (10.0, 1e-3, 7),
    (0.7, 1e-5, 1),
    (30.0, 1e-5, 1),
    (0.3, 1e-5, 200),
]


def conversion(rdp, a, delta):
    return rdp + np.log((a - 1) / a) - (np.log(delta) + np.log(a)) / (a - 1)


def rdp_grid(z, delta, rounds):
    a = np.array(ORDERS, dtype=np.float64)
    eps = conversion(rounds * a / (2 * z * z), a, delta)
    i = int(np.argmin(eps))
    return max(0.0, float(eps[i])), float(a[i])


def rdp_continuous(z, delta, rounds):
    f = lambda la: conversion(rounds * (1 + math.exp(la)) / (2 * z * z), 1 + math.exp(la), delta)
    best = min(
        (minimize_scalar(f, bounds=(lo, lo + 4), method="bounded", options={"xatol": 1e-12}) for lo in np.arange(-12, 10, 2)),
        key=lambda r: r.fun,
    )
    return max(0.0, float(best.fun))


def exact_gdp(z, delta, rounds):
    mu = math.sqrt(rounds) / z
    # exp(eps) * Phi(x) in log space: eps reaches the thousands for little noise over many rounds.
    d = lambda eps: norm.cdf(-eps / mu + mu / 2) - math.exp(eps + norm.logcdf(-eps / mu - mu / 2)) - delta
    if d(0.0) <= 0:
        return 0.0
    hi = 1.0
    while d(hi) > 0:
        hi *= 2
    return float(brentq(d, 0.0, hi, xtol=1e-14, rtol=1e-14))


cases = []
for z, delta, rounds in CASES:
    eps, order = rdp_grid(z, delta, rounds)
    cases.append({
        "noiseMultiplier": z,
        "delta": delta,
        "rounds": rounds,
        "rdpGrid": eps,
        "order": order,
        "rdpContinuous": rdp_continuous(z, delta, rounds),
        "exact": exact_gdp(z, delta, rounds),
    })

out = {"generator": f"test/reference/dp.py (numpy {np.__version__}, scipy {scipy.__version__})", "cases": cases}
path = pathlib.Path(__file__).with_name("dp.json")
path.write_text(json.dumps(out, indent=1) + "\n")
for c in cases:
    print(c)
