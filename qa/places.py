"""Names of places as texts write them: a place by its letters ("U.S." for "United States") or by the adjective
of its people ("Brazilian" for "Brazil", "Asian" for "Asia"). No patterns, so the answer path of every question
that names something imports it without paying for qa/ranking.py's."""

from __future__ import annotations

_SHORT_NAMES = {"US": "United States", "USA": "United States", "UK": "United Kingdom", "UAE": "United Arab Emirates",
                "EU": "European Union", "USSR": "Soviet Union", "PRC": "China",
                "DRC": "Democratic Republic of the Congo"}
"""Places by the letters they are known by."""


def place_forms(name: str) -> tuple[str, ...]:
    """A name as a text may write it: itself, and the place an adjective of place names: "Asian" -> "Asia",
    "East Asian" -> "East Asia", "European" -> "Europe", "African" -> "Africa" (a place ending in "a"), and
    those that change more ("Brazilian" -> "Brazil", "French" -> "France", _DEMONYMS); "Christian" or
    "Median" name no place."""
    short = name.replace(".", "").upper()
    if short in _SHORT_NAMES:  # "U.S." where a text says "United States"
        return (name, _SHORT_NAMES[short])
    head, _, last = name.rpartition(" ")
    if last.lower() in _DEMONYMS:
        stem = _DEMONYMS[last.lower()]
        stem = stem if last[:1].isupper() or not stem[:1].isupper() else stem.lower()
        return (name, f"{head} {stem}".strip())
    if last.endswith("ean") and len(last) > 6:
        stems = [last[:-2]]  # Europe
    elif last.endswith("an") and len(last) >= 5 and last[-3] in "ic":
        stems = [last[:-1]]  # Asia, India, Africa, America, Russia, Austria (a place ending in "a")
    else:
        return (name,)
    return (name, *(f"{head} {s}".strip() for s in stems if s[:-1].lower() not in _NOT_PLACES))


_DEMONYMS = {
    "brazilian": "Brazil", "canadian": "Canada", "italian": "Italy", "peruvian": "Peru", "norwegian": "Norway",
    "egyptian": "Egypt", "iranian": "Iran", "mexican": "Mexico", "chilean": "Chile", "korean": "Korea",
    "argentine": "Argentina", "argentinian": "Argentina", "chinese": "China", "japanese": "Japan",
    "french": "France", "german": "Germany", "spanish": "Spain", "british": "Britain", "english": "England",
    "dutch": "Netherlands", "swiss": "Switzerland", "swedish": "Sweden", "danish": "Denmark", "finnish": "Finland",
    "polish": "Poland", "turkish": "Turkey", "greek": "Greece", "irish": "Ireland", "scottish": "Scotland",
    "welsh": "Wales", "portuguese": "Portugal", "vietnamese": "Vietnam", "thai": "Thailand",
    "filipino": "Philippines", "pakistani": "Pakistan", "bangladeshi": "Bangladesh", "israeli": "Israel",
    "iraqi": "Iraq", "saudi": "Saudi Arabia", "arab": "Arabia", "nordic": "Nordic", "scandinavian": "Scandinavia",
    "caribbean": "Caribbean", "mediterranean": "Mediterranean", "roman": "Rome", "byzantine": "Byzantium",
}
"""Adjectives of place whose place is not the adjective less its ending."""
_NOT_PLACES = frozenset({"christi", "medi", "vegetari", "librari", "histori", "musici", "physici", "politici",
                         "magici", "civili", "guardi", "comedi", "amphibi", "vari", "techni", "mathematici"})
"""Words ending like adjectives of place that name none ("Christian", "Median", "vegetarian")."""
