"""Whole-pipeline benchmark (`govreport bench --pipeline`): how far the pipeline is from the
decode floor, and what a re-run costs.

A landing zone of N documents is replicated from the bundled sample and corpus (text and
HTML; each copy gets a line no other copy has, in its text, so neither the content-hash
cache nor the ledger's duplicate detection can serve it; copies keep their source's report
year, so they spread over every year the sources cover). Then `govreport run` runs in a
child process, as a user would start it: cold (empty warehouse, cache and Dagster
instance), warm (nothing changed) and after 1% of the files changed. For each: wall time,
documents/s and the peak RSS of the whole process tree (sampled). The decode floor is the
core's decode alone over the same documents, on the same executor (all cores), measured in
the same command; the ratio says how many decode-times a document costs in the pipeline.
Two small fixed-cost figures follow: the bundled sample (`make sample`) and one report in
one year, both cold.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .core.landing import sha256_hex
from .execution import batched, make_executor
from .execution_workers import decode_batch
from .reporting.benchmark import REPO_ROOT, source_files
from .storage.decoding import DecodeSource

# index digits → characters that are neither numerals nor pinyin: the copy mark survives
# normalisation and is never read as a number
_MARK_DIGITS = "天地玄黄宇宙洪荒日月"
_SAMPLE_SECONDS_POLL = 0.25


def copy_mark(index: int, generation: int = 0) -> str:
    """A line that makes copy `index` unique (a new `generation` changes the file)."""
    digits = "".join(_MARK_DIGITS[int(d)] for d in f"{index:07d}{generation:02d}")
    return f"\n\n（副本标记：{digits}）\n"


def marked(data: bytes, name: str, mark: str) -> bytes:
    """The source bytes with the mark added where it stays in the text (in the article's
    first paragraph for HTML), in the source's own encoding."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    encoding = best.encoding if best is not None else "utf-8"
    text = data.decode(encoding, errors="replace")
    lower = text.lower()
    body = lower.find("<body")
    # the opening sentence of a report ("根据《中华人民共和国政府信息公开条例》…")
    anchor = lower.find("根据《", body) if body >= 0 else -1
    at = lower.find("</p>", anchor) if anchor >= 0 else -1
    if name.lower().endswith((".htm", ".html", ".shtml")) and at >= 0:
        # inside the article's first paragraph (site chrome around the article is stripped)
        text = f"{text[:at]}{mark.strip()}{text[at:]}"
    else:
        text += mark
    return text.encode(encoding, errors="replace")


def build_landing(root: Path, n_docs: int, sources: list[Path]) -> list[Path]:
    """N unique copies of the sources (cycled) under `root`, one folder per source."""
    files = source_files(sources)
    payloads = [(p, p.read_bytes()) for p in files]
    written = []
    for index in range(n_docs):
        source, data = payloads[index % len(payloads)]
        target = root / source.stem / f"{index:07d}{source.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(marked(data, source.name, copy_mark(index)))
        written.append(target)
    return written


def change_some(files: list[Path], fraction: float) -> int:
    """Rewrite `fraction` of the files (spread evenly) with a new mark; how many changed."""
    step = max(1, round(1 / fraction))
    changed = 0
    for index in range(0, len(files), step):
        path = files[index]
        data = path.read_bytes()
        path.write_bytes(marked(data, path.name, copy_mark(index, generation=1)))
        changed += 1
    time.sleep(2.1)  # the hash memo trusts (size, mtime) only for files older than 2 s
    return changed


@dataclass
class Phase:
    name: str
    docs: int
    seconds: float
    peak_rss_mb: float
    peak_pss_mb: float
    returncode: int


def _tree_memory_mb(process: object) -> tuple[float, float]:
    """(RSS, PSS) summed over the process and its descendants. Forked workers share pages
    with their parent, which the RSS sum counts once per process; PSS splits each shared
    page between its sharers, so its sum is what the tree really occupies."""
    import psutil

    rss = pss = 0
    for proc in [process, *process.children(recursive=True)]:  # type: ignore[attr-defined]
        with contextlib.suppress(psutil.Error):
            info = proc.memory_full_info()
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
    return rss / 2**20, pss / 2**20


def run_phase(name: str, docs: int, landing: Path, warehouse: Path, home: Path, log: Path) -> Phase:
    """`govreport run` in a child process; wall time and peak RSS of its process tree."""
    import psutil

    command = [sys.executable, "-m", "govreport_dagster.cli", "run", "--landing", str(landing)]
    command += ["--warehouse", str(warehouse), "--dagster-home", str(home)]
    peak_rss = peak_pss = 0.0
    started = time.perf_counter()
    with log.open("ab") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        watched = psutil.Process(child.pid)
        while child.poll() is None:
            with contextlib.suppress(psutil.Error):
                rss, pss = _tree_memory_mb(watched)
                peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(_SAMPLE_SECONDS_POLL)
    return Phase(name, docs, time.perf_counter() - started, peak_rss, peak_pss, child.returncode)


