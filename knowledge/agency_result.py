"""What an agency check answers (`CheckResult`), and how the mentions of one message add up.

A message is read as mentions (knowledge.agencies): every licence number and every agency name
in it, each checked on its own. `pair_numbers` puts each licence number with the name it comes
with (a number of another agency next to a name is the borrowed-licence scam), and `combine`
sums the mentions up: each agency once, with the least reassuring verdict of the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.agencies import Agency

VERDICTS = ("licensed", "suspended", "revoked", "expired", "not_found", "ambiguous")
# Least reassuring first: a message naming several agencies gets the verdict of its worst one.
SEVERITY = ("revoked", "suspended", "expired", "not_found", "ambiguous", "licensed")
_RANK = {v: i for i, v in enumerate(SEVERITY)}


@dataclass
class Match:
    agency: Agency
    score: float


@dataclass
class CheckResult:
    verdict: str  # licensed | suspended | revoked | expired | not_found | ambiguous
    fuzzy: bool
    matches: list[Match]
    lookalike_of: Match | None
    by_licence: bool
    query: str = ""  # the (part of the) text that was checked; for find_in_text callers
    # Each agency name or licence number the message mentions, in message order, each with its
    # own verdict. The fields above sum them up (verdict: the least reassuring one).
    mentions: list[CheckResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `helpdesk agencies check` output fields (see spec/interfaces.md)."""
        return {
            "verdict": self.verdict,
            "fuzzy": self.fuzzy,
            "matches": [_match_json(m) for m in self.matches],
            "lookalike_of": _lookalike_json(self.lookalike_of),
            "mentions": [_mention_json(m) for m in self.mentions],
        }


def _match_json(m: Match) -> dict[str, Any]:
    a = m.agency
    return {
        "name": a.name,
        "licence_no": a.licence_no,
        "status": a.status,
        "valid_until": a.valid_until.isoformat(),
        "score": round(float(m.score), 1),
        "address": a.address,
        "province": a.province,
        "countries": list(a.countries),
    }


def _lookalike_json(m: Match | None) -> dict[str, str] | None:
    return None if m is None else {"name": m.agency.name, "licence_no": m.agency.licence_no}


def _mention_json(r: CheckResult) -> dict[str, Any]:
    return {
        "query": r.query,
        "verdict": r.verdict,
        "fuzzy": r.fuzzy,
        "by_licence": r.by_licence,
        "matches": [{"name": m.agency.name, "licence_no": m.agency.licence_no, "status": m.agency.status}
                    for m in r.matches],
        "lookalike_of": _lookalike_json(r.lookalike_of),
    }


def not_found(query: str, *, by_licence: bool, lookalike: Match | None = None) -> CheckResult:
    return CheckResult("not_found", False, [], lookalike, by_licence, query)


def pair_numbers(
    names: list[tuple[int, CheckResult]], numbers: list[tuple[int, CheckResult]]
) -> list[tuple[int, CheckResult]]:
    """Put licence numbers with the names they come with.

    A number of an agency the message names confirms that name (and settles it when the name
    alone was ambiguous). A number of an agency the message does not name, next to a name, is
    the borrowed-licence scam: that name is answered not_found, pointing at the number's
    holder, and confirms neither."""
    out = list(names)
    for pos, num in numbers:
        if len(num.matches) != 1:
            out.append((pos, num))
            continue
        holder = num.matches[0].agency
        same = [k for k, (_, m) in enumerate(out) if not m.by_licence and any(x.agency is holder for x in m.matches)]
        if same:
            k = same[0]
            if out[k][1].verdict == "ambiguous":
                out[k] = (out[k][0], replace(num, query=out[k][1].query))
            continue
        named = [k for k, (_, m) in enumerate(out) if not m.by_licence]
        if not named:
            out.append((pos, num))
            continue
        k = min(named, key=lambda k: abs(out[k][0] - pos))
        out[k] = (out[k][0], not_found(f"{out[k][1].query} {num.query}", by_licence=True, lookalike=num.matches[0]))
    return out


def combine(mentions: list[tuple[int, CheckResult]], query: str) -> CheckResult:
    """One answer for the whole message: each agency once, least reassuring first."""
    in_order: list[CheckResult] = []
    seen: set[tuple[str, ...]] = set()
    for _, m in sorted(mentions, key=lambda pm: pm[0]):
        key = tuple(x.agency.licence_no for x in m.matches) or ("?", m.query.casefold())
        if key not in seen:
            seen.add(key)
            in_order.append(m)
    if not in_order:
        return not_found(query, by_licence=False)
    worst_first = sorted(in_order, key=lambda m: _RANK[m.verdict])  # stable: ties keep message order
    lead = worst_first[0]
    matches: list[Match] = []
    for m in worst_first:
        matches.extend(x for x in m.matches if all(x.agency is not y.agency for y in matches))
    lookalike = next((m.lookalike_of for m in worst_first if m.lookalike_of is not None), None)
    fuzzy = any(m.fuzzy for m in in_order)
    return CheckResult(lead.verdict, fuzzy, matches, lookalike, lead.by_licence, query, in_order)
