# The twins' epochs with classic mistakes, switched on by name.
#
# Every network of twinnet is trained here a second time, by its own twin's
# functions, with named mistakes that can be switched on: the source texts' own
# (docs/errata.md), the exercises' (docs/exercises/), and the porting mistakes
# conform diagnoses by replaying them. Its twin is python/twinnet/mistakes.py:
# the same functions in the same order, with the twins' step markers. This is
# the one place outside the twins (and the fast paths) where an epoch is
# written.
#
# A step that no mistake changes is the twin's own function (forward(),
# forward_propagation(), Layer, feedforward_all(), the losses and updates). The
# backward passes, where most mistakes live, are written out once more here,
# step for step as in the twins, with each mistake a switch: with no mistake
# switched on every function here gives the twin's numbers bit for bit
# (tests/testthat/test-mistakes.R checks it on every fixture).
#
# A mistake a variant does not have, or a name no mistake has, is refused with
# one line, "E_USAGE: mistakes: ...", the same in both languages.

mistake <- function(steps, says) list(steps = steps, says = says)

# Every mistake by name, in the order of the step where it enters the article's epoch.
mistakes_known <- list(
  "transposed-init" = mistake(c(article = 1, stepwise = 1, layered = 0),
                              "the initial weights read column by column (R's matrix() without byrow = TRUE)"),
  "sigmoid-misprint" = mistake(c(article = 3), "the text's sigmoid 1/(x(1 \u2212 e\u207b\u02e3)) (errata A1)"),
  "slope-misprint" = mistake(c(article = 6),
                             "the text's slope x(1 \u2212 e\u207b\u02e3), given the activations (errata A2)"),
  "uphill" = mistake(c(article = 5), "the error's sign flipped, E = output \u2212 y: every step goes uphill"),
  "slope-of-activation" = mistake(c(article = 6), paste("the slope \u03c3\u2032 taken at the activation,",
                                                         "\u03c3(a)(1 \u2212 \u03c3(a)) (errata A6)")),
  "mse-gradient" = mistake(c(article = 7),
                           "the gradient of the mean \u00bd(y \u2212 output)\u00b2, 1/n of the sum's (errata A5)"),
  "lr-twice" = mistake(c(article = 7), paste("the output delta multiplied by the learning rate, which the update",
                                             "applies again: every step is lr\u00b2 times the gradient (errata A7)")),
  "preactivation" = mistake(c(article = 6, stepwise = 9, layered = 3),
                            "the hidden slope formula applied to the pre-activation instead of the activation"),
  "stale" = mistake(c(article = 8, stepwise = 9, layered = 3),
                    "the weights updated before the error is sent back through them"),
  "wrong-axis" = mistake(c(article = 11), paste("the hidden bias gradient summed over the units (rowSums), not the",
                                                "samples: 1\u00d7n, the shape of bh only when n = h")),
  "bias-per-sample" = mistake(c(article = 11), paste("the published R code's biases: one row per sample (n\u00d7h and",
                                                     "n\u00d71), updated with rowSums (errata A16)")),
  "bias-mean" = mistake(c(article = 11), paste("the bias steps take the mean of the deltas over the samples, not",
                                               "their sum: 1/n of the bias steps")),
  "bias-sum" = mistake(c(layered = 3), paste("the bias steps sum dZ over the samples, not its mean: m times the",
                                             "bias steps")),
  "missing-1/m" = mistake(c(layered = 3), "the gradients summed over the samples, not averaged: 1/m missing"),
  "hidden-lr-twice" = mistake(c(article = 10, stepwise = 10, layered = 3),
                              "the learning rate applied twice to the hidden layers' parameters only"),
  "frozen-biases" = mistake(c(article = 11, layered = 3), "the biases never updated")
)

mistake_error <- function(message) {
  stop(structure(class = c("twinnet_mistake_error", "error", "condition"),
                 list(message = paste0("E_USAGE: mistakes: ", message), call = NULL)))
}

