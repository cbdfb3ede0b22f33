"""Accounts and API keys."""

from __future__ import annotations

import sys

import click

from datasets.accounts.permissions import ROLES
from datasets.errors import KaifangError
from portal.cli.common import main, reports_errors, require_database, runtime


@main.group()
def user() -> None:
    """Accounts."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(ROLES),
)
@click.option(
    "--department",
    default=None,
    help="The department: its Chinese name (e.g. 江州市卫生健康委员会) or its code.",
)
@click.option("--display-name", default="", help="Name shown in the portal.")
@click.option("--org-name", "--company-name", "company_name", default=None, help="企业名称.")
@click.option("--credit-code", default=None, help="统一社会信用代码 (GB 32100, 18 characters).")
@click.option("--legal-representative", default=None, help="法定代表人.")
@click.option("--email", default=None, help="E-mail address.")
@click.option("--phone", default=None, help="Telephone number.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@reports_errors
def user_add(
    name: str, role: str, display_name: str, password_stdin: bool, **account: str | None
) -> None:
    """Create account NAME (asks for the password unless --password-stdin).

    Company accounts need --org-name, --credit-code, --legal-representative and --phone or
    --email.
    """
    from datasets.accounts.creditcode import check
    from datasets.accounts.users import create_user
    from datasets.errors import ValidationError

    rt = runtime()
    require_database(rt)
    credit_code = account.get("credit_code")
    if credit_code is not None and (problem := check(credit_code)) is not None:
        raise KaifangError(f"统一社会信用代码 {credit_code} 无效：{problem}")  # before the prompt
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    try:
        created = create_user(
            rt, name=name, role=role, password=password, display_name=display_name, **account
        )
    except ValidationError as exc:  # every problem on the one line, not only the first
        problems = [m for messages in exc.errors.values() for m in messages] or [exc.message]
        raise KaifangError("；".join(dict.fromkeys(problems))) from None
    click.echo(f"已创建用户 {created['name']}（{created['role']}）")


@user.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the key is for (shown in the key list).")
@reports_errors
def user_token(name: str, label: str) -> None:
    """Create an API key for user NAME and print it as the last line (shown only this once)."""
    from datasets.accounts.keys import create_api_key

    rt = runtime()
    require_database(rt)
    created = create_api_key(rt, user_name=name, label=label)
    click.echo(f"已为用户 {name} 创建 API 密钥（前缀 {created['prefix']}）。密钥只显示这一次：")
    click.echo(created["key"])


@user.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@reports_errors
def user_password(name: str, password_stdin: bool) -> None:
    """Set the password of account NAME (asks for it unless --password-stdin); the account's
    sessions end, its API keys stay."""
    from datasets.accounts.users import set_password

    rt = runtime()
    require_database(rt)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("新密码", hide_input=True, confirmation_prompt="再次输入新密码")
    set_password(rt, name, password)
    click.echo(f"已为用户 {name} 设置新密码；该账户此前的登录已全部失效。")


@user.command("list")
@reports_errors
def user_list() -> None:
    """List accounts: name, role, department or company."""
    from datasets.accounts.users import list_users

    rt = runtime()
    require_database(rt)
    rows = list_users(rt)
    if not rows:
        click.echo("还没有用户。用 kaifang user add 添加。")
        return
    for row in rows:
        where = row["department"] or row["company_name"] or ""
        state = "" if row["active"] else "  （已停用）"
        click.echo(f"{row['name']:<24} {row['role']:<9} {where}{state}".rstrip())
