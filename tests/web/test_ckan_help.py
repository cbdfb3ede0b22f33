"""CKAN's help_show: every action's documentation string, the action the ``help`` URL of every
answer points at; an unknown name is CKAN's not-found error, a missing one a validation error."""

import inspect
import re
from urllib.parse import urlsplit

import pytest

from portal.api.ckan import ACTIONS

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_help_show_answers_every_action_with_its_documentation(client):
    for name, func in ACTIONS.items():
        response = client.get("/api/3/action/help_show", query_string={"name": name})
        assert response.status_code == 200, name
        body = response.get_json()
        assert body["success"] is True
        doc = body["result"]
        assert doc.strip() and doc == inspect.cleandoc(func.__doc__ or ""), name
        assert CJK.search(doc.splitlines()[0]), f"{name}: the first line says what it does"


def test_help_show_by_post_as_ckanapi_sends_it(client):
    response = client.post("/api/action/help_show", json={"name": "package_show"})
    assert response.status_code == 200
    assert ":param id:" in response.get_json()["result"]


def test_the_help_url_of_an_answer_gives_the_actions_doc(client):
    answer = client.get("/api/3/action/package_search", query_string={"rows": 1}).get_json()
    help_url = urlsplit(answer["help"])
    followed = client.get(help_url.path, query_string=help_url.query)
    assert followed.status_code == 200
    assert followed.get_json()["result"] == inspect.cleandoc(ACTIONS["package_search"].__doc__)


def test_help_show_of_an_unknown_action_is_not_found(client):
    response = client.get("/api/3/action/help_show", query_string={"name": "no_such_action"})
    assert response.status_code == 404
    body = response.get_json()
    assert body["success"] is False
    assert body["error"]["__type"] == "Not Found Error"
    assert body["error"]["message"]


@pytest.mark.parametrize("query", [{}, {"name": ""}])
def test_help_show_without_a_name_is_a_validation_error(client, query):
    response = client.get("/api/3/action/help_show", query_string=query)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["__type"] == "Validation Error" and error["name"]


def test_help_show_with_odd_input_is_never_a_server_error(client):
    for body in ({"name": ["a", "b"]}, {"name": {"x": 1}}, {"name": "x" * 5000}, {"name": 3}):
        response = client.post("/api/3/action/help_show", json=body)
        # 400: over the edge's bound on a parameter's length
        assert response.status_code in (400, 404, 409), body
