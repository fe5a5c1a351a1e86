# The fast paths (R/fast.R) against their readable references, within the
# parity tolerance, epoch by epoch: from the same parameters, one epoch of the
# fast path and one of the reference agree within 1e-12 * max(1, |value|) in
# every parameter, the loss and the output.

relative_tolerance <- 1e-12

# Why a fit is not the reference's within the tolerance: names, shapes and
# every quantity off by more than 1e-12 * max(1, |value|); empty when it is.
# (Plain checks, not expectations: a fixture's walk compares thousands of fits.)
fit_problems <- function(fit, reference, label) {
  if (!identical(names(fit), c("params", "loss", "output"))) return(paste(label, "> names of the result"))
  if (!identical(names(fit$params), names(reference$params))) return(paste(label, "> names of params"))
  problems <- character(0)
  for (name in c(names(reference$params), "loss", "output")) {
    value <- if (name %in% c("loss", "output")) fit[[name]] else fit$params[[name]]
    expected <- if (name %in% c("loss", "output")) reference[[name]] else reference$params[[name]]
    if (!identical(dim(value), dim(expected))) {
      problems <- c(problems, paste(label, ">", name, "shape"))
    } else if (any(abs(value - expected) > relative_tolerance * pmax(1, abs(expected)))) {
      problems <- c(problems, sprintf("%s > %s: off by %.3g", label, name, max(abs(value - expected))))
    }
  }
  problems
}

expect_close_fit <- function(fit, reference, label) {
  expect_identical(fit_problems(fit, reference, label), character(0))
}

# Walk `epochs` epochs of training; from the parameters before each epoch
# (every epoch up to 100, then every `every`-th) one epoch of the fast path must
# agree with one epoch of the reference. Between checkpoints past epoch 100 the
# walk goes on with the reference's epoch just compared, then the fast path's
# other `every - 1` epochs: any point of the training serves as a start, the two
# agree along it (the whole-run check below), and the reference, which costs
# several times the fast path, then runs one epoch per checkpoint only.
# Returns how many epochs were checked.
check_epoch_by_epoch <- function(variant, X, y, params, hyper, epochs, label, every = 1, ...) {
  fast_fn <- switch(variant,
    article = function(p, k) train_fast(X, y, p, k, hyper$lr, ...),
    stepwise = function(p, k) train_stepwise_fast(X, y, p, k, hyper$lr),
    layered = function(p, k) train_layered_fast(X, y, p, unlist(hyper$activations), k, hyper$lr, ...)
  )
  checked <- 0
  epoch <- 0
  problems <- character(0)
  while (epoch < epochs) {
    reference <- train_variant(variant, X, y, params, hyper, 1)
    problems <- c(problems, fit_problems(fast_fn(params, 1), reference, sprintf("%s, epoch %d", label, epoch + 1)))
    checked <- checked + 1
    stride <- if (epoch < 100) 1 else min(every, epochs - epoch)
    params <- reference$params
    if (stride > 1) params <- fast_fn(params, stride - 1)$params
    epoch <- epoch + stride
  }
  expect_identical(problems, character(0), label = label)
  checked
}

test_that("every fast path agrees with its reference along the training of every shipped fixture", {
  fixtures <- installed_fixtures()
  for (name in names(fixtures)) {
    path <- fixtures[[name]]
    fixture <- read_fixture(path)
    epochs <- fixture$hyper$epochs
    checked <- check_epoch_by_epoch(fixture$variant, fixture$data$X, fixture$data$y, fixture$init, fixture$hyper,
                                    epochs, name, every = 20)
    expect_equal(checked, min(epochs, 100) + ceiling(max(epochs - 100, 0) / 20))
    # the whole run too: gradient descent is contractive, the differences stay at the rounding level.
    # The reference's whole run is train_fixture(path)'s (train_variant() on the fixture, which
    # test-training.R checks against `expected`), trained once per test run.
    fast <- train_variant(fixture$variant, fixture$data$X, fixture$data$y, fixture$init, fixture$hyper, epochs,
                          fast = TRUE)
    expect_close_fit(fast, trained_fixture(path), paste(name, "whole run"))
  }
})

