# The fast paths (R/fast.R) against their readable references: bit for bit.

test_that("every fast path gives its reference's results bit for bit on every shipped fixture", {
  for (name in names(fixture_paths())) {
    fixture <- named_fixture(name)
    epochs <- if (fixture$variant == "layered") 20L else fixture$hyper$epochs # layered: the reference itself
    args <- list(fixture$variant, fixture$data$X, fixture$data$y, fixture$init, fixture$hyper, epochs)
    reference <- do.call(train_variant, args)
    fast <- do.call(train_variant_fast, args)
    expect_identical(fast, reference, label = paste(name, "fast path"))
  }
})

test_that("the article's fast path is its reference bit for bit on random problems, n != h", {
  set.seed(601)
  for (shape in list(c(1, 1, 1), c(7, 3, 5), c(300, 9, 4), c(64, 32, 64))) {
    problem <- random_problem(n = shape[1], d = shape[2], h = shape[3])
    problem$y[] <- stats::runif(shape[1]) # targets in [0, 1]
    for (epochs in c(0, 1, 25)) {
      reference <- train(problem$X, problem$y, problem$params, epochs, 0.05)
      expect_identical(train_fast(problem$X, problem$y, problem$params, epochs, 0.05), reference,
                       label = sprintf("train_fast, n = %d, d = %d, h = %d, %d epochs", shape[1], shape[2],
                                       shape[3], epochs))
    }
  }
})

test_that("the walk-through's fast path is its reference bit for bit on random problems", {
  set.seed(602)
  for (shape in list(c(1, 1, 1), c(9, 4, 6), c(200, 12, 3))) {
    X <- matrix(stats::rnorm(shape[1] * shape[2]), shape[1], shape[2])
    y <- matrix(stats::runif(shape[1]), shape[1], 1)
    params <- list(weights_input_hidden = matrix(stats::rnorm(shape[2] * shape[3]), shape[2], shape[3]),
                   weights_hidden_output = matrix(stats::rnorm(shape[3]), shape[3], 1))
    for (epochs in c(0, 1, 25)) {
      expect_identical(train_stepwise_fast(X, y, params, epochs, 0.05), train_stepwise(X, y, params, epochs, 0.05),
                       label = sprintf("train_stepwise_fast, n = %d, %d epochs", shape[1], epochs))
    }
  }
})

test_that("the fast paths return the reference's names and shapes", {
  fixture <- article_fixture()
  fit <- train_fast(fixture$data$X, fixture$data$y, fixture$init, 3, fixture$hyper$lr)
  expect_named(fit, c("params", "loss", "output"))
  expect_named(fit$params, c("wh", "bh", "wout", "bout"))
  for (name in names(fit$params)) expect_identical(dim(fit$params[[name]]), dim(fixture$init[[name]]))
})