#' Check mistake names against a variant
#'
#' @param variant "article", "stepwise" or "layered".
#' @param mistakes A character vector of mistake names.
#' @return `mistakes`, each a mistake of `variant`; else a one-line error.
#' @keywords internal
#' @noRd
check_mistakes <- function(variant, mistakes) {
  mistakes <- as.character(unlist(mistakes))
  known <- names(mistakes_known)[vapply(mistakes_known, function(m) variant %in% names(m$steps), logical(1))]
  for (name in mistakes) {
    if (!name %in% known) {
      what <- if (name %in% names(mistakes_known)) paste("is not a mistake of the", variant, "variant")
              else "is not a known mistake"
      mistake_error(sprintf("'%s' %s; %s's are %s", name, what, variant, paste(known, collapse = ", ")))
    }
  }
  mistakes
}

#' The initial parameters, with transposed-init refilled column by column
#'
#' @keywords internal
#' @noRd
initial_params <- function(params, names, mistakes) {
  params <- params[names]
  if ("transposed-init" %in% mistakes) {
    # the row-by-row numbers, as JSON lists them, filled in column by column
    params <- lapply(params, function(value) matrix(as.vector(t(value)), nrow = nrow(value)))
  }
  params
}

# --- the article network (article.R) -----------------------------------------

# Step 0: read input and output
# The text's own formulas, which its code does not use (docs/errata.md A1, A2, A6).

#' The text's misprinted sigmoid, 1 / (x (1 - e^-x)) (errata A1)
#'
#' @keywords internal
#' @noRd
text_sigmoid <- function(x) {
  1 / (x * (1 - exp(-x)))
}

#' The text's slope, x (1 - e^-x), given the activation (errata A2)
#'
#' @keywords internal
#' @noRd
text_slope <- function(activation) {
  activation * (1 - exp(-activation))
}

#' The sigmoid's slope read literally at the activation (errata A6)
#'
#' @keywords internal
#' @noRd
slope_of_activation <- function(activation) {
  sigmoid(activation) * (1 - sigmoid(activation))
}

#' train() with mistakes switched on
#'
#' @keywords internal
#' @noRd
train_with <- function(X, y, params, epochs, lr, mistakes = character()) {
  mistakes <- check_mistakes("article", mistakes)
  # Step 1: initialize weights and biases
  params <- initial_params(params, param_names, mistakes)
  if ("bias-per-sample" %in% mistakes) { # the published R code: bh n x h and bout n x 1, one row per sample
    params$bh <- matrix(params$bh, nrow(X), ncol(params$bh), byrow = TRUE)
    params$bout <- matrix(params$bout, nrow(X), 1)
  }
  loss_history <- numeric(epochs)
  for (epoch in seq_len(epochs)) {
    pass <- forward_with(X, params, mistakes)
    loss_history[epoch] <- loss(y, pass$output)
    descent <- backward_with(X, y, params, pass$H, pass$output, lr, mistakes)
    params <- update_with(params, descent, lr, mistakes)
  }
  output <- forward_with(X, params, mistakes)$output
  if ("bias-per-sample" %in% mistakes) { # read as the published R code's results are: the first row
    params$bh <- params$bh[1, , drop = FALSE]
    params$bout <- params$bout[1, , drop = FALSE]
  }
  list(params = params, loss = loss_history, output = output)
}

#' forward(), or with the text's sigmoid or the per-sample bias matrices
#'
#' @keywords internal
#' @noRd
forward_with <- function(X, params, mistakes = character()) {
  if (!any(c("sigmoid-misprint", "bias-per-sample") %in% mistakes)) return(forward(X, params))
  activation <- if ("sigmoid-misprint" %in% mistakes) text_sigmoid else sigmoid
  # a 1 x h bias row is added to every row; an n x h bias matrix (per sample) is added as it is
  plus <- function(product, bias) if (nrow(bias) == 1) product + rep(bias, each = nrow(product)) else product + bias
  # Step 2: hidden layer input, n x h
  hidden_layer_input <- plus(X %*% params$wh, params$bh)
  # Step 3: non-linear transformation of the hidden layer input, by the text's sigmoid
  hiddenlayer_activations <- activation(hidden_layer_input)
  # Step 4: linear and non-linear transformation at the output layer, n x 1
  output <- activation(plus(hiddenlayer_activations %*% params$wout, params$bout))
  list(H = hiddenlayer_activations, output = output)
}

