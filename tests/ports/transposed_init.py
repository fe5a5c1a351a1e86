"""Broken port: the initial weights are read transposed.  Each init matrix is
filled column by column from its numbers, which are listed row by row, as R's
matrix(unlist(rows), nrow = length(rows)) does without byrow = TRUE (numpy:
order="F").  A square matrix comes out transposed, any other scrambled; a
1 x h or h x 1 bias comes out right."""

import article_port
import numpy as np


def column_by_column(matrix):
    numbers = np.array(matrix, dtype=float)
    return numbers.ravel().reshape(numbers.shape, order="F")


if __name__ == "__main__":
    article_port.main(read_init=column_by_column)
