"""Storage: everything that touches bytes at rest, kept out of the pure core.

- `landing`: scanning and reading the landing zone (the sha256 memo of unchanged files);
- `cache`: per-file results by content hash, fingerprinted by the code that decides them;
- `decoding`: the content-addressed decode of every distinct landing content (cached);
- `frames`: one codec per stage object, to DataFrame rows and back;
- `warehouse`: the Parquet writer with atomic partition swaps.
"""
