// A broadcast's analytics page: viewers (a line) and chat messages per minute (bars) on one
// time axis in UTC, with raids and title changes marked by numbered lines that match the
// page's list of moments. Everything comes from the #chart-data JSON (analytics/timeline.py);
// the table under the chart holds the same figures for those who cannot see it.
//
// Once drawn, the chart element says what it drew (data-minutes, data-viewer-points,
// data-markers), so a test can compare it with the table.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const COLOURS = {
  viewers: "#bf94ff",
  chat: "rgba(0, 200, 160, 0.55)",
  axis: "#adadb8",
  grid: "#2f2f35",
};
// Each kind of moment has its own dash and colour, and a word: never colour alone.
const MARKERS = {
  raid_in: { word: "Raid in", colour: "#5cd65c", dash: [] },
  raid_out: { word: "Raid out", colour: "#ffa64d", dash: [6, 4] },
  title: { word: "Title", colour: "#7ab8ff", dash: [2, 3] },
};
// Time ticks fall on whole minutes at least, as the bars do (seconds).
const TIME_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
// People and messages come whole: value ticks never fall between two.
const COUNT_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5];
const LABEL_ROWS = 3; // labels of nearby moments are staggered over this many rows

const utc = (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC");
const hoursMinutes = uPlot.fmtDate("{HH}:{mm}"); // 24-hour, as the page's table

function chartHeight(width) {
  return width < 500 ? 220 : 300;
}

/** Numbered lines for the moments, with their number and kind at the top of the plot. */
function drawMarkers(markers) {
  return (u) => {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const px = uPlot.pxRatio;
    ctx.save();
    ctx.font = `${Math.round(12 * px)}px system-ui, sans-serif`;
    ctx.textBaseline = "top";
    let drawn = 0;
    markers.forEach((marker, index) => {
      const x = Math.round(u.valToPos(marker.at, "x", true));
      if (x < left || x > left + width) return;
      const style = MARKERS[marker.kind] || MARKERS.title;
      ctx.strokeStyle = style.colour;
      ctx.fillStyle = style.colour;
      ctx.lineWidth = 2 * px;
      ctx.setLineDash(style.dash.map((d) => d * px));
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      const text = `${index + 1} ${style.word}`;
      const textWidth = ctx.measureText(text).width;
      const textX = Math.min(x + 3 * px, left + width - textWidth);
      ctx.fillText(text, Math.max(left, textX), top + (2 + (index % LABEL_ROWS) * 15) * px);
      drawn += 1;
    });
    ctx.restore();
    u.root.closest("[data-chart]").dataset.markers = String(drawn);
  };
}

/** Tells the page what was drawn: one bar per minute, one point per minute with viewers. */
function reportDrawn(u) {
  const chart = u.root.closest("[data-chart]");
  chart.dataset.minutes = String(u.data[0].length);
  chart.dataset.viewerPoints = String(u.data[2].filter((v) => v != null).length);
  chart.dataset.drawn = "true";
}

function options(data, width) {
  const last = data.minutes.length ? data.minutes[data.minutes.length - 1] + 60 : data.end;
  const end = Math.max(data.end, last, ...data.markers.map((marker) => marker.at));
  const axis = {
    stroke: COLOURS.axis,
    font: "12px system-ui, sans-serif",
    labelFont: "12px system-ui, sans-serif",
    labelSize: 18,
    grid: { stroke: COLOURS.grid },
    ticks: { stroke: COLOURS.grid, size: 6 },
  };
  // A value axis as wide as its longest number, so a phone keeps room for the plot.
  const fit = (_u, values) => 14 + 7 * Math.max(2, ...(values || []).map((v) => `${v}`.length));
  return {
    width,
    height: chartHeight(width),
    tzDate: utc,
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: [data.minutes[0] ?? data.start, end] },
      viewers: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil((max || 0) * 1.15))] },
      chat: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil((max || 0) * 1.15))] },
    },
    series: [
      { label: "Time (UTC)", value: "{HH}:{mm}" },
      {
        label: "Chat messages / min",
        scale: "chat",
        stroke: COLOURS.chat,
        fill: COLOURS.chat,
        paths: uPlot.paths.bars({ size: [0.85, Infinity], align: 1 }),
        points: { show: false },
      },
      {
        label: "Viewers",
        scale: "viewers",
        stroke: COLOURS.viewers,
        width: 2,
        points: { show: data.minutes.length <= 60, size: 5 },
      },
    ],
    axes: [
      {
        ...axis,
        incrs: TIME_STEPS,
        space: 60,
        values: (_u, splits) => splits.map((at) => hoursMinutes(utc(at))),
      },
      { ...axis, scale: "viewers", label: "Viewers", size: fit, incrs: COUNT_STEPS },
      {
        ...axis,
        scale: "chat",
        side: 1,
        label: "Chat / min",
        size: fit,
        incrs: COUNT_STEPS,
        grid: { show: false },
      },
    ],
    hooks: { draw: [drawMarkers(data.markers), reportDrawn] },
  };
}

function start() {
  const chart = document.querySelector("[data-chart]");
  const source = document.getElementById("chart-data");
  if (!chart || !source) return;
  try {
    const data = JSON.parse(source.textContent);
    const plot = new uPlot(
      options(data, chart.clientWidth),
      [data.minutes, data.chat, data.viewers],
      chart,
    );
    // The chart follows its container's width (a phone turned, a window resized).
    let width = chart.clientWidth;
    new ResizeObserver(() => {
      if (chart.clientWidth === width) return;
      width = chart.clientWidth;
      plot.setSize({ width, height: chartHeight(width) });
    }).observe(chart);
  } catch (error) {
    document.querySelector("[data-chart-error]").hidden = false;
    throw error;
  }
}

start();
