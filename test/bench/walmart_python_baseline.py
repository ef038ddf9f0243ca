#!/usr/bin/python3
"""The "export to Python" alternative to xb, for test/bench/walmart_train_vs_python.sh.

What a data scientist would do instead of calling xb_train_forecaster: export the
table with psycopg2 into pandas, preprocess, train the same network with PyTorch,
evaluate it on the test split and forecast the next `horizon` periods of every
series.  Every step mirrors xb's core so that both sides do the same work:

  src/core/panel.cpp      series keyed by the text of the series column, ordered
                          by that text; rows sorted by time (weekly grid checked)
  src/core/windows.cpp    temporal split (last test_periods = test, val_periods
                          before = validation), per-series target scaler and
                          global covariate scalers fitted on the training part
                          (population std), lookback/future windows with the
                          seasonal channels (value one season = 52 weeks earlier)
  src/core/calendar.cpp   weekly calendar features: sin/cos(2 pi (doy-1)/365.25)
  src/core/models.cpp     GRU encoder (last state) + per-step MLP decoder on
                          [encoding, future inputs, one-hot step], plus the future
                          seasonal channel added to the output
  src/core/trainer.cpp    Adam, shuffled mini-batches, MSE, early stopping on
                          validation loss (stop after patience+1 epochs without a
                          new best), best weights restored
  src/core/forecaster.cpp choose_season, metrics on train/validation/test for the
                          model and seasonal naive, split-conformal quantiles,
                          the model serialised, the forecast from the last window
                          with covariates carried forward
  src/core/metrics.cpp    WAPE, MASE (scale: mean |y_t - y_{t-52}| before the
                          test split), and the other metrics

Connection: libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE).
Output: one `key=value` line per measurement on stdout (seconds and metrics).
"""
import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import io  # noqa: E402
import math  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import psycopg2  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

T_IMPORTED = time.perf_counter()

SEASON_WEEKLY = 52
EVAL_BATCH = 4096


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--table", default="walmart")
    p.add_argument("--time-col", default="date")
    p.add_argument("--target-col", default="weekly_sales")
    p.add_argument("--series-col", default="store")
    p.add_argument("--features", default="holiday_flag,temperature,fuel_price,cpi,unemployment")
    p.add_argument("--horizon", type=int, default=13)
    p.add_argument("--lookback", type=int, default=13)
    p.add_argument("--val-periods", type=int, default=13)
    p.add_argument("--test-periods", type=int, default=13)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--patience", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--interval", type=float, default=0.9)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="intra-op threads (0: LibTorch default)")
    return p.parse_args()


# ---------------------------------------------------------------- preprocessing


def fit_scaler(values):
    """Mean and population std; a constant column gets std 1 (windows.cpp)."""
    values = np.asarray(values, dtype=np.float64)
    mean = values.mean(axis=0)
    sd = np.sqrt(((values - mean) ** 2).mean(axis=0))
    ok = sd > 1e-9 * np.maximum(1.0, np.abs(mean))
    return mean, np.where(ok, sd, 1.0)


def calendar(dates):
    """Weekly calendar features: sin/cos of the day of the year (calendar.cpp)."""
    doy = (pd.DatetimeIndex(dates).dayofyear.to_numpy() - 1) / 365.25
    return np.stack([np.sin(2 * math.pi * doy), np.cos(2 * math.pi * doy)], axis=1)


class SeriesData:
    """One series on its weekly grid: raw y, raw x, scaled y and x, calendar."""

    def __init__(self, key, dates, y, x):
        self.key, self.dates, self.y, self.x = key, dates, y, x
        self.n = len(y)


