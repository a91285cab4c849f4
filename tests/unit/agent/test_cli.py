"""The CLI as staff use it: exit codes, all problems on stderr, JSON for tools, the editor schema."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
import yaml

from agent import __version__
from agent.cli import global_options
from agent.daemon import serve_http
from agent.errors import AgentError
from inventory.loader import load_inventory
from store.allocations import Allocations
from store.engine import open_store

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"


def pantau(*args: str) -> subprocess.CompletedProcess[str]:
    """pantau in English: the messages these tests read are raised in English (Indonesian: below)."""
    argv = [sys.executable, "-m", "agent", "--lang", "en", *args]
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def test_validate_example_exits_zero_with_summary() -> None:
    result = pantau("inventory", "validate", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert "inventory OK" in result.stdout


def test_validate_broken_copy_exits_two_listing_every_problem_without_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "inv"
    shutil.copytree(EXAMPLE, broken)
    links = broken / "links.yml"
    links.write_text(links.read_text().replace("opd: dinkes\n", "opd: dinkess\n").replace("eth4}", "eth9}"))
    result = pantau("inventory", "validate", str(broken))
    assert result.returncode == 2
    assert f"{broken}/links.yml:4: link 'dinkes-wan': opd 'dinkess' is not defined" in result.stderr
    assert f"{broken}/links.yml:32: link 'bappeda-wan': device 'core' has no interface 'eth9'" in result.stderr
    assert "Traceback" not in result.stderr


def test_show_at_80_columns_cuts_nothing_and_keeps_each_circuit_id_whole() -> None:
    argv = [sys.executable, "-m", "agent", "--lang", "en", "inventory", "show", str(EXAMPLE)]
    result = subprocess.run(argv, capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "…" not in result.stdout  # rich's default cut the circuit to "TC-202…" here
    for circuit in ("TC-2024-0001", "TC-2024-0002", "JN-77-1203", "JN-77-1204"):
        assert circuit in result.stdout


def test_show_json_lists_opds_with_slugs_and_every_section() -> None:
    result = pantau("inventory", "show", str(EXAMPLE), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [o["slug"] for o in data["opds"]] == ["dinkes", "disdik", "dishub", "bappeda"]
    assert {"opds", "devices", "links", "prefixes", "zones"} <= set(data)


def test_show_json_never_contains_secret_material() -> None:
    """Neither a secret's value, nor where it is kept, nor a credential profile's fields, anywhere in the
    output (text and JSON)."""
    secrets = EXAMPLE.parents[1] / "lab" / "kominfo" / "secrets"
    values = [f.read_text().strip() for f in sorted(secrets.iterdir()) if f.name != "README.md"]
    assert len(values) == 4 and all(values)  # the community, SNMPv3 keys and TSIG secret the example refers to
    for args in (("--json",), ()):
        result = pantau("inventory", "show", str(EXAMPLE), *args)
        assert result.returncode == 0, result.stderr
        out = result.stdout + result.stderr
        leaked = [v for v in values if v in out]
        leaked += [w for w in ("auth_key", "priv_key", "community", "secrets/", "id_ed25519") if w in out]
        assert leaked == [], args
    named = pantau("inventory", "show", str(EXAMPLE), "--json").stdout
    assert '"snmp": "lab-v3"' in named  # a device names its profile; the profile is never opened


def test_schema_accepts_every_example_file_and_rejects_an_unknown_field(tmp_path: Path) -> None:
    result = pantau("inventory", "schema", "--output", str(tmp_path / "schema.json"))
    assert result.returncode == 0, result.stderr
    schema = json.loads((tmp_path / "schema.json").read_text())
    for file in sorted(EXAMPLE.glob("*.yml")):
        jsonschema.validate(yaml.safe_load(file.read_text()), schema)
    bad = {"links": [{"name": "x", "provder": "y"}]}
    try:
        jsonschema.validate(bad, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("schema must reject unknown fields")


def test_missing_config_file_is_a_clear_error_naming_what_set_it() -> None:
    result = pantau("inventory", "show", "--config", "/nonexistent/pantau.yml")
    assert result.returncode == 2
    assert "no such configuration file; check the path or drop --config" in result.stderr
    assert "Traceback" not in result.stderr
    by_variable = run_env({"PANTAU_CONFIG": "/nonexistent/pantau.yml"}, "inventory", "show")
    assert by_variable.returncode == 2
    assert "/nonexistent/pantau.yml: no such configuration file; check the path or drop PANTAU_CONFIG" in (
        by_variable.stderr
    )


def test_a_store_that_fails_under_a_command_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    add = [sys.executable, "-m", "agent", "user", "add", "ani", "--role", "viewer", "--password-stdin"]
    made = subprocess.run([*add, "--state-dir", str(tmp_path)], input="kata-sandi-panjang\n", text=True, check=False)
    assert made.returncode == 0 and pantau("runs", "list", "--state-dir", str(tmp_path)).returncode == 0
    with sqlite3.connect(tmp_path / "pantau.db") as db:  # damaged behind pantau's back, schema version intact
        db.execute("DROP TABLE playbook_runs")
    result = pantau("runs", "list", "--state-dir", str(tmp_path))
    assert result.returncode == 1
    assert "error: the store failed: no such table: playbook_runs" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_listed_command_resolves_to_its_module_and_the_lab_comes_by_entry_point() -> None:
    import typer

    from agent.cli import COMMANDS, root

    group = root()
    ctx = typer.Context(group)
    names = group.list_commands(ctx)
    assert names == [*COMMANDS, "lab"]
    for name in names:
        command = group.get_command(ctx, name)
        assert command is not None and command.name == name
    assert group.get_command(ctx, "no-such-command") is None


def test_inventory_commands_start_without_the_store_or_snmp() -> None:
    code = "import sys, agent.cli.inventory; print(any(m in sys.modules for m in ('sqlalchemy', 'pysnmp', 'lab')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def run_env(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    return subprocess.run(
        [sys.executable, "-m", "agent", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**clean, "PANTAU_LANG": "en", **env},
    )


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({}, ("inventory", "schema", "-o", "/nonexistent/dir/x.json"), "cannot write /nonexistent/dir/x.json: No such"),
        ({"PANTAU_TIMEZONE": "Asia/Jakrta"}, ("runs", "list"), "'Asia/Jakrta' is not a time zone"),
        ({"PANTAU_STATE_DIR": "/dev/null/x"}, ("user", "remove", "x"), "cannot create the store /dev/null/x/pantau.db"),
        ({"PANTAU_STORE_URL": "mysql://x"}, ("runs", "list"), "'mysql' stores are not supported"),
        (
            {"PANTAU_STORE_URL": "postgresql+pg8000://x@127.0.0.1/x"},
            ("runs", "list"),
            "needs the Python module 'pg8000'",
        ),
        ({"PANTAU_LISTEN": "localhost"}, ("run",), "'localhost' is not HOST:PORT"),
        ({}, ("run",), "no inventory configured: set 'inventory:' in /etc/pantau/pantau.yml (pantau init"),
    ],
)
def test_a_user_error_is_one_clear_line_and_exit_2_never_a_traceback(
    tmp_path: Path, env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    result = run_env({"PANTAU_STATE_DIR": str(tmp_path / "state"), **env}, *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        (
            {},
            ("ticket", "list", "--month", "2026-13"),
            "galat: --month 2026-13: bulan itu tidak ada; tulis sebagai YYYY-MM",
        ),
        (
            {"PANTAU_TIMEZONE": "Asia/Jakrta"},
            ("runs", "list"),
            "galat: konfigurasi tidak sah:\nPANTAU_TIMEZONE: isian 'timezone': 'Asia/Jakrta' bukan zona waktu",
        ),
        ({}, ("run",), "galat: belum ada inventaris: isi 'inventory:' di /etc/pantau/pantau.yml"),
        (
            {},
            ("triage", "nosuch", "-i", str(EXAMPLE)),
            "galat: 'nosuch' bukan OPD dengan link WAN maupun alamatnya di inventaris; OPD dengan link WAN: dinkes",
        ),
    ],
)
def test_bahasa_indonesia_is_the_default_language_of_errors(
    tmp_path: Path, env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    result = run_env({"PANTAU_LANG": "id", "PANTAU_STATE_DIR": str(tmp_path / "state"), **env}, *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_one_switch_chooses_the_language_flag_over_environment_over_file(tmp_path: Path) -> None:
    (tmp_path / "pantau.yml").write_text("lang: en\n")
    month = ("ticket", "list", "--month", "2026-13", "--state-dir", str(tmp_path / "state"))
    base = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}

    def stderr(*args: str, **env: str) -> str:
        argv = [sys.executable, "-m", "agent", *args]
        run = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=tmp_path, env={**base, **env})
        return run.stderr

    assert stderr(*month).startswith("error: --month 2026-13: there is no such month")  # lang: en in ./pantau.yml
    assert stderr(*month, PANTAU_LANG="id").startswith("galat: --month 2026-13: bulan itu tidak ada")
    assert stderr("--lang", "en", *month, PANTAU_LANG="id").startswith("error: ")
    assert "--lang fr: choose id (Bahasa Indonesia) or en" in stderr("--lang", "fr", *month)
    assert "PANTAU_LANG fr: choose id (Bahasa Indonesia) or en" in stderr(*month, PANTAU_LANG="fr")  # its source
    elsewhere = tmp_path / "etc" / "other.yml"
    elsewhere.parent.mkdir()
    elsewhere.write_text("lang: id\n")
    assert stderr(*month, "--config", str(elsewhere)).startswith("galat: --month 2026-13")  # the file it is given
    assert stderr(*month, f"--config={elsewhere}").startswith("galat: ")


def test_version_flag_prints_the_version_the_changelog_describes() -> None:
    result = pantau("--version")
    assert result.returncode == 0
    assert result.stdout == f"pantau {__version__}\n"
    changelog = (Path(__file__).resolve().parents[3] / "CHANGELOG.md").read_text()
    assert f"\n## {__version__} - " in changelog


def test_a_busy_listen_port_is_a_clear_error_naming_the_address() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        listen = f"127.0.0.1:{held.getsockname()[1]}"
        with pytest.raises(AgentError, match=f"cannot listen on {listen}: Address already in use; is another agent"):
            serve_http(listen, lambda _environ, _start: [b""])


def test_validate_warns_of_each_secret_that_cannot_be_read_and_strict_refuses(tmp_path: Path) -> None:
    copy = tmp_path / "inv"
    shutil.copytree(EXAMPLE, copy)  # relative file: references now point nowhere
    creds = copy / "credentials.yml"  # and the lab's SSH key, which exists while a lab is up, nowhere either
    creds.write_text(creds.read_text().replace("file:/run/pantau-lab/kominfo/ssh/id_ed25519", "file:keys/id_ed25519"))
    result = pantau("inventory", "validate", str(copy))
    assert result.returncode == 0
    assert (
        "warning: snmp profile 'lab-v3', auth_key: secret file:../../lab/kominfo/secrets/snmpv3-auth: cannot read"
        in (result.stderr)
    )
    assert "inventory OK (7 secret warning(s) above)" in result.stdout
    strict = pantau("inventory", "validate", "--strict", str(copy))
    assert strict.returncode == 2
    assert "error: tsig profile 'lab-ddns', secret:" in strict.stderr
    assert "7 secret(s) cannot be read (--strict)" in strict.stderr
    as_json = json.loads(pantau("inventory", "validate", "--json", str(copy)).stdout)
    assert as_json["ok"] is True and len(as_json["secret_problems"]) == 7
    assert "lab-v3" in as_json["secret_problems"][0]["where"]


def test_a_command_that_only_reads_makes_no_store_and_says_where_it_looked(tmp_path: Path) -> None:
    state = tmp_path / "state"
    for args in (
        ("runs", "list"), ("runs", "show", "1"), ("ticket", "list"), ("ticket", "show", "1"), ("user", "list"),
        ("targets",), ("report", "list"), ("maintenance", "list"), ("report", "sla", "--month", "2026-11"),
        ("ipam", "show", "-i", str(EXAMPLE)), ("ipam", "conflicts", "list", "-i", str(EXAMPLE)),
        ("bandwidth", "plan", "--month", "2026-11", "-i", str(EXAMPLE)),
        ("report", "bandwidth", "--month", "2026-11", "-i", str(EXAMPLE)),
    ):  # fmt: skip
        result = run_env({"PANTAU_STATE_DIR": str(state)}, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert f"no store at {state / 'pantau.db'}: nothing has been recorded there yet" in result.stderr, args
        assert "PANTAU_STATE_DIR, --state-dir" in result.stderr
    assert not state.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ("--lang", "en", "ticket", "list", "--month", "2026-13"),
        ("ticket", "list", "--month", "2026-13", "--lang", "en"),
        ("ticket", "--lang=en", "list", "--month", "2026-13"),
        ("-c", "{config}", "ticket", "list", "--month", "2026-13"),  # the file says lang: en
        ("ticket", "list", "--month", "2026-13", "-c", "{config}"),
        ("--config={config}", "ticket", "list", "--month", "2026-13"),
    ],
)
def testglobal_options_are_taken_before_or_after_the_command(tmp_path: Path, argv: tuple[str, ...]) -> None:
    (tmp_path / "pantau.yml").write_text(f"lang: en\nstate_dir: {tmp_path / 'state'}\n")
    args = [a.replace("{config}", str(tmp_path / "pantau.yml")) for a in argv]
    result = run_lang_free(tmp_path, *args)
    assert result.returncode == 2
    assert result.stderr.startswith("error: --month 2026-13: there is no such month"), result.stderr


def run_lang_free(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``pantau ARGS`` with no PANTAU_ variable (the language from the flag or the file alone)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    argv = [sys.executable, "-m", "agent", *args]
    return subprocess.run(argv, capture_output=True, text=True, check=False, cwd=tmp_path, env=env)


def test_a_commands_own_lang_option_is_left_to_it() -> None:
    # the maintenance reports take --lang as their languages (repeated): not the CLI's
    own = ["maintenance", "run", "--lang", "en", "--lang", "id"]
    assert global_options(["--lang", "en", *own]) == (own, "en")
    assert global_options(own) == (own, None)
    assert global_options(["runs", "list", "--lang", "en", "--", "--lang"]) == (["runs", "list", "--", "--lang"], "en")


def state_args(tmp_path: Path) -> tuple[str, ...]:
    return ("--state-dir", str(tmp_path / "state"))


def agents_store(tmp_path: Path) -> None:
    """The store in ``state_args``' folder, as the agent makes it when it starts (empty)."""
    open_store(f"sqlite:///{tmp_path / 'state' / 'pantau.db'}").dispose()


