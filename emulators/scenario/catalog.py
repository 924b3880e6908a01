"""Which rules of ``shared/docs/policy-catalog.md`` each profile has.

Kept as a table in code so the generator and its tests agree on what must be
planted; ``tests/scenario`` cross-checks it against ``profiles/*.toml`` once the
policy engine's machine-readable rule lists exist.  Section 7 rules are
obligations of Sverka's reports (print the journal, weekly activity report):
no journal entry can break them, so the generator lists them as not planted.
"""

from __future__ import annotations

from canonical.capabilities import not_carried
from emulators.scenario.profiles import profile as get_profile

PROFILES = ("kpgt", "talmenka", "mazanka", "usolye", "tpt")

_K, _T, _M, _U, _P = PROFILES

RULES: dict[str, frozenset[str]] = {
    # 1. Lesson records
    "lesson.topic.deadline": frozenset({_K, _T, _M, _U, _P}),
    "lesson.topic.ahead_limit": frozenset({_M}),
    "lesson.topic.matches_plan": frozenset({_K, _T, _U, _P}),
    "lesson.topic.names_work": frozenset({_K, _P}),
    "lesson.language.russian": frozenset({_K, _P}),
    "lesson.homework.deadline": frozenset({_K, _T, _M, _U, _P}),
    "lesson.homework.ahead_limit": frozenset({_M}),
    "lesson.hours.recorded": frozenset({_U}),
    "attendance.deadline": frozenset({_K, _T, _M, _U, _P}),
    "marks.deadline": frozenset({_K, _T, _M, _U, _P}),
    "marks.control_work.deadline": frozenset({_M, _P}),
    "marks.external_work.deadline": frozenset({_M}),
    "marks.after_outage.deadline": frozenset({_T, _M}),
    "marks.work_type.required": frozenset({_K, _T, _P}),
    "marks.scale": frozenset({_K}),
    "marks.first_grade.none": frozenset({_M}),
    # 2. Corrections and locks
    "marks.no_backdating": frozenset({_K}),
    "marks.correction.window": frozenset({_M}),
    "marks.correct_mark.immutable": frozenset({_M}),
    "marks.edit.max_age": frozenset({_P}),
    "marks.final.immutable": frozenset({_M, _P}),
    "period.lock": frozenset({_M}),
    "year.lock.teacher": frozenset({_M}),
    # 3. Period results
    "final_marks.deadline": frozenset({_K, _T, _M, _P}),
    "final_marks.visible.deadline": frozenset({_U}),
    "marks.density": frozenset({_K, _M, _P}),
    # 4. Plans
    "plan.deadline": frozenset({_K, _M}),
    "plan.hours.match_curriculum": frozenset({_M}),
    "plan.coverage": frozenset({_K, _M, _U, _P}),
    # 5. Contingent
    "contingent.movement.deadline": frozenset({_K, _M, _U, _P}),
    "contingent.card.deadline": frozenset({_K, _P}),
    "contingent.card.required_fields": frozenset({_K, _P}),
    "contingent.registry.match": frozenset({_T, _U, _P}),
    "contingent.data.review": frozenset({_M, _P}),
    "staff.card.deadline": frozenset({_P}),
    # 6. Parents, e-diary, ЕПГУ
    "epgu.parent.required_fields": frozenset({_T}),
    "epgu.own_child_only": frozenset({_T, _M, _U, _P}),
    "diary.opt_out.paper_report": frozenset({_T, _M, _P}),
    "diary.registration.deadline": frozenset({_M}),
    "absence.reason.deadline": frozenset({_T, _M, _P}),
    # 7. Archive and reports (obligations of Sverka's reports)
    "archive.journal.print": frozenset({_K, _M, _P}),
    "archive.statements.print": frozenset({_K, _P}),
    "report.activity.weekly": frozenset({_K, _M}),
}

REPORT_OBLIGATIONS = frozenset(
    {"archive.journal.print", "archive.statements.print", "report.activity.weekly"}
)
"""Rules about what Sverka must print or send, not about journal entries."""


def rules_of(profile: str) -> frozenset[str]:
    """Every rule id the catalog marks as applying to ``profile``."""
    if profile not in PROFILES:
        raise KeyError(profile)
    return frozenset(rule for rule, profiles in RULES.items() if profile in profiles)


def uncarried_rules_of(profile: str) -> dict[str, str]:
    """The profile's rules its demo platform cannot carry the facts for → the reason."""
    platform = get_profile(profile).demo_platform
    return {
        r: why for r in rules_of(profile) if (why := not_carried(platform, r, profile)) is not None
    }


def plantable_rules_of(profile: str) -> frozenset[str]:
    return rules_of(profile) - REPORT_OBLIGATIONS - set(uncarried_rules_of(profile))
