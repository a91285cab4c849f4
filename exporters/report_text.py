"""The words of the Berita Acara and the maintenance summary, Bahasa Indonesia first, English with the
same structure; and the checks' names. Kept apart from the rendering so a wording change is one place."""

from __future__ import annotations

from i18n import Msg

TEXT: dict[str, Msg] = {
    "title": Msg("BERITA ACARA (OFFICIAL REPORT)"),
    "subtitle": Msg("PERIODIC NETWORK MAINTENANCE"),
    "summary_title": Msg("PERIODIC NETWORK MAINTENANCE SUMMARY REPORT"),
    "attachment": Msg("ATTACHMENT TO THE BERITA ACARA OF PERIODIC NETWORK MAINTENANCE"),
    "attachment_short": Msg("Attachment"),
    "number": Msg("Number"),
    "date": Msg("Date"),
    "started": Msg("Started"),
    "location": Msg("Location"),
    "team": Msg("Executing team"),
    "plan": Msg("Plan reference"),
    "default_plan": Msg("the periodic network maintenance work plan"),
    "basis": Msg("Procedure"),
    "opening_two": Msg("On this day, {date}, at {place}, we the undersigned:"),
    "opening_one": Msg("On this day, {date}, at {place}, the undersigned:"),
    "name": Msg("Name"),
    "nip": Msg("NIP"),
    "jabatan": Msg("Position"),
    "first_party": Msg("FIRST PARTY"),
    "second_party": Msg("SECOND PARTY"),
    "called_first": Msg("hereinafter called the FIRST PARTY."),
    "called_second": Msg("hereinafter called the SECOND PARTY."),
    "called_one": Msg("executing officer of the {team}."),
    "body_opd": Msg(
        "The FIRST PARTY carried out the periodic network maintenance of the network of {place} "
        "according to {plan}, starting at {time}, witnessed by the SECOND PARTY."
    ),
    "body_dc": Msg(
        "The undersigned carried out the periodic network maintenance of the devices of the {place} "
        "according to {plan}, starting at {time}."
    ),
    "tally": Msg("Of {n} checks: {pass} passed, {warn} gave a warning, {fail} failed and {skip} were not checked."),
    "see_attachment": Msg(
        "The check results, the findings and their follow-up, and the configuration changes are set "
        "out in the Attachment, which is an integral part of this Berita Acara."
    ),
    "closing": Msg("This Berita Acara is made truthfully, to be used as appropriate."),
    "summary_closing": Msg("This report is made to be used as appropriate."),
    "summary_opening": Msg(
        "On {date}, the {team} carried out the periodic network maintenance at {n} locations "
        "according to {plan}, starting at {time}. The results per location are summarized below."
    ),
    "known_by": Msg("Acknowledged by,"),
    "made_by": Msg("Prepared by,"),
    "representative_of": Msg("Representative of {place}"),
    "blank_name": Msg("(.........................................)"),
    "blank_nip": Msg(".............................."),
    "blank_jabatan": Msg(".............................."),
    "checks": Msg("Check results"),
    "no": Msg("No"),
    "check": Msg("Check"),
    "device": Msg("Device"),
    "subject": Msg("Subject"),
    "result": Msg("Result"),
    "finding": Msg("Finding"),
    "findings": Msg("Findings and follow-up"),
    "no_findings": Msg("No findings: every check passed."),
    "follow_up": Msg("Follow-up"),
    "changes": Msg("Configuration changes"),
    "no_changes": Msg("No configuration changes."),
    "review": Msg("Review status"),
    "state": Msg("State"),
    "step": Msg("Stage"),
    "signer": Msg("Name"),
    "when": Msg("Time"),
    "not_yet": Msg("not yet"),
    "opd": Msg("Acknowledged by the OPD"),
    "kasi": Msg("Checked by the Head of Section"),
    "kabid": Msg("Forwarded by the Head of Division"),
    "kadis": Msg("Reviewed by the Head of Agency"),
    "totals": Msg("Summary per location"),
    "total": Msg("Total"),
    "page": Msg("Page"),
    "of": Msg("of"),
    "pass": Msg("pass"),
    "warn": Msg("warning"),
    "fail": Msg("fail"),
    "skip": Msg("not checked"),
    "drafted": Msg("draft"),
    "acknowledged": Msg("acknowledged by the OPD"),
    "checked": Msg("checked by the Head of Section"),
    "forwarded": Msg("forwarded by the Head of Division"),
    "reviewed": Msg("reviewed by the Head of Agency"),
    "dc": Msg("Data center"),
}

CHECK_NAMES: dict[str, Msg] = {
    "reach.icmp": Msg("ICMP reachability"),
    "reach.snmp": Msg("SNMP reachability"),
    "reach.ssh": Msg("SSH reachability"),
    "uptime.restart": Msg("Unplanned restart"),
    "link.status": Msg("Link status"),
    "link.errors": Msg("Link errors"),
    "health.cpu": Msg("CPU load"),
    "health.memory": Msg("Memory"),
    "health.disk": Msg("Disk"),
    "clock.skew": Msg("Device clock"),
    "routing.routes": Msg("Routes"),
    "routing.ospf": Msg("OSPF neighbor"),
    "dns.soa": Msg("DNS SOA"),
    "config.backup": Msg("Configuration backup"),
}

BANDWIDTH_TEXT: dict[str, Msg] = {
    "title": Msg("SURVEY OF THE OPDS' BANDWIDTH NEEDS"),
    "period": Msg("Period"),
    "basis": Msg(
        "Basis: {sop}, the survey of each OPD's bandwidth need. "
        "Figures from the pantau agent's 5-minute rollups; 95th percentile of 5-minute periods; "
        "times in {tz}."
    ),
    "summary": Msg("Summary"),
    "opd": Msg("OPD"),
    "link": Msg("Link"),
    "subscribed": Msg("Subscribed (Mbit/s)"),
    "p95_in": Msg("p95 in"),
    "p95_out": Msg("p95 out"),
    "peak": Msg("Peak"),
    "mean": Msg("Mean"),
    "volume": Msg("Volume (GB)"),
    "availability": Msg("Availability"),
    "monitored": Msg("Time monitored"),
    "loss": Msg("Loss p95"),
    "rtt": Msg("RTT p95"),
    "busy": Msg("Hours above 80 %"),
    "full_days": Msg("Full days"),
    "recommendation": Msg("Recommendation"),
    "reason": Msg("Reason"),
    "daily": Msg("Daily 95th percentile against the subscription"),
    "heat": Msg("Utilization per hour and day"),
    "figure": Msg("Figure"),
    "value": Msg("Value"),
    "days": Msg("days"),
    "no_data": Msg("No data for this period: the agent recorded no link that month."),
    "upgrade": Msg("upgrade"),
    "lower": Msg("may be lowered"),
    "keep": Msg("keep"),
    "insufficient-data": Msg("too little data"),
    "no-data": Msg("no data"),
    "page": Msg("Page"),
    "of": Msg("of"),
    "number": Msg("Period"),
}
