# Your own data: initial parameters from a seed, and predictions for new inputs.
#
# Twin of python/twinnet/params.py: the same functions in the same order, the
# same names and the same numbers. init_params() is the fixture generator's
# rule, so a user's network starts the way the shipped fixtures start:
# numpy.random.RandomState(seed), uniform [0, 1) for the article and stepwise
# variants in the order of param_shapes(), standard normal W and zero b for
# layered. R draws the same numbers itself, bit for bit, with the port of
# numpy's legacy RandomState at the end of this file (Python calls numpy); it
# reads nothing from Python.
#
# predict_variant() runs each variant's own forward pass. Its X has samples as
# rows (n x d, as data.X in a fixture) for every variant, and so has its output
# (n x 1); the stepwise and layered variants work with samples as columns
# inside, so X is transposed for them and their output transposed back.
#
# Bad arguments stop with a "twinnet_fixture_error" with the same E_* codes
# and one-line messages as the Python twin.

max_seed <- 2^32 - 1 # numpy's RandomState takes a seed from 0 to 2^32 - 1

#' Initial parameters from a seed, the same numbers as in Python
#'
#' Draws the initial parameters of a network the way the fixture generator
#' draws them in Python, from `numpy.random.RandomState(seed)`: uniform
#' \[0, 1) draws for `"article"` (`wh`, `bh`, `wout`, `bout`) and
#' `"stepwise"` (`weights_input_hidden`, `weights_hidden_output`), each matrix
#' filled row by row; for `"layered"`, standard normal draws (numpy's `randn`)
#' for `W1`, `W2`, ..., the draws running on from one `W` to the next, and
#' zeros for every `b`. R draws these numbers itself, with a base-R port of
#' numpy's legacy `RandomState` (the MT19937 generator, its seeding, its
#' doubles and its polar Box-Muller normals): they equal Python's bit for bit,
#' and nothing is read from Python.
#'
#' @param variant A string: `"article"`, `"stepwise"` or `"layered"`.
#' @param d A whole number >= 1: the number of features (columns of `X`).
#' @param hyper A named list describing the network, as a fixture's `hyper`:
#'   `hidden` (a whole number from 1 to 4096) for `"article"` and
#'   `"stepwise"`; `neurons` (whole numbers, one per layer, the last 1) and
#'   `activations` (`"tanh"` or `"sigmoid"` per layer, the last `"sigmoid"`)
#'   for `"layered"`, as vectors or lists. `epochs` and `lr` may be there too:
#'   they are checked, not used, so one `hyper` serves `init_params()`,
#'   [train_variant()] and [predict_variant()].
#' @param seed A whole number from 0 to 2^32 - 1.
#' @return A named list of numeric matrices, in the order and shapes of
#'   [param_shapes()].
#' @export
#' @examples
#' params <- init_params("article", 4, list(hidden = 3), 42)
#' params$wh # the same 4 x 3 numbers as numpy.random.RandomState(42).uniform(size=(4, 3))
#' init_params("layered", 2, list(neurons = c(3, 1), activations = c("tanh", "sigmoid")), 2)$W1
init_params <- function(variant, d, hyper, seed) {
  hyper <- checked_hyper(variant, hyper)
  if (!is_whole(d, 1, Inf)) fixture_error("E_SHAPE", "d: expected a whole number of features >= 1")
  if (!is_whole(seed, 0, max_seed)) {
    fixture_error("E_HYPER", "seed: expected a whole number from 0 to ", format(max_seed, scientific = FALSE))
  }
  state <- random_state(seed)
  shapes <- param_shapes(variant, d, hyper)
  params <- list()
  for (name in names(shapes)) {
    shape <- shapes[[name]]
    params[[name]] <- if (variant != "layered") {
      random_uniform(state, shape)
    } else if (startsWith(name, "W")) {
      random_normal(state, shape)
    } else {
      matrix(0, shape[1], shape[2])
    }
  }
  params
}

