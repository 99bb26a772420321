"""Reporting on the pipeline, not stages of it: scoring against gold (`evaluation`), the decode
benchmark (`benchmark`) and the per-year quality chart (`charts`).

They live outside `core/` so that the cache's code fingerprint, which covers only code that
decides a file's results, does not change when a chart colour or the benchmark does.
"""
