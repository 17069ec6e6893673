"""Reference for L-BFGS on badly scaled features (test/ml/scale.test.ts), from scikit-learn 1.2.1.

Run from the repository root: /usr/bin/python3 test/reference/scaled.py
Binary task "forest" vs the rest on fixtures/landcover.csv with every feature multiplied by 1e6 and
no standardization, C=1: scikit-learn's LogisticRegression (lbfgs, tol 1e-4, max_iter 100000) and
its objective C*sum(log-loss) + 0.5*||w||^2. Also the objective of a well-conditioned solve of the
same problem (standardized, then mapped back), a sharper bound on the optimum. Writes scaled.json.
"""
import csv
import json
import pathlib

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent.parent
FACTOR = 1e6
C = 1.0


def main():
    rows = list(csv.DictReader(open(ROOT / "fixtures" / "landcover.csv")))
    cols = [c for c in rows[0] if c != "label"]
    X = np.array([[float(r[c]) for c in cols] for r in rows]) * FACTOR
    y = np.array([1 if r["label"] == "forest" else 0 for r in rows])

    def objective(w, b):
        z = X @ w + b
        return float(C * np.logaddexp(0, -z * (2 * y - 1)).sum() + 0.5 * w @ w)

    m = LogisticRegression(C=C, tol=1e-4, max_iter=100000).fit(X, y)
    mu, sd = X.mean(0), X.std(0)
    # The same problem solved in standardized coordinates: the penalty 0.5*||w||^2 on weights of
    # order 1e-6 is negligible, so C=1e12 there reaches the optimum to far below 1e-3 relative.
    s = LogisticRegression(C=1e12, tol=1e-12, max_iter=100000).fit((X - mu) / sd, y)
    w = s.coef_[0] / sd
    b = s.intercept_[0] - w @ mu
    out = {
        "sklearn": sklearn.__version__,
        "factor": FACTOR,
        "c": C,
        "positive": "forest",
        "sklearnIterations": int(m.n_iter_[0]),
        "sklearnObjective": objective(m.coef_[0], m.intercept_[0]),
        "wellConditionedObjective": objective(w, b),
    }
    (HERE / "scaled.json").write_text(json.dumps(out, indent=1) + "\n")
    print(out)


if __name__ == "__main__":
    main()
