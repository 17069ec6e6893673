"""Reference values for src/ml/classification-metrics.ts, computed with scikit-learn 1.2.1.

Run from the repository root: /usr/bin/python3 test/reference/classification_metrics.py
It rewrites test/reference/classification_metrics.json, which test/ml/classification-metrics.test.ts reads
(CI has no scikit-learn, so the values are stored). The data is a fixed LCG stream, so the
TypeScript test rebuilds the same cases from the stored inputs rather than from a generator.
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, log_loss

EPS = 1e-15


def lcg(seed):
    state = seed
    while True:
        state = (1103515245 * state + 12345) % 2**31
        yield state / 2**31


def case(name, classes, rows, seed, confidence):
    rand = lcg(seed)
    labels, proba = [], []
    for _ in range(rows):
        t = int(next(rand) * classes)
        # Scores favour the true class by `confidence`, so predictions are right more often than not.
        scores = [next(rand) + (confidence if k == t else 0.0) for k in range(classes)]
        total = sum(scores)
        labels.append(t)
        proba.append([round(s / total, 6) for s in scores])
    train = [int(next(rand) * classes) for _ in range(rows)]
    y, p = np.array(labels), np.array(proba)
    predicted = p.argmax(axis=1)
    dummy = DummyClassifier(strategy="most_frequent").fit(np.zeros((rows, 1)), train)
    return {
        "name": name,
        "classCount": classes,
        "labels": labels,
        "probabilities": proba,
        "trainLabels": train,
        "expected": {
            "accuracy": accuracy_score(y, predicted),
            "logLoss": log_loss(y, p, eps=EPS, labels=list(range(classes))),
            "balancedAccuracy": balanced_accuracy_score(y, predicted),
            "macroF1": f1_score(y, predicted, average="macro", zero_division=0),
            "majorityBaseline": dummy.score(np.zeros((rows, 1)), y),
        },
    }


cases = [case("binary", 2, 40, 7, 0.4), case("four classes", 4, 60, 11, 0.5), case("five classes, weak", 5, 50, 3, 0.2)]
out = {"sklearn": sklearn.__version__, "eps": EPS, "cases": cases}
path = pathlib.Path(__file__).with_suffix(".json")
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path} ({len(cases)} cases, scikit-learn {sklearn.__version__})")
