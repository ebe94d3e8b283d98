"""What the tests and benchmarks use and the product does not: the recorded readings of the
shared photos standing in for the models, scoring against the photos' labels, and session clips
composed from still photos. Nothing under `alignment/` outside this package imports it."""
