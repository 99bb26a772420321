"""The limits every input is held to, in one place (stated in the README: keep them in step).

Landing files are untrusted: a limit turns a file that would take unbounded memory or time
into that file's rejection with a reason, never into a failed run.
"""

from __future__ import annotations

# A report file larger than this is rejected before it is read (override:
# GOVREPORT_MAX_FILE_BYTES). Real reports are under 20 MB; one constant for scan and decoder.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
# A sidecar JSON larger than this, or nested deeper, is ignored with a reason.
MAX_SIDECAR_BYTES = 64 * 1024
MAX_SIDECAR_DEPTH = 16
MAX_SIDECAR_TEXT_CHARS = 2_000
# Decompressed bytes a DOCX (zip) may expand to, and one PDF stream / whole PDF text.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_PDF_PAGES = 200  # an annual report runs to a few dozen pages
# Per-document budgets of the guarded steps (decode, sectioning, tables): over either, the
# file is rejected with the reason, the rest of the run goes on.
DOCUMENT_SECONDS = 120.0
DOCUMENT_MEMORY_BYTES = 512 * 1024 * 1024
# A table cell is an integer count; more digits than this is not a count (Int64 holds 18).
MAX_CELL_DIGITS = 12
