"""The region commands say in Russian what is missing or wrong, and change nothing."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from tests.conftest import BACKENDS
from tests.region.conftest import region_url  # noqa: F401  (fixture)


def test_a_region_command_without_a_database_names_the_option() -> None:
    result = CliRunner().invoke(app, ["region", "plan"], env={"SVERKA_REGION_URL": ""})
    assert result.exit_code == 1
    assert "не указана база региона" in result.output and "--region" in result.output


def test_a_sqlite_region_is_refused() -> None:
    result = CliRunner().invoke(app, ["region", "status", "--region", "sqlite:///x.sqlite"])
    assert result.exit_code == 1
    assert "должно быть базой PostgreSQL" in result.output


if "postgresql" in BACKENDS:

    def test_bad_institution_code_and_bad_plan_are_refused_before_anything_is_written(
        region_url: str,
        tmp_path: Path,
    ) -> None:
        config = tmp_path / "school.toml"
        config.write_text(
            '[netschool]\nurl = "http://127.0.0.1:9"\nschool_id = 5\nlogin = "zavuch"\n'
            'timezone = "Asia/Barnaul"\n',
            encoding="utf-8",
        )
        runner = CliRunner()
        bad_code = runner.invoke(
            app, ["region", "add", "Школа №1", "--config", str(config), "--region", region_url]
        )
        assert bad_code.exit_code == 1 and "код организации" in bad_code.output
        bad_plan = runner.invoke(
            app,
            [
                "region",
                "add",
                "s1",
                "--config",
                str(config),
                "--cron",
                "0 3 * * 1-5",
                "--region",
                region_url,
            ],
        )
        assert bad_plan.exit_code == 1 and "через полночь" in bad_plan.output
        listed = runner.invoke(app, ["region", "plan", "--region", region_url])
        assert listed.exit_code == 0 and "s1" not in listed.output
