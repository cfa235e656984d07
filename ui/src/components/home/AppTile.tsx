// One installed app on the home page: its icon and name (a click opens the
// app itself when it has a page, else its page in Berth), its status light,
// and a badge when an update waits.
import { openExternal } from "../../api";
import type { AppUpdate } from "../../bindings";
import type { Tile } from "../../logic";
import { StorePicture } from "../StorePicture";

export function AppTile({ tile, update }: { tile: Tile; update: AppUpdate | null }) {
  const icon = tile.icon ? (
    <StorePicture store={tile.icon.store} app={tile.icon.app} file={tile.icon.file} alt="" width={64} height={64} />
  ) : (
    <span className="icon-blank" aria-hidden="true" />
  );
  const face = (
    <>
      {icon}
      <strong>{tile.name}</strong>
      <span className="tile-status">
        <span className={`light ${tile.light}`} aria-hidden="true" />
        <span data-testid={`tile-status-${tile.id}`}>{tile.status}</span>
      </span>
    </>
  );
  return (
    <li className="card tile" data-tile={tile.id}>
      {tile.url ? (
        <a
          className="tile-open"
          href={tile.url}
          target="_blank"
          rel="noreferrer"
          title={`Open ${tile.name}`}
          aria-label={`Open ${tile.name} (${tile.status})`}
          onClick={(e) => openExternal(tile.url!, e)}
        >
          {face}
        </a>
      ) : (
        <a className="tile-open" href={`#/apps/${encodeURIComponent(tile.id)}`} aria-label={`${tile.name} (${tile.status}): no page to open`}>
          {face}
        </a>
      )}
      {update && (
        <a className="badge tile-badge" href="#/apps" title={update.version ? `Update to ${update.version}` : "An update is available"} data-testid={`tile-update-${tile.id}`}>
          1<span className="visually-hidden"> update for {tile.name}</span>
        </a>
      )}
      <a className="tile-manage muted" href={`#/apps/${encodeURIComponent(tile.id)}`}>Manage</a>
    </li>
  );
}
