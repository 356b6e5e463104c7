"""The interface's words in Chinese and English: labels, statuses, narration and figure text.

`tr(key, lang)` gives one; a key missing in a language falls back to English, and a key missing
everywhere is shown as itself, so a gap is visible rather than an error. Names from a scenario
(zones, departments, categories) are the scenario's own.
"""

from __future__ import annotations

LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"

ARRANGEMENTS = {
    "street_chief": {"en": "street chief", "zh": "街长制"},
    "hotline": {"en": "12345 hotline", "zh": "12345热线"},
    "grid": {"en": "grid management", "zh": "网格化管理"},
    "multi_layer": {"en": "multi-layer routing", "zh": "逐级上报(传统)"},
    "recorded": {"en": "recorded history", "zh": "实际记录"},
}

# what has happened to an issue, in order
STATUSES = {
    "reported": {"en": "reported", "zh": "已反映"},
    "acknowledged": {"en": "answered", "zh": "已回复"},
    "dispatched": {"en": "taken on", "zh": "已受理"},
    "being fixed": {"en": "crew on site", "zh": "现场处置"},
    "resolved": {"en": "resolved", "zh": "已解决"},
}

# officials' roles in the ledger (`official_hours`)
ROLES = {
    "liaison_officers": {"en": "liaison officers", "zh": "联络员"},
    "group_monitoring": {"en": "departments following the groups", "zh": "部门跟群"},
    "chiefs": {"en": "street chiefs", "zh": "街长"},
    "department_acceptance": {"en": "departments' acceptance", "zh": "部门受理"},
    "dispatch_operators": {"en": "dispatch operators", "zh": "派单员"},
    "patrol_officers": {"en": "patrol officers", "zh": "巡查员"},
    "clerks": {"en": "clerks", "zh": "办事员"},
}

