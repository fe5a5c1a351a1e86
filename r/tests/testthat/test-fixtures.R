# The shared fixtures: read_fixture(), train_fixture() and write_result().

# Agreement with the fixtures' expected results --------------------------

test_that("the shared fixtures are found, every variant among them", {
  paths <- installed_fixtures()
  shipped <- c("article", "iris", "layered-xor", "stepwise", "wide", "xor")
  expect_true(all(shipped %in% names(paths)), label = "all six shipped fixtures are found")
  expect_true(all(file.exists(paths)))
  expect_false(any(grepl("schema", basename(paths))))
  variants <- vapply(paths, function(path) read_fixture(path)$variant, character(1))
  expect_setequal(variants, c("article", "stepwise", "layered"))
})

# One pair of tests per fixture, whatever its variant: read_fixture() gives
# every matrix in its documented shape, R's training agrees with the
# `expected` results (made by the Python generator) to 1e-12 absolute, and the
# result written by write_result() reads back bit for bit. The parameters are
# whatever the variant's are: names(fixture$init). The tolerance is absolute,
# so it is checked with max(abs(a - b)) and not expect_equal(), whose
# tolerance is relative in testthat's 3rd edition.
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

    # read_fixture: double matrices in the documented shapes
    expect_true(is.matrix(fixture$data$X), label = where("data.X is a matrix"))
    expect_true(is.double(fixture$data$X), label = where("data.X is double"))
    expect_identical(dim(fixture$data$y), c(n, 1L), label = where("dim(data.y)"))
    expect_identical(params, names(shapes), label = where("names(init)"))
    expect_equal(lapply(param_shapes(fixture$variant, d, fixture$hyper), as.integer), shapes,
                 label = where("param_shapes()"))
    for (param in params) {
      expect_identical(dim(fixture$init[[param]]), shapes[[param]], label = where("dim(init.", param, ")"))
      expect_true(is.double(fixture$init[[param]]), label = where("init.", param, " is double"))
    }

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

  test_that(paste0("fixture ", basename(path), ": write_result() reads back bit for bit"), {
    name <- sub("\\.json$", "", basename(path))
    where <- function(...) paste0(name, " > ", ...)
    result <- trained_fixture(path) # the run the test above checked against `expected`
    params <- names(read_fixture(path)$init)

    # valid JSON whose numbers read back identical
    out <- local_temp_path()
    write_result(result, out)
    text <- paste(readLines(out), collapse = "\n")
    expect_true(jsonlite::validate(text), label = where("written JSON is valid"))
    back <- jsonlite::fromJSON(out)
    expect_named(back, c("schema", "fixture", "language", "params", "loss", "output"))
    expect_identical(back[c("schema", "fixture", "language")], result[c("schema", "fixture", "language")],
                     label = where("schema, fixture and language read back"))
    expect_identical(names(back$params), params, label = where("names(params) read back"))
    for (param in params) {
      expect_identical(back$params[[param]], result$params[[param]],
                       label = where("params > ", param, " read back"))
    }
    expect_identical(back$loss, result$loss, label = where("loss read back"))
    expect_identical(back$output, result$output, label = where("output read back"))
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

# write_result ------------------------------------------------------------

test_that("write_result writes an empty loss as [] when epochs = 0", {
  path <- fixture_path("xor")
  result <- train_fixture(path, epochs = 0)
  out <- local_temp_path()
  write_result(result, out)
  text <- readLines(out)
  expect_true(jsonlite::validate(paste(text, collapse = "\n")))
  expect_true(any(text == "  \"loss\": [],"))
  back <- jsonlite::fromJSON(out)
  expect_length(back$loss, 0)
  expect_identical(back$output, result$output)
  expect_identical(back$params, result$params)
})

test_that("write_result returns the path invisibly and leaves only that file", {
  dir <- local_temp_dir()
  out <- file.path(dir, "article.r.json")
  path <- fixture_path("article")
  result <- train_fixture(path, epochs = 2)
  expect_invisible(write_result(result, out))
  expect_identical(write_result(result, out), out)
  expect_identical(list.files(dir, all.files = TRUE, no.. = TRUE), "article.r.json")
})

test_that("write_result refuses non-finite numbers and leaves no file behind", {
  dir <- local_temp_dir()
  out <- file.path(dir, "result.json")
  path <- fixture_path("article")
  result <- train_fixture(path, epochs = 2)
  for (bad in c(NaN, Inf, -Inf, NA)) {
    for (where in c("output", "loss", "wout")) {
      broken <- result
      if (where == "wout") broken$params$wout[2] <- bad else broken[[where]][1] <- bad
      expect_error(write_result(broken, out), "non-finite", label = paste(where, "=", bad))
      expect_identical(list.files(dir, all.files = TRUE, no.. = TRUE), character(0))
    }
  }
})

test_that("a refused write_result leaves an existing file as it was", {
  dir <- local_temp_dir()
  out <- file.path(dir, "result.json")
  path <- fixture_path("article")
  result <- train_fixture(path, epochs = 2)
  write_result(result, out)
  before <- readLines(out)
  broken <- result
  broken$output[1] <- NaN
  expect_error(write_result(broken, out), "non-finite")
  expect_identical(readLines(out), before)
  expect_identical(list.files(dir, all.files = TRUE, no.. = TRUE), "result.json")
})

# read_fixture errors -----------------------------------------------------
#
# Each case changes one thing in the article fixture and writes it to a
# temporary file. The error must have class "twinnet_fixture_error", the
# right `code`, and the one-line message "CODE: <JSON path>: ...".

test_that("the unchanged article fixture, written back, reads fine", {
  fixture <- read_fixture(local_fixture_file(fixture_json()))
  expect_identical(fixture$name, "article")
  expect_identical(dim(fixture$init$wh), c(4L, 3L))
})

test_that("read_fixture refuses a wrong or missing schema", {
  fixture <- fixture_json()
  fixture$schema <- "twinnet-fixture/2"
  expect_fixture_error(fixture, "E_SCHEMA", "schema: expected 'twinnet-fixture/1', got 'twinnet-fixture/2'")
  fixture$schema <- NULL
  expect_fixture_error(fixture, "E_SCHEMA", "schema: missing")
})

test_that("read_fixture refuses an unknown or missing variant", {
  fixture <- fixture_json()
  fixture$variant <- "deep"
  expect_fixture_error(fixture, "E_VARIANT", "variant: expected 'article', 'stepwise' or 'layered', got 'deep'")
  fixture$variant <- NULL
  expect_fixture_error(fixture, "E_SCHEMA", "variant: missing")
})

test_that("read_fixture refuses a transposed init.wh", {
  fixture <- fixture_json()
  wh <- fixture$init$wh
  fixture$init$wh <- lapply(seq_along(wh[[1]]), function(j) lapply(wh, `[[`, j))
  expect_fixture_error(fixture, "E_SHAPE", "init.wh: expected 4x3, got 3x4")
})

test_that("read_fixture refuses data.y with the wrong number of rows", {
  fixture <- fixture_json()
  fixture$data$y <- fixture$data$y[-1]
  expect_fixture_error(fixture, "E_SHAPE", "data.y: expected 3x1, got 2x1")
})

test_that("read_fixture refuses ragged or empty data.X", {
  fixture <- fixture_json()
  fixture$data$X[[2]] <- fixture$data$X[[2]][-4]
  expect_fixture_error(fixture, "E_SHAPE", "data.X[1]: expected 4 numbers, got 3")
  fixture$data$X <- list()
  expect_fixture_error(fixture, "E_SHAPE", "data.X: expected a non-empty list of rows, got a list")
})

test_that("read_fixture refuses data past 1e150 in magnitude, naming the first row by row as Python does", {
  # X %*% W would overflow or not as the BLAS fuses its multiply-adds: refused in both languages
  fixture <- fixture_json()
  fixture$data$X[[2]][[4]] <- 1e308
  fixture$data$X[[3]][[1]] <- -1e151
  expect_fixture_error(fixture, "E_VALUE", "data.X[1][3]: expected a magnitude of at most 1e+150")
  fixture$data$X[[2]][[4]] <- 1e150
  expect_fixture_error(fixture, "E_VALUE", "data.X[2][0]: expected a magnitude of at most 1e+150")
})

test_that("read_fixture refuses non-numeric values", {
  fixture <- fixture_json()
  fixture$data$X[[2]][[3]] <- "1"
  expect_fixture_error(fixture, "E_VALUE", "data.X[1][2]: expected a finite number, got '1'")

  fixture <- fixture_json()
  fixture$init$bout[[1]] <- list(NULL)
  expect_fixture_error(fixture, "E_VALUE", "init.bout[0][0]: expected a finite number, got null")

  fixture <- fixture_json()
  fixture$hyper$epochs <- "5000"
  expect_fixture_error(fixture, "E_HYPER", "hyper.epochs: expected a whole number from 0 to 1000000")

  fixture <- fixture_json()
  fixture$hyper$lr <- "0.1"
  expect_fixture_error(fixture, "E_HYPER", "hyper.lr: expected a finite number > 0")
})

test_that("read_fixture refuses hyper.lr <= 0", {
  fixture <- fixture_json()
  fixture$hyper$lr <- 0
  expect_fixture_error(fixture, "E_HYPER", "hyper.lr: expected a finite number > 0")
  fixture$hyper$lr <- -0.1
  expect_fixture_error(fixture, "E_HYPER", "hyper.lr: expected a finite number > 0")
})

test_that("read_fixture refuses a fixture without hyper or hyper.lr", {
  fixture <- fixture_json()
  fixture$hyper <- NULL
  expect_fixture_error(fixture, "E_SCHEMA", "hyper: missing")
  fixture <- fixture_json()
  fixture$hyper$lr <- NULL
  expect_fixture_error(fixture, "E_SCHEMA", "hyper.lr: missing")
})

test_that("read_fixture refuses a file that is not JSON, or not an object", {
  path <- local_text_file("{\"schema\": \"twinnet-fixture/1\",")
  expect_fixture_error(path, "E_JSON", paste0(path, ": not valid JSON: "), prefix = TRUE)
  expect_fixture_error(local_text_file("[1, 2, 3]"), "E_SCHEMA", "(top level): expected an object, got a list")
})

test_that("read_fixture refuses a missing file", {
  path <- file.path(local_temp_dir(), "missing.json")
  expect_fixture_error(path, "E_IO", paste0(path, ": cannot read: No such file or directory"))
})
