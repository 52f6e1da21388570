// Where the UI keeps what it signs in with. The gateway token lives in sessionStorage (gone
// with the tab); the device token the gateway issues after pairing lives in localStorage,
// so a paired browser signs in again without the gateway token. A token handed over in the
// URL fragment (#token=, #bootstrapToken=) is taken and removed from the address bar.
const TOKEN_KEY = "simpleclaw.token.v1";
const DEVICE_TOKEN_KEY = "simpleclaw.deviceToken.v1";

export interface Credentials {
  token?: string;
  deviceToken?: string;
  bootstrapToken?: string;
}

export function takeUrlHandoff(): Credentials {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const out: Credentials = {};
  const token = params.get("token");
  const bootstrap = params.get("bootstrapToken");
  if (token) out.token = token;
  if (bootstrap) out.bootstrapToken = bootstrap;
  if (token || bootstrap) history.replaceState(null, "", location.pathname + location.search);
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  return out;
}

export function savedCredentials(): Credentials {
  return {
    token: sessionStorage.getItem(TOKEN_KEY) ?? undefined,
    deviceToken: localStorage.getItem(DEVICE_TOKEN_KEY) ?? undefined,
  };
}

export function saveToken(token: string) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function saveDeviceToken(token: string) {
  localStorage.setItem(DEVICE_TOKEN_KEY, token);
}

export function forgetCredentials() {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(DEVICE_TOKEN_KEY);
}
