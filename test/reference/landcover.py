"""Reference for a multinomial compute job on the bundled land-cover data (test/ml/jobs-multinomial.test.ts).

Run from the repository root: /usr/bin/python3 test/reference/landcover.py
scikit-learn 1.2.1: StandardScaler (fit on fixtures/landcover.csv) + LogisticRegression(multinomial,
lbfgs, C=1, tol=1e-4, max_iter=100), the model spec's defaults; training accuracy/log-loss and accuracy
on fixtures/landcover-test.csv. Writes landcover.json.
"""
import csv
import json
import pathlib

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.preprocessing import StandardScaler

HERE = pathlib.Path(__file__).parent
FIXTURES = HERE.parent.parent / "fixtures"


def load(name):
    rows = list(csv.DictReader(open(FIXTURES / name)))
    cols = [c for c in rows[0] if c != "label"]
    return np.array([[float(r[c]) for c in cols] for r in rows]), np.array([r["label"] for r in rows]), cols


def main():
    X, y, cols = load("landcover.csv")
    Xt, yt, _ = load("landcover-test.csv")
    scaler = StandardScaler().fit(X)
    m = LogisticRegression(multi_class="multinomial", solver="lbfgs", C=1.0, tol=1e-4, max_iter=100).fit(scaler.transform(X), y)
    W, b = m.coef_, m.intercept_
    Z = scaler.transform(X) @ W.T + b
    Z -= Z.max(axis=1, keepdims=True)
    logp = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    idx = np.searchsorted(m.classes_, y)
    out = {
        "sklearn": sklearn.__version__,
        "classes": m.classes_.tolist(),
        "columns": cols,
        "iterations": int(m.n_iter_[0]),
        "trainAccuracy": float(accuracy_score(y, m.predict(scaler.transform(X)))),
        "trainLogLoss": float(log_loss(y, m.predict_proba(scaler.transform(X)))),
        "objective": float(-logp[np.arange(len(y)), idx].sum() + 0.5 * (W * W).sum()),
        "testAccuracy": float(accuracy_score(yt, m.predict(scaler.transform(Xt)))),
    }
    (HERE / "landcover.json").write_text(json.dumps(out, indent=1) + "\n")
    print(out)


if __name__ == "__main__":
    main()
