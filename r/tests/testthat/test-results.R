# results.R: write_result(), through check_output_path() and the one checked
# atomic writer, write_atomic(). The twin of tests/test_safety.py's output
# tests; tests/test_hostile.py runs the hostile outputs through the command line.

# One test per fixture: the result written by write_result() reads back bit for bit.
for (path in installed_fixtures()) {
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

# check_output_path and write_result -----------------------------------------

test_that("check_output_path allows a new path in an existing directory, and returns it invisibly", {
  dir <- local_temp_dir()
  out <- file.path(dir, "result.json")
  expect_invisible(check_output_path(out))
  expect_identical(check_output_path(out), out)
  # only a directory named exactly shared_fixtures is refused
  lookalike <- file.path(dir, "my_shared_fixtures")
  dir.create(lookalike)
  expect_identical(check_output_path(file.path(lookalike, "result.json")), file.path(lookalike, "result.json"))
  expect_identical(list.files(dir, all.files = TRUE, no.. = TRUE), "my_shared_fixtures")
})

test_that("check_output_path allows an existing file that is not a fixture", {
  dir <- local_temp_dir()
  result <- file.path(dir, "result.json")
  write_result(train_fixture(fixture_path("xor"), epochs = 1), result)
  expect_identical(check_output_path(result), result)
  text <- file.path(dir, "notes.txt")
  writeLines("not JSON", text)
  expect_identical(check_output_path(text), text)
})

test_that("check_output_path refuses any path under a directory named shared_fixtures", {
  dir <- file.path(local_temp_dir(), "shared_fixtures")
  dir.create(file.path(dir, "invalid"), recursive = TRUE)
  fixture <- file.path(dir, "xor.json")
  file.copy(fixture_path("xor"), fixture)
  corpus <- file.path(dir, "invalid", "new-result.json")
  for (out in c(file.path(dir, "new-result.json"), fixture, corpus)) {
    expect_refusal(check_output_path(out), "E_OUTPUT", paste0(out, ": refusing to write under shared_fixtures/"))
  }
})

test_that("check_output_path refuses to overwrite an installed fixture", {
  fixture <- fixture_path("xor")
  expect_refusal(check_output_path(fixture), "E_OUTPUT", paste0(fixture, ": refusing to overwrite a fixture"))
})

test_that("check_output_path refuses to overwrite a fixture outside shared_fixtures", {
  dir <- local_temp_dir()
  mine <- file.path(dir, "my-fixture.json")
  file.copy(fixture_path("xor"), mine)
  expect_refusal(check_output_path(mine), "E_OUTPUT", paste0(mine, ": refusing to overwrite a fixture"))
  # a fixture that breaks a rule is still a fixture
  broken <- file.path(dir, "broken-fixture.json")
  file.copy(file.path(fixtures_dir(), "invalid", "E_SHAPE-x-ragged.json"), broken)
  expect_refusal(check_output_path(broken), "E_OUTPUT", paste0(broken, ": refusing to overwrite a fixture"))
})

test_that("check_output_path refuses a path in a missing directory", {
  out <- file.path(local_temp_dir(), "missing", "result.json")
  expect_refusal(check_output_path(out), "E_OUTPUT", paste0(out, ": cannot write: No such directory"))
})

test_that("write_result refuses the same paths and writes nothing", {
  result <- train_fixture(fixture_path("xor"), epochs = 1)

  # an installed fixture keeps its bytes, and no temporary file is left beside it
  fixture <- fixture_path("xor")
  before <- readBin(fixture, "raw", n = file.size(fixture))
  expect_refusal(write_result(result, fixture), "E_OUTPUT", paste0(fixture, ": refusing to overwrite a fixture"))
  expect_identical(readBin(fixture, "raw", n = file.size(fixture)), before)
  expect_identical(list.files(fixtures_dir(), pattern = "^\\.xor\\.json\\.", all.files = TRUE), character(0))

  # a directory named shared_fixtures elsewhere stays empty
  dir <- file.path(local_temp_dir(), "shared_fixtures")
  dir.create(dir)
  out <- file.path(dir, "result.json")
  expect_refusal(write_result(result, out), "E_OUTPUT", paste0(out, ": refusing to write under shared_fixtures/"))
  expect_identical(list.files(dir, all.files = TRUE, no.. = TRUE), character(0))

  # a fixture elsewhere keeps its bytes, and nothing is added beside it
  dir <- local_temp_dir()
  mine <- file.path(dir, "my-fixture.json")
  file.copy(fixture, mine)
  expect_refusal(write_result(result, mine), "E_OUTPUT", paste0(mine, ": refusing to overwrite a fixture"))
  expect_identical(readBin(mine, "raw", n = file.size(mine)), before)
  expect_identical(list.files(dir, all.files = TRUE, no.. = TRUE), "my-fixture.json")

  # a missing directory is not created
  out <- file.path(dir, "missing", "result.json")
  expect_refusal(write_result(result, out), "E_OUTPUT", paste0(out, ": cannot write: No such directory"))
  expect_false(dir.exists(dirname(out)))
  expect_identical(list.files(dir, all.files = TRUE, no.. = TRUE), "my-fixture.json")
})

test_that("a device as the output is never replaced", {
  dir <- local_temp_dir()
  device <- if (identical(Sys.info()[["user"]], "root")) file.path(dir, "full") else "/dev/full"
  if (device != "/dev/full") expect_identical(system2("mknod", c(shQuote(device), "c", "1", "7")), 0L)
  result <- train_fixture(fixture_path("xor"), epochs = 1)
  message <- paste0(device, ": refusing to replace something that is not a regular file")
  expect_refusal(check_output_path(device), "E_OUTPUT", message)
  expect_refusal(write_result(result, device), "E_OUTPUT", message)
  expect_identical(file.info(device)$size, 0)
  expect_identical(list.files(dir), if (device == "/dev/full") character() else "full")
})

test_that("outputs that cannot be files are E_OUTPUT, and nothing is left behind", {
  dir <- local_temp_dir()
  result <- train_fixture(fixture_path("xor"), epochs = 1)
  fifo <- file.path(dir, "fifo")
  expect_identical(system2("mkfifo", shQuote(fifo)), 0L)
  expect_refusal(write_result(result, ""), "E_OUTPUT", ": cannot write: not a file name")
  expect_refusal(write_result(result, dir), "E_OUTPUT",
                 paste0(dir, ": refusing to replace something that is not a regular file"))
  expect_refusal(write_result(result, paste0(dir, "/")), "E_OUTPUT", paste0(dir, "/: cannot write: not a file name"))
  expect_refusal(write_result(result, fifo), "E_OUTPUT",
                 paste0(fifo, ": refusing to replace something that is not a regular file"))
  expect_error(write_result(result, "/proc/x.json"), class = "twinnet_fixture_error")
  expect_false(file.exists("/proc/x.json"))
  expect_identical(list.files(dir, all.files = TRUE, no.. = TRUE), "fifo")
})

test_that("results get mode 0644 less the umask, through a hidden temporary file", {
  dir <- local_temp_dir()
  out <- file.path(dir, "result.json")
  old <- Sys.umask("027")
  on.exit(Sys.umask(old), add = TRUE)
  write_result(train_fixture(fixture_path("xor"), epochs = 1), out)
  expect_identical(format(file.info(out)$mode), "640")
  expect_identical(list.files(dir, all.files = TRUE, no.. = TRUE), "result.json")
})