TEXT = {
    # the workshop
    "workshop.title": {
        "en": "The same problems under four arrangements",
        "zh": "同样的问题,四种处置方式",
    },
    "workshop.tab": {"en": "streetchief workshop", "zh": "街长制演示"},
    "open": {"en": "open", "zh": "待办"},
    "ended_n": {"en": "unfixed", "zh": "未办即止"},
    "to_end": {"en": "▶▶| End", "zh": "▶▶| 结尾"},
    "time": {"en": "time", "zh": "时间"},
    "chart.open": {"en": "open issues", "zh": "待办问题"},
    "chart.so_far": {
        "en": "report to resolution so far: median, bar 10–90%",
        "zh": "至此从反映到解决:中位数,横条为10%–90%",
    },
    "chart.none_yet": {"en": "none resolved yet", "zh": "尚无解决"},
    "costs.short": {"en": "officials' h", "zh": "官员工时"},
    "summary.title": {"en": "Who was faster", "zh": "谁更快"},
    "summary.common": {
        "en": "On the {n} problems every arrangement resolved, mean hours from report to "
        "resolution:",
        "zh": "在每种方式都解决了的{n}个问题上,从反映到解决的平均小时数:",
    },
    "summary.fastest": {
        "en": "{name} was fastest, {lead} ahead of {next}.",
        "zh": "{name}最快,比{next}快{lead}。",
    },
    "summary.costs": {
        "en": "Officials' hours over the replay: {costs}.",
        "zh": "回放期间官员工时:{costs}。",
    },
    "summary.covers": {
        "en": "One replication (seed {seed}) of the seed's week: these numbers carry neither "
        "replication noise nor what is not known; `make uncertainty` gives the answer over both.",
        "zh": "这是种子周的一次重复实验(随机种子 {seed}):数字不含重复实验的波动,"
        "也不含未知参数的不确定性;`make uncertainty` 给出包含两者的结论。",
    },
    "export": {"en": "⇩ Save as HTML", "zh": "⇩ 保存为HTML"},
    "export.ready": {"en": "⇩ {name}", "zh": "⇩ 下载 {name}"},
    "export.table": {"en": "The comparison, this replication", "zh": "本次重复实验的比较"},
    "export.common_mean": {
        "en": "mean, problems all resolved",
        "zh": "平均(各方式均解决的问题)",
    },
    "export.median": {"en": "median", "zh": "中位数"},
    "export.p90": {"en": "90th percentile", "zh": "90百分位"},
    "export.resolved": {"en": "resolved", "zh": "已解决"},
    "export.unfixed": {"en": "ended unfixed", "zh": "未办即止"},
    "export.on_time": {"en": "on time", "zh": "按期"},
    "resolved_n": {"en": "resolved", "zh": "已解决"},
    "reset": {"en": "↺ Reset", "zh": "↺ 重置"},
    "step": {"en": "▶| Step", "zh": "▶| 单步"},
    "play": {"en": "▶ Play", "zh": "▶ 播放"},
    "pause": {"en": "❚❚ Pause", "zh": "❚❚ 暂停"},
    "speed": {"en": "hours per second", "zh": "每秒模拟小时"},
    "speed.help": {
        "en": "how many simulated hours pass in one second of playback (Step moves 1 hour)",
        "zh": "播放时每秒经过的模拟小时数(单步前进1小时)",
    },
    "case": {"en": "follow a case", "zh": "跟踪案例"},
    "case.none": {"en": "(none)", "zh": "(不跟踪)"},
    "replication": {"en": "replication", "zh": "重复实验"},
    "replication.help": {
        "en": "which draw of what the log does not say (work, whose job, merchants); the seed's "
        "cases carry their own",
        "zh": "日志未记录的随机部分(工作量、责任归属等)取第几次抽样;种子案例自带这些属性",
    },
    "language": {"en": "language", "zh": "语言"},
    "legend": {"en": "status of each issue", "zh": "每个问题的状态"},
    "at_end": {"en": "end of the replay", "zh": "回放结束"},
    "mechanism": {
        "en": "<b>街长制 (street chief)</b>: each road has a district leader as its chief and a "
        "WeChat <b>liaison group (联络群)</b> with every shop and the departments. A post is "
        "answered in minutes, the responsible department takes it on in its own hours "
        "(谁主管谁负责), the chief coordinates on site when nobody is sure whose job it is "
        "(现场协调), deadlines are enforced (<b>限期整改</b>) and shops keep their frontage "
        "(<b>门前三包</b>). <b>12345 hotline</b>: a call centre open day and night dispatches "
        "work orders to departments. <b>Grid management</b>: supervisors patrol their grids and "
        "file what they find. <b>Multi-layer routing</b>: community → sub-district → district "
        "office → department, in office hours.",
        "zh": "<b>街长制</b>:每条道路由一名区领导任街长,沿街商户、单位与职能部门同在一个"
        "<b>联络群</b>。群里反映的问题几分钟内有人回复,责任部门在本部门工作时间内受理"
        "(谁主管谁负责),职责不清时街长现场协调,督查考核组<b>限期整改</b>,商户落实"
        "<b>门前三包</b>。<b>12345热线</b>:全天候接听,派单到职能部门。<b>网格化管理</b>:"
        "网格员巡查上报,指挥中心派遣。<b>逐级上报</b>:社区 → 街道 → 区城管办 → 职能部门,"
        "仅在办公时间流转。",
    },
    # the seed's cases
    "story.reported": {"en": "posted {when} by {who}", "zh": "{who}于{when}反映"},
    "story.ack": {"en": "answered {when} ({after} later)", "zh": "{when}得到回复({after}后)"},
    "story.coordinated_unit": {
        "en": "whose job it was unclear: {dept} went on site {when} to settle it with township "
        "and community",
        "zh": "职责不清:{dept}于{when}赴现场与乡镇、社区协商",
    },
    "story.coordinated_chief": {
        "en": "whose job it was unclear: the street chief came on site {when} to settle it",
        "zh": "职责不清:街长于{when}到现场协调",
    },
    "story.taken": {"en": "{dept} took it on {when}", "zh": "{dept}于{when}受理"},
    "story.on_site": {"en": "crew on site {when}", "zh": "{when}到场处置"},
    "story.resolved": {"en": "resolved {when}", "zh": "{when}解决"},
    "story.closed": {"en": "result posted back {when}", "zh": "{when}反馈结果"},
    "story.not_yet": {
        "en": "{what}: not by the end of the replay",
        "zh": "{what}:回放结束时仍未完成",
    },
    "story.taken_on_word": {"en": "taken on", "zh": "受理"},
    "story.resolved_word": {"en": "resolved", "zh": "解决"},
    "story.report": {"en": "The report", "zh": "报道"},  # a report file's `report:` names its own
    "story.report_times": {
        "en": "answered {ack}, resolved {res}",
        "zh": "{ack}回复,{res}解决",
    },
    "story.pending": {"en": "(still ahead)", "zh": "(尚未发生)"},
    "story.against": {
        "en": "Resolved against the report's {when}",
        "zh": "与报道的解决时间({when})相比",
    },
    "story.earlier": {"en": "{span} earlier", "zh": "早{span}"},
    "story.later": {"en": "{span} later", "zh": "晚{span}"},
    "story.same_time": {"en": "at the same minute", "zh": "同一时间"},
    "story.not_resolved": {"en": "not resolved by the end", "zh": "回放结束时未解决"},
    "story.step": {"en": "step", "zh": "环节"},
    "story.step.reported": {"en": "posted", "zh": "反映"},
    "story.step.acknowledged": {"en": "answered", "zh": "回复"},
    "story.step.coordinated_at": {"en": "settled on site", "zh": "现场协调"},
    "story.step.taken_on": {"en": "taken on", "zh": "受理"},
    "story.step.on_site": {"en": "crew on site", "zh": "到场处置"},
    "story.step.resolved": {"en": "resolved", "zh": "解决"},
    "story.step.closed": {"en": "told back", "zh": "反馈"},
    "story.next_day": {"en": "{time} +{days}d", "zh": "+{days}天 {time}"},
    "story.no_time": {"en": "{what} (no time)", "zh": "{what}(无时间)"},
    "story.window": {"en": "{what} ({start}–{end})", "zh": "{what}({start}–{end})"},
    "story.words": {"en": "The report's words", "zh": "报道原文"},
    "story.gives.time": {"en": "gives {time}", "zh": "给出 {time}"},
    "story.gives.window": {
        "en": "gives {start}–{end} (read from the words)",
        "zh": "据原文推为 {start}–{end}",
    },
    "story.gives.nothing": {
        "en": "gives no time: the log's {time} is assumed",
        "zh": "未给时间:日志中的 {time} 为假设",
    },
    "story.caption": {
        "en": "a photo caption only, with no date and no time: the log's times for this case are "
        "assumed, so nothing is compared with the report.",
        "zh": "仅一句图片说明,没有日期和时间:日志中此案的时间均为假设,不与报道比较。",
    },
    "story.against_window": {
        "en": "Resolved against the report's {what} ({start}–{end})",
        "zh": "与报道的解决时间({what},{start}–{end})相比",
    },
    "story.inside": {"en": "inside it", "zh": "在此时段内"},
    "story.who.unit": {"en": "the responsible unit", "zh": "责任单位"},
    "story.who.chief": {"en": "the street chief", "zh": "街长"},
    "story.who.all": {"en": "{who}, under every arrangement", "zh": "各种方式下均由{who}"},
    "story.who.report": {"en": "the report: {who}", "zh": "报道:{who}"},
    "story.pick": {
        "en": "Pick one of the seed's cases to follow it through every arrangement.",
        "zh": "选择一个报道中的案例,看它在每种方式下如何处理。",
    },
    # figures
    "fig.median_label": {
        "en": "{name}: median {hours} h, mean {mean} h",
        "zh": "{name}:中位数 {hours} 小时,平均 {mean} 小时",
    },
    "fig.hours_to_resolution": {
        "en": "hours from report to resolution (log scale)",
        "zh": "从反映到解决的小时数(对数刻度)",
    },
    "fig.share_resolved": {"en": "share of reported issues resolved", "zh": "已解决问题的比例"},
    "fig.resolution_time": {"en": "Resolution time", "zh": "解决用时"},
    "fig.none_resolved": {"en": "no issue resolved in this run", "zh": "本次运行没有已解决的问题"},
    "fig.day_since": {"en": "day since {start}", "zh": "自{start}起的天数"},
    "fig.backlog_axis": {"en": "open issues (backlog)", "zh": "待办问题数"},
    "fig.backlog": {"en": "Backlog over time", "zh": "待办问题随时间变化"},
    "fig.median_hours": {"en": "median hours to resolution", "zh": "解决用时中位数(小时)"},
    "fig.by_category": {
        "en": "By category (the {n} most frequent)",
        "zh": "按类别(最常见的{n}类)",
    },
    "fig.on_time": {"en": "Resolved within the deadline", "zh": "限期内解决的比例"},
    "fig.on_time_within": {
        "en": "Resolved within the deadline ({span} h, by category)",
        "zh": "限期内解决的比例(期限{span}小时,按类别)",
    },
    "fig.dashboard_title": {
        "en": "{name}: the same issues under each arrangement ({days} days)",
        "zh": "{name}:同样的问题,各种处置方式({days}天)",
    },
    "costs.title": {"en": "officials' hours over the replay", "zh": "回放期间官员工时"},
    # the planner's controls: one scenario value each
    "planner.volume": {"en": "problems a day (all categories)", "zh": "每天问题数(全部类别)"},
    "planner.crews": {"en": "crews: {name}", "zh": "{name}:班组数"},
    "planner.liaison": {
        "en": "liaison reply, day: median (min)",
        "zh": "联络员白天回复中位数(分钟)",
    },
    "planner.night": {"en": "liaison at night", "zh": "夜间联络员"},
    "planner.night.watch": {"en": "watch", "zh": "值守"},
    "planner.night.morning": {"en": "morning", "zh": "次日早上"},
    "planner.chief_hours": {
        "en": "chief duty a weekday (h)",
        "zh": "街长每个工作日值守(小时)",
    },
    "planner.unclear": {
        "en": "unclear responsibility (× factor)",
        "zh": "职责不清比例(× 倍数)",
    },
    "planner.take_on": {
        "en": "departments: take an issue on, median (h)",
        "zh": "各部门受理问题时间中位数(小时)",
    },
    "planner.coordination": {
        "en": "unclear issues settled on site by",
        "zh": "职责不清时现场协调者",
    },
    "planner.coordination.unit": {"en": "the unit", "zh": "责任单位"},
    "planner.coordination.chief": {"en": "the chief", "zh": "街长"},
    "planner.grid_patrol": {"en": "grid: days between patrols", "zh": "网格化:巡查间隔(天)"},
    "planner.layers": {"en": "layers (traditional)", "zh": "逐级上报层级数"},
    "planner.misrouting": {"en": "misrouting: {name}", "zh": "{name}:转错比例"},
    "planner.office": {"en": "office hours (traditional path)", "zh": "传统路径办公时间"},
    "planner.replications": {"en": "replications (interval)", "zh": "重复次数(置信区间)"},
    "planner.save_as": {"en": "save as", "zh": "另存为"},
    "planner.save": {"en": "Save scenario", "zh": "保存情景"},
    "planner.overwrite": {"en": "Overwrite", "zh": "覆盖"},
    "planner.saved": {"en": "saved scenarios", "zh": "已保存情景"},
    "planner.load": {"en": "Load", "zh": "载入"},
    "planner.compare": {"en": "compare", "zh": "比较"},
    "planner.compare_button": {"en": "Compare saved", "zh": "比较已保存情景"},
    "planner.header": {
        "en": "<b>Levers and uncertainties</b> (hover for meaning and source)",
        "zh": "<b>可调因素与不确定因素</b>(鼠标悬停查看含义与来源)",
    },
    "planner.crews_title": {"en": "crews per department", "zh": "各部门班组"},
    "planner.running": {"en": "running…", "zh": "运行中…"},
    "planner.waiting": {"en": "waiting for you to stop…", "zh": "等待调整结束…"},
    "planner.comparing": {
        "en": "comparing {n} saved scenarios…",
        "zh": "正在比较{n}个已保存情景…",
    },
    "planner.compare_title": {
        "en": "Saved scenarios: median resolution under each arrangement ({days} days)",
        "zh": "已保存情景:各处置方式的解决用时中位数({days}天)",
    },
    "planner.done": {"en": "run {n} done", "zh": "第{n}次运行完成"},
    "planner.refused": {"en": "Refused:", "zh": "未采用:"},
    "planner.unstable": {"en": "Unstable:", "zh": "积压失控:"},
    "planner.unstable_line": {
        "en": "{name}: the backlog grows by {slope:.1f} issues a day to {end:.0f} at the end; "
        "add crews, or fewer problems, for it to keep up",
        "zh": "{name}:积压每天增加{slope:.1f}件,结束时达到{end:.0f}件;需增加班组或减少问题才跟得上",
    },
    "planner.keeps_up": {
        "en": "every arrangement keeps up with the problems",
        "zh": "每种处置方式都跟得上问题的增长",
    },
    "planner.saved_to": {"en": "Saved {path}", "zh": "已保存 {path}"},
    "planner.n_changed": {"en": "{name}, {n} changed", "zh": "{name}(改动{n}项)"},
    "planner.exists": {
        "en": "{path} exists: press Overwrite to replace it, or choose another name",
        "zh": "{path} 已存在:按“覆盖”替换它,或另选一个名称",
    },
    "planner.bad_name": {
        "en": "a scenario name is letters, digits and _, starting with a letter; got {name}",
        "zh": "情景名称只能含字母、数字和 _,并以字母开头;收到的是 {name}",
    },
    "planner.shipped": {
        "en": "{name} is a shipped scenario (or the shipped folder): it is never overwritten; "
        "choose another name",
        "zh": "{name} 是随软件提供的情景(或其所在文件夹),不会被覆盖;请另选一个名称",
    },
    "planner.none_chosen": {"en": "no saved scenario chosen", "zh": "未选择已保存的情景"},
    "planner.cannot_load": {"en": "cannot load {path}: {why}", "zh": "无法载入 {path}:{why}"},
    "planner.problems": {"en": "{why}", "zh": "{why}"},
    "planner.loaded": {"en": "Loaded {path}", "zh": "已载入 {path}"},
    "planner.differ": {
        "en": "; values the controls do not set differ: {paths}",
        "zh": ";控件未涉及、与当前设置不同的值:{paths}",
    },
    "planner.median": {"en": "median resolution", "zh": "解决用时中位数"},
    "planner.within_24h": {"en": "problems resolved in 24 h", "zh": "24小时内解决的问题"},
    "planner.hours": {"en": "officials' hours", "zh": "官员工时"},
    "planner.by_role": {"en": "by role", "zh": "按角色"},
    "planner.scenario": {"en": "scenario", "zh": "情景"},
    "planner.arrangement": {"en": "arrangement", "zh": "处置方式"},
    "planner.ci": {
        "en": "mean {mean} (95% CI {lo} to {hi})",
        "zh": "平均 {mean}(95%置信区间 {lo} 至 {hi})",
    },
    "hours": {"en": "h", "zh": "小时"},
    "minutes": {"en": "min", "zh": "分钟"},
}

