# Export R's datasets::iris for the fixture generator.
#
# The Python generator (python -m twinnet generate) builds the `iris` fixture
# from the CSV this script writes: it scales each feature to [0, 1] and sets
# the target to 1 for virginica, 0 otherwise. Run from the repository root:
#   Rscript r/data-raw/export_iris.R
# The CSV is committed; a test checks it still equals datasets::iris.
out <- file.path("shared_fixtures", "sources", "iris.csv")
utils::write.csv(datasets::iris, out, row.names = FALSE, quote = FALSE)
message("wrote ", out)
