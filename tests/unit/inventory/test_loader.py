"""The inventory loader: every problem reported at once, each with file, line and an actionable message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from inventory.errors import InventoryLoadError
from inventory.loader import load_inventory

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"


@pytest.fixture
def inv_dir(tmp_path: Path) -> Path:
    target = tmp_path / "inv"
    shutil.copytree(EXAMPLE, target)
    return target


def edit(directory: Path, file: str, old: str, new: str, count: int = 1) -> None:
    path = directory / file
    text = path.read_text()
    assert text.count(old) >= count, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, count))


def problems(directory: Path) -> list[str]:
    with pytest.raises(InventoryLoadError) as info:
        load_inventory(directory)
    root = str(directory) + "/"
    return [str(p).removeprefix(root).removeprefix(f"{directory}: ") for p in info.value.problems]


def test_example_inventory_loads_with_every_object() -> None:
    inv = load_inventory(EXAMPLE)
    assert [o.slug for o in inv.opds] == ["dinkes", "disdik", "dishub", "bappeda"]
    assert sorted(link.subscribed_mbps for link in inv.links) == [10, 20, 50, 100]
    assert inv.agency.timezone == "Asia/Jakarta"
    assert inv.device("core").interface("eth1") is not None


def test_undefined_opd_reference_suggests_the_close_slug(inv_dir: Path) -> None:
    edit(inv_dir, "links.yml", "    opd: dinkes\n", "    opd: dinkess\n")
    assert "links.yml:4: link 'dinkes-wan': opd 'dinkess' is not defined (did you mean 'dinkes'?)" in problems(inv_dir)


def test_missing_required_field_is_named_at_the_item_line(inv_dir: Path) -> None:
    edit(inv_dir, "links.yml", "    provider: PT Jaringan Nusantara\n", "")
    assert "links.yml:21: link 'dishub-wan': field 'provider' is required; add it" in problems(inv_dir)


def test_unknown_field_suggests_the_known_one(inv_dir: Path) -> None:
    edit(inv_dir, "opds.yml", "    contact_phone:", "    contact_phon:")
    assert "opds.yml:6: opd 'dinkes': unknown field 'contact_phon' (did you mean 'contact_phone'?)" in problems(inv_dir)


def test_non_positive_subscribed_rate_is_refused(inv_dir: Path) -> None:
    edit(inv_dir, "links.yml", "subscribed_mbps: 20", "subscribed_mbps: 0")
    assert "links.yml:20: link 'disdik-wan': field 'subscribed_mbps': Input should be greater than 0" in problems(
        inv_dir
    )


def test_slug_that_is_not_a_dns_label_is_refused(inv_dir: Path) -> None:
    edit(inv_dir, "opds.yml", "slug: dishub", "slug: Dis_Hub")
    found = problems(inv_dir)
    assert (
        "opds.yml:21: opd 'Dis_Hub': field 'slug': 'Dis_Hub' is not a DNS label; use 1-63 lower-case letters, "
        "digits and inner '-' (e.g. 'dinkes')" in found
    )


def test_duplicate_device_name_points_at_the_first_definition(inv_dir: Path) -> None:
    edit(inv_dir, "devices.yml", "  - name: srv-db1\n", "  - name: srv-app1\n")
    assert (
        "devices.yml:84: device 'srv-app1' is defined twice (first at "
        f"{inv_dir}/devices.yml:75); rename or remove one" in problems(inv_dir)
    )


def test_link_interface_missing_on_its_device_is_reported(inv_dir: Path) -> None:
    edit(inv_dir, "links.yml", "dc: {device: core, interface: eth4}", "dc: {device: core, interface: eth44}")
    assert (
        "links.yml:32: link 'bappeda-wan': device 'core' has no interface 'eth44' (did you mean 'eth4'?)"
        in problems(inv_dir)
    )


def test_overlapping_prefixes_are_refused_unless_declared_within(inv_dir: Path) -> None:
    edit(inv_dir, "prefixes.yml", "prefix: 10.10.99.0/24", "prefix: 10.10.20.128/25")
    assert (
        "prefixes.yml:32: prefix 'nms': 10.10.20.128/25 overlaps prefix 'servers' 10.10.20.0/24 "
        f"({inv_dir}/prefixes.yml:2); fix it, or declare 'within: servers'" in problems(inv_dir)
    )


def test_prefix_declared_within_its_parent_may_overlap(inv_dir: Path) -> None:
    edit(
        inv_dir,
        "prefixes.yml",
        "  - name: nms\n    prefix: 10.10.99.0/24\n",
        "  - name: nms\n    within: servers\n    prefix: 10.10.20.128/25\n",
    )
    edit(inv_dir, "prefixes.yml", "gateway: 10.10.99.1", "gateway: 10.10.20.129")
    assert load_inventory(inv_dir).prefixes


def test_gateway_outside_its_prefix_is_refused(inv_dir: Path) -> None:
    edit(inv_dir, "prefixes.yml", "gateway: 10.10.20.1", "gateway: 10.10.21.1")
    assert (
        "prefixes.yml:5: prefix 'servers': gateway 10.10.21.1 is outside 10.10.20.0/24; use an address inside "
        "the prefix" in problems(inv_dir)
    )


def test_static_address_in_a_reserved_range_is_refused(inv_dir: Path) -> None:
    edit(inv_dir, "prefixes.yml", "address: 10.10.20.12,", "address: 10.10.20.201,")
    assert (
        "prefixes.yml:12: prefix 'servers': static address of 'srv-db1' 10.10.20.201 lies in a reserved range; "
        "move it or shrink the range" in problems(inv_dir)
    )


def test_server_prefix_without_reverse_zone_is_reported(inv_dir: Path) -> None:
    edit(inv_dir, "zones.yml", "name: 113.0.203.in-addr.arpa", "name: 114.0.203.in-addr.arpa")
    assert (
        "prefixes.yml:21: prefix 'public': no reverse zone covers 203.0.113.0/26; add a zone of kind reverse "
        "for its PTR records" in problems(inv_dir)
    )


def test_secret_written_in_clear_is_refused(inv_dir: Path) -> None:
    edit(
        inv_dir,
        "credentials.yml",
        "community: file:../../lab/kominfo/secrets/snmp-community",
        "community: public",
    )
    assert (
        "credentials.yml:14: snmp profile 'lab-v2c': field 'community': secrets are not stored in the inventory; "
        "write a reference 'env:NAME' or 'file:PATH'" in problems(inv_dir)
    )


def test_unknown_credential_profile_reference_is_reported(inv_dir: Path) -> None:
    edit(
        inv_dir,
        "devices.yml",
        "    snmp: lab-v3\n    ssh: lab-vty\n    interfaces:\n      - {name: eth1, address: 10.0.1.1/30",
        "    snmp: lab-v4\n    ssh: lab-vty\n    interfaces:\n      - {name: eth1, address: 10.0.1.1/30",
    )
    assert "devices.yml:9: device 'core': snmp profile 'lab-v4' is not defined (did you mean 'lab-v3'?)" in problems(
        inv_dir
    )


def test_yaml_syntax_error_names_the_line_to_fix_not_the_line_the_parser_stopped_at(inv_dir: Path) -> None:
    (inv_dir / "extra.yml").write_text("sites:\n  - name: a\n    kind: [datacenter\n")
    found = problems(inv_dir)
    assert (
        "extra.yml:3: not valid YAML: did not find expected ',' or ']' (while parsing a flow sequence); fix the syntax"
        in found
    ), found
    (inv_dir / "extra.yml").write_text("zones:\n  - name: a.test\n    kind:reverse\n    primary: 10.0.0.1\n")
    assert any(p.startswith("extra.yml:3: not valid YAML: could not find expected ':'") for p in problems(inv_dir))


def test_one_bad_file_is_the_only_problem_shown_not_its_cascade(inv_dir: Path) -> None:
    with (inv_dir / "opds.yml").open("ab") as f:
        f.write("# Dinas Pariwisata é\n".encode("latin-1"))
    found = problems(inv_dir)
    line = (inv_dir / "opds.yml").read_bytes().count(b"\n")
    assert (
        found[0] == f"opds.yml:{line}: not UTF-8 (byte 0xe9, as Latin-1 or Windows-1252 write); save the file as UTF-8"
    )
    assert found[1:] == ["checks across files are made once every file can be read"]


def test_an_invalid_device_is_reported_once_not_again_by_every_link_to_it(inv_dir: Path) -> None:
    edit(inv_dir, "devices.yml", "mgmt_address: 172.20.20.2\n", "mgmt_address: 172.20.20.300\n")
    assert problems(inv_dir) == [
        "devices.yml:8: device 'core': field 'mgmt_address': '172.20.20.300' is not a valid IP address (IPv4 or IPv6)"
    ]


def test_no_agency_anywhere_is_a_problem_of_the_folder_not_of_some_file(inv_dir: Path) -> None:
    (inv_dir / "agency.yml").unlink()
    assert problems(inv_dir) == ["no file has an 'agency:' section; create agency.yml with agency: name, zone"]


def test_unknown_section_suggests_the_known_one(inv_dir: Path) -> None:
    (inv_dir / "extra.yml").write_text("# more\nprefixs: []\n")
    assert "extra.yml:2: unknown section 'prefixs' (did you mean 'prefixes'?)" in problems(inv_dir)


def test_duplicate_key_in_one_mapping_is_reported(inv_dir: Path) -> None:
    edit(inv_dir, "opds.yml", "    site: kantor-disdik\n", "    site: kantor-disdik\n    site: kantor-dishub\n")
    assert "opds.yml:14: key 'site' appears twice in one mapping; keep one" in problems(inv_dir)


def test_second_agency_section_is_refused(inv_dir: Path) -> None:
    (inv_dir / "zz.yml").write_text("agency:\n  name: X\n  zone: x.test\n")
    assert f"zz.yml:1: a second 'agency:' section (first at {inv_dir}/agency.yml:3); keep one" in problems(inv_dir)


def test_unknown_timezone_is_refused(inv_dir: Path) -> None:
    edit(inv_dir, "agency.yml", "timezone: Asia/Jakarta", "timezone: Asia/Jakrta")
    assert (
        "agency.yml:6: agency: field 'timezone': unknown time zone 'Asia/Jakrta'; use an IANA name such as "
        "'Asia/Jakarta'" in problems(inv_dir)
    )


def test_all_problems_are_reported_together_sorted_by_place(inv_dir: Path) -> None:
    edit(inv_dir, "links.yml", "    opd: dinkes\n", "    opd: dinkess\n")
    edit(inv_dir, "opds.yml", "    contact_phone:", "    contact_phon:")
    edit(inv_dir, "prefixes.yml", "gateway: 10.10.20.1", "gateway: 10.10.21.1")
    found = problems(inv_dir)
    assert len(found) >= 3
    assert [p.split(":")[0] for p in found] == sorted(p.split(":")[0] for p in found)


def test_cpe_of_another_opd_on_a_link_is_refused(inv_dir: Path) -> None:
    edit(
        inv_dir,
        "links.yml",
        "cpe: {device: opd-disdik, interface: eth1}",
        "cpe: {device: opd-dishub, interface: eth1}",
    )
    assert (
        "links.yml:15: link 'disdik-wan': CPE 'opd-dishub' belongs to opd 'dishub', not 'disdik'; fix the link's "
        "opd or the device's" in problems(inv_dir)
    )


def test_file_that_is_not_a_mapping_is_refused(inv_dir: Path) -> None:
    (inv_dir / "list.yml").write_text("- a\n- b\n")
    assert any(p.startswith("list.yml:1: the file must be a mapping of sections") for p in problems(inv_dir))


def test_missing_directory_is_reported_not_raised_as_oserror(tmp_path: Path) -> None:
    with pytest.raises(InventoryLoadError) as info:
        load_inventory(tmp_path / "nope")
    assert "not a directory" in str(info.value)


def test_boolean_or_integer_where_an_address_belongs_is_refused(inv_dir: Path) -> None:
    edit(inv_dir, "prefixes.yml", "gateway: 10.10.20.1", "gateway: false")
    assert (
        "prefixes.yml:5: prefix 'servers': field 'gateway': False is not an IP address or prefix; write it as "
        "text such as 10.10.20.1" in problems(inv_dir)
    )


def test_the_people_who_sign_have_nips_of_18_digits(inv_dir: Path) -> None:
    edit(inv_dir, "agency.yml", 'nip: "199203152019031004"', 'nip: "1992031520190310"')
    [problem] = problems(inv_dir)
    assert problem.startswith("agency.yml:") and "NIP '1992031520190310' must have 18 digits" in problem


def test_a_number_pattern_needs_a_sequence_and_known_placeholders(inv_dir: Path) -> None:
    edit(
        inv_dir,
        "agency.yml",
        'berita_acara: "{kode}/BA-PJB/{seq:03d}/{unit}/{tahun}"',
        'berita_acara: "{kode}/BA/{year}"',
    )
    [problem] = problems(inv_dir)
    assert "unknown placeholder(s) year; use kode, seq, unit, bulan, tahun, lokasi" in problem


def test_the_logo_is_found_beside_the_inventory_from_any_working_directory(
    inv_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_inventory(inv_dir).agency.logo == str((inv_dir / "logo.svg").resolve())


def test_two_opds_of_one_name_are_refused_whatever_their_case_and_spacing(inv_dir: Path) -> None:
    edit(inv_dir, "opds.yml", "name: Dinas Pendidikan dan Kebudayaan", "name: dinas  KESEHATAN")
    found = [p for p in problems(inv_dir) if "already used" in p]
    assert found == [
        f"opds.yml:12: opd 'disdik': name 'dinas  KESEHATAN' is already used by opd 'dinkes' ({inv_dir}/opds.yml:2)"
    ]


def test_two_links_on_one_port_or_one_circuit_are_refused(inv_dir: Path) -> None:
    edit(inv_dir, "links.yml", "dc: {device: core, interface: eth2}", "dc: {device: core, interface: eth1}")
    edit(inv_dir, "links.yml", "circuit_id: TC-2024-0002", "circuit_id: tc-2024-0001")
    found = [p for p in problems(inv_dir) if "already used" in p]
    assert found == [
        f"links.yml:14: link 'disdik-wan': data-center port core eth1 is already used by link 'dinkes-wan' "
        f"({inv_dir}/links.yml:3)",
        f"links.yml:19: link 'disdik-wan': circuit tc-2024-0001 (PT Telekomunikasi Contoh) is already used by "
        f"link 'dinkes-wan' ({inv_dir}/links.yml:3)",
    ]


SWITCHES = (("sw-a", "172.20.20.50", "uplink"), ("sw-b", "172.20.20.51", "uplink"), ("sw-c", "172.20.20.52", "to-core"))


def test_equal_interfaces_of_two_devices_are_one_object_and_unequal_ones_are_not(inv_dir: Path) -> None:
    switches = "".join(
        f"""
  - name: {name}
    role: distribution
    platform: linux
    site: dc-kominfo
    mgmt_address: {address}
    interfaces:
      - {{name: ge-0/0/1}}
      - {{name: ge-0/0/2, description: {uplink}}}
