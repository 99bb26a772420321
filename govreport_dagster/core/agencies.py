"""Agencies across years: one stable `agency_id` per body, whatever name a report prints.

Reports of one body print its name in many ways: 平潭县人民政府 (2011), 平潭综合实验区管委会,
平潭综合实验区; 洪泽区人民政府 / 淮安市洪泽区人民政府; traditional script on mirror sites;
spam strings a mirror injected into the name. The identity is decided in three steps, each
recorded in `merge_reason` so every merge of two names is explainable:

1. normalise the printed name: NFKC, traditional → simplified (OpenCC), bracketed notes and
   anything that is not a Chinese character dropped (injected junk such as `puroview.com`);
2. place it in the gazetteer of administrative divisions of jionlp (province / city / county,
   with the renames of counties into districts applied, so a body keeps its id across a
   reorganisation of its name); a township or department printed without its county (牛华镇,
   审计局) is placed by the county the report's own text names most;
3. what remains after the place is the body (审计局, 牛华镇, or nothing: the area's government);
   the words that only name the area's government (人民政府, 管委会, 办事处 …, declared in
   `agencies.yaml`) are dropped.

`agency_id` is a hash of (province, city, county, body). A name the gazetteer cannot place is
never merged with anything (its id includes the report id): two different 城关镇 or 审计局
sharing an id would be a wrong join, which is worse than a missed one.

Why jionlp and not cpca: both ship their gazetteer inside the package (offline), but cpca's
data stopped in 2020 and does not place short or zone names (平潭综合实验区 → nothing), while
jionlp is maintained, places short names and special zones (平潭综合实验区 → 福建省福州市平潭县)
and records renames (县 → 区) that matter across a 2008–2025 series.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

_HAN_RE = re.compile(r"[\u4e00-\u9fff]+")
_NOTE_RE = re.compile(r"[(\uff08\[【][^)\uff09\]】]*[)\uff09\]】]")
_CONTEXT_CHARS = 4000


@dataclass(frozen=True)
class Agency:
    """One body as the warehouse's `agencies` dimension names it."""

    agency_id: str
    printed_name: str | None  # as the report printed it
    normalised_name: str  # simplified, junk removed
    canonical_name: str  # place chain + body: 福建省福州市平潭县
    body: str  # what is left after the place: '' for the area's government, 审计局, 牛华镇
    level: str  # province | city | county | township | department | unknown
    province: str | None
    city: str | None
    county: str | None
    merge_reason: str  # how the printed name was mapped onto the id


@functools.cache
def _rules() -> dict[str, list[str]]:
    with open(Path(__file__).with_name("agencies.yaml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@functools.cache
def _jionlp() -> Any:
    """jionlp prints a banner on import; the CLI's output is not the place for it."""
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp

    return jionlp


@functools.cache
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


# --------------------------------------------------------------------------------------
# 1. the printed name


def normalise_name(name: str | None) -> tuple[str, list[str]]:
    """(simplified name without notes and junk, the steps taken)."""
    steps: list[str] = []
    text = unicodedata.normalize("NFKC", name or "").strip()
    simplified = _t2s().convert(text)
    if simplified != text:
        steps.append("traditional → simplified")
    without_notes = _NOTE_RE.sub("", simplified)
    runs = _HAN_RE.findall(without_notes)
    cleaned = "".join(runs)
    junk = re.sub(r"\s+", "", _HAN_RE.sub("", without_notes))
    if junk:
        steps.append(f"junk stripped: {junk!r}")
    cleaned, prefix = _strip_junk_prefix(cleaned)
    if prefix:
        steps.append(f"junk stripped: {prefix!r}")
    return cleaned, steps


def _strip_junk_prefix(name: str) -> tuple[str, str]:
    """Chinese spam before the first place name ("澳门银河平潭综合实验区"): the name starts
    at the first gazetteer place when what precedes it is neither a place nor a national body."""
    if any(name.startswith(p) for p in _rules()["national_prefixes"]):
        return name, ""
    match = _place_regex().search(name)
    if match is None or match.start() == 0:
        return name, ""
    return name[match.start() :], name[: match.start()]


# --------------------------------------------------------------------------------------
# 2. the place


@functools.cache
def _gazetteer() -> dict[str, list[tuple[str, str | None, str | None]]]:
    """Full name of every province, city and county → the (province, city, county) chains
    it names (a county name may repeat across provinces: 朝阳区)."""
    places: dict[str, list[tuple[str, str | None, str | None]]] = {}
    for province, cities in _jionlp().china_location_loader().items():
        places.setdefault(province, []).append((province, None, None))
        for city, counties in cities.items():
            if city.startswith("_"):
                continue
            places.setdefault(city, []).append((province, city, None))
            for county in counties:
                if not county.startswith("_"):
                    places.setdefault(county, []).append((province, city, county))
    # former names (孟津县, now 孟津区) still printed in older reports, under the current chain
    for change in _jionlp().china_location_change_loader():
        old, new = change["old_loc"], change["new_loc"]
        if len(old) == 3 and old[2] and new[2] and old[2][0] not in places:
            places[old[2][0]] = [(new[0], new[1], new[2])]
    return places


@functools.cache
def _place_regex() -> re.Pattern[str]:
    names = sorted((n for n in _gazetteer() if len(n) >= 3), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names)))


