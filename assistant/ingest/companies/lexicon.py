"""The vocabulary of company names: places, organisational suffixes, and the generic and industry words that
short names drop (Chinese and English). Data only; used to derive short names and to detect names."""

from __future__ import annotations

import re


def word_list(text: str) -> tuple[str, ...]:
    """Space-separated word lists stay readable (Chinese lists as list literals would not)."""
    return tuple(text.split())


PROVINCES = word_list(
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 "
    "四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 中国"
)
CITIES = word_list(
    "杭州 苏州 合肥 成都 深圳 广州 南京 武汉 西安 青岛 宁波 无锡 常州 厦门 福州 济南 郑州 长沙 沈阳 大连 "
    "哈尔滨 长春 石家庄 太原 昆明 贵阳 南宁 南昌 兰州 乌鲁木齐 呼和浩特 银川 西宁 拉萨 海口 三亚 珠海 佛山 "
    "东莞 中山 惠州 温州 嘉兴 绍兴 金华 台州 湖州 南通 扬州 徐州 镇江 泰州 盐城 烟台 潍坊 淄博 芜湖 绵阳 "
    "宜昌 襄阳 洛阳 株洲 湘潭 泉州 漳州 昆山 江阴 常熟 张家港 义乌 宁德 唐山 保定 廊坊 威海 日照 蚌埠 "
    "马鞍山 连云港 淮安 宿迁 舟山 丽水 衢州 赣州 九江 柳州 桂林 遵义 德阳 宜宾 天府"
)
# Longest first so 黑龙江 wins over a shorter prefix.
PLACES = tuple(sorted(set(PROVINCES + CITIES), key=lambda p: (-len(p), p)))
PLACE_SUFFIXES = ("特别行政区", "自治区", "省", "市", "区", "县")

ZH_ORG_SUFFIX_RE = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团(?:股份|控股)?公司|股份公司)$")
# Generic words stripped first (→ the usual 4-character 简称), then industry words one at a time.
ZH_GENERIC = tuple(
    sorted(
        word_list("科技 技术 实业 发展 控股 集团 股份 有限 管理 咨询 服务 工程 贸易 产业 企业 国际"),
        key=len,
        reverse=True,
    )
)
ZH_INDUSTRY = tuple(
    sorted(
        word_list(
            "精密 传感 传感器 计算机 储能 新能源 能源 软件 信息 网络 智能 智算 智造 智慧 数据 数字 电子 微电子 半导体 "
            "光电 光学 激光 生物 医药 医疗 医学 制药 健康 机器人 自动化 装备 设备 材料 新材料 通信 通讯 计算 "
            "云计算 算力 芯片 集成电路 系统 工业 机械 制造 仪器 仪表 汽车 物流 环保 环境 电气 电力 动力 电池 "
            "航空 航天 安防 视觉 互联网 物联网 人工智能 传媒 文化 教育 食品 农业 化工 医疗器械 检测"
        ),
        key=len,
        reverse=True,
    )
)

EN_SUFFIX = (
    r"(?:Co\.,?[ \t]?Ltd\.?|Co\.,?[ \t]?Limited|Company[ \t]Limited|Pte\.?[ \t]Ltd\.?|Pty\.?[ \t]Ltd\.?"
    r"|Inc\.?|Incorporated|Ltd\.?|Limited|LLC|L\.L\.C\.|Corp\.?|Corporation|GmbH|PLC|plc|AG|S\.A\.|N\.V\.|B\.V\.)"
)
EN_SUFFIX_END_RE = re.compile(r"[ \t,]*" + EN_SUFFIX + r"$")

EN_CITY_PREFIXES = frozenset(
    word_list(
        "hangzhou suzhou hefei chengdu beijing shanghai shenzhen guangzhou nanjing wuhan xian xi'an qingdao "
        "tianjin chongqing ningbo xiamen wuxi changzhou dongguan foshan zhuhai changsha zhengzhou jinan dalian "
        "shenyang harbin kunming fuzhou nanchang jiangsu zhejiang guangdong anhui sichuan shandong hubei hunan "
        "fujian henan hebei china"
    )
)
EN_INDUSTRY = frozenset(
    word_list(
        "robotics robot robots health healthcare technology technologies tech software systems solutions "
        "intelligent intelligence computing precision sensing sensors energy storage power electronics "
        "semiconductor semiconductors biotech bio pharma pharmaceuticals therapeutics medical labs laboratories "
        "networks digital data ai analytics cloud holdings group international industries capital ventures "
        "partners motors automation materials devices instruments optics photonics communications telecom "
        "information services global innovations dynamics engineering"
    )
)
