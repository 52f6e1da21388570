// Placeholder until the automations panel is written.
import { html } from "lit";
import { customElement } from "lit/decorators.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";

@customElement("sc-automations-panel")
export class AutomationsPanel extends Panel {
  static styles = [shared];
  protected async load() {}
  render() {
    return html`<h2>Automations</h2><p class="empty">Not written yet.</p>`;
  }
}
