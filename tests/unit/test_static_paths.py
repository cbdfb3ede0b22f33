"""Where each URL lies in a static tree, and what is refused: nothing leaves the tree."""

import pytest

from datasets.errors import ValidationError
from datasets.publish.tree import dataset_files, relative_path
from portal.publish.pages import action_page, dataset_documents, dataset_pages


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("/", "index.html"),
        ("/search", "search/index.html"),
        ("/organization/", "organization/index.html"),
        ("/dataset/bus-lines", "dataset/bus-lines/index.html"),
        ("/dataset/bus-lines.ttl", "dataset/bus-lines.ttl"),
        ("/data.json", "data.json"),
        ("/transparency/open-list.csv", "transparency/open-list.csv"),
    ],
)
def test_a_url_lies_where_nginx_try_files_looks(url: str, file: str) -> None:
    assert relative_path(url) == file


@pytest.mark.parametrize(
    "url", ["dataset/x", "/dataset/../secret_key", "/a//b", "/.hidden", "/a/\x00b", "/a\\b"]
)
def test_paths_that_could_leave_or_hide_in_the_tree_are_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        relative_path(url)


def test_a_download_keeps_its_file_name() -> None:
    url = "/dataset/x/resource/r1/download/公交线路"
    assert relative_path(url, exact=True) == "dataset/x/resource/r1/download/公交线路"


def test_the_removal_finds_every_file_the_build_writes_for_a_dataset() -> None:
    folder, files = dataset_files("bus-lines")
    written = {p.file for p in dataset_pages("bus-lines")}
    written |= {p.file for p in dataset_documents("bus-lines").values()}
    assert written == {f"{folder}/index.html", *files}
    with pytest.raises(ValidationError):
        dataset_files("a/b")


def test_only_plain_names_get_a_json_twin_in_the_tree() -> None:
    assert action_page("package_show", "bus-lines") is not None
    for name in ("../etc/passwd", "Bus", "", "a b", "公交"):
        assert action_page("package_show", name) is None
