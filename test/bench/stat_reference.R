# Reference values from R's forecast package (8.20 on Debian bookworm:
# apt-get install r-cran-forecast) for xb's statistical members.
#   Rscript test/bench/stat_reference.R fixtures [walmart.csv]
#       prints the numbers inlined in test/unit/forecast/stat_members_test.cpp
#   Rscript test/bench/stat_reference.R bench walmart.csv out.csv
#       45 stores, train on weeks 1..130, forecast 13: writes per-store
#       forecasts (store,method,step,actual,forecast) and prints times.
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
mode <- if (length(args) >= 1) args[1] else "fixtures"
csv <- if (length(args) >= 2) args[2] else "../shared/data/walmart_weekly.csv"

fmt <- function(x) paste(formatC(x, digits = 17, format = "g"), collapse = ", ")

show_ets <- function(label, y, h) {
  fit <- ets(y)
  fc <- forecast(fit, h = h)$mean
  cat(sprintf("# %s: %s aicc=%s\n", label, fit$method, formatC(fit$aicc, digits = 12, format = "g")))
  cat(sprintf("#   par: %s\n", paste(names(fit$par), formatC(fit$par, digits = 8, format = "g"), collapse = " ")))
  cat(sprintf("%s_ets = {%s}\n", label, fmt(fc)))
}

walmart <- function(path) {
  d <- read.csv(path)
  split(d$Weekly_Sales, d$Store)
}

if (mode == "fixtures") {
  h <- 13
  for (nm in c("AirPassengers", "USAccDeaths")) {
    y <- get(nm)
    show_ets(nm, y, h)
    cat(sprintf("%s_stlf = {%s}\n", nm, fmt(stlf(y, h = h)$mean)))
    cat(sprintf("%s_theta = {%s}\n", nm, fmt(thetaf(y, h = h)$mean)))
    cat(sprintf("%s_snaive = {%s}\n", nm, fmt(snaive(y, h = h)$mean)))
    st <- stl(y, s.window = 11)
    cat(sprintf("%s_stl_seasonal_head = {%s}\n", nm, fmt(head(st$time.series[, "seasonal"], 6))))
    cat(sprintf("%s_stl_trend_tail = {%s}\n", nm, fmt(tail(st$time.series[, "trend"], 6))))
  }
  # Fixed specifications (parameters compared loosely: optimiser paths differ).
  for (spec in c("ANN", "AAN", "MNN")) {
    fit <- ets(USAccDeaths, model = spec, damped = FALSE)
    cat(sprintf("# USAccDeaths %s: aicc=%s par: %s\n", spec, formatC(fit$aicc, digits = 12, format = "g"),
                paste(names(fit$par), formatC(fit$par, digits = 8, format = "g"), collapse = " ")))
    cat(sprintf("USAccDeaths_%s = {%s}\n", spec, fmt(forecast(fit, h = 6)$mean)))
  }
  # Forecasting from a later origin with the parameters and initial states
  # of a fit on the first 60 months (xb's forecast_ets(model, longer_y, h)).
  fit60 <- ets(window(USAccDeaths, end = c(1977, 12)))
  refit <- ets(USAccDeaths, model = fit60, use.initial.values = TRUE)
  cat(sprintf("# USAccDeaths first 60: %s\n", fit60$method))
  cat(sprintf("USAccDeaths_refit = {%s}\n", fmt(forecast(refit, h = 6)$mean)))
  s <- walmart(csv)
  for (st in c(1, 20, 45)) {
    y <- ts(s[[st]][1:130], frequency = 52)
    cat(sprintf("# store %d (train 130, h 13)\n", st))
    fit <- ets(y)
    cat(sprintf("# store %d: %s aicc=%s\n", st, fit$method, formatC(fit$aicc, digits = 12, format = "g")))
    cat(sprintf("store%d_ets = {%s}\n", st, fmt(forecast(fit, h = 13)$mean)))
    fs <- stlf(y, h = 13)
    cat(sprintf("# store %d stlf: %s\n", st, fs$method))
    cat(sprintf("store%d_stlf = {%s}\n", st, fmt(fs$mean)))
    cat(sprintf("store%d_theta = {%s}\n", st, fmt(thetaf(y, h = 13)$mean)))
    cat(sprintf("store%d_snaive = {%s}\n", st, fmt(snaive(y, h = 13)$mean)))
    dec <- mstl(y)
    cat(sprintf("store%d_stl_seasonal_tail = {%s}\n", st, fmt(tail(dec[, "Seasonal52"], 4))))
  }
} else if (mode == "bench") {
  out <- if (length(args) >= 3) args[3] else "r_forecasts.csv"
  s <- walmart(csv)
  ntrain <- 130
  h <- 13
  rows <- list()
  times <- c(snaive = 0, ets = 0, theta = 0, stlf = 0)
  for (st in names(s)) {
    full <- s[[st]]
    y <- ts(full[1:ntrain], frequency = 52)
    act <- full[(ntrain + 1):(ntrain + h)]
    t0 <- proc.time()[["elapsed"]]
    f_sn <- snaive(y, h = h)$mean
    t1 <- proc.time()[["elapsed"]]
    f_ets <- forecast(ets(y), h = h)$mean
    t2 <- proc.time()[["elapsed"]]
    f_th <- thetaf(y, h = h)$mean
    t3 <- proc.time()[["elapsed"]]
    f_st <- stlf(y, h = h)$mean
    t4 <- proc.time()[["elapsed"]]
    times <- times + c(t1 - t0, t2 - t1, t3 - t2, t4 - t3)
    for (pair in list(list("snaive", f_sn), list("ets", f_ets), list("theta", f_th), list("stlf", f_st))) {
      rows[[length(rows) + 1]] <- data.frame(store = as.integer(st), method = pair[[1]], step = 1:h,
                                             actual = act, forecast = as.numeric(pair[[2]]))
    }
  }
  write.csv(do.call(rbind, rows), out, row.names = FALSE)
  for (nm in names(times)) cat(sprintf("R_TIME %s %.4f\n", nm, times[[nm]]))
} else {
  stop("mode must be 'fixtures' or 'bench'")
}
