"""The CLI's mistakes in one line: what is wrong, with which thing, and what to do.

Every command runs through `run_command`: a `CliError` (a mistake the user can fix, found
before anything runs) prints `govreport: error: …` on stderr and exits 2; an unexpected
exception prints one line and exits 1 (the traceback with `--debug`); Ctrl-C stops with one
line and exit 130 — published partitions are swapped in whole, so nothing half-written is
left for readers.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXIT_USAGE = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A mistake the user can fix; the message names the thing and says what to do."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def error_line(message: str) -> None:
    print(f"govreport: error: {message}", file=sys.stderr, flush=True)


def run_command(command: Callable[[Any], int], args: Any, *, debug: bool = False) -> int:
    """Run one subcommand with the one-line error policy above."""
    try:
        return int(command(args))
    except CliError as exc:
        error_line(str(exc))
        return exc.code
    except KeyboardInterrupt:
        print("govreport: interrupted (published years are whole: the old or the new version)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `govreport eval … | head`: the reader has what it wanted
        sys.stderr.close()
        return 0
    except Exception as exc:  # anything else: one line, the detail on request
        if debug:
            traceback.print_exc()
        else:
            first = (str(exc).strip().splitlines() or [""])[0]
            error_line(f"{type(exc).__name__}: {first} (run again with --debug for the traceback)")
        return EXIT_FAILED


# --------------------------------------------------------------------------------------
# checks made before anything runs


def check_location(option: str, location: str, *, must_exist: bool = False) -> None:
    """A path or fsspec URL given to `option` that can be used: a known scheme whose driver
    is installed, a folder (not a file), existing when `must_exist`."""
    if "://" in location:
        _check_scheme(option, location)
        return
    path = Path(location)
    if path.exists() and not path.is_dir():
        raise CliError(f"{option} {location} is a file, not a folder: give a folder (it is created if missing)")
    if must_exist and not path.exists():
        raise CliError(f"{option} {location} does not exist: give an existing folder")


def _check_scheme(option: str, location: str) -> None:
    import fsspec

    scheme = location.split("://", 1)[0]
    try:
        fsspec.get_filesystem_class(scheme)
    except ImportError as exc:  # fsspec's message names the package ("Install s3fs to access S3")
        missing = f"{option} {location}: the {scheme}:// scheme needs a package that is not installed"
        raise CliError(f"{missing} ({exc})") from None
    except ValueError:
        hint = "use a local folder or an fsspec URL (s3://, gs://, …)"
        raise CliError(f"{option} {location}: unknown URL scheme {scheme}:// — {hint}") from None


def check_dagster_home(location: str) -> Path:
    """The Dagster instance folder, created if missing; a file there is a mistake."""
    home = Path(location).resolve()
    if home.exists() and not home.is_dir():
        raise CliError(f"--dagster-home {location} is a file, not a folder: give a folder for the Dagster instance")
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(
            f"--dagster-home {location}: cannot create it ({exc.strerror}): give a writable folder"
        ) from None
    return home


def check_port_free(host: str, port: int) -> None:
    """Fail before starting `dagster dev` when the port is taken: it would say "Serving …", fail
    to bind and keep its daemon running."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the webserver binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CliError(
                    f"port {port} on {host} is in use (another `govreport ui`?): stop it or pass --port {port + 1}"
                ) from None
            raise CliError(f"port {port} on {host}: {exc.strerror}: pass another --port") from None


def check_existing_paths(option: str, paths: list[str]) -> None:
    for location in paths:
        if not os.path.exists(location):
            raise CliError(f"{option} {location} does not exist: give existing files or folders")
