"""The floor plan holds: SQL only in store/, module and function sizes, function-local imports, message
templates the catalogs can find. Reads the source tree (no network). The import layers themselves are
import-linter's (``make lint``)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("agent", "core", "store", "collectors", "platforms", "playbooks", "inventory", "exporters", "i18n", "lab")
PRODUCT = tuple(p for p in PACKAGES if p != "lab")
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80
MAX_LOCAL_IMPORTS = (
    24  # +3 for the composition root (store, triage, playbook runner when asked), +1 rich_utils (help only)
)
REASON = "# size:"


def sources() -> Iterator[tuple[Path, str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "versions" in path.parts:
                continue  # migrations: a frozen history of the schema, written once and never edited
            text = path.read_text(encoding="utf-8")
            yield path.relative_to(ROOT), text, ast.parse(text)


def imported(tree: ast.AST) -> Iterator[tuple[ast.stmt, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node, node.module


def functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_sqlalchemy_is_imported_only_by_the_store() -> None:
    outside = [
        f"{path}:{node.lineno}"
        for path, _, tree in sources()
        if path.parts[0] != "store"
        for node, module in imported(tree)
        if module.split(".")[0] in ("sqlalchemy", "alembic")
    ]
    assert outside == []


#: what reads configuration, loads the inventory or opens the store: only the composition root calls them
OPENERS = ("load_config", "load_inventory", "open_store")


def test_only_the_composition_root_reads_config_loads_the_inventory_or_opens_the_store() -> None:
    callers = [
        f"{path}:{node.lineno} {name}"
        for path, _, tree in sources()
        if path.parts[0] in PRODUCT and path != Path("agent/wiring.py")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and (name := getattr(node.func, "id", getattr(node.func, "attr", ""))) in OPENERS
    ]
    assert callers == []


def silent_module(text: str) -> bool:
    """Over the module size, with no reason in its first 30 lines."""
    lines = text.splitlines()
    return len(lines) > MAX_MODULE_LINES and REASON not in "\n".join(lines[:30])


def silent_functions(text: str, tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The functions over the function size with no reason in the two lines above them (or their decorators)."""
    lines = text.splitlines()
    silent = []
    for fn in functions(tree):
        first = min([fn.lineno, *(d.lineno for d in fn.decorator_list)])
        too_long = fn.end_lineno is not None and fn.end_lineno - fn.lineno + 1 > MAX_FUNCTION_LINES
        if too_long and REASON not in "\n".join(lines[max(0, first - 3) : first - 1]):
            silent.append(fn)
    return silent


def test_modules_over_450_lines_say_why_at_their_top() -> None:
    silent = [f"{path} ({len(text.splitlines())} lines)" for path, text, _ in sources() if silent_module(text)]
    assert silent == []


def test_functions_over_80_lines_say_why_just_above() -> None:
    silent = [f"{path}:{fn.lineno} {fn.name}" for path, text, tree in sources() for fn in silent_functions(text, tree)]
    assert silent == []


def test_function_local_imports_are_few_and_each_gives_its_reason() -> None:
    local = []
    for path, text, tree in sources():
        lines = text.splitlines()
        for fn in functions(tree):
            for node, _ in imported(fn):
                local.append((f"{path}:{node.lineno}", lines[node.lineno - 1]))
    assert len(dict(local)) <= MAX_LOCAL_IMPORTS, [where for where, _ in local]
    unexplained = [where for where, line in local if "# noqa: PLC0415 (" not in line]
    assert unexplained == []


def test_a_size_reason_marker_is_found_where_the_rules_look() -> None:
    # the checks above can fail: what is too long without its reason is reported, with it (or short) is not
    body = "    x = 1\n" * 90
    for text, reported in [
        (f"def f():\n{body}", ["f"]),
        (f"def short():\n    return 1\n\n\ndef f():\n{body}", ["f"]),
        (f"{REASON} one table of rules\ndef f():\n{body}", []),
        (f"{REASON} one table of rules\n@decorated\ndef f():\n{body}", []),  # above its decorator
        (f"{REASON} too far above\n\n\ndef f():\n{body}", ["f"]),
    ]:
        assert [fn.name for fn in silent_functions(text, ast.parse(text))] == reported, text[:40]
    assert silent_module("x = 1\n" * (MAX_MODULE_LINES + 1))
    assert not silent_module(f'"""A long module.\n\n{REASON} the rules of one table\n"""\n' + "x = 1\n" * 500)
    assert not silent_module("x = 1\n" * MAX_MODULE_LINES)


def test_message_templates_are_plain_literals_the_catalogs_can_find() -> None:
    """``Msg("…", field=…)`` and ``tr("…")``: an f-string or a variable as the template would be a message
    no catalog holds (``make catalogs`` reads the literals)."""
    computed = [
        f"{path}:{node.lineno}"
        for path, _, tree in sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) in ("Msg", "tr")
        and not (node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))
    ]
    assert computed == []


#: the errors staff read (the CLI and the page show them in the user's language)
USER_ERRORS = {
    "ConfigError", "AgentError", "PlaybookError", "RunError", "IpamError", "NotFound", "RuleError", "StoreUnusable",
    "StoreError", "DnsError", "DnsConflict", "ParseError", "ProbeError", "DeviceMisbehaves", "SnmpError", "SshError",
    "DnsQueryError", "CollectorError", "Forbidden",
}  # fmt: skip


def test_user_errors_carry_a_message_template_not_finished_text() -> None:
    """A user error raised with an f-string or a plain string would reach the user in English only: each
    carries an ``i18n.Msg`` (or a name holding one). The SNMP codec's own errors are below the user."""
    plain = [
        f"{path}:{node.lineno}"
        for path, _, tree in sources()
        if path.parts[0] in PRODUCT and path != Path("collectors/snmp_wire.py")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)  # raised there or built to be raised later
        and getattr(node.func, "id", None) in USER_ERRORS
        and node.args
        and isinstance(node.args[0], ast.JoinedStr | ast.Constant)
    ]
    assert plain == []
