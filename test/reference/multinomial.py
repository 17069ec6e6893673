"""Reference values for multinomial logistic regression (src/ml/softmax-*.ts), from scikit-learn 1.2.1.

Run from the repository root: /usr/bin/python3 test/reference/multinomial.py
It writes test/reference/multinomial.csv (the dataset: 4 string classes, 320 rows, 5 features,
made here from a fixed LCG so it never changes) and test/reference/multinomial.json (for each
case: C, standardization, accuracy and log-loss on the training data, the objective
C*sum(log-loss) + 0.5*||W||^2, coefficients and intercepts), which test/ml/multinomial.test.ts
reads. CI has no scikit-learn, so the values are stored.
"""
import json
import math
import pathlib

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.preprocessing import StandardScaler

HERE = pathlib.Path(__file__).parent
CLASSES = ["cropland", "forest", "urban", "water"]  # already in sorted order, as sklearn orders them
ROWS, FEATURES = 320, 5


def lcg(seed):
    state = seed
    while True:
        state = (1103515245 * state + 12345) % 2**31
        yield state / 2**31


def normal(rand):
    # Box-Muller from two uniforms in (0, 1].
    u1 = 1 - next(rand)
    u2 = next(rand)
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


def make_data():
    rand = lcg(20261204)
    centers = [[normal(rand) * 1.5 for _ in range(FEATURES)] for _ in CLASSES]
    scales = [0.5, 2.0, 10.0, 0.1, 50.0]  # mixed scales, so standardization matters
    offsets = [0.0, 5.0, -20.0, 1.0, 100.0]
    X, y = [], []
    for i in range(ROWS):
        k = int(next(rand) * len(CLASSES))
        row = [offsets[j] + scales[j] * (centers[k][j] + 1.2 * normal(rand)) for j in range(FEATURES)]
        X.append([round(v, 6) for v in row])
        y.append(CLASSES[k])
    return np.array(X), np.array(y)


def objective(C, W, b, X, y):
    Z = X @ W.T + b
    Z = Z - Z.max(axis=1, keepdims=True)
    logp = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    idx = np.searchsorted(CLASSES, y)
    return float(C * -logp[np.arange(len(y)), idx].sum() + 0.5 * (W * W).sum())


def case(name, X, y, C, standardize):
    Xs = StandardScaler().fit_transform(X) if standardize else X
    m = LogisticRegression(multi_class="multinomial", solver="lbfgs", C=C, tol=1e-10, max_iter=100000).fit(Xs, y)
    assert list(m.classes_) == CLASSES
    proba = m.predict_proba(Xs)
    return {
        "name": name,
        "c": C,
        "standardize": standardize,
        "iterations": int(m.n_iter_[0]),
        "accuracy": float(accuracy_score(y, m.predict(Xs))),
        "logLoss": float(log_loss(y, proba, labels=CLASSES)),
        "objective": objective(C, m.coef_, m.intercept_, Xs, y),
        "weights": m.coef_.tolist(),
        "bias": m.intercept_.tolist(),
    }


def main():
    X, y = make_data()
    lines = ["x0,x1,x2,x3,x4,label"] + [",".join(repr(float(v)) for v in row) + "," + label for row, label in zip(X, y)]
    (HERE / "multinomial.csv").write_text("\n".join(lines) + "\n")
    # Read back what the test will read, so both fit the very same numbers.
    X = np.array([[float(v) for v in line.split(",")[:-1]] for line in lines[1:]])
    cases = [case("raw C=1", X, y, 1.0, False), case("standardized C=0.05", X, y, 0.05, True)]
    out = {"sklearn": sklearn.__version__, "classes": CLASSES, "rows": ROWS, "features": FEATURES, "cases": cases}
    (HERE / "multinomial.json").write_text(json.dumps(out, indent=1) + "\n")
    for c in cases:
        print(c["name"], c["iterations"], c["accuracy"], c["logLoss"], c["objective"])


if __name__ == "__main__":
    main()
