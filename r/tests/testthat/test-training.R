# training.R: train_variant(), train_fixture(), the budget (estimate_cost(),
# check_budget()) and the refusal of runs that diverged.

# One test per fixture: R's training agrees with the `expected` results (made
# by the Python generator) to 1e-12 absolute. The parameters are whatever the
# variant's are: names(fixture$init). The tolerance is absolute, so it is
# checked with max(abs(a - b)) and not expect_equal(), whose tolerance is
# relative in testthat's 3rd edition.
for (path in installed_fixtures()) {
  test_that(paste0("fixture ", basename(path), ": train_fixture() agrees with `expected` within 1e-12"), {
    name <- sub("\\.json$", "", basename(path))
    where <- function(...) paste0(name, " > ", ...) # labels such as article > params > wh
    fixture <- read_fixture(path)
    expected <- jsonlite::fromJSON(path)$expected
    n <- nrow(fixture$data$X)
    d <- ncol(fixture$data$X)
    shapes <- documented_shapes(fixture$variant, d, fixture$hyper)
    params <- names(fixture$init)

    result <- trained_fixture(path) # train_fixture(path), kept for the tests below
    expect_identical(result$schema, "twinnet-result/1")
    expect_identical(result$fixture, name)
    expect_identical(result$language, "r")

    # shapes of the result and of `expected`
    expect_identical(names(result$params), params, label = where("names(params)"))
    expect_identical(names(expected$params), params, label = where("names(expected.params)"))
    for (param in params) {
      expect_identical(dim(result$params[[param]]), shapes[[param]], label = where("dim(params$", param, ")"))
      expect_identical(dim(expected$params[[param]]), shapes[[param]],
                       label = where("dim(expected.params.", param, ")"))
    }
    expect_length(result$loss, fixture$hyper$epochs)
    expect_length(expected$loss, fixture$hyper$epochs)
    expect_identical(dim(result$output), c(n, 1L), label = where("dim(output)"))
    expect_identical(dim(expected$output), c(n, 1L), label = where("dim(expected.output)"))

    # the values, to 1e-12 absolute
    for (param in params) {
      expect_lte(max_abs_diff(result$params[[param]], expected$params[[param]]), 1e-12,
                 label = where("params > ", param, ": max |R - expected|"))
    }
    expect_lte(max_abs_diff(result$loss, expected$loss), 1e-12, label = where("loss: max |R - expected|"))
    expect_lte(max_abs_diff(result$output, expected$output), 1e-12,
               label = where("output: max |R - expected|"))
  })
}

for (path in installed_fixtures()) {
  test_that(paste0("fixture ", basename(path), ": train_fixture(epochs =) overrides hyper.epochs"), {
    name <- sub("\\.json$", "", basename(path))
    where <- function(...) paste0(name, " > ", ...)
    expected <- jsonlite::fromJSON(path)$expected
    result <- train_fixture(path, epochs = 3)
    expect_length(result$loss, 3)
    expect_lte(max_abs_diff(result$loss, expected$loss[1:3]), 1e-12, label = where("loss[1:3]: max |R - expected|"))

    # 0 epochs: no loss, the initial parameters and the untrained network's output
    untrained <- train_fixture(path, epochs = 0)
    fixture <- read_fixture(path)
    expect_identical(untrained$loss, numeric(0), label = where("loss after 0 epochs"))
    expect_identical(untrained$params, fixture$init, label = where("params after 0 epochs"))
    expect_identical(untrained$output, untrained_output(fixture), label = where("output after 0 epochs"))
  })
}

test_that("train_fixture refuses epochs that are not whole numbers from 0 to 1000000", {
  path <- fixture_path("article")
  for (epochs in list(-1, 2.5, "3", NA_real_, TRUE, 1000001, Inf)) {
    expect_refusal(train_fixture(path, epochs = epochs), "E_HYPER",
                   "epochs: expected a whole number from 0 to 1000000")
  }
})

# Hostile runs, generated here (tests/test_hostile.py runs the same through the
# command line in both languages): arrays that would need 6 GiB, an epoch
# count past R's integers, an absurd lr. Each is refused with its code and one
# line before or instead of training.

