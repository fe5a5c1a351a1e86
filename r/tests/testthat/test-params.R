# init_params() and predict_variant(): R draws numpy's RandomState numbers
# itself, bit for bit, and predicts what training outputs. The parity with
# Python on many seeds and shapes is in tests/test_params.py.

fixture_names <- c("article", "xor", "iris", "wide", "stepwise", "layered-xor")
layered_hyper <- list(neurons = c(3, 1), activations = c("tanh", "sigmoid"))

test_that("the port of MT19937 gives the reference generator's words", {
  # init_genrand(5489) is the reference seeding: its first word and its
  # 10000th (the value C++ requires of std::mt19937) are well known
  words <- twinnet:::random_uint32(twinnet:::random_state(5489), 10000)
  expect_identical(words[1], 3499211612)
  expect_identical(words[10000], 4123659995)
})

test_that("init_params draws numpy's RandomState numbers", {
  # numpy.random.RandomState(42).uniform(size=3) and RandomState(0).randn(3)
  expect_identical(init_params("stepwise", 1, list(hidden = 3), 42)$weights_input_hidden,
                   matrix(c(0.3745401188473625, 0.9507143064099162, 0.7319939418114051), 1, 3))
  expect_identical(init_params("layered", 3, list(neurons = 1, activations = "sigmoid"), 0)$W1,
                   matrix(c(1.764052345967664, 0.4001572083672233, 0.9787379841057392), 1, 3))
  # the largest seed: RandomState(2**32 - 1).uniform(size=4), then .randn(3)
  expect_identical(init_params("article", 1, list(hidden = 1), 2^32 - 1),
                   list(wh = matrix(0.0976320289940138), bh = matrix(0.9123828453026218),
                        wout = matrix(0.78903530185164), bout = matrix(0.7800035981134678)))
  expect_identical(init_params("layered", 3, list(neurons = 1, activations = "sigmoid"), 2^32 - 1)$W1,
                   matrix(c(0.6484086742306527, 0.6693235306338161, -1.0805437227474493), 1, 3))
})

test_that("init_params draws the article fixture's init bit for bit", {
  fixture <- read_fixture(fixture_path("article"))
  expect_identical(init_params("article", 4, list(hidden = 3), 42), fixture$init)
})

test_that("init_params draws every shipped fixture's init from its seed", {
  for (name in fixture_names) {
    fixture <- read_fixture(fixture_path(name))
    init <- init_params(fixture$variant, ncol(fixture$data$X), fixture$hyper, fixture$generator$seed)
    expect_identical(init, fixture$init, label = name)
  }
})

test_that("layered normal draws run on from one W to the next, keeping numpy's second value", {
  # W1 takes 3 values, the third the first half of a pair; W2's first value is
  # that pair's kept second half
  both <- init_params("layered", 1, layered_hyper, 7)
  alone <- init_params("layered", 6, list(neurons = 1, activations = "sigmoid"), 7)$W1 # 1 x 6
  expect_identical(c(both$W1, both$W2), c(alone))
  expect_identical(both$b1, matrix(0, 3, 1))
  expect_identical(both$b2, matrix(0, 1, 1))
})

test_that("init_params takes hyper's vectors or lists, with or without epochs and lr", {
  as_lists <- list(neurons = list(3, 1), activations = list("tanh", "sigmoid"), epochs = 10, lr = 0.1)
  expect_identical(init_params("layered", 2, as_lists, 5), init_params("layered", 2, layered_hyper, 5))
  expect_identical(init_params("article", 4L, list(hidden = 3L), 5L), init_params("article", 4, list(hidden = 3), 5))
})

test_that("init_params leaves R's own random numbers alone", {
  set.seed(1)
  before <- .Random.seed
  init_params("layered", 2, layered_hyper, 3)
  expect_identical(.Random.seed, before)
})

test_that("predict_variant is each variant's forward pass after training, bit for bit", {
  for (name in fixture_names) {
    fixture <- read_fixture(fixture_path(name))
    fit <- train_variant(fixture$variant, fixture$data$X, fixture$data$y, fixture$init, fixture$hyper, 25)
    output <- predict_variant(fixture$variant, fixture$data$X, fit$params, fixture$hyper)
    expect_identical(output, fit$output, label = name)
  }
})

