// Placeholder until the agents panel is written.
import { html } from "lit";
import { customElement } from "lit/decorators.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";

@customElement("sc-agents-panel")
export class AgentsPanel extends Panel {
  static styles = [shared];
  protected async load() {}
  render() {
    return html`<h2>Agents</h2><p class="empty">Not written yet.</p>`;
  }
}
