"""The ``dcat`` source kind on the ckanext-dcat example catalogs and on small generated ones,
through the real pipeline. Every request goes to a loopback file server; outside hosts are
blocked and any attempt to reach one fails the test."""

import hashlib
import json
import shutil

import pytest
from sqlalchemy import select

from datasets.errors import SourceError, ValidationError
from datasets.models import Resource
from harvester.dcat import DcatSource
from harvester.jobs import job_objects, run_harvest, run_source
from harvester.sources import add_source, get_sources
from tests.factories import make_runtime, search
from tests.harvester.fileserver import (
    LOCAL_ONLY,
    errored,
    harvest_catalog,
    shown_package,
    stored_dataset,
)

# example file → (added, errored) when harvested with no downloads from outside hosts
EXPECTED = {
    "catalog.rdf": (2, 0),
    "catalog_datasets_list.rdf": (2, 0),
    "catalog_pod.jsonld": (1, 0),
    "catalog_with_at_graph.jsonld": (1, 0),
    "dataset.rdf": (1, 0),
    "dataset_afs.ttl": (1, 0),
    "dataset_deri.ttl": (0, 1),  # no dct:publisher anywhere
    "dataset_gob_es.ttl": (1, 0),
    "dataset_gov_de.rdf": (1, 0),
    "dataset_health.ttl": (0, 1),  # access-right NON_PUBLIC without an exclusion rule
    "dataset_health_multilingual.ttl": (1, 0),
    "dataset_health_no_blank.ttl": (0, 1),  # no dct:publisher anywhere
    "dataset_multilingual.ttl": (0, 1),  # no dct:publisher anywhere
    "dataset_sweden.rdf": (1, 0),
}
PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix kf: <https://kaifang.example/ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


@pytest.fixture
def examples(realdata):
    return realdata / "dcat-ckanext-dcat" / "examples-dcat"


def _harvest(rt, name, location, config=None, **kw):
    return harvest_catalog(rt, "dcat", name, location, config, **kw)


_errors, _dataset, _package = errored, stored_dataset, shown_package


def _turtle(body):
    return PREFIXES + body


def test_every_example_catalog_that_parses_is_harvested(rt, examples):
    names = sorted(p.name for p in examples.iterdir() if p.name != "dataset.ttl")
    assert names == sorted(EXPECTED)
    errors = {}
    for n, name in enumerate(names):
        result = _harvest(rt, f"ex{n}", examples / name)
        assert result.status == "finished", (name, result.message)
        errors[name] = _errors(rt, result)
        counts = (result.counts["added"], result.counts["errored"])
        assert counts == EXPECTED[name], (name, dict(result.counts), errors[name])

    # real portal records: GovData (opendata-hro.de), datos.gob.es, the Nobel catalog
    de = _package(rt, "c1be4007-d811-48fb-8818-2cb358b06a63")
    assert de["title"] == "Liefer- und Abholservices (Gastronomie)"
    assert de["organization"]["title"] == "Hanse- und Universitätsstadt Rostock"
    assert {"gastronomiebetriebe", "lebensmittel", "ökonomie"} <= {t["name"] for t in de["tags"]}
    assert (de["issued"], de["modified"]) == ("2020-04-21", "2024-05-08")
    assert de["topic"] == "经济建设"  # EU data theme ECON
    assert de["license_url"] == "http://dcat-ap.de/def/licenses/cc-zero"
    assert de["license_id"] == "CC0-1.0" and de["openness"] == "unconditional"
    assert de["url"] == "https://www.opendata-hro.de/dataset/c1be4007-d811-48fb-8818-2cb358b06a63"
    assert de["resources"] == []  # its files are on geo.sv.rostock.de, outside download_hosts
    listed = _dataset(rt, "c1be4007-d811-48fb-8818-2cb358b06a63").unnormalised["未下载资源"]
    assert len(listed) == 9 and all("geo.sv.rostock.de" in line for line in listed)
    assert sum("download_hosts" in line for line in listed) == 5  # the data files
    assert sum("不是数据文件" in line for line in listed) == 4  # WMS, WFS, INSPIRE pages

    es = _package(rt, "https://datos.madrid.es/egob/catalogo/300676-0-deporte-encuesta-escuelas")
    assert es["title"].startswith("Estudio de Satisfacción con el Programa")
    assert es["organization"]["title"] == "Ayuntamiento de Madrid"
    assert es["organization"]["code"] == "L01280796"  # skos:notation of the publisher
    assert es["update_cycle"] == "每年"  # dct:Frequency → time:DurationDescription years 1
    assert {t["name"] for t in es["tags"]} == {"deporte escolar", "escuelas", "promoción"}
    assert (es["issued"], es["modified"]) == ("2024-04-15", "2024-04-15")

    se = _package(rt, "http://nobelprize.org/datasets/dcat#ds1")
    assert se["title"] == "Linked Nobel prizes" and se["organization"]["title"] == "Nobel Media AB"
    assert se["update_cycle"] == "每日"  # http://purl.org/cld/freq/daily
    assert (se["temporal_start"], se["temporal_end"]) == ("1905-03-01", "2013-01-05")
    assert se["license_id"] == "CC-BY-NC-3.0"  # from the distribution

    pod = _package(rt, "widgets-0001")  # Project Open Data as JSON-LD
    assert pod["organization"]["title"] == "Widget Services"
    assert pod["update_cycle"] == "每年"  # R/P1Y
    assert (pod["temporal_start"], pod["temporal_end"]) == ("2009-09-01", "2010-05-31")
    assert {t["name"] for t in pod["tags"]} == {"widget", "manufacturing", "factory"}

    geo = _package(rt, "9df8df51-63db-37a8-e044-0003ba9b0d98")
    assert geo["organization"]["code"] == "https://ror.org/05wg1m734"
    assert (geo["issued"], geo["modified"]) == ("2012-05-10", "2012-05-10")

    multi = _package(rt, "http://example.test/dataset/1")  # en preferred over nl
    assert multi["title"] == "Health dataset"

    missing_publisher = "缺少提供方：数据集和目录都没有 dct:publisher"
    for name in ("dataset_deri.ttl", "dataset_health_no_blank.ttl", "dataset_multilingual.ttl"):
        assert [m[: len(missing_publisher)] for m in errors[name].values()] == [missing_publisher]
    [non_public] = errors["dataset_health.ttl"].values()
    assert non_public.startswith("不予开放目录缺少不予开放情形或依据")