#' backward() step for step, with its mistakes
#'
#' @keywords internal
#' @noRd
backward_with <- function(X, y, params, H, output, lr, mistakes = character()) {
  # Step 5: error at the output layer, n x 1
  E <- if ("uphill" %in% mistakes) output - y else y - output
  # Step 6: slopes at the output and hidden layers
  slope <- if ("slope-misprint" %in% mistakes) text_slope
           else if ("slope-of-activation" %in% mistakes) slope_of_activation else derivatives_sigmoid
  slope_output_layer <- slope(output)
  slope_hidden_layer <- slope(H)
  if ("preactivation" %in% mistakes) { # the formula a(1 - a) given z = X wh + bh, not a = sigmoid(z)
    slope_hidden_layer <- derivatives_sigmoid(X %*% params$wh + rep(params$bh, each = nrow(X)))
  }
  # Step 7: delta at the output layer, n x 1
  d_output <- E * slope_output_layer
  if ("lr-twice" %in% mistakes) d_output <- d_output * lr
  if ("mse-gradient" %in% mistakes) d_output <- d_output / nrow(X)
  # Step 8: error at the hidden layer, n x h (stale: through wout already updated)
  wout <- if ("stale" %in% mistakes) params$wout + crossprod(H, d_output) * lr else params$wout
  error_at_hidden_layer <- tcrossprod(d_output, wout)
  # Step 9: delta at the hidden layer, n x h
  d_hiddenlayer <- error_at_hidden_layer * slope_hidden_layer
  # Step 10: weight slopes, t(H) %*% d_output (h x 1) and t(X) %*% d_hiddenlayer (d x h)
  # Step 11: bias slopes, the column sums of the deltas (1 x 1 and 1 x h)
  if ("bias-per-sample" %in% mistakes) { # rowSums: one number per sample, recycled down the columns
    bh <- rowSums(d_hiddenlayer)
    bout <- rowSums(d_output)
  } else if ("bias-mean" %in% mistakes) {
    bh <- t(colMeans(d_hiddenlayer))
    bout <- t(colMeans(d_output))
  } else {
    bh <- t(colSums(d_hiddenlayer))
    bout <- t(colSums(d_output))
  }
  if ("wrong-axis" %in% mistakes) { # 1 x n: each sample's deltas summed over the units
    bh <- t(rowSums(d_hiddenlayer))
    if (!identical(dim(bh), dim(params$bh))) {
      mistake_error(sprintf("'wrong-axis' gives a 1\u00d7%d bias step for the 1\u00d7%d bh: it runs only when n = h",
                            ncol(bh), ncol(params$bh)))
    }
  }
  list(wh = crossprod(X, d_hiddenlayer), bh = bh, wout = crossprod(H, d_output), bout = bout)
}

#' update_params() with the update's mistakes
#'
#' @keywords internal
#' @noRd
update_with <- function(params, descent, lr, mistakes = character()) {
  if ("hidden-lr-twice" %in% mistakes) {
    descent$wh <- descent$wh * lr
    descent$bh <- descent$bh * lr
  }
  if ("frozen-biases" %in% mistakes) {
    descent$bh <- array(0, dim(params$bh))
    descent$bout <- array(0, dim(params$bout))
  }
  update_params(params, descent, lr)
}

# --- the bias-free walk-through (stepwise.R) -----------------------------------

