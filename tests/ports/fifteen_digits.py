"""Broken port: it trains correctly but writes every number with 15 significant
digits ("%.15g", what jsonlite::toJSON(digits = NA) and many JSON libraries
write).  A double needs up to 17 to read back bit-exactly, so the parameters
after 0 epochs are no longer init, and every number is off in its last digits."""

import article_port

if __name__ == "__main__":
    article_port.main(digits=15)
