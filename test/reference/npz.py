"""Writes the .npz/.npy fixtures that test/ml/npz-dataset.test.ts reads (CI has no numpy).

Run once from the repository root: /usr/bin/python3 test/reference/npz.py
(numpy 2.4.6 wrote the committed files). Every file is what np.savez / np.savez_compressed /
np.save / zipfile write for a user; the test never needs numpy itself.
"""
import json
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "npz"
OUT.mkdir(exist_ok=True)

data = json.loads((ROOT / "fixtures" / "data.json").read_text())
X = np.array(data["features"], dtype=np.float64)
y = np.array(data["labels"], dtype=np.int64)

# The whole fixture, as sklearn users save it: X float64 (C order), y int64.
np.savez(OUT / "data.npz", X=X, y=y)
np.savez_compressed(OUT / "data-compressed.npz", X=X, y=y)

# Small files, one per dtype a user's tools write: 12 rows with both classes.
Xs, ys = X[:12], y[:12]
assert set(ys.tolist()) == {0, 1}
np.savez(OUT / "f4-i4.npz", X=Xs.astype(np.float32), y=ys.astype(np.int32))
np.savez(OUT / "u1.npz", X=Xs, y=ys.astype(np.uint8))
np.savez(OUT / "int-features.npz", X=np.round(Xs * 100).astype(np.int64), y=ys.astype(np.int16))
np.savez(OUT / "strings.npz", X=Xs, y=np.where(ys == 1, "forest", "water"))
np.savez(OUT / "bool.npz", X=Xs > 0, y=ys.astype(bool))
np.savez(OUT / "float-labels.npz", X=Xs, y=ys.astype(np.float64))
np.savez(OUT / "fortran.npz", X=np.asfortranarray(Xs), y=ys)
np.savez_compressed(OUT / "strings-compressed.npz", X=Xs.astype(np.float32), y=np.where(ys == 1, "forêt", "eau"))
np.savez(OUT / "multiclass.npz", X=Xs, y=np.arange(12) % 3)
np.savez(OUT / "astral.npz", X=Xs, y=np.where(ys == 1, "\N{EVERGREEN TREE}", "\N{WATER WAVE}"))

# What must be refused.
np.savez(OUT / "pickle.npz", X=Xs, y=np.array(["a", 1] * 6, dtype=object))
bad = Xs.copy()
bad[3, 2] = np.nan
np.savez(OUT / "nan.npz", X=bad, y=ys)
np.savez(OUT / "no-y.npz", X=Xs)
fractional = ys.astype(np.float64)
fractional[5] = 2.5
np.savez(OUT / "fractional-label.npz", X=Xs, y=fractional)
np.savez(OUT / "other-names.npz", data=Xs, target=ys)
np.savez(OUT / "complex.npz", X=Xs.astype(np.complex128), y=ys)
np.savez(OUT / "big-endian.npz", X=Xs.astype(">f8"), y=ys)
np.savez(OUT / "three-d.npz", X=Xs.reshape(12, 2, 4), y=ys)
np.savez(OUT / "y-column.npz", X=Xs, y=ys.reshape(12, 1))
np.savez(OUT / "short-y.npz", X=Xs, y=ys[:11])
np.save(OUT / "X.npy", Xs)
with zipfile.ZipFile(OUT / "bzip2.npz", "w", compression=zipfile.ZIP_BZIP2) as z:
    for name, array in (("X", Xs), ("y", ys)):
        with z.open(name + ".npy", "w") as f:
            np.lib.format.write_array(f, array)

# The reference numbers for the dtype files (the f4 file's values are the float32 roundings).
reference = {
    "rows12": {"features": Xs.tolist(), "labels": ys.tolist()},
    "f4": Xs.astype(np.float32).astype(np.float64).tolist(),
}
(OUT / "reference.json").write_text(json.dumps(reference) + "\n")