#' train_stepwise() with mistakes switched on
#'
#' @keywords internal
#' @noRd
train_stepwise_with <- function(X, y, params, epochs, lr, mistakes = character()) {
  mistakes <- check_mistakes("stepwise", mistakes)
  # Step 0: transpose the input and output, so samples are columns
  X <- t(X)
  y <- t(y)
  # Step 1: initialize the weights (drawn by the generator, read from the fixture)
  params <- initial_params(params, weight_names, mistakes)
  loss_history <- numeric(epochs)
  for (epoch in seq_len(epochs)) {
    # Step 2: hidden layer linear transform (Steps 2 to 4 are the twin's forward_propagation)
    # Step 3: hidden layer activations
    # Step 4: output layer linear transform and output
    forward_pass <- forward_propagation(X, params)
    loss_history[epoch] <- loss(y, forward_pass$output)
    backward_pass <- backward_propagation_with(X, y, params, forward_pass, lr, mistakes)
    params <- update_weights_with(params, backward_pass, lr, mistakes)
  }
  list(params = params, loss = loss_history, output = t(forward_propagation(X, params)$output))
}

#' backward_propagation() step for step, with its mistakes
#'
#' @keywords internal
#' @noRd
backward_propagation_with <- function(X, y, params, forward_pass, lr, mistakes = character()) {
  H <- forward_pass$hiddenLayer_activations
  output <- forward_pass$output
  # Step 5: rate of change of error w.r.t. output, 1 x n
  error_wrt_output <- -(y - output)
  # Step 6: rate of change of output w.r.t. Z2, 1 x n
  output_wrt_outputLayer_linearTransform <- output * (1 - output)
  # Step 7: rate of change of Z2 w.r.t. weights between hidden and output layer, h x n
  outputLayer_linearTransform_wrt_weights_hidden_output <- H
  # Step 8: rate of change of error w.r.t. weights between hidden and output layer, h x 1
  error_wrt_weights_hidden_output <- tcrossprod(
    outputLayer_linearTransform_wrt_weights_hidden_output,
    error_wrt_output * output_wrt_outputLayer_linearTransform
  )
  # Step 9: rates of change of Z2 w.r.t. H (h x 1), H w.r.t. Z1 (h x n), Z1 w.r.t. weights (d x n)
  outputLayer_linearTransform_wrt_hiddenLayer_activations <- if ("stale" %in% mistakes) {
    params$weights_hidden_output - lr * error_wrt_weights_hidden_output
  } else {
    params$weights_hidden_output
  }
  if ("preactivation" %in% mistakes) { # H (1 - H) given Z1 = t(wih) X, not H = sigmoid(Z1)
    Z1 <- forward_pass$hiddenLayer_linearTransform
    hiddenLayer_activations_wrt_hiddenLayer_linearTransform <- Z1 * (1 - Z1)
  } else {
    hiddenLayer_activations_wrt_hiddenLayer_linearTransform <- H * (1 - H)
  }
  hiddenLayer_linearTransform_wrt_weights_input_hidden <- X
  # Step 10: rate of change of error w.r.t. weights between input and hidden layer, d x h
  error_wrt_weights_input_hidden <- tcrossprod(
    hiddenLayer_linearTransform_wrt_weights_input_hidden,
    hiddenLayer_activations_wrt_hiddenLayer_linearTransform *
      (outputLayer_linearTransform_wrt_hiddenLayer_activations %*%
         (output_wrt_outputLayer_linearTransform * error_wrt_output))
  )
  list(error_wrt_weights_hidden_output = error_wrt_weights_hidden_output,
       error_wrt_weights_input_hidden = error_wrt_weights_input_hidden)
}

#' update_weights() with the update's mistakes
#'
#' @keywords internal
#' @noRd
update_weights_with <- function(params, backward_pass, lr, mistakes = character()) {
  # Step 11: update the weights (the twin's update_weights, hidden-lr-twice scaling the hidden gradient first)
  if ("hidden-lr-twice" %in% mistakes) {
    backward_pass$error_wrt_weights_input_hidden <- backward_pass$error_wrt_weights_input_hidden * lr
  }
  update_weights(params, backward_pass, lr)
}

# --- the Layer-class network (layered.R) ---------------------------------------

