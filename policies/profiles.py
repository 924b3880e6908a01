"""Institution profiles: which rules are on, their parameters, the clauses they enforce.

A profile is data (``profiles/<id>.toml``): the regulation's clause number and
its own words per rule, the time zone, the week length and the calendar
overrides.  An institution's own config file (same layout) is laid over it, so
any parameter can be changed without touching the profile.
"""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from canonical.capabilities import not_carried

PROFILE_IDS = ("kpgt", "talmenka", "mazanka", "usolye", "tpt")


class ProfileError(ValueError):
    """A profile or institution config that cannot be used; the message is Russian."""


@dataclass(frozen=True)
class RuleSetting:
    """One rule in one profile."""

    rule_id: str
    enabled: bool
    clause: str
    """The clause number(s), e.g. ``3.5.2``."""
    text: str
    """The regulation's own words (Russian)."""
    params: Mapping[str, Any] = field(default_factory=dict)
    responsible: str = ""
    """The role the quoted clause names as responsible (empty: the rule's default)."""
    day_kind_quote: str = ""
    """The regulation's words that say how the rule's days count («рабочих дней» of the
    production calendar, or days of the study week): the profile's reason for each
    deadline's ``day_kind``."""

    @property
    def reference(self) -> str:
        return f"п. {self.clause}" if self.clause else ""


@dataclass(frozen=True)
class Profile:
    id: str
    institution: str
    regulation: str
    kind: str
    timezone: str
    week_days: int
    overrides: Mapping[dt.date, bool]
    rules: Mapping[str, RuleSetting]
    platform: str = ""
    """The journal platform (``canonical.base.Platform`` value) the institution runs."""
    judge_baseline: bool = False
    """Judge entries found by the first sync of their scope (no earlier observation) as
    *possibly violated* when their deadline had passed; off by default, so connecting a
    journal with years of history does not flood the report."""
    epgu: Mapping[str, Any] = field(default_factory=dict)
    """What the e-diary service requires (``[epgu]``: see ``policies.epgu.Requirements``)."""
    forecast: Mapping[str, Any] = field(default_factory=dict)
    """The forecast of period results (``[forecast]``: see ``policies.forecast.ForecastParams``)."""

    def enabled_rules(self) -> list[str]:
        return sorted(r for r, s in self.rules.items() if s.enabled)

    def unchecked_rules(self) -> dict[str, str]:
        """Enabled rules the profile's platform cannot carry the facts for → the reason."""
        return {
            r: why
            for r in self.enabled_rules()
            if (why := not_carried(self.platform, r, self.id)) is not None
        }

    def checked_rules(self) -> list[str]:
        unchecked = self.unchecked_rules()
        return [r for r in self.enabled_rules() if r not in unchecked]

    def setting(self, rule_id: str) -> RuleSetting:
        return self.rules.get(rule_id) or RuleSetting(rule_id, False, "", "")


def _profile_file(profile_id: str) -> Path:
    """A shipped profile: ``profiles/<id>.toml``, installed as package data."""
    return Path(str(files("profiles") / f"{profile_id}.toml"))


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


_PARSED: dict[tuple[str, int], dict[str, Any]] = {}
"""Parsed TOML by (path, mtime): pages and reports ask for the same profile many times a request."""


def _read(path: Path) -> dict[str, Any]:
    try:
        key = (str(path), path.stat().st_mtime_ns)
        if key not in _PARSED:
            with path.open("rb") as handle:
                _PARSED[key] = tomllib.load(handle)
        return copy.deepcopy(_PARSED[key])
    except FileNotFoundError:
        raise ProfileError(f"файл профиля не найден: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"файл {path} не читается как TOML: {exc}") from None


def profile_from_dict(data: Mapping[str, Any], where: str = "профиль") -> Profile:
    try:
        profile_id = str(data["id"])
        timezone = str(data["timezone"])
    except KeyError as exc:
        raise ProfileError(f"{where}: нет обязательного ключа {exc.args[0]!r}") from None
    week_days = int(data.get("week_days", 5))
    if week_days not in (5, 6):
        raise ProfileError(f"{where}: week_days должно быть 5 или 6, а не {week_days}")
    overrides: dict[dt.date, bool] = {}
    for key, value in dict(data.get("calendar", {}).get("overrides", {})).items():
        try:
            overrides[dt.date.fromisoformat(str(key))] = bool(value)
        except ValueError:
            raise ProfileError(f"{where}: calendar.overrides: {key!r} не дата ГГГГ-ММ-ДД") from None
    rules: dict[str, RuleSetting] = {}
    for rule_id, raw in dict(data.get("rules", {})).items():
        if not isinstance(raw, Mapping):
            raise ProfileError(f"{where}: rules.{rule_id} должно быть таблицей")
        rules[rule_id] = RuleSetting(
            rule_id=rule_id,
            enabled=bool(raw.get("enabled", True)),
            clause=str(raw.get("clause", "")),
            text=str(raw.get("text", "")),
            params=dict(raw.get("params", {})),
            responsible=str(raw.get("responsible", "")),
            day_kind_quote=str(raw.get("day_kind_quote", "")),
        )
    return Profile(
        id=profile_id,
        institution=str(data.get("institution", "")),
        regulation=str(data.get("regulation", "")),
        kind=str(data.get("kind", "school")),
        timezone=timezone,
        week_days=week_days,
        overrides=overrides,
        rules=rules,
        platform=str(data.get("platform", "")),
        judge_baseline=bool(dict(data.get("engine", {})).get("judge_baseline", False)),
        epgu=dict(data.get("epgu", {})),
        forecast=dict(data.get("forecast", {})),
    )


def raw_profile(profile_id: str) -> dict[str, Any]:
    if profile_id not in PROFILE_IDS and not _profile_file(profile_id).exists():
        raise ProfileError(
            f"неизвестный профиль {profile_id!r}; доступны: {', '.join(PROFILE_IDS)}"
        )
    return _read(_profile_file(profile_id))


def load_profile(profile_id: str, config: str | Path | None = None) -> Profile:
    """The profile with the institution's own config (same layout) laid over it."""
    data = raw_profile(profile_id)
    where = f"профиль {profile_id}"
    if config is not None:
        data = _merge(data, _read(Path(config)))
        where = f"{where} с настройками {config}"
    return profile_from_dict(data, where)


def with_overrides(profile: Profile, over: Mapping[str, Any]) -> Profile:
    """The profile with a config mapping laid over it (tests and the scenario replay)."""
    return profile_from_dict(_merge(raw_profile(profile.id), over), f"профиль {profile.id}")
