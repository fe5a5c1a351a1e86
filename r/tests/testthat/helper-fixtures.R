# The fixtures, and temporary files for the tests that write JSON.
#
# The tests read the fixtures installed with the package (inst/extdata/, a
# byte-identical copy of the repository's shared_fixtures/ that `make fixtures`
# writes), so they run the same from a checkout, from R CMD check's
# twinnet.Rcheck/ and from an installed package.

# `make test` uses the smallest hostile inputs that show each refusal; `make
# soak` (TWINNET_SOAK=1, as for tests/test_hostile.py) the full sizes: a
# million keys, a million levels, 48.8 GiB. The same tests run either way,
# only their sizes change, so nothing is skipped.
soak <- identical(Sys.getenv("TWINNET_SOAK"), "1")

# The installed fixtures' folder: fixtures, schemas and the invalid corpus.
fixtures_dir <- function() system.file("extdata", package = "twinnet", mustWork = TRUE)

# The fixture files, named by fixture (e.g. "article"): twinnet_example()'s
# list (the package's fixture_paths() on its extdata folder).
installed_fixtures <- function() {
  names <- twinnet_example()
  stats::setNames(vapply(names, twinnet_example, character(1)), names)
}

# train_fixture(path) for a fixture's full run, trained once per test run:
# the training is deterministic, and several tests look at the same result
# (its values against `expected`, written and read back, what it learns).
trained_fixtures <- new.env(parent = emptyenv())
trained_fixture <- function(path) {
  if (!exists(path, envir = trained_fixtures, inherits = FALSE)) {
    assign(path, train_fixture(path), envir = trained_fixtures)
  }
  get(path, envir = trained_fixtures, inherits = FALSE)
}

# One fixture by name, e.g. fixture_path("article").
fixture_path <- function(name) twinnet_example(name)

# One fixture by name, read by read_fixture(). The path is computed first:
# passed as an unevaluated argument, a failing fixture_path() would be
# re-evaluated by read_fixture()'s error handler, with a spurious warning.
named_fixture <- function(name) {
  path <- fixture_path(name)
  read_fixture(path)
}

# The article fixture, read by read_fixture().
article_fixture <- function() named_fixture("article")

# The parameter shapes each variant documents, written out here from the
# variants' own comments (r/R/article.R, stepwise.R, layered.R) rather than
# taken from param_shapes(), so the tests check param_shapes() too. A named
# list of integer c(rows, columns), in the order of the fixture's `init`.
documented_shapes <- function(variant, d, hyper) {
  d <- as.integer(d)
  if (variant == "layered") {
    sizes <- as.integer(c(d, unlist(hyper$neurons)))
    shapes <- list()
    for (layer in seq_along(hyper$neurons)) {
      shapes[[paste0("W", layer)]] <- c(sizes[layer + 1], sizes[layer]) # neurons x inputs
      shapes[[paste0("b", layer)]] <- c(sizes[layer + 1], 1L) # neurons x 1
    }
    return(shapes)
  }
  h <- as.integer(hyper$hidden)
  switch(variant,
    article = list(wh = c(d, h), bh = c(1L, h), wout = c(h, 1L), bout = c(1L, 1L)),
    stepwise = list(weights_input_hidden = c(d, h), weights_hidden_output = c(h, 1L)),
    stop("no documented shapes for variant ", variant, call. = FALSE)
  )
}

# The output of a fixture's untrained network, n x 1, from its variant's own
# forward pass.
untrained_output <- function(fixture) {
  X <- fixture$data$X
  params <- fixture$init
  switch(fixture$variant,
    article = forward(X, params)$output,
    stepwise = t(forward_propagation(t(X), params)$output),
    layered = t(feedforward_all(new_layers(params, unlist(fixture$hyper$activations)), t(X))),
    stop("no forward pass for variant ", fixture$variant, call. = FALSE)
  )
}

# A fixture as the plain JSON tree (lists, no simplification), to be changed
# and written back with local_fixture_file().
fixture_json <- function(name = "article") {
  jsonlite::fromJSON(fixture_path(name), simplifyVector = FALSE)
}