def window_arrays(s, origins, L, H, season, targets):
    """Past [W, L, P], future [W, H, D] and target [W, H] of one series (windows.cpp)."""
    origins = np.asarray(origins)
    past_idx = origins[:, None] - L + 1 + np.arange(L)[None, :]
    fut_idx = origins[:, None] + np.arange(1, H + 1)[None, :]
    parts = [s.ys[past_idx][..., None], s.xs[past_idx], s.cal[past_idx]]
    if season > 0:
        parts.append(s.ys[past_idx - season][..., None])
    past = np.concatenate(parts, axis=2)
    # Covariates past the end repeat the last row; the calendar is known.
    fparts = [s.xs[np.minimum(fut_idx, s.n - 1)], s.cal[fut_idx]]
    if season > 0:
        back = ((np.arange(1, H + 1) + season - 1) // season) * season
        fparts.append(s.ys[origins[:, None] + np.arange(1, H + 1)[None, :] - back[None, :]][..., None])
    future = np.concatenate(fparts, axis=2)
    target = s.ys[fut_idx] if targets else None
    return past, future, target


def stack(parts):
    past = torch.from_numpy(np.concatenate([p[0] for p in parts]).astype(np.float32))
    future = torch.from_numpy(np.concatenate([p[1] for p in parts]).astype(np.float32))
    target = None
    if parts[0][2] is not None:
        target = torch.from_numpy(np.concatenate([p[2] for p in parts]).astype(np.float32))
    return past, future, target


# ---------------------------------------------------------------------- network


class ForecastNet(nn.Module):
    """GRU encoder + per-step MLP decoder, as ForecastNetImpl (models.cpp)."""

    def __init__(self, past_dim, future_dim, horizon, hidden, dropout, residual_channel):
        super().__init__()
        self.horizon, self.residual_channel = horizon, residual_channel
        self.gru = nn.GRU(past_dim, hidden, num_layers=1, batch_first=True)
        # xb builds its decoder as torch::nn::Sequential(Linear(in, hid), ReLU(), Dropout(),
        # Linear(hid, 1)); GCC evaluates those constructor arguments right to left, so
        # in xb the last Linear draws its initial weights from the seeded generator
        # first.  Creating the layers in that order gives this network the very same
        # initial weights as xb's, so both sides train the same model.
        out_layer = nn.Linear(hidden, 1)
        dropout_layer, relu = nn.Dropout(dropout), nn.ReLU()
        in_layer = nn.Linear(hidden + future_dim + horizon, hidden)
        self.decoder = nn.Sequential(in_layer, relu, dropout_layer, out_layer)

    def forward(self, past, future):
        enc = self.gru(past)[0][:, -1]
        n, H = past.shape[0], self.horizon
        steps = torch.eye(H, dtype=past.dtype).unsqueeze(0).expand(n, H, H)
        inp = torch.cat([enc.unsqueeze(1).expand(n, H, enc.shape[1]), future, steps], 2)
        out = self.decoder(inp).squeeze(2)
        if self.residual_channel >= 0:
            out = out + future[:, :, self.residual_channel]
        return out


def predict(net, past, future):
    with torch.no_grad():
        net.eval()
        parts = [net(past[i:i + EVAL_BATCH], future[i:i + EVAL_BATCH]) for i in range(0, past.shape[0], EVAL_BATCH)]
    return torch.cat(parts, 0) if parts else torch.zeros(0, future.shape[1])


def fit(net, train, val, a):
    """Mini-batch Adam with early stopping and best-weights restore (trainer.cpp)."""
    adam = torch.optim.Adam(net.parameters(), lr=a.lr, weight_decay=0.0)
    past, future, target = train
    n = past.shape[0]
    best_loss, best_epoch, since_best = math.inf, 0, 0
    best = {k: v.detach().clone() for k, v in net.state_dict().items()}
    epochs = 0
    for epoch in range(1, a.epochs + 1):
        epochs = epoch
        net.train()
        order = torch.randperm(n)
        loss_sum = 0.0
        for i in range(0, n, a.batch_size):
            idx = order[i:i + a.batch_size]
            adam.zero_grad()
            loss = F.mse_loss(net(past.index_select(0, idx), future.index_select(0, idx)), target.index_select(0, idx))
            loss.backward()
            adam.step()
            loss_sum += loss.item() * idx.shape[0]
        val_loss = F.mse_loss(predict(net, val[0], val[1]), val[2]).item()
        if val_loss < best_loss:
            best_loss, best_epoch, since_best = val_loss, epoch, 0
            best = {k: v.detach().clone() for k, v in net.state_dict().items()}
        else:
            since_best += 1
            if since_best > a.patience:
                break
    net.load_state_dict(best)
    net.eval()
    return epochs, best_epoch


# ---------------------------------------------------------------------- metrics


def metrics(actual, pred, scale, lo=None, hi=None):
    """metrics.cpp: the same definitions, over all (window, step) points."""
    err = pred - actual
    m = {"mae": np.mean(np.abs(err)), "mse": np.mean(err ** 2)}
    m["rmse"] = math.sqrt(m["mse"])
    nz = actual != 0
    m["mape"] = np.mean(np.abs(err[nz] / actual[nz])) if nz.any() else math.nan
    denom = np.abs(actual) + np.abs(pred)
    m["smape"] = np.mean(np.where(denom == 0, 0.0, 2 * np.abs(err) / np.where(denom == 0, 1, denom)))
    m["wape"] = np.abs(err).sum() / np.abs(actual).sum()
    sst = ((actual - actual.mean()) ** 2).sum()
    m["r2"] = 1 - (err ** 2).sum() / sst if sst > 0 else math.nan
    ok = scale > 0
    m["mase"] = np.mean(np.abs(err[ok]) / scale[ok]) if ok.any() else math.nan
    if lo is not None:
        m["coverage"] = np.mean((actual >= lo) & (actual <= hi))
    return m


def seasonal_naive_scale(y, end, season):
    if season < 1 or end <= season:
        season = 1
    d = np.abs(y[season:end] - y[:end - season])
    return d.mean() if len(d) else math.nan


def main():
    a = parse_args()
    torch.set_num_interop_threads(1)  # as xb's prepare_runtime
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    features = [f for f in a.features.split(",") if f]
    L, H = a.lookback, a.horizon
    out = {"threads": torch.get_num_threads(), "torch_version": torch.__version__}

    # ------------------------------------------------------------------ export
    t = time.perf_counter()
    conn = psycopg2.connect("")
    with conn.cursor() as cur:
        cur.execute(f'SELECT * FROM "{a.table}"')
        df = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
    conn.close()
    out["rows"] = len(df)
    out["sec_export"] = time.perf_counter() - t

    # ------------------------------------------------------------- preprocess
    t = time.perf_counter()
    df[a.time_col] = pd.to_datetime(df[a.time_col])
    df[a.target_col] = df[a.target_col].astype(np.float64)
    for f in features:
        df[f] = df[f].astype(np.float64)
    df["_key"] = df[a.series_col].astype(str)
    df = df.sort_values(["_key", a.time_col], kind="stable")
    series = []
    for key, g in df.groupby("_key", sort=True):
        dates = g[a.time_col].to_numpy()
        steps = np.diff(dates).astype("timedelta64[D]").astype(np.int64)
        if len(steps) and not (steps == 7).all():
            raise SystemExit(f"series {key}: not a gap-free weekly grid (this baseline does not fill gaps)")
        series.append(SeriesData(key, dates, g[a.target_col].to_numpy(), g[features].to_numpy()))

    def split(n):
        test = max(a.test_periods, H)
        val = max(a.val_periods, H)
        return n - test - val, n - test  # train_end, val_end

    # choose_season (forecaster.cpp): on when half the series are long enough.
    m = SEASON_WEEKLY
    enough = sum(1 for s in series if split(s.n)[0] - (L + m) >= 2 * H)
    season = m if 2 * enough >= len(series) else 0
    first_origin = L + season - 1
    skipped = [s for s in series if first_origin + H > split(s.n)[0] - 1]
    series = [s for s in series if first_origin + H <= split(s.n)[0] - 1]
    out["series"], out["series_skipped"], out["season"] = len(series), len(skipped), season

    train_x = np.concatenate([s.x[:split(s.n)[0]] for s in series])
    fmean, fstd = fit_scaler(train_x)
    for s in series:
        s.train_end, s.val_end = split(s.n)
        s.ymean, s.ystd = fit_scaler(s.y[:s.train_end])
        s.ys = (s.y - s.ymean) / s.ystd
        s.xs = (s.x - fmean) / fstd
        all_dates = s.dates[0] + np.arange(s.n + H) * np.timedelta64(7, "D")
        s.cal = calendar(all_dates)
        s.mase_scale = seasonal_naive_scale(s.y, s.val_end, m)

    def windows(lo_field, hi_field):
        # origins whose targets origin+1..origin+H lie in [from, to)
        per = []
        for k, s in enumerate(series):
            frm = getattr(s, lo_field) if lo_field else 0
            to = s.n if hi_field == "n" else getattr(s, hi_field)
            per.append((k, np.arange(max(first_origin, frm - 1), to - H)))
        return per

    win = {"train": windows(None, "train_end"), "validation": windows("train_end", "val_end"),
           "test": windows("val_end", "n")}
    batches = {name: stack([window_arrays(series[k], o, L, H, season, True) for k, o in w])
               for name, w in win.items()}
    out["train_windows"] = batches["train"][0].shape[0]
    out["sec_preprocess"] = time.perf_counter() - t

    # ------------------------------------------------------------------ train
    t = time.perf_counter()
    torch.manual_seed(a.seed)
    past_dim = batches["train"][0].shape[2]
    future_dim = batches["train"][1].shape[2]
    net = ForecastNet(past_dim, future_dim, H, a.hidden, a.dropout, future_dim - 1 if season > 0 else -1)
    # forecaster.cpp seeds again (seed + member) before fitting each ensemble member;
    # xb's default is one member, so: the same seed once more before the fit.
    torch.manual_seed(a.seed)
    out["epochs"], out["best_epoch"] = fit(net, batches["train"], batches["validation"], a)
    out["sec_train"] = time.perf_counter() - t

    # -------------------------------------- evaluate (xb does this while training)
    t = time.perf_counter()
    val_pred = predict(net, *batches["validation"][:2])
    res = (val_pred - batches["validation"][2]).abs()
    rank = max(min(res.shape[0] - 1, math.ceil((res.shape[0] + 1) * a.interval) - 1), 0)
    q = res.sort(0)[0][rank].double().numpy()
    steps = np.arange(1, H + 1)
    back = ((steps + m - 1) // m) * m
    for name, w in win.items():
        pred = val_pred if name == "validation" else predict(net, *batches[name][:2])
        pred = pred.double().numpy()
        actual, yhat, naive, scale, lo, hi = [], [], [], [], [], []
        row = 0
        for k, origins in w:
            s = series[k]
            p = pred[row:row + len(origins)] * s.ystd + s.ymean  # [W, H]
            row += len(origins)
            actual.append(s.y[origins[:, None] + steps])
            yhat.append(p)
            naive.append(s.y[origins[:, None] + steps - back])
            scale.append(np.full(p.shape, s.mase_scale))
            lo.append(p - q * s.ystd)
            hi.append(p + q * s.ystd)
        actual, yhat, naive, scale, lo, hi = (np.concatenate(v).ravel() for v in (actual, yhat, naive, scale, lo, hi))
        bounds = (lo, hi) if name == "test" else (None, None)
        for est, values in (("model", metrics(actual, yhat, scale, *bounds)),
                            ("seasonal_naive", metrics(actual, naive, scale))):
            for metric, value in values.items():
                out[f"{name}_{est}_{metric}"] = value
    blob = io.BytesIO()
    torch.save({"state_dict": net.state_dict(), "feature_scalers": (fmean, fstd), "q": q,
                "series": [(s.key, s.ymean, s.ystd, s.y[-(L + season):], s.x[-(L + season):]) for s in series]}, blob)
    out["model_bytes"] = blob.tell()
    out["sec_evaluate"] = time.perf_counter() - t

    # --------------------------------------------------------------- forecast
    t = time.perf_counter()
    parts = [window_arrays(s, [s.n - 1], L, H, season, False) for s in series]
    past, future, _ = stack(parts)
    pred = predict(net, past, future).double().numpy()
    rows = []
    for k, s in enumerate(series):
        yhat = pred[k] * s.ystd + s.ymean
        ts = s.dates[-1] + np.arange(1, H + 1) * np.timedelta64(7, "D")
        rows.append(pd.DataFrame({"series": s.key, "ts": ts, "yhat": yhat,
                                  "lo": yhat - q * s.ystd, "hi": yhat + q * s.ystd}))
    fc = pd.concat(rows, ignore_index=True)
    out["forecast_rows"] = len(fc)
    out["sec_forecast"] = time.perf_counter() - t

    out["sec_imports"] = T_IMPORTED - T_START
    out["sec_in_process"] = time.perf_counter() - T_START
    for k, v in out.items():
        print(f"{k}={v}")


if __name__ == "__main__":
    main()
