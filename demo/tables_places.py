"""Row generators: markets and standard place names."""

from __future__ import annotations

import random
from datetime import date, timedelta

from model import Field, Table
from places import (
    ROADS,
    company_name,
    credit_code,
    landline,
    lon_lat,
    pick_district,
    street_address,
)


def farmers_markets(rng: random.Random) -> Table:
    """农贸市场名录 (no Table Schema)."""
    fields = [
        Field(n)
        for n in (
            "市场名称",
            "所在区县",
            "地址",
            "市场类型",
            "摊位数",
            "营业面积(平方米)",
            "开办单位",
            "开办单位统一社会信用代码",
            "监督电话",
        )
    ]
    rows = []
    for _i in range(60):
        d = pick_district(rng)
        road = rng.choice(ROADS)
        kind = rng.choice(("农贸市场", "农贸市场", "菜市场", "生鲜集市"))
        rows.append(
            [
                f"{road}{kind}",
                d.name,
                street_address(rng, d),
                kind,
                rng.randint(40, 400),
                rng.randint(800, 9000),
                company_name(rng, ("市场管理", "有限公司")),
                credit_code(rng, d),
                landline(rng),
            ]
        )
    return Table(fields, rows)


# fmt: off
PLACE_PINYIN = {
    "人民路": "Renmin Lu", "解放路": "Jiefang Lu", "滨江大道": "Binjiang Dadao", "建设路": "Jianshe Lu",
    "湖滨路": "Hubin Lu", "青年路": "Qingnian Lu", "文化路": "Wenhua Lu", "长江路": "Changjiang Lu",
    "八一大道": "Bayi Dadao", "庐山路": "Lushan Lu", "浔阳路": "Xunyang Lu", "南湖路": "Nanhu Lu",
    "北京路": "Beijing Lu", "沿江路": "Yanjiang Lu", "胜利路": "Shengli Lu", "中山路": "Zhongshan Lu",
    "学府路": "Xuefu Lu", "科技大道": "Keji Dadao", "创新路": "Chuangxin Lu", "青山路": "Qingshan Lu",
    "白沙大道": "Baisha Dadao", "云溪路": "Yunxi Lu", "望江路": "Wangjiang Lu", "龙山路": "Longshan Lu",
    "柳岸路": "Liu'an Lu", "翠屏路": "Cuiping Lu", "九龙街": "Jiulong Jie", "环城路": "Huancheng Lu",
    "迎宾大道": "Yingbin Dadao", "兴业路": "Xingye Lu", "民主路": "Minzhu Lu", "和平路": "Heping Lu",
    "东风路": "Dongfeng Lu", "江州大道": "Jiangzhou Dadao", "湖心路": "Huxin Lu", "港口路": "Gangkou Lu",
    "临湖": "Lin Hu", "青山河": "Qingshan He", "白沙河": "Baisha He", "龙山": "Longshan",
    "翠屏山": "Cuiping Shan", "白鹭洲": "Bailu Zhou", "湖心岛": "Huxin Dao", "望江楼广场": "Wangjianglou Guangchang",
}
# fmt: on


# fmt: off
_PLACE_KIND = {"路": "道路", "大道": "道路", "街": "道路", "湖": "湖泊", "河": "河流", "山": "山体", "洲": "洲岛",
               "岛": "洲岛", "广场": "广场"}
# fmt: on


def place_names(rng: random.Random) -> Table:
    """标准地名录."""
    fields = [
        Field("标准地名"),
        Field("汉语拼音"),
        Field("地名类别"),
        Field("所在区县"),
        Field("地名含义"),
        Field("经度", "number"),
        Field("纬度", "number"),
        Field("批准日期", "date"),
    ]
    rows = []
    for name, pinyin in PLACE_PINYIN.items():
        kind = next((v for k, v in _PLACE_KIND.items() if name.endswith(k)), "其他")
        d = pick_district(rng)
        lon, lat = lon_lat(rng, d, 0.05)
        meaning = rng.choice(
            (
                "以所在区域历史地名命名",
                "寓意城市发展繁荣",
                "以沿线主要设施命名",
                "以自然地理实体命名",
                "沿用历史名称",
            )
        )
        rows.append(
            [
                name,
                pinyin,
                kind,
                d.name,
                meaning,
                lon,
                lat,
                date(1985, 1, 1) + timedelta(days=rng.randint(0, 14000)),
            ]
        )
    return Table(fields, rows)


GENERATORS = {
    "farmers_markets": farmers_markets,
    "place_names": place_names,
}
