# The Layer-class network: d_tanh, d_sigmoid, logloss, d_logloss, the Layer
# Reference Class, feedforward_all and train_layered, and the layered
# fixture's hyperparameters.
#
# Inside, samples are columns: x is d x m, y 1 x m, W neurons x inputs and
# b neurons x 1.

# Activations and their slopes ------------------------------------------------

test_that("d_tanh and d_sigmoid are the slopes of tanh and sigmoid at the pre-activation", {
  x <- matrix(c(-3, -0.5, 0, 0.8, 2.5, 4), 2, 3)
  step <- 1e-6
  expect_identical(d_tanh(x), 1 - tanh(x)^2)
  expect_identical(d_sigmoid(x), (1 - sigmoid(x)) * sigmoid(x))
  expect_identical(dim(d_tanh(x)), c(2L, 3L))
  expect_identical(dim(d_sigmoid(x)), c(2L, 3L))
  expect_lt(max(abs(d_tanh(x) - (tanh(x + step) - tanh(x - step)) / (2 * step))), 1e-9)
  expect_lt(max(abs(d_sigmoid(x) - (sigmoid(x + step) - sigmoid(x - step)) / (2 * step))), 1e-9)
})

# logloss and d_logloss -------------------------------------------------------

test_that("log_loss_epsilon is 1e-15", {
  expect_identical(log_loss_epsilon, 1e-15)
})

test_that("logloss and d_logloss are finite at a = 0 and a = 1", {
  # Unclipped, log(0) makes these Inf, and 0 * log(0) makes them NaN.
  for (y in c(0, 1, 0.3)) {
    for (a in c(0, 1)) {
      expect_true(is.finite(logloss(y, a)), label = sprintf("logloss(y = %g, a = %g) is finite", y, a))
      expect_true(is.finite(d_logloss(y, a)), label = sprintf("d_logloss(y = %g, a = %g) is finite", y, a))
    }
  }
  # clipped at log_loss_epsilon: a = 0 is read as a = 1e-15
  expect_identical(logloss(1, 0), -log(log_loss_epsilon))
  expect_identical(d_logloss(1, 0), (log_loss_epsilon - 1) / (log_loss_epsilon * (1 - log_loss_epsilon)))
  expect_identical(logloss(0, 1), -log(1 - (1 - log_loss_epsilon)))
  expect_gt(logloss(1, 0), 30)
  expect_gt(logloss(0, 1), 30)
  # a matrix keeps its shape, with every entry clipped
  y <- matrix(c(1, 0, 1, 0), 1, 4)
  a <- matrix(c(0, 1, 1, 0), 1, 4)
  expect_identical(dim(logloss(y, a)), c(1L, 4L))
  expect_true(all(is.finite(logloss(y, a))))
  expect_true(all(is.finite(d_logloss(y, a))))
})

test_that("logloss and d_logloss are the unclipped formulas inside (0, 1)", {
  a <- c(1e-12, 0.01, 0.3, 0.5, 0.77, 0.99, 1 - 1e-12)
  for (y in c(0, 1, 0.3)) {
    expect_identical(logloss(y, a), -(y * log(a) + (1 - y) * log(1 - a)), label = sprintf("logloss(y = %g, a)", y))
    expect_identical(d_logloss(y, a), (a - y) / (a * (1 - a)), label = sprintf("d_logloss(y = %g, a)", y))
  }
})

test_that("d_logloss is the slope of logloss in a", {
  a <- c(0.05, 0.3, 0.5, 0.8, 0.95)
  step <- 1e-7
  for (y in c(0, 1)) {
    slope <- (logloss(y, a + step) - logloss(y, a - step)) / (2 * step)
    expect_lt(max(relative_error(d_logloss(y, a), slope)), 1e-6, label = sprintf("d_logloss(y = %g, a)", y))
  }
})

# Layer: feedforward ----------------------------------------------------------

