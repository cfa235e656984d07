// The shell: first-run setup or login, then the pages, routed by the URL hash
// (#/ home, #/catalog, #/app/<store>/<id>, #/apps, #/apps/<id>, #/shares, #/backups, #/stores,
// #/ops, #/logs/<id>, #/system, #/account).
import { useCallback, useEffect, useState, type ReactNode } from "react";
import { authState, inDesktop, logout, setUnauthorizedHandler } from "./api";
import { AccountPage } from "./pages/Account";
import { AuthPage } from "./pages/Auth";
import { GatePage } from "./pages/Gate";
import { CatalogPage } from "./pages/Catalog";
import { AppPage } from "./pages/AppPage";
import { Dashboard } from "./pages/Dashboard";
import { InstalledAppPage } from "./pages/InstalledApp";
import { MyAppsPage } from "./pages/MyApps";
import { SharesPage } from "./pages/Shares";
import { BackupsPage } from "./pages/Backups";
import { StoresPage } from "./pages/Stores";
import { UpdatesProvider, useUpdates } from "./updates";
import { OpsPage } from "./pages/Ops";
import { LogsPage } from "./pages/Logs";
import { SystemPage } from "./pages/System";

function useHash(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [parts, setParts] = useState(read);
  useEffect(() => {
    const onChange = () => setParts(read());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return parts;
}

/** The pages with a link in the menu. */
const ROUTED = ["catalog", "apps", "shares", "backups", "stores", "ops", "system", "account"];

type Session = { state: "loading" } | { state: "setup" } | { state: "login" } | { state: "in"; user: string };

export function App() {
  const [session, setSession] = useState<Session>({ state: "loading" });
  const [error, setError] = useState<string | null>(null);
  const route = useHash();

  const refresh = useCallback(() => {
    authState()
      .then((a) => setSession(a.setupNeeded ? { state: "setup" } : a.user ? { state: "in", user: a.user } : { state: "login" }))
      .catch(() => setError("Berth is not reachable: is berth serve running?"));
  }, []);
  useEffect(() => {
    refresh();
    setUnauthorizedHandler(() => setSession({ state: "login" }));
  }, [refresh]);

  if (error) return <main className="center"><p role="alert" className="error">{error}</p></main>;
  if (session.state === "loading") return <main className="center"><p>Loading…</p></main>;
  if (session.state === "setup" || session.state === "login") {
    return <AuthPage mode={session.state} onDone={(user) => setSession({ state: "in", user })} />;
  }

  // Berth's gate in front of an app (after the login above, if it was needed).
  if (window.location.pathname === "/gate") return <main className="center"><GatePage /></main>;

  // The next login lands on the home page (a link followed while logged out keeps its page).
  const loggedOut = () => {
    window.location.hash = "#/";
    setSession({ state: "login" });
  };
  const [page = "home", ...rest] = route;
  let body;
  switch (page) {
    case "catalog":
      body = <CatalogPage />;
      break;
    case "app":
      body = <AppPage store={rest[0] ?? ""} id={rest[1] ?? ""} />;
      break;
    case "apps":
      body = rest[0] ? <InstalledAppPage app={rest[0]} /> : <MyAppsPage />;
      break;
    case "ops":
      body = <OpsPage />;
      break;
    case "logs":
      body = <LogsPage app={rest[0] ?? ""} />;
      break;
    case "system":
      body = <SystemPage />;
      break;
    case "shares":
      body = <SharesPage />;
      break;
    case "backups":
      body = <BackupsPage />;
      break;
    case "stores":
      body = <StoresPage />;
      break;
    case "account":
      body = <AccountPage user={session.user} onLoggedOut={loggedOut} />;
      break;
    default:
      body = <Dashboard />;
  }
  const current = ROUTED.includes(page) ? page : "home";
  const link = (to: string, label: string, extra?: ReactNode) => (
    <a href={`#/${to === "home" ? "" : to}`} aria-current={current === to || (to === "catalog" && page === "app") || (to === "apps" && page === "logs") ? "page" : undefined}>
      {label}
      {extra}
    </a>
  );
  return (
    <UpdatesProvider>
      <header className="top">
        <a className="brand" href="#/">Berth</a>
        <nav aria-label="Main">
          {link("home", "Home")}
          {link("catalog", "App store")}
          {link("apps", "My apps", <UpdatesBadge />)}
          {link("shares", "Shares")}
          {link("backups", "Backups")}
          {link("stores", "Stores")}
          {link("ops", "History")}
          {link("system", "Server")}
          {link("account", "Account")}
        </nav>
        {!inDesktop() && (
          <button className="link" onClick={() => logout().finally(loggedOut)}>
            Log out {session.user}
          </button>
        )}
      </header>
      <main>{body}</main>
    </UpdatesProvider>
  );
}

/** How many apps have an update, beside "My apps". */
function UpdatesBadge() {
  const { count } = useUpdates();
  if (count === 0) return null;
  return (
    <span className="badge" data-testid="updates-badge" title={`${count} update${count === 1 ? "" : "s"} available`}>
      {count}
      <span className="visually-hidden"> update{count === 1 ? "" : "s"}</span>
    </span>
  );
}