def test_an_impossible_month_is_refused_not_an_empty_table(tmp_path: Path) -> None:
    result = pantau("ticket", "list", "--month", "2026-13", *state_args(tmp_path))
    assert result.returncode == 2
    assert "--month 2026-13: there is no such month" in result.stderr


def test_maintenance_of_an_unknown_opd_cannot_be_scheduled(tmp_path: Path) -> None:
    agents_store(tmp_path)
    args = ("maintenance", "schedule", "--at", "2099-01-01 02:00", "--opd", "nosuch", "-i", str(EXAMPLE))
    result = pantau(*args, *state_args(tmp_path))
    assert result.returncode == 2
    assert "unknown location(s) nosuch; locations: " in result.stderr and "pusat-data" in result.stderr
    listed = json.loads(pantau("maintenance", "list", "--json", *state_args(tmp_path)).stdout)
    assert listed["scheduled"] == []  # nothing half-done


def test_an_unknown_location_in_the_plan_stops_the_agent_at_start_naming_the_setting(tmp_path: Path) -> None:
    result = run_env(
        {"PANTAU_MAINTENANCE__LOCATIONS": "dinkes,nosuch"}, "run", "-i", str(EXAMPLE), *state_args(tmp_path)
    )
    assert result.returncode == 2
    assert "maintenance.locations: unknown location(s) nosuch" in result.stderr


