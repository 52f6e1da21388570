// Placeholder until the chat panel is written.
import { html } from "lit";
import { customElement } from "lit/decorators.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";

@customElement("sc-chat-panel")
export class ChatPanel extends Panel {
  static styles = [shared];
  protected async load() {}
  render() {
    return html`<h2>Chat</h2><p class="empty">Not written yet.</p>`;
  }
}