@functools.lru_cache(maxsize=8192)
def _parse(name: str) -> Mapping[str, Any] | None:
    """jionlp's reading of the name, or None when it cannot tell the province (a weak or
    ambiguous match such as 城关镇 → 城关, 朝阳区 in two provinces). Cached (read-only): a
    reading takes jionlp ~10 ms, and the same body prints the same name year after year,
    which the facts stage resolves for the year and both its neighbours."""
    parsed = _jionlp().parse_location(name, town_village=False, change2new=True)
    return MappingProxyType(parsed) if parsed.get("province") else None


def place_from_text(text: str) -> tuple[str, str | None, str | None] | None:
    """The county (else city) the text names most, by full name; None when none or a tie."""
    mentions = Counter(m.group(0) for m in _place_regex().finditer(text[:_CONTEXT_CHARS]))
    scores: Counter[tuple[str, str | None, str | None]] = Counter()
    for name, count in mentions.items():
        for chain in _gazetteer()[name]:
            if chain[2] is not None:
                scores[chain] += 2 * count + mentions.get(chain[1] or "", 0)
    if not scores:
        for name, count in mentions.items():
            for chain in _gazetteer()[name]:
                if chain[1] is not None:
                    scores[chain] += count
    ranked = scores.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return _renamed(ranked[0][0])


def _renamed(chain: tuple[str, str | None, str | None]) -> tuple[str, str | None, str | None]:
    """The chain under its current names (孟津县 → 孟津区): ids survive renames."""
    parsed = _parse("".join(p for p in chain if p))
    if parsed is None:
        return chain
    return parsed["province"], parsed.get("city"), parsed.get("county")


# --------------------------------------------------------------------------------------
# 3. the body, the level, the id


def _body(detail: str, steps: list[str]) -> str:
    rules = _rules()
    for word in rules["zone_words"]:
        if detail.startswith(word):
            steps.append(f"special zone word {word!r} is the place itself")
            detail = detail[len(word) :]
            break
    dropped = []
    for word in rules["government_words"]:
        if word in detail:
            detail = detail.replace(word, "")
            dropped.append(word)
    if dropped:
        steps.append("area-government words dropped: " + ", ".join(dropped))
    return detail


def _level(chain: tuple[str | None, str | None, str | None], body: str) -> str:
    if body:
        return "township" if body.endswith(tuple(_rules()["township_suffixes"])) else "department"
    province, city, county = chain
    if county:
        return "county"
    if city and city != province:
        return "city"
    return "province" if province else "unknown"