# the multi-layer path's layers, as the shipped scenarios name them
LAYERS = {
    "community office": "社区",
    "sub-district office": "街道办",
    "district urban-management office": "区城管办",
}

WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
}


def tr(key: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    """The text of `key` in `lang` (English if it has none), with `values` filled in."""
    for table in (TEXT, ARRANGEMENTS, STATUSES):
        if key in table:
            entry = table[key]
            text = entry.get(lang) or entry["en"]
            return text.format(**values) if values else text
    return key


def layer(name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A layer's name in `lang`; one the table does not know keeps the scenario's name."""
    return LAYERS.get(name, name) if lang == "zh" else name


def arrangement(name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """An arrangement's name in `lang`; an arrangement the table does not know keeps its key."""
    entry = ARRANGEMENTS.get(name)
    return (entry.get(lang) or entry["en"]) if entry else name


def status(name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return STATUSES[name].get(lang) or STATUSES[name]["en"]


def role(name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A role of the ledger; `clerks: community office` keeps its layer's name."""
    head, _, rest = name.partition(": ")
    entry = ROLES.get(head)
    text = (entry.get(lang) or entry["en"]) if entry else head.replace("_", " ")
    return f"{text}: {layer(rest, lang)}" if rest else text


def when(dt, lang: str = DEFAULT_LANGUAGE, day: bool = True) -> str:
    """A moment as the interface writes it: `Tue 29 Oct 07:34`, `10月29日 周二 07:34`."""
    wd = WEEKDAYS[lang if lang in WEEKDAYS else "en"][dt.weekday()]
    if not day:
        return f"{dt:%H:%M}"
    if lang == "zh":
        return f"{dt.month}月{dt.day}日 {wd} {dt:%H:%M}"
    return f"{wd} {dt.day} {dt:%b} {dt:%H:%M}"


def duration(hours: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """A span for reading: minutes under an hour, hours under two days, else days."""
    if hours < 1:
        return f"{hours * 60:.0f} {tr('minutes', lang)}"
    if hours < 48:
        return f"{hours:.1f} {tr('hours', lang)}"
    return f"{hours / 24:.1f} " + ("天" if lang == "zh" else "days")
