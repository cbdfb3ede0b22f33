from pathlib import Path

import pytest

from datasets.errors import ConfigError
from datasets.settings import load_settings, setting_fields

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_put_everything_in_the_instance_folder():
    settings = load_settings(environ={})
    assert settings.instance == "instance"
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_database_url.endswith("instance/kaifang.db")


def test_environment_overrides_defaults_and_overrides_win():
    env = {
        "KAIFANG_PAGE_SIZE": "7",
        "KAIFANG_RATELIMIT_ENABLED": "off",
        "KAIFANG_INSTANCE": "/srv/kaifang",
    }
    settings = load_settings({"page_size": 9}, environ=env)
    assert settings.page_size == 9
    assert settings.ratelimit_enabled is False
    assert settings.instance == "/srv/kaifang"
    assert load_settings(environ=env).page_size == 7


def test_bad_values_name_the_variable():
    with pytest.raises(ConfigError, match="KAIFANG_PAGE_SIZE must be an integer"):
        load_settings(environ={"KAIFANG_PAGE_SIZE": "many"})
    with pytest.raises(ConfigError, match="KAIFANG_PAGE_SIZE must be positive"):
        load_settings(environ={"KAIFANG_PAGE_SIZE": "0"})
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings({"no_such_setting": 1}, environ={})


def test_the_city_and_bureau_variables_that_moved_into_the_legal_text_are_refused():
    for retired in ("KAIFANG_REGION_NAME", "KAIFANG_SUPERVISOR_NAME"):
        with pytest.raises(ConfigError, match=f"{retired} 已不再使用.*config/legal.toml"):
            load_settings(environ={retired: "江州市"})


def test_every_setting_has_help_and_is_documented_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    for field in setting_fields():
        assert field.metadata["help"].strip(), field.name
        assert f"KAIFANG_{field.name.upper()}" in readme, (
            f"README lacks KAIFANG_{field.name.upper()}"
        )