test_that("predict_variant gives the fixtures' expected output from their expected params", {
  for (name in fixture_names) {
    fixture <- read_fixture(fixture_path(name))
    expected <- lapply(fixture$expected$params, function(rows) do.call(rbind, lapply(rows, unlist)))
    output <- predict_variant(fixture$variant, fixture$data$X, expected, fixture$hyper)
    want <- do.call(rbind, lapply(fixture$expected$output, unlist))
    expect_identical(dim(output), c(nrow(fixture$data$X), 1L), label = name)
    expect_lte(max_abs_diff(output, want), 1e-12)
  }
})

test_that("predict_variant takes samples as rows, from a data frame too", {
  X <- datasets::iris[1:100, 1:4]
  network <- init_params("stepwise", 4, list(hidden = 2), 9)
  output <- predict_variant("stepwise", X, network, list(hidden = 2))
  expect_identical(dim(output), c(100L, 1L))
  expect_identical(output, t(forward_propagation(t(unname(as.matrix(X))), network)$output))
  expect_identical(predict_variant("stepwise", as.matrix(X), network, list(hidden = 2)), output)
})

test_that("the iris example of docs/usage.md tells the first two species apart", {
  X <- apply(as.matrix(datasets::iris[1:100, 1:4]), 2, function(x) (x - min(x)) / (max(x) - min(x)))
  y <- matrix(as.numeric(datasets::iris$Species[1:100] == "versicolor"))
  hyper <- list(hidden = 3, lr = 0.1)
  fit <- train_variant("article", X, y, init_params("article", 4, hyper, 42), hyper, epochs = 300)
  expect_identical(round(predict_variant("article", X, fit$params, hyper)), y)
})

test_that("init_params refuses bad arguments with the house codes", {
  seed_range <- "seed: expected a whole number from 0 to 4294967295"
  expect_refusal(init_params("perceptron", 4, list(hidden = 3), 1), "E_VARIANT",
                 "variant: expected 'article', 'stepwise' or 'layered', got 'perceptron'")
  expect_refusal(init_params("article", 4, 3, 1), "E_HYPER", "hyper: expected an object, got a number")
  expect_refusal(init_params("article", 4, list(), 1), "E_SCHEMA", "hyper.hidden: missing")
  expect_refusal(init_params("article", 4, list(hidden = 0), 1), "E_HYPER",
                 "hyper.hidden: expected a whole number from 1 to 4096")
  expect_refusal(init_params("layered", 2, list(neurons = c(3, 2), activations = c("tanh", "sigmoid")), 1),
                 "E_HYPER", "hyper.neurons: expected 1 to 16 whole numbers from 1 to 4096, one per layer, the last 1")
  expect_refusal(init_params("article", 0, list(hidden = 3), 1), "E_SHAPE",
                 "d: expected a whole number of features >= 1")
  expect_refusal(init_params("article", 4, list(hidden = 3), -1), "E_HYPER", seed_range)
  expect_refusal(init_params("article", 4, list(hidden = 3), 2^32), "E_HYPER", seed_range)
  expect_refusal(init_params("article", 4, list(hidden = 3), 1.5), "E_HYPER", seed_range)
  expect_refusal(init_params("article", 4, list(hidden = 3), "42"), "E_HYPER", seed_range)
})

test_that("predict_variant refuses bad arguments with the house codes", {
  X <- matrix(seq(0, 11) / 12, 3, 4, byrow = TRUE)
  network <- init_params("article", 4, list(hidden = 3), 1)
  hyper <- list(hidden = 3)
  expect_refusal(predict_variant("article", X[1, ], network, hyper), "E_SHAPE",
                 "X: expected a non-empty 2-dimensional matrix")
  X_nan <- X
  X_nan[2, 3] <- NaN
  expect_refusal(predict_variant("article", X_nan, network, hyper), "E_VALUE", "X[1][2]: expected a finite number")
  expect_refusal(predict_variant("article", X > 0.5, network, hyper), "E_VALUE", "X: expected a matrix of numbers")
  expect_refusal(predict_variant("article", X, network["wh"], hyper), "E_SCHEMA", "params.bh: missing")
  network$wh <- t(network$wh)
  expect_refusal(predict_variant("article", X, network, hyper), "E_SHAPE", "params.wh: expected 4x3, got 3x4")
  expect_refusal(predict_variant("article", X, 1, hyper), "E_SCHEMA", "params: expected an object, got a number")
})