def test_ticket_steps_report_their_timing_as_json_and_list_shows_local_time(tmp_path: Path) -> None:
    opened = pantau(
        "ticket",
        "open",
        "internet putus",
        "--opd",
        "dinkes",
        "--channel",
        "phone",
        "--reporter",
        "Pak Joko",
        "-i",
        str(EXAMPLE),
        "--json",
        *state_args(tmp_path),
    )
    assert opened.returncode == 0, opened.stderr
    ticket = json.loads(opened.stdout)["ticket"]
    assigned = json.loads(
        pantau("ticket", "assign", str(ticket), "--to", "Andi", "--json", *state_args(tmp_path)).stdout
    )
    assert assigned["step"] == "assign" and assigned["sop"] == "SOP 15 langkah 2"
    assert assigned["allowance_seconds"] == 600 and assigned["breached"] is False
    listed = pantau("ticket", "list", *state_args(tmp_path))
    assert " WIB" in listed.stdout  # the agency's time, as runs list shows it
    shown = json.loads(pantau("ticket", "show", str(ticket), "--json", *state_args(tmp_path)).stdout)
    assert shown["opened_at"].endswith("+00:00")  # JSON keeps UTC, for tools


def test_a_bandwidth_survey_of_a_month_without_data_says_so_for_every_link(tmp_path: Path) -> None:
    agents_store(tmp_path)
    args = ("report", "bandwidth", "--month", "2026-11", "-i", str(EXAMPLE), *state_args(tmp_path))
    data = json.loads(pantau(*args, "--json").stdout)
    assert [r["link"] for r in data["links"]] == ["dinkes-wan", "disdik-wan", "dishub-wan", "bappeda-wan"]
    assert {(r["recommendation"], r["monitored_seconds"], r["availability"]) for r in data["links"]} == {
        ("no-data", 0.0, None)
    }
    assert "no data for 2026-11: the agent recorded no link that month" in pantau(*args).stdout
    written = json.loads(pantau(*args, "--json", "--output", str(tmp_path / "out")).stdout)["paths"]
    assert [Path(p).name for p in written] == [f"survei-bandwidth-2026-11.en.{f}" for f in ("md", "html", "pdf")]
    document = Path(written[0]).read_text()
    assert "No data for this period: the agent recorded no link that month." in document
    assert "The link has no monitoring data that month." in document  # each link's reason
    wrong = pantau(*args, "--opd", "nosuch")
    assert wrong.returncode == 2 and "--opd 'nosuch' is not an OPD of the inventory" in wrong.stderr


