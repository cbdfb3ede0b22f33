"""Documents (Word files) of the demo: text a department publishes as a document, not as data.

The statistical bulletin is the demo's deliberate PDF/Word-only dataset: the portal's publish
gate 缺少机器可读格式 holds it until the 统计局 also reports its figures as a table.
"""

from __future__ import annotations

# generator key → (document title, paragraphs)
DOCUMENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "statistical_bulletin": (
        "江州市2025年国民经济和社会发展统计公报",
        (
            "江州市统计局　国家统计局江州调查队　2026年3月20日",
            "一、综合",
            "初步核算，全年全市地区生产总值3215.6亿元，按不变价格计算，比上年增长5.8%。"
            "其中，第一产业增加值236.4亿元，增长3.6%；第二产业增加值1312.9亿元，增长6.1%；"
            "第三产业增加值1666.3亿元，增长5.9%。三次产业结构为7.4∶40.8∶51.8。",
            "二、农业",
            "全年粮食播种面积198.6万亩，粮食总产量82.3万吨，比上年增长1.2%。",
            "三、工业和建筑业",
            "全年规模以上工业增加值比上年增长7.2%。全市具有资质等级的总承包和专业承包"
            "建筑业企业完成建筑业总产值612.5亿元，增长4.3%。",
            "四、固定资产投资",
            "全年固定资产投资比上年增长4.9%，其中基础设施投资增长8.6%。",
            "五、国内贸易",
            "全年社会消费品零售总额1398.2亿元，比上年增长6.4%。",
            "六、人民生活",
            "全年全体居民人均可支配收入38652元，比上年增长5.7%。",
            "注：本公报部分数据为初步统计数，各项统计数据均未包括白沙县经济开发区托管区域。",
        ),
    ),
}