"""
        for name, address, uplink in SWITCHES
    )
    (inv_dir / "devices.yml").write_text((inv_dir / "devices.yml").read_text() + switches)
    inv = load_inventory(inv_dir)
    a, b, c = (inv.device(n) for n in ("sw-a", "sw-b", "sw-c"))
    assert a is not None and b is not None and c is not None
    assert a.interfaces[0] is b.interfaces[0] is c.interfaces[0]  # equal: one object
    assert a.interfaces[1] is b.interfaces[1]
    assert c.interfaces[1] is not a.interfaces[1] and c.interfaces[1].description == "to-core"
    assert [(i.name, i.description) for i in a.interfaces] == [("ge-0/0/1", None), ("ge-0/0/2", "uplink")]


def test_links_of_an_opd_follow_the_inventory_even_in_a_copy_with_other_links() -> None:
    inv = load_inventory(EXAMPLE)
    assert [lk.name for lk in inv.links_of("dinkes")] == ["dinkes-wan"]
    assert inv.links_of("no-such-opd") == ()
    second = inv.links_of("dinkes")[0].model_copy(update={"name": "dinkes-wan2"})
    copy = inv.model_copy(update={"links": (*inv.links, second)})  # carries the original's index with it
    assert [lk.name for lk in copy.links_of("dinkes")] == ["dinkes-wan", "dinkes-wan2"]
    assert [lk.name for lk in inv.links_of("dinkes")] == ["dinkes-wan"]