def test_the_sla_report_of_a_month_counts_the_tickets_the_cli_opened(tmp_path: Path) -> None:
    args = ("-i", str(EXAMPLE), *state_args(tmp_path))
    opened = pantau(
        "ticket", "open", "putus", "--opd", "disdik", "--channel", "phone", "--reporter", "x", "--json", *args
    )
    ticket = json.loads(opened.stdout)["ticket"]
    assert pantau("ticket", "assign", str(ticket), "--to", "Andi", *state_args(tmp_path)).returncode == 0
    shown = json.loads(pantau("ticket", "show", str(ticket), "--json", *state_args(tmp_path)).stdout)
    month = datetime.fromisoformat(shown["opened_at"]).astimezone(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m")
    report = json.loads(pantau("report", "sla", "--month", month, "--json", *args).stdout)
    assert report["per_opd"] == {"disdik": {"total": 1, "resolved": 0}}
    assert report["restore"] == {"count": 0, "median_minutes": None, "p90_minutes": None}
    empty = pantau("report", "sla", "--month", "2020-01", *args)
    assert empty.returncode == 0 and "no tickets in 2020-01" in empty.stdout
    old_name = pantau("ticket", "report", "--month", month, "--output", str(tmp_path / "out"), *args)
    assert old_name.returncode == 0 and "is now pantau report sla" in old_name.stderr, old_name.stderr
    assert "disdik" in old_name.stdout and sorted(p.suffix for p in (tmp_path / "out").iterdir()) == [
        ".html",
        ".md",
        ".pdf",
    ]


def test_users_are_added_with_a_role_listed_without_their_hash_and_removed(tmp_path: Path) -> None:
    def user(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "agent", "--lang", "en", "user", *args, *state_args(tmp_path)]
        return subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)

    added = user("add", "andi", "--role", "technician", "--password-stdin", stdin="sebuah-kata-sandi\n")
    assert added.returncode == 0 and "user andi added as technician" in added.stdout
    again = user("add", "andi", "--role", "viewer", "--password-stdin", stdin="sebuah-kata-sandi\n")
    assert again.returncode == 2 and "user 'andi' exists" in again.stderr
    short = user("add", "budi", "--role", "viewer", "--password-stdin", stdin="pendek\n")
    assert short.returncode == 2 and "use at least 10" in short.stderr
    wrong_role = user("add", "budi", "--role", "admin", "--password-stdin", stdin="sebuah-kata-sandi\n")
    assert wrong_role.returncode == 2 and "choose one of viewer, technician, kasi, kabid, kadis" in wrong_role.stderr
    listed = user("list", "--json")
    assert [(u["name"], u["role"]) for u in json.loads(listed.stdout)] == [("andi", "technician")]
    assert "$2b$" not in listed.stdout and "sebuah" not in listed.stdout
    assert user("remove", "andi").returncode == 0 and json.loads(user("list", "--json").stdout) == []
    missing = user("remove", "andi")
    assert missing.returncode == 2 and "no user 'andi'" in missing.stderr