#' Predict with a trained network
#'
#' The network's output for new inputs, from the variant's own forward pass:
#' [forward()] for `"article"` (samples as rows), [forward_propagation()] for
#' `"stepwise"` and [Layer] objects with [feedforward_all()] for `"layered"`
#' (samples as columns: `X` is transposed in, the output back out).
#'
#' @param variant A string: `"article"`, `"stepwise"` or `"layered"`.
#' @param X A numeric matrix (or all-numeric data frame), n x d: samples as
#'   rows for every variant, as `data$X` in a fixture.
#' @param params A named list of numeric matrices: the variant's parameters
#'   (from [init_params()], or `$params` of [train_variant()]), shaped as
#'   [param_shapes()] says for `d = ncol(X)`.
#' @param hyper A named list describing the network, as for [init_params()];
#'   `"layered"` takes its `activations` from it.
#' @return A numeric matrix, n x 1: one output in (0, 1) per sample (row of `X`).
#' @export
#' @examples
#' # The first two species of R's iris: 4 measurements scaled to [0, 1], y = 1 for versicolor
#' X <- apply(as.matrix(datasets::iris[1:100, 1:4]), 2, function(x) (x - min(x)) / (max(x) - min(x)))
#' y <- matrix(as.numeric(datasets::iris$Species[1:100] == "versicolor"))
#' hyper <- list(hidden = 3, lr = 0.1)
#' fit <- train_variant("article", X, y, init_params("article", 4, hyper, 42), hyper, epochs = 300)
#' output <- predict_variant("article", X, fit$params, hyper)
#' mean(round(output) == y) # the share of flowers told apart
predict_variant <- function(variant, X, params, hyper) {
  hyper <- checked_hyper(variant, hyper)
  X <- checked_matrix(X, "X")
  if (!is_mapping(params)) fixture_error("E_SCHEMA", "params: expected an object, got ", kind(params))
  shapes <- param_shapes(variant, ncol(X), hyper)
  check_no_extra(params, "params", names(shapes), variant)
  params <- Map(function(name, shape) {
    checked_matrix(field(params, name, paste0("params.", name)), paste0("params.", name), shape)
  }, names(shapes), shapes)
  if (variant == "article") return(forward(X, params)$output)
  if (variant == "stepwise") return(t(forward_propagation(t(X), params)$output))
  lyr <- lapply(seq_along(hyper$activations), function(i) {
    Layer$new(W = params[[paste0("W", i)]], b = params[[paste0("b", i)]], activation = hyper$activations[[i]])
  })
  t(feedforward_all(lyr, t(X)))
}

# variant and hyper checked by the fixture rules (E_VARIANT, E_HYPER,
# E_SCHEMA), with epochs and lr optional; neurons and activations may be
# vectors (R's natural form) as well as lists (the parsed JSON's).
checked_hyper <- function(variant, hyper) {
  if (!is_string(variant) || !variant %in% variants) {
    fixture_error("E_VARIANT", "variant: expected 'article', 'stepwise' or 'layered', got ", kind(variant))
  }
  if (!is_mapping(hyper)) fixture_error("E_HYPER", "hyper: expected an object, got ", kind(hyper))
  for (key in intersect(c("neurons", "activations"), names(hyper))) {
    if (is.atomic(hyper[[key]])) hyper[[key]] <- as.list(hyper[[key]])
  }
  # placeholders: init_params() and predict_variant() use neither
  if (!"epochs" %in% names(hyper)) hyper$epochs <- 0
  if (!"lr" %in% names(hyper)) hyper$lr <- 1
  check_hyper(variant, hyper)
}

# A named list, or an empty one (R's list() has no names; Python's {} is a dict).
is_mapping <- function(value) is.list(value) && !is.data.frame(value) && (length(value) == 0 || is_object(value))

# A non-empty 2-dimensional matrix of finite numbers, as doubles without
# dimnames; `shape` when given. The first non-finite value, row by row, is named.
checked_matrix <- function(value, field, shape = NULL) {
  if (is.data.frame(value)) value <- as.matrix(value)
  if (!is.numeric(value)) fixture_error("E_VALUE", field, ": expected a matrix of numbers")
  if (length(dim(value)) != 2 || length(value) == 0) {
    fixture_error("E_SHAPE", field, ": expected a non-empty 2-dimensional matrix")
  }
  storage.mode(value) <- "double"
  dimnames(value) <- NULL
  bad <- which(!is.finite(t(value)))[1] # t(): R's column order over t() is Python's row order
  if (!is.na(bad)) {
    fixture_error("E_VALUE", field, "[", (bad - 1) %/% ncol(value), "][", (bad - 1) %% ncol(value),
                  "]: expected a finite number")
  }
  if (!is.null(shape) && !identical(dim(value), as.integer(shape))) {
    fixture_error("E_SHAPE", field, ": expected ", shape[1], "x", shape[2], ", got ", nrow(value), "x", ncol(value))
  }
  value
}

# numpy's legacy RandomState, in base R ----------------------------------------
#
# A port of numpy/random/src/mt19937 (seeding with init_genrand, the twist,
# the tempering), of its double (53 random bits from two 32-bit words) and of
# legacy_gauss in numpy/random/src/legacy/legacy-distributions.c (the polar
# Box-Muller method, which keeps its second value for the next call). The
# Python twin needs none of it: it calls numpy.
#
# Unsigned 32-bit words are held in doubles, which hold whole numbers exactly
# up to 2^53: a shift right by k is %/% 2^k, a shift left is * 2^k %% 2^32.
# bitwAnd() and bitwXor() take R's signed 32-bit integers, so they work on the
# two 16-bit halves of a word.

two16 <- 2^16
two32 <- 2^32
mt_n <- 624 # words in the state
mt_m <- 397 # the twist's offset

xor32 <- function(a, b) {
  bitwXor(a %/% two16, b %/% two16) * two16 + bitwXor(a %% two16, b %% two16)
}

