"""Ready-made frameworks used in the course and the tests."""

from __future__ import annotations

import pandas as pd

from .framework import Framework, framework_from_table

__all__ = ["hfi_governance_framework", "HFI_GOVERNANCE"]

#: A governance-capacity index from Human Freedom Index 2018 components (all 0-10, higher =
#: better): rule of law (World Justice Project), legal system and property rights, and
#: business regulation (bureaucracy costs, bribes, licensing, compliance) from the
#: Economic Freedom of the World data.  Equal weights within and across pillars.
HFI_GOVERNANCE = pd.DataFrame(
    [
        ("pf_rol_procedural", "rule_of_law", "Procedural justice"),
        ("pf_rol_civil", "rule_of_law", "Civil justice"),
        ("pf_rol_criminal", "rule_of_law", "Criminal justice"),
        ("ef_legal_judicial", "legal_system", "Judicial independence"),
        ("ef_legal_courts", "legal_system", "Impartial courts"),
        ("ef_legal_protection", "legal_system", "Protection of property rights"),
        ("ef_legal_integrity", "legal_system", "Integrity of the legal system"),
        ("ef_legal_enforcement", "legal_system", "Legal enforcement of contracts"),
        ("ef_legal_police", "legal_system", "Reliability of police"),
        ("ef_regulation_business_adm", "regulation", "Administrative requirements"),
        ("ef_regulation_business_bureaucracy", "regulation", "Bureaucracy costs"),
        ("ef_regulation_business_bribes", "regulation", "Extra payments / bribes"),
        ("ef_regulation_business_licensing", "regulation", "Licensing restrictions"),
        ("ef_regulation_business_compliance", "regulation", "Cost of tax compliance"),
        ("rule_of_law", "governance", "Rule of law"),
        ("legal_system", "governance", "Legal system and property rights"),
        ("regulation", "governance", "Business regulation"),
        ("governance", None, "Governance capacity"),
    ],
    columns=["code", "parent", "name"],
)


def hfi_governance_framework() -> Framework:
    """The :data:`HFI_GOVERNANCE` framework (3 pillars, 14 indicators, equal weights)."""
    return framework_from_table(HFI_GOVERNANCE.assign(weight=1.0, direction=1))
