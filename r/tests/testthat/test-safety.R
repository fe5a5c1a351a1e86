# Failing well and losing nothing: refused output paths (E_OUTPUT), what
# load_json() refuses before any fixture rule (E_IO, E_SIZE, E_ENCODING,
# E_JSON), divergence (E_DIVERGED), and a sigmoid that is stable for every
# double. The twin of tests/test_safety.py.

max_fixture_bytes <- 16 * 1024 * 1024

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

# load_json: the file, its size, its bytes, its JSON ---------------------------

test_that("load_json parses a valid file without simplifying, UTF-8 included", {
  document <- load_json(fixture_path("xor"))
  expect_identical(document$schema, "twinnet-fixture/1")
  expect_true(is.list(document$data$X[[1]]))
  path <- local_bytes_file("{\"name\": \"v\u00e4lid \u00fcn\u00ef\", \"n\": [1, 2.5]}")
  expect_identical(load_json(path), list(name = "v\u00e4lid \u00fcn\u00ef", n = list(1L, 2.5)))
})

test_that("load_json refuses a missing file or a directory (E_IO)", {
  dir <- local_temp_dir()
  path <- file.path(dir, "missing.json")
  expect_refusal(load_json(path), "E_IO", paste0(path, ": cannot read: No such file or directory"))
  expect_refusal(load_json(dir), "E_IO", paste0(dir, ": cannot read: Is a directory"))
})

test_that("load_json refuses a file over 16 MiB before parsing it (E_SIZE)", {
  path <- local_temp_path()
  # valid JSON, an empty object, one byte over the cap
  writeBin(c(charToRaw("{"), rep(charToRaw(" "), max_fixture_bytes - 1), charToRaw("}")), path)
  expect_identical(file.size(path), max_fixture_bytes + 1)
  expect_refusal(load_json(path), "E_SIZE", paste0(path, ": larger than 16777216 bytes"))
  unlink(path)
  expect_false(file.exists(path))
})

test_that("load_json reads a file of exactly 16 MiB", {
  path <- local_temp_path()
  writeBin(c(charToRaw("{"), rep(charToRaw(" "), max_fixture_bytes - 2), charToRaw("}")), path)
  expect_identical(file.size(path), max_fixture_bytes)
  document <- load_json(path)
  expect_length(document, 0)
  expect_false(is.null(names(document)), label = "an empty JSON object stays an object")
  unlink(path)
  expect_false(file.exists(path))
})

test_that("load_json refuses a byte-order mark or a NUL byte (E_ENCODING)", {
  message <- ": not UTF-8 text (a byte-order mark or a NUL byte)"
  path <- local_bytes_file(c(as.raw(c(0xef, 0xbb, 0xbf)), charToRaw("{\"schema\": \"twinnet-fixture/1\"}")))
  expect_refusal(load_json(path), "E_ENCODING", paste0(path, message))
  path <- local_bytes_file(c(charToRaw("{\"name\": \"A"), as.raw(0), charToRaw("valid\"}")))
  expect_refusal(load_json(path), "E_ENCODING", paste0(path, message))
  path <- local_bytes_file(c(charToRaw("{}"), as.raw(0)))
  expect_refusal(load_json(path), "E_ENCODING", paste0(path, message))
})

test_that("load_json refuses bytes that are not UTF-8 (E_ENCODING)", {
  bad <- list(
    latin1 = as.raw(0xe9), # e-acute in Latin-1
    surrogate = as.raw(c(0xed, 0xa0, 0x80)), # U+D800 encoded
    overlong = as.raw(c(0xc0, 0x80)), # NUL in two bytes
    beyond = as.raw(c(0xf4, 0x90, 0x80, 0x80)) # past U+10FFFF
  )
  for (kind in names(bad)) {
    path <- local_bytes_file(c(charToRaw("{\"name\": \"A v"), bad[[kind]], charToRaw("lid\"}")))
    expect_refusal(load_json(path), "E_ENCODING", paste0(path, ": not UTF-8 text"))
  }
})

test_that("load_json refuses duplicate keys, at any depth (E_JSON)", {
  path <- local_bytes_file("{\"hyper\": {\"lr\": 0.1, \"lr\": 0.2}}")
  expect_refusal(load_json(path), "E_JSON", paste0(path, ": not valid JSON: duplicate key 'lr'"))
  path <- local_bytes_file("{\"name\": \"a\", \"name\": \"a\"}")
  expect_refusal(load_json(path), "E_JSON", paste0(path, ": not valid JSON: duplicate key 'name'"))
  path <- local_bytes_file("{\"rows\": [[1], {\"b\": 1, \"a\": 2, \"b\": 3, \"a\": 4}]}")
  expect_refusal(load_json(path), "E_JSON", paste0(path, ": not valid JSON: duplicate key 'a'"))
})

test_that("load_json refuses NaN and Infinity, which are not JSON (E_JSON)", {
  for (token in c("NaN", "Infinity", "-Infinity")) {
    path <- local_bytes_file(paste0("{\"lr\": ", token, "}"))
    expect_refusal(load_json(path), "E_JSON", paste0(path, ": not valid JSON: "), prefix = TRUE)
  }
})

test_that("load_json refuses text that is not one JSON value (E_JSON)", {
  for (text in c("", "   ", "{\"a\": 1", "{\"a\": 1} {}", "{'a': 1}")) {
    path <- local_bytes_file(text)
    expect_refusal(load_json(path), "E_JSON", paste0(path, ": not valid JSON: "), prefix = TRUE)
  }
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