test_that("Layer feedforward is tanh(W %*% A1 + b), b added to each row (neuron)", {
  # 3 neurons, 2 inputs, 5 samples: W is not square and neither is W %*% A1,
  # and 5 is no multiple of 3, so a bias recycled along the wrong dimension
  # (per sample instead of per neuron) shows.
  set.seed(301)
  W <- matrix(stats::rnorm(6), 3, 2)
  b <- matrix(c(-2, 0.5, 3), 3, 1)
  A1 <- matrix(stats::rnorm(10), 2, 5)
  per_neuron <- W %*% A1 + b[, rep(1, 5)] # column j gets b, entry (i, j) gets b[i]
  per_sample <- W %*% A1 + matrix(b[c(1:3, 1:2)], 3, 5, byrow = TRUE) # the trap: entry (i, j) gets b[j]
  expect_gt(max(abs(tanh(per_neuron) - tanh(per_sample))), 0.1) # the trap would show

  layer <- Layer$new(W, b, "tanh")
  A <- layer$feedforward(A1)
  expect_identical(dim(A), c(3L, 5L))
  expect_equal(A, tanh(per_neuron), tolerance = 1e-14)
  # the layer keeps its input, Z and A for backprop
  expect_identical(layer$A1, A1)
  expect_equal(layer$Z, per_neuron, tolerance = 1e-14)
  expect_identical(layer$A, A)

  # With W = 0 every column is tanh(b): row i is tanh(b[i]) for every sample.
  A <- Layer$new(W * 0, b, "tanh")$feedforward(A1)
  for (j in seq_len(ncol(A1))) expect_identical(A[, j], tanh(as.vector(b)), label = paste("column", j))
})

test_that("a sigmoid Layer feeds forward sigmoid(W %*% A1 + b)", {
  set.seed(302)
  W <- matrix(stats::rnorm(8), 2, 4)
  b <- matrix(c(1, -1), 2, 1)
  A1 <- matrix(stats::rnorm(12), 4, 3)
  A <- Layer$new(W, b, "sigmoid")$feedforward(A1)
  expect_equal(A, sigmoid(W %*% A1 + b[, rep(1, 3)]), tolerance = 1e-14)
})

test_that("feedforward_all passes the input through every layer in order", {
  set.seed(303)
  problem <- random_layered_problem(m = 5, d = 2, neurons = c(3, 1))
  lyr <- new_layers(problem$params, c("tanh", "sigmoid"))
  A <- feedforward_all(lyr, problem$x)
  hidden <- Layer$new(problem$params$W1, problem$params$b1, "tanh")$feedforward(problem$x)
  expect_identical(A, Layer$new(problem$params$W2, problem$params$b2, "sigmoid")$feedforward(hidden))
  expect_identical(dim(A), c(1L, 5L))
})

# Layer: backprop ---------------------------------------------------------------

test_that("backprop returns dA1 computed with W before the update, then updates W and b", {
  set.seed(304)
  W <- matrix(stats::rnorm(6), 3, 2)
  b <- matrix(stats::rnorm(3), 3, 1)
  A1 <- matrix(stats::rnorm(8), 2, 4)
  dA <- matrix(stats::rnorm(12), 3, 4)
  layer <- Layer$new(W, b, "tanh", learning_rate = 0.5)
  layer$feedforward(A1)
  dZ <- d_tanh(layer$Z) * dA
  dA1 <- layer$backprop(dA)

  expect_identical(dim(dA1), c(2L, 4L))
  expect_equal(dA1, t(W) %*% dZ, tolerance = 1e-14)
  expect_gt(max(abs(dA1 - t(layer$W) %*% dZ)), 0.01) # the updated W would give another dA1
  # the gradients are averages over the 4 samples, shaped like W and b
  expect_identical(dim(layer$dW), dim(W))
  expect_identical(dim(layer$db), dim(b))
  expect_equal(layer$dW, dZ %*% t(A1) / 4, tolerance = 1e-14)
  expect_equal(layer$db, matrix(rowMeans(dZ), 3, 1), tolerance = 1e-14)
  # and the layer has stepped: W - lr dW, b - lr db
  expect_identical(layer$W, W - 0.5 * layer$dW)
  expect_identical(layer$b, b - 0.5 * layer$db)
})

# Finite differences: after one backward pass each layer's dW and db must be
# d cost / dW and d cost / db for the mean log-loss
# cost = 1/m * sum(logloss(y, A)), on every element of W1, b1, W2 and b2.
# Every evaluation of the cost, and the backward pass, uses fresh Layer
# objects, because feedforward and backprop change a layer's fields.

