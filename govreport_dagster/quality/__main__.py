"""`python -m govreport_dagster.quality render`: rewrite the rendered suites in `expectations/`."""

import sys

from .render import RENDER_COMMAND, write_rendered_suites


def main(argv: list[str]) -> int:
    if argv != ["render"]:
        print(f"usage: {RENDER_COMMAND}", file=sys.stderr)
        return 2
    for written in write_rendered_suites():
        print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