def test_a_password_is_never_asked_for_without_a_terminal_and_its_rule_reads_in_indonesian(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "agent", "user", "add", "carol", "--role", "viewer", *state_args(tmp_path)]
    env = {**os.environ, "PANTAU_LANG": "en"}
    no_tty = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False, env=env)
    assert no_tty.returncode == 2 and "no terminal to ask the password on" in no_tty.stderr, no_tty.stderr
    assert "--password-stdin" in no_tty.stderr and "Warning" not in no_tty.stderr  # getpass's echo warning
    env["PANTAU_LANG"] = "id"
    short = subprocess.run(
        [*argv, "--password-stdin"], input="pendek\n", capture_output=True, text=True, check=False, env=env
    )
    assert short.returncode == 2 and "kata sandi hanya 6 karakter" in short.stderr, short.stderr


def test_a_yaml_error_in_the_configuration_is_one_line_naming_the_place(tmp_path: Path) -> None:
    config = tmp_path / "pantau.yml"
    config.write_text("lang: en\nweb: {listen: 127.0.0.1:9480\nstate_dir: /tmp\n")
    result = pantau("runs", "list", "--config", str(config))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {config}:2: not valid YAML:") and line.endswith("; fix the syntax"), line


def test_validate_without_an_inventory_asks_for_the_folder_it_takes(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yml"
    empty.write_text("lang: en\n")
    result = run_env({}, "inventory", "validate", "-c", str(empty))
    assert result.returncode == 2, result.stderr
    assert (
        f"no inventory to check: give its folder (pantau inventory validate FOLDER) or set 'inventory:' in {empty}"
        in (result.stderr)
    )
    assert "--inventory" not in result.stderr  # validate has no such option


def test_opd_remove_is_refused_while_the_opds_servers_hold_addresses(tmp_path: Path) -> None:
    servers = next(p for p in load_inventory(EXAMPLE).prefixes if p.name == "servers")
    Allocations(open_store(f"sqlite:///{tmp_path / 'pantau.db'}")).allocate(
        servers, "srv-dinkes", "dinkes", None, "test", None
    )
    refused = pantau("--lang", "en", "opd", "remove", "dinkes", "--state-dir", str(tmp_path), "-i", str(EXAMPLE))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "OPD dinkes still has colocated servers with addresses (srv-dinkes 10.10.20.10)" in refused.stderr
    assert "--force" in refused.stderr


def test_validate_warns_when_no_uplink_is_declared_naming_the_alert_that_cannot_fire(tmp_path: Path) -> None:
    assert "no uplink" not in pantau("inventory", "validate", str(EXAMPLE)).stderr
    copy = tmp_path / "inv"
    shutil.copytree(EXAMPLE, copy)
    prefixes = copy / "prefixes.yml"
    line = "  - {name: upstream-p2p, prefix: 100.64.0.0/30, purpose: p2p}\n"
    assert line in prefixes.read_text()
    prefixes.write_text(prefixes.read_text().replace(line, ""))
    result = pantau("--lang", "en", "inventory", "validate", str(copy))
    assert result.returncode == 0, result.stderr  # a warning: the inventory is usable
    assert f"warning: {copy}: no uplink:" in result.stderr and "PantauUpstreamDown can never fire" in result.stderr
    as_json = json.loads(pantau("inventory", "validate", "--json", str(copy)).stdout)
    assert len(as_json["warnings"]) == 1


def test_alerts_rules_link_each_runbook_on_the_page_and_name_the_setting_when_it_is_missing(tmp_path: Path) -> None:
    written = pantau("alerts", "rules", "--external-url", "https://pantau.kominfo.example")
    assert written.returncode == 0, written.stderr
    urls = [line.split('"')[1] for line in written.stdout.splitlines() if "runbook_url:" in line]
    assert len(urls) == 17 and all(u.startswith("https://pantau.kominfo.example/runbooks/Pantau") for u in urls)
    config = tmp_path / "pantau.yml"
    config.write_text("web:\n  external_url: https://status.pemkot.example/pantau\n")
    from_config = pantau("alerts", "rules", "-c", str(config))
    assert "https://status.pemkot.example/pantau/runbooks/PantauOpdLinkDown" in from_config.stdout
    config.write_text("web:\n  listen: 127.0.0.1:9480\n")
    missing = pantau("--lang", "en", "alerts", "rules", "-c", str(config))
    assert missing.returncode == 2 and "set web.external_url in" in missing.stderr and "Traceback" not in missing.stderr