test_that("backprop's dW and db match finite differences at the layered-xor fixture's init", {
  fixture <- named_fixture("layered-xor")
  x <- t(fixture$data$X)
  y <- t(fixture$data$y)
  activations <- unlist(fixture$hyper$activations)
  numeric <- numeric_gradient(function(p) layered_cost(x, y, p, activations), fixture$init)
  gradient <- layered_gradient_at(x, y, fixture$init, activations)
  expect_named(gradient, names(fixture$init))
  expect_lt(max_relative_error(gradient, numeric), 1e-6, label = "layered-xor > max relative error of dW, db")
})

test_that("backprop's dW and db match finite differences on random 2-layer nets", {
  set.seed(2019)
  cases <- list(
    list(m = 4, d = 2, hidden = 3, activations = c("tanh", "sigmoid")),
    list(m = 7, d = 3, hidden = 5, activations = c("tanh", "sigmoid")),
    list(m = 1, d = 1, hidden = 1, activations = c("tanh", "sigmoid")),
    list(m = 6, d = 4, hidden = 2, activations = c("tanh", "sigmoid")),
    list(m = 5, d = 3, hidden = 4, activations = c("sigmoid", "sigmoid"))
  )
  for (case in cases) {
    problem <- random_layered_problem(m = case$m, d = case$d, neurons = c(case$hidden, 1))
    x <- problem$x
    y <- problem$y
    numeric <- numeric_gradient(function(p) layered_cost(x, y, p, case$activations), problem$params)
    gradient <- layered_gradient_at(x, y, problem$params, case$activations)
    expect_lt(
      max_relative_error(gradient, numeric), 1e-6,
      label = sprintf("random net m = %d, d = %d, hidden = %d, %s > max relative error of dW, db",
                      case$m, case$d, case$hidden, paste(case$activations, collapse = "/"))
    )
  }
})

test_that("the layered finite-difference check catches the gradient of the summed loss", {
  # The layers average over the m samples; m times that (the slope of the
  # sum) must fail the check, or the check proves nothing.
  set.seed(305)
  problem <- random_layered_problem(m = 4, d = 2, neurons = c(3, 1))
  activations <- c("tanh", "sigmoid")
  numeric <- numeric_gradient(function(p) layered_cost(problem$x, problem$y, p, activations), problem$params)
  gradient <- layered_gradient_at(problem$x, problem$y, problem$params, activations)
  expect_gt(max_relative_error(lapply(gradient, function(g) g * 4), numeric), 0.1)
})

# train_layered -----------------------------------------------------------------

test_that("train_layered with 0 epochs returns loss numeric(0) and the untrained output", {
  fixture <- named_fixture("layered-xor")
  activations <- unlist(fixture$hyper$activations)
  fit <- train_layered(fixture$data$X, fixture$data$y, fixture$init, activations, epochs = 0, lr = 0.1)
  expect_named(fit, c("params", "loss", "output"))
  expect_identical(fit$loss, numeric(0))
  expect_identical(fit$params, fixture$init)
  expect_identical(dim(fit$output), c(4L, 1L))
  expect_identical(fit$output, t(feedforward_all(new_layers(fixture$init, activations), t(fixture$data$X))))
})

test_that("one epoch of train_layered is feedforward, cost, backprop through every layer", {
  set.seed(306)
  problem <- random_layered_problem(m = 5, d = 2, neurons = c(3, 1))
  activations <- c("tanh", "sigmoid")
  lyr <- new_layers(problem$params, activations, lr = 0.2)
  A <- feedforward_all(lyr, problem$x)
  dA <- d_logloss(problem$y, A)
  for (layer in rev(lyr)) dA <- layer$backprop(dA)
  updated <- list(W1 = lyr[[1]]$W, b1 = lyr[[1]]$b, W2 = lyr[[2]]$W, b2 = lyr[[2]]$b)

  fit <- train_layered(t(problem$x), t(problem$y), problem$params, activations, epochs = 1, lr = 0.2)
  expect_identical(fit$loss, 1 / 5 * sum(logloss(problem$y, A)))
  expect_identical(fit$params, updated)
  expect_identical(fit$output, t(feedforward_all(new_layers(updated, activations), problem$x)))
})

