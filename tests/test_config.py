"""Settings: defaults, the YAML file, environment variables and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from nebula.config import load_settings
from nebula.errors import ConfigError


def test_defaults_keep_everything_under_nebula_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    settings = load_settings(environ={})

    assert settings.data_dir == Path("nebula-data")
    assert settings.host == "127.0.0.1"
    assert settings.port == 8080
    assert (
        settings.resolved_database_url == f"sqlite:///{tmp_path / 'nebula-data' / 'nebula.sqlite'}"
    )
    assert settings.resolved_object_store_dir == tmp_path / "nebula-data" / "objects"
    assert settings.resolved_job_working_dir == tmp_path / "nebula-data" / "jobs"


def test_yaml_file_overrides_defaults_and_environment_overrides_yaml(tmp_path: Path) -> None:
    config = tmp_path / "nebula.yml"
    config.write_text("port: 9000\nhost: 0.0.0.0\njob_wall_time: 60\n")

    settings = load_settings(config, environ={"NEBULA_PORT": "9100"})

    assert settings.port == 9100
    assert settings.host == "0.0.0.0"
    assert settings.job_wall_time == 60


def test_data_dir_comes_from_environment(tmp_path: Path) -> None:
    settings = load_settings(environ={"NEBULA_DATA_DIR": str(tmp_path / "elsewhere")})

    assert settings.data_dir == tmp_path / "elsewhere"


def test_nebula_config_variable_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "custom.yml"
    config.write_text("port: 9200\n")

    settings = load_settings(environ={"NEBULA_CONFIG": str(config)})

    assert settings.port == 9200


def test_invalid_value_names_setting_value_and_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ={"NEBULA_PORT": "eighty"})

    message = raised.value.message
    assert "'port'" in message
    assert "'eighty'" in message
    assert "NEBULA_PORT" in message


def test_out_of_range_value_in_yaml_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "nebula.yml"
    config.write_text("port: 70000\n")

    with pytest.raises(ConfigError) as raised:
        load_settings(config, environ={})

    assert "'port' = 70000" in raised.value.message
    assert str(config) in raised.value.message


def test_unknown_setting_in_yaml_is_rejected(tmp_path: Path) -> None:
    config = tmp_path / "nebula.yml"
    config.write_text("prot: 8080\n")

    with pytest.raises(ConfigError) as raised:
        load_settings(config, environ={})

    assert "unknown setting 'prot'" in raised.value.message


def test_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path / "absent.yml", environ={})

    assert "does not exist" in raised.value.message


def test_yaml_that_is_not_a_mapping_is_rejected(tmp_path: Path) -> None:
    config = tmp_path / "nebula.yml"
    config.write_text("- port\n- 8080\n")

    with pytest.raises(ConfigError) as raised:
        load_settings(config, environ={})

    assert "must contain a mapping" in raised.value.message


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = load_settings(environ={"NEBULA_DATA_DIR": str(tmp_path)})

    first = settings.resolved_secret_key()
    second = load_settings(environ={"NEBULA_DATA_DIR": str(tmp_path)}).resolved_secret_key()

    assert first == second
    assert len(first) == 64