REAL = {  # over HTTP (GovData and datos.gob.es are in the download test): file → title
    "dataset_sweden.rdf": "Linked Nobel prizes",
    "catalog_pod.jsonld": "U.S. Widget Manufacturing Statistics",
}


def test_real_catalogs_over_http(rt, examples, server):
    for n, name in enumerate(REAL):
        shutil.copy(examples / name, server.root / name)
        result = _harvest(rt, f"web{n}", server.url(name))
        assert result.counts["added"] == 1, (name, result.message, _errors(rt, result))
    # a catalog without publishers, with a department configured for the source
    shutil.copy(examples / "dataset_multilingual.ttl", server.root / "multi.ttl")
    config = {**LOCAL_ONLY, "provider": "示例数据局"}
    assert _harvest(rt, "multi", server.url("multi.ttl"), config).counts["added"] == 1
    multi = _package(rt, "0112cf32-bce0-4071-9504-923375f9f2ad")
    assert multi["title"] == "Test DCAT dataset"  # en, over ca and es
    assert multi["organization"]["title"] == "示例数据局"
    titles = search(rt, rows=10)["results"]
    assert sorted(p["title"] for p in titles) == sorted([*REAL.values(), "Test DCAT dataset"])
    assert server.requests == [f"/{name}" for name in [*REAL, "multi.ttl"]]  # no data files


def test_a_broken_catalog_fails_its_job_with_the_parsers_reason(rt, examples, tmp_path):
    good = tmp_path / "good.ttl"
    shutil.copy(examples / "dataset_gob_es.ttl", good)
    for name, location in (("broken", examples / "dataset.ttl"), ("good", good)):
        add_source(rt, name=name, kind="dcat", location=str(location), config=LOCAL_ONLY)
    broken, ok = run_harvest(rt, get_sources(rt, ["broken", "good"]))
    assert broken.status == "failed"
    assert "dataset.ttl" in broken.message and "\n" not in broken.message
    assert 'Prefix "healthdcatap:" not bound' in broken.message and "158" in broken.message
    assert ok.status == "finished" and ok.counts["added"] == 1  # the other source goes on