test_that("train_layered does not modify its arguments", {
  set.seed(307)
  problem <- random_layered_problem(m = 4, d = 3, neurons = c(2, 1))
  X <- t(problem$x)
  y <- t(problem$y)
  params <- problem$params
  fit <- train_layered(X, y, params, c("tanh", "sigmoid"), epochs = 5, lr = 0.5)
  expect_identical(X, t(problem$x))
  expect_identical(y, t(problem$y))
  expect_identical(params, problem$params)
  expect_false(identical(fit$params, params))
})

# The layered-xor fixture --------------------------------------------------------

test_that("the layered-xor fixture is learned, and agrees with `expected` within 1e-12", {
  path <- fixture_path("layered-xor")
  fixture <- read_fixture(path)
  expected <- jsonlite::fromJSON(path)$expected
  result <- trained_fixture(path) # train_fixture(path), once per run
  expect_identical(round(result$output), fixture$data$y, label = "layered-xor > round(output)")
  expect_lt(result$loss[fixture$hyper$epochs], result$loss[1], label = "layered-xor > last loss")
  for (param in names(fixture$init)) {
    expect_lte(max_abs_diff(result$params[[param]], expected$params[[param]]), 1e-12,
               label = paste0("layered-xor > params > ", param, ": max |R - expected|"))
  }
  expect_lte(max_abs_diff(result$loss, expected$loss), 1e-12, label = "layered-xor > loss: max |R - expected|")
  expect_lte(max_abs_diff(result$output, expected$output), 1e-12,
             label = "layered-xor > output: max |R - expected|")
})

# read_fixture errors for the layered variant --------------------------------------
#
# Each case changes one thing in the layered-xor fixture and writes it to a
# temporary file.

test_that("the unchanged layered-xor fixture, written back, reads fine", {
  fixture <- read_fixture(local_fixture_file(fixture_json("layered-xor")))
  expect_identical(fixture$name, "layered-xor")
  expect_identical(fixture$hyper$neurons, c(3L, 1L))
  expect_identical(unlist(fixture$hyper$activations), c("tanh", "sigmoid"))
  expect_identical(dim(fixture$init$W1), c(3L, 2L))
  expect_identical(dim(fixture$init$W2), c(1L, 3L))
})

test_that("read_fixture refuses hyper.neurons that are not 1 to 16 whole numbers from 1 to 4096, the last 1", {
  message <- "hyper.neurons: expected 1 to 16 whole numbers from 1 to 4096, one per layer, the last 1"
  for (neurons in list(list(3, 2), list(1, 3), list(0, 1), list(2.5, 1), list("3", 1), list(),
                       list(4097, 1), c(as.list(rep(2, 16)), 1), 3)) {
    fixture <- fixture_json("layered-xor")
    fixture$hyper$neurons <- neurons
    expect_fixture_error(fixture, "E_HYPER", message)
  }
  fixture <- fixture_json("layered-xor")
  fixture$hyper$neurons <- NULL
  expect_fixture_error(fixture, "E_SCHEMA", "hyper.neurons: missing")
})

test_that("read_fixture refuses hyper.activations of the wrong length or with an unknown name", {
  message <- "hyper.activations: expected 'sigmoid' or 'tanh' for each of the 2 layers"
  for (activations in list(list("tanh"), list("tanh", "sigmoid", "sigmoid"), list("relu", "sigmoid"),
                           list("tanh", "Sigmoid"), list("tanh", 1))) {
    fixture <- fixture_json("layered-xor")
    fixture$hyper$activations <- activations
    expect_fixture_error(fixture, "E_HYPER", message)
  }
})

test_that("read_fixture refuses a transposed init.W1", {
  fixture <- fixture_json("layered-xor")
  W1 <- fixture$init$W1
  fixture$init$W1 <- lapply(seq_along(W1[[1]]), function(j) lapply(W1, `[[`, j))
  expect_fixture_error(fixture, "E_SHAPE", "init.W1: expected 3x2, got 2x3")
})
