"""Country (ISO 3166-1 alpha-2) and language (ISO 639-1) codes from what spreadsheets hold.

pycountry knows codes and English names; a small table adds the names people type in their
own language ('Magyarország', 'Magyar', 'Русский'). Lookups are cached: a 100,000-row file
holds a few dozen distinct values.
"""

from __future__ import annotations

from functools import lru_cache

import pycountry

_COUNTRY_ALIASES = {
    "uk": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "usa": "US", "america": "US",
    "magyarország": "HU", "magyarorszag": "HU", "polska": "PL", "deutschland": "DE",
    "österreich": "AT", "schweiz": "CH", "suisse": "CH", "españa": "ES", "espana": "ES",
    "italia": "IT", "česko": "CZ", "czechia": "CZ", "slovensko": "SK", "românia": "RO",
    "россия": "RU", "russia": "RU", "украина": "UA", "україна": "UA", "ukraine": "UA",
    "беларусь": "BY", "belarus": "BY", "казахстан": "KZ", "қазақстан": "KZ",
    "kyrgyzstan": "KG", "кыргызстан": "KG", "узбекистан": "UZ", "o'zbekiston": "UZ",
    "тоҷикистон": "TJ", "türkiye": "TR", "turkey": "TR", "sakartvelo": "GE",
    "moldova": "MD", "nederland": "NL", "belgië": "BE", "belgique": "BE",
    "sverige": "SE", "norge": "NO", "danmark": "DK", "suomi": "FI", "srbija": "RS",
    "србија": "RS", "hrvatska": "HR", "slovenija": "SI", "ελλάδα": "GR", "българия": "BG",
    "lietuva": "LT", "latvija": "LV", "eesti": "EE", "kosovo": "XK",
}

_LANGUAGE_ALIASES = {
    "magyar": "hu", "polski": "pl", "deutsch": "de", "français": "fr", "francais": "fr",
    "español": "es", "espanol": "es", "castellano": "es", "italiano": "it", "português": "pt",
    "русский": "ru", "russian": "ru", "українська": "uk", "украинский": "uk",
    "қазақша": "kk", "қазақ тілі": "kk", "казахский": "kk", "беларуская": "be",
    "čeština": "cs", "slovenčina": "sk", "română": "ro", "српски": "sr", "srpski": "sr",
    "hrvatski": "hr", "български": "bg", "ελληνικά": "el", "türkçe": "tr",
    "кыргызча": "ky", "o'zbekcha": "uz", "ўзбекча": "uz", "тоҷикӣ": "tg", "ქართული": "ka",
    "nederlands": "nl", "svenska": "sv", "norsk": "no", "dansk": "da", "suomi": "fi",
    "english": "en", "lietuvių": "lt", "latviešu": "lv", "eesti": "et",
}


@lru_cache(maxsize=4096)
def country_code(value: str) -> str | None:
    """'Hungary', 'hu', 'HUN', 'Magyarország' -> 'HU'; None if unknown."""
    key = " ".join(value.strip().casefold().split())
    if not key:
        return None
    if key in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[key]
    if len(key) == 2:
        found = pycountry.countries.get(alpha_2=key.upper())
        return found.alpha_2 if found else None
    try:
        return pycountry.countries.lookup(key).alpha_2
    except LookupError:
        return None


@lru_cache(maxsize=4096)
def language_code(value: str) -> str | None:
    """'Hungarian', 'hu', 'hun', 'Magyar', 'hu-HU' -> 'hu'; None if unknown or not ISO 639-1."""
    key = " ".join(value.strip().casefold().split())
    if not key:
        return None
    if key in _LANGUAGE_ALIASES:
        return _LANGUAGE_ALIASES[key]
    primary = key.replace("_", "-").split("-")[0]
    if len(primary) == 2:
        found = pycountry.languages.get(alpha_2=primary)
        return found.alpha_2 if found else None
    try:
        found = pycountry.languages.lookup(key)
    except LookupError:
        return None
    return getattr(found, "alpha_2", None)
