# The bias-free walk-through: forward_propagation, backward_propagation,
# update_weights and train_stepwise.
#
# Inside the walk-through samples are columns: X is d x n and y 1 x n.


# forward_propagation and backward_propagation -----------------------------

test_that("every forward and backward quantity has its documented shape (X d x n)", {
  # d, n and h all differ, so any transposed quantity shows in its dim.
  set.seed(201)
  d <- 2L
  n <- 5L
  h <- 3L
  problem <- random_stepwise_problem(n = n, d = d, h = h)
  forward_pass <- forward_propagation(problem$X, problem$params)
  backward_pass <- backward_propagation(problem$X, problem$y, problem$params, forward_pass)
  expect_named(forward_pass, forward_names)
  expect_named(backward_pass, backward_names)
  shapes <- list(
    hiddenLayer_linearTransform = c(h, n),
    hiddenLayer_activations = c(h, n),
    outputLayer_linearTransform = c(1L, n),
    output = c(1L, n),
    error_wrt_output = c(1L, n),
    output_wrt_outputLayer_linearTransform = c(1L, n),
    outputLayer_linearTransform_wrt_weights_hidden_output = c(h, n),
    error_wrt_weights_hidden_output = c(h, 1L),
    outputLayer_linearTransform_wrt_hiddenLayer_activations = c(h, 1L),
    hiddenLayer_activations_wrt_hiddenLayer_linearTransform = c(h, n),
    hiddenLayer_linearTransform_wrt_weights_input_hidden = c(d, n),
    error_wrt_weights_input_hidden = c(d, h)
  )
  quantities <- c(forward_pass, backward_pass)
  for (name in names(shapes)) {
    expect_identical(dim(quantities[[name]]), shapes[[name]], label = paste0("random problem > dim(", name, ")"))
  }
  # the gradients are shaped like the weights they update
  expect_identical(dim(backward_pass$error_wrt_weights_input_hidden), dim(problem$params$weights_input_hidden))
  expect_identical(dim(backward_pass$error_wrt_weights_hidden_output), dim(problem$params$weights_hidden_output))
})

test_that("forward_propagation is the walk-through's sigmoid(t(w) %*% X), twice, without biases", {
  set.seed(202)
  problem <- random_stepwise_problem(n = 4, d = 3, h = 2)
  X <- problem$X
  w_ih <- problem$params$weights_input_hidden
  w_ho <- problem$params$weights_hidden_output
  forward_pass <- forward_propagation(X, problem$params)
  expect_equal(forward_pass$hiddenLayer_linearTransform, t(w_ih) %*% X, tolerance = 1e-14)
  expect_identical(forward_pass$hiddenLayer_activations, sigmoid(forward_pass$hiddenLayer_linearTransform))
  expect_equal(forward_pass$outputLayer_linearTransform, t(w_ho) %*% forward_pass$hiddenLayer_activations,
               tolerance = 1e-14)
  expect_identical(forward_pass$output, sigmoid(forward_pass$outputLayer_linearTransform))
  # no biases: zero weights give sigmoid(0) = 1/2 everywhere
  zero <- lapply(problem$params, function(w) w * 0)
  expect_identical(forward_propagation(X, zero)$hiddenLayer_activations, matrix(0.5, 2, 4))
})

# Finite differences: error_wrt_weights_* must be dE/dw for the summed error
# E = sum(1/2 (y - output)^2) = ncol(y) * loss(y, output), on every element of
# both weights. relative_error(a, b) is |a - b| / max(|a| + |b|, 1e-8).

test_that("backward_propagation matches finite differences at the stepwise fixture's init", {
  fixture <- named_fixture("stepwise")
  X <- t(fixture$data$X)
  y <- t(fixture$data$y)
  params <- fixture$init
  numeric <- numeric_gradient(function(p) stepwise_summed_error(X, y, p), params)
  expect_lt(max_relative_error(stepwise_gradient_at(X, y, params), numeric), 1e-6,
            label = "stepwise > max relative error of error_wrt_weights_*")
})

test_that("backward_propagation matches finite differences on random small problems", {
  set.seed(2018)
  shapes <- list(c(5, 2, 3), c(7, 3, 4), c(4, 1, 1), c(6, 4, 2), c(1, 3, 5))
  for (shape in shapes) {
    problem <- do.call(random_stepwise_problem, as.list(stats::setNames(shape, c("n", "d", "h"))))
    X <- problem$X
    y <- problem$y
    numeric <- numeric_gradient(function(p) stepwise_summed_error(X, y, p), problem$params)
    expect_lt(
      max_relative_error(stepwise_gradient_at(X, y, problem$params), numeric), 1e-6,
      label = sprintf("random problem n = %d, d = %d, h = %d > max relative error", shape[1], shape[2], shape[3])
    )
  }
})

