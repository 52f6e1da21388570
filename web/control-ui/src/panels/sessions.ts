// Placeholder until the sessions panel is written.
import { html } from "lit";
import { customElement } from "lit/decorators.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";

@customElement("sc-sessions-panel")
export class SessionsPanel extends Panel {
  static styles = [shared];
  protected async load() {}
  render() {
    return html`<h2>Sessions</h2><p class="empty">Not written yet.</p>`;
  }
}
