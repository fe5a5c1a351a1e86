# The article network: sigmoid, forward, backward, update_params and train.

# sigmoid and its slope ---------------------------------------------------

test_that("sigmoid(0) is one half", {
  expect_identical(sigmoid(0), 0.5)
})

test_that("sigmoid is 1 / (1 + exp(-x))", {
  expect_equal(sigmoid(log(3)), 0.75)
  expect_equal(sigmoid(-log(3)), 0.25)
  x <- c(-7, -2.5, -1, 0.3, 1, 4)
  expect_identical(sigmoid(x), 1 / (1 + exp(-x)))
})

test_that("sigmoid is symmetric: sigmoid(-x) = 1 - sigmoid(x)", {
  x <- c(0.001, 0.25, 1, 2.5, 7, 30)
  expect_lte(max(abs(sigmoid(-x) - (1 - sigmoid(x)))), 1e-15)
})

test_that("sigmoid is increasing, in (0, 1), and saturates without NaN", {
  x <- seq(-20, 20, by = 0.5)
  s <- sigmoid(x)
  expect_true(all(diff(s) > 0))
  expect_true(all(s > 0 & s < 1))
  expect_identical(sigmoid(c(-Inf, -800, 800, Inf)), c(0, 0, 1, 1))
})

test_that("sigmoid keeps the shape of a matrix", {
  x <- matrix(seq(-1, 1, length.out = 6), 2, 3)
  expect_identical(dim(sigmoid(x)), c(2L, 3L))
})

test_that("derivatives_sigmoid is a (1 - a) of the activation a", {
  expect_identical(derivatives_sigmoid(0.5), 0.25)
  expect_identical(derivatives_sigmoid(c(0, 1)), c(0, 0))
  a <- matrix(c(0.1, 0.2, 0.7, 0.9), 2, 2)
  expect_identical(derivatives_sigmoid(a), a * (1 - a))
})

test_that("derivatives_sigmoid(sigmoid(x)) is the slope of sigmoid at x", {
  x <- c(-3, -0.5, 0, 0.8, 2.5)
  step <- 1e-6
  slope <- (sigmoid(x + step) - sigmoid(x - step)) / (2 * step)
  expect_lt(max(abs(derivatives_sigmoid(sigmoid(x)) - slope)), 1e-9)
})

# forward -----------------------------------------------------------------

test_that("forward returns H (n x h) and output (n x 1)", {
  set.seed(101)
  problem <- random_problem(n = 5, d = 3, h = 4)
  pass <- forward(problem$X, problem$params)
  expect_named(pass, c("H", "output"))
  expect_identical(dim(pass$H), c(5L, 4L))
  expect_identical(dim(pass$output), c(5L, 1L))
  expect_true(all(pass$H > 0 & pass$H < 1))
  expect_true(all(pass$output > 0 & pass$output < 1))

  fixture <- article_fixture()
  pass <- forward(fixture$data$X, fixture$init)
  expect_identical(dim(pass$H), c(3L, 3L))
  expect_identical(dim(pass$output), c(3L, 1L))
})

test_that("forward adds bh to every row, not down the columns (n != h)", {
  # R's recycling trap: with n = 5 samples and h = 3 hidden units, a bare
  # `X %*% wh + bh` (bh as a vector) would recycle bh down the columns, so row
  # i would get bh[i %% 3] in every column instead of bh itself.
  set.seed(102)
  n <- 5
  h <- 3
  problem <- random_problem(n = n, d = 2, h = h)
  X <- problem$X
  params <- problem$params
  params$bh <- matrix(c(-2, 0.5, 3), 1, h)
  by_row <- X %*% params$wh + matrix(params$bh, n, h, byrow = TRUE)
  recycled <- X %*% params$wh + as.vector(params$bh)
  expect_gt(max(abs(sigmoid(by_row) - sigmoid(recycled))), 0.1) # the trap would show

  pass <- forward(X, params)
  expect_identical(pass$H, sigmoid(by_row))
  expect_identical(pass$output, sigmoid(pass$H %*% params$wout + params$bout[1, 1]))

  # With wh = 0 every row of H is sigmoid(bh).
  params$wh[] <- 0
  H <- forward(X, params)$H
  for (i in seq_len(n)) expect_identical(H[i, ], sigmoid(as.vector(params$bh)))
})

# backward ----------------------------------------------------------------

test_that("backward returns a descent direction shaped like the parameters", {
  set.seed(103)
  problem <- random_problem(n = 6, d = 3, h = 2)
  descent <- descent_at(problem$X, problem$y, problem$params)
  expect_named(descent, c("wh", "bh", "wout", "bout"))
  for (name in names(problem$params)) {
    expect_identical(dim(descent[[name]]), dim(problem$params[[name]]), label = paste("dim of", name))
  }
})

# Finite differences: backward() must be -dE/dtheta for E = nrow(X) * loss(),
# on every element of every parameter. relative_error(a, b) is
# |a - b| / max(|a| + |b|, 1e-8); central differences with step 1e-6 reach
# about 1e-8 here, so 1e-6 leaves room and still catches any wrong term.

test_that("backward matches finite differences at the article fixture's init", {
  fixture <- article_fixture()
  X <- fixture$data$X
  y <- fixture$data$y
  params <- fixture$init
  error <- max_relative_error(descent_at(X, y, params), numeric_descent(X, y, params))
  expect_lt(error, 1e-6)
})

