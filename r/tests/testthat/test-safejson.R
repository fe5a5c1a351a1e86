# safejson.R: load_json() and what it refuses before any fixture rule (E_IO,
# E_SIZE, E_ENCODING, E_JSON, E_DEPTH), scan_json() and escape(). Hostile
# input is generated here because it is too big or too special for
# shared_fixtures/invalid/: nesting 100,000 deep, an object of many keys
# (20,000; 1,000,000 in a soak run, TWINNET_SOAK=1), a FIFO, /dev/zero,
# comments. tests/test_hostile.py and tests/test_safety.py run the same cases
# in both languages.

max_fixture_bytes <- 16 * 1024 * 1024

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

test_that("nesting 100,000 deep is E_DEPTH, found by a linear scan, not a recursion", {
  dir <- local_temp_dir()
  path <- file.path(dir, "deep.json")
  writeLines(paste0('{"schema": "twinnet-fixture/1", "padding": ', strrep("[", 100000), strrep("]", 100000), "}"),
             path)
  expect_refusal(read_fixture(path), "E_DEPTH", paste0(path, ": nested deeper than 64 levels at offset 106"))
  deepest <- if (soak) 1000000 else 100000 # a bare array, 1,000,000 deep in a soak run
  writeLines(paste0(strrep("[", deepest), strrep("]", deepest)), path)
  expect_refusal(load_json(path), "E_DEPTH", paste0(path, ": nested deeper than 64 levels at offset 64"))
})

# 20,000 keys (1,000,000 in a soak run): the reader is vector scans, the
# parser and one hash lookup per object; a quadratic step would show at a
# million keys as hours.
keys_in_object <- if (soak) 1000000 else 20000
test_that(sprintf("an object of %s keys is read in linear time, a duplicate among them found",
                  format(keys_in_object, big.mark = ",", scientific = FALSE)), {
  dir <- local_temp_dir()
  path <- file.path(dir, "keys.json")
  last <- paste0("k", keys_in_object - 1)
  keys <- paste0('"k', seq_len(keys_in_object) - 1, '":0', collapse = ",")
  writeLines(paste0("{", keys, ', "', last, '": 1}'), path)
  expect_refusal(load_json(path), "E_JSON", paste0(path, ": not valid JSON: duplicate key '", last, "'"))
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
