// A usage bar: how full something is, with its words beside it.
import { barLevel } from "../logic";

export function Bar({ percent, label }: { percent: number | null; label: string }) {
  const p = percent ?? 0;
  return (
    <div
      className={`bar ${barLevel(percent)}`}
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent == null ? undefined : Math.round(p)}
      aria-valuetext={percent == null ? "unknown" : `${Math.round(p)} %`}
    >
      <span style={{ width: `${p}%` }} />
    </div>
  );
}