# A temporary path, deleted when the calling test ends (the test_that()
# block, or whichever frame `env` is): what withr::local_tempfile() does,
# without depending on withr.
local_temp_path <- function(fileext = ".json", env = parent.frame()) {
  path <- tempfile("twinnet-test-", fileext = fileext)
  do.call(base::on.exit, list(bquote(unlink(.(path))), add = TRUE), envir = env)
  path
}

# A new empty temporary directory, deleted with its contents when the calling
# test ends.
local_temp_dir <- function(env = parent.frame()) {
  dir <- tempfile("twinnet-test-")
  dir.create(dir)
  do.call(base::on.exit, list(bquote(unlink(.(dir), recursive = TRUE)), add = TRUE), envir = env)
  dir
}

# Writes `text` to a temporary file that lives until the calling test ends.
local_text_file <- function(text, env = parent.frame()) {
  path <- local_temp_path(env = env)
  writeLines(text, path)
  path
}

# Writes `bytes` (a raw vector, or a string taken byte for byte) to a
# temporary file that lives until the calling test ends: for files that are
# not text, or not UTF-8.
local_bytes_file <- function(bytes, env = parent.frame()) {
  if (is.character(bytes)) bytes <- charToRaw(bytes)
  path <- local_temp_path(env = env)
  writeBin(bytes, path)
  path
}

# Writes a fixture tree (from fixture_json()) as a temporary JSON file that
# lives until the calling test ends. Numbers keep 15 significant digits, which
# is plenty for the error tests.
local_fixture_file <- function(fixture, env = parent.frame()) {
  json <- jsonlite::toJSON(numeric_arrays(fixture), auto_unbox = TRUE, digits = NA, null = "null",
                           pretty = TRUE)
  local_text_file(json, env = env)
}

# Turns every JSON array of plain numbers in a tree into a numeric vector,
# kept an array by I() (auto_unbox leaves AsIs alone): the same JSON, written
# far faster than a list of thousands of one-number vectors.
numeric_arrays <- function(node) {
  if (!is.list(node)) return(node)
  is_scalar_number <- function(value) is.numeric(value) && length(value) == 1
  if (is.null(names(node)) && length(node) > 0 && all(vapply(node, is_scalar_number, logical(1)))) {
    return(I(unlist(node)))
  }
  node[] <- lapply(node, numeric_arrays)
  node
}

# `object` must stop with a "twinnet_fixture_error" whose `code` field is
# `code` and whose message is the one line "CODE: message": exactly, or, with
# `prefix = TRUE`, starting so (for messages that end in a parser's words).
# Returns the condition, invisibly.
expect_refusal <- function(object, code, message, prefix = FALSE) {
  label <- paste(deparse(substitute(object)), collapse = " ")
  error <- expect_error(object, class = "twinnet_fixture_error", label = label)
  if (!inherits(error, "twinnet_fixture_error")) return(invisible(error))
  expect_identical(error$code, code, label = paste0(label, " > $code"))
  full <- conditionMessage(error)
  expected <- paste0(code, ": ", message)
  if (prefix) {
    expect_true(startsWith(full, expected),
                label = paste0(label, " > message ", encodeString(full, quote = "'"), " starts with ",
                               encodeString(expected, quote = "'")))
  } else {
    expect_identical(full, expected, label = paste0(label, " > message"))
  }
  expect_false(grepl("\n", full, fixed = TRUE), label = paste0(label, " > message has a line break"))
  invisible(error)
}

# read_fixture() must refuse `fixture` with `code` and `message`, as
# expect_refusal() checks. `fixture` is a path, or a tree from fixture_json(),
# which is written to a temporary file first.
expect_fixture_error <- function(fixture, code, message, prefix = FALSE) {
  path <- if (is.character(fixture)) fixture else local_fixture_file(fixture)
  expect_refusal(read_fixture(path), code, message, prefix = prefix)
}

# The largest absolute difference between two arrays of the same shape.
max_abs_diff <- function(a, b) {
  stopifnot(identical(dim(a), dim(b)), length(a) == length(b))
  if (length(a) == 0) return(0)
  max(abs(a - b))
}

# The xor fixture as a plain JSON tree, to be changed by a test.
xor_json <- function() fixture_json("xor")

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
