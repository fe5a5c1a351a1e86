# Training a fixture: the variant's own loop, a budget checked first, divergence refused after.
#
# Twin of python/twinnet/training.py. train_fixture() reads a fixture
# (read_fixture()), refuses a run past the memory or work budget before it
# starts (check_budget(), from estimate_cost()), trains the fixture's variant
# with its own loop (train_variant(): article, stepwise or layered, or their
# fast paths) and refuses a run that diverged; it returns a
# "twinnet-result/1" list for write_result().

#' Train with a variant's own loop, or its fast path
#'
#' @param variant `"article"`, `"stepwise"` or `"layered"`.
#' @param X Input matrix, n x d.
#' @param y Target matrix, n x 1.
#' @param params Named list of initial parameters, shaped as [param_shapes()] says.
#' @param hyper List with `lr`, and `activations` for `"layered"`.
#' @param epochs Number of epochs, a whole number >= 0.
#' @param fast `TRUE` for the variant's fast path (R/fast.R: within the parity
#'   tolerance of the readable twin, not bit for bit).
#' @return A list with `params`, `loss` and `output` (n x 1).
#' @export
#' @examples
#' fixture <- read_fixture(twinnet_example("xor"))
#' fit <- train_variant("article", fixture$data$X, fixture$data$y, fixture$init,
#'                      fixture$hyper, epochs = 200)
#' fit$loss[c(1, 200)]
train_variant <- function(variant, X, y, params, hyper, epochs, fast = FALSE) {

  if (variant == "layered") {
    train_fn <- if (fast) train_layered_fast else train_layered
    return(train_fn(X, y, params, unlist(hyper$activations), epochs, hyper$lr))
  }
  train_fn <- if (variant == "stepwise") {
    if (fast) train_stepwise_fast else train_stepwise
  } else {
    if (fast) train_fast else train
  }
  train_fn(X, y, params, epochs, hyper$lr)
}

#' Train a fixture
#'
#' Reads the fixture, trains its variant and returns a `twinnet-result/1`
#' list, ready for [write_result()].
#'
#' @param path Path to a `twinnet-fixture/1` JSON file.
#' @param epochs Optional whole number that overrides `hyper.epochs` (the
#'   fixture's `expected` values then no longer apply).
#' @param max_memory The memory budget in GiB: a run that [check_budget()]
#'   estimates to need more is refused with `E_BUDGET` before training.
#' @return A list with `schema`, `fixture`, `language`, `params`, `loss` and
#'   `output`.
#' @export
#' @examples
#' fit <- train_fixture(twinnet_example("article"))
#' fit$params$wout
#' tail(fit$loss, 1)
#'
#' # the Python twin's result, shipped in the fixture: equal within 1e-12
#' expected <- read_fixture(twinnet_example("article"))$expected
#' max(abs(fit$params$wout - unlist(expected$params$wout)))
train_fixture <- function(path, epochs = NULL, max_memory = max_memory_gib) {
  fixture <- read_fixture(path)
  hyper <- fixture$hyper
  if (is.null(epochs)) epochs <- hyper$epochs
  if (!is_whole(epochs, 0, max_epochs)) {
    fixture_error("E_HYPER", "epochs: expected a whole number from 0 to ", format(max_epochs, scientific = FALSE))
  }
  epochs <- as.integer(epochs) # a whole number up to max_epochs: no overflow
  check_budget(fixture$variant, nrow(fixture$data$X), ncol(fixture$data$X), hyper, epochs, max_memory)
  fit <- train_variant(fixture$variant, fixture$data$X, fixture$data$y, fixture$init, hyper, epochs)
  check_converging(fit$loss, fit$params)
  list(
    schema = result_schema,
    fixture = fixture$name,
    language = "r",
    params = fit$params,
    loss = fit$loss,
    output = fit$output
  )
}

#' Estimate what a training run costs
#'
#' Roughly: the data (X twice, as some variants transpose it), the parameters
#' three times (initial, current, gradient), eight n x units working arrays
#' (pre-activations, activations, deltas, temporaries; units counts every
#' layer's neurons, the output's too) and the loss, 8 bytes a number; and three
#' passes over every parameter for each sample and epoch. The same formula as
#' the Python twin's, so both refuse the same runs.
#'
#' @param variant `"article"`, `"stepwise"` or `"layered"`.
#' @param n,d Samples and features.
#' @param hyper The fixture's checked `hyper` list.
#' @param epochs Number of epochs.
#' @return `c(bytes, multiply-adds)`.
#' @keywords internal
estimate_cost <- function(variant, n, d, hyper, epochs) {
  parameters <- sum(vapply(param_shapes(variant, d, hyper), function(shape) prod(as.double(shape)), numeric(1)))
  units <- if (variant == "layered") sum(as.double(hyper$neurons)) else as.double(hyper$hidden) + 1
  n <- as.double(n)
  doubles <- 2 * n * d + 2 * n + 3 * parameters + 8 * n * units + epochs
  c(8 * doubles, 3 * as.double(epochs) * n * parameters)
}

#' Refuse a run past the budget
#'
#' Stops with `E_BUDGET`, before training, when [estimate_cost()] is past
#' `max_memory` GiB or 1e13 multiply-adds.
#'
#' @inheritParams estimate_cost
#' @param max_memory The memory budget in GiB.
#' @return `NULL`, invisibly, when the run fits.
#' @keywords internal
check_budget <- function(variant, n, d, hyper, epochs, max_memory = max_memory_gib) {
  if (!is_number(max_memory) || max_memory <= 0) {
    fixture_error("E_HYPER", "max_memory: expected a finite number of GiB > 0")
  }
  cost <- estimate_cost(variant, n, d, hyper, epochs)
  if (cost[1] > max_memory * 2^30) {
    fixture_error("E_BUDGET", "training needs about ", sprintf("%.1f", cost[1] / 2^30), " GiB; the limit is ",
                  sprintf("%g", max_memory), " GiB; raise it with --max-memory")
  }
  if (cost[2] > max_work) {
    fixture_error("E_BUDGET", "training needs about ", sprintf("%.1e", cost[2]), " multiply-adds, hours of ",
                  "computing; the limit is ", sprintf("%.0e", max_work), "; lower the epochs")
  }
  invisible(NULL)
}

check_converging <- function(loss, params) {
  bad <- which(!is.finite(loss))
  if (length(bad) > 0) {
    fixture_error("E_DIVERGED", "loss[", bad[1] - 1, "]: not finite: training diverged at epoch ", bad[1],
                  " (try a smaller hyper.lr)")
  }
  for (name in names(params)) {
    if (!all(is.finite(params[[name]]))) {
      fixture_error("E_DIVERGED", "params.", name, ": not finite after epoch ", length(loss),
                    ": training diverged (try a smaller hyper.lr)")
    }
  }
  for (name in names(params)) { # finite but absurd: an lr of 1e308 moves nothing but the weights
    if (length(params[[name]]) > 0 && max(abs(params[[name]])) > max_magnitude) {
      fixture_error("E_DIVERGED", "params.", name, ": larger than ", sprintf("%g", max_magnitude),
                    " in magnitude after epoch ", length(loss), ": training diverged (try a smaller hyper.lr)")
    }
  }
}