test_that("the article's fast path agrees with its reference on random problems, in one block and several", {
  set.seed(601)
  for (shape in list(c(1, 1, 1), c(7, 3, 5), c(300, 9, 4), c(64, 32, 64), c(1100, 5, 3))) {
    problem <- random_problem(n = shape[1], d = shape[2], h = shape[3])
    for (block_rows in c(fast_block_rows, 1L, 7L)) {
      label <- sprintf("train_fast, n = %d, d = %d, h = %d, blocks of %d", shape[1], shape[2], shape[3], block_rows)
      expect_equal(check_epoch_by_epoch("article", problem$X, problem$y, problem$params, list(lr = 0.05), 4, label,
                                        block_rows = block_rows), 4)
      expect_close_fit(train_fast(problem$X, problem$y, problem$params, 0, 0.05, block_rows = block_rows),
                       train(problem$X, problem$y, problem$params, 0, 0.05), paste(label, "0 epochs"))
    }
  }
})

test_that("the walk-through's fast path agrees with its reference on random problems", {
  set.seed(602)
  for (shape in list(c(1, 1, 1), c(9, 4, 6), c(200, 12, 3))) {
    X <- matrix(stats::rnorm(shape[1] * shape[2]), shape[1], shape[2])
    y <- matrix(stats::runif(shape[1]), shape[1], 1)
    params <- list(weights_input_hidden = matrix(stats::rnorm(shape[2] * shape[3]), shape[2], shape[3]),
                   weights_hidden_output = matrix(stats::rnorm(shape[3]), shape[3], 1))
    expect_equal(check_epoch_by_epoch("stepwise", X, y, params, list(lr = 0.05), 4,
                                      sprintf("train_stepwise_fast, n = %d", shape[1])), 4)
  }
})

test_that("the Layer-class fast path agrees with its reference on random problems", {
  set.seed(603)
  cases <- list(list(n = 1, d = 1, neurons = 1, activations = "sigmoid"),
                list(n = 4, d = 2, neurons = c(3, 1), activations = c("tanh", "sigmoid")),
                list(n = 50, d = 3, neurons = c(6, 4, 1), activations = c("sigmoid", "tanh", "sigmoid")),
                list(n = 700, d = 8, neurons = c(16, 1), activations = c("tanh", "sigmoid")),
                list(n = 30, d = 3, neurons = c(5, 1, 3, 1), activations = c("tanh", "sigmoid", "tanh", "sigmoid")))
  for (case in cases) {
    X <- matrix(stats::rnorm(case$n * case$d), case$n, case$d)
    y <- matrix(as.numeric(stats::runif(case$n) > 0.5), case$n, 1)
    params <- list()
    inputs <- case$d
    for (i in seq_along(case$neurons)) {
      params[[paste0("W", i)]] <- matrix(stats::rnorm(case$neurons[i] * inputs), case$neurons[i], inputs)
      params[[paste0("b", i)]] <- matrix(stats::rnorm(case$neurons[i]), case$neurons[i], 1)
      inputs <- case$neurons[i]
    }
    hyper <- list(lr = 0.5, activations = case$activations)
    for (block_rows in c(fast_block_rows, 1L, 5L)) {
      label <- sprintf("train_layered_fast, n = %d, %d layers, blocks of %d", case$n, length(case$neurons),
                       block_rows)
      expect_equal(check_epoch_by_epoch("layered", X, y, params, hyper, 4, label, block_rows = block_rows), 4)
      expect_close_fit(train_layered_fast(X, y, params, case$activations, 0, 0.5, block_rows = block_rows),
                       train_layered(X, y, params, case$activations, 0, 0.5), paste(label, "0 epochs"))
    }
  }
})

