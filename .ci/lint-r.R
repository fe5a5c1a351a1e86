# make lint's R half: lintr on the package in r/, exit status 1 on any finding.
# Run from the checkout with R_LIBS set to .venv/R-library: object_usage_linter
# looks functions up in the installed package.
#
# lintr's cache keeps each expression's findings, keyed by the expression and
# the linter only; object_usage_linter's also depend on the package's other
# functions. So the cache lives under .venv/ (ignored by git) in a folder named
# by the digest of what those findings can depend on (r/R/, NAMESPACE,
# DESCRIPTION, .lintr and lintr's version): a change there starts a fresh cache,
# a change to the tests or the vignette re-lints only what changed.
inputs <- c(sort(list.files("r/R", full.names = TRUE)), "r/NAMESPACE", "r/DESCRIPTION", "r/.lintr")
digests <- tempfile("twinnet-lint-")
writeLines(c(unname(tools::md5sum(inputs)), as.character(utils::packageVersion("lintr"))), digests)
key <- unname(tools::md5sum(digests))
unlink(digests)
caches <- ".venv/lintr-cache"
cache <- file.path(caches, key)
unlink(setdiff(list.files(caches, full.names = TRUE), cache), recursive = TRUE) # stale digests
dir.create(cache, recursive = TRUE, showWarnings = FALSE)
lints <- lintr::lint_package("r", cache = cache)
print(lints)
quit(status = as.integer(length(lints) > 0))
