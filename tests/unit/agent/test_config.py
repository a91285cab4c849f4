"""Configuration precedence: explicit > PANTAU_* environment > pantau.yml > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import EXAMPLE_INVENTORY, load_config
from agent.errors import ConfigError


def test_defaults_point_at_the_embedded_lab_inventory_and_sqlite_in_state_dir(tmp_path: Path) -> None:
    cfg = load_config(None, environ={})
    assert cfg.inventory == EXAMPLE_INVENTORY
    assert cfg.database_url == "sqlite:////var/lib/pantau/pantau.db"


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
