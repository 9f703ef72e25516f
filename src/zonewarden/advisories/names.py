"""Vendor and product names as advisories and inventories spell them.

CISA's advisories spell 498 vendors their own way ("Rockwell Automation ", "Johnson Controls, Inc.",
"Schneider Electric Software, LLC", "GeutebrÃ¼ck"); inventories have their own habits. A vendor becomes
a set of keys: the canonical names of the known companies (and their former names and brands) found in
it, else its normalised text. Product names become word tokens without series words.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from functools import lru_cache

# canonical key -> spellings, brands and former names that mean the same maker for matching purposes
ALIASES: dict[str, tuple[str, ...]] = {
    "siemens": ("siemens", "siemens healthineers"),
    "rockwell": ("rockwell automation", "rockwell", "allen bradley", "allen-bradley"),
    "schneider": ("schneider electric", "schneider", "modicon", "telemecanique", "square d"),
    "aveva": ("aveva", "osisoft", "wonderware", "schneider electric software"),
    "ge": ("general electric", "ge", "ge digital", "ge healthcare", "ge vernova", "ge grid solutions"),
    "johnson-controls": ("johnson controls", "johnson contols", "sensormatic", "exacq", "kantech", "tyco", "cks",
                         "american dynamics", "software house"),
    "mitsubishi-electric": ("mitsubishi electric", "mitsubishi", "iconics"),
    "hirschmann": ("hirschmann", "belden", "tofino"),
    "phoenix-contact": ("phoenix contact", "innominate"),
    "hitachi-energy": ("hitachi energy", "abb power grids"),
    "abb": ("abb", "b r industrial automation"),
    "automationdirect": ("automationdirect", "automation direct", "host engineering"),
    "codesys": ("codesys", "3s smart software solutions"),
    "honeywell": ("honeywell", "matrikon", "matrikonopc"),
    "emerson": ("emerson", "fisher rosemount", "ovation"),
    "moxa": ("moxa",),
    "wago": ("wago",),
    "beckhoff": ("beckhoff",),
    "omron": ("omron",),
    "yokogawa": ("yokogawa",),
    "delta-electronics": ("delta electronics",),
    "auvesy-mdt": ("auvesy", "mdt software", "auvesy mdt"),
    "pepperl-fuchs": ("pepperl fuchs",),
    "b-braun": ("b braun",),
    "bd": ("becton dickinson", "bd"),
    "mir": ("mobile industrial robots", "mir"),
    "red-lion": ("red lion",),
    "sel": ("schweitzer engineering laboratories", "sel"),
    "baker-hughes": ("baker hughes", "bently nevada"),
    "fuji-electric": ("fuji electric",),
    "lcds": ("lcds", "leao consultoria"),
    "geutebruck": ("geutebruck",),
    "wibu": ("wibu systems", "wibu"),
    "subnet": ("subnet solutions",),
    "triangle-microworks": ("triangle microworks",),
    "trihedral": ("trihedral",),
    "franklin-fueling": ("franklin fueling", "franklin electric fueling"),
    "opw": ("opw fuel management",),
    "philips": ("philips", "phillips"),
    "digi": ("digi international",),
    "keysight": ("keysight",),
    "carrier": ("carrier", "lenels2", "interlogix"),
    "sauter": ("sauter", "fr sauter"),
    "jtekt": ("jtekt",),
    "lsis": ("ls electric", "ls industrial systems", "lsis"),
    "controlbyweb": ("controlbyweb", "control by web"),
    "opto22": ("opto 22",),
    "national-instruments": ("national instruments", "ni"),
    "real-time-automation": ("real time automation", "rta"),
    "pilz": ("pilz",),
    "socomec": ("socomec",),
    "apsystems": ("apsystems",),
    "dover-fueling": ("dover fueling solutions",),
    "abbott": ("abbott", "st jude medical"),
}
_SUFFIXES = {"inc", "incorporated", "llc", "ltd", "limited", "gmbh", "ag", "sa", "se", "co", "corp", "corporation",
             "company", "kg", "plc", "srl", "oy", "pte", "bv", "nv", "the", "a", "an", "subsidiary", "affiliate",
             "of", "formerly", "group", "holdings", "mfg", "me", "spa", "kk", "sas", "ab", "as", "aktiebolag"}
_SERIES = {"series", "family", "families", "all", "variants", "variant", "products", "product", "devices",
           "device", "models", "model", "firmware", "line", "range", "and", "the", "for", "incl", "including"}


def fold(text: str) -> str:
    """Lower case ASCII words: mojibake repaired (GeutebrÃ¼ck), accents dropped, punctuation to spaces."""
    if "Ã" in text or "Â" in text:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            text = text.encode("latin-1").decode("utf-8")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


_ALIAS_PATTERNS = [(key, re.compile(r"\b(?:" + "|".join(re.escape(fold(s)) for s in spellings) + r")\b"))
                   for key, spellings in ALIASES.items() if spellings]


@lru_cache(maxsize=8192)
def vendor_keys(vendor: str | None) -> frozenset[str]:
    """The keys a vendor string stands for: every known company named in it, else its own words
    without corporate suffixes (parts of a list like "ABB, Phoenix Contact, and WAGO" one by one)."""
    if not vendor or not vendor.strip():
        return frozenset()
    text = fold(re.sub(r"\([^)]*\)", " ", vendor)) or fold(vendor)
    keys = {key for key, pattern in _ALIAS_PATTERNS if pattern.search(text)}
    if keys:
        return frozenset(keys)
    bare = re.sub(r"\([^)]*\)", " ", vendor)
    out = set()
    for part in re.split(r"[,;/]|\band\b", bare):
        words = [w for w in fold(part).split() if w not in _SUFFIXES]
        if words:
            out.add(" ".join(words))
    return frozenset(out)


def _split_alnum(word: str) -> list[str]:
    return re.findall(r"[a-z]+|\d+", word)


_REMARK = re.compile(r"\(([^)]*)\)|\[([^]]*)\]")
_REMARK_WORDS = re.compile(r"\b(?:incl|including|variants?|formerly|see|all|series|only|models?|versions?|and|"
                           r"previously|also|e\.g|sold|branded)\b", re.I)


def _remark(m: re.Match[str]) -> str:
    """A parenthesis that qualifies the product, like "(TIA Portal)", stays; remarks ("incl. SIPLUS
    variants"), order numbers and abbreviations of the name go."""
    inner = m.group(1) or m.group(2) or ""
    if _REMARK_WORDS.search(inner) or re.search(r"\d", inner) or re.fullmatch(r"[A-Z0-9&\- ]{1,8}", inner.strip()):
        return " "
    return f" {inner} "


@lru_cache(maxsize=65536)
def name_tokens(name: str | None, vendor: str | None = None) -> tuple[str, ...]:
    """Word tokens of a product name: folded, letter and digit runs apart (S7-1500 = S7 1500 = s 7 1500),
    parenthesised remarks, a leading vendor name and series words dropped."""
    if not name:
        return ()
    text = _REMARK.sub(_remark, name)
    words = fold(text).split()
    if vendor:
        lead = fold(vendor).split()
        while words and lead and words[0] == lead[0]:
            words.pop(0)
            lead.pop(0)
    out: list[str] = []
    for w in words:
        if w in _SERIES:
            continue
        out.extend(_stem(t) for t in _split_alnum(w))
    return tuple(out)


def _stem(word: str) -> str:
    """Plural to singular, so "Classic Platform Switches" names a "Classic Platform Switch"."""
    if word.isdigit() or len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ches") or word.endswith("shes") or word.endswith("xes"):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


# product brands that inventories often leave out ("WinCC" for "SIMATIC WinCC")
BRANDS = {"simatic", "sinema", "sicam", "scalance", "ruggedcom", "sinamics", "sinumerik", "sipl", "modicon",
          "sysmac", "melsec", "factorytalk", "multilin", "intellivue", "sentron", "desigo", "siveillance"}
_ACRONYM = re.compile(r"((?:[A-Za-z][\w-]*\s+){2,6})\(([A-Z]{2,6})((?:\s+[^)]+)?)\)")
_SLASHED = re.compile(r"\b([A-Za-z]+)(\d+)/(\d+)\b")


def name_variants(name: str, vendor: str | None = None) -> set[tuple[str, ...]]:
    """The ways an inventory may write an advisory's product name: as written; with an acronym for the
    words it abbreviates ("Totally Integrated Automation Portal (TIA Portal)" -> "TIA Portal"); each
    model of a slashed pair ("EAGLE20/30"); without a leading brand ("SIMATIC WinCC" -> "WinCC")."""
    texts = {name}
    m = _ACRONYM.search(name)
    if m:
        words, acro, rest = m.group(1).split(), m.group(2), (m.group(3) or "").strip()
        for n in range(len(acro), len(acro) + 2):
            expanded = words[-n:]
            if "".join(w[0] for w in expanded[: len(acro)]).upper() == acro.upper():
                kept = expanded[len(acro):]
                if not rest or rest.split() == kept or not kept:
                    head = " ".join(words[: len(words) - n])
                    texts.add(f"{head} {acro} {rest or ' '.join(kept)} {name[m.end():]}")
                break
    for t in list(texts):
        s = _SLASHED.search(t)
        if s:
            texts.add(t[: s.start()] + s.group(1) + s.group(2) + t[s.end():])
            texts.add(t[: s.start()] + s.group(1) + s.group(3) + t[s.end():])
    out = {name_tokens(t, vendor) for t in texts}
    out |= {tokens[1:] for tokens in out if len(tokens) > 1 and tokens[0] in BRANDS}
    return {t for t in out if t}


_VERSION_TAIL = re.compile(r"^(.*?)\s+(v?\d+(?:\.\d+)*(?:\s*(?:sp|upd|update)\s*\d+)?)\s*$", re.I)


def split_version_line(name: str) -> tuple[str, str] | None:
    """A product name that ends in its release line ("SIMATIC BATCH V8.2", "TIA Portal V18") as
    (name without it, the line); None when it does not end in a version."""
    m = _VERSION_TAIL.match(name.strip())
    if not m or not re.search(r"[A-Za-z]", m.group(1)):
        return None
    line = m.group(2)
    if not line.lower().startswith("v") and "." not in line:
        return None  # "MX350", "Relay 489": a model number, not a release
    return m.group(1), line


_PATTERN = re.compile(r"\b([0-9A-Z][0-9A-Z\-]*(?:\*|\s?□\s?-?)[0-9A-Z\-*□ ]*)")


def model_patterns(name: str) -> list[re.Pattern[str]]:
    """Order-number patterns in a product name ("part numbers BMEP58*S", "CJ2H-CPU6 □ -EIP")."""
    out = []
    for m in _PATTERN.finditer(name):
        text = m.group(1).strip()
        key = re.sub(r"[\s\-_./]+", "", text).upper()
        if len(key.replace("*", "").replace("□", "")) < 3:
            continue
        regex = "".join("[0-9A-Z]*" if c == "*" else "[0-9A-Z]" if c == "□" else re.escape(c) for c in key)
        out.append(re.compile(regex + "$"))
    return out


def model_key(model: str | None) -> str:
    """An order or model number compared without case, spaces or dashes differences (6ES7 516-3FN01-0AB0)."""
    return re.sub(r"[\s\-_./]+", "", model or "").upper()


_MODEL_IN_NAME = re.compile(r"\b([0-9A-Z][0-9A-Z]{1,6}(?:[-./][0-9A-Z]{1,10}){1,4})\b")


def models_in_name(name: str) -> list[str]:
    """Order numbers written into a product name, like "SIMATIC Reader RF610R (6GT2811-6BC10-2AA0)" or
    "1756-EN2T": dash-joined codes with a digit in two parts at least."""
    out = []
    for m in _MODEL_IN_NAME.finditer(name.upper()):
        code = m.group(1)
        parts = re.split(r"[-./]", code)
        if sum(any(c.isdigit() for c in p) for p in parts) >= 2 and len(code) >= 6 and not _looks_numeric(code):
            out.append(model_key(code))
    return out


def _looks_numeric(code: str) -> bool:
    """A version (4.2.1) or a date (2019-08-12), not an order number."""
    return all(p.isdigit() for p in re.split(r"[-./]", code))
