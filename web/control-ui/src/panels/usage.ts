// Placeholder until the usage panel is written.
import { html } from "lit";
import { customElement } from "lit/decorators.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";

@customElement("sc-usage-panel")
export class UsagePanel extends Panel {
  static styles = [shared];
  protected async load() {}
  render() {
    return html`<h2>Usage</h2><p class="empty">Not written yet.</p>`;
  }
}
