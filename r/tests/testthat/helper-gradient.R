# Finite-difference checks of the three variants' backward passes.
#
# numeric_gradient() differentiates any function of a named list of
# parameter matrices; each variant supplies the function it descends:
#   article   E = sum(1/2 (y - output)^2) = nrow(X) * loss(), samples as rows;
#             backward() returns the descent direction -dE/dtheta.
#   stepwise  the same E, samples as columns, so E = ncol(y) * loss();
#             backward_propagation() returns dE/dw.
#   layered   the mean log-loss 1/m * sum(logloss(y, A)); Layer$backprop()
#             leaves dcost/dW and dcost/db in each layer's dW and db.

# dJ/dtheta by central differences, one element of one parameter at a time:
# (J(theta + step) - J(theta - step)) / (2 step). A list shaped like `params`.
numeric_gradient <- function(J, params, step = 1e-6) {
  lapply(stats::setNames(names(params), names(params)), function(name) {
    slope <- params[[name]]
    for (i in seq_along(slope)) {
      up <- params
      up[[name]][i] <- up[[name]][i] + step
      down <- params
      down[[name]][i] <- down[[name]][i] - step
      slope[i] <- (J(up) - J(down)) / (2 * step)
    }
    slope
  })
}

# Relative error |a - b| / max(|a| + |b|, 1e-8), elementwise. The floor keeps
# elements where both are (near) zero from dividing by zero.
relative_error <- function(a, b, floor = 1e-8) {
  abs(a - b) / pmax(abs(a) + abs(b), floor)
}

# The largest relative error between a gradient (or descent direction) and
# the numeric one, over every element of every parameter. The shapes must
# match: a transposed gradient is an error, not a recycled comparison.
max_relative_error <- function(analytic, numeric) {
  max(vapply(names(numeric), function(name) {
    stopifnot(identical(dim(analytic[[name]]), dim(numeric[[name]])))
    max(relative_error(analytic[[name]], numeric[[name]]))
  }, numeric(1)))
}

# The article network --------------------------------------------------------

summed_error <- function(X, y, params) {
  nrow(X) * loss(y, forward(X, params)$output)
}

# -dE/dtheta by central differences, a list shaped like `params`.
numeric_descent <- function(X, y, params, step = 1e-6) {
  gradient <- numeric_gradient(function(p) summed_error(X, y, p), params, step)
  lapply(gradient, `-`)
}

# backward() at `params`, with the forward pass it needs.
descent_at <- function(X, y, params) {
  pass <- forward(X, params)
  backward(X, y, params, pass$H, pass$output)
}

# A random problem with n samples, d features and h hidden units. The
# parameters are standard normal, so the slopes are far from zero.
random_problem <- function(n, d, h) {
  list(
    X = matrix(stats::rnorm(n * d), n, d),
    y = matrix(stats::runif(n), n, 1),
    params = list(
      wh = matrix(stats::rnorm(d * h), d, h),
      bh = matrix(stats::rnorm(h), 1, h),
      wout = matrix(stats::rnorm(h), h, 1),
      bout = matrix(stats::rnorm(1), 1, 1)
    )
  )
}

# The stepwise walk-through ----------------------------------------------------
# X is d x n and y 1 x n here, the layout inside the walk-through.

stepwise_summed_error <- function(X, y, params) {
  ncol(y) * loss(y, forward_propagation(X, params)$output)
}

# The two gradients of backward_propagation() at `params`, by parameter name.
stepwise_gradient_at <- function(X, y, params) {
  backward_pass <- backward_propagation(X, y, params, forward_propagation(X, params))
  list(
    weights_input_hidden = backward_pass$error_wrt_weights_input_hidden,
    weights_hidden_output = backward_pass$error_wrt_weights_hidden_output
  )
}

# A random walk-through problem, samples as columns: X d x n, y 1 x n,
# standard normal weights.
random_stepwise_problem <- function(n, d, h) {
  list(
    X = matrix(stats::rnorm(d * n), d, n),
    y = matrix(stats::runif(n), 1, n),
    params = list(
      weights_input_hidden = matrix(stats::rnorm(d * h), d, h),
      weights_hidden_output = matrix(stats::rnorm(h), h, 1)
    )
  )
}

# The Layer-class network -------------------------------------------------------
# x is d x m and y 1 x m here; params is W1, b1, W2, b2, ... in layer order.

# Fresh Layer objects for `params`: feedforward and backprop change a layer's
# fields, so every evaluation gets its own.
new_layers <- function(params, activations, lr = 0.1) {
  lapply(seq_along(activations), function(i) {
    Layer$new(W = params[[paste0("W", i)]], b = params[[paste0("b", i)]],
              activation = activations[[i]], learning_rate = lr)
  })
}

# The mean log-loss of the network at `params`.
layered_cost <- function(x, y, params, activations) {
  A <- feedforward_all(new_layers(params, activations), x)
  1 / ncol(y) * sum(logloss(y, A))
}

# One backward pass through fresh layers, as train_layered() does it; the
# gradients each layer left in dW and db, named like `params`.
layered_gradient_at <- function(x, y, params, activations) {
  lyr <- new_layers(params, activations)
  A <- feedforward_all(lyr, x)
  dA <- d_logloss(y, A)
  for (layer in rev(lyr)) dA <- layer$backprop(dA)
  gradient <- list()
  for (i in seq_along(lyr)) {
    gradient[[paste0("W", i)]] <- lyr[[i]]$dW
    gradient[[paste0("b", i)]] <- lyr[[i]]$db
  }
  gradient
}

# A random Layer-class problem: x d x m, 0/1 targets y 1 x m, standard
# normal W and b for layers of `neurons` units.
random_layered_problem <- function(m, d, neurons) {
  sizes <- c(d, neurons)
  params <- list()
  for (i in seq_along(neurons)) {
    params[[paste0("W", i)]] <- matrix(stats::rnorm(sizes[i + 1] * sizes[i]), sizes[i + 1], sizes[i])
    params[[paste0("b", i)]] <- matrix(stats::rnorm(sizes[i + 1]), sizes[i + 1], 1)
  }
  list(
    x = matrix(stats::rnorm(d * m), d, m),
    y = matrix(as.double(stats::runif(m) < 0.5), 1, m),
    params = params
  )
}
