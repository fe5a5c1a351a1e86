# The R twin as a port: `Rscript port.R FIXTURE RESULT` trains the fixture with
# twinnet::train_fixture and writes the result with twinnet::write_result
# (17 significant digits, so every double reads back bit-exactly). It is the
# port command that `python -m twinnet conform` checks; the twinnet package
# must be on the library path. From the repository root, after `make setup`:
#
#   R_LIBS=.venv/R-library Rscript r/inst/ports/port.R shared_fixtures/xor.json xor.result.json
#   .venv/bin/python -m twinnet conform -- env R_LIBS=.venv/R-library Rscript r/inst/ports/port.R
#
# A fixture the R twin refuses exits with status 2 and its one-line message.
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) {
  message("usage: Rscript port.R FIXTURE RESULT")
  quit(status = 2)
}
status <- tryCatch({
  twinnet::write_result(twinnet::train_fixture(args[[1]]), args[[2]])
  0
}, twinnet_fixture_error = function(error) {
  message("twinnet: ", conditionMessage(error))
  2
})
quit(status = status)