# 16,384 rows of 4,096 hidden units (200,000 rows in a soak run): 4.0 GiB
# (48.8 GiB), refused by train_fixture() after reading the fixture and before
# training; the 48.8 GiB line itself is check_budget()'s, which train_fixture()
# calls, at any size.
test_that("arrays that would need 4 GiB or more are E_BUDGET before training, with the limit named", {
  rows <- if (soak) 200000 else 16384
  gib <- if (soak) "48.8" else "4.0"
  path <- local_fixture_file(wide_fixture(rows, 4096, 10))
  folder <- list.files(dirname(path), all.files = TRUE, no.. = TRUE)
  expect_refusal(train_fixture(path), "E_BUDGET",
                 paste0("training needs about ", gib, " GiB; the limit is 2 GiB; raise it with --max-memory"))
  expect_refusal(train_fixture(path, max_memory = 0.5), "E_BUDGET",
                 paste0("training needs about ", gib, " GiB; the limit is 0.5 GiB; raise it with --max-memory"))
  expect_refusal(train_fixture(path, max_memory = -1), "E_HYPER", "max_memory: expected a finite number of GiB > 0")
  expect_identical(list.files(dirname(path), all.files = TRUE, no.. = TRUE), folder, label = "files after the refusals")
  hyper <- read_fixture(fixture_path("xor"))$hyper
  hyper$hidden <- 4096
  expect_refusal(check_budget("article", 200000, 1, hyper, 10), "E_BUDGET",
                 "training needs about 48.8 GiB; the limit is 2 GiB; raise it with --max-memory")
  expect_refusal(check_budget("article", 200000, 1, hyper, 10, max_memory = 0.5), "E_BUDGET",
                 "training needs about 48.8 GiB; the limit is 0.5 GiB; raise it with --max-memory")
})

test_that("a day of epochs is E_BUDGET up front", {
  path <- local_fixture_file(wide_fixture(300, 4096, 1000000))
  expect_refusal(train_fixture(path), "E_BUDGET", paste0("training needs about 1.1e+13 multiply-adds, hours of ",
                                                         "computing; the limit is 1e+13; lower the epochs"))
})

test_that("the cost estimate is the formula docs/errors.md gives", {
  fixture <- read_fixture(fixture_path("xor")) # n 4, d 2, hidden 4: 17 parameters, 5 units
  expect_identical(estimate_cost("article", 4, 2, fixture$hyper, 10),
                   c(8 * (2 * 4 * 2 + 2 * 4 + 3 * 17 + 8 * 4 * 5 + 10), 3 * 10 * 4 * 17))
})

test_that("epochs past R's integers are E_HYPER, not an overflow", {
  for (epochs in c(2147483648, -2147483649, 1e300, Inf, NA)) {
    expect_refusal(train_fixture(fixture_path("xor"), epochs = epochs), "E_HYPER",
                   "epochs: expected a whole number from 0 to 1000000")
  }
})

test_that("an absurd lr is E_DIVERGED: weights past 1e150 are not training", {
  fixture <- xor_json()
  fixture$hyper$lr <- 1e308
  expect_refusal(train_fixture(local_fixture_file(fixture), epochs = 20), "E_DIVERGED",
                 paste("params.wh: larger than 1e+150 in magnitude after epoch 20: training diverged",
                       "(try a smaller hyper.lr)"))
})

# train_fixture: divergence -----------------------------------------------------

test_that("train_fixture stops with E_DIVERGED at the first non-finite loss, without warnings", {
  fixture <- fixture_json("wide")
  fixture$hyper$lr <- 1.7e308
  path <- local_fixture_file(fixture)
  expect_identical(read_fixture(path)$hyper$lr, 1.7e308)
  expect_no_warning(expect_refusal(
    train_fixture(path), "E_DIVERGED",
    "loss[1]: not finite: training diverged at epoch 2 (try a smaller hyper.lr)"
  ))
})

test_that("train_fixture stops with E_DIVERGED when a parameter is not finite after the last epoch", {
  fixture <- fixture_json("wide")
  fixture$hyper$lr <- 1.7e308
  path <- local_fixture_file(fixture)
  expect_refusal(train_fixture(path, epochs = 1), "E_DIVERGED",
                 "params.wout: not finite after epoch 1: training diverged (try a smaller hyper.lr)")
})