def test_format_comes_from_content_type_suffix_or_sniffing(rt, examples, server):
    # no suffix and application/octet-stream: each parser is tried in turn
    shutil.copy(examples / "dataset_sweden.rdf", server.root / "catalog")
    assert _harvest(rt, "sniffed", server.url("catalog")).counts["added"] == 1
    # RDF/XML served as text/turtle: Turtle is tried first, then the other parsers
    server.write("misnamed.ttl", (examples / "catalog.rdf").read_bytes())
    misnamed = _harvest(rt, "misnamed", server.url("misnamed.ttl"), dry_run=True)
    assert misnamed.counts["added"] == 2
    garbage = server.write("garbage", b"this is neither turtle nor xml nor json")
    result = _harvest(rt, "garbage", garbage)
    assert result.status == "failed" and "DCAT 目录无法解析" in result.message


def test_hydra_paging_is_followed_and_merged(rt, server):
    def page(n, paging):
        datasets = "".join(
            f"""<https://example.org/ds/{n}-{k}> a dcat:Dataset ;
                dct:title "第 {n} 页数据集 {k}"@zh, "Page {n} dataset {k}"@en ;
                dct:description "江州市统计局第 {n} 页的第 {k} 个统计数据集"@zh ;
                dct:publisher [ foaf:name "江州市统计局" ] ;
                dcat:keyword "统计" .
            """
            for k in (1, 2)
        )
        return _turtle(datasets + paging)

    server.write(
        "p1.ttl",
        page(
            1, '<p1.ttl> a hydra:PagedCollection ; hydra:totalItems 6 ; hydra:nextPage "p2.ttl" .'
        ),
    )
    server.write("p2.ttl", page(2, "<p2> a hydra:PartialCollectionView ; hydra:next <p3.ttl> ."))
    server.write("p3.ttl", page(3, "<p3> a hydra:PartialCollectionView ; hydra:next <p1.ttl> ."))
    result = _harvest(rt, "paged", server.url("p1.ttl"))
    assert result.status == "finished" and result.counts["added"] == 6
    assert server.requests == ["/p1.ttl", "/p2.ttl", "/p3.ttl"]  # the loop back is not followed
    assert _package(rt, "https://example.org/ds/3-2")["title"] == "第 3 页数据集 2"  # zh first

    # a page limit: read in part, reported, and nothing is withdrawn
    add_source(
        rt, name="short", kind="dcat", location=server.url("p1.ttl"), config={"max_pages": "2"}
    )
    short = run_source(rt, get_sources(rt, ["short"])[0], dry_run=True)
    assert short.counts["added"] == 4 and short.counts["errored"] == 1
    assert "分页上限" in _errors(rt, short)[server.url("p3.ttl")]

    # a later page that is gone: the pages read are kept, the job says what is missing
    server.statuses["/p2.ttl"] = 404
    again = _harvest(rt, "paged", server.url("p1.ttl"))
    assert again.status == "finished" and again.counts["unchanged"] == 2
    assert again.counts["withdrawn"] == 0 and "HTTP 404" in _errors(rt, again)[server.url("p2.ttl")]
    assert _dataset(rt, "https://example.org/ds/3-1").state == "active"


def test_distribution_is_downloaded_published_and_not_fetched_again(rt, examples, server, realdata):
    csv = realdata / "ckanext-xloader-samples" / "mixed_numeric_string_sample.csv"
    xlsx = realdata / "frictionless-py-fixtures" / "table.xlsx"
    shutil.copy(csv, server.root / "lieferservices.csv")
    shutil.copy(xlsx, server.root / "encuesta.xlsx")
    de = (examples / "dataset_gov_de.rdf").read_text(encoding="utf-8")
    de = de.replace(
        "https://geo.sv.rostock.de/download/opendata/lieferservices/lieferservices.csv",
        server.url("lieferservices.csv"),
    )
    server.write("de.rdf", de)
    es = (examples / "dataset_gob_es.ttl").read_text(encoding="utf-8")
    es = es.replace(  # an accessURL that names an .xlsx file declared as "XLS"
        "https://datos.madrid.es/egob/catalogo/300676-0-deporte-encuesta-escuelas.xlsx",
        server.url("encuesta.xlsx"),
    )
    server.write("es.ttl", es)
    for name in ("de", "es"):
        suffix = "rdf" if name == "de" else "ttl"
        result = _harvest(rt, name, server.url(f"{name}.{suffix}"))
        assert result.counts["added"] == 1, _errors(rt, result)

    pkg = _package(rt, "c1be4007-d811-48fb-8818-2cb358b06a63")
    assert _dataset(rt, "c1be4007-d811-48fb-8818-2cb358b06a63").state == "active"
    assert [r["format"].lower() for r in pkg["resources"]] == ["csv"]
    assert pkg["resources"][0]["name"] == "Liefer- und Abholservices (Gastronomie)"
    with rt.reader() as session:
        res = session.scalar(select(Resource).where(Resource.format == "csv"))
        stored = rt.store.path(res.storage_root, res.storage_key)
        assert res.source_url == server.url("lieferservices.csv")
    assert stored.read_bytes() == csv.read_bytes()
    assert res.sha256 == hashlib.sha256(csv.read_bytes()).hexdigest()
    es = _package(rt, "https://datos.madrid.es/egob/catalogo/300676-0-deporte-encuesta-escuelas")
    assert [r["format"].lower() for r in es["resources"]] == ["xlsx"]  # declared XLS, named .xlsx
    assert server.count("lieferservices.csv") == 1 and server.count("encuesta.xlsx") == 1
    assert not any(p.name.startswith("dcat-") for p in rt.paths.staging.iterdir())  # close()

    again = _harvest(rt, "de", server.url("de.rdf"))
    assert again.counts["unchanged"] == 1 and again.counts["added"] == 0
    assert server.count("de.rdf") == 2 and server.count("lieferservices.csv") == 1


