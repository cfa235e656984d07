// Account: change the password (the current one needed; every other session
// is then logged out) and see where this user is logged in, ending any of
// those sessions. The desktop app has no login, so no password either.
import { useState } from "react";
import { inDesktop } from "../api";
import { ChangePassword } from "../components/account/ChangePassword";
import { Sessions } from "../components/account/Sessions";

export function AccountPage({ user, onLoggedOut }: { user: string; onLoggedOut: () => void }) {
  // A password change logs the other sessions out: the list is read again.
  const [changes, setChanges] = useState(0);
  if (inDesktop()) {
    return (
      <section aria-labelledby="account-title">
        <h1 id="account-title">Account</h1>
        <p data-testid="desktop-account">
          The desktop app needs no login: whoever uses this computer is its user, so the desktop user has no password. Passwords and sessions
          are for the web UI, on the account page of a browser.
        </p>
      </section>
    );
  }
  return (
    <section aria-labelledby="account-title" className="account">
      <h1 id="account-title">Account</h1>
      <p>
        Logged in as <strong>{user}</strong>.
      </p>
      <ChangePassword user={user} onChanged={() => setChanges((n) => n + 1)} />
      <Sessions onLoggedOut={onLoggedOut} changes={changes} />
    </section>
  );
}
