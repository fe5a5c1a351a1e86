# Fast paths: the twins' training loops, bit for bit, without their overhead.
#
# Twin of python/twinnet/fast.py: the same functions in the same order. The
# readable twins (article.R, stepwise.R) stay the reference; each function
# here computes exactly what its reference computes, the same operations on
# the same values in the same order, so the results are bit-identical, not
# merely close (tests/testthat/test-fast.R checks every shipped fixture).
# `python -m twinnet bench` times both.
#
# What makes them fast, in R:
# - one loop body, no function call, list or Map() per epoch;
# - no sweep(): `ones %*% bh` is bh in every row (1 * bh is exact), so
#   `X %*% wh + ones %*% bh` is sweep's sum, one BLAS call and one addition;
# - expressions are nested rather than named, so R computes each chain of
#   elementwise operations in one temporary that it reuses in place
#   (1 / (1 + exp(-x)) allocates once, not four times);
# - .colSums() and sum() instead of t(colSums()): the same long double sums.

#' Train with a variant's fast path
#'
#' Like [train_variant()], bit for bit, faster. The layered variant has no
#' fast path: its reference loop is returned.
#'
#' @inheritParams train_variant
#' @return A list with `params`, `loss` and `output` (n x 1).
#' @export
train_variant_fast <- function(variant, X, y, params, hyper, epochs) {
  if (variant == "layered") {
    return(train_layered(X, y, params, unlist(hyper$activations), epochs, hyper$lr))
  }
  train_fn <- if (variant == "stepwise") train_stepwise_fast else train_fast
  train_fn(X, y, params, epochs, hyper$lr)
}

#' Train the article network, fast
#'
#' [train()], bit for bit, without its per-epoch function calls, lists and
#' sweep().
#'
#' @inheritParams train
#' @return A list with `params`, `loss` (length `epochs`) and `output` (n x 1).
#' @export
train_fast <- function(X, y, params, epochs, lr) {
  n <- nrow(X)
  h <- ncol(params$wh)
  # Step 1: initialize weights and biases
  wh <- params$wh
  bh <- params$bh
  wout <- params$wout
  bout <- params$bout
  ones <- rep(1, n) # ones %*% bh: bh in every row
  loss_history <- numeric(epochs)
  for (epoch in seq_len(epochs)) {
    # Step 2: hidden layer input, n x h: X %*% wh + bh in every row
    # Step 3: sigmoid of the hidden layer input, in one temporary
    H <- 1 / (1 + exp(-(X %*% wh + ones %*% bh)))
    # Step 4: output layer, n x 1 (bout is 1 x 1: added to every row)
    output <- 1 / (1 + exp(-(H %*% wout + bout[1])))
    # Step 5: error at the output layer, and the loss from it
    E <- y - output
    loss_history[epoch] <- mean(E^2 / 2)
    # Step 6: slopes at the output layer, o (1 - o)
    # Step 7: delta at the output layer
    d_output <- E * (output * (1 - output))
    # Step 8: error at the hidden layer, n x h: d_output %*% t(wout)
    # Step 9: delta at the hidden layer, with the slope H (1 - H)
    d_hiddenlayer <- tcrossprod(d_output, wout) * (H * (1 - H))
    # Step 10: weight slopes
    # Step 11: bias slopes, then every parameter: theta <- theta + descent * lr
    wh <- wh + crossprod(X, d_hiddenlayer) * lr
    bh <- bh + .colSums(d_hiddenlayer, n, h) * lr
    wout <- wout + crossprod(H, d_output) * lr
    bout <- bout + sum(d_output) * lr
    # let go of the n x h arrays: the collector may free them before the next epoch allocates its own
    H <- d_hiddenlayer <- NULL
  }
  params <- list(wh = wh, bh = bh, wout = wout, bout = bout)
  list(params = params, loss = loss_history, output = forward(X, params)$output)
}

#' Train the bias-free walk-through network, fast
#'
#' [train_stepwise()], bit for bit, without its per-epoch function calls and
#' lists of named factors.
#'
#' @inheritParams train_stepwise
#' @return A list with `params`, `loss` and `output` (n x 1).
#' @export
train_stepwise_fast <- function(X, y, params, epochs, lr) {
  # Step 0: transpose the input and output, so samples are columns
  X <- t(X)
  y <- t(y)
  # Step 1: initialize the weights
  w_ih <- params$weights_input_hidden
  w_ho <- params$weights_hidden_output
  loss_history <- numeric(epochs)
  for (epoch in seq_len(epochs)) {
    # Step 2: hidden layer linear transform, h x n
    # Step 3: hidden layer activations, in one temporary
    H <- 1 / (1 + exp(-crossprod(w_ih, X)))
    # Step 4: output layer linear transform and output, 1 x n
    output <- 1 / (1 + exp(-crossprod(w_ho, H)))
    # Step 5: rate of change of error w.r.t. output, and the loss from y - output
    loss_history[epoch] <- mean((y - output)^2 / 2)
    error <- -(y - output)
    # Step 6: rate of change of output w.r.t. Z2
    # Step 7: rate of change of Z2 w.r.t. weights between hidden and output layer (H itself)
    delta_output <- error * (output * (1 - output))
    # Step 8: rate of change of error w.r.t. weights between hidden and output layer, h x 1
    g_ho <- tcrossprod(H, delta_output)
    # Step 9: rates of change of Z2 w.r.t. H, and of H w.r.t. Z1
    # Step 10: rate of change of error w.r.t. weights between input and hidden layer, d x h
    g_ih <- tcrossprod(X, (H * (1 - H)) * (w_ho %*% delta_output))
    # Step 11: update the weights, w <- w - lr * dE/dw
    w_ho <- w_ho - lr * g_ho
    w_ih <- w_ih - lr * g_ih
  }
  params <- list(weights_input_hidden = w_ih, weights_hidden_output = w_ho)
  list(params = params, loss = loss_history, output = t(forward_propagation(X, params)$output))
}