def test_failed_downloads_leave_links_not_errors(rt, server, realdata):
    csv = realdata / "ckanext-xloader-samples" / "mixed_numeric_string_sample.csv"
    shutil.copy(csv, server.root / "ok.csv")
    # the page's dataset has a file of its own (the same file under two datasets is held)
    tables = realdata / "ckanext-xloader-samples" / "sample_with_quoted_commas.csv"
    shutil.copy(tables, server.root / "tables.csv")
    server.write("big.csv", "a,b\n" + "1,2\n" * 3000)
    server.write("page.csv", "<!DOCTYPE html><html><body>登录后下载</body></html>")
    body = ""
    for key, target in (("ok", "ok.csv"), ("gone", "missing.csv"), ("big", "big.csv")):
        body += f"""<https://example.org/ds/{key}> a dcat:Dataset ; dct:title "数据集 {key}" ;
            dct:description "统计数据集 {key}" ;
            dct:publisher [ foaf:name "江州市统计局" ] ;
            dcat:distribution [ dct:title "{key}" ; dcat:downloadURL <{server.url(target)}> ] .
        """
    body += f"""<https://example.org/ds/page> a dcat:Dataset ; dct:title "网页" ;
        dct:description "一个数据文件和一个登录页面" ;
        dct:publisher [ foaf:name "江州市统计局" ] ;
        dcat:distribution [ dcat:downloadURL <{server.url("page.csv")}> ] ,
                          [ dcat:downloadURL <{server.url("tables.csv")}> ] .
    """
    server.write("cat.ttl", _turtle(body))
    small = _small_runtime(rt)
    result = _harvest(small, "fails", server.url("cat.ttl"))
    assert result.status == "finished" and result.counts["added"] == 2
    assert _errors(small, result) == {}
    unmirrored = {
        o["identifier"]: o["message"]
        for o in job_objects(small, result.job_id)
        if o["outcome"] == "unmirrored"
    }
    assert set(unmirrored) == {"https://example.org/ds/gone", "https://example.org/ds/big"}
    assert "未镜像" in unmirrored["https://example.org/ds/gone"]
    assert "HTTP 404" in unmirrored["https://example.org/ds/gone"]
    assert "大小上限" in unmirrored["https://example.org/ds/big"]
    [gone] = _package(small, "https://example.org/ds/gone")["resources"]
    assert not gone["mirrored"] and gone["unmirrored"]["reason"] == "来源返回 HTTP 404"
    page = _dataset(small, "https://example.org/ds/page")
    assert "下载到的是网页" in " ".join(page.unnormalised["未下载资源"])
    assert [r["name"] for r in _package(small, "https://example.org/ds/page")["resources"]] == [
        "tables.csv"
    ]
    assert list(small.paths.staging.glob("dcat-*")) == []


def _small_runtime(rt):
    """A second instance, beside the first, whose file limit (8 KB) the big download exceeds."""
    return make_runtime(
        rt.paths.root.parent / "small",
        harvest_retries=0,
        harvest_timeout=0.5,
        harvest_workers=1,
        max_file_bytes=8192,
    )


