// Berth's gate page (`/gate?app=<name>&to=<path>`), where the proxy sends a
// visitor of an app that only people logged in to Berth can open: once
// logged in (the shell asks first), it asks for a one-time ticket into the
// app and goes there; the server builds the app's address, never the page.
import { useEffect, useState } from "react";
import { postRoute } from "../api";
import { gateRequest, gateUrlFine } from "../logic";

export function GatePage() {
  const [error, setError] = useState<string | null>(null);
  const wanted = gateRequest(window.location.search);
  useEffect(() => {
    if (!wanted) return;
    postRoute<{ url: string }>("/api/gate", wanted).then(
      ({ url }) => {
        if (gateUrlFine(url)) window.location.replace(url);
        else setError("Berth gave an address it should not; open the app from My apps.");
      },
      (e: Error) => setError(e.message),
    );
    // Once: the page leaves when it has the ticket.
  }, []);
  if (!wanted) return <p role="alert" className="error">This link names no app; open apps from <a href="/#/apps">My apps</a>.</p>;
  return error ? (
    <p role="alert" className="error">
      Cannot open {wanted.app}: {error} <a href="/#/apps">My apps</a>
    </p>
  ) : (
    <p role="status">Opening {wanted.app}…</p>
  );
}
