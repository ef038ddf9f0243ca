#!/usr/bin/python3
"""The Python side of test/bench/run: the same work as xb, exported to Python.

Connects with libpq's environment (PGHOST, PGPORT, PGUSER, PGDATABASE,
PGOPTIONS), like psql.  Prints key=value lines.

  ingest  TABLE COLS            pandas.read_sql of the columns, and its rise in peak RSS
  score   TABLE KEY COLS HIDDEN read_sql + standardise + MLP (COLS -> HIDDEN -> 1,
                                sigmoid) over all rows at once, results in a DataFrame
  rowwise TABLE COLS HIDDEN N   the same MLP called once per row on N rows already
                                in memory (the per-row counterpart of xb_recommend)
  first   TABLE COLS HIDDEN     a new process's first prediction (imports numpy,
                                psycopg2 and torch, not pandas): interpreter start
                                and imports are timed by the caller; this reports
                                connect + read one row + build the net + predict
"""
import resource
import sys
import time

T_START = time.perf_counter()
import numpy as np  # noqa: E402
import psycopg2  # noqa: E402
import torch  # noqa: E402
import warnings  # noqa: E402

if sys.argv[1] != "first":  # a process that only predicts needs no pandas
    import pandas as pd  # noqa: E402
T_IMPORTED = time.perf_counter()
# pandas warns that psycopg2 is not SQLAlchemy; read_sql works with it all the same.
warnings.filterwarnings("ignore", message=".*SQLAlchemy.*")


def mlp(inputs, hidden):
    layers, width = [], inputs
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    layers += [torch.nn.Linear(width, 1), torch.nn.Sigmoid()]
    return torch.nn.Sequential(*layers).eval()


def main():
    mode, table = sys.argv[1], sys.argv[2]
    threads = int(__import__("os").environ.get("BENCH_THREADS", "0"))
    torch.set_num_interop_threads(1)
    if threads > 0:
        torch.set_num_threads(threads)
    torch.manual_seed(1)
    out = {"threads": torch.get_num_threads()}
    if mode == "ingest":
        cols = sys.argv[3]
        conn = psycopg2.connect("")
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
        t = time.perf_counter()
        df = pd.read_sql(f"SELECT {cols} FROM {table}", conn)
        out["sec"] = time.perf_counter() - t
        out["rss_rise_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
        out["rows"] = len(df)
        conn.close()
    elif mode == "score":
        key, cols, hidden = sys.argv[3], sys.argv[4], [int(h) for h in sys.argv[5].split(",")]
        feats = cols.split(",")
        conn = psycopg2.connect("")
        net = mlp(len(feats), hidden)
        t = time.perf_counter()
        df = pd.read_sql(f"SELECT {key}, {cols} FROM {table}", conn)
        out["sec_read"] = time.perf_counter() - t
        t2 = time.perf_counter()
        x = df[feats].to_numpy(np.float32)
        x = (x - x.mean(0)) / x.std(0)  # xb stores its training scalers; same arithmetic per row
        with torch.no_grad():
            p = net(torch.from_numpy(x)).numpy()[:, 0]
        res = pd.DataFrame({"key": df[key].astype(str), "label": np.where(p >= 0.5, "1", "0"),
                            "probability": p, "value": (p >= 0.5).astype(np.float64)})
        out["sec_predict"] = time.perf_counter() - t2
        out["sec"] = time.perf_counter() - t
        out["rows"] = len(res)
        conn.close()
    elif mode == "rowwise":
        cols, hidden, n = sys.argv[3], [int(h) for h in sys.argv[4].split(",")], int(sys.argv[5])
        feats = cols.split(",")
        conn = psycopg2.connect("")
        df = pd.read_sql(f"SELECT {cols} FROM {table} LIMIT {n}", conn)
        conn.close()
        x = df[feats].to_numpy(np.float32)
        mean, std = x.mean(0), x.std(0)
        net = mlp(len(feats), hidden)
        t = time.perf_counter()
        s = 0.0
        with torch.no_grad():
            for row in x:
                s += float(net(torch.from_numpy((row - mean) / std)[None])[0, 0])
        out["sec"] = time.perf_counter() - t
        out["rows"] = len(x)
    elif mode == "first":
        cols, hidden = sys.argv[3], [int(h) for h in sys.argv[4].split(",")]
        t = time.perf_counter()
        conn = psycopg2.connect("")
        with conn.cursor() as cur:
            cur.execute(f"SELECT {cols} FROM {table} LIMIT 1")
            row = np.asarray(cur.fetchone(), dtype=np.float32)
        net = mlp(len(row), hidden)
        with torch.no_grad():
            out["p"] = float(net(torch.from_numpy(row)[None])[0, 0])
        out["sec_after_imports"] = time.perf_counter() - t
        conn.close()
    else:
        raise SystemExit(f"unknown mode {mode}")
    out["sec_imports"] = T_IMPORTED - T_START
    for k, v in out.items():
        print(f"{k}={v}")


if __name__ == "__main__":
    main()