test_that("backward matches finite differences on random small problems", {
  set.seed(2017)
  shapes <- list(c(5, 2, 3), c(7, 3, 4), c(4, 1, 1), c(6, 4, 2), c(1, 3, 5))
  for (shape in shapes) {
    problem <- do.call(random_problem, as.list(stats::setNames(shape, c("n", "d", "h"))))
    descent <- descent_at(problem$X, problem$y, problem$params)
    numeric <- numeric_descent(problem$X, problem$y, problem$params)
    expect_lt(
      max_relative_error(descent, numeric), 1e-6,
      label = sprintf("max relative error, n = %d, d = %d, h = %d", shape[1], shape[2], shape[3])
    )
  }
})

test_that("the finite-difference check catches the gradient of the mean loss", {
  # backward() is the slope of the sum over samples; the slope of the mean
  # (1/n of it) must fail the check, or the check proves nothing.
  set.seed(104)
  problem <- random_problem(n = 4, d = 2, h = 3)
  descent <- descent_at(problem$X, problem$y, problem$params)
  numeric <- numeric_descent(problem$X, problem$y, problem$params)
  of_mean <- lapply(descent, function(slope) slope / nrow(problem$X))
  expect_gt(max_relative_error(of_mean, numeric), 0.1)
})

# update_params -----------------------------------------------------------

test_that("update_params adds descent * lr to every parameter", {
  set.seed(105)
  problem <- random_problem(n = 4, d = 3, h = 2)
  params <- problem$params
  descent <- descent_at(problem$X, problem$y, params)
  updated <- update_params(params, descent, 0.3)
  expect_named(updated, names(params))
  for (name in names(params)) {
    expect_identical(updated[[name]], params[[name]] + descent[[name]] * 0.3, label = name)
  }
  # descent is matched to params by name, not by position
  expect_identical(update_params(params, rev(descent), 0.3), updated)
  expect_identical(update_params(params, descent, 0), params)
})

# train -------------------------------------------------------------------

test_that("train with 0 epochs returns loss numeric(0) and the untrained output", {
  fixture <- article_fixture()
  X <- fixture$data$X
  params <- fixture$init
  fit <- train(X, fixture$data$y, params, epochs = 0, lr = 0.1)
  expect_named(fit, c("params", "loss", "output"))
  expect_identical(fit$loss, numeric(0))
  expect_identical(fit$params, params)
  expect_identical(fit$output, forward(X, params)$output)
})

test_that("train does not modify its arguments", {
  set.seed(106)
  problem <- random_problem(n = 5, d = 3, h = 4)
  X <- problem$X
  y <- problem$y
  params <- problem$params
  fit <- train(X, y, params, epochs = 10, lr = 0.5)
  expect_identical(X, problem$X)
  expect_identical(y, problem$y)
  expect_identical(params, problem$params)
  expect_false(identical(fit$params, params))
})

test_that("one epoch of train is forward, loss, backward, update", {
  set.seed(107)
  problem <- random_problem(n = 5, d = 2, h = 3)
  X <- problem$X
  y <- problem$y
  params <- problem$params
  pass <- forward(X, params)
  updated <- update_params(params, backward(X, y, params, pass$H, pass$output), 0.2)
  fit <- train(X, y, params, epochs = 1, lr = 0.2)
  expect_identical(fit$loss, loss(y, pass$output))
  expect_identical(fit$params, updated)
  expect_identical(fit$output, forward(X, updated)$output)
})

test_that("loss[i] is the loss before epoch i's update", {
  set.seed(108)
  problem <- random_problem(n = 6, d = 3, h = 2)
  X <- problem$X
  y <- problem$y
  fit <- train(X, y, problem$params, epochs = 4, lr = 0.5)
  expect_length(fit$loss, 4)
  for (epoch in 1:4) {
    before <- train(X, y, problem$params, epochs = epoch - 1, lr = 0.5)
    expect_identical(fit$loss[epoch], loss(y, before$output), label = paste("loss", epoch))
  }
})

test_that("train takes the parameters in any order and returns wh, bh, wout, bout", {
  set.seed(109)
  problem <- random_problem(n = 4, d = 2, h = 3)
  fit <- train(problem$X, problem$y, problem$params, epochs = 3, lr = 0.1)
  shuffled <- train(problem$X, problem$y, rev(problem$params), epochs = 3, lr = 0.1)
  expect_named(shuffled$params, c("wh", "bh", "wout", "bout"))
  expect_identical(shuffled, fit)
})

test_that("training the article problem lowers the loss every epoch", {
  fixture <- article_fixture()
  fit <- train(fixture$data$X, fixture$data$y, fixture$init, epochs = 200, lr = fixture$hyper$lr)
  expect_true(all(diff(fit$loss) < 0))
  expect_lt(loss(fixture$data$y, fit$output), fit$loss[1])
})

test_that("loss is the mean of 1/2 (y - output)^2", {
  y <- matrix(c(1, 0, 1), 3, 1)
  output <- matrix(c(0.5, 0.5, 1), 3, 1)
  expect_identical(loss(y, output), (0.125 + 0.125 + 0) / 3)
  expect_identical(loss(y, y), 0)
})

# sigmoid at the edges of the doubles ------------------------------------------

test_that("sigmoid is stable for every double: no warning, no NaN, 0 to 1", {
  x <- c(-.Machine$double.xmax, -1e300, -745, 0, 745, 1e300, .Machine$double.xmax)
  expect_no_warning(s <- sigmoid(x))
  expect_false(anyNA(s))
  expect_true(all(s >= 0 & s <= 1))
  expect_true(all(diff(s) >= 0))
  expect_identical(s[1], 0)
  expect_identical(s[4], 0.5)
  expect_identical(s[7], 1)
})
