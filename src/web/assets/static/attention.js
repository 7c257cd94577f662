// Why a camera needs attention, in Chinese (in English a page shows the station's own sentence,
// the item's `text`): one list, read by the station's dashboard and the hub's.
window.camdockAttention = {
  zh: {
    'attn.overdue': '逾期：已外出 {hours} 小时（上限 {limit}）',
    'attn.low-battery': '电量低：{percent}%（低于 {below}%）',
    'attn.nearly-full': '存储空间将满：剩余 {free_percent}%',
    'attn.clock-drift': '时钟偏差 {offset_s} 秒（容差 {tolerance_s} 秒）',
    'attn.clock-unknown': '时钟未知：摄录仪未报告时间',
    'attn.card-dirty': '存储卡文件系统标记为“未正常卸载”：写入时被拔出',
    'attn.read-errors': '上次入座时读取错误 {count} 次',
    'attn.reads-slowing': '读取变慢：{now} MB/s，通常为 {usual} MB/s（存储卡可能故障）',
    'attn.unidentified': '无法识别的摄录仪：未找到序列号；请用 camdock bind 登记',
    'attn.unbound': '未绑定：没有本工作站的 CAMDOCK.INI；请用 camdock bind 绑定',
    'attn.binding-tampered': '绑定文件被篡改：{problems}',
    'attn.identity-conflict': '身份冲突：{source} 显示为 {says}，摄录仪为 {camera}',
    'attn.clips-missing': '摄录仪上缺少片段编号 {first}–{last}（可能被删除，需说明）',
    'attn.counter-reset': '片段编号从 {from} 回到 {to}，未到 9999（计数器被重置：{from} 之后的片段可能已丢失）',
    'attn.not-recordings': '存储卡上有 {count} 个文件按类型不是录像，未存储（第一个：{first}）；如属证据，请把该类型加入摄录仪配置',
    'attn.clock-correction-not-applied': '上次入座的时钟校正未生效（TIMESET.TXT 仍在卡上）',
    'attn.timeset-unrecorded': '卡上的 TIMESET.TXT 与任何已记录的校正都不符：由被中断的会话或其他工具写入（已如实记录）',
    'attn.recordings-overlap': '录像时间重叠：摄录仪时钟跳变，或片段被改动',
  },
};
