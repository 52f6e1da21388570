// Approvals: exec commands waiting for a human (exec.approval.list, kept live by
// exec.approval.requested / resolved), decided ones (approval.history, paged), and the
// standing exec policy per agent with its allow-always patterns (exec.approvals.get).
import { css, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";
import { fmtAgo, fmtTime } from "../ui/format";
import { confirmDialog } from "../ui/dialog";
import { toast } from "../ui/toast";
import { removeAllowPattern } from "./approvals/allowlist";
import { DECISION_LABELS, Decision, ExecPolicies, HistoryItem, HistoryPage, PendingApproval, statusClass } from "./approvals/types";

const HISTORY_PAGE = 20;
const TICK_MS = 5000;  // ages and countdowns stay current without a reload

@customElement("sc-approvals-panel")
export class ApprovalsPanel extends Panel {
  static styles = [shared, css`
    .pending pre { margin: 6px 0; font-size: 14px; }
    .pending .reason { margin: 6px 0 0; }
    .decisions { margin-top: 8px; }
    ul.patterns { margin: 6px 0 0; padding: 0; list-style: none; }
    ul.patterns li { word-break: break-all; padding: 4px 0; border-bottom: 1px solid var(--border); }
  `];

  @state() private pending: PendingApproval[] = [];
  @state() private history: HistoryItem[] = [];
  @state() private historyCursor = "";
  @state() private historyError = "";
  @state() private policies: ExecPolicies | null = null;
  @state() private policiesError = "";
  @state() private deciding = new Set<string>();
  private tick = 0;
  private reloadTimer = 0;

  connectedCallback() {
    super.connectedCallback();
    this.listen("exec.approval.requested", (p: PendingApproval) => {
      if (p?.id && !this.pending.some((x) => x.id === p.id)) this.pending = [...this.pending, p];
      this.refreshSoon();
    });
    this.listen("exec.approval.resolved", (p: { id?: string }) => {
      if (p?.id) this.pending = this.pending.filter((x) => x.id !== p.id);
      this.refreshSoon();
    });
    this.tick = window.setInterval(() => this.requestUpdate(), TICK_MS);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this.tick);
    clearTimeout(this.reloadTimer);
  }

  // Events update the list at once; the reload afterwards brings history and the
  // allowlist (an allow-always adds a pattern) up to date.
  private refreshSoon() {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = window.setTimeout(() => void this.load().catch((e) => (this.error = (e as Error).message)), 300);
  }

  protected async load() {
    await Promise.all([this.loadPending(), this.loadHistory(), this.loadPolicies()]);
  }

  private async loadPending() {
    const list = await this.gw.request<PendingApproval[]>("exec.approval.list", {});
    this.pending = [...list].sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  private async loadHistory(more = false) {
    if (!this.gw.hasMethod("approval.history")) return;
    try {
      const params: Record<string, unknown> = { limit: HISTORY_PAGE };
      if (more && this.historyCursor) params.cursor = this.historyCursor;
      const page = await this.gw.request<HistoryPage>("approval.history", params);
      this.history = more ? [...this.history, ...page.items] : page.items;
      this.historyCursor = page.nextCursor ?? "";
      this.historyError = "";
    } catch (e) {
      this.historyError = (e as Error).message;
    }
  }

  private async loadPolicies() {
    if (!this.can("operator.admin", "exec.approvals.get")) return;
    try {
      this.policies = await this.gw.request<ExecPolicies>("exec.approvals.get", {});
      this.policiesError = "";
    } catch (e) {
      this.policiesError = (e as Error).message;
    }
  }

  private async decide(a: PendingApproval, decision: Decision) {
    this.deciding = new Set(this.deciding).add(a.id);
    const r = await this.act("exec.approval.resolve", { id: a.id, decision },
      `${DECISION_LABELS[decision]}: ${a.request.command ?? a.id}`);
    const d = new Set(this.deciding);
    d.delete(a.id);
    this.deciding = d;
    if (r) this.pending = this.pending.filter((x) => x.id !== a.id);
    this.refreshSoon();
  }

  private async removePattern(agentId: string, pattern: string) {
    if (!(await confirmDialog(`Remove "${pattern}" from ${agentId}'s allowlist? The command will need an approval again.`, "Remove", true)))
      return;
    const key = `pat:${agentId}:${pattern}`;
    this.deciding = new Set(this.deciding).add(key);
    try {
      await removeAllowPattern(this.gw, agentId, pattern);
      toast(`Removed ${pattern}`, "ok");
    } catch (e) {
      toast(`Could not remove the pattern: ${(e as Error).message}`, "error");
    } finally {
      const d = new Set(this.deciding);
      d.delete(key);
      this.deciding = d;
      await this.loadPolicies();
    }
  }

  render() {
    return html`
      <div class="toolbar">
        <h2 class="grow">Approvals</h2>
        <button @click=${() => this.reload()} ?disabled=${this.loading}>Refresh</button>
      </div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      <section aria-labelledby="pending-h" data-testid="pending">
        <h3 id="pending-h">Waiting for a decision ${this.pending.length ? html`<span class="badge warn">${this.pending.length}</span>` : nothing}</h3>
        ${this.pending.length === 0
          ? html`<p class="muted card">No command is waiting. When an agent wants to run a command its policy does not
              allow, it shows up here at once.</p>`
          : this.pending.map((a) => this.renderPending(a))}
      </section>
      ${this.renderHistory()}
      ${this.renderPolicies()}
    `;
  }

  private renderPending(a: PendingApproval) {
    const r = a.request;
    const allowed = r.allowedDecisions ?? (["allow-once", "allow-always", "deny"] as Decision[]);
    const busy = this.deciding.has(a.id);
    const left = a.expiresAtMs - Date.now();
    return html`
      <article class="card pending" data-testid="approval-${a.id}" aria-label="Approval for ${r.command ?? a.id}">
        <pre>${r.command ?? "(no command text)"}</pre>
        <dl class="kv">
          <dt>Agent</dt><dd>${r.agentId ?? "—"}</dd>
          <dt>Session</dt><dd class="mono">${r.sessionKey ?? "—"}</dd>
          <dt>Directory</dt><dd class="mono">${r.cwd ?? "—"}</dd>
          ${r.nodeId ? html`<dt>Node</dt><dd class="mono">${r.nodeId}</dd>` : r.host ? html`<dt>Host</dt><dd>${r.host}</dd>` : nothing}
          <dt>Asked</dt><dd title=${fmtTime(a.createdAtMs)}>${fmtAgo(a.createdAtMs)}</dd>
          <dt>Expires</dt><dd title=${fmtTime(a.expiresAtMs)}>${left > 0 ? fmtAgo(a.expiresAtMs) : "now (denied on timeout)"}</dd>
          ${r.allowAlwaysPatterns?.length ? html`<dt>Allow always adds</dt><dd class="mono">${r.allowAlwaysPatterns.join(", ")}</dd>` : nothing}
        </dl>
        ${r.reason ? html`<p class="muted reason">${r.reason}</p>` : nothing}
        ${r.warningText ? html`<p class="error">${r.warningText}</p>` : nothing}
        <div class="row decisions">
          ${allowed.map((d) => html`<button class=${d === "deny" ? "danger" : d === "allow-once" ? "primary" : ""}
              ?disabled=${busy} @click=${() => this.decide(a, d)}>${DECISION_LABELS[d] ?? d}</button>`)}
        </div>
      </article>`;
  }

  private renderHistory() {
    if (!this.gw.hasMethod("approval.history")) return nothing;
    return html`
      <section class="card" aria-labelledby="history-h" data-testid="history">
        <h3 id="history-h">History</h3>
        ${this.historyError ? html`<p class="error">${this.historyError}</p>` : nothing}
        ${this.history.length === 0 ? html`<p class="muted">No decisions yet.</p>` : html`
          <div class="table-wrap"><table>
            <thead><tr><th>Command</th><th>Agent</th><th>Decision</th><th>By</th><th>When</th></tr></thead>
            <tbody>${this.history.map((h) => html`<tr>
              <td class="mono">${h.presentation.commandText ?? h.id}</td>
              <td>${h.presentation.agentId ?? h.source?.agentId ?? "—"}</td>
              <td><span class="badge ${statusClass(h.status)}">${h.decision ?? h.status}</span>
                ${h.reason && h.reason !== "user" ? html`<span class="muted">${h.reason}</span>` : nothing}</td>
              <td>${h.resolver?.id ?? "—"}</td>
              <td title=${fmtTime(h.resolvedAtMs ?? h.createdAtMs)}>${fmtAgo(h.resolvedAtMs ?? h.createdAtMs)}</td>
            </tr>`)}</tbody>
          </table></div>
          ${this.historyCursor ? html`<button @click=${() => this.loadHistory(true)}>Older decisions</button>` : nothing}`}
      </section>`;
  }

  private renderPolicies() {
    if (!this.can("operator.admin", "exec.approvals.get")) return nothing;
    const p = this.policies;
    const agents = Object.entries(p?.file.agents ?? {});
    const d = p?.resolvedDefaults ?? p?.file.defaults;
    const canEdit = this.can("operator.admin", "config.patch") && this.gw.hasMethod("config.get");
    return html`
      <section class="card" aria-labelledby="policy-h" data-testid="policies">
        <h3 id="policy-h">Exec policy and allowlist</h3>
        ${this.policiesError ? html`<p class="error">${this.policiesError}</p>` : nothing}
        ${d ? html`<p class="muted">Defaults: security <strong>${d.security}</strong>, ask <strong>${d.ask}</strong>${d.askFallback ? html`, without an operator <strong>${d.askFallback}</strong>` : nothing}.
          Allow always adds a pattern to the agent's <code>tools.exec.allow</code> in <code>${p?.path}</code>.</p>` : nothing}
        ${agents.length === 0 && p ? html`<p class="muted">No agent has its own policy.</p>` : nothing}
        ${agents.map(([id, a]) => html`
          <div data-testid="policy-${id}">
            <h3>${id} <span class="muted">security ${a.security ?? "—"}, ask ${a.ask ?? "—"}</span></h3>
            ${a.allowlist?.length ? html`<ul class="patterns">${a.allowlist.map((x) => html`
              <li class="row"><code class="grow">${x.pattern}</code>
                ${canEdit ? html`<button class="danger" ?disabled=${this.deciding.has(`pat:${id}:${x.pattern}`)}
                  @click=${() => this.removePattern(id, x.pattern)} aria-label="Remove ${x.pattern} from ${id}">Remove</button>` : nothing}</li>`)}</ul>`
              : html`<p class="muted">No allowlist patterns.</p>`}
          </div>`)}
      </section>`;
  }
}