and32 <- function(a, b) {
  bitwAnd(a %/% two16, b %/% two16) * two16 + bitwAnd(a %% two16, b %% two16)
}

# (a * b) mod 2^32 without the product's rounding: a * b is
# a_hi b_hi 2^32 + (a_hi b_lo + a_lo b_hi) 2^16 + a_lo b_lo, and every term
# kept here stays below 2^53.
mul32 <- function(a, b) {
  a_hi <- a %/% two16
  a_lo <- a %% two16
  b_hi <- b %/% two16
  b_lo <- b %% two16
  ((a_hi * b_lo + a_lo * b_hi) %% two16 * two16 + a_lo * b_lo) %% two32
}

# RandomState(seed): numpy's mt19937_seed (init_genrand), key[i] =
# 1812433253 * (key[i-1] ^ (key[i-1] >> 30)) + i, with no word drawn yet and
# no normal value kept. An environment, because drawing changes it.
random_state <- function(seed) {
  key <- numeric(mt_n)
  key[1] <- seed
  for (i in seq_len(mt_n - 1)) {
    key[i + 1] <- (mul32(1812433253, xor32(key[i], key[i] %/% 2^30)) + i) %% two32
  }
  state <- new.env(parent = emptyenv())
  state$key <- key
  state$words <- numeric(0) # the tempered words of the current key
  state$pos <- mt_n # every word used: the next draw twists first
  state$has_gauss <- FALSE
  state$gauss <- 0
  state
}

# numpy's mt19937_gen: the next key, word i from words i, i + 1 and i + 397
# (mod 624). Three blocks of at most 227 words, each computed at once from the
# key as the blocks before left it: exactly the values the C loop reads, since
# word i + 397 (mod 624) is an old word for i < 227 and a new one after, and
# word i + 1 is still old (the last word reads the new word 0).
mt_twist <- function(key) {
  for (block in list(0:226, 227:453, 454:623)) { # 0-based word numbers
    current <- key[block + 1]
    following <- key[(block + 1) %% mt_n + 1]
    y <- (current - current %% 2^31) + following %% 2^31 # upper bit of word i, lower 31 bits of word i + 1
    key[block + 1] <- xor32(xor32(key[(block + mt_m) %% mt_n + 1], y %/% 2), (y %% 2) * 0x9908b0df)
  }
  key
}

# numpy's tempering of each drawn word.
mt_temper <- function(y) {
  y <- xor32(y, y %/% 2^11)
  y <- xor32(y, and32(y * 2^7 %% two32, 0x9d2c5680))
  y <- xor32(y, and32(y * 2^15 %% two32, 0xefc60000))
  xor32(y, y %/% 2^18)
}

# The next n 32-bit words of the stream.
random_uint32 <- function(state, n) {
  chunks <- list()
  left <- n
  while (left > 0) {
    if (state$pos == mt_n) {
      state$key <- mt_twist(state$key)
      state$words <- mt_temper(state$key)
      state$pos <- 0
    }
    take <- min(left, mt_n - state$pos)
    chunks[[length(chunks) + 1]] <- state$words[state$pos + seq_len(take)]
    state$pos <- state$pos + take
    left <- left - take
  }
  unlist(chunks, use.names = FALSE)
}

# n doubles in [0, 1), numpy's random_double: (a >> 5) * 2^26 + (b >> 6), over
# 2^53, from two words a and b in turn.
random_double <- function(state, n) {
  words <- random_uint32(state, 2 * n)
  a <- words[c(TRUE, FALSE)] %/% 32
  b <- words[c(FALSE, TRUE)] %/% 64
  (a * 67108864 + b) / 9007199254740992
}

# n standard normal values, numpy's legacy_gauss: the value kept from the last
# pair if there is one, else a new pair by the polar method, returning f * x2
# and keeping f * x1.
random_gauss <- function(state, n) {
  values <- numeric(n)
  for (k in seq_len(n)) {
    if (state$has_gauss) {
      values[k] <- state$gauss
      state$has_gauss <- FALSE
      state$gauss <- 0
      next
    }
    repeat {
      u <- random_double(state, 2)
      x1 <- 2 * u[1] - 1
      x2 <- 2 * u[2] - 1
      r2 <- x1 * x1 + x2 * x2
      if (r2 < 1 && r2 != 0) break
    }
    f <- sqrt(-2 * log(r2) / r2)
    state$gauss <- f * x1
    state$has_gauss <- TRUE
    values[k] <- f * x2
  }
  values
}

# RandomState.uniform(size = shape) and RandomState.randn(*shape): a matrix
# filled row by row, numpy's C order.
random_uniform <- function(state, shape) {
  matrix(random_double(state, prod(shape)), shape[1], shape[2], byrow = TRUE)
}

random_normal <- function(state, shape) {
  matrix(random_gauss(state, prod(shape)), shape[1], shape[2], byrow = TRUE)
}