def _id(key: str) -> str:
    return "ag_" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def resolve_agency(name: str | None, context: str = "", report_id: str = "") -> Agency:
    """The agency a report's printed name (and, for a name without its county, its text) denotes."""
    normalised, steps = normalise_name(name)
    parsed = _parse(normalised) if normalised else None
    chain: tuple[str | None, str | None, str | None] = (None, None, None)
    detail = normalised
    if parsed is not None:
        chain = (parsed["province"], parsed.get("city"), parsed.get("county"))
        detail = parsed.get("detail") or ""
        steps.append("gazetteer: " + _describe(chain))
    body = _body(detail, steps)
    if body and chain[2] is None and not _is_national(normalised):
        in_text = place_from_text(context) if context else None
        if in_text is not None and in_text[2] is not None and chain[0] in (None, in_text[0]):
            chain = in_text
            steps.append("county from the report's text: " + _describe(chain))
    return _agency(name, normalised, chain, body, steps, report_id)


def _agency(
    printed: str | None,
    normalised: str,
    chain: tuple[str | None, str | None, str | None],
    body: str,
    steps: list[str],
    report_id: str,
) -> Agency:
    province, city, county = chain
    if province is not None:
        key = f"{province}|{city or ''}|{county or ''}|{body}"
    elif normalised and _is_national(normalised):
        key = f"national|{normalised}"
        steps.append("central-government body: the name itself")
    else:
        key = f"unplaced|{report_id}|{normalised}"
        steps.append("no place found: not merged with any other report")
    places = [p for i, p in enumerate(chain) if p and (i == 0 or p != chain[i - 1])]
    return Agency(
        agency_id=_id(key),
        printed_name=printed,
        normalised_name=normalised,
        canonical_name="".join(places) + body if province else normalised,
        body=body,
        level=_level(chain, body if province else normalised) if normalised else "unknown",
        province=province,
        city=city,
        county=county,
        merge_reason="; ".join(steps) or "name as printed",
    )


def _is_national(name: str) -> bool:
    return name.startswith(tuple(_rules()["national_prefixes"]))


def _describe(chain: tuple[str | None, str | None, str | None]) -> str:
    return " › ".join(p for p in chain if p)


# --------------------------------------------------------------------------------------
# the pipeline's view: one agency per report bundle


@functools.lru_cache(maxsize=4096)
def _resolve_cached(name: str | None, context: str, report_id: str) -> Agency:
    """A failure inside the gazetteer must not cost the year's facts: the report then gets an
    id of its own (never merged) and the reason says why."""
    try:
        return resolve_agency(name, context, report_id)
    except Exception as exc:  # the gazetteer is third-party code fed with scraped names
        return _agency(name, name or "", (None, None, None), "", [f"gazetteer failed: {exc!r}"], report_id)


def agency_of(bundle: Any) -> Agency:
    """The agency of a `ReportBundle`: its printed name (else the sidecar's `agency`), placed
    with the head of its own text when the name lacks its county."""
    name = bundle.sectioned.metadata.agency_name or bundle.raw.sidecar.get("agency")
    return _resolve_cached(name, context_head(bundle.decoded.text), bundle.report_id)


def context_head(text: str | None) -> str:
    """The head of a report's text that `agency_of` reads (all of it a report needs to be
    placed: a reader that keeps only this much of a text places it the same)."""
    return (text or "")[:_CONTEXT_CHARS]


def agency_rows(bundles: list[Any]) -> list[dict[str, Any]]:
    """The `agencies` rows of one year: one per (agency_id, printed name), in report order."""
    return agency_rows_of([agency_of(bundle) for bundle in bundles])


def agency_rows_of(agencies: list[Agency]) -> list[dict[str, Any]]:
    """`agency_rows` from the reports' agencies, in report order."""
    rows: dict[tuple[str, str | None], dict[str, Any]] = {}
    for agency in agencies:
        key = (agency.agency_id, agency.printed_name)
        if key not in rows:
            rows[key] = {
                "agency_id": agency.agency_id,
                "agency_name": agency.printed_name,
                "normalised_name": agency.normalised_name or None,
                "canonical_name": agency.canonical_name or None,
                "body": agency.body or None,
                "level": agency.level,
                "province": agency.province,
                "city": agency.city,
                "county": agency.county,
                "merge_reason": agency.merge_reason,
            }
    return list(rows.values())
