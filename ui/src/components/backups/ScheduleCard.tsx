// Every app's backup schedule: the rule in a sentence, and a form to change
// the time, turn scheduled backups on or off, and how many to keep.
import { useEffect, useState, type FormEvent } from "react";
import { invoke } from "../../api";
import type { ScheduleInfo } from "../../bindings";
import { scheduleProblem, scheduleSentence } from "../../logic";

export function ScheduleCard({ info, onSaved }: { info: ScheduleInfo; onSaved: () => void }) {
  const rule = info.schedule?.all ?? null;
  const [at, setAt] = useState(rule?.at ?? "03:00");
  const [enabled, setEnabled] = useState(rule?.enabled ?? true);
  const [keep, setKeep] = useState(rule?.keep ?? { daily: 7, weekly: 4, monthly: 6 });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!rule) return;
    setAt(rule.at);
    setEnabled(rule.enabled);
    setKeep(rule.keep);
  }, [rule?.at, rule?.enabled, rule?.keep.daily, rule?.keep.weekly, rule?.keep.monthly]);
  if (!rule) return null;

  async function save(e: FormEvent) {
    e.preventDefault();
    const problem = scheduleProblem(at, keep);
    setError(problem);
    if (problem) return;
    setBusy(true);
    try {
      await invoke("backupScheduleSet", { at, enabled, keepDaily: keep.daily, keepWeekly: keep.weekly, keepMonthly: keep.monthly });
      onSaved();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }
  const count = (field: keyof typeof keep, label: string) => (
    <label className="inline">
      {label}
      <input type="number" min={0} max={1000} name={`keep-${field}`} value={keep[field]} onChange={(e) => setKeep({ ...keep, [field]: Number(e.target.value) })} />
    </label>
  );
  return (
    <form className="card" onSubmit={save} aria-labelledby="schedule-title" data-testid="backup-schedule">
      <h2 id="schedule-title">Schedule</h2>
      <p data-testid="schedule-sentence">{scheduleSentence(rule, info.timeZone)}</p>
      <label className="check">
        <input type="checkbox" name="schedule-enabled" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Back up every app on a schedule
      </label>
      <label className="inline">
        Daily at
        <input type="time" name="schedule-at" value={at} onChange={(e) => setAt(e.target.value)} />
      </label>
      <fieldset>
        <legend>Keep the newest backup of each of the last</legend>
        {count("daily", "days")}
        {count("weekly", "weeks")}
        {count("monthly", "months")}
      </fieldset>
      {error && <p role="alert" className="error">{error}</p>}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Saving…" : "Save schedule"}
      </button>
    </form>
  );
}
