# fixtures.R: the packaged fixtures (twinnet_example(), fixture_paths()),
# read_fixture() and check_fixture(), param_shapes(), and the invalid-fixture
# corpus every reader must refuse.

test_that("the shared fixtures are found, every variant among them", {
  paths <- installed_fixtures()
  shipped <- c("article", "iris", "layered-xor", "stepwise", "wide", "xor")
  expect_true(all(shipped %in% names(paths)), label = "all six shipped fixtures are found")
  expect_true(all(file.exists(paths)))
  expect_false(any(grepl("schema", basename(paths))))
  variants <- vapply(paths, function(path) read_fixture(path)$variant, character(1))
  expect_setequal(variants, c("article", "stepwise", "layered"))
})

# One test per fixture: read_fixture() gives every matrix as a double matrix
# in its documented shape (documented_shapes() writes them out from the
# variants' comments), and param_shapes() agrees.
for (path in installed_fixtures()) {
  test_that(paste0("fixture ", basename(path), ": read_fixture() gives every matrix in its documented shape"), {
    name <- sub("\\.json$", "", basename(path))
    where <- function(...) paste0(name, " > ", ...) # labels such as article > params > wh
    fixture <- read_fixture(path)
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
  })
}

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

# The invalid-fixture corpus, shared_fixtures/invalid/: every file must be
# refused by read_fixture() with the code its manifest entry gives (also the
# start of its file name) and, where the manifest has a message, with exactly
# "CODE: message". The Python twin runs the same corpus: error parity.

invalid_dir <- function() file.path(fixtures_dir(), "invalid")

invalid_manifest <- function() {
  jsonlite::fromJSON(file.path(invalid_dir(), "manifest.json"), simplifyVector = FALSE)
}

test_that("the invalid corpus has at least 25 files, every one in the manifest, once", {
  manifest <- invalid_manifest()
  expect_identical(manifest$schema, "twinnet-invalid-corpus/1")
  files <- sort(setdiff(list.files(invalid_dir(), all.files = TRUE, no.. = TRUE), "manifest.json"))
  listed <- vapply(manifest$cases, function(case) case$file, character(1))
  expect_gte(length(files), 25)
  expect_setequal(listed, files)
  expect_false(anyDuplicated(listed) > 0, label = "a file listed twice")
})

test_that("every manifest entry has a known code, the start of its file name", {
  for (case in invalid_manifest()$cases) {
    expect_true(case$code %in% names(error_codes), label = paste0(case$file, " > code ", case$code, " is known"))
    expect_true(startsWith(case$file, paste0(case$code, "-")), label = paste0(case$file, " > starts with its code"))
    expect_true(is.null(case$message) || (is.character(case$message) && length(case$message) == 1),
                label = paste0(case$file, " > message is null or one string"))
    expect_true(is.character(case$description) && nzchar(case$description),
                label = paste0(case$file, " > has a description"))
  }
})

for (case in invalid_manifest()$cases) {
  test_that(paste0("invalid/", case$file, " is refused with ", case$code, ": ", case$description), {
    path <- file.path(invalid_dir(), case$file)
    if (is.null(case$message)) {
      # the message depends on the parser and the path: the code, the path
      # and one line
      expect_fixture_error(path, case$code, paste0(path, ": "), prefix = TRUE)
    } else {
      # {path} in a manifest message stands for the path the reader was given
      expect_fixture_error(path, case$code, gsub("{path}", path, case$message, fixed = TRUE))
    }
  })
}
