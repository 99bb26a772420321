"""The template declaration's derived views: versions by year, key unions, item numbers."""

from __future__ import annotations

from govreport_dagster.core.templates import TEMPLATE_VERSIONS, load_templates


def test_version_for_year_follows_declared_report_years() -> None:
    tpl = load_templates()
    for version, spec in tpl.raw["versions"].items():
        first, last = spec["report_years"]
        assert tpl.version_for_year(first) == version
        if last is not None:
            assert tpl.version_for_year(last) == version
            assert tpl.version_for_year(last + 1) != version
    # before the first declared year: still the oldest template (no national table)
    first_version = next(iter(tpl.raw["versions"]))
    assert tpl.version_for_year(tpl.raw["versions"][first_version]["report_years"][0] - 5) == first_version
    assert tpl.version_for_year(2100) == TEMPLATE_VERSIONS[-1]
