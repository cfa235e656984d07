// A time chart drawn by uPlot: the instance is made when the component
// mounts (and again when its series change), resized with its container,
// fed new data with setData, and destroyed when the component goes.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { axisWidth } from "../logic";

export type ChartSeries = { label: string; color: string; dash?: number[]; fill?: string };

type Props = {
  /** What the chart shows, for screen readers. */
  label: string;
  /** The y values' unit, after each value in the legend and on the axis. */
  unit: string;
  series: ChartSeries[];
  /** uPlot's columns: x (Unix seconds), then one column per series. */
  data: (number | null)[][];
  height?: number;
  /** The lowest top of the y axis (100 for percents of a CPU, so an idle app is not all noise). */
  minTop?: number;
};

const cssVar = (name: string, fallback: string) =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

export default function Chart({ label, unit, series, data, height = 180, minTop = 0 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;
  const seriesKey = JSON.stringify(series);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const text = cssVar("--muted", "#5b6475");
    const grid = cssVar("--line", "#dde1e8");
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const fmt = (v: number | null) => (v == null ? "—" : `${Math.abs(v) < 10 ? v.toFixed(1) : Math.round(v)} ${unit}`);
    const options: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true },
      // Off the chart, the legend shows the latest values (uPlot shows none).
      hooks: {
        setLegend: [
          (u) => {
            const n = u.data[0]?.length ?? 0;
            if (u.legend.idx == null && n > 0) u.setLegend({ idx: n - 1 }, false);
          },
        ],
      },
      cursor: { drag: { x: false, y: false } },
      scales: {
        // One sample has no span: show the minute around it, not years.
        x: { time: true, range: (_u, min, max) => (max - min < 1 ? [min - 60, max + 60] : [min, max]) },
        y: { range: (_u, _min, max) => [0, Math.max(minTop, max * 1.1 || 1)] },
      },
      axes: [
        axis,
        {
          ...axis,
          // As wide as its longest label ("1000 MiB" needs more than "5 %"),
          // so no label is cut at the chart's left edge.
          size: (_u, values) => axisWidth(values),
          values: (_u, ticks) => ticks.map((t) => `${t} ${unit}`),
        },
      ],
      series: [
        {},
        ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, dash: s.dash, fill: s.fill, value: (_u: uPlot, v: number | null) => fmt(v), spanGaps: true })),
      ],
    };
    const u = new uPlot(options, latest.current as uPlot.AlignedData, el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // The series are compared by value (seriesKey): a new array with the same series keeps the chart.
  }, [seriesKey, unit, height, minTop]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData(data as uPlot.AlignedData);
    if (u.cursor.left == null || u.cursor.left < 0) u.setLegend({ idx: data[0].length - 1 }, false);
  }, [data]);

  return <div ref={box} className="chart" role="img" aria-label={label} />;
}
