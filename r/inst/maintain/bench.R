# The R side of `python -m twinnet bench`: `Rscript bench.R SPEC RESULT`.
#
# Reads the spec the Python orchestrator wrote (python/twinnet/maintain/bench.py) and
# the data as raw little-endian float64 files in column-major order, so
# `dim<-` makes them matrices without a copy. Times the variant's training
# function (train_variant, with fast = TRUE for the fast path) inside R
# with proc.time(): calibrated so one run lasts the spec's min_seconds, once
# more to warm up, then `repeats` runs. Writes the times, the epochs, the time
# spent reading the data, and the process's memory (VmRSS before reading,
# VmHWM at the end, from /proc/self/status: this process's, the only one the fast path
# uses) and how many processes the fast path used (1), as JSON. The twinnet package must
# be on the library path (R_LIBS=.venv/R-library).
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) {
  message("usage: Rscript bench.R SPEC RESULT")
  quit(status = 2)
}
suppressPackageStartupMessages(library(twinnet))

proc_status <- function(field) {
  line <- grep(paste0("^", field, ":"), readLines("/proc/self/status"), value = TRUE)
  if (length(line) == 0) return(NA_real_)
  as.numeric(strsplit(trimws(sub("^[^:]*:", "", line)), "[[:space:]]+")[[1]][1])
}

read_matrix <- function(matrix) {
  count <- matrix$rows * matrix$cols
  values <- readBin(matrix$r, "double", n = count, size = 8, endian = "little")
  if (length(values) != count) stop("short read: ", matrix$r, call. = FALSE)
  dim(values) <- c(matrix$rows, matrix$cols)
  values
}

baseline_kb <- proc_status("VmRSS")
spec <- jsonlite::fromJSON(args[[1]], simplifyVector = TRUE)
started <- proc.time()[["elapsed"]]
X <- read_matrix(spec$X)
y <- read_matrix(spec$y)
params <- lapply(spec$params, read_matrix)
hyper <- list(lr = spec$lr, activations = spec$activations)
load_seconds <- proc.time()[["elapsed"]] - started
is_fast <- identical(spec$implementation, "fast")
# the processes the fast path runs in: R's fast paths run in this one
workers <- 1L

run <- function(epochs) {
  start <- proc.time()[["elapsed"]]
  train_variant(spec$variant, X, y, params, hyper, epochs, fast = is_fast)
  proc.time()[["elapsed"]] - start
}

# The same calibration as the Python worker's calibrated_runs().
epochs <- max(1, spec$epochs)
if (spec$min_seconds > 0) {
  for (attempt in 1:40) {
    seconds <- run(epochs)
    if (seconds >= spec$min_seconds) break
    # at most 10x a step: proc.time() ticks in milliseconds, so a short run can
    # read 0 s, and dividing by it would ask for billions of epochs
    epochs <- max(2 * epochs, min(10 * epochs, ceiling(epochs * 1.2 * spec$min_seconds / max(seconds, 1e-9))))
  }
}
run(epochs)
gc_before <- gc.time()[[1]]
seconds <- vapply(seq_len(spec$repeats), function(i) run(epochs), numeric(1))
gc_seconds <- gc.time()[[1]] - gc_before # of the timed runs: R's garbage collector, within the figures

result <- list(
  epochs = epochs, seconds = I(seconds), gc_seconds = gc_seconds, load_seconds = load_seconds,
  baseline_mb = baseline_kb / 1024, peak_mb = proc_status("VmHWM") / 1024, threads = proc_status("Threads"),
  workers = workers,
  r_version = R.version.string, blas = extSoftVersion()[["BLAS"]], lapack = La_library()
)
# through the package's one checked writer; timings need no more than 15 digits
twinnet:::write_atomic(args[[2]], jsonlite::toJSON(result, auto_unbox = TRUE, digits = NA))
