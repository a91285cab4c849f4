"""The agency's procedures (SOPs) as data: the number and title of each procedure pantau carries out, the
number and time allowance of its steps, and the channels a complaint may come by. Tickets, alert labels,
runbooks and documents read them from here; an agency whose outage SOP is SOP 7, or whose technician
has 15 minutes, writes that in ``agency.sops`` and changes no code.

The defaults are the seed documents' procedures (SOP 15, 14 and 13 of Polewali Mandar; SOP 05 and the
hosting procedure of Batam), the example the inventory ships.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, model_validator

from inventory.models._base import Model, Slug


class SopStep(Model):
    """One step of a procedure: its number as the document writes it (``2``, ``5-6``, ``3/7-9``) and its
    time allowance, measured from the step before; ``escalated_minutes``: the allowance once the fault was
    handed to the provider (SOP 15's repair by the provider)."""

    number: str = Field(min_length=1, max_length=32)
    allowance_minutes: float | None = Field(None, gt=0)
    escalated_minutes: float | None = Field(None, gt=0)

    def allowance(self, escalated: bool = False) -> timedelta | None:
        minutes = self.escalated_minutes if escalated and self.escalated_minutes else self.allowance_minutes
        return None if minutes is None else timedelta(minutes=minutes)


class Sop(Model):
    """One procedure: its number (``SOP 15``), its title, and the steps pantau times or names."""

    number: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    steps: dict[str, SopStep] = Field(default_factory=dict)

    @property
    def label(self) -> str:
        """``SOP 15 Pemeliharaan Jaringan TIK``: the procedure an alert or a document names."""
        return f"{self.number} {self.title}"

    def step(self, key: str) -> str:
        """``SOP 15 langkah 2``: a step as a ticket or a run names it (the document's own word for step)."""
        return f"{self.number} langkah {self.steps[key].number}"


#: the steps each procedure must name (pantau's own keys; their numbers and allowances are the agency's)
REQUIRED_STEPS = {
    "outage": ("open", "assign", "triage", "escalate", "progress", "resolve"),
    "colocation": ("address", "monitoring"),
    "bandwidth": ("shaper", "delivery"),
    "maintenance": ("review",),
    "hosting": (),
}


def _outage() -> Sop:
    return Sop(
        number="SOP 15",
        title="Pemeliharaan Jaringan TIK",
        steps={
            "open": SopStep(number="1"),
            "assign": SopStep(number="2", allowance_minutes=10),
            "triage": SopStep(number="3"),
            "escalate": SopStep(number="4", allowance_minutes=60),
            "progress": SopStep(number="5-6", allowance_minutes=10),
            "resolve": SopStep(number="3/7-9", allowance_minutes=60, escalated_minutes=120),
        },
    )


class SopCatalog(Model):
    """The procedures pantau follows, by what each is for, and the complaint channels."""

    outage: Sop = Field(default_factory=_outage, description="network fault handling: tickets and their steps")
    colocation: Sop = Field(
        default_factory=lambda: Sop(
            number="SOP 14",
            title="Penyediaan Pusat Data Terpadu",
            # step 7: an address from the server IP list and its DNS; step 8: the server in the monitoring
            steps={
                "address": SopStep(number="7", allowance_minutes=60),
                "monitoring": SopStep(number="8", allowance_minutes=60),
            },
        )
    )
    hosting: Sop = Field(default_factory=lambda: Sop(number="SOP Hosting", title="Penyediaan Layanan Hosting Aplikasi"))
    maintenance: Sop = Field(
        default_factory=lambda: Sop(
            number="SOP 05",
            title="Pemeliharaan Jaringan Berkala",
            steps={"review": SopStep(number="6-8", allowance_minutes=24 * 60)},  # checked, forwarded, reviewed
        )
    )
    bandwidth: Sop = Field(
        default_factory=lambda: Sop(
            number="SOP 13",
            title="Penyediaan Bandwidth Perangkat Daerah",
            # step 4: the bandwidth map (put on the shaper); step 6: the provider delivers (a new OPD's link)
            steps={"shaper": SopStep(number="4", allowance_minutes=240), "delivery": SopStep(number="6")},
        )
    )
    #: how a complaint may reach the data center (``walk-in``: in person, *datang langsung*)
    channels: tuple[Slug, ...] = ("phone", "whatsapp", "email", "walk-in", "lapor")
    #: the channels whose complaints carry their own number (LAPOR!'s)
    channels_with_ref: tuple[Slug, ...] = ("lapor",)

    @model_validator(mode="after")
    def _steps_named(self) -> SopCatalog:
        for key, steps in REQUIRED_STEPS.items():
            missing = [s for s in steps if s not in getattr(self, key).steps]
            if missing:
                raise ValueError(f"sops.{key}.steps: name step(s) {', '.join(missing)} (pantau times or cites them)")
        for channel in (*self.channels, *self.channels_with_ref):
            if len(channel) > 16:
                raise ValueError(f"sops.channels: '{channel}' is longer than 16 characters")
        if unknown := set(self.channels_with_ref) - set(self.channels):
            raise ValueError(f"sops.channels_with_ref: {', '.join(sorted(unknown))} not in sops.channels")
        return self

    def procedures(self) -> dict[str, Sop]:
        return {key: getattr(self, key) for key in REQUIRED_STEPS}

    def cite(self, reference: str) -> str:
        """A step by pantau's reference (``colocation.address``) as this agency's procedure names it
        (``SOP 14 langkah 7``); any other text as it is."""
        procedure, _, step = reference.partition(".")
        sop = self.procedures().get(procedure)
        return sop.step(step) if sop is not None and step in sop.steps else reference