def decode_floor(files: list[Path]) -> tuple[float, int]:
    """Seconds to decode these files with the core alone on the run's executor, and its workers."""
    # what the decode stage sends: the file's path and hash (the worker reads the file)
    payloads = [DecodeSource(str(p), str(p), p.stat().st_size, sha256_hex(p.read_bytes())) for p in files]
    executor = make_executor()
    list(executor.map_batches(decode_batch, [payloads[:1]] * executor.workers))  # start and warm the workers
    started = time.perf_counter()
    for _ in executor.map_batches(decode_batch, batched(payloads, executor.workers)):
        pass
    return time.perf_counter() - started, executor.workers


def _line(phase: Phase, floor_per_doc: float, cold: Phase | None) -> str:
    rate = phase.docs / phase.seconds
    text = f"{phase.name:<13} {phase.docs:>6,} docs  {phase.seconds:7.1f} s  {rate:8.1f} docs/s  "
    text += f"peak RSS {phase.peak_rss_mb:5.0f} MB (PSS {phase.peak_pss_mb:5.0f})  "
    text += f"{phase.seconds / phase.docs / floor_per_doc:6.1f}× decode floor per doc"
    if cold is not None:
        text += f"  {phase.seconds / cold.seconds:6.1%} of cold"
    if phase.returncode:
        text += f"  (exit {phase.returncode}: see the log)"
    return text


def run_pipeline_benchmark(n_docs: int, work: Path, sources: list[Path] | None = None) -> list[str]:
    """Build the landing zone, run every phase, print and return the result lines."""
    sources = sources or [REPO_ROOT / "data" / "sample", REPO_ROOT / "tests" / "fixtures" / "corpus"]
    log = work / "pipeline.log"
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    landing = work / "landing"
    files = build_landing(landing, n_docs, sources)
    seconds, workers = decode_floor(files)
    floor = seconds / n_docs
    cluster = os.environ.get("GOVREPORT_CLUSTER") or "local"
    say(
        f"pipeline bench: {n_docs:,} documents from {len(source_files(sources))} sources, {os.cpu_count()} cores, "
        f"cluster {cluster} (log: {log})"
    )
    say(f"decode floor  {n_docs:>6,} docs  {seconds:7.1f} s  {n_docs / seconds:8.1f} docs/s  on {workers} workers")
    stores = (work / "warehouse", work / "dagster_home")
    cold = run_phase("cold", n_docs, landing, *stores, log)
    say(_line(cold, floor, None))
    say(_line(run_phase("warm", n_docs, landing, *stores, log), floor, cold))
    changed = change_some(files, 0.01)
    say(_line(run_phase(f"1% changed ({changed})", n_docs, landing, *stores, log), floor, cold))
    return lines + _fixed_cost_lines(work, log, say)


def _fixed_cost_lines(work: Path, log: Path, say) -> list[str]:
    """`make sample`'s pipeline and one report in one year, cold."""
    sample = REPO_ROOT / "data" / "sample"
    one = work / "one_report" / "2021"
    one.mkdir(parents=True, exist_ok=True)
    shutil.copy(next(sample.glob("002_*.txt")), one / "report.txt")
    lines = []
    for name, landing, docs in (("make sample", sample, 5), ("one report", one.parent, 1)):
        slug = name.replace(" ", "_")
        warehouse = work / f"{slug}_wh"
        phase = run_phase(name, docs, landing, warehouse, work / f"{slug}_home", log)
        line = f"{name:<13} {docs:>6,} docs  {phase.seconds:7.1f} s  peak RSS {phase.peak_rss_mb:5.0f} MB "
        line += f"(PSS {phase.peak_pss_mb:5.0f}), cold"
        docs_mb = _folder_mb(warehouse.with_name(f"{warehouse.name}_data_docs"))
        line += f", Data Docs {docs_mb:.1f} MB"
        say(line + (f"  (exit {phase.returncode}: see the log)" if phase.returncode else ""))
        lines.append(line)
    return lines


def _folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6 if folder.is_dir() else 0.0


def main(n_docs: int, keep: str | None = None) -> int:
    """Run in a temporary folder (or `keep`, left in place for inspection)."""
    if keep:
        work = Path(keep)
        work.mkdir(parents=True, exist_ok=True)
        run_pipeline_benchmark(n_docs, work)
        return 0
    with tempfile.TemporaryDirectory(prefix="govreport-bench-") as tmp:
        run_pipeline_benchmark(n_docs, Path(tmp))
    return 0
