"""Configuration precedence: explicit > PANTAU_* environment > pantau.yml > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import EXAMPLE_INVENTORY, load_config
from agent.errors import ConfigError


def test_outside_the_lab_there_is_no_default_inventory_and_a_command_needing_one_says_how_to_set_it() -> None:
    cfg = load_config(None, environ={})
    assert cfg.inventory is None
    assert cfg.database_url == "sqlite:////var/lib/pantau/pantau.db"
    with pytest.raises(ConfigError, match=r"no inventory configured: set .inventory:. in /etc/pantau/pantau\.yml"):
        _ = cfg.inventory_dir


def test_inside_the_lab_its_inventory_and_known_hosts_are_defaults_below_the_file(tmp_path: Path) -> None:
    lab = {"PANTAU_LAB_INVENTORY": str(EXAMPLE_INVENTORY), "PANTAU_LAB_KNOWN_HOSTS": "/run/lab/known_hosts"}
    cfg = load_config(None, environ=lab)
    assert (cfg.inventory_dir, cfg.known_hosts) == (EXAMPLE_INVENTORY, Path("/run/lab/known_hosts"))
    file = tmp_path / "pantau.yml"
    file.write_text("inventory: /etc/pantau/inventory\n")
    assert load_config(file, environ=lab).inventory == Path("/etc/pantau/inventory")
    assert load_config(None, environ={**lab, "PANTAU_INVENTORY": "/srv/inv"}).inventory == Path("/srv/inv")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PANTAU_TIMEZONE", "Asia/Jakrta", "'Asia/Jakrta' is not a time zone; use an IANA name: Asia/Jakarta (WIB)"),
        ("PANTAU_LISTEN", "localhost", "'localhost' is not HOST:PORT; e.g. 127.0.0.1:9469"),
        ("PANTAU_LISTEN", "0.0.0.0:99999", "'0.0.0.0:99999' is not HOST:PORT"),
        ("PANTAU_STORE_URL", "mysql://x", "'mysql' stores are not supported; use sqlite:///PATH or postgresql"),
    ],
)
def test_a_setting_that_cannot_work_is_refused_naming_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={variable: value})
    assert f"{variable}: field '{variable.removeprefix('PANTAU_').lower()}': {message}" in str(caught.value)


@pytest.mark.parametrize("listen", ["127.0.0.1:9469", "0.0.0.0:9469", "[::1]:9469", ":9469", "localhost:9469"])
def test_listen_addresses_in_every_usual_form_are_taken(listen: str) -> None:
    assert load_config(None, environ={"PANTAU_LISTEN": listen}).listen == listen


@pytest.mark.parametrize(
    "value",
    [
        '["http://127.0.0.1:1/a", "http://127.0.0.1:2/b"]',
        "http://127.0.0.1:1/a,http://127.0.0.1:2/b",
        " http://127.0.0.1:1/a , http://127.0.0.1:2/b ",
    ],
)
def test_list_settings_come_from_the_environment_as_json_or_comma_separated(value: str) -> None:
    cfg = load_config(None, environ={"PANTAU_NOTIFY__WEBHOOKS": value, "PANTAU_MAINTENANCE__LANGUAGES": "id,en"})
    assert cfg.notify.webhooks == ["http://127.0.0.1:1/a", "http://127.0.0.1:2/b"]
    assert cfg.maintenance.languages == ["id", "en"]


def test_a_section_comes_from_the_environment_as_json() -> None:
    cfg = load_config(None, environ={"PANTAU_POLL": '{"snmp_interval": 60}'})
    assert cfg.poll.snmp_interval == 60


def test_environment_overrides_file_and_explicit_overrides_environment(tmp_path: Path) -> None:
    file = tmp_path / "pantau.yml"
    file.write_text("listen: 0.0.0.0:9000\npoll:\n  snmp_interval: 60\n  icmp_interval: 20\n")
    env = {"PANTAU_LISTEN": "127.0.0.1:9100", "PANTAU_POLL__SNMP_INTERVAL": "45"}
    cfg = load_config(file, environ=env, overrides={"listen": "127.0.0.1:9200"})
    assert cfg.listen == "127.0.0.1:9200"
    assert cfg.poll.snmp_interval == 45
    assert cfg.poll.icmp_interval == 20


def test_invalid_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"PANTAU_POLL__SNMP_INTERVAL: field 'poll\.snmp_interval'"):
        load_config(None, environ={"PANTAU_POLL__SNMP_INTERVAL": "often"})


def test_unknown_field_in_file_names_the_file(tmp_path: Path) -> None:
    file = tmp_path / "pantau.yml"
    file.write_text("inventroy: /x\n")
    with pytest.raises(ConfigError, match=f"{file}: field 'inventroy'"):
        load_config(file, environ={})


def test_explicit_config_path_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "nope.yml", environ={})


@pytest.mark.parametrize(
    ("line", "days"),
    [
        ("0 2 * * 0", {"Sunday"}),  # crontab's Sunday, APScheduler's Monday
        ("0 2 * * 7", {"Sunday"}),
        ("0 2 * * sun", {"Sunday"}),
        ("0 2 * * 1-5", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}),
        ("0 2 * * 5-7", {"Friday", "Saturday", "Sunday"}),
        ("0 2 * * */2", {"Sunday", "Tuesday", "Thursday", "Saturday"}),
        ("0 2 * * 1,3", {"Monday", "Wednesday"}),
        ("0 2 * * mon-fri", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}),
    ],
)
def test_maintenance_plan_weekdays_mean_what_crontab_means(line: str, days: set[str]) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from agent.schedule import crontab

    trigger = crontab(line, "Asia/Jakarta")
    at = datetime(2026, 11, 30, 3, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # a Monday, after 02:00
    fired = set()
    for _ in range(7):
        at = trigger.get_next_fire_time(None, at)
        assert (at.hour, at.minute) == (2, 0)
        fired.add(at.strftime("%A"))
        at = at.replace(minute=1)
    assert fired == days


@pytest.mark.parametrize("line", ["0 2 * *", "0 2 * * 8", "0 2 * * 5-2", "0 25 * * 0", "0 2 * * 1-fri"])
def test_maintenance_plan_that_is_not_a_crontab_line_is_refused_by_the_config(line: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a cron expression"):
        load_config(None, overrides={"maintenance": {"schedule": line}, "state_dir": tmp_path})


def test_pantau_variables_that_are_not_settings_are_left_alone() -> None:
    env = {"PANTAU_OPERATOR": "budi", "PANTAU_KNOWN_HOSTS": "/etc/ssh/known", "PANTAU_SNMP_COMMUNITY": "s3cret"}
    config = load_config(None, environ=env)
    assert config.poll.snmp_interval == 30.0


def test_a_mistyped_nested_setting_is_still_an_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="PANTAU_POL__SNMP_INTERVAL"):
        load_config(None, environ={"PANTAU_POL__SNMP_INTERVAL": "60"})


def test_without_a_local_file_the_system_configuration_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    system = tmp_path / "etc-pantau.yml"
    system.write_text("listen: 0.0.0.0:9470\n")
    monkeypatch.chdir(tmp_path)
    assert load_config(None, environ={}, system_config=system).listen == "0.0.0.0:9470"
    (tmp_path / "pantau.yml").write_text("listen: 127.0.0.1:9471\n")
    assert load_config(None, environ={}, system_config=system).listen == "127.0.0.1:9471"


def test_session_cookies_are_secure_by_default_when_the_page_is_reached_over_https() -> None:
    https = {"PANTAU_WEB__EXTERNAL_URL": "https://pantau.kominfo.example"}
    assert load_config(None, environ=https).web.cookies_secure is True
    assert load_config(None, environ={**https, "PANTAU_WEB__SECURE_COOKIES": "false"}).web.cookies_secure is False
    assert load_config(None, environ={"PANTAU_WEB__EXTERNAL_URL": "http://10.0.0.5:9480"}).web.cookies_secure is False
    assert load_config(None, environ={}).web.cookies_secure is False
    with pytest.raises(ConfigError, match="PANTAU_WEB__EXTERNAL_URL"):
        load_config(None, environ={"PANTAU_WEB__EXTERNAL_URL": "pantau.kominfo.example"})
