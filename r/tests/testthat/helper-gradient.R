# Finite-difference checks of backward().
#
# backward() returns the descent direction -dE/dtheta of the summed error
# E = sum(1/2 (y - output)^2), which is nrow(X) times loss(), the mean.

summed_error <- function(X, y, params) {
  nrow(X) * loss(y, forward(X, params)$output)
}

# -dE/dtheta by central differences, one element of one parameter at a time:
# -(E(theta + step) - E(theta - step)) / (2 step). A list shaped like `params`.
numeric_descent <- function(X, y, params, step = 1e-6) {
  lapply(stats::setNames(names(params), names(params)), function(name) {
    slope <- params[[name]]
    for (i in seq_along(slope)) {
      up <- params
      up[[name]][i] <- up[[name]][i] + step
      down <- params
      down[[name]][i] <- down[[name]][i] - step
      slope[i] <- -(summed_error(X, y, up) - summed_error(X, y, down)) / (2 * step)
    }
    slope
  })
}

# Relative error |a - b| / max(|a| + |b|, 1e-8), elementwise. The floor keeps
# elements where both are (near) zero from dividing by zero.
relative_error <- function(a, b, floor = 1e-8) {
  abs(a - b) / pmax(abs(a) + abs(b), floor)
}

# The largest relative error between a descent direction and the numeric one,
# over every element of every parameter.
max_relative_error <- function(descent, numeric) {
  max(vapply(names(numeric), function(name) {
    max(relative_error(descent[[name]], numeric[[name]]))
  }, numeric(1)))
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
