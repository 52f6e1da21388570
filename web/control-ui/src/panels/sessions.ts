// Sessions: /sessions lists every session (server-side pages), /sessions/<key> shows one
// (transcript, usage, actions). The list and the detail are their own elements
// (sessions/list.ts, sessions/detail.ts), each loading what it shows.
import { html } from "lit";
import { customElement } from "lit/decorators.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";
import "./sessions/list";
import "./sessions/detail";

@customElement("sc-sessions-panel")
export class SessionsPanel extends Panel {
  static styles = [shared];

  // The children load their own data.
  protected async load() {}

  render() {
    return this.route
      ? html`<sc-session-detail .gw=${this.gw} route=${this.route}></sc-session-detail>`
      : html`<sc-session-list .gw=${this.gw}></sc-session-list>`;
  }
}