# The processes whose parent is this one, from /proc.
child_processes <- function() {
  stats <- Sys.glob("/proc/[0-9]*/stat")
  parents <- vapply(stats, function(path) {
    fields <- tryCatch(strsplit(sub(".*\\) ", "", readLines(path, warn = FALSE)), " ")[[1]], condition = function(e) "")
    suppressWarnings(as.integer(fields[2]))
  }, 1L)
  sub("/proc/([0-9]+)/stat", "\\1", stats[!is.na(parents) & parents == Sys.getpid()])
}

test_that("the fast paths run in this process: no child process, no socket, the caller's random numbers untouched", {
  set.seed(604)
  before <- child_processes()
  problem <- random_problem(n = 300, d = 9, h = 4)
  expect_close_fit(train_fast(problem$X, problem$y, problem$params, 30, 0.05, block_rows = 7L),
                   train(problem$X, problem$y, problem$params, 30, 0.05), "train_fast, n = 300, 30 epochs")
  expect_identical(child_processes(), before)
  expect_false(any(grepl("socket", deparse(body(train_fast)))))
  set.seed(7)
  train_fast(problem$X, problem$y, problem$params, 2, 0.05, block_rows = 7L)
  drawn <- stats::runif(1)
  set.seed(7)
  expect_identical(stats::runif(1), drawn)
})

test_that("TWINNET_THREADS is a positive integer capped at the cores, else one E_USAGE error", {
  saved <- Sys.getenv("TWINNET_THREADS", unset = NA)
  on.exit(if (is.na(saved)) Sys.unsetenv("TWINNET_THREADS") else Sys.setenv(TWINNET_THREADS = saved))
  Sys.unsetenv("TWINNET_THREADS")
  expect_identical(threads_setting(), NA_integer_)
  Sys.setenv(TWINNET_THREADS = "1")
  expect_identical(threads_setting(), 1L)
  Sys.setenv(TWINNET_THREADS = "1000")
  expect_identical(threads_setting(), as.integer(parallel::detectCores()))
  problem <- random_problem(n = 3, d = 2, h = 2)
  for (value in c("two", "0", "-1", "1.5", " 2")) {
    Sys.setenv(TWINNET_THREADS = value)
    error <- tryCatch(train_fast(problem$X, problem$y, problem$params, 1, 0.1), error = function(e) e)
    expect_s3_class(error, "twinnet_fixture_error")
    expect_identical(error$code, "E_USAGE")
    expect_identical(conditionMessage(error), paste0(
      "E_USAGE: TWINNET_THREADS: must be a positive integer (at most the number of cores), got '", value, "'"))
    expect_error(train_layered_fast(problem$X, problem$y, list(W1 = matrix(1, 1, 2), b1 = matrix(0, 1, 1)),
                                    "sigmoid", 1, 0.1), class = "twinnet_fixture_error")
  }
})

test_that("R's blocks keep a block's product below OpenBLAS's threading threshold", {
  expect_equal(blas_block_rows(33, 64), 124L) # 124 x 33 x 64 < 2^18 <= 125 x 33 x 64
  expect_equal(blas_block_rows(5, 4), fast_block_rows)
  expect_equal(blas_block_rows(1000, 1000), 1L)
})

test_that("a saturated output gives the clipped, finite loss in the fast path too", {
  X <- matrix(c(40, -40), 2, 1)
  y <- matrix(c(0, 1), 2, 1)
  params <- list(W1 = matrix(30, 1, 1), b1 = matrix(0, 1, 1))
  fit <- train_layered_fast(X, y, params, "sigmoid", 1, 0.1)
  expect_true(all(is.finite(fit$loss)))
  expect_close_fit(fit, train_layered(X, y, params, "sigmoid", 1, 0.1), "saturated")
})

test_that("blocks must hold at least one row", {
  problem <- random_problem(n = 2, d = 1, h = 1)
  expect_error(train_fast(problem$X, problem$y, problem$params, 1, 0.1, block_rows = 0), "block_rows")
})
