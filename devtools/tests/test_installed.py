"""The development tools exist where a developer works and nowhere else: the production settings
neither install the app nor know its commands (seed_demo creates an administrator with a
published password; generate_history seals synthetic events into the audit chain)."""

import ast
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("seed_demo", "generate_history", "simulate")
CLEARED = ("DJANGO_SETTINGS_MODULE", "DEBUG", "CELERY_BROKER_URL", "CACHE_URL", "EMAIL_URL", "PORTAL_PORT")


def production(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.production", SECRET_KEY=secrets.token_urlsafe(64),
               SITE_URL="https://portal.example.gov", PORTAL_VAR_DIR=str(tmp_path / "var"),
               API_WEBHOOK_SECRET_KEYS=Fernet.generate_key().decode(),
               CACHE_URL="redis://redis.internal:6379/1", CELERY_BROKER_URL="redis://redis.internal:6379/0",
               DATABASE_URL=os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_development_and_test_settings_install_the_tools():
    assert "devtools" in settings.INSTALLED_APPS
    assert {name: get_commands().get(name) for name in COMMANDS} == dict.fromkeys(COMMANDS, "devtools")


def test_the_production_settings_do_not_install_the_tools(tmp_path):
    probe = production(tmp_path, "-c", "import django; django.setup(); from django.apps import apps; "
                                       "print(apps.is_installed('devtools'), apps.is_installed('approvals'))")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("command", COMMANDS)
def test_the_tools_commands_are_unknown_under_the_production_settings(tmp_path, command):
    result = production(tmp_path, "manage.py", command)
    assert result.returncode == 1
    assert f"Unknown command: '{command}'" in result.stderr


def test_no_production_module_imports_the_tools():
    apps = {p.parent for p in ROOT.glob("*/apps.py")} - {ROOT / "devtools"}
    importers = []
    for path in (p for app in apps for p in app.rglob("*.py")):
        if "tests" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(name.split(".")[0] == "devtools" for name in names):
                importers.append(str(path.relative_to(ROOT)))
    assert len(apps) >= 10
    assert importers == []
