// Shares: the server's named folders (Movies, Music, Photos…) that hold the
// family's files, for the apps that need them. The usual set can be made in
// one click; a share can be any folder of its own on any disk; removing a
// share never deletes its files. A share the apps cannot read or write is
// flagged, with a fix the user confirms; each share can be offered on the
// home network over SMB.
import { useCallback, useState } from "react";
import { invoke } from "../api";
import type { ShareInfo, SmbAccess, SmbStatus } from "../bindings";
import { AddShare } from "../components/shares/AddShare";
import { FixOwnershipDialog } from "../components/shares/FixOwnershipDialog";
import { RemoveShareDialog } from "../components/shares/RemoveShareDialog";
import { SmbSettings } from "../components/shares/SmbSettings";
import { usePolling } from "../hooks/usePolling";
import { accessProblem, ownershipFixed, shareAdded, shareState, smbAddresses, smbProblem, smbServer } from "../logic";

export function SharesPage() {
  const [shares, setShares] = useState<ShareInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [removing, setRemoving] = useState<ShareInfo | null>(null);
  const [fixing, setFixing] = useState<ShareInfo | null>(null);
  const [smb, setSmb] = useState<SmbStatus | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    invoke("shares").then(
      (s) => (setShares(s), setError(null)),
      (e: Error) => setError(e.message),
    );
    invoke("smb").then(setSmb, (e: Error) => setError(e.message));
  }, []);

  const offer = async (name: string, access: SmbAccess) => {
    try {
      await invoke("shareSmb", { name, access });
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  usePolling(load, null, [load]);

  const defaults = async () => {
    setBusy(true);
    try {
      setShares(await invoke("sharesDefaults"));
      setSaid("The usual shares are made under Berth's folder.");
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="shares-title" className="shares">
      <h1 id="shares-title">Shares</h1>
      <p className="muted">Folders of this server for your files — films, music, photos — that apps can be given, with your say-so.</p>
      {error && <p role="alert" className="error">{error}</p>}
      {said && <p role="status" className="ok" data-testid="shares-result">{said}</p>}
      {shares && shares.length === 0 && (
        <div className="card">
          <p>No shares yet.</p>
          <button className="primary" onClick={() => void defaults()} disabled={busy}>
            Make the usual shares (Movies, TV, Music, Photos, Books, Documents, Downloads)
          </button>
        </div>
      )}
      {shares && shares.length > 0 && (
        <table data-testid="shares-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Folder</th>
              <th>State</th>
              <th>Network (SMB)</th>
              <th><span className="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {shares.map((s) => (
              <tr key={s.name} data-share={s.name}>
                <td>{s.name}</td>
                <td><code>{s.path}</code></td>
                <td className={s.present ? "" : "error"}>
                  {shareState(s)}
                  {accessProblem(s) && (
                    <p className="warning" role="note" data-testid="share-access-warning">
                      {accessProblem(s)}{" "}
                      <button onClick={() => setFixing(s)}>Fix ownership</button>
                    </p>
                  )}
                </td>
                <td>
                  <select aria-label={`${s.name} on the network`} value={s.smb} onChange={(e) => void offer(s.name, e.target.value as SmbAccess)}>
                    <option value="none">Not shared</option>
                    <option value="read">Read only</option>
                    <option value="write">Read and write</option>
                  </select>
                  {smb?.enabled && s.smb !== "none" && s.present && (
                    <SmbAddress status={smb} name={s.name} />
                  )}
                  {smbProblem(s) && <p className="warning" role="note">{smbProblem(s)}</p>}
                </td>
                <td>
                  <button onClick={() => setRemoving(s)}>Remove</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {smb && <SmbSettings status={smb} onChanged={(status) => (setSmb(status), load())} />}
      <AddShare
        onAdded={(s) => {
          setSaid(shareAdded(s));
          load();
        }}
      />
      {fixing && (
        <FixOwnershipDialog
          share={fixing}
          onClose={() => setFixing(null)}
          onFixed={(f) => {
            setSaid(ownershipFixed(f));
            load();
          }}
        />
      )}
      {removing && (
        <RemoveShareDialog
          name={removing.name}
          path={removing.path}
          onClose={() => setRemoving(null)}
          onRemoved={() => {
            setSaid(`${removing.name} is removed; its files are kept.`);
            setRemoving(null);
            load();
          }}
        />
      )}
    </section>
  );
}

/** What to type on a computer of the home network to open a share. */
function SmbAddress({ status, name }: { status: SmbStatus; name: string }) {
  const { windows, url } = smbAddresses(smbServer(status, window.location.hostname), status.port, name);
  return (
    <small className="smb-address">
      {status.port === 445 && (
        <>
          Windows: <code>{windows}</code>{" "}
        </>
      )}
      Mac, Linux: <code>{url}</code>
    </small>
  );
}