def test_local_catalog_with_local_distributions_downloads_nothing(rt, tmp_path, server):
    (tmp_path / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    catalog_file = tmp_path / "catalog.ttl"
    catalog_file.write_text(
        _turtle("""<https://example.org/ds/local> a dcat:Dataset ; dct:title "本地" ;
            dct:description "本地目录中的数据集" ;
            dct:publisher [ foaf:name "江州市统计局" ] ;
            dcat:distribution [ dct:title "相对路径" ; dcat:downloadURL <data.csv> ] ,
                              [ dct:title "文件地址" ; dcat:downloadURL <file:///etc/passwd> ] .
        """),
        encoding="utf-8",
    )
    result = _harvest(rt, "local", catalog_file, config={})
    assert result.counts["added"] == 1
    listed = _dataset(rt, "https://example.org/ds/local").unnormalised["未下载资源"]
    assert len(listed) == 2 and all("只下载 http/https 资源" in line for line in listed)
    assert _package(rt, "https://example.org/ds/local")["resources"] == []
    assert server.requests == []


def test_declared_openness_and_frequencies(rt, tmp_path):
    publisher = 'dct:description "统计数据" ; dct:publisher [ foaf:name "江州市统计局" ] '
    EU = "http://publications.europa.eu/resource/authority/"  # noqa: N806
    catalog_file = tmp_path / "catalog.ttl"
    catalog_file.write_text(
        _turtle(f"""
        <https://example.org/ds/cond> a dcat:Dataset ; dct:title "有条件" ; {publisher} ;
            kf:openness "有条件开放" ; kf:conditions "签订数据使用协议" ;
            dct:accrualPeriodicity <{EU}frequency/MONTHLY> .
        <https://example.org/ds/closed> a dcat:Dataset ; dct:title "不予开放" ; {publisher} ;
            kf:openness "不予开放" ; kf:exclusion_rule "security" ;
            kf:exclusion_basis "《数据安全法》第二十一条" .
        <https://example.org/ds/restricted> a dcat:Dataset ; dct:title "受限" ; {publisher} ;
            dct:accessRights <{EU}access-right/RESTRICTED> ;
            dct:rights "须经审批" ; dct:accrualPeriodicity "R/P3M" .
        <https://example.org/ds/plain> a dcat:Dataset ; dct:title "默认" ; {publisher} ;
            dct:accrualPeriodicity "every full moon" ;
            dcat:theme [ skos:prefLabel "交通运输"@zh ] .
        _:anon a dcat:Dataset ; dct:title "无标识" ; {publisher} .
        _:untitled a dcat:Dataset ; {publisher} .
        """),
        encoding="utf-8",
    )
    result = _harvest(rt, "openness", catalog_file, config={})
    assert result.counts["added"] == 5 and result.counts["errored"] == 1, _errors(rt, result)
    cond = _package(rt, "https://example.org/ds/cond")
    assert (cond["openness"], cond["conditions"], cond["update_cycle"]) == (
        "conditional",
        "签订数据使用协议",
        "每月",
    )
    closed = _package(rt, "https://example.org/ds/closed")
    assert (closed["openness"], closed["exclusion_rule"]) == ("closed", "security")
    restricted = _package(rt, "https://example.org/ds/restricted")
    assert (restricted["openness"], restricted["conditions"]) == ("conditional", "须经审批")
    assert restricted["update_cycle"] == "每季"
    plain = _package(rt, "https://example.org/ds/plain")
    assert (plain["openness"], plain["update_cycle"], plain["topic"]) == (
        "unconditional",
        None,
        "交通运输",
    )
    assert (
        _dataset(rt, "https://example.org/ds/plain").unnormalised["更新周期"] == "every full moon"
    )
    identifiers = [o["identifier"] for o in job_objects(rt, result.job_id)]
    blank_id = next(i for i in identifiers if i.startswith("bnode-"))
    assert _package(rt, blank_id)["title"] == "无标识"
    again = _harvest(rt, "openness", catalog_file, config={})  # blank node ids are stable
    assert again.counts["unchanged"] == 5 and again.counts["added"] == 0


def test_remote_json_ld_contexts_are_fetched_through_our_client(rt, server):
    server.write(
        "context.jsonld",
        '{"@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",'
        ' "foaf": "http://xmlns.com/foaf/0.1/", "title": "dct:title",'
        ' "publisher": "dct:publisher", "name": "foaf:name", "Dataset": "dcat:Dataset"}}',
    )
    server.write(
        "catalog.jsonld",
        json.dumps(
            {
                "@context": server.url("context.jsonld"),
                "@graph": [
                    {
                        "@id": "https://example.org/ds/ld",
                        "@type": "Dataset",
                        "title": "远程上下文",
                        "publisher": {"name": "江州市统计局"},
                    }
                ],
            }
        ),
    )
    result = _harvest(rt, "ld", server.url("catalog.jsonld"))
    assert result.counts["added"] == 1, result.message
    assert server.requests == ["/catalog.jsonld", "/context.jsonld"]
    server.write("local-context.jsonld", '{"@context": "file:///etc/passwd", "@graph": []}')
    failed = _harvest(rt, "ld2", server.url("local-context.jsonld"))
    assert failed.status == "failed" and "@context" in failed.message


def test_locations_and_configuration_are_checked(tmp_path):
    with pytest.raises(SourceError):
        DcatSource.check_location(str(tmp_path / "missing.ttl"))
    with pytest.raises(SourceError):
        DcatSource.check_location("ftp://example.org/catalog.ttl")
    assert DcatSource.check_location("https://example.org/catalog.ttl").startswith("https://")
    (tmp_path / "c.ttl").write_text("", encoding="utf-8")
    assert DcatSource.check_location(str(tmp_path / "c.ttl")) == str((tmp_path / "c.ttl").resolve())
    assert DcatSource.check_config({"download_hosts": " 127.0.0.1 ; .Example.org"}) == {
        "download_hosts": "127.0.0.1,.example.org"
    }
    for bad in ({"max_pages": "0"}, {"max_pages": "x"}, {"unknown": "1"}):
        with pytest.raises(ValidationError):
            DcatSource.check_config(bad)


def test_download_hosts_also_match_subdomains():
    from harvester.remote import host_allowed

    assert host_allowed("https://a.example.org/x.csv", (".example.org",))
    assert not host_allowed("https://example.org.evil.com/x.csv", (".example.org",))
    assert host_allowed("http://127.0.0.1:8000/x.csv", ("127.0.0.1",))
    assert host_allowed("https://anything.org/x.csv", ())


def test_a_missing_catalog_fails_cleanly(rt, server):
    result = _harvest(rt, "gone", server.url("nothing-here.ttl"))
    assert result.status == "failed" and "HTTP 404" in result.message


def test_formats_pages_and_licences_of_distributions():
    from harvester.remote import html_to_text
    from harvester.remote_formats import file_format, license_id_for, looks_like_file

    assert file_format("XLS", None, "https://x.org/a.xlsx") == "xlsx"  # Excel: the suffix wins
    assert file_format("GEOJSON", "application/geo+json", "https://x.org/a.json") == "geojson"
    assert file_format(None, "text/csv", "https://x.org/data?format=csv") == "csv"
    eu = "http://publications.europa.eu/resource/authority/file-type/CSV"
    assert file_format(eu, None, "https://x.org/download") == "csv"
    assert file_format("cdf", None, "https://x.org/archive") == "cdf"  # short names are kept
    assert file_format("ArcGIS GeoServices REST API", None, "https://x.org/FeatureServer") == "bin"
    assert looks_like_file("https://x.org/files/a.csv?dl=1", None)
    assert looks_like_file("https://x.org/export", "text/csv")
    assert not looks_like_file("https://x.org/", "application/rdf+xml")  # a site root
    assert not looks_like_file("https://x.org/page", "text/html")
    assert html_to_text("<p>第一段</p><p>A &amp; B</p>") == "第一段\n\nA & B"
    assert html_to_text("a < b > c") == "a < b > c"
    assert license_id_for("https://creativecommons.org/licenses/by/4.0/") == "CC-BY-4.0"
    assert license_id_for("http://dcat-ap.de/def/licenses/cc-zero") == "CC0-1.0"
    assert license_id_for("https://example.org/terms") is None


def test_download_folders_left_by_a_killed_harvester_are_removed(rt):
    import os

    from harvester.base import SourceConfig
    from harvester.dcat import DcatSource

    old = rt.paths.staging / "dcat-abandoned"
    old.mkdir(parents=True)
    (old / "x.csv").write_text("a\n", encoding="utf-8")
    os.utime(old, (0, 0))
    recent = rt.paths.staging / "dcat-running"
    recent.mkdir()
    kind = DcatSource(SourceConfig("id", "dcat", "dcat", "https://example.org/c.ttl", {}), rt)
    folder = kind.download_folder()
    assert not old.exists() and recent.exists() and folder.is_dir()
    kind.close()
    assert not folder.exists()
