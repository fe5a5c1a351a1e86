# The mistakes module (r/R/mistakes.R): with no mistake switched on its epochs
# are the twins' bit for bit, on every installed fixture of every variant; every
# mistake changes the result; an unknown name is one line. (Python against R,
# mistake by mistake, is in tests/test_mistakes.py.)

mistakes_fixtures <- lapply(installed_fixtures(), read_fixture)

train_both <- function(fixture, mistakes, epochs) {
  data <- fixture$data
  list(
    with = twinnet:::train_variant_with(fixture$variant, data$X, data$y, fixture$init, fixture$hyper, epochs,
                                        mistakes),
    twin = twinnet:::train_variant(fixture$variant, data$X, data$y, fixture$init, fixture$hyper, epochs)
  )
}

# Whether the mistake can be made on the fixture: its variant has it, and wrong-axis needs n = h.
mistake_runs <- function(fixture, name) {
  steps <- twinnet:::mistakes_known[[name]]$steps
  fixture$variant %in% names(steps) &&
    (name != "wrong-axis" || nrow(fixture$data$X) == ncol(fixture$init$bh))
}

test_that("every variant has installed fixtures", {
  expect_setequal(vapply(mistakes_fixtures, function(f) f$variant, character(1)), c("article", "stepwise", "layered"))
})

test_that("with no mistake the epoch is the twin's, bit for bit, on every fixture", {
  for (name in names(mistakes_fixtures)) {
    for (epochs in c(0, 1, 3)) {
      both <- train_both(mistakes_fixtures[[name]], character(), epochs)
      expect_identical(both$with, both$twin, info = paste(name, epochs))
    }
  }
})

test_that("every mistake changes the result on every fixture it can run on", {
  for (name in names(mistakes_fixtures)) {
    fixture <- mistakes_fixtures[[name]]
    for (mistake in names(twinnet:::mistakes_known)) {
      if (!mistake_runs(fixture, mistake)) next
      both <- train_both(fixture, mistake, 3)
      expect_identical(lapply(both$with$params, dim), lapply(both$twin$params, dim), info = paste(name, mistake))
      expect_false(identical(both$with$params, both$twin$params) && identical(both$with$output, both$twin$output),
                   info = paste(name, mistake))
    }
  }
})

test_that("hidden-lr-twice changes only the hidden layers after one epoch", {
  hidden <- list(xor = c("wh", "bh"), stepwise = "weights_input_hidden", "layered-xor" = c("W1", "b1"))
  for (name in names(hidden)) {
    both <- train_both(mistakes_fixtures[[name]], "hidden-lr-twice", 1)
    changed <- names(both$twin$params)[!mapply(identical, both$with$params, both$twin$params[names(both$with$params)])]
    expect_setequal(changed, hidden[[name]])
  }
})

test_that("an unknown or foreign mistake is one line", {
  fixture <- mistakes_fixtures[["article"]]
  expect_error(train_both(fixture, "nonsense", 1),
               "^E_USAGE: mistakes: 'nonsense' is not a known mistake; article's are transposed-init, ")
  expect_error(train_both(fixture, "bias-sum", 1),
               "^E_USAGE: mistakes: 'bias-sum' is not a mistake of the article variant; ")
  expect_error(train_both(mistakes_fixtures[["iris"]], "wrong-axis", 1),
               "'wrong-axis' gives a 1\u00d7150 bias step for the 1\u00d75 bh", fixed = TRUE)
})