#' train_layered() with mistakes switched on
#'
#' @keywords internal
#' @noRd
train_layered_with <- function(X, y, params, activations, epochs, lr, mistakes = character()) {
  mistakes <- check_mistakes("layered", mistakes)
  # Step 0: the network, a list of layers, and the data with samples as columns
  x <- t(X)
  y <- t(y)
  m <- ncol(x)
  layers <- length(activations)
  params <- initial_params(params, paste0(rep(c("W", "b"), layers), rep(seq_len(layers), each = 2)), mistakes)
  lyr <- lapply(seq_along(activations), function(i) {
    Layer$new(W = params[[paste0("W", i)]], b = params[[paste0("b", i)]],
              activation = activations[[i]], learning_rate = lr)
  })
  costs <- numeric(epochs)
  for (epoch in seq_len(epochs)) {
    # Step 1: feed forward through every layer
    A <- feedforward_all(lyr, x)
    # Step 2: cost, the mean log-loss over the m samples
    costs[epoch] <- 1 / m * sum(logloss(y, A))
    # Step 3: backpropagation, from the last layer to the first
    dA <- d_logloss(y, A)
    for (k in rev(seq_along(lyr))) dA <- backprop_with(lyr[[k]], dA, activations[[k]], k < layers, mistakes)
  }
  # Step 4: predictions of the trained network
  output <- t(feedforward_all(lyr, x))
  trained <- list()
  for (i in seq_along(lyr)) {
    trained[[paste0("W", i)]] <- lyr[[i]]$W
    trained[[paste0("b", i)]] <- lyr[[i]]$b
  }
  list(params = trained, loss = costs, output = output)
}

#' Layer$backprop() step for step, with the mistakes of one layer
#'
#' `hidden`: the layer is not the last. Updates the layer (a Reference Class
#' object, changed in place) and returns dA1.
#' @keywords internal
#' @noRd
backprop_with <- function(layer, dA, activation, hidden, mistakes = character()) {
  # Step 3: backpropagation, in one layer: dZ, then dW and db (means over the m samples), dA1, the update
  slope <- if ("preactivation" %in% mistakes && hidden) { # the slope formula of the activation, given Z
    if (activation == "tanh") 1 - layer$Z^2 else derivatives_sigmoid(layer$Z)
  } else {
    layer$d_act(layer$Z)
  }
  dZ <- slope * dA
  m <- ncol(dZ)
  layer$dW <- if ("missing-1/m" %in% mistakes) tcrossprod(dZ, layer$A1) else 1 / m * tcrossprod(dZ, layer$A1)
  summed <- as.matrix(rowSums(dZ))
  layer$db <- if (any(c("missing-1/m", "bias-sum") %in% mistakes)) summed else 1 / m * summed
  W <- layer$W
  lr <- if ("hidden-lr-twice" %in% mistakes && hidden) layer$learning_rate * layer$learning_rate
        else layer$learning_rate
  layer$W <- layer$W - lr * layer$dW
  if (!"frozen-biases" %in% mistakes) layer$b <- layer$b - lr * layer$db
  # with W before its update, as in the article; stale: after it
  crossprod(if ("stale" %in% mistakes) layer$W else W, dZ)
}

# --- any variant -----------------------------------------------------------------

#' Train a variant with mistakes switched on, as train_variant()
#'
#' @keywords internal
#' @noRd
train_variant_with <- function(variant, X, y, params, hyper, epochs, mistakes = character()) {
  if (identical(variant, "layered")) {
    return(train_layered_with(X, y, params, unlist(hyper$activations), epochs, hyper$lr, mistakes))
  }
  if (identical(variant, "stepwise")) return(train_stepwise_with(X, y, params, epochs, hyper$lr, mistakes))
  if (identical(variant, "article")) return(train_with(X, y, params, epochs, hyper$lr, mistakes))
  mistake_error(sprintf("'%s' is not a variant; the variants are %s", variant, paste(variants, collapse = ", ")))
}