test_that("the stepwise finite-difference check catches the gradient of the mean loss", {
  # The walk-through descends the sum over samples; 1/n of it (the slope of
  # the mean) and the descent direction (minus it) must both fail the check.
  set.seed(203)
  problem <- random_stepwise_problem(n = 4, d = 2, h = 3)
  X <- problem$X
  y <- problem$y
  gradient <- stepwise_gradient_at(X, y, problem$params)
  numeric <- numeric_gradient(function(p) stepwise_summed_error(X, y, p), problem$params)
  expect_gt(max_relative_error(lapply(gradient, function(g) g / ncol(y)), numeric), 0.1)
  expect_gt(max_relative_error(lapply(gradient, `-`), numeric), 0.1)
})

# update_weights --------------------------------------------------------------

test_that("update_weights subtracts lr * gradient from each weight", {
  set.seed(204)
  problem <- random_stepwise_problem(n = 4, d = 3, h = 2)
  params <- problem$params
  backward_pass <- backward_propagation(problem$X, problem$y, params, forward_propagation(problem$X, params))
  updated <- update_weights(params, backward_pass, 0.3)
  expect_named(updated, names(params))
  expect_identical(updated$weights_input_hidden,
                   params$weights_input_hidden - 0.3 * backward_pass$error_wrt_weights_input_hidden)
  expect_identical(updated$weights_hidden_output,
                   params$weights_hidden_output - 0.3 * backward_pass$error_wrt_weights_hidden_output)
  expect_identical(update_weights(params, backward_pass, 0), params)
})

# train_stepwise --------------------------------------------------------------

test_that("train_stepwise with 0 epochs gives the untrained output as n x 1", {
  fixture <- named_fixture("stepwise")
  fit <- train_stepwise(fixture$data$X, fixture$data$y, fixture$init, epochs = 0, lr = 0.1)
  expect_named(fit, c("params", "loss", "output"))
  expect_identical(fit$loss, numeric(0))
  expect_identical(fit$params, fixture$init)
  expect_identical(dim(fit$output), c(3L, 1L), label = "stepwise > dim(untrained output)")
  expect_identical(fit$output, t(forward_propagation(t(fixture$data$X), fixture$init)$output))
  expect_identical(round(as.vector(fit$output), 8), walkthrough_untrained_output,
                   label = "stepwise > train_stepwise(epochs = 0) output rounded to 8 decimals")
})

test_that("one epoch of train_stepwise is forward, loss, backward, update", {
  set.seed(205)
  problem <- random_stepwise_problem(n = 5, d = 2, h = 3)
  X <- problem$X # d x n, so train_stepwise() gets t(X), stored n x d
  y <- problem$y
  params <- problem$params
  forward_pass <- forward_propagation(X, params)
  updated <- update_weights(params, backward_propagation(X, y, params, forward_pass), 0.2)
  fit <- train_stepwise(t(X), t(y), params, epochs = 1, lr = 0.2)
  expect_identical(fit$loss, loss(y, forward_pass$output))
  expect_identical(fit$params, updated)
  expect_identical(fit$output, t(forward_propagation(X, updated)$output))
})

test_that("train_stepwise takes the weights in any order and does not modify them", {
  set.seed(206)
  problem <- random_stepwise_problem(n = 4, d = 3, h = 2)
  X <- t(problem$X)
  y <- t(problem$y)
  fit <- train_stepwise(X, y, problem$params, epochs = 3, lr = 0.5)
  expect_named(fit$params, c("weights_input_hidden", "weights_hidden_output"))
  expect_identical(train_stepwise(X, y, rev(problem$params), epochs = 3, lr = 0.5), fit)
  expect_false(identical(fit$params, problem$params))
})

test_that("the trained walk-through network's output rounds to y", {
  fixture <- named_fixture("stepwise")
  fit <- train_stepwise(fixture$data$X, fixture$data$y, fixture$init,
                        epochs = fixture$hyper$epochs, lr = fixture$hyper$lr)
  expect_identical(round(fit$output), fixture$data$y, label = "stepwise > round(trained output)")
  expect_true(all(diff(fit$loss) < 0), label = "stepwise > loss falls every epoch")
})
