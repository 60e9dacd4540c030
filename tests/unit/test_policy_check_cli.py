"""``timpora policy check FILE``: routing's own validation, before a deploy (no stack)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from console_service.cli import app

POLICY = Path(__file__).resolve().parents[2] / "routing_service" / "config" / "policy.yaml"


def check(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["policy", "check", str(path)])
    return result.exit_code, result.output


def test_the_shipped_policy_is_ok() -> None:
    code, out = check(POLICY)
    assert code == 0, out
    assert out.startswith(f"OK {POLICY}: ")


def test_a_valid_policy_is_ok_with_its_rule_count(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "version: 1\nrules:\n  - name: drugs\n    match: {category: [narcotics]}\n"
        "    targets: [kecamatan]\n  - name: default\n    targets: [kabupaten]\n"
    )
    code, out = check(path)
    assert (code, out.strip()) == (
        0,
        f"OK {path}: 2 rules, the last ('default') catches all; time zone Asia/Makassar",
    )


def test_an_invalid_policy_prints_every_problem_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "version: 1\nrules:\n  - name: x\n    targets: [kecamatn]\n    bogus: 1\n"
        "  - name: y\n    match: {category: [narcotics]}\n    targets: [kabupaten]\n"
    )
    code, out = check(path)
    assert code == 1
    assert out.startswith(f"INVALID {path}: invalid routing policy")
    assert "rules.0.targets.0:" in out
    assert "rules.0.bogus: unknown key" in out


def test_bad_yaml_and_a_missing_file_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("rules: [unclosed\n")
    assert check(path)[0] == 1
    assert "not valid YAML" in check(path)[1]
    code, out = check(tmp_path / "missing.yaml")
    assert (code, out.strip()) == (
        1,
        f"INVALID {tmp_path / 'missing.yaml'}: cannot be read: No such file or directory",
    )


def test_help_says_what_it_checks_and_what_routing_does_with_a_bad_file() -> None:
    result = CliRunner().invoke(app, ["policy", "check", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "as the routing service does" in result.output
    assert "last good policy" in result.output
