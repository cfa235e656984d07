// The server's health at a glance on the home page: one sentence, then the
// processor, memory and each disk as bars, and a warning when apps have gone
// a day without a successful backup. The Server page has the details.
import type { SystemInfo } from "../../bindings";
import { healthOf, healthSentence } from "../../logic";
import { Bar } from "../Bar";

export function Health({ info }: { info: SystemInfo }) {
  const gauges = healthOf(info);
  return (
    <div className="card health">
      <p data-testid="health-sentence">
        {healthSentence(gauges)} <a href="#/system">Details</a>
      </p>
      {(info.backupWarnings ?? 0) > 0 && (
        <p role="alert" className="error" data-testid="backup-warning">
          {info.backupWarnings === 1 ? "1 app has" : `${info.backupWarnings} apps have`} had no successful backup for a day.{" "}
          <a href="#/backups">See Backups</a>
        </p>
      )}
      {gauges.map((g) => (
        <div key={g.label} className="gauge">
          <p className="meter-line">
            <span>{g.label}</span>
            <span className="muted">{g.text}</span>
          </p>
          <Bar percent={g.percent} label={g.label} />
        </div>
      ))}
    </div>
  );
}
