# Hostile input, generated here because it is too big or too special for
# shared_fixtures/invalid/: nesting 100,000 deep, an object of 1,000,000 keys,
# a FIFO, /dev/zero, a device as the output, arrays that would need 6 GiB, an
# epoch count past R's integers, comments, an absurd lr. Each is refused with
# its code and one line, and nothing is written. tests/test_hostile.py runs
# the same cases through the command line in both languages.

xor_json <- function() fixture_json("xor")

test_that("nesting 100,000 deep is E_DEPTH, found by a linear scan, not a recursion", {
  dir <- local_temp_dir()
  path <- file.path(dir, "deep.json")
  writeLines(paste0('{"schema": "twinnet-fixture/1", "padding": ', strrep("[", 100000), strrep("]", 100000), "}"),
             path)
  expect_refusal(read_fixture(path), "E_DEPTH", paste0(path, ": nested deeper than 64 levels at offset 106"))
  writeLines(paste0(strrep("[", 1000000), strrep("]", 1000000)), path)
  expect_refusal(load_json(path), "E_DEPTH", paste0(path, ": nested deeper than 64 levels at offset 64"))
})

test_that("an object of 1,000,000 keys is read in linear time, a duplicate among them found", {
  dir <- local_temp_dir()
  path <- file.path(dir, "keys.json")
  keys <- paste0('"k', seq_len(1000000) - 1, '":0', collapse = ",")
  writeLines(paste0("{", keys, ', "k999999": 1}'), path)
  expect_refusal(load_json(path), "E_JSON", paste0(path, ": not valid JSON: duplicate key 'k999999'"))
  fixture <- xor_json()
  fixture$padding <- list(a = 1)
  text <- sub("\\}\\s*$", paste0(', "padding2": {', keys, "}}"), jsonlite::toJSON(fixture, auto_unbox = TRUE))
  writeLines(text, path)
  expect_refusal(read_fixture(path), "E_SCHEMA", "padding: not a key of twinnet-fixture/1")
})

test_that("a FIFO, /dev/zero and a directory are E_IO before any read; a trailing slash too", {
  dir <- local_temp_dir()
  fifo <- file.path(dir, "fixture.json")
  expect_identical(system2("mkfifo", shQuote(fifo)), 0L)
  expect_refusal(read_fixture(fifo), "E_IO", paste0(fifo, ": cannot read: not a regular file"))
  expect_refusal(train_fixture("/dev/zero"), "E_IO", "/dev/zero: cannot read: not a regular file")
  expect_refusal(read_fixture(dir), "E_IO", paste0(dir, ": cannot read: Is a directory"))
  slash <- paste0(fixture_path("xor"), "/")
  expect_refusal(read_fixture(slash), "E_IO", paste0(slash, ": cannot read: Not a directory"))
  empty <- file.path(dir, "empty.json")
  file.create(empty)
  expect_refusal(read_fixture(empty), "E_JSON", paste0(empty, ": not valid JSON: "), prefix = TRUE)
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

# A fixture of n rows of one feature and `hidden` hidden units, all zeros.
# A fixture of n one-feature samples and `hidden` units, all zeros. Matrices,
# not lists of one-number rows: jsonlite writes a matrix row by row at once,
# where 200,000 one-element lists take it half a minute.
wide_fixture <- function(n, hidden, epochs) {
  fixture <- xor_json()
  fixture$data <- list(X = matrix(0, n, 1), y = matrix(0, n, 1))
  fixture$hyper$hidden <- hidden
  fixture$hyper$epochs <- epochs
  fixture$init <- list(wh = matrix(0, 1, hidden), bh = matrix(0, 1, hidden), wout = matrix(0, hidden, 1),
                       bout = matrix(0, 1, 1))
  fixture
}

test_that("arrays that would need 6 GiB are E_BUDGET before training, with the limit named", {
  path <- local_fixture_file(wide_fixture(200000, 4096, 10))
  expect_refusal(train_fixture(path), "E_BUDGET",
                 "training needs about 48.8 GiB; the limit is 2 GiB; raise it with --max-memory")
  expect_refusal(train_fixture(path, max_memory = 0.5), "E_BUDGET",
                 "training needs about 48.8 GiB; the limit is 0.5 GiB; raise it with --max-memory")
  expect_refusal(train_fixture(path, max_memory = -1), "E_HYPER", "max_memory: expected a finite number of GiB > 0")
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

test_that("comments, form feeds and lone surrogates are refused, as Python refuses them", {
  text <- readLines(fixture_path("xor"))
  path <- local_text_file(c("// a fixture", text))
  expect_refusal(read_fixture(path), "E_JSON", paste0(path, ": not valid JSON: unexpected character 0x2f at offset 0"),
                 prefix = TRUE)
  path <- local_text_file(c("/* a fixture */", text))
  expect_refusal(read_fixture(path), "E_JSON", paste0(path, ": not valid JSON: unexpected character 0x2f at offset 0"),
                 prefix = TRUE)
  path <- local_text_file(paste0("\f", paste(text, collapse = "\n")))
  expect_refusal(read_fixture(path), "E_JSON", paste0(path, ": not valid JSON: unexpected character 0x0c at offset 0"),
                 prefix = TRUE)
  path <- local_text_file('{"a": "x\\ud800or"}')
  expect_refusal(load_json(path), "E_ENCODING", paste0(path, ": not UTF-8 text (a lone surrogate escape)"))
  path <- local_text_file('{"a\\\\": [[1]], "b\\"[[[[//\\f": 2, "c": "\\\\\\"]]]]", "d": "\\ud83d\\ude00"}')
  expect_identical(names(load_json(path)), c("a\\", "b\"[[[[//\f", "c", "d"))
})

test_that("an absurd lr is E_DIVERGED: weights past 1e150 are not training", {
  fixture <- xor_json()
  fixture$hyper$lr <- 1e308
  expect_refusal(train_fixture(local_fixture_file(fixture), epochs = 20), "E_DIVERGED",
                 paste("params.wh: larger than 1e+150 in magnitude after epoch 20: training diverged",
                       "(try a smaller hyper.lr)"))
})

test_that("names, keys and paths are escaped: messages stay one line", {
  expect_identical(escape("a\nb\u0007c\u2028"), "a\\nb\\u0007c\\u2028")
  dir <- local_temp_dir()
  folder <- file.path(dir, "a\nE_OK: fine")
  dir.create(folder)
  missing <- file.path(folder, "missing.json")
  expect_refusal(read_fixture(missing), "E_IO",
                 paste0(dir, "/a\\nE_OK: fine/missing.json: cannot read: No such file or directory"))
  fixture <- xor_json()
  fixture[["bad\nkey"]] <- 1
  expect_fixture_error(fixture, "E_SCHEMA", "bad\\nkey: not a key of twinnet-fixture/1")
})
