// Placeholder until the channels panel is written.
import { html } from "lit";
import { customElement } from "lit/decorators.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";

@customElement("sc-channels-panel")
export class ChannelsPanel extends Panel {
  static styles = [shared];
  protected async load() {}
  render() {
    return html`<h2>Channels</h2><p class="empty">Not written yet.</p>`;
  }
}
