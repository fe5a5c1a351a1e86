# The article network: 2 layers, sigmoid on both, biases on both.
#
# This is the network of "Understanding and coding Neural Networks From Scratch
# in Python and R" (Sunil Ray, 2017), trained full-batch by the article's loop.
# Its twin is python/twinnet/article.py: the same functions in the same order,
# with the article's steps numbered identically, so the two files can be read
# side by side.
#
# Shapes (samples are rows):
#   X    n x d      wh    d x h      bh    1 x h
#   y    n x 1      wout  h x 1      bout  1 x 1
#
# Each epoch is one step of gradient descent on L = sum(1/2 (y - output)^2), a
# sum over samples and not a mean. backward() returns the descent direction
# -dL/dtheta, which is what the article adds to each parameter (times lr).
#
# Unlike the article's published R code, this is the same model as the Python:
# uniform weights read from the fixture, bh a 1 x h row, and biases updated by
# colSums (one bias per hidden unit), not rowSums (one per sample).

param_names <- c("wh", "bh", "wout", "bout")

# Step 0: read input and output
# X and y arrive as arguments (the fixture readers load them). The article
# defines its activation and its slope here.

#' Sigmoid activation
#'
#' \eqn{\sigma(x) = 1 / (1 + e^{-x})}. The article's text misprints this formula.
#' Stable for every double: for x < -709, `exp(-x)` overflows to `Inf` and
#' the sigmoid is `1 / Inf = 0`, its limit (R's `exp()` does not warn).
#'
#' @param x A numeric vector or matrix.
#' @return `x` with the sigmoid applied elementwise.
#' @export
sigmoid <- function(x) {
  1 / (1 + exp(-x))
}

#' Slope of the sigmoid, from its activation
#'
#' \eqn{\sigma'(z)} written in terms of the activation \eqn{a = \sigma(z)}:
#' \eqn{a (1 - a)}.
#'
#' @param activation A numeric vector or matrix of sigmoid outputs.
#' @return The slope, the same shape as `activation`.
#' @export
derivatives_sigmoid <- function(activation) {
  activation * (1 - activation)
}

#' Train the article network
#'
#' Full-batch training for `epochs` epochs. `loss[i]` is the mean
#' \eqn{\frac{1}{2}(y - output)^2} of epoch i's forward pass, taken before that
#' epoch's update. `output` is the forward pass after the last update (the
#' untrained network's output when `epochs` is 0).
#'
#' @param X Input matrix, n x d.
#' @param y Target matrix, n x 1.
#' @param params Named list of matrices `wh` (d x h), `bh` (1 x h),
#'   `wout` (h x 1) and `bout` (1 x 1).
#' @param epochs Number of epochs, a whole number >= 0.
#' @param lr Learning rate.
#' @return A list with `params`, `loss` (length `epochs`) and `output` (n x 1).
#' @export
#' @examples
#' fixture <- read_fixture(twinnet_example("article"))
#' fit <- train(fixture$data$X, fixture$data$y, fixture$init, epochs = 1000, lr = 0.1)
#' round(fit$output, 3) # close to y = (1, 1, 0)
#' plot(fit$loss, type = "l", xlab = "epoch", ylab = "mean loss")
train <- function(X, y, params, epochs, lr) {
  # Step 1: initialize weights and biases
  # The initial values come from the fixture: the Python generator drew them
  # once with RandomState(seed).uniform in the order wh, bh, wout, bout.
  params <- params[param_names]
  loss_history <- numeric(epochs)
  for (epoch in seq_len(epochs)) {
    pass <- forward(X, params)
    loss_history[epoch] <- loss(y, pass$output)
    descent <- backward(X, y, params, pass$H, pass$output)
    params <- update_params(params, descent, lr)
  }
  list(params = params, loss = loss_history, output = forward(X, params)$output)
}

#' Forward pass
#'
#' @inheritParams train
#' @return A list with the hidden activations `H` (n x h) and `output` (n x 1).
#' @export
forward <- function(X, params) {
  # Step 2: hidden layer input, n x h. rep(bh, each = n) is bh[1] n times, then
  # bh[2] n times, ...: read down the columns, it adds bh to every row (a bare
  # `+ c(bh)` would recycle bh down the columns instead)
  hidden_layer_input <- X %*% params$wh + rep(params$bh, each = nrow(X))
  # Step 3: non-linear transformation of the hidden layer input
  hiddenlayer_activations <- sigmoid(hidden_layer_input)
  # Step 4: linear and non-linear transformation at the output layer, n x 1
  output_layer_input <- hiddenlayer_activations %*% params$wout + rep(params$bout, each = nrow(X))
  output <- sigmoid(output_layer_input)
  list(H = hiddenlayer_activations, output = output)
}

#' Backpropagation
#'
#' @inheritParams train
#' @param H Hidden activations from [forward()], n x h.
#' @param output Network output from [forward()], n x 1.
#' @return The descent direction \eqn{-\partial E / \partial \theta}, a named
#'   list shaped like `params`.
#' @export
backward <- function(X, y, params, H, output) {
  # Step 5: error at the output layer, n x 1 (this E is y - output, minus dL/doutput)
  E <- y - output
  # Step 6: slopes at the output and hidden layers
  slope_output_layer <- derivatives_sigmoid(output)
  slope_hidden_layer <- derivatives_sigmoid(H)
  # Step 7: delta at the output layer, n x 1 (lr is applied once, in the update)
  d_output <- E * slope_output_layer
  # Step 8: error at the hidden layer, n x h: d_output %*% t(wout)
  error_at_hidden_layer <- tcrossprod(d_output, params$wout)
  # Step 9: delta at the hidden layer, n x h
  d_hiddenlayer <- error_at_hidden_layer * slope_hidden_layer
  # Step 10: weight slopes, t(H) %*% d_output (h x 1) and t(X) %*% d_hiddenlayer (d x h)
  # Step 11: bias slopes, the column sums of the deltas (1 x 1 and 1 x h);
  # t() turns colSums' vector back into a row
  list(
    wh = crossprod(X, d_hiddenlayer),
    bh = t(colSums(d_hiddenlayer)),
    wout = crossprod(H, d_output),
    bout = t(colSums(d_output))
  )
}

#' Apply one update
#'
#' Steps 10 and 11: \eqn{\theta \leftarrow \theta + descent \cdot lr}.
#'
#' @inheritParams train
#' @param descent The descent direction from [backward()].
#' @return The updated `params`.
#' @export
update_params <- function(params, descent, lr) {
  Map(function(param, step) param + step * lr, params, descent[names(params)])
}

#' Mean loss
#'
#' Mean over samples of \eqn{\frac{1}{2}(y - output)^2}: what the article calls
#' E, averaged.
#'
#' @inheritParams backward
#' @return A single number.
#' @export
loss <- function(y, output) {
  mean((y - output)^2 / 2)
}
